/*
 * pace — the arithmetic of polling politely (pure functions and small
 * structs, no I/O; the engine owns the timers).
 *
 *  - a token bucket, for the periodic-read budget (requests per minute) and
 *    for ARM's own limit, which tdectl keeps well inside: ARM allows a
 *    principal 250 reads at once and 25 a second per subscription; tdectl
 *    starts at 200 and 20 and follows the x-ms-ratelimit-remaining header
 *    down (never spending what ARM says is left) and up (a service that
 *    reports a larger allowance is trusted, minus a reserve);
 *  - backoff per failing endpoint: after k consecutive failures the endpoint
 *    is left alone for base * 2^(k-1) (capped), so a dead vault costs one
 *    request per interval, not one per cycle;
 *  - jitter: intervals spread by +-percent so a fleet of consoles does not
 *    poll in step.
 */
#ifndef TDECTL_PACE_H
#define TDECTL_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pace_bucket {
    double tokens;
    double capacity;
    double refill_per_s;
    int64_t at_ms; /* when tokens was last brought up to date */
};

void pace_bucket_init(struct pace_bucket *b, double capacity, double refill_per_s, int64_t now_ms);
/* Takes one token if there is one (after refilling to now). */
bool pace_bucket_take(struct pace_bucket *b, int64_t now_ms);
/* Milliseconds until a token will be there (0 when one is). */
int64_t pace_bucket_wait_ms(struct pace_bucket *b, int64_t now_ms);
/*
 * The service says `remaining` requests are left: never hold more tokens than
 * remaining minus a reserve (10%, at least 10); when it allows more than the
 * bucket's capacity, grow the capacity to match (minus the reserve).
 */
void pace_bucket_follow(struct pace_bucket *b, long remaining, int64_t now_ms);

struct pace_backoff {
    unsigned failures;
    int64_t until_ms; /* do not try before this */
};

/* A failure at now: the next try waits base_ms * 2^(failures-1), capped at max_ms. */
void pace_backoff_fail(struct pace_backoff *b, int64_t now_ms, int64_t base_ms, int64_t max_ms);
void pace_backoff_ok(struct pace_backoff *b);
bool pace_backoff_ready(const struct pace_backoff *b, int64_t now_ms);

/* interval_ms spread by +-percent using a random value. */
int64_t pace_jitter(int64_t interval_ms, int percent, uint32_t random);

#endif
