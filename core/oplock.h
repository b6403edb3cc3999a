/*
 * oplock — the operator lock of a failover group: at most one operator at a
 * time rotates (or restores) a group's keys. The lock is five tags on the
 * group's primary managed instance, so every operator of the estate sees it,
 * whatever tool they use (the portal shows it too):
 *
 *   tdectl-lock-owner    who holds it: "alice@host (principal 7d24…)", <= 200 bytes
 *   tdectl-lock-run      the wizard run holding it, 1..64 bytes, no control characters
 *   tdectl-lock-reason   why, <= 256 bytes (longer is cut, ending in "…")
 *   tdectl-lock-expires  until when, RFC 3339 UTC ("2026-11-29T23:00:00Z")
 *   tdectl-lock-op       what: "rotate", "restore", ... <= 32 bytes
 *
 * Tag names are case-insensitive in ARM and matched so. Tag values are
 * written sanitized (oplock_sanitize: no control characters, at most 256
 * bytes, hence at most Azure's 256 characters) and read sanitized too: what
 * oplock_parse returns is safe to put on a terminal.
 *
 * The tags are read and written with ARM's Tags API at the instance's scope
 * (api-version OPLOCK_API): GET {id}/providers/Microsoft.Resources/tags/default,
 * PATCH with {"operation":"Merge"|"Delete","properties":{"tags":{...}}}. A
 * release deletes the five tags by name and by the values it read (ARM's
 * Delete takes name/value pairs), so a lock taken by someone else in between
 * is not deleted where the service honours values.
 *
 * Tags are not a compare-and-swap: two operators taking a free lock at once
 * both write, the last writer wins, and acquire reads the tags back so the
 * other sees HELD. A racer whose write lands after that read-back is not
 * seen: the wizard re-reads the lock (oplock_read) before each step that
 * changes Azure. A lock that cannot be read is never overwritten nor removed:
 * it counts as HELD and the cause says why.
 *
 * Calls: read, acquire and release each run a short chain of requests and
 * call back once from the loop, never inside the starting call. The handle
 * is valid until the callback runs; oplock_cancel before that stops the chain
 * without a callback (azure_destroy cancels it too). Writes are refused by the
 * transport in read-only mode (CORE_ERR_REFUSED) and by ARM without the
 * right (CORE_ERR_FORBIDDEN).
 */
#ifndef TDECTL_OPLOCK_H
#define TDECTL_OPLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "azure.h"
#include "err.h"

#define OPLOCK_API         "2021-04-01"

#define OPLOCK_TAG_OWNER   "tdectl-lock-owner"
#define OPLOCK_TAG_RUN     "tdectl-lock-run"
#define OPLOCK_TAG_REASON  "tdectl-lock-reason"
#define OPLOCK_TAG_EXPIRES "tdectl-lock-expires"
#define OPLOCK_TAG_OP      "tdectl-lock-op"

/* Longest value each field keeps, in bytes (the arrays below hold one more). */
#define OPLOCK_OWNER_MAX  200
#define OPLOCK_RUN_MAX    64
#define OPLOCK_REASON_MAX 256
#define OPLOCK_OP_MAX     32
/* Azure's limit on a tag value, in bytes here (256 characters are at least 256 bytes). */
#define OPLOCK_VALUE_MAX 256

struct oplock { /* one lock as read from the tags */
    char owner[201];
    char run[65];
    char reason[257];
    char op[33];
    int64_t expires; /* Unix seconds */
};

enum oplock_state { OPLOCK_FREE, OPLOCK_OURS, OPLOCK_HELD, OPLOCK_EXPIRED };

/* "free", "ours", "held", "expired". */
const char *oplock_state_name(enum oplock_state state);

/*
 * A tag value made safe (heap): control characters (C0, DEL, C1, line
 * separators, bidirectional overrides) become spaces, bytes that are not
 * UTF-8 become '?', leading and trailing spaces go, and a value longer than
 * max bytes is cut at a character boundary and ends in "…". NULL gives "".
 */
char *oplock_sanitize(const char *value, size_t max);

/*
 * Pure: parses a cJSON object of tags (the "tags" object from the Tags API or
 * from a managed instance GET; NULL or JSON null: no tags). Returns 1 when a
 * lock is present (owner and expires valid), 0 when none (neither owner nor
 * expires: stray run, reason or op tags are no lock), -1 with *cause when the
 * lock's tags are present but malformed: one of owner and expires missing,
 * expires no RFC 3339 time, a value not a string or longer than Azure allows
 * (1024 bytes: 256 characters of UTF-8), a run that is not a valid run id, a
 * tag name twice. Callers treat -1 as HELD: never steal a lock you cannot
 * read. out is zeroed first and holds, sanitized, whatever could be read.
 */
int oplock_parse(const cJSON *tags, struct oplock *out, char **cause);

/*
 * Pure: FREE when none (present 0); HELD when malformed (present -1); OURS
 * when l->run is run (run NULL or "" is nobody's); EXPIRED when expires <= now;
 * else HELD.
 */
enum oplock_state oplock_judge(int present, const struct oplock *l, const char *run, int64_t now);

/*
 * One line for a screen (heap): `held by alice@host for "rotate: ticket 123"
 * until 2026-11-29 23:00 UTC (in 42 min)`; an expired one ends "(expired 5 min
 * ago)". l NULL: "not locked".
 */
char *oplock_describe(const struct oplock *l, int64_t now);

/* A run id tdectl accepts: 1..64 bytes of UTF-8, no control characters, no edge spaces. */
bool oplock_run_valid(const char *run);

/*
 * The PATCH body that takes the lock (heap): Merge of the five tags from want,
 * sanitized. NULL with *cause when want has no owner, no valid run or no
 * expiry.
 */
char *oplock_merge_body(const struct oplock *want, char **cause);

/*
 * What a call reports. err CORE_OK: state and lock (NULL unless a lock was
 * read) are what the last read found, from the point of view of the run of
 * the call; cause is set when the tags were malformed (state HELD). err not
 * CORE_OK: the chain stopped there and cause says why (the service's error or
 * the transport's); state is the last read's, HELD when nothing could be read.
 * Everything is borrowed for the callback's duration.
 */
typedef void (*oplock_fn)(enum core_err err, enum oplock_state state, const struct oplock *lock,
                          const char *cause, void *arg);

/* A running chain of requests (see the top of this file). */
struct oplock_call;

/*
 * Reads the lock on instance_id (an ARM resource id). state is from the point
 * of view of run (may be NULL: then never OURS).
 */
struct oplock_call *oplock_read(struct azure *az, const char *instance_id, const char *run,
                                int64_t now, oplock_fn fn, void *arg);
/*
 * Takes the lock: read; FREE, EXPIRED or OURS -> PATCH Merge with want (owner,
 * run, reason, op, expires); then read again and report OURS only if the tags
 * read back carry want->run (two operators racing: the last writer wins, the
 * other sees HELD). HELD -> no write, fn gets HELD and the holder's lock.
 * Malformed tags -> HELD with a cause (never overwritten). Renewing = acquire
 * again with a later expiry. want must have an owner, a valid run and
 * expires > now, else CORE_ERR_CONFIG without sending anything.
 */
struct oplock_call *oplock_acquire(struct azure *az, const char *instance_id,
                                   const struct oplock *want, int64_t now, oplock_fn fn, void *arg);
/*
 * Releases: read; only when OURS (run matches) PATCH Delete of the five
 * tdectl-lock-* tags, and fn gets the state the service answers with (FREE);
 * else nothing is written and fn gets the state found.
 */
struct oplock_call *oplock_release(struct azure *az, const char *instance_id, const char *run,
                                   int64_t now, oplock_fn fn, void *arg);

/* Stops a call before it calls back (nothing is called back). NULL: nothing. */
void oplock_cancel(struct oplock_call *call);

#endif
