/*
 * textsafe — text from the network made safe to print and to put in JSON.
 *
 * Azure's answers are data, not terminal input: a name, an enum value or an
 * error message may hold control characters (ESC starts a sequence that clears
 * the screen, sets the window title or writes the clipboard), bidi controls
 * that reorder a line, or bytes that are not UTF-8 (which make a JSON document
 * invalid). textsafe_copy turns every C0 control (line breaks and tabs too),
 * DEL, C1 control, line/paragraph separator and bidi control into a space and
 * every byte that does not start a valid UTF-8 sequence (overlong forms,
 * surrogates, code points past U+10FFFF, truncated sequences) into '?'. Clean
 * text comes out unchanged.
 *
 * Lifetimes: textsafe_copy returns heap memory for free() (NULL for NULL).
 */
#ifndef TDECTL_TEXTSAFE_H
#define TDECTL_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s (not NULL) holds nothing textsafe_copy would change. */
bool textsafe_clean(const char *s);
/* A copy of s with every unsafe character replaced as above; NULL for NULL. */
char *textsafe_copy(const char *s);

/*
 * The pieces, for cleaners with other rules (azerr's caps and trims): the length
 * of the valid UTF-8 sequence at s and its code point, or 0 when it is not one
 * (overlong forms, surrogates, values past U+10FFFF; the terminating NUL ends a
 * truncated sequence); and whether a code point is one a terminal acts on or
 * that reorders text (C0, DEL, C1, line/paragraph separators, bidi controls).
 */
size_t textsafe_utf8_seq(const unsigned char *s, uint32_t *cp);
bool textsafe_unsafe(uint32_t cp);

#endif
