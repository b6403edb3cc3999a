#include "pace.h"

void pace_bucket_init(struct pace_bucket *b, double capacity, double refill_per_s, int64_t now_ms)
{
    b->capacity = capacity > 1 ? capacity : 1;
    b->tokens = b->capacity;
    b->refill_per_s = refill_per_s > 0 ? refill_per_s : 1;
    b->at_ms = now_ms;
}

static void refill(struct pace_bucket *b, int64_t now_ms)
{
    if (now_ms <= b->at_ms)
        return; /* a clock that went back adds nothing */
    b->tokens += (double)(now_ms - b->at_ms) * b->refill_per_s / 1000.0;
    if (b->tokens > b->capacity)
        b->tokens = b->capacity;
    b->at_ms = now_ms;
}

bool pace_bucket_take(struct pace_bucket *b, int64_t now_ms)
{
    refill(b, now_ms);
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

int64_t pace_bucket_wait_ms(struct pace_bucket *b, int64_t now_ms)
{
    refill(b, now_ms);
    if (b->tokens >= 1.0)
        return 0;
    double missing = 1.0 - b->tokens;
    int64_t ms = (int64_t)(missing * 1000.0 / b->refill_per_s) + 1;
    return ms > 0 ? ms : 1;
}

void pace_bucket_follow(struct pace_bucket *b, long remaining, int64_t now_ms)
{
    if (remaining < 0)
        return;
    refill(b, now_ms);
    double reserve = (double)remaining * 0.1;
    if (reserve < 10)
        reserve = 10;
    double usable = (double)remaining - reserve;
    if (usable < 0)
        usable = 0;
    if (usable > b->capacity) {
        b->capacity = usable;
        if (b->tokens < usable)
            b->tokens = usable;
    } else if (b->tokens > usable) {
        b->tokens = usable;
    }
}

void pace_backoff_fail(struct pace_backoff *b, int64_t now_ms, int64_t base_ms, int64_t max_ms)
{
    if (b->failures < 30)
        b->failures++;
    int64_t wait = base_ms;
    for (unsigned i = 1; i < b->failures && wait < max_ms; i++)
        wait *= 2;
    if (wait > max_ms)
        wait = max_ms;
    b->until_ms = now_ms + wait;
}

void pace_backoff_ok(struct pace_backoff *b)
{
    b->failures = 0;
    b->until_ms = 0;
}

bool pace_backoff_ready(const struct pace_backoff *b, int64_t now_ms)
{
    return now_ms >= b->until_ms;
}

int64_t pace_jitter(int64_t interval_ms, int percent, uint32_t random)
{
    if (percent <= 0 || interval_ms <= 0)
        return interval_ms;
    if (percent > 90)
        percent = 90;
    int64_t span = interval_ms * percent / 100;
    if (span == 0)
        return interval_ms;
    int64_t offset = (int64_t)(random % (uint32_t)(2 * span + 1)) - span;
    return interval_ms + offset;
}
