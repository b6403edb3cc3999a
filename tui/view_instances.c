/*
 * view_instances — the managed instances (role in their failover group,
 * state, databases online and Inaccessible, protector, auto-rotation, how
 * they reach their key right now, the Inaccessible clock) and, below, the
 * databases of the selected one. Tab moves between the two tables. V asks the
 * selected instance to revalidate its protector (write mode only, typed
 * confirmation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "engine.h"
#include "estate.h"
#include "fmt.h"
#include "health.h"
#include "listview.h"
#include "predict.h"
#include "whatif.h"
#include "xmem.h"

enum {
    C_NAME,
    C_REGION,
    C_ROLE,
    C_STATE,
    C_GROUP,
    C_ONLINE,
    C_INACC,
    C_PROTECTOR,
    C_AUTO,
    C_ACCESS,
    C_CLOCK,
    NCOLS
};

static const struct table_column cols[NCOLS] = {
    {"INSTANCE", 12, 30, 2, false},
    {"REGION", 8, 14, 1, false},
    {"ROLE", 9, 9, 0, false},
    {"STATE", 5, 10, 0, false},
    {"GROUP", 8, 24, 1, false},
    {"ONLINE", 6, 6, 0, true},
    {"INACCESSIBLE", 12, 12, 0, true},
    {"PROTECTOR", 16, 0, 3, false},
    {"AUTO-ROT", 8, 8, 0, false},
    {"KEY ACCESS NOW", 14, 40, 2, false},
    {"SELF-HEAL LEFT", 14, 16, 0, false},
};

enum { D_NAME, D_STATUS, DCOLS };
static const struct table_column dcols[DCOLS] = {
    {"DATABASE", 12, 0, 3, false},
    {"STATUS", 12, 0, 1, false},
};

struct view_instances {
    struct listview lv; /* first: listview_op_* take the view as the listview */
    struct listview dbs;
    bool dbs_focused;
    char *dbs_of; /* the instance whose databases are listed */
};

static void *create(struct app *a)
{
    (void)a;
    struct view_instances *v = xcalloc(1, sizeof *v);
    listview_init(&v->lv, cols, NCOLS, 0);
    listview_init(&v->dbs, dcols, DCOLS, 0);
    return v;
}

static void destroy(void *p)
{
    struct view_instances *v = p;
    listview_cleanup(&v->lv);
    listview_cleanup(&v->dbs);
    free(v->dbs_of);
    free(v);
}

static const char *role_of(const struct model *m, const struct model_instance *mi)
{
    const struct model_fog *fg = model_fog_of(m, mi);
    if (fg == NULL)
        return "no group";
    return estate_fog_primary(m, fg) == mi ? "primary" : "secondary";
}

static void access_cell(struct rows *r, size_t i, const struct whatif_result *w)
{
    switch (w ? w->outcome : WHATIF_UNKNOWN) {
    case WHATIF_UNAFFECTED:
        rows_set(r, i, C_ACCESS, THEME_OK, "ok via %s", w->via);
        break;
    case WHATIF_VIA_SECONDARY:
        rows_set(r, i, C_ACCESS, THEME_WARN, "FALLBACK via %s", w->via);
        break;
    case WHATIF_INACCESSIBLE:
        rows_set(r, i, C_ACCESS, THEME_CRIT, "LOST: %s", w->code[0] ? w->code : w->reason);
        break;
    case WHATIF_INSTANCE_DOWN:
        rows_set(r, i, C_ACCESS, THEME_CRIT, "instance down");
        break;
    default:
        rows_set(r, i, C_ACCESS, THEME_DIM, "unknown: %s", w ? w->reason : "no prediction");
        break;
    }
}

static void add_instance(struct rows *r, struct app *a, const struct model_instance *mi,
                         const struct whatif_result *w)
{
    const struct model *m = engine_model(a->engine);
    size_t i = rows_add(r, mi->id, 0);
    size_t online = 0, inacc = 0;
    for (size_t d = 0; d < mi->ndbs; d++) {
        online += mi->dbs[d].status && strcmp(mi->dbs[d].status, "Online") == 0;
        inacc += mi->dbs[d].status && strcmp(mi->dbs[d].status, "Inaccessible") == 0;
    }
    const struct model_fog *fg = model_fog_of(m, mi);
    rows_set(r, i, C_NAME, THEME_NORMAL, "%s", mi->name);
    rows_set(r, i, C_REGION, THEME_NORMAL, "%s", mi->location ? mi->location : "?");
    rows_set(r, i, C_ROLE, THEME_NORMAL, "%s", role_of(m, mi));
    rows_set(r, i, C_STATE, THEME_NORMAL, "%s", mi->state ? mi->state : "?");
    rows_set(r, i, C_GROUP, THEME_NORMAL, "%s", fg ? fg->name : "-");
    rows_set(r, i, C_ONLINE, THEME_NORMAL, "%zu/%zu", online, mi->ndbs);
    rows_set(r, i, C_INACC, inacc ? THEME_CRIT : THEME_DIM, "%zu", inacc);
    char vault[128], key[128], ver[64], shortv[16];
    if (estate_protector_is_akv(mi) && model_uri_parse(mi->protector.uri, vault, key, ver) == 0)
        rows_set(r, i, C_PROTECTOR, THEME_NORMAL, "%s/%s/%s", vault, key,
                 fmt_short(shortv, sizeof shortv, ver, 8));
    else
        rows_set(r, i, C_PROTECTOR, THEME_WARN, "%s",
                 mi->protector.type ? mi->protector.type : "unknown");
    rows_set(r, i, C_AUTO, THEME_NORMAL, "%s", mi->protector.auto_rotation ? "on" : "off");
    access_cell(r, i, w);
    struct healclock c;
    char left[32];
    if (health_clock(a->health, mi, app_now(a), &c) && c.lost)
        rows_set(r, i, C_CLOCK, THEME_CRIT, "%s",
                 c.revalidate_only ? "PAST: revalidate"
                                   : fmt_countdown(left, sizeof left, c.left_ms));
    else
        rows_set(r, i, C_CLOCK, THEME_DIM, "-");
    if (model_fresh_stale(&mi->arm_fresh) || model_fresh_stale(&mi->dbs_fresh))
        rows_set(r, i, C_STATE, THEME_STALE, "%s stale", mi->state ? mi->state : "?");
}

static void rebuild_dbs(struct view_instances *v, struct app *a)
{
    const struct model_instance *mi =
        model_instance(engine_model(a->engine), listview_selected(&v->lv));
    xstr_set(&v->dbs_of, mi ? mi->id : "");
    listview_begin(&v->dbs);
    for (size_t d = 0; mi && d < mi->ndbs; d++) {
        const char *st = mi->dbs[d].status ? mi->dbs[d].status : "?";
        size_t i = rows_add(v->dbs.rows, mi->dbs[d].name, 0);
        rows_set(v->dbs.rows, i, D_NAME, THEME_NORMAL, "%s", mi->dbs[d].name);
        rows_set(v->dbs.rows, i, D_STATUS,
                 strcmp(st, "Online") == 0         ? THEME_OK
                 : strcmp(st, "Inaccessible") == 0 ? THEME_CRIT
                                                   : THEME_WARN,
                 "%s", st);
    }
    listview_end(&v->dbs);
}

static void rebuild(void *p, struct app *a)
{
    struct view_instances *v = p;
    const struct model *m = engine_model(a->engine);
    size_t nw = 0;
    struct whatif_result *w = predict_now(a, m, &nw);
    listview_begin(&v->lv);
    for (size_t i = 0; i < m->ninstances; i++)
        add_instance(v->lv.rows, a, m->instances[i], predict_for(w, nw, m->instances[i]->name));
    listview_end(&v->lv);
    free(w);
    rebuild_dbs(v, a);
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct view_instances *v = p;
    if (strcmp(v->dbs_of ? v->dbs_of : "", listview_selected(&v->lv)) != 0)
        rebuild_dbs(v, a); /* the selection moved */
    int th = h / 2 > 6 ? h / 2 : h - 4;
    listview_draw(&v->lv, w, a->theme, y, x, th, wd, !v->dbs_focused);
    wattrset(w, theme_attr(a->theme, v->dbs_focused ? THEME_FOCUS : THEME_BORDER));
    mvwhline(w, y + th, x, ' ', wd);
    const struct model_instance *mi = model_instance(engine_model(a->engine), v->dbs_of);
    char title[200];
    snprintf(title, sizeof title, " Databases of %s (Tab: focus) ", mi ? mi->name : "-");
    mvwaddnstr(w, y + th, x + 1, title, wd - 2);
    wattrset(w, A_NORMAL);
    listview_draw(&v->dbs, w, a->theme, y + th + 1, x, h - th - 1, wd, v->dbs_focused);
}

static bool act(void *p, struct app *a, enum action act)
{
    struct view_instances *v = p;
    if (act == ACT_NEXT_PANEL || act == ACT_PREV_PANEL) {
        v->dbs_focused = !v->dbs_focused;
        return true;
    }
    if (act == ACT_REVALIDATE) {
        const char *id = listview_selected(&v->lv);
        if (id[0])
            commands_revalidate(a, id);
        return true;
    }
    if (act == ACT_ENTER) {
        const struct model_fog *fg =
            model_fog_of(engine_model(a->engine),
                         model_instance(engine_model(a->engine), listview_selected(&v->lv)));
        if (fg)
            app_jump(a, VIEW_TOPOLOGY, fg->id);
        return true;
    }
    return listview_act(v->dbs_focused ? &v->dbs : &v->lv, act);
}

const struct view_ops view_instances_ops = {
    "instances",
    "Instances",
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
