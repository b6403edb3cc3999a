/*
 * healclock — the Inaccessible clock: when an instance lost key access and
 * how long is left before the self-heal window closes.
 *
 * SQL checks its protector every 10 minutes; databases turn Inaccessible a
 * grace (about 10 minutes) after the first failed check. If access comes back
 * within 30 minutes of that first failure they heal on their own; after that
 * only a revalidate (POST .../encryptionProtector/current/revalidate) brings
 * them back, and failover-group settings are lost.
 *
 * tdectl sees neither moment exactly, so the loss is dated conservatively:
 * the earliest of the first sign tdectl had (a predicted loss of access) and
 * the time databases were first seen Inaccessible minus the grace. An on-call
 * engineer is better told 3 minutes are left when 13 are than the reverse.
 *
 * Pure computation on caller storage; no allocation, no errors.
 */
#ifndef TDECTL_HEALCLOCK_H
#define TDECTL_HEALCLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct healclock_params {
    int64_t grace_ms;  /* first failed check -> Inaccessible; default 600 s */
    int64_t window_ms; /* first failed check -> no more self-heal; default 1800 s */
};

struct healclock {
    bool lost;                  /* access is lost (databases Inaccessible, or predicted) */
    bool predicted;             /* no database is Inaccessible yet */
    int64_t lost_at_ms;         /* best (earliest) estimate of the first failed check */
    int64_t inaccessible_at_ms; /* when databases turned, or turn, Inaccessible */
    int64_t window_end_ms;      /* access back before this: they heal on their own */
    int64_t left_ms;            /* until window_end; 0 once past */
    bool revalidate_only;       /* past the window: only revalidate brings them back */
};

void healclock_params_init(struct healclock_params *p);

/*
 * first_sign_ms: when tdectl first saw a sign of lost access (0: none);
 * inaccessible_since_ms: when a database was first seen Inaccessible (0:
 * none). With both 0 the clock is not running (lost = false).
 */
void healclock_compute(int64_t first_sign_ms, int64_t inaccessible_since_ms, int64_t now_ms,
                       const struct healclock_params *p, struct healclock *out);

/*
 * One line for an evidence or a status bar: "access lost by 12:03Z; 13 min
 * left to restore it before the 30-minute self-heal window closes", or
 * "... past the 30-minute self-heal window: only revalidate brings them back".
 * Returns what snprintf returns.
 */
int healclock_describe(const struct healclock *c, const struct healclock_params *p, char *buf,
                       size_t size);

#endif
