/*
 * wsupport — headless ncurses for the widget tests (STYLE.md rule 12): a
 * real screen from newterm on /dev/null, and the cells read back.
 *
 * One screen at a time: wsupport_start replaces any running one. The strings
 * returned live in a static buffer until the next call.
 */
#ifndef TDECTL_WSUPPORT_H
#define TDECTL_WSUPPORT_H

#include <stdbool.h>

#include <curses.h>

/* C.UTF-8 and a clean colour environment (no NO_COLOR, no COLORTERM). */
void wsupport_init(void);
/* A screen of TERM term, rows x cols, start_color'ed when it has colours. */
void wsupport_start(const char *term, int rows, int cols);
/* The same without start_color (COLORS stays 0). */
void wsupport_start_nocolor(const char *term, int rows, int cols);
void wsupport_stop(void);
/* cmocka setup/teardown wrappers: xterm-256color, 24 x 80. */
int wsupport_setup(void **state);
int wsupport_teardown(void **state);

/* n cells of row y from x as UTF-8 (a wide character once). */
const char *wsupport_text(WINDOW *w, int y, int x, int n);
/* The attributes of one cell as theme_attr builds them: attrs | COLOR_PAIR. */
attr_t wsupport_attr(WINDOW *w, int y, int x);
/* True when each of n cells from (y, x) has attributes a. */
bool wsupport_attrs_are(WINDOW *w, int y, int x, int n, attr_t a);

/* Ends the program: frees what ncurses can and exits with rc. */
int wsupport_exit(int rc);

#endif
