/*
 * view_keys — the key versions of the two vaults of each failover group side
 * by side: vault A is the primary instance's primary vault, vault B the
 * secondary's. Versions are matched by material (tdectl's public-key
 * fingerprint), else by version id; the MATCH column says in words what a
 * colour would: "same" material in both, "A only" / "B only", "DIFFERENT"
 * material under one version id, "unread" when a side's material is not
 * read yet. Each key starts with a row naming its rotation policy in both
 * vaults. Vaults outside any group are listed alone (side A).
 *
 * The table is virtualised (only rows on screen are drawn) and rows are built
 * when the data changes, so keys with hundreds of versions cost nothing per
 * keystroke.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "bkscreen.h"
#include "engine.h"
#include "estate.h"
#include "fmt.h"
#include "listview.h"
#include "xmem.h"

enum {
    C_KEY,
    C_AVER,
    C_ASTATE,
    C_MATCH,
    C_BVER,
    C_BSTATE,
    C_EXPIRES,
    C_PROT,
    C_CREATED,
    C_FP,
    C_PAIR,
    NCOLS
};

static const struct table_column cols[NCOLS] = {
    {"KEY", 16, 30, 3, false},         {"A VERSION", 9, 9, 0, false},
    {"A STATE", 8, 9, 0, false},       {"MATCH", 11, 11, 0, false},
    {"B VERSION", 9, 9, 0, false},     {"B STATE", 8, 9, 0, false},
    {"EXPIRES", 7, 10, 0, false},      {"PROTECTOR OF", 12, 40, 2, false},
    {"CREATED", 10, 10, 0, false},     {"FINGERPRINT", 12, 16, 0, false},
    {"VAULTS A | B", 14, 0, 1, false},
};

enum { TAG_VERSION, TAG_KEY };

static void *create(struct app *a)
{
    (void)a;
    return listview_create(cols, NCOLS, 0);
}

/* An instance's protector version, resolved once per rebuild (not once per row). */
struct prot {
    const struct model_version *ver;
    const char *instance;
};

struct pairctx {
    struct rows *r;
    const struct model_vault *va, *vb;
    int64_t now_s;
    int64_t warn_s; /* expiry closer than this is a warning */
    struct prot *prots;
    size_t nprots;
};

static void state_cell(struct pairctx *c, size_t row, size_t col, const struct model_version *ver)
{
    if (ver == NULL) {
        rows_set(c->r, row, col, THEME_DIM, "-");
        return;
    }
    if (!ver->enabled)
        rows_set(c->r, row, col, THEME_CRIT, "DISABLED");
    else if (ver->exp && ver->exp <= c->now_s)
        rows_set(c->r, row, col, THEME_CRIT, "EXPIRED");
    else if (ver->nbf && ver->nbf > c->now_s)
        rows_set(c->r, row, col, THEME_WARN, "not yet");
    else
        rows_set(c->r, row, col, THEME_OK, "enabled");
}

static void expires_cell(struct pairctx *c, size_t row, const struct model_version *x,
                         const struct model_version *y)
{
    int64_t exp = x && x->exp ? x->exp : 0;
    if (y && y->exp && (exp == 0 || y->exp < exp))
        exp = y->exp;
    if (exp == 0) {
        rows_set(c->r, row, C_EXPIRES, THEME_DIM, "never");
        return;
    }
    int64_t left = exp - c->now_s;
    enum theme_role role = left <= 7 * 86400   ? THEME_CRIT
                           : left <= c->warn_s ? THEME_WARN
                                               : THEME_NORMAL;
    if (left <= 0)
        rows_set(c->r, row, C_EXPIRES, THEME_CRIT, "EXPIRED");
    else
        rows_set(c->r, row, C_EXPIRES, role, "in %lldd", (long long)(left / 86400));
}

/* Instances whose protector is this version (in either vault), comma-separated. */
static void protector_cell(struct pairctx *c, size_t row, const struct model_version *x,
                           const struct model_version *y)
{
    char buf[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < c->nprots; i++) {
        const struct model_version *pv = c->prots[i].ver;
        if ((pv == x || pv == y) && len < sizeof buf)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? ", " : "",
                                    c->prots[i].instance);
    }
    rows_set(c->r, row, C_PROT, len ? THEME_TITLE : THEME_DIM, "%s", len ? buf : "-");
}

static const struct model_version *match_in(const struct model_key *k,
                                            const struct model_version *ver)
{
    if (k == NULL)
        return NULL;
    for (size_t i = 0; ver->fingerprint[0] && i < k->nversions; i++)
        if (strcmp(k->versions[i].fingerprint, ver->fingerprint) == 0)
            return &k->versions[i];
    return model_version(k, ver->version);
}

static void add_version(struct pairctx *c, const struct model_key *key,
                        const struct model_version *x, const struct model_version *y)
{
    const struct model_version *any = x ? x : y;
    /* cppcheck-suppress nullPointerRedundantCheck ; callers pass x, y or both */
    size_t row = rows_add(c->r, any->kid, TAG_VERSION);
    char s[16], date[16];
    rows_set(c->r, row, C_KEY, THEME_DIM, "  %s", key->name);
    rows_set(c->r, row, C_AVER, THEME_NORMAL, "%s",
             x ? fmt_short(s, sizeof s, x->version, 8) : "-");
    state_cell(c, row, C_ASTATE, x);
    rows_set(c->r, row, C_BVER, THEME_NORMAL, "%s",
             y ? fmt_short(s, sizeof s, y->version, 8) : "-");
    state_cell(c, row, C_BSTATE, y);
    if (c->vb == NULL)
        rows_set(c->r, row, C_MATCH, THEME_DIM, "one vault");
    else if (x == NULL || y == NULL)
        rows_set(c->r, row, C_MATCH, THEME_DIFF, "%s only", x ? "A" : "B");
    else if (!x->fingerprint[0] || !y->fingerprint[0])
        rows_set(c->r, row, C_MATCH, THEME_DIM, "unread");
    else if (strcmp(x->fingerprint, y->fingerprint) != 0)
        rows_set(c->r, row, C_MATCH, THEME_DIFF, "DIFFERENT");
    else
        rows_set(c->r, row, C_MATCH, THEME_OK, "same");
    expires_cell(c, row, x, y);
    protector_cell(c, row, x, y);
    rows_set(c->r, row, C_CREATED, THEME_DIM, "%s", fmt_date(date, sizeof date, any->created));
    rows_set(c->r, row, C_FP, THEME_DIM, "%s",
             any->fingerprint[0] ? fmt_short(s, sizeof s, any->fingerprint, 12) : "?");
    rows_set(c->r, row, C_PAIR, THEME_DIM, "%s | %s", c->va ? c->va->name : "-",
             c->vb ? c->vb->name : "-");
}

static void policy_text(const struct model_key *k, char *buf, size_t size)
{
    if (k == NULL)
        snprintf(buf, size, "absent");
    else if (!k->rotation.read)
        snprintf(buf, size, "policy ?");
    else
        snprintf(buf, size, "%s%s%s%s", k->rotation.rotate ? "auto-rotate " : "",
                 k->rotation.notify ? "notify " : "", k->rotation.expiry_time ? "expiry " : "",
                 k->rotation.expiry_time ? k->rotation.expiry_time : "");
}

static void add_key(struct pairctx *c, const char *name)
{
    const struct model_key *ka = c->va ? model_key(c->va, name) : NULL;
    const struct model_key *kb = c->vb ? model_key(c->vb, name) : NULL;
    char subject[300], pa[96], pb[96];
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): name is from va or vb */
    snprintf(subject, sizeof subject, "key %s/%s", (ka ? c->va : c->vb)->name, name);
    size_t row = rows_add(c->r, subject, TAG_KEY);
    policy_text(ka, pa, sizeof pa);
    policy_text(kb, pb, sizeof pb);
    bool differ = c->vb && strcmp(pa, pb) != 0;
    rows_set(c->r, row, C_KEY, THEME_TITLE, "%s", name);
    rows_set(c->r, row, C_MATCH, differ ? THEME_DIFF : THEME_DIM, "%s",
             differ ? "POLICY DIFF" : "");
    rows_set(c->r, row, C_PROT, THEME_DIM, "A: %s%s%s", pa, c->vb ? " | B: " : "", c->vb ? pb : "");
    rows_set(c->r, row, C_PAIR, THEME_DIM, "%s | %s", c->va ? c->va->name : "-",
             c->vb ? c->vb->name : "-");
    /* A's versions in order, each with its match in B; then B's without a match in A. */
    for (size_t i = 0; ka && i < ka->nversions; i++)
        add_version(c, ka, &ka->versions[i], match_in(kb, &ka->versions[i]));
    for (size_t i = 0; kb && i < kb->nversions; i++)
        if (match_in(ka, &kb->versions[i]) == NULL)
            add_version(c, kb, NULL, &kb->versions[i]);
}

static void add_pair(struct pairctx *c)
{
    /* Key names of A, then those only B has (both lists are sorted). */
    for (size_t i = 0; c->va && i < c->va->nkeys; i++)
        add_key(c, c->va->keys[i].name);
    for (size_t i = 0; c->vb && i < c->vb->nkeys; i++)
        if (c->va == NULL || model_key(c->va, c->vb->keys[i].name) == NULL)
            add_key(c, c->vb->keys[i].name);
}

static bool seen(const struct model_vault *const *done, size_t n, const struct model_vault *v)
{
    for (size_t i = 0; i < n; i++)
        if (done[i] == v)
            return true;
    return false;
}

static void rebuild(void *p, struct app *a)
{
    struct listview *lv = p;
    const struct model *m = engine_model(a->engine);
    const struct model_vault **done = xcalloc(m->nvaults + 1, sizeof *done);
    size_t ndone = 0;
    struct pairctx c = {lv->rows, NULL, NULL, app_now(a) / 1000, 30 * 86400, NULL, 0};
    if (a->config.nexpiry_warn_days)
        c.warn_s = a->config.expiry_warn_days[0] * 86400;
    c.prots = xcalloc(m->ninstances + 1, sizeof *c.prots);
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_version *pv = model_version_by_uri(m, m->instances[i]->protector.uri);
        if (pv)
            c.prots[c.nprots++] = (struct prot){pv, m->instances[i]->name};
    }
    listview_begin(lv);
    for (size_t i = 0; i < m->nfogs; i++) {
        const struct model_instance *p1 = estate_fog_primary(m, m->fogs[i]);
        const struct model_instance *p2 = estate_fog_secondary(m, m->fogs[i]);
        c.va = estate_primary_vault(m, p1);
        c.vb = estate_primary_vault(m, p2);
        if (c.va == c.vb)
            c.vb = NULL; /* one vault for both instances: a supported variant */
        if ((c.va && seen(done, ndone, c.va)) || (c.vb && seen(done, ndone, c.vb)) ||
            (c.va == NULL && c.vb == NULL))
            continue;
        add_pair(&c);
        if (c.va)
            done[ndone++] = c.va;
        if (c.vb && ndone < m->nvaults)
            done[ndone++] = c.vb;
    }
    for (size_t i = 0; i < m->nvaults; i++)
        if (!seen(done, ndone, m->vaults[i])) {
            c.va = m->vaults[i];
            c.vb = NULL;
            add_pair(&c);
        }
    listview_end(lv);
    free(done);
    free(c.prots);
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct listview *lv = p;
    wattrset(w, theme_attr(a->theme, THEME_DIM));
    mvwaddnstr(w, y, x + 1,
               "A = the primary instance's vault, B = the secondary's; MATCH compares the "
               "material (public-key fingerprint)",
               wd - 2);
    wattrset(w, A_NORMAL);
    listview_draw(lv, w, a->theme, y + 1, x, h - 1, wd, true);
}

/* "key VAULT/KEY" and "vault VAULT" select that key's (or vault's) first row. */
static bool select_subject(void *p, const char *subject)
{
    struct listview *lv = p;
    if (listview_select(lv, subject))
        return true;
    if (strncmp(subject, "vault ", 6) != 0)
        return false;
    const char *name = subject + 6;
    size_t n = rows_shown(lv->rows), len = strlen(name);
    for (size_t i = 0; i < n; i++) {
        const char *s = rows_subject(lv->rows, rows_row(lv->rows, i));
        if (strncmp(s, "key ", 4) == 0 && strncasecmp(s + 4, name, len) == 0 && s[4 + len] == '/') {
            table_select(lv->table, i);
            return true;
        }
    }
    return false;
}

/* B: the backup screen for the selected key (its row, or one of its versions' rows). */
static void backup_selected(struct listview *lv, struct app *a)
{
    size_t row = listview_row(lv);
    const char *subject = row == SIZE_MAX ? "" : rows_subject(lv->rows, row);
    char vault[128] = "", key[128] = "", version[64];
    const char *slash = strncmp(subject, "key ", 4) == 0 ? strchr(subject + 4, '/') : NULL;
    if (slash && (size_t)(slash - subject - 4) < sizeof vault) {
        snprintf(vault, sizeof vault, "%.*s", (int)(slash - subject - 4), subject + 4);
        snprintf(key, sizeof key, "%s", slash + 1);
    } else if (model_uri_parse(subject, vault, key, version) < 0) {
        key[0] = '\0';
    }
    if (vault[0] && key[0])
        bkscreen_backup(a, NULL, vault, key);
    else
        app_message(a, THEME_HINT, "select a key (or one of its versions) to back it up");
}

static bool act(void *p, struct app *a, enum action act)
{
    struct listview *lv = p;
    if (act == ACT_BACKUP) {
        backup_selected(lv, a);
        return true;
    }
    if (act == ACT_ENTER) {
        /* Drill down from a version to the instances whose protector it is. */
        size_t row = listview_row(lv);
        const char *who = row == SIZE_MAX ? "" : rows_text(lv->rows, row, C_PROT);
        const struct model_instance *mi = NULL;
        char first[128];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(who, ","), who);
        mi = model_instance_by_name(engine_model(a->engine), first);
        if (mi)
            app_jump(a, VIEW_INSTANCES, mi->id);
        else
            app_message(a, THEME_HINT, "no instance uses this version as its protector");
        return true;
    }
    return listview_act(lv, act);
}

const struct view_ops view_keys_ops = {
    "keys",
    "Keys",
    create,
    listview_op_destroy,
    rebuild,
    draw,
    act,
    listview_op_filter,
    listview_op_pattern,
    listview_op_selected,
    select_subject,
    listview_op_counts,
    listview_op_click,
};
