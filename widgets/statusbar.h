/*
 * statusbar — the footer line of key hints ("?:help  /:filter ...") with a
 * right-aligned text (a status, a clock, a badge).
 *
 * Each hint is its key in THEME_HINTKEY then ":label" in THEME_HINT, two
 * spaces apart; hints are drawn left to right while they fit whole, and the
 * rest are left out rather than cut. The right text comes first: it is cut
 * (with the ellipsis) only when wider than the whole line. Nothing is kept;
 * never refreshes.
 */
#ifndef TDECTL_STATUSBAR_H
#define TDECTL_STATUSBAR_H

#include <stddef.h>

#include <curses.h>

#include "theme.h"

struct statusbar_hint {
    const char *key;
    const char *label;
};

/* Hints left to right, as many as fit; right (may be NULL) right-aligned in
 * right_role. Returns nothing; the line is wd columns wide from (y, x). */
void statusbar_draw(WINDOW *w, const struct theme *t, int y, int x, int wd,
                    const struct statusbar_hint *hints, size_t n, const char *right,
                    enum theme_role right_role);
/* How many of the hints statusbar_draw would show with right beside them. */
size_t statusbar_fit(const struct statusbar_hint *hints, size_t n, const char *right, int wd);

#endif
