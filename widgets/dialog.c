/*
 * dialog — modal box (see dialog.h).
 */
#include "dialog.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "wmem.h"
#include "wtext.h"

/* The widest a dialog grows; longer bodies wrap. */
#define DIALOG_MAX_INNER 64
#define DIALOG_MIN_INNER 24

struct dialog {
    char *title, *body;
    char **labels;
    size_t n, focus;
    int *bx; /* screen column of each button at the last draw; -1: not drawn */
    int by;  /* screen row of the buttons at the last draw; -1: not drawn */
};

struct dialog *dialog_create(const char *title, const char *body,
                             const struct dialog_button *buttons, size_t nbuttons,
                             size_t default_button)
{
    struct dialog *d = wmem_calloc(1, sizeof *d);
    if (!buttons)
        nbuttons = 0;
    d->title = wmem_strdup(title);
    d->body = wmem_strdup(body);
    d->labels = wmem_calloc(nbuttons, sizeof *d->labels);
    d->bx = wmem_calloc(nbuttons, sizeof *d->bx);
    for (size_t i = 0; i < nbuttons; i++) {
        d->labels[i] = wmem_strdup(buttons[i].label);
        d->bx[i] = -1;
    }
    d->n = nbuttons;
    d->focus = nbuttons == 0                ? SIZE_MAX
               : default_button >= nbuttons ? nbuttons - 1
                                            : default_button;
    d->by = -1;
    return d;
}

void dialog_destroy(struct dialog *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->labels[i]);
    free(d->labels);
    free(d->bx);
    free(d->title);
    free(d->body);
    free(d);
}

void dialog_focus_next(struct dialog *d, int dir)
{
    if (!d || d->n == 0 || dir == 0)
        return;
    d->focus = dir > 0 ? (d->focus + 1) % d->n : (d->focus + d->n - 1) % d->n;
}

size_t dialog_focused(const struct dialog *d)
{
    return d ? d->focus : SIZE_MAX;
}

/* Rows the body takes at width: each paragraph ('\n') wraps on its own. */
static int body_rows(const char *body, int width)
{
    int rows = 0;
    const char *p = body;
    for (;;) {
        size_t len = strcspn(p, "\n"), at = 0, next;
        do {
            wtext_wrap(p + at, len - at, width, &next);
            at += next;
            rows++;
        } while (at < len);
        if (!p[len])
            return rows;
        p += len + 1;
    }
}

/* The widest paragraph, to size the box to short bodies. */
static int body_width(const char *body)
{
    int widest = 0;
    for (const char *p = body;;) {
        size_t len = strcspn(p, "\n");
        int w = wtext_nwidth(p, len);
        widest = w > widest ? w : widest;
        if (!p[len])
            return widest;
        p += len + 1;
    }
}

static int buttons_width(const struct dialog *d)
{
    int w = 0;
    for (size_t i = 0; i < d->n; i++)
        w += wtext_width(d->labels[i]) + 4 + (i ? 1 : 0);
    return w;
}

/* Draws the body's first max rows at (y, x); the last ends in ell when cut. */
static void draw_body(const struct dialog *d, WINDOW *w, int y, int x, int inner, int max, attr_t a,
                      const char *ell)
{
    int row = 0, ew = wtext_width(ell);
    for (const char *p = d->body; row < max;) {
        size_t len = strcspn(p, "\n"), at = 0, next;
        do {
            size_t n = wtext_wrap(p + at, len - at, inner, &next);
            bool more = at + next < len || p[len];
            if (row == max - 1 && more) {
                int used = wtext_draw(w, y + row, x, p + at, wtext_fit(p + at, n, inner - ew, NULL),
                                      inner, a, NULL);
                wtext_put(w, y + row, x + used, ell, ew, a, NULL);
            } else {
                wtext_draw(w, y + row, x, p + at, n, inner, a, ell);
            }
            at += next;
            row++;
        } while (at < len && row < max);
        if (!p[len])
            return;
        p += len + 1;
    }
}

static void draw_buttons(struct dialog *d, WINDOW *w, const struct theme *t, int y, int x, int wd)
{
    int cx = x + (wd - buttons_width(d)) / 2;
    if (cx < x)
        cx = x;
    d->by = getbegy(w) + y;
    for (size_t i = 0; i < d->n; i++) {
        bool focused = i == d->focus;
        attr_t a = theme_attr(t, focused ? THEME_SELECTED : THEME_DIALOG);
        int room = x + wd - cx;
        if (room <= 0) {
            d->bx[i] = -1;
            continue;
        }
        d->bx[i] = getbegx(w) + cx;
        int used = wtext_put(w, y, cx, focused ? "[ " : "  ", room, a, NULL);
        used +=
            wtext_put(w, y, cx + used, d->labels[i], room - used - 2, a, theme_glyphs(t)->ellipsis);
        used += wtext_put(w, y, cx + used, focused ? " ]" : "  ", room - used, a, NULL);
        cx += used + 1;
    }
}

void dialog_draw(struct dialog *d, WINDOW *w, const struct theme *t, bool danger)
{
    if (!d || !w)
        return;
    int W = getmaxx(w), H = getmaxy(w);
    size_t tsize = strlen(d->title) + sizeof "DANGER: ";
    char *title = wmem_alloc(tsize);
    snprintf(title, tsize, "%s%s", danger ? "DANGER: " : "", d->title);
    int inner = body_width(d->body), bw = buttons_width(d), tw = wtext_width(title) + 4;
    inner = bw > inner ? bw : inner;
    inner = tw > inner ? tw : inner;
    inner = inner < DIALOG_MIN_INNER ? DIALOG_MIN_INNER : inner;
    inner = inner > DIALOG_MAX_INNER ? DIALOG_MAX_INNER : inner;
    if (inner > W - 4)
        inner = W - 4 > 1 ? W - 4 : 1;
    int rows = body_rows(d->body, inner), extra = d->n ? 5 : 4;
    if (rows + extra > H)
        rows = H - extra > 0 ? H - extra : 0;
    int bh = rows + extra, bwid = inner + 4;
    int y0 = (H - bh) / 2 > 0 ? (H - bh) / 2 : 0, x0 = (W - bwid) / 2 > 0 ? (W - bwid) / 2 : 0;
    attr_t a = theme_attr(t, THEME_DIALOG);
    for (int r = 0; r < bh; r++)
        wtext_fill(w, y0 + r, x0, bwid, a);
    enum theme_role line = danger ? THEME_CRIT : THEME_DIALOG;
    frame_draw_roles(w, t, y0, x0, bh, bwid, title, NULL, line, line);
    draw_body(d, w, y0 + 2, x0 + 2, inner, rows, a, theme_glyphs(t)->ellipsis);
    d->by = -1;
    if (d->n)
        draw_buttons(d, w, t, y0 + bh - 2, x0 + 2, inner);
    free(title);
}

long dialog_button_at(const struct dialog *d, int screen_y, int screen_x)
{
    if (!d || d->by < 0 || screen_y != d->by)
        return -1;
    for (size_t i = 0; i < d->n; i++) {
        int wd = wtext_width(d->labels[i]) + 4;
        if (d->bx[i] >= 0 && screen_x >= d->bx[i] && screen_x < d->bx[i] + wd)
            return (long)i;
    }
    return -1;
}
