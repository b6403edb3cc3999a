/*
 * journal — an append-only JSON Lines journal, one file per wizard run, so a
 * run killed at any step can be read back and resumed or explained.
 *
 * Each line is one JSON object: {"seq": 1, 2, ..., "time": RFC 3339 UTC,
 * then the caller's fields}. A line is written with one write() on an
 * O_APPEND descriptor and fsync'd before journal_append returns, so a crash
 * can only leave the last line torn (cut short, or zero-filled by the file
 * system). Loading drops such a last line and says so in a note; reopening
 * truncates it away so later lines follow the last good one. Anything else
 * wrong (bad JSON, a non-object, a seq out of order, a NUL byte, an empty
 * line) is not a crash: the whole file is refused with a cause naming the
 * path and the line number, and it is never written to.
 *
 * Files: DIR/KIND-yyyymmddThhmmssZ-xxxxxxxx.jsonl (UTC creation time, 8 random
 * hex digits), 0600, in a folder made 0700. An open journal holds an
 * exclusive flock, so two tdectl processes cannot append to one journal.
 *
 * Ownership: struct journal is opaque heap (create/open .. close). Records
 * passed in stay the caller's and are not changed. Everything returned through
 * out-parameters is the caller's (free; cJSON_Delete for the records array).
 * Errors: 0, or -1 with *cause (when cause is not NULL).
 */
#ifndef TDECTL_JOURNAL_H
#define TDECTL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A journal larger than this is refused by journal_load (and never grown past it). */
#define JOURNAL_MAX_BYTES (16 * 1024 * 1024)
/* A kind is 1..JOURNAL_KIND_MAX of [A-Za-z0-9_-] ("rotate", "key-backup"). */
#define JOURNAL_KIND_MAX 64

struct journal;

/* Creates a new empty journal of kind in dir (made 0700 if missing); *path_out (heap) its path. */
int journal_create(const char *dir, const char *kind, struct journal **out, char **path_out,
                   char **cause);
/*
 * Opens an existing journal to append: the same checks as journal_load; a
 * torn last line is truncated away. Appends continue after the last seq.
 */
int journal_open(const char *path, struct journal **out, char **cause);
/*
 * Appends record (a JSON object without "seq" or "time" members) as the next
 * line, with "seq" and "time" (wall_seconds, Unix seconds, as
 * yyyy-mm-ddThh:mm:ssZ) first. After a failed write the file is cut back to
 * the last good line; if even that fails, every later append is refused.
 */
int journal_append(struct journal *j, const cJSON *record, int64_t wall_seconds, char **cause);
/* The seq of the last line written or loaded (0: none yet). */
int64_t journal_seq(const struct journal *j);
/* Closes (NULL allowed). */
void journal_close(struct journal *j);

/*
 * Reads and checks a journal whole (at most JOURNAL_MAX_BYTES). *records
 * gets a cJSON array of the line objects, in order. *note (heap, or NULL;
 * note may be NULL) says when a torn last line was dropped.
 */
int journal_load(const char *path, cJSON **records, char **note, char **cause);
/*
 * journal_load's checks on text already in memory (len bytes, no NUL needed;
 * more than JOURNAL_MAX_BYTES is refused): origin names it in causes and the note.
 */
int journal_parse(const char *text, size_t len, const char *origin, cJSON **records, char **note,
                  char **cause);
/*
 * The journals of kind in dir (names KIND-yyyymmddThhmmssZ-xxxxxxxx.jsonl
 * exactly; other files, and those of other kinds, are skipped), newest first
 * by the time in the name, then by name descending. *paths is a heap array of
 * heap paths (free each, then the array); a missing dir gives none.
 */
int journal_list(const char *dir, const char *kind, char ***paths, size_t *n, char **cause);

/*
 * One line's text: {"seq": seq (left out when 0), "time": ..., record's
 * members...} and a newline (heap, *len bytes). Shared with audit.
 */
char *journal_line(const cJSON *record, int64_t seq, int64_t wall_seconds, size_t *len,
                   char **cause);

#endif
