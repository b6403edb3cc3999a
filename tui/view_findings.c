/*
 * view_findings — every finding of core's health rules, most severe first,
 * with the evidence and remedy of the selected one below the table. Enter
 * opens the finding's subject in the view that shows it (vault, instance,
 * failover group, key). Severity is written out (CRIT, HIGH ...), never
 * colour alone; a finding judged on data whose last read failed says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "engine.h"
#include "fmt.h"
#include "frame.h"
#include "health.h"
#include "listview.h"
#include "textview.h"
#include "xmem.h"

enum { C_SEV, C_RULE, C_SUBJECT, C_TITLE, C_AGE, NCOLS, H_EVIDENCE = NCOLS, H_REMEDY, H_FIRST };

static const struct table_column cols[NCOLS] = {
    {"SEV", 10, 10, 0, false},    {"RULE", 4, 4, 0, false}, {"SUBJECT", 16, 40, 2, false},
    {"FINDING", 20, 0, 5, false}, {"FOR", 7, 8, 0, true},
};

struct view_findings {
    struct listview lv; /* first: listview_op_* take the view as the listview */
    struct textview *detail;
};

static void *create(struct app *a)
{
    (void)a;
    struct view_findings *v = xcalloc(1, sizeof *v);
    listview_init(&v->lv, cols, NCOLS, 3);
    v->detail = textview_create();
    return v;
}

static void destroy(void *p)
{
    struct view_findings *v = p;
    listview_cleanup(&v->lv);
    textview_destroy(v->detail);
    free(v);
}

static enum theme_role sev_role(enum health_sev s)
{
    switch (s) {
    case HEALTH_CRIT:
        return THEME_CRIT;
    case HEALTH_HIGH:
    case HEALTH_MED:
        return THEME_WARN;
    case HEALTH_LOW:
        return THEME_INFO;
    default:
        return THEME_DIM;
    }
}

static void rebuild(void *p, struct app *a)
{
    struct view_findings *v = p;
    size_t n;
    const struct health_finding *f = health_findings(a->health, &n);
    int64_t now = app_now(a);
    listview_begin(&v->lv);
    for (size_t i = 0; i < n; i++) {
        char subject[256], age[32], first[32];
        /* rule + subject + key: unique, so the selection follows the finding. */
        snprintf(subject, sizeof subject, "%s|%s|%s", f[i].rule, f[i].subject, f[i].key);
        size_t r = rows_add(v->lv.rows, subject, (int)i);
        rows_set(v->lv.rows, r, C_SEV, sev_role(f[i].sev), "%s%s", health_sev_name(f[i].sev),
                 f[i].stale ? " stale" : "");
        rows_set(v->lv.rows, r, C_RULE, THEME_NORMAL, "%s", f[i].rule);
        rows_set(v->lv.rows, r, C_SUBJECT, THEME_NORMAL, "%s", f[i].subject);
        rows_set(v->lv.rows, r, C_TITLE, f[i].stale ? THEME_STALE : THEME_NORMAL, "%s", f[i].title);
        rows_set(v->lv.rows, r, C_AGE, THEME_DIM, "%s",
                 fmt_age(age, sizeof age, now - f[i].first_seen));
        rows_set(v->lv.rows, r, H_EVIDENCE, THEME_NORMAL, "%s", f[i].evidence);
        rows_set(v->lv.rows, r, H_REMEDY, THEME_NORMAL, "%s", f[i].remedy);
        rows_set(v->lv.rows, r, H_FIRST, THEME_NORMAL, "%s",
                 fmt_time(first, sizeof first, f[i].first_seen));
    }
    listview_end(&v->lv);
}

static void fill_detail(struct view_findings *v)
{
    textview_clear(v->detail);
    size_t r = listview_row(&v->lv);
    if (r == SIZE_MAX) {
        textview_add(v->detail, THEME_OK, "No findings: every rule that could judge is green.");
        return;
    }
    struct rows *rows = v->lv.rows;
    textview_add(v->detail, rows_role(rows, r, C_SEV), "%s %s  %s: %s", rows_text(rows, r, C_SEV),
                 rows_text(rows, r, C_RULE), rows_text(rows, r, C_SUBJECT),
                 rows_text(rows, r, C_TITLE));
    textview_add(v->detail, THEME_NORMAL, "Evidence: %s", rows_text(rows, r, H_EVIDENCE));
    textview_add(v->detail, THEME_HINT, "Remedy: %s", rows_text(rows, r, H_REMEDY));
    textview_add(v->detail, THEME_DIM, "First seen %s. Enter opens the subject.",
                 rows_text(rows, r, H_FIRST));
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct view_findings *v = p;
    int dh = h >= 16 ? 8 : h / 3;
    listview_draw(&v->lv, w, a->theme, y, x, h - dh, wd, true);
    fill_detail(v);
    frame_draw(w, a->theme, y + h - dh, x, dh, wd, "Selected finding", NULL, false);
    textview_draw(v->detail, w, a->theme, y + h - dh + 1, x + 2, dh - 2, wd - 4);
}

/* "vault kv-x" / "instance sqlmi-y" / "pair fog-z" / "key kv/k": the view and subject. */
static void open_subject(struct app *a, const char *subject)
{
    const struct model *m = engine_model(a->engine);
    const char *sp = strchr(subject, ' ');
    const char *name = sp ? sp + 1 : subject;
    bool ok = false;
    if (strncmp(subject, "vault ", 6) == 0)
        ok = app_jump(a, VIEW_VAULTS, name);
    else if (strncmp(subject, "instance ", 9) == 0) {
        const struct model_instance *mi = model_instance_by_name(m, name);
        ok = mi && app_jump(a, VIEW_INSTANCES, mi->id);
    } else if (strncmp(subject, "pair ", 5) == 0) {
        for (size_t i = 0; i < m->nfogs && !ok; i++)
            if (strcmp(m->fogs[i]->name, name) == 0)
                ok = app_jump(a, VIEW_TOPOLOGY, m->fogs[i]->id);
    } else if (strncmp(subject, "key ", 4) == 0)
        ok = app_jump(a, VIEW_KEYS, subject);
    if (!ok)
        app_message(a, THEME_HINT, "%s is not shown in another view", subject);
}

static bool act(void *p, struct app *a, enum action act)
{
    struct view_findings *v = p;
    if (act != ACT_ENTER)
        return listview_act(&v->lv, act);
    size_t r = listview_row(&v->lv);
    if (r != SIZE_MAX)
        open_subject(a, rows_text(v->lv.rows, r, C_SUBJECT));
    return true;
}

const struct view_ops view_findings_ops = {
    "findings",
    "Findings",
    create,
    destroy,
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
