#define _GNU_SOURCE /* strcasestr */
/*
 * view_vaults — one row per vault tdectl watches: health and the reason when
 * it is not UP, the console's latency to it with a sparkline of the last
 * probes, the properties SQL needs (soft delete, purge protection, access
 * model, firewall, private endpoints), its keys, the 429s it answered in the
 * last 10 minutes and the findings about it. The line above the table is the
 * API budget: the engine's reads, failures, queue and throttling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activity.h"
#include "app.h"
#include "engine.h"
#include "health.h"
#include "latency.h"
#include "listview.h"
#include "spark.h"
#include "vaultstate.h"
#include "xmem.h"

enum {
    C_NAME,
    C_REGION,
    C_HEALTH,
    C_MS,
    C_SPARK,
    C_SOFT,
    C_PURGE,
    C_ACCESS,
    C_FIREWALL,
    C_PE,
    C_KEYS,
    C_429,
    C_FIND,
    C_WHY,
    NCOLS
};

static const struct table_column cols[NCOLS] = {
    {"VAULT", 12, 28, 2, false},      {"REGION", 8, 14, 1, false},
    {"HEALTH", 9, 9, 0, false},       {"MS", 5, 6, 0, true},
    {"LATENCY", 12, 20, 1, false},    {"SOFT-DEL", 8, 8, 0, false},
    {"PURGE-PROT", 10, 10, 0, false}, {"ACCESS", 7, 7, 0, false},
    {"FIREWALL", 9, 22, 1, false},    {"PRIV-ENDPOINTS", 14, 22, 0, false},
    {"KEYS", 4, 5, 0, true},          {"429/10m", 7, 7, 0, true},
    {"FINDINGS", 8, 8, 0, true},      {"WHY", 10, 0, 3, false},
};

static void *create(struct app *a)
{
    (void)a;
    return listview_create(cols, NCOLS, 0);
}

/* Findings about the vault or its keys. */
static size_t findings_of(const struct health *h, const char *vault)
{
    size_t n, count = 0, len = strlen(vault);
    const struct health_finding *f = health_findings(h, &n);
    for (size_t i = 0; i < n; i++) {
        const char *s = f[i].subject;
        if ((strncmp(s, "vault ", 6) == 0 && strcasecmp(s + 6, vault) == 0) ||
            (strncmp(s, "key ", 4) == 0 && strncasecmp(s + 4, vault, len) == 0 &&
             s[4 + len] == '/'))
            count++;
    }
    return count;
}

static void firewall(const struct model_vault *v, char *buf, size_t size, enum theme_role *role)
{
    *role = THEME_NORMAL;
    if (v->public_network_access && strcasecmp(v->public_network_access, "Disabled") == 0)
        snprintf(buf, size, "public off");
    else if (v->default_action && strcasecmp(v->default_action, "Deny") == 0) {
        bool trusted = v->bypass && strcasestr(v->bypass, "AzureServices");
        snprintf(buf, size, "Deny%s", trusted ? " +trusted" : " NO trusted");
        *role = trusted ? THEME_NORMAL : THEME_WARN;
    } else
        snprintf(buf, size, "open");
}

static void add_vault(struct listview *lv, struct app *a, const struct model_vault *mv)
{
    struct rows *r = lv->rows;
    int64_t now = app_now(a);
    struct vaultstate st;
    vaultstate_of(mv, now, &st);
    size_t i = rows_add(r, mv->name, 0);
    rows_set(r, i, C_NAME, THEME_NORMAL, "%s", mv->name);
    rows_set(r, i, C_REGION, THEME_NORMAL, "%s", mv->location ? mv->location : "?");
    rows_set(r, i, C_HEALTH, st.role, "%s", st.word);
    if (st.latency_ms >= 0)
        rows_set(r, i, C_MS, THEME_NORMAL, "%ld", st.latency_ms);
    size_t ns;
    const long *samples = latency_samples(a->latency, mv->name, &ns);
    char spark[128];
    spark_format(spark, sizeof spark, samples, ns, 20, 0, theme_glyphs(a->theme));
    rows_set(r, i, C_SPARK, THEME_INFO, "%s", spark);
    bool known = mv->arm_fresh.read_at != 0;
    rows_set(r, i, C_SOFT,
             !known            ? THEME_DIM
             : mv->soft_delete ? THEME_OK
                               : THEME_CRIT,
             "%s",
             !known            ? "?"
             : mv->soft_delete ? "on"
                               : "OFF");
    rows_set(r, i, C_PURGE,
             !known                 ? THEME_DIM
             : mv->purge_protection ? THEME_OK
                                    : THEME_CRIT,
             "%s",
             !known                 ? "?"
             : mv->purge_protection ? "on"
                                    : "OFF");
    rows_set(r, i, C_ACCESS, THEME_NORMAL, "%s", !known ? "?" : mv->rbac ? "RBAC" : "policy");
    char fw[32];
    enum theme_role fw_role;
    firewall(mv, fw, sizeof fw, &fw_role);
    rows_set(r, i, C_FIREWALL, known ? fw_role : THEME_DIM, "%s", known ? fw : "?");
    rows_set(r, i, C_PE, st.pe_role, "%s", st.pe);
    rows_set(r, i, C_KEYS, THEME_NORMAL, "%zu", mv->nkeys);
    char host[300];
    const char *u = mv->uri ? strstr(mv->uri, "://") : NULL;
    snprintf(host, sizeof host, "%.*s", u ? (int)strcspn(u + 3, ":/") : 0, u ? u + 3 : "");
    size_t thr = activity_throttled_since(a->activity, host, now - 600000);
    rows_set(r, i, C_429, thr ? THEME_WARN : THEME_DIM, "%zu", thr);
    size_t nf = findings_of(a->health, mv->name);
    rows_set(r, i, C_FIND, nf ? THEME_WARN : THEME_OK, "%zu", nf);
    rows_set(r, i, C_WHY, st.role == THEME_OK ? THEME_DIM : st.role, "%s", st.why);
    if (model_fresh_stale(&mv->arm_fresh) && known)
        rows_set(r, i, C_WHY, THEME_STALE, "properties stale: %s",
                 mv->arm_fresh.error ? mv->arm_fresh.error : "read failed");
}

static void rebuild(void *p, struct app *a)
{
    struct listview *lv = p;
    const struct model *m = engine_model(a->engine);
    listview_begin(lv);
    for (size_t i = 0; i < m->nvaults; i++)
        add_vault(lv, a, m->vaults[i]);
    listview_end(lv);
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct listview *lv = p;
    struct engine_stats es = engine_stats(a->engine);
    struct activity_counts c = activity_counts(a->activity);
    char line[256];
    snprintf(line, sizeof line,
             "API budget: %llu reads (%llu failed), %zu in flight, %zu queued; %llu x 429 "
             "throttled so far; periodic reads capped at %lld/min",
             (unsigned long long)es.requests, (unsigned long long)es.failures, es.in_flight,
             es.queued, (unsigned long long)c.throttled, (long long)a->config.poll_max_rpm);
    wattrset(w, theme_attr(a->theme, c.throttled ? THEME_WARN : THEME_DIM));
    mvwaddnstr(w, y, x + 1, line, wd - 2);
    wattrset(w, A_NORMAL);
    listview_draw(lv, w, a->theme, y + 1, x, h - 1, wd, true);
}

static bool act(void *p, struct app *a, enum action act)
{
    struct listview *lv = p;
    if (act == ACT_ENTER) {
        /* Drill down: the vault's keys and versions. */
        const char *name = listview_selected(lv);
        if (name[0]) {
            char *subject = xasprintf("vault %s", name);
            app_jump(a, VIEW_KEYS, subject);
            free(subject);
        }
        return true;
    }
    return listview_act(lv, act);
}

const struct view_ops view_vaults_ops = {
    "vaults",
    "Vaults",
    create,
    listview_op_destroy,
    rebuild,
    draw,
    act,
    listview_op_filter,
    listview_op_pattern,
    listview_op_selected,
    listview_op_select,
    listview_op_counts,
    listview_op_click,
};
