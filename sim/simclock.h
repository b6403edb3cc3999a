/*
 * simclock — azsim's notion of "now".
 *
 * Everything Azure stamps (key created/updated, nbf/exp checks, soft-delete
 * dates, rotation-policy triggers) runs on simulated time, which starts at the
 * wall clock and advances `scale` times faster (--time-scale), so a test can
 * live through a 30-minute window in seconds. Access-token lifetimes use the
 * real wall clock instead, because the clients that hold them compare with
 * their own real clocks.
 *
 * Thread safe: the scale is set once before the servers start; reads are pure.
 */
#ifndef AZSIM_SIMCLOCK_H
#define AZSIM_SIMCLOCK_H

#include <stdint.h>

/* Starts simulated time at the current wall clock, running `scale` times real time (> 0). */
void simclock_init(double scale);
double simclock_scale(void);

/* Simulated time, Unix seconds / milliseconds. */
int64_t simclock_now(void);
int64_t simclock_now_ms(void);

/* Real monotonic milliseconds (for short transition windows and latencies). */
int64_t simclock_mono_ms(void);

/* Real wall-clock Unix seconds (token iat/exp). */
int64_t simclock_wall(void);

/* Moves simulated time forward by seconds (the control interface's "advance the clock"). */
void simclock_advance(int64_t seconds);

/* Formats simulated Unix seconds as RFC 3339 UTC ("2026-11-29T15:20:01Z") into buf (>= 21 bytes).
 */
void simclock_format(int64_t t, char *buf, unsigned long size);

#endif
