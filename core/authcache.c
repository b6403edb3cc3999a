#include "authcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authprov.h"
#include "textsafe.h"
#include "xmem.h"

/* Renew this long before expiry, as the Azure SDKs do. */
#define RENEW_MARGIN_MS (5 * 60 * 1000)
/* A renewal that fails may still hand out the old token while it has this much left. */
#define USABLE_MARGIN_MS (30 * 1000)

struct authcache_entry *authcache_find(struct authcache *c, const char *tenant, const char *scope)
{
    for (struct authcache_entry *e = c->entries; e; e = e->next) {
        if (strcmp(e->tenant, tenant) == 0 && strcmp(e->scope, scope) == 0)
            return e;
    }
    return NULL;
}

struct authcache_entry *authcache_get(struct authcache *c, const char *tenant, const char *scope)
{
    struct authcache_entry *e = authcache_find(c, tenant, scope);
    if (e == NULL) {
        e = xcalloc(1, sizeof *e);
        e->tenant = xstrdup(tenant);
        e->scope = xstrdup(scope);
        e->next = c->entries;
        c->entries = e;
    }
    return e;
}

bool authcache_fresh(const struct authcache_entry *e, int64_t now)
{
    return e->token && now < e->expires - RENEW_MARGIN_MS;
}

bool authcache_usable(const struct authcache_entry *e, int64_t now)
{
    return e->token && now < e->expires - USABLE_MARGIN_MS;
}

void authcache_drop_token(struct authcache_entry *e)
{
    authprov_free_secret(e->token);
    e->token = NULL;
    e->expires = 0;
}

void authcache_set_token(struct authcache *c, struct authcache_entry *e, const char *token,
                         int64_t expires, int64_t wall)
{
    authcache_drop_token(e);
    e->token = xstrdup(token);
    e->expires = expires;
    c->signins++;
    c->last_ok_ms = wall;
    e->failing = false;
    e->failing_since = 0;
    e->failed_seq = 0;
    xstr_set(&e->cause, NULL);
}

static void entry_free(struct authcache_entry *e)
{
    authprov_free_secret(e->token);
    free(e->tenant);
    free(e->scope);
    free(e->cause);
    free(e);
}

static void entry_unlink(struct authcache *c, const struct authcache_entry *e)
{
    for (struct authcache_entry **p = &c->entries; *p; p = &(*p)->next) {
        if (*p == e) {
            *p = e->next;
            return;
        }
    }
}

void authcache_prune(struct authcache *c, struct authcache_entry *e)
{
    if (e->token || e->fetch || e->failing)
        return;
    entry_unlink(c, e);
    entry_free(e);
}

/* Keeps at most AUTH_FAILING_KEPT tokenless failing entries: the oldest failures go. */
static void trim_failing(struct authcache *c)
{
    for (;;) {
        size_t n = 0;
        struct authcache_entry *oldest = NULL;
        for (struct authcache_entry *e = c->entries; e; e = e->next) {
            if (e->failing && e->token == NULL && e->fetch == NULL) {
                n++;
                if (oldest == NULL || e->failed_seq < oldest->failed_seq)
                    oldest = e;
            }
        }
        if (n <= AUTH_FAILING_KEPT || oldest == NULL)
            return;
        entry_unlink(c, oldest);
        entry_free(oldest);
    }
}

/* cause as auth_health gives it: printable, cut at a character boundary to fit. */
static char *health_cause(const char *cause)
{
    char *clean = textsafe_copy(cause);
    size_t at = 0;
    while (clean[at]) {
        uint32_t cp;
        size_t n = textsafe_utf8_seq((const unsigned char *)clean + at, &cp);
        if (n == 0)
            n = 1; /* not reached: textsafe_copy made every such byte '?' */
        if (at + n >= AUTH_CAUSE_MAX)
            break;
        at += n;
    }
    clean[at] = '\0';
    return clean;
}

void authcache_failed(struct authcache *c, struct authcache_entry *e, enum core_err err,
                      const char *cause, int64_t wall)
{
    c->signins++;
    c->failures++;
    c->last_fail_ms = wall;
    if (!e->failing)
        e->failing_since = wall;
    e->failing = true;
    e->failed_seq = c->failures;
    e->err = err;
    free(e->cause);
    e->cause = health_cause(cause ? cause : core_err_name(err));
    trim_failing(c);
}

void authcache_health(const struct authcache *c, int64_t now, struct auth_health *out)
{
    *out = (struct auth_health){.signins = c->signins,
                                .failures = c->failures,
                                .last_ok_ms = c->last_ok_ms,
                                .last_fail_ms = c->last_fail_ms,
                                .cached_left_ms = -1};
    uint64_t newest = 0;
    for (const struct authcache_entry *e = c->entries; e; e = e->next) {
        bool usable = authcache_usable(e, now);
        int64_t left = usable ? e->expires - USABLE_MARGIN_MS - now : 0;
        if (usable && (out->cached_left_ms < 0 || left < out->cached_left_ms))
            out->cached_left_ms = left;
        if (!e->failing)
            continue;
        if (out->failing == 0 || e->failing_since < out->failing_since_ms)
            out->failing_since_ms = e->failing_since;
        if (out->failing == 0 || left < out->token_left_ms)
            out->token_left_ms = left;
        if (e->failed_seq > newest) {
            newest = e->failed_seq;
            out->err = e->err;
            snprintf(out->cause, sizeof out->cause, "%s", e->cause ? e->cause : "");
        }
        out->failing++;
    }
}

void authcache_clear(struct authcache *c)
{
    while (c->entries) {
        struct authcache_entry *e = c->entries;
        c->entries = e->next;
        entry_free(e);
    }
}
