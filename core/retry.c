#include "retry.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

/* A server asking for more than a day is treated as asking for a day. */
#define RETRY_AFTER_MAX_MS (86400LL * 1000)

bool retry_idempotent(const char *method, bool marked_idempotent)
{
    static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};

    if (marked_idempotent)
        return true;
    if (method == NULL)
        return false;
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++) {
        if (strcmp(method, safe[i]) == 0)
            return true;
    }
    return false;
}

static bool status_retryable(long status)
{
    switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return true;
    default:
        return false;
    }
}

/* base * 2^(attempt-1) with +-20% jitter, never above max_wait_ms. */
static int64_t backoff(const struct retry_policy *p, unsigned attempt, uint32_t random)
{
    if (p->base_ms <= 0 || p->max_wait_ms <= 0)
        return 0;
    int64_t wait = p->base_ms;
    for (unsigned i = 1; i < attempt && wait < p->max_wait_ms; i++)
        wait = wait > INT64_MAX / 2 ? INT64_MAX : wait * 2;
    if (wait > p->max_wait_ms)
        wait = p->max_wait_ms;
    /* factor in [0.8, 1.2): random / 2^32 spread over 40% */
    double factor = 0.8 + 0.4 * ((double)random / 4294967296.0);
    double jittered = (double)wait * factor;
    if (jittered >= (double)p->max_wait_ms)
        return p->max_wait_ms;
    return (int64_t)jittered;
}

/* The wait the outcome itself calls for, or -1 when it is not to be retried. */
static int64_t wanted_wait(const struct retry_policy *p, bool idempotent, unsigned attempt,
                           const struct retry_outcome *o, uint32_t random)
{
    switch (o->err) {
    case CORE_OK:
        if (o->status < 400)
            return -1;
        /* The service asked for a delay: it has not acted, whatever the method. */
        if (o->retry_after_ms >= 0)
            return o->retry_after_ms > p->max_wait_ms ? -1 : o->retry_after_ms;
        if (status_retryable(o->status) && idempotent)
            return backoff(p, attempt, random);
        return -1;
    case CORE_ERR_NETWORK:
    case CORE_ERR_TIMEOUT:
    case CORE_ERR_TLS:
        /* Nothing reached the service, or repeating it is harmless. */
        if (!o->sent || idempotent)
            return backoff(p, attempt, random);
        return -1;
    default:
        return -1;
    }
}

int64_t retry_next(const struct retry_policy *p, const char *method, bool marked_idempotent,
                   unsigned attempt, const struct retry_outcome *o, int64_t elapsed_ms,
                   uint32_t random)
{
    if (p == NULL || o == NULL)
        return -1;
    if (attempt == 0)
        attempt = 1;
    if (attempt >= p->max_attempts)
        return -1;
    int64_t wait = wanted_wait(p, retry_idempotent(method, marked_idempotent), attempt, o, random);
    if (wait < 0)
        return -1;
    if (elapsed_ms < 0)
        elapsed_ms = 0;
    if (elapsed_ms > p->budget_ms || wait > p->budget_ms - elapsed_ms)
        return -1;
    return wait;
}

/* value without surrounding blanks, into buf; false when empty or too long. */
static bool trimmed(const char *value, char *buf, size_t size)
{
    if (value == NULL)
        return false;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' ||
                     value[n - 1] == '\n'))
        n--;
    if (n == 0 || n >= size)
        return false;
    memcpy(buf, value, n);
    buf[n] = '\0';
    return true;
}

/* A non-negative decimal integer, clamped to max; -1 when not one. */
static int64_t digits(const char *s, int64_t max)
{
    for (const char *c = s; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return -1;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v > max)
        return max;
    return v;
}

int64_t retry_after_parse(const char *value, int64_t now_wall_ms)
{
    char buf[64];
    if (!trimmed(value, buf, sizeof buf))
        return -1;
    if (isdigit((unsigned char)buf[0])) {
        int64_t s = digits(buf, RETRY_AFTER_MAX_MS / 1000);
        return s < 0 ? -1 : s * 1000;
    }
    /* Every HTTP-date form starts with a day name. */
    if (!isalpha((unsigned char)buf[0]))
        return -1;
    time_t t = curl_getdate(buf, NULL);
    if (t == (time_t)-1)
        return -1;
    /* curl_getdate takes any year ("Sun Nov 30 00:01:00 202553"): no overflow in ms. */
    if ((int64_t)t > (INT64_MAX - RETRY_AFTER_MAX_MS) / 1000)
        return RETRY_AFTER_MAX_MS;
    if ((int64_t)t < 0)
        return 0;
    int64_t at_ms = (int64_t)t * 1000;
    if (at_ms <= now_wall_ms)
        return 0;
    int64_t delta = at_ms - now_wall_ms;
    return delta > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : delta;
}

int64_t retry_after_ms_parse(const char *value)
{
    char buf[64];
    if (!trimmed(value, buf, sizeof buf))
        return -1;
    return digits(buf, RETRY_AFTER_MAX_MS);
}
