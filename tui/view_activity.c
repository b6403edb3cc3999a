/*
 * view_activity — the command log: every REST call tdectl made (method,
 * resource, status, latency, attempt, x-ms-request-id) and every note, newest
 * first. The subject of a call is its request id (what support asks for; y
 * copies it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "app.h"
#include "auth.h"
#include "fmt.h"
#include "listview.h"
#include "session.h"
#include "xmem.h"

enum { C_TIME, C_METHOD, C_RESOURCE, C_STATUS, C_MS, C_TRY, C_RID, NCOLS };

static const struct table_column cols[NCOLS] = {
    {"UTC", 8, 8, 0, false},          {"METHOD", 6, 6, 0, false}, {"RESOURCE", 20, 0, 4, false},
    {"STATUS", 6, 22, 1, false},      {"MS", 5, 6, 0, true},      {"TRY", 3, 3, 0, true},
    {"REQUEST ID", 12, 36, 1, false},
};

static void *create(struct app *a)
{
    (void)a;
    return listview_create(cols, NCOLS, 0);
}

/* "https://host/path" -> "host/path" (the scheme says nothing here). */
static const char *resource(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    return p ? p + 3 : url ? url : "";
}

static enum theme_role status_role(long status)
{
    if (status >= 200 && status < 300)
        return THEME_OK;
    if (status == 401)
        return THEME_DIM; /* Key Vault's challenge: the first leg of every sign-in */
    if (status == 429 || (status >= 500 && status < 600))
        return THEME_WARN;
    return THEME_CRIT;
}

static void add_entry(struct rows *r, const struct activity_entry *e)
{
    char when[32], hms[16];
    fmt_time(when, sizeof when, e->at_ms);
    /* "2026-11-29 14:02Z" -> keep the clock; seconds come from the ms. */
    snprintf(hms, sizeof hms, "%.5s:%02lld", when + 11, (long long)(e->at_ms / 1000 % 60));
    if (e->kind == ACTIVITY_NOTE) {
        size_t i = rows_add(r, e->text, 0);
        rows_set(r, i, C_TIME, THEME_DIM, "%s", hms);
        rows_set(r, i, C_METHOD, THEME_INFO, "NOTE");
        rows_set(r, i, C_RESOURCE, THEME_INFO, "%s", e->text);
        return;
    }
    size_t i = rows_add(r, e->request_id ? e->request_id : "", 0);
    rows_set(r, i, C_TIME, THEME_DIM, "%s", hms);
    rows_set(r, i, C_METHOD, THEME_NORMAL, "%s", e->method ? e->method : "?");
    rows_set(r, i, C_RESOURCE, THEME_NORMAL, "%s", resource(e->url));
    if (e->status)
        rows_set(r, i, C_STATUS, status_role(e->status), "%ld%s", e->status,
                 e->retry_in_ms >= 0 ? " retry" : "");
    else
        rows_set(r, i, C_STATUS, THEME_CRIT, "%s", core_err_name(e->err));
    rows_set(r, i, C_MS, THEME_NORMAL, "%lld", (long long)e->latency_ms);
    rows_set(r, i, C_TRY, THEME_DIM, "%u", e->attempt);
    rows_set(r, i, C_RID, THEME_DIM, "%s", e->request_id ? e->request_id : "-");
}

static void rebuild(void *p, struct app *a)
{
    struct listview *lv = p;
    listview_begin(lv);
    for (size_t i = activity_count(a->activity); i-- > 0;)
        add_entry(lv->rows, activity_get(a->activity, i));
    listview_end(lv);
}

/* Who signs in and how it goes: the cause stays here while the header only says FAILING. */
static enum theme_role signin_line(struct app *a, char *line, size_t size)
{
    struct auth_health h;
    auth_health(session_auth(a->session), &h);
    const char *source = auth_source(session_auth(a->session));
    char when[32], left[32];
    if (h.failing) {
        snprintf(line, size, "sign-in FAILING since %s (%llu of %llu token fetches failed; %s): %s",
                 fmt_time(when, sizeof when, h.failing_since_ms), (unsigned long long)h.failures,
                 (unsigned long long)h.signins,
                 h.token_left_ms > 0 ? "the cached token still serves" : "no usable token",
                 h.cause);
        return h.token_left_ms < 5 * 60 * 1000 ? THEME_CRIT : THEME_WARN;
    }
    if (h.signins == 0)
        snprintf(line, size, "sign-in: no token fetched yet");
    else if (h.cached_left_ms < 0)
        snprintf(line, size, "sign-in: %s, last token %s, none cached now", source ? source : "?",
                 fmt_time(when, sizeof when, h.last_ok_ms));
    else
        snprintf(line, size, "sign-in: %s, last token %s, good for %s more", source ? source : "?",
                 fmt_time(when, sizeof when, h.last_ok_ms),
                 fmt_age(left, sizeof left, h.cached_left_ms));
    return THEME_DIM;
}

static void draw(void *p, struct app *a, WINDOW *w, int y, int x, int h, int wd)
{
    struct listview *lv = p;
    struct activity_counts c = activity_counts(a->activity);
    char line[400];
    snprintf(line, sizeof line,
             "%llu calls: %llu ok, %llu 4xx, %llu throttled (429), %llu 5xx, %llu without an "
             "answer; %llu older entries dropped",
             (unsigned long long)c.calls, (unsigned long long)c.ok, (unsigned long long)c.client,
             (unsigned long long)c.throttled, (unsigned long long)c.server,
             (unsigned long long)c.failed, (unsigned long long)activity_dropped(a->activity));
    wattrset(w, theme_attr(a->theme, c.throttled || c.server ? THEME_WARN : THEME_DIM));
    mvwaddnstr(w, y, x + 1, line, wd - 2);
    enum theme_role role = signin_line(a, line, sizeof line);
    wattrset(w, theme_attr(a->theme, role));
    mvwaddnstr(w, y + 1, x + 1, line, wd - 2);
    wattrset(w, A_NORMAL);
    listview_draw(lv, w, a->theme, y + 2, x, h - 2, wd, true);
}

const struct view_ops view_activity_ops = {
    "activity",
    "Activity",
    create,
    listview_op_destroy,
    rebuild,
    draw,
    listview_op_act,
    listview_op_filter,
    listview_op_pattern,
    listview_op_selected,
    listview_op_select,
    listview_op_counts,
    listview_op_click,
};
