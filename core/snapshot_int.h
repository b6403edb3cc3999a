/*
 * snapshot_int — what snapshot.c and snapshot_codec.c share. Not for use
 * outside them.
 *
 * snapshot_codec.c turns the model into JSON members and back, walking one
 * set of tables (so writer and reader cannot drift apart); snapshot.c owns the
 * file: the header, limits, the model's invariants, atomic saving.
 */
#ifndef TDECTL_SNAPSHOT_INT_H
#define TDECTL_SNAPSHOT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "model.h"

/* Integers beyond 2^53 lose digits as JSON numbers: the file holds none. */
#define SNAPSHOT_EXACT_MAX   9007199254740992.0
#define SNAPSHOT_EXACT_MAX_I INT64_C(9007199254740992)

/* Where a read is ("vaults[2].keys[0].name") and the first thing wrong. */
struct snapshot_reader {
    char path[256];
    size_t len;
    enum core_err err; /* CORE_ERR_PARSE unless set before the first failure */
    char *cause;       /* "PATH: message", the first failure only (heap) */
};

/* Records the first failure at the current path; always -1. */
int snapshot_bad(struct snapshot_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends to the path; returns what snapshot_pop restores. */
size_t snapshot_push(struct snapshot_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same for ".name" (no dot first) and "[i]", without printf. */
size_t snapshot_push_name(struct snapshot_reader *r, const char *name);
size_t snapshot_push_index(struct snapshot_reader *r, size_t i);
void snapshot_pop(struct snapshot_reader *r, size_t saved);
/* "a string", "a number", "null", ... for messages. */
const char *snapshot_json_kind(const cJSON *j);
/* A name from the file, printable and cut to 64 characters, in buf. */
const char *snapshot_shown(const char *s, char buf[68]);
/* A whole number in min..max, or -1 with the reason recorded. */
int snapshot_integer(struct snapshot_reader *r, const cJSON *j, double min, double max,
                     double *out);

/* Adds every entity of m to root; *bad names a field the file cannot hold, or stays NULL. */
void snapshot_write_model(cJSON *root, const struct model *m, const char **bad);
/* Reads root's members (all of them: the header removed) into the empty model m. */
int snapshot_read_model(const cJSON *root, struct model *m, struct snapshot_reader *r);

#endif
