/*
 * practice — the demo's practice menu: the drills azsim can inject (a vault
 * outage, an expired key, revoked access, a private endpoint disconnected,
 * throttling ...), one started at a time, so an engineer can rehearse an
 * incident and watch the console react. The header names the active drill;
 * `c` in the menu (or `:practice clear`) clears it. Quitting clears it too.
 * Only offered with --demo: it drives azsim's control interface, never Azure.
 */
#ifndef TDECTL_PRACTICE_H
#define TDECTL_PRACTICE_H

#include <stddef.h>

#include "app.h"

void practice_open(struct app *a);
void practice_key(struct app *a, enum action act, int key);
void practice_draw(struct app *a, int y, int x, int h, int w);
/* `:practice [ID|clear]`; always true (handled, with a message). */
bool practice_command(struct app *a, const char *arg);
/* Drill ids (and "clear") for completion; how many were written to out. */
size_t practice_candidates(struct app *a, const char **out, size_t cap);

#endif
