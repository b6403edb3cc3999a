/*
 * audit — the audit log: audit.jsonl in the state folder, one JSON object per
 * line, {"time": RFC 3339 UTC, then the caller's fields}, recording what the
 * wizards changed in Azure and when.
 *
 * Each record is one write() on an O_APPEND descriptor, fsync'd before
 * audit_append returns, so lines from two processes never interleave and a
 * crash can only tear the last line; the next append starts on a new line so
 * a torn one never swallows it. The file is created 0600 (and tightened to
 * 0600 if it is ours and others could read it); a symlink, or anything but a
 * regular file, in its place is refused.
 *
 * Ownership: the record stays the caller's and is not changed.
 * Errors: 0, or -1 with *cause (when cause is not NULL).
 */
#ifndef TDECTL_AUDIT_H
#define TDECTL_AUDIT_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* Appends record (a JSON object without a "time" member) as of wall_seconds (Unix seconds). */
int audit_append(const char *path, const cJSON *record, int64_t wall_seconds, char **cause);

#endif
