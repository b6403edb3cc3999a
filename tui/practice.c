#include "practice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "demo.h"
#include "engine.h"
#include "textview.h"
#include "xmem.h"

void practice_open(struct app *a)
{
    if (a->demo == NULL) {
        app_message(a, THEME_HINT, "the practice menu needs the demo (tdectl --demo)");
        return;
    }
    a->overlay = OVERLAY_PRACTICE;
    a->dirty = true;
}

static void clear_drill(struct app *a)
{
    char *cause = NULL;
    if (demo_clear(a->demo, NULL, &cause) < 0) {
        app_message(a, THEME_WARN, "azsim did not clear the faults: %s", cause);
        free(cause);
        return;
    }
    activity_add_note(a->activity, app_now(a), "practice: every fault cleared");
    free(a->practice_fault);
    a->practice_fault = NULL;
    a->practice_title = NULL;
    engine_refresh_health(a->engine);
    engine_refresh_probe(a->engine);
    app_message(a, THEME_OK, "practice cleared: watch the estate heal");
}

static void start_drill(struct app *a, const struct demo_drill *d)
{
    char *cause = NULL, *id = NULL;
    if (a->practice_fault && demo_clear(a->demo, NULL, &cause) < 0) {
        app_message(a, THEME_WARN, "azsim did not clear the last drill: %s", cause);
        free(cause);
        return;
    }
    if (demo_drill_start(a->demo, d, &id, &cause) < 0) {
        app_message(a, THEME_WARN, "azsim refused the drill: %s", cause);
        free(cause);
        return;
    }
    free(a->practice_fault);
    a->practice_fault = id;
    a->practice_title = d->title;
    char *note = xasprintf("practice: %s", d->title);
    activity_add_note(a->activity, app_now(a), note);
    free(note);
    engine_refresh_health(a->engine);
    engine_refresh_probe(a->engine);
    app_message(a, THEME_WARN, "drill started: %s", d->watch);
}

void practice_key(struct app *a, enum action act, int key)
{
    size_t n;
    const struct demo_drill *drills = demo_drills(&n);
    if (act == ACT_UP && a->practice_sel > 0)
        a->practice_sel--;
    else if (act == ACT_DOWN && a->practice_sel + 1 < n)
        a->practice_sel++;
    else if (act == ACT_HOME)
        a->practice_sel = 0;
    else if (act == ACT_END)
        a->practice_sel = n ? n - 1 : 0;
    else if (key == 'c') {
        clear_drill(a);
        a->overlay = OVERLAY_NONE;
    } else if (act == ACT_ENTER && a->practice_sel < n) {
        start_drill(a, &drills[a->practice_sel]);
        a->overlay = OVERLAY_NONE;
    } else if (act == ACT_BACK || act == ACT_CANCEL || act == ACT_PRACTICE || key == 27)
        a->overlay = OVERLAY_NONE;
    a->repaint_all = a->overlay == OVERLAY_NONE;
    a->dirty = true;
}

void practice_draw(struct app *a, int y, int x, int h, int w)
{
    size_t n;
    const struct demo_drill *drills = demo_drills(&n);
    const struct theme *t = a->theme;
    int row = y;
    attrset(theme_attr(t, THEME_DIALOG));
    mvaddnstr(row++, x, "Enter starts the drill (azsim only; Azure is never touched); c clears.",
              w);
    row++;
    for (size_t i = 0; i < n && row < y + h - 2; i++, row++) {
        bool sel = i == a->practice_sel;
        bool active = a->practice_title == drills[i].title;
        attrset(theme_attr(t, sel ? THEME_SELECTED : active ? THEME_WARN : THEME_DIALOG));
        char line[256];
        snprintf(line, sizeof line, "%s %-22s %s", active ? "*" : " ", drills[i].id,
                 drills[i].title);
        mvaddnstr(row, x, line, w);
    }
    if (a->practice_sel < n && row < y + h) {
        attrset(theme_attr(t, THEME_HINT));
        char watch[300];
        snprintf(watch, sizeof watch, "Watch for: %s", drills[a->practice_sel].watch);
        mvaddnstr(y + h - 1, x, watch, w);
    }
    attrset(A_NORMAL);
}

bool practice_command(struct app *a, const char *arg)
{
    if (a->demo == NULL) {
        app_message(a, THEME_HINT, "practice needs the demo (tdectl --demo)");
        return true;
    }
    if (arg == NULL) {
        practice_open(a);
        return true;
    }
    if (strcmp(arg, "clear") == 0) {
        clear_drill(a);
        return true;
    }
    size_t n;
    const struct demo_drill *drills = demo_drills(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(drills[i].id, arg) == 0) {
            start_drill(a, &drills[i]);
            return true;
        }
    app_message(a, THEME_WARN, "no drill %s (Tab lists them)", arg);
    return true;
}

size_t practice_candidates(struct app *a, const char **out, size_t cap)
{
    size_t n, k = 0;
    const struct demo_drill *drills = demo_drills(&n);
    (void)a;
    if (k < cap)
        out[k++] = "clear";
    for (size_t i = 0; i < n && k < cap; i++)
        out[k++] = drills[i].id;
    return k;
}
