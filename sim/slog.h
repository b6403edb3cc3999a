/*
 * slog — azsim's log, one line per event on stderr.
 *
 * Lines are written with a single write(2) so concurrent server threads never
 * interleave within a line. Never pass a token, secret, key material or a
 * request body to these functions: the log is meant to be pasted into bug
 * reports.
 */
#ifndef AZSIM_SLOG_H
#define AZSIM_SLOG_H

enum slog_level { SLOG_ERROR, SLOG_WARN, SLOG_INFO, SLOG_DEBUG };

void slog_set_level(enum slog_level level);
int slog_enabled(enum slog_level level);
void slog(enum slog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
