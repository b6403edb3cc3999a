/*
 * wtext — UTF-8 by display columns (see wtext.h).
 */
#include "wtext.h"

#include <string.h>
#include <wchar.h>

/* Characters handed to ncurses per call. */
#define CHUNK 128

size_t wtext_decode(const char *s, size_t len, uint32_t *cp)
{
    *cp = WTEXT_BAD;
    if (len == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c = u[0], min;
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, c &= 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, c &= 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, c &= 0x07, min = 0x10000;
    else
        return 1;
    if (n > len)
        return 1;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 1;
        c = c << 6 | (u[i] & 0x3f);
    }
    /* Overlong forms and surrogates are not characters. */
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 1;
    *cp = c;
    return n;
}

/* The character drawn for cp and its width: '?' for anything unprintable. */
static wchar_t glyph(uint32_t cp, int *width)
{
    *width = 1;
    if (cp >= 0x20 && cp < 0x7f)
        return (wchar_t)cp; /* printable ASCII: the common case, no wcwidth */
    if (cp == WTEXT_BAD || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
        return L'?';
    int w = wcwidth((wchar_t)cp);
    if (w < 0)
        return L'?';
    *width = w;
    return (wchar_t)cp;
}

int wtext_cpwidth(uint32_t cp)
{
    int w;
    glyph(cp, &w);
    return w;
}

int wtext_nwidth(const char *s, size_t len)
{
    int cols = 0;
    for (size_t i = 0; s && i < len;) {
        uint32_t cp;
        i += wtext_decode(s + i, len - i, &cp);
        cols += wtext_cpwidth(cp);
    }
    return cols;
}

int wtext_width(const char *s)
{
    return s ? wtext_nwidth(s, strlen(s)) : 0;
}

size_t wtext_fit(const char *s, size_t len, int cols, int *used)
{
    size_t i = 0;
    int u = 0;
    while (s && i < len) {
        uint32_t cp;
        size_t n = wtext_decode(s + i, len - i, &cp);
        int cw = wtext_cpwidth(cp);
        if (u + cw > cols)
            break;
        u += cw;
        i += n;
    }
    if (used)
        *used = u;
    return i;
}

size_t wtext_wrap(const char *s, size_t len, int width, size_t *next)
{
    size_t i = 0, brk = 0;
    int cols = 0;
    bool prev_space = false;
    if (width < 1)
        width = 1;
    while (s && i < len) {
        uint32_t cp;
        size_t n = wtext_decode(s + i, len - i, &cp);
        int cw = wtext_cpwidth(cp);
        if (cp == ' ' && !prev_space)
            brk = i; /* a row may end before this run of spaces */
        prev_space = cp == ' ';
        if (cols + cw > width) {
            size_t end = cp == ' ' ? i : brk > 0 ? brk : i > 0 ? i : n;
            size_t nx = end;
            while (nx < len && s[nx] == ' ')
                nx++;
            *next = nx;
            return end;
        }
        cols += cw;
        i += n;
    }
    *next = len;
    return len;
}

int wtext_clip(WINDOW *w, int y, int x, int cols)
{
    if (!w || y < 0 || x < 0 || y >= getmaxy(w) || x >= getmaxx(w) || cols <= 0)
        return 0;
    int room = getmaxx(w) - x;
    return cols < room ? cols : room;
}

/* Puts s[0..len) at (y, x) in the window's current attributes; the columns. */
static int emit(WINDOW *w, int y, int x, const char *s, size_t len)
{
    wchar_t buf[CHUNK];
    int n = 0, cols = 0;
    bool base = false;
    wmove(w, y, x);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int cw;
        i += wtext_decode(s + i, len - i, &cp);
        wchar_t wc = glyph(cp, &cw);
        if (cw == 0 && !base)
            continue; /* a combining mark with nothing here to sit on */
        base = base || cw > 0;
        buf[n++] = wc;
        cols += cw;
        if (n == CHUNK) {
            waddnwstr(w, buf, n);
            n = 0;
        }
    }
    if (n)
        waddnwstr(w, buf, n);
    return cols;
}

/* wtext_draw after clipping, in the window's current attributes. */
static int draw_in(WINDOW *w, int y, int x, const char *s, size_t len, int cols,
                   const char *ellipsis)
{
    int used;
    size_t fit = wtext_fit(s, len, cols, &used);
    if (fit == len)
        return emit(w, y, x, s, len);
    const char *ell = ellipsis ? ellipsis : "";
    int ew = wtext_width(ell);
    if (ew >= cols) /* no room for any text: as much of the ellipsis as fits */
        return emit(w, y, x, ell, wtext_fit(ell, strlen(ell), cols, NULL));
    fit = wtext_fit(s, len, cols - ew, &used);
    emit(w, y, x, s, fit);
    return used + emit(w, y, x + used, ell, strlen(ell));
}

int wtext_draw(WINDOW *w, int y, int x, const char *s, size_t len, int cols, attr_t attr,
               const char *ellipsis)
{
    cols = wtext_clip(w, y, x, cols);
    if (cols == 0 || !s)
        return 0;
    /* The window's attributes are left as they were found. */
    int saved = getattrs(w);
    wattrset(w, attr);
    int used = draw_in(w, y, x, s, len, cols, ellipsis);
    wattrset(w, saved);
    return used;
}

int wtext_put(WINDOW *w, int y, int x, const char *s, int cols, attr_t attr, const char *ellipsis)
{
    return s ? wtext_draw(w, y, x, s, strlen(s), cols, attr, ellipsis) : 0;
}

void wtext_fill(WINDOW *w, int y, int x, int cols, attr_t attr)
{
    cols = wtext_clip(w, y, x, cols);
    if (cols == 0)
        return;
    wchar_t spaces[CHUNK];
    for (int i = 0; i < CHUNK; i++)
        spaces[i] = L' ';
    int saved = getattrs(w);
    wattrset(w, attr);
    wmove(w, y, x);
    for (int left = cols; left > 0; left -= CHUNK)
        waddnwstr(w, spaces, left < CHUNK ? left : CHUNK);
    wattrset(w, saved);
}

void wtext_field(WINDOW *w, int y, int x, const char *s, int cols, attr_t attr,
                 const char *ellipsis, bool right)
{
    cols = wtext_clip(w, y, x, cols);
    if (cols == 0)
        return;
    int tw = s ? wtext_width(s) : 0;
    int pad = right && tw < cols ? cols - tw : 0;
    wtext_fill(w, y, x, pad, attr);
    int used = wtext_put(w, y, x + pad, s, cols - pad, attr, ellipsis);
    wtext_fill(w, y, x + pad + used, cols - pad - used, attr);
}
