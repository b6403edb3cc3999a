/*
 * view_wall — every failover group at once, for a screen on a wall: one tile
 * per group (instances in no group get one too) with its status in large
 * reverse letters (OK, WARNING, CRITICAL, UNKNOWN: the verdict `tdectl check
 * --group` gives, from core/report.h), each instance's key access, both
 * vaults' reachability, and the Inaccessible countdown while one runs. Tiles
 * fill the screen in a grid, worst first; nothing on it is actionable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "engine.h"
#include "estate.h"
#include "fmt.h"
#include "frame.h"
#include "health.h"
#include "predict.h"
#include "report.h"
#include "rows.h"
#include "vaultstate.h"
#include "xmem.h"

#define TILE_W     44
#define TILE_H     8
#define TILE_LINES (TILE_H - 3) /* under the frame's title and the status bar */

enum { W_NAME, W_STATUS, W_LINE0, NCELLS = W_LINE0 + TILE_LINES };

struct view_wall {
    struct rows *rows; /* one row per tile; cells are its lines */
    size_t top;        /* first tile shown, when they do not all fit */
};

static void *create(struct app *a)
{
    (void)a;
    struct view_wall *v = xcalloc(1, sizeof *v);
    v->rows = rows_create(NCELLS);
    return v;
}

static void destroy(void *p)
{
    struct view_wall *v = p;
    rows_destroy(v->rows);
    free(v);
}

static enum theme_role status_role(enum report_status st)
{
    return st == REPORT_OK ? THEME_OK : st == REPORT_WARNING ? THEME_WARN : THEME_CRIT;
}

/* One instance's line: its region, name and how it reaches its key now. */
static void instance_line(struct app *a, struct rows *r, size_t row, size_t col,
                          const struct model_instance *mi, const struct whatif_result *w)
{
    struct healclock c;
    char left[32];
    if (mi == NULL) {
        rows_set(r, row, col, THEME_CRIT, "instance not found");
    } else if (health_clock(a->health, mi, app_now(a), &c) && c.lost) {
        rows_set(r, row, col, THEME_CRIT, "%-10.10s %-18.18s LOST %s", mi->location, mi->name,
                 c.revalidate_only ? "revalidate" : fmt_countdown(left, sizeof left, c.left_ms));
    } else {
        const char *how = !w                                   ? "?"
                          : w->outcome == WHATIF_UNAFFECTED    ? "ok"
                          : w->outcome == WHATIF_VIA_SECONDARY ? "FALLBACK"
                          : w->outcome == WHATIF_INACCESSIBLE  ? "LOST"
                          : w->outcome == WHATIF_INSTANCE_DOWN ? "DOWN"
                                                               : "unknown";
        rows_set(r, row, col,
                 strcmp(how, "ok") == 0         ? THEME_NORMAL
                 : strcmp(how, "FALLBACK") == 0 ? THEME_WARN
                                                : THEME_CRIT,
                 "%-10.10s %-18.18s %s", mi->location ? mi->location : "?", mi->name, how);
    }
}

static void vault_line(struct app *a, struct rows *r, size_t row, size_t col,
                       const struct model_vault *x, const struct model_vault *y)
{
    struct vaultstate sx = {0}, sy = {0};
    if (x)
        vaultstate_of(x, app_now(a), &sx);
    if (y)
        vaultstate_of(y, app_now(a), &sy);
    bool bad = (x && sx.role != THEME_OK) || (y && sy.role != THEME_OK);
    rows_set(r, row, col, bad ? THEME_CRIT : THEME_DIM, "%s %s  %s %s", x ? x->name : "-",
             x ? sx.word : "", y ? y->name : "", y ? sy.word : "");
}

static void add_tile(struct app *a, struct rows *r, const char *name, const char *subject,
                     const struct model_instance *p, const struct model_instance *s,
                     const struct whatif_result *w, size_t nw)
{
    const struct model *m = engine_model(a->engine);
    struct whatif_params wp;
    app_whatif_params(a, &wp);
    struct report_input in = {.model = m,
                              .health = a->health,
                              .whatif = &wp,
                              .now_ms = app_now(a),
                              .group = model_fog_of(m, p) ? name : NULL,
                              .sweep_complete = true};
    struct report *rep = report_create(&in, NULL);
    enum report_status st = rep ? report_status(rep) : REPORT_UNKNOWN;
    /* The group's findings, as check counts them (its instances, vaults, keys, endpoints). */
    size_t crit = rep ? report_count(rep, HEALTH_CRIT) : 0;
    size_t high = rep ? report_count(rep, HEALTH_HIGH) : 0;
    report_destroy(rep);
    size_t row = rows_add(r, subject, (int)st);
    rows_set(r, row, W_NAME, THEME_TITLE, "%s", name);
    rows_set(r, row, W_STATUS, status_role(st), "%s", report_status_name(st));
    instance_line(a, r, row, W_LINE0, p, p ? predict_for(w, nw, p->name) : NULL);
    if (s)
        instance_line(a, r, row, W_LINE0 + 1, s, predict_for(w, nw, s->name));
    vault_line(a, r, row, W_LINE0 + 2, estate_primary_vault(m, p), estate_primary_vault(m, s));
    rows_set(r, row, W_LINE0 + 3,
             crit   ? THEME_CRIT
             : high ? THEME_WARN
                    : THEME_DIM,
             "findings%s: %zu critical, %zu high", in.group ? "" : " (whole estate)", crit, high);
}

static void rebuild(void *p, struct app *a)
{
    struct view_wall *v = p;
    const struct model *m = engine_model(a->engine);
    size_t nw = 0;
    struct whatif_result *w = predict_now(a, m, &nw);
    rows_clear(v->rows);
    /* Worst first: CRITICAL (2), UNKNOWN (3), WARNING (1), OK (0). */
    static const enum report_status order[] = {REPORT_CRITICAL, REPORT_UNKNOWN, REPORT_WARNING,
                                               REPORT_OK};
    struct rows *all = rows_create(NCELLS);
    for (size_t i = 0; i < m->nfogs; i++)
        add_tile(a, all, m->fogs[i]->name, m->fogs[i]->id, estate_fog_primary(m, m->fogs[i]),
                 estate_fog_secondary(m, m->fogs[i]), w, nw);
    for (size_t i = 0; i < m->ninstances; i++)
        if (model_fog_of(m, m->instances[i]) == NULL)
            add_tile(a, all, m->instances[i]->name, m->instances[i]->id, m->instances[i], NULL, w,
                     nw);
    for (size_t o = 0; o < 4; o++)
        for (size_t i = 0; i < rows_total(all); i++) {
            if (rows_tag(all, i) != (int)order[o])
                continue;
            size_t row = rows_add(v->rows, rows_subject(all, i), rows_tag(all, i));
            for (size_t c = 0; c < NCELLS; c++)
                rows_set(v->rows, row, c, rows_role(all, i, c), "%s", rows_text(all, i, c));
        }
    rows_destroy(all);
    free(w);
}

static void draw_tile(struct view_wall *v, struct app *a, WINDOW *w, size_t row, int y, int x,
                      int wd)
{
    const struct theme *t = a->theme;
    enum theme_role role = rows_role(v->rows, row, W_STATUS);
    frame_draw(w, t, y, x, TILE_H - 1, wd, rows_text(v->rows, row, W_NAME), NULL, role != THEME_OK);
    /* The status, large: a reversed bar across the tile, its word spaced out. */
    char big[64] = "";
    const char *word = rows_text(v->rows, row, W_STATUS);
    for (size_t i = 0, len = 0; word[i] && len + 3 < sizeof big; i++)
        len += (size_t)snprintf(big + len, sizeof big - len, "%c ", word[i]);
    wattrset(w, theme_attr(t, role) | A_REVERSE | A_BOLD);
    mvwhline(w, y + 1, x + 1, ' ', wd - 2);
    mvwaddstr(w, y + 1, x + (wd - (int)strlen(big)) / 2, big);
    for (int l = 0; l < TILE_LINES - 1; l++) {
        wattrset(w, theme_attr(t, rows_role(v->rows, row, (size_t)W_LINE0 + (size_t)l)));
        mvwaddnstr(w, y + 2 + l, x + 2, rows_text(v->rows, row, (size_t)W_LINE0 + (size_t)l),
                   wd - 4);
    }
    wattrset(w, A_NORMAL);
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct view_wall *v = p;
    size_t n = rows_shown(v->rows);
    if (n == 0) {
        wattrset(w, theme_attr(a->theme, THEME_DIM));
        mvwaddnstr(w, y + 1, x + 2, "No managed instance found yet: reading Azure.", wd - 4);
        wattrset(w, A_NORMAL);
        return;
    }
    int cols = wd / TILE_W > 0 ? wd / TILE_W : 1;
    int tw = wd / cols;
    int rows = h / TILE_H > 0 ? h / TILE_H : 1;
    size_t fit = (size_t)cols * (size_t)rows;
    if (v->top >= n)
        v->top = 0;
    for (size_t i = v->top; i < n && i < v->top + fit; i++) {
        int k = (int)(i - v->top);
        draw_tile(v, a, w, rows_row(v->rows, i), y + (k / cols) * TILE_H, x + (k % cols) * tw, tw);
    }
    if (n > fit) {
        char more[64];
        snprintf(more, sizeof more, " %zu-%zu of %zu groups (PgDn) ", v->top + 1,
                 v->top + fit < n ? v->top + fit : n, n);
        wattrset(w, theme_attr(a->theme, THEME_HINT));
        mvwaddstr(w, y + h - 1, x + wd - (int)strlen(more), more);
        wattrset(w, A_NORMAL);
    }
}

static bool act(void *p, struct app *a, enum action act)
{
    struct view_wall *v = p;
    size_t n = rows_shown(v->rows);
    (void)a;
    if (act == ACT_PAGE_DOWN || act == ACT_DOWN)
        v->top = v->top + 1 < n ? v->top + (act == ACT_DOWN ? 1 : 6) : v->top;
    else if (act == ACT_PAGE_UP || act == ACT_UP)
        v->top = v->top > 6 && act == ACT_PAGE_UP ? v->top - 6 : v->top ? v->top - 1 : 0;
    else if (act == ACT_HOME)
        v->top = 0;
    else
        return false;
    return true;
}

static int wall_filter(void *p, const char *pattern, char **cause)
{
    struct view_wall *v = p;
    v->top = 0;
    return rows_filter(v->rows, pattern, cause);
}

static const char *pattern(void *p)
{
    return rows_pattern(((struct view_wall *)p)->rows);
}

static const char *selected(void *p)
{
    (void)p;
    return "";
}

static bool select_subject(void *p, const char *subject)
{
    struct view_wall *v = p;
    size_t at = rows_find(v->rows, subject);
    if (at == SIZE_MAX)
        return false;
    v->top = at;
    return true;
}

static void counts(void *p, size_t *shown, size_t *total)
{
    struct view_wall *v = p;
    *shown = rows_shown(v->rows);
    *total = rows_total(v->rows);
}

const struct view_ops view_wall_ops = {
    "wall",      "Wall",  create,   destroy,        rebuild, draw, act,
    wall_filter, pattern, selected, select_subject, counts,  NULL,
};
