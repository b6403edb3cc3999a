/*
 * textview — lines, wrapped rows and a scroll offset (see textview.h).
 *
 * Each line caches how many rows it wraps to at the last drawn width, so
 * scrolling and drawing walk counts, not text; a new width rewraps once.
 */
#include "textview.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wmem.h"
#include "wtext.h"

#define TABSTOP 8

struct tvline {
    char *text;
    size_t len;
    enum theme_role role;
    size_t rows; /* at tv->width (1 while it is 0) */
};

struct textview {
    struct tvline *lines;
    size_t n, cap;
    int width;    /* the wrap width of the cached rows; 0 before any draw */
    size_t total; /* wrapped rows in all */
    size_t top;   /* first wrapped row shown */
    int page;     /* rows shown at the last draw */
    bool follow;  /* keep the last row in view */
};

struct textview *textview_create(void)
{
    return wmem_calloc(1, sizeof(struct textview));
}

void textview_clear(struct textview *tv)
{
    if (!tv)
        return;
    for (size_t i = 0; i < tv->n; i++)
        free(tv->lines[i].text);
    tv->n = 0;
    tv->total = 0;
    tv->top = 0;
}

void textview_destroy(struct textview *tv)
{
    if (!tv)
        return;
    textview_clear(tv);
    free(tv->lines);
    free(tv);
}

static size_t count_rows(const char *s, size_t len, int width)
{
    if (width <= 0)
        return 1;
    size_t rows = 1, next, at = 0;
    for (;;) {
        wtext_wrap(s + at, len - at, width, &next);
        at += next;
        if (at >= len)
            return rows;
        rows++;
    }
}

/* s[0..len) with tabs expanded, as a new heap string. */
static char *expand_tabs(const char *s, size_t len, size_t *outlen)
{
    size_t tabs = 0;
    for (size_t i = 0; i < len; i++)
        tabs += s[i] == '\t';
    char *out = wmem_alloc(len + tabs * (TABSTOP - 1) + 1);
    size_t o = 0;
    int col = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '\t') {
            do
                out[o++] = ' ';
            while (++col % TABSTOP);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = wtext_decode(s + i, len - i, &cp);
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
        col += wtext_cpwidth(cp);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static void add_line(struct textview *tv, enum theme_role role, const char *s, size_t len)
{
    if (tv->n == tv->cap) {
        tv->cap = tv->cap ? tv->cap * 2 : 32;
        tv->lines = wmem_realloc(tv->lines, tv->cap, sizeof *tv->lines);
    }
    struct tvline *l = &tv->lines[tv->n++];
    l->text = expand_tabs(s, len, &l->len);
    l->role = (unsigned)role < THEME_NROLES ? role : THEME_NORMAL;
    l->rows = count_rows(l->text, l->len, tv->width);
    tv->total += l->rows;
}

void textview_add(struct textview *tv, enum theme_role role, const char *fmt, ...)
{
    if (!tv || !fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = wmem_vasprintf(fmt, ap);
    va_end(ap);
    size_t len = strlen(s);
    if (len && s[len - 1] == '\n')
        len--; /* "line\n" is one line, as printf habits write it */
    for (size_t at = 0;;) {
        const char *nl = memchr(s + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - s) : len;
        add_line(tv, role, s + at, end - at);
        if (!nl)
            break;
        at = end + 1;
    }
    free(s);
}

size_t textview_lines(const struct textview *tv)
{
    return tv ? tv->n : 0;
}

static size_t max_top(const struct textview *tv)
{
    size_t page = tv->page > 0 ? (size_t)tv->page : 1;
    return tv->total > page ? tv->total - page : 0;
}

void textview_scroll(struct textview *tv, long delta)
{
    if (!tv)
        return;
    size_t last = max_top(tv);
    if (delta < 0) {
        unsigned long d = (unsigned long)(-(delta + 1)) + 1;
        tv->follow = false;
        if (tv->top > last)
            tv->top = last;
        tv->top = d > tv->top ? 0 : tv->top - d;
    } else {
        size_t cur = tv->top < last ? tv->top : last;
        tv->top = (unsigned long)delta >= last - cur ? last : cur + (size_t)delta;
        tv->follow = tv->page > 0 && tv->top == last && last > 0;
    }
}

void textview_top(struct textview *tv)
{
    if (tv) {
        tv->top = 0;
        tv->follow = false;
    }
}

void textview_bottom(struct textview *tv)
{
    if (tv) {
        tv->top = max_top(tv);
        tv->follow = true;
    }
}

/* Recounts the rows for a new width, keeping the first line on screen there. */
static void rewrap(struct textview *tv, int width)
{
    size_t anchor = 0, row = 0;
    while (anchor < tv->n && row + tv->lines[anchor].rows <= tv->top)
        row += tv->lines[anchor++].rows;
    tv->width = width;
    tv->total = 0;
    tv->top = 0;
    for (size_t i = 0; i < tv->n; i++) {
        struct tvline *l = &tv->lines[i];
        l->rows = count_rows(l->text, l->len, width);
        if (i < anchor)
            tv->top += l->rows;
        tv->total += l->rows;
    }
}

/* Draws line l's rows from its row sub onwards, at most left rows; the rows drawn. */
static int draw_line(WINDOW *w, const struct theme *t, const struct tvline *l, size_t sub, int y,
                     int x, int wd, int left)
{
    attr_t a = theme_attr(t, l->role);
    size_t at = 0, row = 0;
    int drawn = 0;
    while (drawn < left) {
        size_t next, n = wtext_wrap(l->text + at, l->len - at, wd, &next);
        if (row++ >= sub) {
            int used = wtext_draw(w, y + drawn, x, l->text + at, n, wd, a, NULL);
            wtext_fill(w, y + drawn, x + used, wd - used, a);
            drawn++;
        }
        at += next;
        if (at >= l->len)
            break;
    }
    return drawn;
}

void textview_draw(struct textview *tv, WINDOW *w, const struct theme *t, int y, int x, int h,
                   int wd)
{
    if (!tv || !w)
        return;
    wd = wtext_clip(w, y, x, wd);
    if (h > getmaxy(w) - y)
        h = getmaxy(w) - y;
    if (wd <= 0 || h <= 0)
        return;
    if (wd != tv->width)
        rewrap(tv, wd);
    tv->page = h;
    if (tv->follow || tv->top > max_top(tv))
        tv->top = max_top(tv);
    size_t i = 0, row = 0;
    while (i < tv->n && row + tv->lines[i].rows <= tv->top)
        row += tv->lines[i++].rows;
    int drawn = 0;
    for (size_t sub = tv->top - row; i < tv->n && drawn < h; i++, sub = 0)
        drawn += draw_line(w, t, &tv->lines[i], sub, y + drawn, x, wd, h - drawn);
    for (; drawn < h; drawn++)
        wtext_fill(w, y + drawn, x, wd, theme_attr(t, THEME_NORMAL));
}

size_t textview_offset(const struct textview *tv)
{
    return tv ? tv->top : 0;
}

size_t textview_rows(const struct textview *tv)
{
    return tv ? tv->total : 0;
}
