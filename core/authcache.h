/*
 * authcache — auth's token cache: one entry per (tenant, scope) with its
 * token (a secret, cleansed when dropped), when it expires, the fetch in
 * flight for it, and how its last fetch went (for auth_health).
 *
 * A token is fresh until 5 minutes before it expires (then it is renewed, as
 * the Azure SDKs do) and usable until 30 s before: a renewal that fails may
 * hand out the old token while it is usable. An entry stays while it holds a
 * token, a fetch or a failure to report; of the tokenless failing ones only
 * the newest AUTH_FAILING_KEPT are kept, so a sign-in that never worked stays
 * seen without the cache growing on hostile tenants.
 *
 * Clocks: `now` is loop_now() ms (expiry, holds), `wall` is loop_wall() ms
 * (what auth_health reports). Ownership: the cache owns its entries and their
 * strings; an entry pointer is valid until authcache_prune, a trim in
 * authcache_failed, or authcache_clear. No errors: out of memory aborts.
 */
#ifndef TDECTL_AUTHCACHE_H
#define TDECTL_AUTHCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "err.h"

struct auth_fetch;

struct authcache_entry {
    struct authcache_entry *next;
    char *tenant, *scope;
    char *token;              /* secret; NULL when none */
    int64_t expires;          /* now-clock ms */
    struct auth_fetch *fetch; /* the renewal in flight (auth's) */
    int64_t hold_until;       /* now-clock ms: no renewal before (one just failed) */
    /* The last fetch for it failed: since when, in which order, why. */
    bool failing;
    int64_t failing_since; /* wall ms */
    uint64_t failed_seq;   /* the cache's failure count then: orders failures */
    enum core_err err;
    char *cause; /* printable, under AUTH_CAUSE_MAX bytes, never a secret */
};

struct authcache {
    struct authcache_entry *entries;
    uint64_t signins, failures; /* fetches ended, failed */
    int64_t last_ok_ms, last_fail_ms;
};

struct authcache_entry *authcache_find(struct authcache *c, const char *tenant, const char *scope);
/* The entry, made empty when there is none. */
struct authcache_entry *authcache_get(struct authcache *c, const char *tenant, const char *scope);
bool authcache_fresh(const struct authcache_entry *e, int64_t now);
bool authcache_usable(const struct authcache_entry *e, int64_t now);
/* Cleanses and drops e's token. */
void authcache_drop_token(struct authcache_entry *e);
/* e's new token (copied), valid until expires; the failure it had is over. */
void authcache_set_token(struct authcache *c, struct authcache_entry *e, const char *token,
                         int64_t expires, int64_t wall);
/* A fetch for e failed with err and cause (any text: cleaned and cut here); may trim other
 * tokenless failing entries (never e). */
void authcache_failed(struct authcache *c, struct authcache_entry *e, enum core_err err,
                      const char *cause, int64_t wall);
/* Removes e when it holds nothing, waits for nothing and has no failure to report. */
void authcache_prune(struct authcache *c, struct authcache_entry *e);
void authcache_health(const struct authcache *c, int64_t now, struct auth_health *out);
/* Frees every entry (tokens cleansed). */
void authcache_clear(struct authcache *c);

#endif
