/*
 * dialog — a modal box centred in a window: title, wrapped body, buttons.
 *
 * The dialog owns copies of its title, body and labels. It reads no keys:
 * the console moves the focus (Tab, arrows) and acts on dialog_focused when
 * Enter is pressed; Esc is the console's "cancel". The focus starts on the
 * default button (the safe one: dialogs default to No, tui-anchors C6).
 *
 * Drawing erases the box in THEME_DIALOG and draws the border and title in
 * it too; with danger the border and title are THEME_CRIT and the title
 * carries the word "DANGER", so the state is never colour alone. The body
 * wraps at word boundaries ('\n' starts a new paragraph); a body too tall for
 * the window is cut, its last row ending in the ellipsis. The focused button
 * is "[ Label ]" in THEME_SELECTED, the others "  Label  ". Never refreshes.
 */
#ifndef TDECTL_DIALOG_H
#define TDECTL_DIALOG_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "theme.h"

struct dialog_button {
    const char *label;
}; /* e.g. "Cancel", "Quit" */

/* default_button beyond the last is clamped to it; no buttons: focus SIZE_MAX. */
struct dialog *dialog_create(const char *title, const char *body,
                             const struct dialog_button *buttons, size_t nbuttons,
                             size_t default_button);
void dialog_destroy(struct dialog *d);
void dialog_focus_next(struct dialog *d, int dir); /* Tab / arrows; wraps around */
size_t dialog_focused(const struct dialog *d);
/* Centred in w; danger: CRIT role AND the text label. */
void dialog_draw(struct dialog *d, WINDOW *w, const struct theme *t, bool danger);
/* The button under screen cell (screen_y, screen_x) at the last draw, or -1. */
long dialog_button_at(const struct dialog *d, int screen_y, int screen_x);

#endif
