/*
 * retry — when to send a request again, and after how long (pure functions).
 *
 * The rules of the Azure SDKs (reference/azure-protocol.md section 1):
 *  - a response >= 400 with Retry-After is retried after that delay, whatever
 *    the method (the service asks for it and has not acted);
 *  - without Retry-After, 408, 429, 500, 502, 503 and 504 are retried for
 *    idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS; or a request marked
 *    idempotent);
 *  - a connection that failed before the request could be sent (refused,
 *    DNS, TLS handshake reset) is retried for any method; a timeout or a broken
 *    transfer after sending is retried only for idempotent requests: a POST
 *    that may have acted is never blindly repeated, the caller reads back;
 *  - backoff: exponential from 800 ms (x2 each retry) with +-20% jitter,
 *    capped; a Retry-After longer than the cap ends the retries (the caller
 *    shows "throttled, retry in N s" instead of hanging);
 *  - never past max_attempts nor past the budget.
 * CORE_ERR_NETWORK, _TIMEOUT and _TLS are the connection failures; any other
 * error is final. (The transport does not ask about failures no retry can
 * heal: an untrusted certificate, an answer over the size cap.)
 */
#ifndef TDECTL_RETRY_H
#define TDECTL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct retry_policy {
    unsigned max_attempts; /* including the first */
    int64_t base_ms;       /* first backoff (800) */
    int64_t max_wait_ms;   /* longest single wait */
    int64_t budget_ms;     /* total time a request may take with its waits */
};

struct retry_outcome {
    enum core_err err;      /* CORE_OK when a response arrived */
    bool sent;              /* the request may have reached the service */
    long status;            /* 0 when no response */
    int64_t retry_after_ms; /* -1 absent */
};

bool retry_idempotent(const char *method, bool marked_idempotent);

/*
 * After attempt number `attempt` (1-based) ended with `o`, having taken
 * elapsed_ms since the first send: -1 to stop, else the wait in ms. `random`
 * is any 32-bit random value (jitter; tests pass fixed ones).
 */
int64_t retry_next(const struct retry_policy *p, const char *method, bool marked_idempotent,
                   unsigned attempt, const struct retry_outcome *o, int64_t elapsed_ms,
                   uint32_t random);

/*
 * The value of a Retry-After header: delay-seconds or an HTTP-date (taken
 * relative to now_wall_ms, Unix ms; a date in the past is 0). -1 when absent
 * or unusable; huge values are clamped to a day.
 */
int64_t retry_after_parse(const char *value, int64_t now_wall_ms);
/* retry-after-ms / x-ms-retry-after-ms: milliseconds; -1 when absent or unusable. */
int64_t retry_after_ms_parse(const char *value);

#endif
