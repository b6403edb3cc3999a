#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "estate.h"
#include "healclock.h"
#include "observed.h"
#include "textsafe.h"
#include "xmem.h"

/*
 * The report is built once, as the JSON document it prints (a tree tdectl
 * made, not parsed input); the text form reads the same tree, so the two
 * cannot disagree.
 */
struct report {
    cJSON *doc;
    enum report_status status;
    char *summary;
    size_t counts[HEALTH_CRIT + 1]; /* findings in scope, by severity */
};

/* What the group depends on: names the scope accepts. */
struct scope {
    const char *group;
    const char *names[8]; /* instance names, vault names, the subscription */
    size_t n;
    const struct model *m;
};

static void scope_add(struct scope *s, const char *name)
{
    if (name && s->n < sizeof s->names / sizeof s->names[0])
        s->names[s->n++] = name;
}

static bool scope_has(const struct scope *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->names[i]) == len && strncasecmp(s->names[i], name, len) == 0)
            return true;
    return false;
}

static int scope_init(struct scope *s, const struct model *m, const char *group, char **cause)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->group = group;
    if (group == NULL)
        return 0;
    const struct model_fog *fg = NULL;
    for (size_t i = 0; i < m->nfogs && fg == NULL; i++)
        if (strcasecmp(m->fogs[i]->name, group) == 0)
            fg = m->fogs[i];
    if (fg == NULL) {
        xcause(cause, "no failover group named %s was found", group);
        return -1;
    }
    s->group = fg->name;
    const struct model_instance *mis[2] = {estate_fog_primary(m, fg), estate_fog_secondary(m, fg)};
    for (int k = 0; k < 2; k++) {
        if (mis[k] == NULL)
            continue;
        scope_add(s, mis[k]->name);
        struct estate_use uses[3];
        size_t nu = estate_uses(m, mis[k], uses);
        for (size_t u = 0; u < nu; u++)
            if (!scope_has(s, uses[u].vault->name, strlen(uses[u].vault->name)))
                scope_add(s, uses[u].vault->name);
    }
    for (size_t i = 0; i < m->nsubs; i++)
        if (fg->subscription_id && strcasecmp(m->subs[i]->id, fg->subscription_id) == 0)
            scope_add(s, m->subs[i]->name ? m->subs[i]->name : m->subs[i]->id);
    return 0;
}

/* Whether a finding's subject ("vault X", "key X/K", "pair G" ...) is in scope. */
static bool in_scope(const struct scope *s, const char *subject)
{
    if (s->group == NULL || strcmp(subject, "estate (all)") == 0)
        return true;
    const char *sp = strchr(subject, ' ');
    if (sp == NULL)
        return false;
    const char *name = sp + 1;
    size_t kind = (size_t)(sp - subject);
    if (kind == 4 && strncmp(subject, "pair", 4) == 0)
        return strcasecmp(name, s->group) == 0;
    if (kind == 3 && strncmp(subject, "key", 3) == 0)
        return scope_has(s, name, strcspn(name, "/"));
    if (kind == 8 && strncmp(subject, "endpoint", 8) == 0) {
        for (size_t i = 0; i < s->m->npes; i++)
            if (strcasecmp(s->m->pes[i]->name, name) == 0) {
                const struct model_vault *v = estate_pe_vault(s->m, s->m->pes[i]);
                return v && scope_has(s, v->name, strlen(v->name));
            }
        return false;
    }
    return scope_has(s, name, strlen(name)); /* instance, vault, subscription */
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    if (ms <= 0) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(o, name, buf);
}

static const char *access_name(enum whatif_outcome o)
{
    switch (o) {
    case WHATIF_UNAFFECTED:
        return "ok";
    case WHATIF_VIA_SECONDARY:
        return "fallback";
    case WHATIF_INACCESSIBLE:
        return "lost";
    case WHATIF_INSTANCE_DOWN:
        return "instance-down";
    default:
        return "unknown";
    }
}

static void add_clock(cJSON *o, const struct report_input *in, const struct model_instance *mi)
{
    struct healclock c;
    if (!health_clock(in->health, mi, in->now_ms, &c) || !c.lost) {
        cJSON_AddNullToObject(o, "inaccessible_clock");
        return;
    }
    cJSON *j = cJSON_AddObjectToObject(o, "inaccessible_clock");
    cJSON_AddBoolToObject(j, "predicted", c.predicted);
    add_time(j, "lost_at", c.lost_at_ms);
    add_time(j, "inaccessible_at", c.inaccessible_at_ms);
    add_time(j, "window_end", c.window_end_ms);
    /* NOLINTNEXTLINE(bugprone-integer-division): whole seconds, on purpose */
    cJSON_AddNumberToObject(j, "seconds_left", (double)(c.left_ms / 1000));
    cJSON_AddBoolToObject(j, "revalidate_only", c.revalidate_only);
}

static void add_instance(cJSON *arr, const struct report_input *in, const struct model_instance *mi,
                         const struct whatif_result *w)
{
    const struct model *m = in->model;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", mi->name);
    cJSON_AddStringToObject(o, "id", mi->id);
    cJSON_AddStringToObject(o, "location", mi->location ? mi->location : "");
    const struct model_fog *fg = model_fog_of(m, mi);
    if (fg) {
        cJSON_AddStringToObject(o, "group", fg->name);
        cJSON_AddStringToObject(o, "role",
                                estate_fog_primary(m, fg) == mi ? "primary" : "secondary");
    } else {
        cJSON_AddNullToObject(o, "group");
        cJSON_AddNullToObject(o, "role");
    }
    cJSON_AddStringToObject(o, "state", mi->state ? mi->state : "");
    size_t online = 0, inacc = 0;
    for (size_t d = 0; d < mi->ndbs; d++) {
        online += mi->dbs[d].status && strcmp(mi->dbs[d].status, "Online") == 0;
        inacc += mi->dbs[d].status && strcmp(mi->dbs[d].status, "Inaccessible") == 0;
    }
    cJSON *dbs = cJSON_AddObjectToObject(o, "databases");
    cJSON_AddNumberToObject(dbs, "online", (double)online);
    cJSON_AddNumberToObject(dbs, "inaccessible", (double)inacc);
    cJSON_AddNumberToObject(dbs, "other", (double)(mi->ndbs - online - inacc));
    cJSON_AddStringToObject(o, "protector", mi->protector.uri ? mi->protector.uri : "");
    cJSON_AddStringToObject(o, "key_access", access_name(w ? w->outcome : WHATIF_UNKNOWN));
    cJSON_AddStringToObject(o, "via", w ? w->via : "");
    cJSON_AddStringToObject(o, "reason", w ? w->reason : "no prediction");
    add_clock(o, in, mi);
    cJSON_AddItemToArray(arr, o);
}

static void add_vault(cJSON *arr, const struct model_vault *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddStringToObject(o, "location", v->location ? v->location : "");
    const char *state = v->deleted                     ? "deleted"
                        : v->probe_fresh.tried_at == 0 ? "unknown"
                        : v->probe_fresh.status == 429 && model_fresh_stale(&v->probe_fresh)
                            ? "throttled"
                        : observed_vault_down(v) ? "down"
                                                 : "up";
    cJSON_AddStringToObject(o, "reachability", state);
    if (v->probe_latency_ms >= 0 && strcmp(state, "up") == 0)
        cJSON_AddNumberToObject(o, "latency_ms", (double)v->probe_latency_ms);
    else
        cJSON_AddNullToObject(o, "latency_ms");
    if (v->probe_fresh.error)
        cJSON_AddStringToObject(o, "error", v->probe_fresh.error);
    else
        cJSON_AddNullToObject(o, "error");
    cJSON_AddItemToArray(arr, o);
}

/* Findings in scope into arr; counts by severity; whether a HIGH D01 is among them. */
static bool add_findings(cJSON *arr, const struct report_input *in, const struct scope *s,
                         size_t counts[HEALTH_CRIT + 1])
{
    size_t n;
    bool blind = false;
    const struct health_finding *f = health_findings(in->health, &n);
    for (size_t i = 0; i < n; i++) {
        if (!in_scope(s, f[i].subject))
            continue;
        counts[f[i].sev]++;
        blind = blind || (strcmp(f[i].rule, "D01") == 0 && f[i].sev >= HEALTH_HIGH);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "rule", f[i].rule);
        cJSON_AddStringToObject(o, "severity", health_sev_name(f[i].sev));
        cJSON_AddStringToObject(o, "subject", f[i].subject);
        cJSON_AddStringToObject(o, "title", f[i].title);
        cJSON_AddStringToObject(o, "evidence", f[i].evidence ? f[i].evidence : "");
        cJSON_AddStringToObject(o, "remedy", f[i].remedy ? f[i].remedy : "");
        cJSON_AddBoolToObject(o, "stale", f[i].stale);
        add_time(o, "first_seen", f[i].first_seen);
        cJSON_AddItemToArray(arr, o);
    }
    return blind;
}

static enum report_status judge(const size_t counts[HEALTH_CRIT + 1], bool blind, bool complete,
                                bool empty)
{
    if (counts[HEALTH_CRIT])
        return REPORT_CRITICAL;
    if (blind || !complete || empty)
        return REPORT_UNKNOWN;
    if (counts[HEALTH_HIGH] || counts[HEALTH_MED])
        return REPORT_WARNING;
    return REPORT_OK;
}

static char *summarise(enum report_status st, const size_t c[HEALTH_CRIT + 1], bool complete,
                       const cJSON *findings)
{
    const cJSON *first = cJSON_GetArrayItem(findings, 0);
    char worst[200] = "";
    if (first && st != REPORT_OK) {
        /* The worst finding in concrete words (rule titles state what should hold). */
        snprintf(worst, sizeof worst, "; worst: %s %s: %s",
                 cJSON_GetObjectItemCaseSensitive(first, "rule")->valuestring,
                 cJSON_GetObjectItemCaseSensitive(first, "subject")->valuestring,
                 cJSON_GetObjectItemCaseSensitive(first, "evidence")->valuestring);
    }
    return xasprintf("%s: %zu critical, %zu high, %zu medium, %zu low%s%s", report_status_name(st),
                     c[HEALTH_CRIT], c[HEALTH_HIGH], c[HEALTH_MED], c[HEALTH_LOW],
                     complete ? "" : "; the sweep did not complete", worst);
}

static void add_meta(cJSON *doc, const struct report_input *in, const struct scope *s)
{
    cJSON_AddStringToObject(doc, "schema", REPORT_SCHEMA);
    cJSON_AddStringToObject(doc, "tdectl", in->version ? in->version : "");
    add_time(doc, "generated_at", in->now_ms);
    if (s->group)
        cJSON_AddStringToObject(doc, "group", s->group);
    else
        cJSON_AddNullToObject(doc, "group");
    cJSON *sw = cJSON_AddObjectToObject(doc, "sweep");
    cJSON_AddBoolToObject(sw, "complete", in->sweep_complete);
    cJSON_AddNumberToObject(sw, "duration_ms", (double)in->sweep_ms);
    cJSON_AddNumberToObject(sw, "requests", (double)in->requests);
    cJSON_AddNumberToObject(sw, "failures", (double)in->failures);
}

/*
 * Every string of the document made safe (textsafe.h): names, states and
 * evidence come from Azure's answers, and both the text (a terminal) and the
 * JSON (UTF-8 only) are printed from the document.
 */
static void clean_strings(cJSON *node)
{
    for (; node; node = node->next) {
        if (cJSON_IsString(node) && !textsafe_clean(node->valuestring)) {
            char *safe = textsafe_copy(node->valuestring);
            cJSON_SetValuestring(node, safe); /* never longer: copied in place */
            free(safe);
        }
        clean_strings(node->child);
    }
}

struct report *report_create(const struct report_input *in, char **cause)
{
    struct scope s;
    if (scope_init(&s, in->model, in->group, cause) < 0)
        return NULL;
    struct report *r = xcalloc(1, sizeof *r);
    r->doc = cJSON_CreateObject();
    add_meta(r->doc, in, &s);
    cJSON *status = cJSON_AddObjectToObject(r->doc, "status");
    size_t nw = 0;
    struct whatif_result *w = observed_run(in->model, NULL, in->whatif, &nw);
    cJSON *insts = cJSON_AddArrayToObject(r->doc, "instances");
    size_t ninst = 0;
    for (size_t i = 0; i < in->model->ninstances; i++) {
        const struct model_instance *mi = in->model->instances[i];
        if (s.group && !scope_has(&s, mi->name, strlen(mi->name)))
            continue;
        const struct whatif_result *wi = NULL;
        for (size_t k = 0; k < nw; k++)
            if (strcmp(w[k].instance, mi->name) == 0)
                wi = &w[k];
        add_instance(insts, in, mi, wi);
        ninst++;
    }
    free(w);
    cJSON *vaults = cJSON_AddArrayToObject(r->doc, "vaults");
    for (size_t i = 0; i < in->model->nvaults; i++)
        if (s.group == NULL ||
            scope_has(&s, in->model->vaults[i]->name, strlen(in->model->vaults[i]->name)))
            add_vault(vaults, in->model->vaults[i]);
    size_t *counts = r->counts;
    cJSON *findings = cJSON_AddArrayToObject(r->doc, "findings");
    bool blind = add_findings(findings, in, &s, counts);
    clean_strings(r->doc);
    r->status = judge(counts, blind, in->sweep_complete, ninst == 0);
    r->summary = summarise(r->status, counts, in->sweep_complete, findings);
    cJSON_AddStringToObject(status, "name", report_status_name(r->status));
    cJSON_AddNumberToObject(status, "exit_code", r->status);
    cJSON_AddStringToObject(status, "summary", r->summary);
    cJSON *c = cJSON_AddObjectToObject(status, "counts");
    for (int sev = HEALTH_CRIT; sev >= HEALTH_INFO; sev--)
        cJSON_AddNumberToObject(c, health_sev_name((enum health_sev)sev), (double)counts[sev]);
    return r;
}

void report_destroy(struct report *r)
{
    if (r == NULL)
        return;
    cJSON_Delete(r->doc);
    free(r->summary);
    free(r);
}

enum report_status report_status(const struct report *r)
{
    return r->status;
}

const char *report_status_name(enum report_status s)
{
    static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    return (unsigned)s < 4 ? names[s] : "UNKNOWN";
}

size_t report_count(const struct report *r, enum health_sev sev)
{
    return (unsigned)sev <= HEALTH_CRIT ? r->counts[sev] : 0;
}

const char *report_summary(const struct report *r)
{
    return r->summary;
}

char *report_json(const struct report *r)
{
    char *text = cJSON_Print(r->doc);
    if (text == NULL)
        abort(); /* out of memory: xmem's policy */
    char *out = xasprintf("%s\n", text);
    cJSON_free(text);
    return out;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(j) ? j->valuestring : "";
}

/* Appends a formatted line to *buf. */
static void addf(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(char **buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    char *grown = xasprintf("%s%s", *buf, line);
    free(line);
    free(*buf);
    *buf = grown;
}

char *report_text(const struct report *r)
{
    char *out = xasprintf("%s\n", r->summary);
    const cJSON *o;
    addf(&out, "\nInstances\n");
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(r->doc, "instances"))
    {
        const cJSON *dbs = cJSON_GetObjectItemCaseSensitive(o, "databases");
        const cJSON *clock = cJSON_GetObjectItemCaseSensitive(o, "inaccessible_clock");
        addf(&out, "  %-24s key access %-8s%s%s  databases %d online, %d Inaccessible",
             str(o, "name"), str(o, "key_access"), str(o, "via")[0] ? " via " : "", str(o, "via"),
             cJSON_GetObjectItemCaseSensitive(dbs, "online")->valueint,
             cJSON_GetObjectItemCaseSensitive(dbs, "inaccessible")->valueint);
        if (cJSON_IsObject(clock))
            addf(&out, "  INACCESSIBLE CLOCK: %d s left",
                 cJSON_GetObjectItemCaseSensitive(clock, "seconds_left")->valueint);
        addf(&out, "\n");
    }
    addf(&out, "\nVaults\n");
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(r->doc, "vaults"))
        addf(&out, "  %-24s %s%s%s\n", str(o, "name"), str(o, "reachability"),
             str(o, "error")[0] ? ": " : "", str(o, "error"));
    const cJSON *findings = cJSON_GetObjectItemCaseSensitive(r->doc, "findings");
    addf(&out, "\nFindings (%d)\n", cJSON_GetArraySize(findings));
    cJSON_ArrayForEach(o, findings)
    {
        addf(&out, "  %-4s %-3s %s: %s%s\n", str(o, "severity"), str(o, "rule"), str(o, "subject"),
             str(o, "title"),
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "stale")) ? " (stale data)" : "");
        addf(&out, "       evidence: %s\n       remedy: %s\n", str(o, "evidence"),
             str(o, "remedy"));
    }
    return out;
}

int report_group_findings(const struct model *m, const struct health *h, const char *group,
                          enum health_sev min, const struct health_finding ***out, size_t *n,
                          char **cause)
{
    *out = NULL;
    *n = 0;
    struct scope s;
    if (scope_init(&s, m, group, cause) < 0)
        return -1;
    size_t nf = 0;
    const struct health_finding *f = health_findings(h, &nf);
    for (size_t i = 0; i < nf; i++)
        if (f[i].sev >= min && in_scope(&s, f[i].subject)) {
            *out = xrealloc(*out, *n + 1, sizeof **out);
            (*out)[(*n)++] = &f[i];
        }
    return 0;
}
