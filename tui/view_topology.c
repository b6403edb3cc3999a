/*
 * view_topology — the home view: each failover group as its two regions side
 * by side. Per side: the instance, its role and state, its databases, its
 * protector (vault/key/version, auto-rotation) and thumbprint compared with
 * the partner's, both vaults it depends on with health, latency and the
 * network path from the instance's region (private endpoint state), what-if
 * its primary vault goes down, and how it reaches its key now. Mismatches are
 * written out ("DIFFERS", "DOWN", "LOST"), never colour alone. Instances in
 * no group get a block of their own.
 *
 * Each block is one row of a struct rows (its lines are the cells), so the
 * filter works on everything a block says; j/k move by block.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "engine.h"
#include "estate.h"
#include "fmt.h"
#include "frame.h"
#include "health.h"
#include "predict.h"
#include "rotscreen.h"
#include "rows.h"
#include "vaultstate.h"
#include "whatif.h"
#include "xmem.h"

#define SIDE_LINES 9
#define BLOCK_H    (SIDE_LINES + 2)

enum { T_TITLE, T_RIGHT, T_LEFT0, T_RIGHT0 = T_LEFT0 + SIDE_LINES, NCELLS = T_RIGHT0 + SIDE_LINES };

struct view_topology {
    struct rows *rows;
    size_t sel;
    size_t top; /* first block on screen */
    int last_h;
    int last_y;
};

static void *create(struct app *a)
{
    (void)a;
    struct view_topology *v = xcalloc(1, sizeof *v);
    v->rows = rows_create(NCELLS);
    return v;
}

static void destroy(void *p)
{
    struct view_topology *v = p;
    rows_destroy(v->rows);
    free(v);
}

struct side {
    struct app *a;
    const struct model *m;
    struct rows *r;
    size_t row;
    size_t col;
    const struct whatif_result *now, *outage;
};

static void line(struct side *s, enum theme_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line(struct side *s, enum theme_role role, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rows_set(s->r, s->row, s->col++, role, "%s", buf);
}

static const char *path_text(enum estate_path p, const struct model_pe *pe, enum theme_role *role)
{
    switch (p) {
    case ESTATE_PATH_PRIVATE:
        *role = THEME_OK;
        return "private endpoint Approved";
    case ESTATE_PATH_PE_DOWN:
        *role = THEME_CRIT;
        return pe && pe->status ? "private endpoint DOWN" : "private endpoint not approved";
    case ESTATE_PATH_PUBLIC:
        *role = THEME_NORMAL;
        return "public endpoint (trusted service)";
    case ESTATE_PATH_BLOCKED:
        *role = THEME_CRIT;
        return "BLOCKED by the vault firewall";
    default:
        *role = THEME_DIM;
        return "path unknown";
    }
}

static void vault_line(struct side *s, const struct model_instance *mi, const char *label,
                       const struct model_vault *v)
{
    if (v == NULL) {
        line(s, THEME_CRIT, "%s NONE (no registered copy of the protector)", label);
        return;
    }
    struct vaultstate st;
    vaultstate_of(v, app_now(s->a), &st);
    const struct model_pe *pe = NULL;
    enum theme_role prole;
    const char *path = path_text(estate_path(s->m, v, mi->location, NULL, 0, &pe), pe, &prole);
    char ms[24] = "";
    if (st.latency_ms >= 0 && strcmp(st.word, "UP") == 0)
        snprintf(ms, sizeof ms, " %ldms", st.latency_ms);
    enum theme_role role = st.role == THEME_OK ? prole : st.role;
    line(s, role, "%s %s %s%s, %s", label, v->name, st.word, ms, path);
}

static void protector_lines(struct side *s, const struct model_instance *mi,
                            const struct model_instance *partner)
{
    char vault[128], key[128], ver[64], sv[16];
    if (estate_protector_is_akv(mi) && model_uri_parse(mi->protector.uri, vault, key, ver) == 0)
        line(s, THEME_NORMAL, "protector %s/%s/%s", vault, key, fmt_short(sv, sizeof sv, ver, 8));
    else
        line(s, THEME_WARN, "protector %s (not a Key Vault key)",
             mi->protector.type ? mi->protector.type : "unknown");
    const char *tp = estate_protector_thumbprint(mi);
    const char *ptp = partner ? estate_protector_thumbprint(partner) : NULL;
    const char *rot = mi->protector.auto_rotation ? "auto-rotate on" : "auto-rotate off";
    char st[16];
    if (tp == NULL)
        line(s, THEME_DIM, "thumbprint not read yet, %s", rot);
    else if (ptp == NULL)
        line(s, THEME_NORMAL, "thumbprint %s, %s", fmt_short(st, sizeof st, tp, 12), rot);
    else if (strcasecmp(tp, ptp) == 0)
        line(s, THEME_OK, "thumbprint %s (same as partner), %s", fmt_short(st, sizeof st, tp, 12),
             rot);
    else
        line(s, THEME_DIFF, "thumbprint %s DIFFERS from partner, %s",
             fmt_short(st, sizeof st, tp, 12), rot);
}

static void outcome_line(struct side *s, const char *vault)
{
    const struct whatif_result *w = s->outage;
    char when[32];
    if (vault == NULL || w == NULL) {
        line(s, THEME_DIM, "what-if: no primary vault to take down");
        return;
    }
    switch (w->outcome) {
    case WHATIF_UNAFFECTED:
        line(s, THEME_OK, "what-if %s down: unaffected", vault);
        break;
    case WHATIF_VIA_SECONDARY:
        line(s, THEME_OK, "what-if %s down: stays online via %s", vault, w->via);
        break;
    case WHATIF_INACCESSIBLE:
        line(s, THEME_CRIT, "what-if %s down: INACCESSIBLE within %s (%s)", vault,
             fmt_age(when, sizeof when, (w->when_s * 1000 - app_now(s->a))),
             w->code[0] ? w->code : w->reason);
        break;
    case WHATIF_INSTANCE_DOWN:
        line(s, THEME_WARN, "what-if %s down: instance down", vault);
        break;
    default:
        line(s, THEME_DIM, "what-if %s down: unknown (%s)", vault, w->reason);
        break;
    }
}

static void now_line(struct side *s, const struct model_instance *mi)
{
    const struct whatif_result *w = s->now;
    struct healclock c;
    char left[32];
    if (health_clock(s->a->health, mi, app_now(s->a), &c) && c.lost) {
        line(s, THEME_CRIT, "KEY ACCESS LOST: %s",
             c.revalidate_only ? "past the self-heal window, revalidate"
                               : fmt_countdown(left, sizeof left, c.left_ms));
        return;
    }
    char down[200];
    if (predict_down(s->a, s->m, down, sizeof down) && w && w->outcome != WHATIF_UNKNOWN) {
        if (w->outcome == WHATIF_VIA_SECONDARY)
            line(s, THEME_WARN, "key access now: %s down, FALLBACK via %s", down, w->via);
        else if (w->outcome == WHATIF_INACCESSIBLE)
            line(s, THEME_CRIT, "key access now: %s down, LOST (%s)", down,
                 w->code[0] ? w->code : w->reason);
        else
            line(s, THEME_OK, "key access now: ok via %s (%s down)", w->via, down);
        return;
    }
    if (w == NULL || w->outcome == WHATIF_UNKNOWN)
        line(s, THEME_DIM, "key access now: unknown%s%s", w ? ", " : "", w ? w->reason : "");
    else if (w->outcome == WHATIF_VIA_SECONDARY)
        line(s, THEME_WARN, "key access now: FALLBACK via %s", w->via);
    else if (w->outcome == WHATIF_INACCESSIBLE)
        line(s, THEME_CRIT, "key access now: LOST (%s)", w->code[0] ? w->code : w->reason);
    else
        line(s, THEME_OK, "key access now: ok via %s", w->via);
}

/* The operator lock a wizard holds (tags on the instance): who, why, until when. */
static void lock_line(struct side *s, const struct model_instance *mi)
{
    if (mi->lock_bad) {
        line(s, THEME_WARN, "LOCKED: unreadable tdectl-lock tags (treated as held)");
        return;
    }
    if (mi->lock_owner == NULL)
        return;
    int64_t now = (int64_t)time(NULL);
    char until[32];
    time_t t = (time_t)mi->lock_expires;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(until, sizeof until, "%H:%M UTC", &tm);
    if (mi->lock_expires <= now)
        line(s, THEME_WARN, "lock EXPIRED %s: %s %s (a run may have stopped: :resume)", until,
             mi->lock_owner, mi->lock_op ? mi->lock_op : "");
    else
        line(s, THEME_WARN, "LOCKED: %s \"%s\" until %s by %s", mi->lock_op ? mi->lock_op : "",
             mi->lock_reason ? mi->lock_reason : "", until, mi->lock_owner);
}

static void fill_side(struct side *s, const char *role, const struct model_instance *mi,
                      const struct model_instance *partner)
{
    if (mi == NULL) {
        line(s, THEME_CRIT, "%s: instance not found (not read, or deleted)", role);
        return;
    }
    line(s, THEME_COLHEAD, "%s  %s", role, mi->location ? mi->location : "?");
    bool stale = model_fresh_stale(&mi->arm_fresh);
    line(s, stale ? THEME_STALE : THEME_TITLE, "%s  %s%s", mi->name, mi->state ? mi->state : "?",
         stale ? " (stale: last read failed)" : "");
    lock_line(s, mi);
    size_t online = 0, inacc = 0;
    for (size_t d = 0; d < mi->ndbs; d++) {
        online += mi->dbs[d].status && strcmp(mi->dbs[d].status, "Online") == 0;
        inacc += mi->dbs[d].status && strcmp(mi->dbs[d].status, "Inaccessible") == 0;
    }
    line(s, inacc ? THEME_CRIT : THEME_NORMAL, "databases %zu online, %zu Inaccessible%s", online,
         inacc, inacc ? " !" : "");
    protector_lines(s, mi, partner);
    const struct model_vault *pv = estate_primary_vault(s->m, mi);
    vault_line(s, mi, "primary  ", pv);
    vault_line(s, mi, "secondary", estate_secondary_vault(s->m, mi));
    outcome_line(s, pv ? pv->name : NULL);
    now_line(s, mi);
}

static void add_block(struct app *a, struct rows *r, const char *subject,
                      const struct model_instance *left, const struct model_instance *right,
                      const struct whatif_result *now, size_t nnow)
{
    const struct model *m = engine_model(a->engine);
    size_t row = rows_add(r, subject, 0);
    const struct model_instance *sides[2] = {left, right};
    for (int k = 0; k < 2; k++) {
        const struct model_vault *pv = estate_primary_vault(m, sides[k]);
        struct whatif_result w;
        bool have = pv && predict_outage_one(a, m, pv->name, sides[k], &w);
        const char *name = sides[k] ? sides[k]->name : NULL;
        struct side s = {
            a, m, r, row, k ? T_RIGHT0 : T_LEFT0, predict_for(now, nnow, name), have ? &w : NULL,
        };
        if (k == 1 && right == NULL && left && model_fog_of(m, left) == NULL)
            line(&s, THEME_DIM, "(no failover group: a single instance)");
        else
            fill_side(&s, k ? "SECONDARY" : "PRIMARY", sides[k], sides[1 - k]);
    }
}

static void add_fog(struct app *a, struct rows *r, const struct model_fog *fg,
                    const struct whatif_result *now, size_t nnow)
{
    const struct model *m = engine_model(a->engine);
    const struct model_instance *p = estate_fog_primary(m, fg);
    const struct model_instance *s = estate_fog_secondary(m, fg);
    add_block(a, r, fg->id, p, s, now, nnow);
    size_t row = rows_total(r) - 1;
    bool healthy =
        fg->replication_state == NULL || strcasecmp(fg->replication_state, "CATCH_UP") == 0;
    rows_set(r, row, T_TITLE, THEME_TITLE, "%s", fg->name);
    rows_set(r, row, T_RIGHT, healthy ? THEME_DIM : THEME_WARN, "%s failover, grace %dm, %s%s",
             fg->failover_policy ? fg->failover_policy : "?", fg->grace_minutes,
             fg->replication_state ? fg->replication_state : "state ?",
             model_fresh_stale(&fg->fresh) ? " (stale)" : "");
}

static void rebuild(void *p, struct app *a)
{
    struct view_topology *v = p;
    const struct model *m = engine_model(a->engine);
    char *keep =
        xstrdup(rows_total(v->rows) ? rows_subject(v->rows, rows_row(v->rows, v->sel)) : "");
    size_t nnow = 0;
    struct whatif_result *now = predict_now(a, m, &nnow);
    rows_clear(v->rows);
    for (size_t i = 0; i < m->nfogs; i++)
        add_fog(a, v->rows, m->fogs[i], now, nnow);
    for (size_t i = 0; i < m->ninstances; i++)
        if (model_fog_of(m, m->instances[i]) == NULL) {
            add_block(a, v->rows, m->instances[i]->id, m->instances[i], NULL, now, nnow);
            rows_set(v->rows, rows_total(v->rows) - 1, T_TITLE, THEME_TITLE, "%s (no group)",
                     m->instances[i]->name);
        }
    free(now);
    size_t at = rows_find(v->rows, keep);
    size_t shown = rows_shown(v->rows);
    v->sel = at != SIZE_MAX ? at : v->sel < shown ? v->sel : shown ? shown - 1 : 0;
    free(keep);
}

static void draw_block(struct view_topology *v, struct app *a, WINDOW *w, size_t row, int y, int x,
                       int wd, bool sel)
{
    const struct theme *t = a->theme;
    char right[200];
    snprintf(right, sizeof right, "%s", rows_text(v->rows, row, T_RIGHT));
    frame_draw(w, t, y, x, BLOCK_H, wd, rows_text(v->rows, row, T_TITLE), right, sel);
    int half = (wd - 3) / 2;
    for (int side = 0; side < 2; side++) {
        int cx = x + 2 + side * (half + 1);
        for (int l = 0; l < SIDE_LINES; l++) {
            size_t col = (size_t)(side ? T_RIGHT0 : T_LEFT0) + (size_t)l;
            wattrset(w, theme_attr(t, rows_role(v->rows, row, col)));
            mvwaddnstr(w, y + 1 + l, cx, rows_text(v->rows, row, col), half - 2);
        }
    }
    wattrset(w, theme_attr(t, sel ? THEME_FOCUS : THEME_BORDER));
    for (int l = 0; l < SIDE_LINES; l++)
        mvwaddstr(w, y + 1 + l, x + 1 + half, theme_ascii(t) ? "|" : "\u2502");
    wattrset(w, A_NORMAL);
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct view_topology *v = p;
    size_t n = rows_shown(v->rows);
    v->last_h = h;
    v->last_y = y;
    if (n == 0) {
        wattrset(w, theme_attr(a->theme, THEME_DIM));
        mvwaddnstr(w, y + 1, x + 2,
                   rows_total(v->rows) ? "No failover group matches the filter (Esc clears it)."
                                       : "No managed instance found yet: reading Azure, or see "
                                         "the findings view (5) for what could not be read.",
                   wd - 4);
        wattrset(w, A_NORMAL);
        return;
    }
    size_t fit = h / BLOCK_H > 0 ? (size_t)(h / BLOCK_H) : 1;
    if (v->sel < v->top)
        v->top = v->sel;
    if (v->sel >= v->top + fit)
        v->top = v->sel - fit + 1;
    for (size_t i = v->top; i < n && i < v->top + fit; i++)
        draw_block(v, a, w, rows_row(v->rows, i), y + (int)(i - v->top) * BLOCK_H, x, wd,
                   i == v->sel);
}

static bool act(void *p, struct app *a, enum action act)
{
    struct view_topology *v = p;
    size_t n = rows_shown(v->rows);
    size_t page = v->last_h / BLOCK_H > 0 ? (size_t)(v->last_h / BLOCK_H) : 1;
    switch (act) {
    case ACT_UP:
        v->sel = v->sel ? v->sel - 1 : 0;
        return true;
    case ACT_DOWN:
        v->sel = v->sel + 1 < n ? v->sel + 1 : v->sel;
        return true;
    case ACT_PAGE_UP:
        v->sel = v->sel > page ? v->sel - page : 0;
        return true;
    case ACT_PAGE_DOWN:
        v->sel = n == 0 ? 0 : v->sel + page < n ? v->sel + page : n - 1;
        return true;
    case ACT_HOME:
        v->sel = 0;
        return true;
    case ACT_END:
        v->sel = n ? n - 1 : 0;
        return true;
    case ACT_ENTER: {
        const struct model *m = engine_model(a->engine);
        const struct model_fog *fg = model_fog(m, rows_subject(v->rows, rows_row(v->rows, v->sel)));
        const struct model_vault *pv =
            fg ? estate_primary_vault(m, estate_fog_primary(m, fg)) : NULL;
        char subject[200];
        snprintf(subject, sizeof subject, "vault %s", pv ? pv->name : "");
        if (pv == NULL || !app_jump(a, VIEW_KEYS, subject))
            app_message(a, THEME_HINT, "no key versions to show for this group yet");
        return true;
    }
    case ACT_ROTATE: {
        const struct model *m = engine_model(a->engine);
        const struct model_fog *fg = model_fog(m, rows_subject(v->rows, rows_row(v->rows, v->sel)));
        if (fg)
            rotscreen_open(a, fg->name, ROT_ORIGIN_VAULT, NULL);
        else
            app_message(a, THEME_HINT, "select a failover group to rotate its protector");
        return true;
    }
    default:
        return false;
    }
}

static int topo_filter(void *p, const char *pattern, char **cause)
{
    struct view_topology *v = p;
    int rc = rows_filter(v->rows, pattern, cause);
    v->sel = 0;
    v->top = 0;
    return rc;
}

static const char *pattern(void *p)
{
    return rows_pattern(((struct view_topology *)p)->rows);
}

static const char *selected(void *p)
{
    struct view_topology *v = p;
    size_t row = rows_row(v->rows, v->sel);
    return row == SIZE_MAX ? "" : rows_subject(v->rows, row);
}

static bool select_subject(void *p, const char *subject)
{
    struct view_topology *v = p;
    size_t at = rows_find(v->rows, subject);
    if (at == SIZE_MAX)
        return false;
    v->sel = at;
    return true;
}

static void counts(void *p, size_t *shown, size_t *total)
{
    struct view_topology *v = p;
    *shown = rows_shown(v->rows);
    *total = rows_total(v->rows);
}

static void click(void *p, int y)
{
    struct view_topology *v = p;
    if (y < v->last_y)
        return;
    size_t at = v->top + (size_t)((y - v->last_y) / BLOCK_H);
    if (at < rows_shown(v->rows))
        v->sel = at;
}

const struct view_ops view_topology_ops = {
    "topology",  "Topology", create,   destroy,        rebuild, draw,  act,
    topo_filter, pattern,    selected, select_subject, counts,  click,
};
