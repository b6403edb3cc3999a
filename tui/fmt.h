/*
 * fmt — how the console writes times, ages, countdowns and ids, so every
 * view says "12s", "5m", "2h 10m" and "13:05 left" the same way. Pure
 * functions into caller buffers; they return the buffer.
 */
#ifndef TDECTL_FMT_H
#define TDECTL_FMT_H

#include <stddef.h>
#include <stdint.h>

/* An age or duration in ms: "0s", "45s", "12m", "3h 05m", "4d 02h"; "-" when ms < 0. */
char *fmt_age(char *buf, size_t size, int64_t ms);
/* A countdown: "13:05" (mm:ss) or "1:02:03"; "0:00" when past. */
char *fmt_countdown(char *buf, size_t size, int64_t ms);
/* Wall ms as UTC "2026-11-29 14:02Z"; "-" for 0. */
char *fmt_time(char *buf, size_t size, int64_t wall_ms);
/* Unix seconds as a UTC date "2027-03-01"; "-" for 0. */
char *fmt_date(char *buf, size_t size, int64_t unix_s);
/* The first n characters of an id, like a short git hash ("3f2a9c1e"); "-" for none. */
char *fmt_short(char *buf, size_t size, const char *id, size_t n);

#endif
