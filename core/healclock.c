#include "healclock.h"

#include <stdio.h>
#include <time.h>

void healclock_params_init(struct healclock_params *p)
{
    p->grace_ms = 600 * 1000;
    p->window_ms = 1800 * 1000;
}

void healclock_compute(int64_t first_sign_ms, int64_t inaccessible_since_ms, int64_t now_ms,
                       const struct healclock_params *p, struct healclock *out)
{
    *out = (struct healclock){0};
    if (first_sign_ms <= 0 && inaccessible_since_ms <= 0)
        return;
    out->lost = true;
    out->predicted = inaccessible_since_ms <= 0;
    int64_t lost = first_sign_ms > 0 ? first_sign_ms : INT64_MAX;
    if (inaccessible_since_ms > 0 && inaccessible_since_ms - p->grace_ms < lost)
        lost = inaccessible_since_ms - p->grace_ms;
    out->lost_at_ms = lost;
    out->inaccessible_at_ms = out->predicted ? lost + p->grace_ms : inaccessible_since_ms;
    out->window_end_ms = lost + p->window_ms;
    out->left_ms = out->window_end_ms > now_ms ? out->window_end_ms - now_ms : 0;
    out->revalidate_only = out->left_ms == 0;
}

static void hhmm(int64_t ms, char buf[16])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 16, "%H:%MZ", &tm) == 0)
        snprintf(buf, 16, "?");
}

int healclock_describe(const struct healclock *c, const struct healclock_params *p, char *buf,
                       size_t size)
{
    char lost[16];
    long window_min = (long)(p->window_ms / 60000);
    if (!c->lost)
        return snprintf(buf, size, "key access not lost");
    hhmm(c->lost_at_ms, lost);
    if (c->revalidate_only)
        return snprintf(buf, size,
                        "access lost by %s; past the %ld-minute self-heal window: only "
                        "revalidate brings them back",
                        lost, window_min);
    /* Rounded down: the engineer must not be told there is more time than there is. */
    long left = (long)(c->left_ms / 60000);
    if (left == 0)
        return snprintf(buf, size,
                        "access lost by %s; under a minute left to restore it before the "
                        "%ld-minute self-heal window closes",
                        lost, window_min);
    return snprintf(buf, size,
                    "access lost by %s; %ld min left to restore it before the %ld-minute "
                    "self-heal window closes",
                    lost, left, window_min);
}
