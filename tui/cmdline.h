/*
 * cmdline — what the `:` line keeps between uses, on libedit: the history
 * (libedit's History: Up/Down walk it, saved in the state dir, 500 lines,
 * no consecutive duplicates), splitting a line into words (libedit's
 * Tokenizer: quotes and backslashes as a shell does) and completing the word
 * at the end of the line from a list of candidates (the longest common
 * prefix; the candidates when there is no single one).
 *
 * The line itself is edited by the input widget inside the ncurses screen:
 * libedit's own editor (el_gets) reads the terminal directly, which would
 * fight ncurses for it.
 *
 * History file: written atomically (a 0600 temporary file renamed over it).
 * A history that cannot be read or written costs only the history; the
 * failure is returned as a cause for the status line.
 *
 * Ownership: struct cmdline is opaque (create/destroy); strings returned are
 * borrowed until the next call on it unless said otherwise.
 */
#ifndef TDECTL_CMDLINE_H
#define TDECTL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

struct cmdline;

/* history_path NULL: no file. *cause (may be NULL) when an existing history could not be read. */
struct cmdline *cmdline_create(const char *history_path, char **cause);
void cmdline_destroy(struct cmdline *c);

/* Remembers a line (and saves the file); 0 or -1 with *cause. */
int cmdline_add(struct cmdline *c, const char *line, char **cause);
/* Walks the history: older (dir < 0) or newer (dir > 0); NULL past either end (newer: back to "").
 */
const char *cmdline_history(struct cmdline *c, int dir);
/* Forget the walk position (a new line is being edited). */
void cmdline_history_reset(struct cmdline *c);
size_t cmdline_history_size(const struct cmdline *c);

/* Splits line into words (heap array of heap strings, NULL-terminated); NULL on unbalanced quotes.
 */
char **cmdline_split(struct cmdline *c, const char *line, size_t *argc);
void cmdline_free_words(char **words);

/*
 * Completes the last word of line (everything after the last space) from
 * cands[0..n): returns the new line (heap) when it grew, else NULL; *listing
 * (heap, may be NULL) gets the candidates that still match, space-separated,
 * when more than one does.
 */
char *cmdline_complete(const char *line, const char *const *cands, size_t n, char **listing);

#endif
