/*
 * input — a one-line UTF-8 editor (the ':' command and '/' filter lines).
 *
 * The editor owns its text (at most max_bytes bytes, always valid UTF-8 and
 * free of control characters) and a cursor, a byte offset that only ever
 * sits on a code point boundary: every move and deletion is by code point.
 * Words are runs of non-spaces. It reads no keys: the console's keymap calls
 * these. An insertion that would break the rules (a control character,
 * invalid UTF-8, beyond max_bytes) is refused whole and changes nothing.
 *
 * input_draw scrolls the text sideways so the cursor always shows and never
 * refreshes; the console puts the terminal cursor where it says.
 */
#ifndef TDECTL_INPUT_H
#define TDECTL_INPUT_H

#include <stddef.h>

#include <curses.h>

#include "theme.h"

struct input *input_create(size_t max_bytes);
void input_destroy(struct input *in);
/* Replaces the text (control characters and invalid bytes dropped, cut at
 * max_bytes on a character boundary); the cursor goes to the end. */
void input_set(struct input *in, const char *text);
const char *input_text(const struct input *in);        /* borrowed until the next edit */
size_t input_cursor(const struct input *in);           /* byte offset */
void input_insert(struct input *in, const char *utf8); /* at the cursor */
void input_backspace(struct input *in);
void input_delete(struct input *in);
void input_left(struct input *in);
void input_right(struct input *in);
void input_home(struct input *in);
void input_end(struct input *in);
void input_word_left(struct input *in);  /* to the start of this or the previous word */
void input_word_right(struct input *in); /* to the end of this or the next word */
void input_kill_word(struct input *in);  /* Ctrl-W: the word before the cursor */
void input_kill_line(struct input *in);  /* Ctrl-U: to start */
void input_kill_end(struct input *in);   /* Ctrl-K */
/* Draws prompt + text in THEME_INPUT over wd columns, scrolled so the cursor
 * shows; returns the window column of the cursor (for wmove), or -1 when
 * nothing could be drawn. */
int input_draw(struct input *in, WINDOW *w, const struct theme *t, int y, int x, int wd,
               const char *prompt);

#endif
