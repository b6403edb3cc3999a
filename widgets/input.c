/*
 * input — one-line editor (see input.h).
 */
#include "input.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wmem.h"
#include "wtext.h"

struct input {
    char *buf; /* max + 1 bytes, NUL-terminated */
    size_t len, cur, max;
    size_t scroll; /* first byte shown at the last draw */
};

static bool allowed(uint32_t cp)
{
    return cp != WTEXT_BAD && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0);
}

struct input *input_create(size_t max_bytes)
{
    struct input *in = wmem_calloc(1, sizeof *in);
    if (max_bytes == SIZE_MAX)
        max_bytes--;
    in->max = max_bytes;
    in->buf = wmem_calloc(max_bytes + 1, 1);
    return in;
}

void input_destroy(struct input *in)
{
    if (!in)
        return;
    free(in->buf);
    free(in);
}

void input_set(struct input *in, const char *text)
{
    if (!in)
        return;
    size_t o = 0, len = text ? strlen(text) : 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = wtext_decode(text + i, len - i, &cp);
        if (allowed(cp)) {
            if (o + n > in->max)
                break;
            memcpy(in->buf + o, text + i, n);
            o += n;
        }
        i += n;
    }
    in->buf[o] = '\0';
    in->len = in->cur = o;
    in->scroll = 0;
}

const char *input_text(const struct input *in)
{
    return in ? in->buf : "";
}

size_t input_cursor(const struct input *in)
{
    return in ? in->cur : 0;
}

void input_insert(struct input *in, const char *utf8)
{
    if (!in || !utf8)
        return;
    size_t n = strlen(utf8);
    if (n == 0 || n > in->max - in->len)
        return;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += wtext_decode(utf8 + i, n - i, &cp);
        if (!allowed(cp))
            return;
    }
    memmove(in->buf + in->cur + n, in->buf + in->cur, in->len - in->cur + 1);
    memcpy(in->buf + in->cur, utf8, n);
    in->len += n;
    in->cur += n;
}

/* The start of the code point before pos (the text is valid UTF-8). */
static size_t prev_cp(const struct input *in, size_t pos)
{
    while (pos > 0 && ((unsigned char)in->buf[--pos] & 0xc0) == 0x80)
        ;
    return pos;
}

static size_t next_cp(const struct input *in, size_t pos)
{
    uint32_t cp;
    return pos + wtext_decode(in->buf + pos, in->len - pos, &cp);
}

/* Removes [from, to); the cursor goes to from. */
static void cut(struct input *in, size_t from, size_t to)
{
    if (from >= to)
        return;
    memmove(in->buf + from, in->buf + to, in->len - to + 1);
    in->len -= to - from;
    in->cur = from;
}

void input_backspace(struct input *in)
{
    if (in && in->cur > 0)
        cut(in, prev_cp(in, in->cur), in->cur);
}

void input_delete(struct input *in)
{
    if (in && in->cur < in->len)
        cut(in, in->cur, next_cp(in, in->cur));
}

void input_left(struct input *in)
{
    if (in)
        in->cur = prev_cp(in, in->cur);
}

void input_right(struct input *in)
{
    if (in && in->cur < in->len)
        in->cur = next_cp(in, in->cur);
}

void input_home(struct input *in)
{
    if (in)
        in->cur = 0;
}

void input_end(struct input *in)
{
    if (in)
        in->cur = in->len;
}

static size_t word_start(const struct input *in)
{
    size_t pos = in->cur;
    while (pos > 0 && in->buf[pos - 1] == ' ')
        pos--;
    while (pos > 0 && in->buf[pos - 1] != ' ')
        pos = prev_cp(in, pos);
    return pos;
}

void input_word_left(struct input *in)
{
    if (in)
        in->cur = word_start(in);
}

void input_word_right(struct input *in)
{
    if (!in)
        return;
    while (in->cur < in->len && in->buf[in->cur] == ' ')
        in->cur++;
    while (in->cur < in->len && in->buf[in->cur] != ' ')
        in->cur = next_cp(in, in->cur);
}

void input_kill_word(struct input *in)
{
    if (in)
        cut(in, word_start(in), in->cur);
}

void input_kill_line(struct input *in)
{
    if (in)
        cut(in, 0, in->cur);
}

void input_kill_end(struct input *in)
{
    if (in)
        cut(in, in->cur, in->len);
}

/* The first byte to show so the cursor fits in avail columns (one of them its
 * own), moving the old one only as far as needed. */
static size_t scroll_for(const struct input *in, int avail)
{
    size_t scroll = in->scroll < in->cur ? in->scroll : in->cur;
    size_t p = in->cur;
    int cols = 0;
    while (p > 0) {
        size_t q = prev_cp(in, p);
        int cw = wtext_nwidth(in->buf + q, p - q);
        if (cols + cw > avail - 1)
            break;
        cols += cw;
        p = q;
    }
    if (scroll < p)
        scroll = p;
    /* Text deleted: bring back what fits on the left. */
    while (scroll > 0) {
        size_t q = prev_cp(in, scroll);
        if (wtext_nwidth(in->buf + q, in->len - q) > avail - 1)
            break;
        scroll = q;
    }
    return scroll;
}

int input_draw(struct input *in, WINDOW *w, const struct theme *t, int y, int x, int wd,
               const char *prompt)
{
    wd = wtext_clip(w, y, x, wd);
    if (!in || wd <= 0)
        return -1;
    attr_t a = theme_attr(t, THEME_INPUT);
    int pw = wtext_put(w, y, x, prompt, wd - 1, a, theme_glyphs(t)->ellipsis);
    int avail = wd - pw;
    in->scroll = scroll_for(in, avail);
    int used = wtext_draw(w, y, x + pw, in->buf + in->scroll, in->len - in->scroll, avail, a, NULL);
    wtext_fill(w, y, x + pw + used, avail - used, a);
    return x + pw + wtext_nwidth(in->buf + in->scroll, in->cur - in->scroll);
}
