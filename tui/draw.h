/*
 * draw — the terminal: setting it up and giving it back, and painting one
 * frame (header with estate, mode badge, data age, findings and the
 * Inaccessible clock; the tab line; the current view; the footer of key
 * hints or the line being edited; the overlay in front). One werase, the
 * whole frame into stdscr, one wnoutrefresh and one doupdate: ncurses sends
 * only the cells that changed. Also the mouse (opt-in), theme switching and
 * the OSC 52 clipboard.
 */
#ifndef TDECTL_DRAW_H
#define TDECTL_DRAW_H

#include "app.h"

/* Raw mode, no echo, keypad, colours (the theme at the terminal's depth); -1 with *cause. */
int draw_init(struct app *a, char **cause);
void draw_end(struct app *a);
void draw_frame(struct app *a);
/* Rebuilds the help overlay's text from the live keymap. */
void draw_help_build(struct app *a);
/* A KEY_MOUSE arrived. */
void draw_mouse(struct app *a);
/* Loads and applies another theme; -1 with *cause (the old one stays). */
int draw_switch_theme(struct app *a, const char *name, char **cause);

#endif
