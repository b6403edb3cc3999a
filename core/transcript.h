/*
 * transcript — a wizard run's journal (core/wizard, core/journal) as the
 * record an operator attaches to a change ticket: Markdown for people (a
 * summary table, the plan's steps with their REST calls, then a timeline of
 * every step, input, check, call with its request ids, note and end) and the
 * journal's JSON Lines beside it for tools.
 *
 * The journal is a file, so everything in it is treated as hostile: values are
 * escaped for Markdown (table pipes, backticks, emphasis, HTML), control
 * characters become spaces, invalid UTF-8 becomes '?', each value is cut at
 * TRANSCRIPT_VALUE_MAX bytes, and records of unknown type or wrong shape are
 * shown as JSON in a code span rather than refused. An input whose name says
 * it is a secret ("pass", "secret", "token") is shown as "(set)" and a query
 * parameter like it as "name=(set)", although the wizards never journal one.
 *
 * Ownership: everything returned is the caller's (free). The records stay the
 * caller's and are not changed. Errors: transcript_export returns 0, or -1
 * with *cause (when cause is not NULL) and errno (EEXIST: a transcript of this
 * run is already there; it is never overwritten).
 */
#ifndef TDECTL_TRANSCRIPT_H
#define TDECTL_TRANSCRIPT_H

#include <cjson/cJSON.h>

/* The longest value (in bytes of the journal's text) shown before it is cut with "…". */
#define TRANSCRIPT_VALUE_MAX 500

/*
 * Markdown for a change ticket from a loaded journal (records: journal_load's
 * array; NULL or anything else renders as an empty run). Never NULL (heap).
 */
char *transcript_markdown(const cJSON *records);

/*
 * Loads journal_path (core/journal_load's checks) and writes <out_dir>/<run>.md
 * and <out_dir>/<run>.jsonl (the records, one per line, as journaled), run being
 * the journal's file name without ".jsonl". Both are 0600 and written with
 * ATOMFILE_EXCL: an existing file is never replaced, and when the second
 * cannot be written the first is removed again. out_dir is made (0700) when
 * missing. *md and *jsonl (either may be NULL) get the paths (heap), or NULL.
 */
int transcript_export(const char *journal_path, const char *out_dir, char **md, char **jsonl,
                      char **cause);

#endif
