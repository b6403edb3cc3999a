/*
 * frame — box and title line (see frame.h).
 */
#include "frame.h"

#include <string.h>

#include "wtext.h"

struct lines {
    const char *h, *v, *tl, *tr, *bl, *br;
};

static const struct lines unicode_lines = {"─", "│", "┌", "┐", "└", "┘"};
static const struct lines ascii_lines = {"-", "|", "+", "+", "+", "+"};

/* n copies of a one-column glyph from (y, x). */
static void repeat(WINDOW *w, int y, int x, int n, const char *g, attr_t a)
{
    for (int i = 0; i < n; i++)
        wtext_put(w, y, x + i, g, 1, a, NULL);
}

/* "─ Title ──── right ─" between the corners, in inner columns from x. */
static void top_line(WINDOW *w, const struct theme *t, int y, int x, int inner, const char *title,
                     const char *right, attr_t la, attr_t ta, const struct lines *l)
{
    const char *ell = theme_glyphs(t)->ellipsis;
    int tw = title && *title ? wtext_width(title) : 0;
    int rw = right && *right ? wtext_width(right) : 0;
    /* "─ " + title + " " needs tw + 3; " " + right + " ─" needs rw + 3. */
    if (rw && tw + 3 + rw + 3 > inner)
        rw = 0;
    int room = inner - 3 - (rw ? rw + 3 : 0);
    int cx = x;
    if (tw && room > 0) {
        repeat(w, y, cx++, 1, l->h, la);
        wtext_fill(w, y, cx++, 1, la);
        cx += wtext_put(w, y, cx, title, room, ta, ell);
        wtext_fill(w, y, cx++, 1, la);
    }
    int fill = x + inner - cx - (rw ? rw + 3 : 0);
    repeat(w, y, cx, fill, l->h, la);
    cx += fill > 0 ? fill : 0;
    if (rw) {
        wtext_fill(w, y, cx++, 1, la);
        cx += wtext_put(w, y, cx, right, rw, la, ell);
        wtext_fill(w, y, cx++, 1, la);
        repeat(w, y, cx, 1, l->h, la);
    }
}

void frame_draw_roles(WINDOW *w, const struct theme *t, int y, int x, int h, int wd,
                      const char *title, const char *right, enum theme_role line,
                      enum theme_role title_role)
{
    wd = wtext_clip(w, y, x, wd);
    if (!w || wd < 2 || h < 1)
        return;
    if (h > getmaxy(w) - y)
        h = getmaxy(w) - y;
    const struct lines *l = theme_ascii(t) ? &ascii_lines : &unicode_lines;
    attr_t la = theme_attr(t, line), ta = theme_attr(t, title_role);
    repeat(w, y, x, 1, l->tl, la);
    top_line(w, t, y, x + 1, wd - 2, title, right, la, ta, l);
    repeat(w, y, x + wd - 1, 1, l->tr, la);
    for (int r = 1; r < h - 1; r++) {
        repeat(w, y + r, x, 1, l->v, la);
        repeat(w, y + r, x + wd - 1, 1, l->v, la);
    }
    if (h >= 2) {
        repeat(w, y + h - 1, x, 1, l->bl, la);
        repeat(w, y + h - 1, x + 1, wd - 2, l->h, la);
        repeat(w, y + h - 1, x + wd - 1, 1, l->br, la);
    }
}

void frame_draw(WINDOW *w, const struct theme *t, int y, int x, int h, int wd, const char *title,
                const char *right, bool focused)
{
    frame_draw_roles(w, t, y, x, h, wd, title, right, focused ? THEME_FOCUS : THEME_BORDER,
                     focused ? THEME_FOCUS : THEME_TITLE);
}
