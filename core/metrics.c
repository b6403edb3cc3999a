#include "metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estate.h"
#include "healclock.h"
#include "observed.h"
#include "xmem.h"

/*
 * A growing buffer: the text of a large estate is a few hundred kilobytes,
 * so appends must stay linear (no re-copy of everything per line).
 */
struct mbuf {
    char *p;
    size_t len, cap;
};

static void mb_reserve(struct mbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap, 1);
    b->cap = cap;
}

static void mb_add(struct mbuf *b, const char *s, size_t n)
{
    mb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void mb_addf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mb_addf(struct mbuf *b, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        mb_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
               : (s[0] & 0xf0) == 0xe0        ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong three-byte forms, UTF-16 surrogates, code points above U+10FFFF. */
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
        (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

static void mb_label(struct mbuf *b, const char *value)
{
    const unsigned char *s = (const unsigned char *)(value ? value : "");
    while (*s) {
        size_t n = utf8_len(s);
        if (*s == '\\')
            mb_add(b, "\\\\", 2);
        else if (*s == '"')
            mb_add(b, "\\\"", 2);
        else if (*s == '\n')
            mb_add(b, "\\n", 2);
        else if (n == 0)
            mb_add(b, "\xef\xbf\xbd", 3); /* U+FFFD: Prometheus wants UTF-8 */
        else
            mb_add(b, (const char *)s, n);
        s += n ? n : 1;
    }
}

char *metrics_label_escape(const char *s)
{
    struct mbuf b = {0};
    mb_reserve(&b, 0);
    b.p[0] = '\0';
    mb_label(&b, s);
    return b.p;
}

/* HELP and TYPE of one family; its samples follow at once (the format wants them together). */
static void family(struct mbuf *b, const char *name, const char *type, const char *help)
{
    mb_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k="v",...} — labels are NULL-terminated name, value pairs (NULL: none). */
static void series(struct mbuf *b, const char *name, const char *const *labels)
{
    mb_add(b, name, strlen(name));
    if (labels == NULL || labels[0] == NULL)
        return;
    mb_add(b, "{", 1);
    for (size_t i = 0; labels[i]; i += 2) {
        mb_addf(b, "%s%s=\"", i ? "," : "", labels[i]);
        mb_label(b, labels[i + 1]);
        mb_add(b, "\"", 1);
    }
    mb_add(b, "}", 1);
}

static void sample_int(struct mbuf *b, const char *name, const char *const *labels, int64_t v)
{
    series(b, name, labels);
    mb_addf(b, " %lld\n", (long long)v);
}

/* A value in seconds from milliseconds: exact to the millisecond. */
static void sample_ms(struct mbuf *b, const char *name, const char *const *labels, int64_t ms)
{
    series(b, name, labels);
    long long a = ms < 0 ? -(long long)ms : (long long)ms;
    mb_addf(b, " %s%lld.%03lld\n", ms < 0 ? "-" : "", a / 1000, a % 1000);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- build and vaults ---- */

static void render_build(struct mbuf *b, const struct metrics_input *in)
{
    family(b, "tdectl_build_info", "gauge", "tdectl's version; always 1.");
    sample_int(b, "tdectl_build_info", L("version", in->version ? in->version : ""), 1);
}

static bool vault_probed(const struct model_vault *v)
{
    return v->deleted || v->probe_fresh.tried_at != 0;
}

static bool vault_up(const struct model_vault *v)
{
    return !v->deleted && v->probe_fresh.tried_at != 0 && !observed_vault_down(v);
}

static void render_vaults(struct mbuf *b, const struct model *m)
{
    family(b, "tdectl_vault_info", "gauge",
           "A key vault an instance uses, with its region and endpoint; always 1.");
    for (size_t i = 0; i < m->nvaults; i++) {
        const struct model_vault *v = m->vaults[i];
        sample_int(b, "tdectl_vault_info",
                   L("vault", v->name, "location", v->location, "endpoint", v->uri), 1);
    }
    family(b, "tdectl_vault_up", "gauge",
           "1 when tdectl's last probe of the vault got an answer, 0 when it failed or the "
           "vault is deleted.");
    for (size_t i = 0; i < m->nvaults; i++)
        if (vault_probed(m->vaults[i]))
            sample_int(b, "tdectl_vault_up", L("vault", m->vaults[i]->name),
                       vault_up(m->vaults[i]));
    family(b, "tdectl_vault_probe_latency_seconds", "gauge",
           "How long tdectl's last successful probe of the vault took.");
    for (size_t i = 0; i < m->nvaults; i++) {
        const struct model_vault *v = m->vaults[i];
        if (vault_up(v) && v->probe_latency_ms >= 0)
            sample_ms(b, "tdectl_vault_probe_latency_seconds", L("vault", v->name),
                      v->probe_latency_ms);
    }
}

/* ---- keys: the versions in use ---- */

static void add_used(const struct model *m, const char *uri, const struct model_version ***vs,
                     size_t *n)
{
    const struct model_version *ver = uri ? model_version_by_uri(m, uri) : NULL;
    if (ver == NULL || ver->exp == 0 || ver->kid == NULL)
        return;
    for (size_t i = 0; i < *n; i++)
        if ((*vs)[i] == ver)
            return;
    *vs = xrealloc(*vs, *n + 1, sizeof **vs);
    (*vs)[(*n)++] = ver;
}

static void render_keys(struct mbuf *b, const struct model *m, int64_t now_ms)
{
    const struct model_version **vs = NULL;
    size_t n = 0;
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        if (!estate_protector_is_akv(mi))
            continue;
        add_used(m, mi->protector.uri, &vs, &n);
        const struct model_server_key *copy = estate_secondary_key(m, mi);
        add_used(m, copy ? copy->uri : NULL, &vs, &n);
    }
    family(b, "tdectl_key_expires_in_seconds", "gauge",
           "Seconds until a key version in use (an instance's protector or its copy in the "
           "secondary vault) expires; negative once expired.");
    for (size_t i = 0; i < n; i++) {
        char vault[128], key[128], version[64];
        if (model_uri_parse(vs[i]->kid, vault, key, version) < 0)
            continue;
        sample_ms(b, "tdectl_key_expires_in_seconds",
                  L("vault", vault, "key", key, "version", version), vs[i]->exp * 1000 - now_ms);
    }
    free(vs);
}

/* ---- instances ---- */

static const char *const access_states[] = {"ok", "fallback", "lost", "instance-down", "unknown"};

static size_t access_index(enum whatif_outcome o)
{
    switch (o) {
    case WHATIF_UNAFFECTED:
        return 0;
    case WHATIF_VIA_SECONDARY:
        return 1;
    case WHATIF_INACCESSIBLE:
        return 2;
    case WHATIF_INSTANCE_DOWN:
        return 3;
    default:
        return 4;
    }
}

static void render_instance_info(struct mbuf *b, const struct model *m)
{
    family(b, "tdectl_instance_info", "gauge",
           "A managed instance, with its region, failover group and role; always 1.");
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        const struct model_fog *fg = model_fog_of(m, mi);
        const char *role = fg == NULL                        ? ""
                           : estate_fog_primary(m, fg) == mi ? "primary"
                                                             : "secondary";
        sample_int(b, "tdectl_instance_info",
                   L("managed_instance", mi->name, "location", mi->location, "failover_group",
                     fg ? fg->name : "", "role", role),
                   1);
    }
}

static void render_access(struct mbuf *b, const struct metrics_input *in, const struct model *m)
{
    struct whatif_params wp;
    if (in->whatif)
        wp = *in->whatif;
    else
        whatif_params_init(&wp, in->now_ms);
    size_t nw = 0;
    struct whatif_result *w = observed_run(m, NULL, &wp, &nw);
    family(b, "tdectl_instance_key_access", "gauge",
           "1 for the instance's key access state as tdectl predicts it (vaults its probe "
           "cannot reach count as out), 0 for the other states.");
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        const struct whatif_result *wi = NULL;
        if (i < nw && strcmp(w[i].instance, mi->name) == 0)
            wi = &w[i];
        for (size_t k = 0; k < nw && wi == NULL; k++)
            if (strcmp(w[k].instance, mi->name) == 0)
                wi = &w[k];
        size_t now = access_index(wi ? wi->outcome : WHATIF_UNKNOWN);
        for (size_t s = 0; s < sizeof access_states / sizeof access_states[0]; s++)
            sample_int(b, "tdectl_instance_key_access",
                       L("managed_instance", mi->name, "state", access_states[s]), s == now);
    }
    free(w);
}

/* One instance's database counts: Online and Inaccessible always, then what else ARM said. */
static void render_dbs_of(struct mbuf *b, const struct model_instance *mi)
{
    const char *seen[16] = {"Online", "Inaccessible"};
    size_t nseen = 2;
    for (size_t d = 0; d < mi->ndbs; d++) {
        const char *st = mi->dbs[d].status ? mi->dbs[d].status : "";
        bool known = false;
        for (size_t k = 0; k < nseen && !known; k++)
            known = strcmp(seen[k], st) == 0;
        if (!known && nseen < sizeof seen / sizeof seen[0])
            seen[nseen++] = st;
    }
    for (size_t k = 0; k < nseen; k++) {
        int64_t count = 0;
        for (size_t d = 0; d < mi->ndbs; d++)
            count += strcmp(mi->dbs[d].status ? mi->dbs[d].status : "", seen[k]) == 0;
        sample_int(b, "tdectl_instance_databases",
                   L("managed_instance", mi->name, "status", seen[k]), count);
    }
}

static void render_dbs(struct mbuf *b, const struct model *m)
{
    family(b, "tdectl_instance_databases", "gauge",
           "The instance's databases by status as ARM reports it (Online, Inaccessible, ...).");
    for (size_t i = 0; i < m->ninstances; i++)
        if (m->instances[i]->dbs_fresh.read_at != 0)
            render_dbs_of(b, m->instances[i]);
}

static void render_clock(struct mbuf *b, const struct metrics_input *in, const struct model *m)
{
    family(b, "tdectl_instance_inaccessible_clock_remaining_seconds", "gauge",
           "While the instance has lost key access: seconds left to restore it before the "
           "self-heal window closes (0 once past: only revalidate helps). Absent otherwise.");
    for (size_t i = 0; in->health && i < m->ninstances; i++) {
        struct healclock c;
        if (health_clock(in->health, m->instances[i], in->now_ms, &c) && c.lost)
            sample_ms(b, "tdectl_instance_inaccessible_clock_remaining_seconds",
                      L("managed_instance", m->instances[i]->name), c.left_ms);
    }
}

/* ---- findings ---- */

struct rule_count {
    const char *rule;
    enum health_sev sev;
    int64_t n;
};

static struct rule_count *rc_find(struct rule_count **rc, size_t *n, const char *rule,
                                  enum health_sev sev, bool add)
{
    for (size_t i = 0; i < *n; i++)
        if ((*rc)[i].sev == sev && strcmp((*rc)[i].rule, rule) == 0)
            return &(*rc)[i];
    if (!add)
        return NULL;
    *rc = xrealloc(*rc, *n + 1, sizeof **rc);
    (*rc)[*n] = (struct rule_count){rule, sev, 0};
    return &(*rc)[(*n)++];
}

static void render_findings(struct mbuf *b, const struct health *h)
{
    struct rule_count *rc = NULL;
    size_t n = 0, nrules = 0, nf = 0;
    const struct health_rule *rules = health_rules(&nrules);
    for (size_t i = 0; i < nrules; i++)
        if (rules[i].eval)
            rc_find(&rc, &n, rules[i].id, rules[i].sev, true);
    const struct health_finding *f = h ? health_findings(h, &nf) : NULL;
    for (size_t i = 0; i < nf; i++)
        rc_find(&rc, &n, f[i].rule, f[i].sev, true)->n++;
    family(b, "tdectl_findings", "gauge",
           "Current findings of tdectl's health rules, by rule id and severity.");
    for (size_t i = 0; i < n; i++)
        sample_int(b, "tdectl_findings",
                   L("rule", rc[i].rule, "severity", health_sev_name(rc[i].sev)), rc[i].n);
    free(rc);
}

/* ---- the command log, the engine, the sweeps, the age of the data ---- */

static void render_api(struct mbuf *b, const struct activity *a)
{
    struct activity_counts c = activity_counts(a);
    family(b, "tdectl_api_requests_total", "counter",
           "REST calls tdectl made (every attempt), by answer: 2xx, 4xx (429 included), 5xx, "
           "or error (no HTTP answer, or an unexpected status).");
    sample_int(b, "tdectl_api_requests_total", L("class", "2xx"), (int64_t)c.ok);
    sample_int(b, "tdectl_api_requests_total", L("class", "4xx"),
               (int64_t)(c.client + c.throttled));
    sample_int(b, "tdectl_api_requests_total", L("class", "5xx"), (int64_t)c.server);
    sample_int(b, "tdectl_api_requests_total", L("class", "error"), (int64_t)c.failed);
    family(b, "tdectl_api_throttled_total", "counter", "REST calls answered 429 (throttled).");
    sample_int(b, "tdectl_api_throttled_total", NULL, (int64_t)c.throttled);
    family(b, "tdectl_api_last_throttled_timestamp_seconds", "gauge",
           "When a REST call was last answered 429 (Unix time); 0: never.");
    sample_ms(b, "tdectl_api_last_throttled_timestamp_seconds", NULL, c.last_throttled_ms);
}

static void render_signin(struct mbuf *b, const struct auth_health *h)
{
    if (h->signins > 0) {
        family(b, "tdectl_signin_up", "gauge",
               "1 when the last token fetch of every tenant and scope tdectl uses worked; 0 "
               "while one fails (a cached token may still serve: "
               "tdectl_signin_token_expires_in_seconds).");
        sample_int(b, "tdectl_signin_up", NULL, h->failing ? 0 : 1);
    }
    family(b, "tdectl_signin_total", "counter",
           "Token fetches (sign-ins and renewals) that ended, by result: ok or failed.");
    sample_int(b, "tdectl_signin_total", L("result", "ok"), (int64_t)(h->signins - h->failures));
    sample_int(b, "tdectl_signin_total", L("result", "failed"), (int64_t)h->failures);
    family(b, "tdectl_signin_last_success_timestamp_seconds", "gauge",
           "When a token fetch last worked (Unix time); 0: never.");
    sample_ms(b, "tdectl_signin_last_success_timestamp_seconds", NULL, h->last_ok_ms);
    if (h->failing || h->cached_left_ms >= 0) {
        family(b, "tdectl_signin_token_expires_in_seconds", "gauge",
               "How long tdectl can still call Azure without a new sign-in: the least time "
               "left on the cached tokens whose renewal fails (0: one has none), else on all "
               "cached tokens. A token is renewed by the first read that needs it once it has "
               "less than 5 minutes to live.");
        sample_ms(b, "tdectl_signin_token_expires_in_seconds", NULL,
                  h->failing ? h->token_left_ms : h->cached_left_ms);
    }
}

static void render_engine(struct mbuf *b, const struct engine_stats *es)
{
    family(b, "tdectl_engine_reads_total", "counter", "Reads the engine started.");
    sample_int(b, "tdectl_engine_reads_total", NULL, (int64_t)es->requests);
    family(b, "tdectl_engine_read_failures_total", "counter", "Reads that failed.");
    sample_int(b, "tdectl_engine_read_failures_total", NULL, (int64_t)es->failures);
    family(b, "tdectl_engine_reads_in_flight", "gauge", "Reads out now.");
    sample_int(b, "tdectl_engine_reads_in_flight", NULL, (int64_t)es->in_flight);
    family(b, "tdectl_engine_reads_queued", "gauge", "Reads waiting for the budget or a slot.");
    sample_int(b, "tdectl_engine_reads_queued", NULL, (int64_t)es->queued);
    family(b, "tdectl_engine_catch_up_sweeps_total", "counter",
           "Full sweeps started early after an outage: a full and a health sweep failed "
           "reads, then a health sweep read everything.");
    sample_int(b, "tdectl_engine_catch_up_sweeps_total", NULL, (int64_t)es->catch_ups);
    family(b, "tdectl_sweep_full_duration_seconds", "gauge", "How long the last full sweep took.");
    sample_ms(b, "tdectl_sweep_full_duration_seconds", NULL, es->last_sweep_ms);
}

static void render_sweeps(struct mbuf *b, const struct metrics_sweeps *s)
{
    static const char *const kinds[3] = {"full", "health", "probe"};
    family(b, "tdectl_sweeps_total", "counter",
           "Sweeps ended, by kind: full (discovery and everything), health, probe.");
    for (size_t k = 0; k < 3; k++)
        sample_int(b, "tdectl_sweeps_total", L("kind", kinds[k]), (int64_t)s->count[k]);
    family(b, "tdectl_sweep_last_end_timestamp_seconds", "gauge",
           "When the last sweep of each kind ended (Unix time); 0: never.");
    for (size_t k = 0; k < 3; k++)
        sample_ms(b, "tdectl_sweep_last_end_timestamp_seconds", L("kind", kinds[k]),
                  s->last_end_ms[k]);
    family(b, "tdectl_sweep_last_success_timestamp_seconds", "gauge",
           "When the last full or health sweep ended with no read failed since the sweep "
           "before it (Unix time); 0: never.");
    sample_ms(b, "tdectl_sweep_last_success_timestamp_seconds", NULL, s->last_success_ms);
}

static void oldest(int64_t *at, const struct fresh *f)
{
    if (f->read_at != 0 && (*at == 0 || f->read_at < *at))
        *at = f->read_at;
}

/* The oldest successful read among the parts the health rules judge; 0 when none. */
static int64_t oldest_read(const struct model *m)
{
    int64_t at = 0;
    for (size_t i = 0; i < m->nsubs; i++)
        oldest(&at, &m->subs[i]->fresh);
    for (size_t i = 0; i < m->nfogs; i++)
        oldest(&at, &m->fogs[i]->fresh);
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        oldest(&at, &mi->arm_fresh);
        oldest(&at, &mi->keys_fresh);
        oldest(&at, &mi->protector_fresh);
        oldest(&at, &mi->dbs_fresh);
    }
    for (size_t i = 0; i < m->nvaults; i++) {
        const struct model_vault *v = m->vaults[i];
        if (v->deleted)
            continue; /* nothing left to read: its age would grow for ever */
        oldest(&at, &v->arm_fresh);
        oldest(&at, &v->keys_fresh);
        for (size_t k = 0; k < v->nkeys; k++)
            oldest(&at, &v->keys[k].versions_fresh);
    }
    return at;
}

static void render_age(struct mbuf *b, const struct model *m, int64_t now_ms)
{
    int64_t at = oldest_read(m);
    family(b, "tdectl_data_age_seconds", "gauge",
           "Age of the oldest part of tdectl's picture (subscriptions, failover groups, "
           "instances, vaults, key lists, version lists): how out of date it may be.");
    if (at != 0)
        sample_ms(b, "tdectl_data_age_seconds", NULL, now_ms > at ? now_ms - at : 0);
}

char *metrics_render(const struct metrics_input *in, size_t *len)
{
    if (in == NULL)
        return NULL;
    struct model empty = {0};
    const struct model *m = in->model ? in->model : &empty;
    struct mbuf b = {0};
    mb_reserve(&b, 0);
    b.p[0] = '\0';
    render_build(&b, in);
    render_vaults(&b, m);
    render_keys(&b, m, in->now_ms);
    render_instance_info(&b, m);
    render_access(&b, in, m);
    render_dbs(&b, m);
    render_clock(&b, in, m);
    render_findings(&b, in->health);
    if (in->activity)
        render_api(&b, in->activity);
    if (in->signin)
        render_signin(&b, in->signin);
    if (in->engine)
        render_engine(&b, in->engine);
    if (in->sweeps)
        render_sweeps(&b, in->sweeps);
    render_age(&b, m, in->now_ms);
    if (len)
        *len = b.len;
    return b.p;
}
