/*
 * wtext — UTF-8 text measured, cut, wrapped and drawn by display columns, for
 * every widget (the one place that knows about wcwidth).
 *
 * Text is taken as UTF-8 whatever the locale. A byte that is not valid UTF-8,
 * a control character, or a character wcwidth cannot size in the current
 * locale counts one column and is drawn as '?', so hostile text can neither
 * move the cursor nor break a layout. Cutting never splits a character.
 *
 * Drawing clips to the window and never refreshes. Nothing here allocates;
 * all strings are borrowed for the call.
 */
#ifndef TDECTL_WTEXT_H
#define TDECTL_WTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

/* What wtext_decode gives for a byte that is not valid UTF-8. */
#define WTEXT_BAD 0xffffffffu

/* Decodes the code point at s[0..len): the bytes it takes (1 for an invalid
 * byte, which gives WTEXT_BAD; 0 only when len is 0). */
size_t wtext_decode(const char *s, size_t len, uint32_t *cp);
/* The columns a code point takes as drawn here: 0 (combining), 1 or 2. */
int wtext_cpwidth(uint32_t cp);
/* Columns of a string (NULL is 0) and of s[0..len). */
int wtext_width(const char *s);
int wtext_nwidth(const char *s, size_t len);
/* Bytes of the longest prefix of s[0..len) within cols columns; *used (may be
 * NULL) gets its width. */
size_t wtext_fit(const char *s, size_t len, int cols, int *used);
/* The bytes of the first row of s[0..len) wrapped to width: broken after the
 * last word that fits, or inside a word longer than the row (at least one
 * character, so it always advances). *next is where the next row starts, the
 * spaces at the break skipped; len when this is the last row. */
size_t wtext_wrap(const char *s, size_t len, int width, size_t *next);

/* Columns left for drawing cols at (y, x) in w: 0 when (y, x) is outside. */
int wtext_clip(WINDOW *w, int y, int x, int cols);
/* Draws s[0..len) at (y, x) in attr within cols columns; text too wide is cut
 * and ends in ellipsis (NULL: none). Returns the columns drawn. */
int wtext_draw(WINDOW *w, int y, int x, const char *s, size_t len, int cols, attr_t attr,
               const char *ellipsis);
/* wtext_draw for a NUL-terminated string (NULL draws nothing). */
int wtext_put(WINDOW *w, int y, int x, const char *s, int cols, attr_t attr, const char *ellipsis);
/* Fills cols columns at (y, x) with spaces in attr. */
void wtext_fill(WINDOW *w, int y, int x, int cols, attr_t attr);
/* Exactly cols columns: s cut with ellipsis or padded with spaces, aligned
 * right when right is true. */
void wtext_field(WINDOW *w, int y, int x, const char *s, int cols, attr_t attr,
                 const char *ellipsis, bool right);

#endif
