/*
 * json — tolerant reading of Azure's JSON for core's parsers (kvparse,
 * armparse, azerr), plus the two text codecs those answers carry: ISO 8601
 * timestamps and base64 / base64url.
 *
 * The rules of reference/azure-protocol.md section 1: unknown fields are
 * ignored, a missing optional field is simply absent, and a field of the wrong
 * JSON type counts as absent when it is optional (the json_* getters return
 * NULL / the default) and as an error when it is required (the json_need_*
 * getters set a cause that names the field, e.g.
 * "value[3].properties.uri: expected a string").
 *
 * Paths are member names joined by '.', looked up case-sensitively (field
 * names are case-sensitive on the wire); "" or NULL is the object itself.
 *
 * Lifetimes: a json_parse tree belongs to the caller, who deletes it with
 * cJSON_Delete before the parse function returns (no cJSON node outlives a
 * parse). Borrowed strings (json_str) live as long as the tree. Everything
 * json_dup* and the codecs return is heap memory for free().
 */
#ifndef TDECTL_JSON_H
#define TDECTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Parses a body of len bytes. NULL with *cause ("body: not valid JSON", ...) on failure. */
cJSON *json_parse(const char *body, size_t len, char **cause);
/* As json_parse, and the top level must be an object. */
cJSON *json_parse_object(const char *body, size_t len, char **cause);

/* The node at path, whatever its type; NULL when a step is missing or not an object. */
const cJSON *json_get(const cJSON *obj, const char *path);
/* The node at path when it is an object / an array; NULL otherwise. */
const cJSON *json_object(const cJSON *obj, const char *path);
const cJSON *json_array(const cJSON *obj, const char *path);
/* A string member (borrowed), NULL when absent or not a string. */
const char *json_str(const cJSON *obj, const char *path);
/* A copy of a string member, NULL when absent or not a string. */
char *json_dup(const cJSON *obj, const char *path);
/* The same, lower-cased / upper-cased (ASCII). */
char *json_dup_lower(const cJSON *obj, const char *path);
char *json_dup_upper(const cJSON *obj, const char *path);
/*
 * An enum member: the canonical spelling from known (a NULL-terminated list)
 * when it matches case-insensitively, else a copy of the text as sent (made
 * safe by textsafe_copy: an unknown value is shown, never acted on by a
 * terminal); NULL when absent, empty or not a string. Enums are
 * case-insensitive on the wire.
 */
char *json_dup_enum(const cJSON *obj, const char *path, const char *const *known);
/* A boolean member, dflt when absent or not a boolean. */
bool json_bool(const cJSON *obj, const char *path, bool dflt);
/*
 * An integer member: 0 and *out when it is a JSON number with an integral
 * value that fits int64_t; -1 (and *out untouched) otherwise. json_int64_or
 * returns dflt instead of failing. json_int64_lenient also accepts a string of
 * decimal digits ("3599"), as token endpoints sometimes send.
 */
int json_int64(const cJSON *obj, const char *path, int64_t *out);
int64_t json_int64_or(const cJSON *obj, const char *path, int64_t dflt);
int json_int64_lenient(const cJSON *obj, const char *path, int64_t *out);

/*
 * Required members: the node, or NULL with *cause "WHERE.PATH: missing" /
 * "WHERE.PATH: expected a string". where is the position of obj in the body
 * ("value[3]", or "" for the top level).
 */
const char *json_need_str(const cJSON *obj, const char *path, const char *where, char **cause);
const cJSON *json_need_object(const cJSON *obj, const char *path, const char *where, char **cause);
const cJSON *json_need_array(const cJSON *obj, const char *path, const char *where, char **cause);

/* An ARM element: an object with a non-empty string "id" (borrowed), or NULL with *cause. */
const char *json_need_id(const cJSON *elem, const char *where, char **cause);

/*
 * One page of a list, {"value":[...],"nextLink":...}: each element of value
 * goes through item(elem, where, slot, arg, cause), where slot is a zeroed
 * element of an array of item_size bytes; item returns 0 (keep), 1 (skip: the
 * slot is cleaned by the callback) or -1 (fail with *cause). On success
 * *items (NULL when *n is 0), *n and *next_link (NULL when absent or null,
 * else the text verbatim; next_link may be NULL) are set. On failure every
 * kept element goes through cleanup, and *items, *n, *next_link are NULL/0.
 */
typedef int (*json_item_fn)(const cJSON *elem, const char *where, void *slot, void *arg,
                            char **cause);
typedef void (*json_cleanup_fn)(void *slot);
int json_page(const char *body, size_t len, size_t item_size, json_item_fn item,
              json_cleanup_fn cleanup, void *arg, void **items, size_t *n, char **next_link,
              char **cause);

/*
 * One object, the whole body: item(root, "", slot, arg, cause) as for
 * json_page; a skip (1) counts as an error ("body: not usable"). On failure
 * the callback has left slot cleaned.
 */
int json_one(const char *body, size_t len, json_item_fn item, void *slot, void *arg, char **cause);

/*
 * ISO 8601 / RFC 3339 date-time to Unix seconds: "2024-05-01T10:00:00Z",
 * any number of fractional digits (dropped; ARM writes 7), a "Z", "+hh:mm",
 * "+hhmm" or "+hh" offset (none: UTC), 'T', 't' or ' ' between date and time.
 * 0 and *out, or -1 for anything else (out-of-range fields included).
 */
int json_parse_iso8601(const char *text, int64_t *out);

/*
 * Base64 in either alphabet (standard "+/" or URL "-_"), padding optional but
 * correct when present. Anything else (whitespace, stray '=', an impossible
 * length) is refused. 0 with *out (heap, one extra NUL byte after *outlen
 * bytes) or -1 with *out NULL.
 */
int json_b64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);
/* base64url without padding, as Key Vault and JWTs carry bytes (heap; never NULL). */
char *json_b64url_encode(const unsigned char *data, size_t len);

#endif
