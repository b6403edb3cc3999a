/*
 * frame — a box with a title on its top line: "┌─ Title ───── right ─┐".
 *
 * Draws the border only; the inside is the caller's. Lines are Unicode box
 * drawing, or "+-|" when the theme is in ASCII mode. When the top line is too
 * narrow the right text goes first, then the title is cut with the ellipsis.
 * A box reaching past the window's edges shrinks to fit inside them.
 * Never refreshes; nothing is kept after the call.
 */
#ifndef TDECTL_FRAME_H
#define TDECTL_FRAME_H

#include <stdbool.h>

#include <curses.h>

#include "theme.h"

/* Lines in THEME_BORDER and the title in THEME_TITLE; both in THEME_FOCUS
 * when focused. title and right may be NULL. */
void frame_draw(WINDOW *w, const struct theme *t, int y, int x, int h, int wd, const char *title,
                const char *right, bool focused);
/* The same box with the roles given (a dialog's body role, or crit). */
void frame_draw_roles(WINDOW *w, const struct theme *t, int y, int x, int h, int wd,
                      const char *title, const char *right, enum theme_role line,
                      enum theme_role title_role);

#endif
