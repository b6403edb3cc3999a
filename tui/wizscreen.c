/*
 * wizscreen — the pieces the wizard screens share: title, boxes, steps, log,
 * the prompt's field and keys, the transcript export (see wizscreen.h).
 */
#include "wizscreen.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "frame.h"
#include "input.h"
#include "textview.h"
#include "transcript.h"
#include "wtext.h"
#include "xmem.h"

/* The log keeps at least this many rows under the steps. */
#define LOG_MIN_ROWS 6

enum theme_role wizscreen_state_role(enum wizard_step_state st)
{
    switch (st) {
    case WIZARD_RUNNING:
        return THEME_INFO;
    case WIZARD_DONE:
        return THEME_OK;
    case WIZARD_FAILED:
        return THEME_CRIT;
    case WIZARD_SKIPPED:
        return THEME_HINT;
    default:
        return THEME_DIM;
    }
}

static enum theme_role event_role(const struct wizard_event *ev)
{
    switch (ev->kind) {
    case WIZARD_EV_STEP:
    case WIZARD_EV_CHECK:
    case WIZARD_EV_END:
        return ev->ok ? THEME_OK : THEME_CRIT;
    case WIZARD_EV_CALL:
        return ev->ok ? THEME_NORMAL : THEME_WARN;
    default:
        return THEME_INFO;
    }
}

void wizscreen_log_event(struct textview *log, const struct wizard *wz,
                         const struct wizard_event *ev)
{
    const char *text = ev->text ? ev->text : "";
    if (ev->kind == WIZARD_EV_STEP && ev->index < wz->nsteps) {
        const struct wizard_step *st = &wz->steps[ev->index];
        textview_add(log, st->state == WIZARD_RUNNING ? THEME_INFO : event_role(ev),
                     "step %zu %s %s: %s", ev->index + 1, st->id, wizard_state_name(st->state),
                     text);
    } else if (ev->kind == WIZARD_EV_CALL)
        textview_add(log, event_role(ev), "  call %s", text);
    else if (ev->kind == WIZARD_EV_CHECK)
        textview_add(log, event_role(ev), "  check %s", text);
    else if (ev->kind == WIZARD_EV_END)
        textview_add(log, event_role(ev), "end: %s", text);
    else
        textview_add(log, THEME_INFO, "  note: %s", text);
}

/* ---- drawing ---- */

void wizscreen_draw_title(struct app *a, WINDOW *w, int y, int wd, const char *title,
                          const char *word, enum theme_role word_role)
{
    char right[64];
    snprintf(right, sizeof right, " %s ", word);
    attr_t at = theme_attr(a->theme, THEME_SELECTED);
    wtext_fill(w, y, 0, wd, at);
    int rw = wtext_width(right);
    wtext_put(w, y, 0, title, wd - rw, at, theme_glyphs(a->theme)->ellipsis);
    wtext_put(w, y, wd - rw, right, rw, theme_attr(a->theme, word_role), NULL);
}

/* text wrapped into rows [y, y+h) from x, wd wide, in role; returns the rows used. */
static int wrapped(WINDOW *w, const struct theme *t, int y, int x, int h, int wd, const char *text,
                   enum theme_role role)
{
    int row = 0;
    const char *ell = theme_glyphs(t)->ellipsis;
    for (const char *p = text; *p && row < h;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p), at = 0;
        do {
            size_t next, n = wtext_wrap(p + at, len - at, wd, &next);
            wtext_draw(w, y + row++, x, p + at, n, wd, theme_attr(t, role), ell);
            at += next;
        } while (at < len && row < h);
        p += len + (nl ? 1 : 0);
    }
    return row;
}

/* Rows text takes wrapped at wd. */
static int rows_of(const char *text, int wd)
{
    int rows = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p), at = 0;
        do {
            size_t next;
            wtext_wrap(p + at, len - at, wd, &next);
            at += next;
            rows++;
        } while (at < len);
        p += len + (nl ? 1 : 0);
    }
    return rows;
}

int wizscreen_draw_box(struct app *a, WINDOW *w, int y, int h, int wd, const char *title,
                       const char *text, enum theme_role role)
{
    int bh = rows_of(text, wd - 4) + 2;
    bh = bh > h ? h : bh;
    frame_draw_roles(w, a->theme, y, 0, bh, wd, title, NULL, role, role);
    wrapped(w, a->theme, y + 1, 2, bh - 2, wd - 4, text, role);
    return bh;
}

/* The first step to show so that the current one is on screen among rows. */
static size_t first_step(const struct wizard *wz, size_t current, int rows)
{
    size_t want = current;
    for (size_t i = 0; i < wz->nsteps; i++)
        if (wz->steps[i].state == WIZARD_RUNNING || wz->steps[i].state == WIZARD_FAILED)
            want = i;
    if (rows <= 1 || want < (size_t)rows - 1)
        return 0;
    return want - (size_t)rows + 2;
}

static int draw_steps(struct app *a, WINDOW *w, int y, int h, int wd, const struct wizard *wz,
                      size_t current)
{
    size_t done = 0;
    for (size_t i = 0; i < wz->nsteps; i++)
        done += wz->steps[i].state == WIZARD_DONE || wz->steps[i].state == WIZARD_SKIPPED;
    int bh = (int)wz->nsteps + 3;
    bh = bh > h ? h : bh;
    char right[64];
    snprintf(right, sizeof right, "%zu of %zu done", done, wz->nsteps);
    frame_draw(w, a->theme, y, 0, bh, wd, "Steps", right, false);
    int row = y + 1, end = y + bh - 1;
    const char *ell = theme_glyphs(a->theme)->ellipsis;
    for (size_t i = first_step(wz, current, bh - 2); i < wz->nsteps && row < end; i++) {
        const struct wizard_step *st = &wz->steps[i];
        char head[32];
        snprintf(head, sizeof head, "%2zu  %-8s ", i + 1, wizard_state_name(st->state));
        enum theme_role role = wizscreen_state_role(st->state);
        int x = 2 + wtext_put(w, row, 2, head, wd - 4, theme_attr(a->theme, role), NULL);
        wtext_put(w, row++, x, st->title, wd - 2 - x,
                  theme_attr(a->theme, st->state == WIZARD_PENDING ? THEME_DIM : THEME_NORMAL),
                  ell);
        bool show = st->state == WIZARD_RUNNING || st->state == WIZARD_FAILED;
        if (show && st->detail && row < end)
            wtext_put(w, row++, 15, st->detail, wd - 17, theme_attr(a->theme, role), ell);
    }
    return bh;
}

void wizscreen_draw_run(struct app *a, WINDOW *w, int y, int h, int wd, const struct wizard *wz,
                        size_t current, const char *outcome, enum theme_role outcome_role,
                        struct textview *log)
{
    int used = draw_steps(a, w, y, h - LOG_MIN_ROWS > 3 ? h - LOG_MIN_ROWS : 3, wd, wz, current);
    y += used;
    h -= used;
    if (outcome && h > LOG_MIN_ROWS) {
        used =
            wizscreen_draw_box(a, w, y, h - LOG_MIN_ROWS + 2, wd, "Outcome", outcome, outcome_role);
        y += used;
        h -= used;
    }
    if (h < 3)
        return;
    frame_draw(w, a->theme, y, 0, h, wd, "Log: checks, calls with request ids, notes", NULL, true);
    textview_draw(log, w, a->theme, y + 1, 2, h - 2, wd - 4);
}

void wizscreen_draw_field(struct app *a, WINDOW *w, int y, int wd, const char *label,
                          struct input *in, const char *secret)
{
    attr_t at = theme_attr(a->theme, THEME_INPUT);
    wtext_fill(w, y, 0, wd, at);
    if (secret == NULL) {
        a->cursor_x = input_draw(in, w, a->theme, y, 0, wd, label);
    } else {
        int x = wtext_put(w, y, 0, label, wd, at, NULL);
        size_t chars = 0;
        for (const char *p = secret; *p; p++)
            chars += ((unsigned char)*p & 0xc0) != 0x80;
        for (size_t i = 0; i < chars && x < wd - 1; i++)
            x += wtext_put(w, y, x, "*", 1, at, NULL); /* never the text, only its length */
        a->cursor_x = x;
    }
    a->cursor_y = y;
}

/* ---- keys ---- */

bool wizscreen_edit_key(struct input *in, bool function, int ch)
{
    int key = keymap_normalise(ch);
    if (key == KEY_BACKSPACE)
        input_backspace(in);
    else if (key == 21 /* C-u */)
        input_kill_line(in);
    else if (key == KEY_LEFT)
        input_left(in);
    else if (key == KEY_RIGHT)
        input_right(in);
    else if (key == KEY_HOME)
        input_home(in);
    else if (key == KEY_END)
        input_end(in);
    else if (!function && ch >= ' ' && ch != 127) {
        char utf8[MB_LEN_MAX + 1];
        mbstate_t st = {0};
        size_t n = wcrtomb(utf8, (wchar_t)ch, &st);
        if (n == (size_t)-1)
            return false;
        utf8[n] = '\0';
        input_insert(in, utf8);
    } else
        return false;
    return true;
}

bool wizscreen_scroll(struct textview *tv, enum action act)
{
    switch (act) {
    case ACT_UP:
    case ACT_DOWN:
        textview_scroll(tv, act == ACT_UP ? -1 : 1);
        return true;
    case ACT_PAGE_UP:
    case ACT_PAGE_DOWN:
        textview_scroll(tv, (act == ACT_PAGE_UP ? -1 : 1) * (LINES / 2));
        return true;
    case ACT_HOME:
        textview_top(tv);
        return true;
    case ACT_END:
        textview_bottom(tv);
        return true;
    default:
        return false;
    }
}

/* ---- the transcript ---- */

void wizscreen_export(struct app *a, const char *journal, char **exported)
{
    if (journal == NULL) {
        app_message(a, THEME_HINT, "nothing to export: nothing was applied");
        return;
    }
    char *dir = xasprintf("%s/transcripts", a->state_dir);
    char *md = NULL, *jsonl = NULL, *cause = NULL;
    if (transcript_export(journal, dir, &md, &jsonl, &cause) < 0) {
        app_message(a, THEME_WARN, "%s",
                    errno == EEXIST && *exported
                        ? "the transcript was exported already"
                        : (cause ? cause : "the transcript could not be written"));
    } else {
        xstr_set(exported, md);
        app_message(a, THEME_OK, "transcript: %s and .jsonl", md);
    }
    free(md);
    free(jsonl);
    free(cause);
    free(dir);
}
