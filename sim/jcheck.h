/*
 * jcheck — reading hand-written JSON (scenario files, azsim's own state) with
 * errors that say where and why: "vaults[1].keys[0].versions[2].exp: expected
 * Unix seconds or a time such as \"now+90d\"".
 *
 * A struct jcheck keeps the current path while a reader descends. Every
 * getter treats a missing optional field as "leave *out alone", a missing
 * required one or a wrong type as an error; the first error wins and is kept
 * in jc->cause (heap, freed by jcheck_cleanup).
 */
#ifndef AZSIM_JCHECK_H
#define AZSIM_JCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JCHECK_DEPTH 16

struct jcheck {
    char path[512];
    size_t marks[JCHECK_DEPTH];
    int depth;
    int64_t now; /* reference for relative times ("now-30d") */
    char *cause;
};

void jcheck_init(struct jcheck *jc, int64_t now);
void jcheck_cleanup(struct jcheck *jc);

void jcheck_push(struct jcheck *jc, const char *field);
void jcheck_push_index(struct jcheck *jc, size_t index);
void jcheck_pop(struct jcheck *jc);

/* Records "path: message" (first error only) and returns false. */
bool jcheck_fail(struct jcheck *jc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* obj must be an object whose members are all in allowed (NULL-terminated). */
bool jcheck_object(struct jcheck *jc, const cJSON *obj, const char *const *allowed);
/* Array member (NULL *out when absent and optional). */
bool jcheck_array(struct jcheck *jc, const cJSON *obj, const char *field, bool required,
                  const cJSON **out);

bool jcheck_string(struct jcheck *jc, const cJSON *obj, const char *field, bool required,
                   const char **out);
bool jcheck_bool(struct jcheck *jc, const cJSON *obj, const char *field, bool *out);
bool jcheck_int(struct jcheck *jc, const cJSON *obj, const char *field, int64_t min, int64_t max,
                int64_t *out);
/* Unix seconds, or "now", "now+90d", "now-1y" (units s, m, h, d, w, y). */
bool jcheck_time(struct jcheck *jc, const cJSON *obj, const char *field, int64_t *out);
/* One of choices (NULL-terminated), compared case-insensitively; *out = index. */
bool jcheck_enum(struct jcheck *jc, const cJSON *obj, const char *field, const char *const *choices,
                 int *out);

/* Parses a relative/absolute time string as jcheck_time does; -1 when malformed. */
int jcheck_parse_time(const char *text, int64_t now, int64_t *out);

#endif
