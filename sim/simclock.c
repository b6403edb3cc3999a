#include "simclock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static double clock_scale = 1.0;
static int64_t wall_start_ms;       /* wall clock at init */
static int64_t mono_start_ms;       /* monotonic clock at init */
static _Atomic int64_t advanced_ms; /* added by simclock_advance */

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void simclock_init(double scale)
{
    clock_scale = scale > 0 ? scale : 1.0;
    wall_start_ms = read_ms(CLOCK_REALTIME);
    mono_start_ms = read_ms(CLOCK_MONOTONIC);
}

double simclock_scale(void)
{
    return clock_scale;
}

int64_t simclock_now_ms(void)
{
    if (wall_start_ms == 0)
        simclock_init(1.0);
    int64_t elapsed = read_ms(CLOCK_MONOTONIC) - mono_start_ms;
    return wall_start_ms + (int64_t)((double)elapsed * clock_scale) + atomic_load(&advanced_ms);
}

void simclock_advance(int64_t seconds)
{
    atomic_fetch_add(&advanced_ms, seconds * 1000);
}

int64_t simclock_now(void)
{
    return simclock_now_ms() / 1000;
}

int64_t simclock_mono_ms(void)
{
    return read_ms(CLOCK_MONOTONIC);
}

int64_t simclock_wall(void)
{
    return read_ms(CLOCK_REALTIME) / 1000;
}

void simclock_format(int64_t t, char *buf, unsigned long size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
