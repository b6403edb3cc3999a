/*
 * wsupport — headless screens and cell readback for the widget tests.
 */
#include "wsupport.h"

#include <limits.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

static SCREEN *screen;
static FILE *out, *in;

void wsupport_init(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        fail_msg("no C.UTF-8 locale");
    unsetenv("NO_COLOR");
    unsetenv("COLORTERM");
}

static void start(const char *term, int rows, int cols, bool colour)
{
    wsupport_stop();
    setenv("TERM", term, 1);
    out = fopen("/dev/null", "w");
    in = fopen("/dev/null", "r");
    assert_non_null(out);
    assert_non_null(in);
    screen = newterm(term, out, in);
    assert_non_null(screen);
    set_term(screen);
    resizeterm(rows, cols);
    if (colour && has_colors())
        start_color();
}

void wsupport_start(const char *term, int rows, int cols)
{
    start(term, rows, cols, true);
}

void wsupport_start_nocolor(const char *term, int rows, int cols)
{
    start(term, rows, cols, false);
}

void wsupport_stop(void)
{
    if (!screen)
        return;
    endwin();
    delscreen(screen);
    screen = NULL;
    fclose(out);
    fclose(in);
    out = in = NULL;
}

int wsupport_setup(void **state)
{
    (void)state;
    wsupport_start("xterm-256color", 24, 80);
    return 0;
}

int wsupport_teardown(void **state)
{
    (void)state;
    wsupport_stop();
    return 0;
}

/* The characters of one cell and its attributes; the columns it spans. */
static int cell(WINDOW *w, int y, int x, wchar_t *wch, attr_t *attrs)
{
    cchar_t cc;
    short pair = 0;
    int ext = 0;
    wch[0] = L'\0';
    *attrs = 0;
    if (mvwin_wch(w, y, x, &cc) == ERR)
        return 1;
    getcchar(&cc, wch, attrs, &pair, &ext);
    *attrs = (*attrs & ~A_COLOR) | COLOR_PAIR(ext ? ext : pair);
    int cw = wch[0] ? wcwidth(wch[0]) : 1;
    return cw > 1 ? cw : 1;
}

const char *wsupport_text(WINDOW *w, int y, int x, int n)
{
    static char buf[4096];
    size_t o = 0;
    for (int i = 0; i < n && o + 32 < sizeof buf;) {
        wchar_t wch[CCHARW_MAX + 1] = {0};
        attr_t a;
        int span = cell(w, y, x + i, wch, &a);
        for (int k = 0; k < CCHARW_MAX && wch[k]; k++) {
            mbstate_t ps;
            memset(&ps, 0, sizeof ps);
            size_t len = wcrtomb(buf + o, wch[k], &ps);
            if (len != (size_t)-1)
                o += len;
        }
        i += span;
    }
    buf[o] = '\0';
    return buf;
}

attr_t wsupport_attr(WINDOW *w, int y, int x)
{
    wchar_t wch[CCHARW_MAX + 1];
    attr_t a;
    cell(w, y, x, wch, &a);
    return a;
}

bool wsupport_attrs_are(WINDOW *w, int y, int x, int n, attr_t a)
{
    for (int i = 0; i < n; i++) {
        if (wsupport_attr(w, y, x + i) != a) {
            print_message("cell (%d,%d): attr %#lx, want %#lx\n", y, x + i,
                          (unsigned long)wsupport_attr(w, y, x + i), (unsigned long)a);
            return false;
        }
    }
    return true;
}

int wsupport_exit(int rc)
{
    wsupport_stop();
    return rc;
}
