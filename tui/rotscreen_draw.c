/*
 * rotscreen_draw — the rotation screen on the frame the app paints: a title
 * line, then the plan (with a red box when apply would be refused) or the
 * steps with their states, the outcome and the event log, and a footer of
 * this screen's keys (or the prompt's field). States are words and roles,
 * never colour alone. Draws into the window only; the app refreshes once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "frame.h"
#include "input.h"
#include "rotscreen_int.h"
#include "statusbar.h"
#include "textview.h"
#include "wtext.h"
#include "xmem.h"

/* The log keeps at least this many rows under the steps. */
#define LOG_MIN_ROWS 6

static enum theme_role state_role(enum wizard_step_state st)
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

static enum theme_role outcome_role(enum rotate_outcome o)
{
    return o == ROTATE_DONE ? THEME_OK : o == ROTATE_ROLLED_BACK ? THEME_WARN : THEME_CRIT;
}

static const char *stage_word(const struct rotscreen *s)
{
    switch (s->stage) {
    case RS_PLANNING:
        return "READING";
    case RS_PLAN:
        return "PLAN";
    case RS_RUNNING:
        return "RUNNING";
    default:
        return rotate_outcome(s->r) == ROTATE_NONE ? "LOADED" : "ENDED";
    }
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

/* A box in the crit role with text inside; returns its height. */
static int crit_box(struct app *a, WINDOW *w, int y, int h, int wd, const char *title,
                    const char *text)
{
    int bh = rows_of(text, wd - 4) + 2;
    bh = bh > h ? h : bh;
    frame_draw_roles(w, a->theme, y, 0, bh, wd, title, NULL, THEME_CRIT, THEME_CRIT);
    wrapped(w, a->theme, y + 1, 2, bh - 2, wd - 4, text, THEME_CRIT);
    return bh;
}

static void draw_plan(struct rotscreen *s, WINDOW *w, int y, int h, int wd)
{
    struct app *a = s->a;
    if (s->stage == RS_PLANNING) {
        char line[256];
        snprintf(line, sizeof line, "Reading %s from Azure for the plan ...", s->group);
        wtext_put(w, y + 1, 2, line, wd - 4, theme_attr(a->theme, THEME_INFO), NULL);
        return;
    }
    if (s->planerr) {
        crit_box(a, w, y, h, wd, "NO PLAN", s->planerr);
        return;
    }
    const char *blockers = rotate_blockers(s->r);
    if (blockers) {
        char *text = xasprintf("Apply would be refused now:\n%s", blockers);
        int bh =
            crit_box(a, w, y, h / 3 > 4 ? h / 3 : 4, wd, "REFUSED: apply would be refused", text);
        free(text);
        y += bh;
        h -= bh;
    }
    if (h < 3)
        return;
    frame_draw(w, a->theme, y, 0, h, wd, "Plan",
               a->read_only ? "read-only: apply is not offered" : NULL, true);
    textview_draw(s->plan, w, a->theme, y + 1, 2, h - 2, wd - 4);
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

static int draw_steps(struct rotscreen *s, WINDOW *w, int y, int h, int wd)
{
    struct app *a = s->a;
    const struct wizard *wz = rotate_wizard(s->r);
    size_t done = 0;
    for (size_t i = 0; i < wz->nsteps; i++)
        done += wz->steps[i].state == WIZARD_DONE || wz->steps[i].state == WIZARD_SKIPPED;
    int bh = (int)wz->nsteps + 3;
    bh = bh > h ? h : bh;
    char right[64];
    snprintf(right, sizeof right, "%zu of %zu done", done, wz->nsteps);
    frame_draw(w, a->theme, y, 0, bh, wd, "Steps", right, false);
    int row = y + 1, end = y + bh - 1;
    for (size_t i = first_step(wz, s->running_step, bh - 2); i < wz->nsteps && row < end; i++) {
        const struct wizard_step *st = &wz->steps[i];
        char head[32];
        snprintf(head, sizeof head, "%2zu  %-8s ", i + 1, wizard_state_name(st->state));
        enum theme_role role = state_role(st->state);
        int x = 2 + wtext_put(w, row, 2, head, wd - 4, theme_attr(a->theme, role), NULL);
        wtext_put(w, row++, x, st->title, wd - 2 - x,
                  theme_attr(a->theme, st->state == WIZARD_PENDING ? THEME_DIM : THEME_NORMAL),
                  theme_glyphs(a->theme)->ellipsis);
        bool show = st->state == WIZARD_RUNNING || st->state == WIZARD_FAILED;
        if (show && st->detail && row < end)
            wtext_put(w, row++, 15, st->detail, wd - 17, theme_attr(a->theme, role),
                      theme_glyphs(a->theme)->ellipsis);
    }
    return bh;
}

static int draw_outcome(struct rotscreen *s, WINDOW *w, int y, int h, int wd)
{
    struct app *a = s->a;
    enum rotate_outcome o = rotate_outcome(s->r);
    char *text;
    if (o == ROTATE_NONE)
        text = xasprintf("Loaded from its journal, not resumed yet%s.\nJournal: %s",
                         a->read_only ? " (read-only)" : ": u resumes it", rotate_journal(s->r));
    else
        text = xasprintf("Outcome: %s: %s\nJournal: %s%s%s%s", rotate_outcome_name(o),
                         rotate_detail(s->r), rotate_journal(s->r) ? rotate_journal(s->r) : "none",
                         s->exported ? "\nTranscript: " : "", s->exported ? s->exported : "",
                         rotate_rollback_offered(s->r) && !a->read_only
                             ? "\nA protector moved before it failed: b rolls back"
                             : "");
    enum theme_role role = o == ROTATE_NONE ? THEME_INFO : outcome_role(o);
    int bh = rows_of(text, wd - 4) + 2;
    bh = bh > h ? h : bh;
    frame_draw_roles(w, a->theme, y, 0, bh, wd, "Outcome", NULL, role, role);
    wrapped(w, a->theme, y + 1, 2, bh - 2, wd - 4, text, role);
    free(text);
    return bh;
}

static void draw_run(struct rotscreen *s, WINDOW *w, int y, int h, int wd)
{
    struct app *a = s->a;
    int used = draw_steps(s, w, y, h - LOG_MIN_ROWS > 3 ? h - LOG_MIN_ROWS : 3, wd);
    y += used;
    h -= used;
    if (s->stage == RS_END && h > LOG_MIN_ROWS) {
        used = draw_outcome(s, w, y, h - LOG_MIN_ROWS + 2, wd);
        y += used;
        h -= used;
    }
    if (h < 3)
        return;
    frame_draw(w, a->theme, y, 0, h, wd, "Log: checks, calls with request ids, notes", NULL, true);
    textview_draw(s->log, w, a->theme, y + 1, 2, h - 2, wd - 4);
}

/* The footer's hints for the stage, as "key:label" pairs. */
static size_t hints(struct rotscreen *s, struct statusbar_hint *h, char *esc, size_t size)
{
    struct app *a = s->a;
    size_t n = 0;
    bool ended = s->stage == RS_END;
    enum rotate_outcome o = rotate_outcome(s->r);
    keymap_first_name(a->keymap, ACT_BACK, esc, size);
    if (s->stage == RS_PLAN && !a->read_only && rotate_plan_ready(s->r))
        h[n++] = (struct statusbar_hint){"a", "apply"};
    if (s->stage == RS_PLAN)
        h[n++] = (struct statusbar_hint){"p", "plan again"};
    if (s->stage == RS_RUNNING)
        h[n++] = (struct statusbar_hint){"s", "stop (resumable)"};
    if (ended && rotate_journal(s->r))
        h[n++] = (struct statusbar_hint){"x", "export transcript"};
    if (ended && rotate_rollback_offered(s->r) && !a->read_only)
        h[n++] = (struct statusbar_hint){"b", "roll back"};
    if (ended && !a->read_only && rotate_journal(s->r) &&
        (o == ROTATE_FAILED || o == ROTATE_VERIFY || o == ROTATE_NONE))
        h[n++] = (struct statusbar_hint){"u", "resume"};
    h[n++] = (struct statusbar_hint){"j/k", "scroll"};
    h[n++] =
        (struct statusbar_hint){esc, s->stage == RS_RUNNING ? "hide (it keeps running)" : "back"};
    return n;
}

/* The prompt's field on the footer line; the terminal cursor goes after it. */
static void draw_field(struct rotscreen *s, WINDOW *w, int y, int wd)
{
    struct app *a = s->a;
    static const char *const labels[] = {
        [RP_KEYPASS] = "key file passphrase: ", [RP_REASON] = "reason: ",
        [RP_CONFIRM] = "confirm group name: ",  [RP_ESCROW] = "escrow passphrase: ",
        [RP_ESCROW_AGAIN] = "once more: ",      [RP_ROLLBACK_REASON] = "rollback reason: ",
    };
    const char *label = labels[s->prompt] ? labels[s->prompt] : "";
    attr_t in = theme_attr(a->theme, THEME_INPUT);
    wtext_fill(w, y, 0, wd, in);
    const char *secret = s->prompt == RP_KEYPASS        ? s->keypass
                         : s->prompt == RP_ESCROW       ? s->escrow
                         : s->prompt == RP_ESCROW_AGAIN ? s->escrow2
                                                        : NULL;
    if (secret == NULL) {
        a->cursor_x = input_draw(s->in, w, a->theme, y, 0, wd, label);
    } else {
        int x = wtext_put(w, y, 0, label, wd, in, NULL);
        size_t chars = 0;
        for (const char *p = secret; *p; p++)
            chars += ((unsigned char)*p & 0xc0) != 0x80;
        for (size_t i = 0; i < chars && x < wd - 1; i++)
            x += wtext_put(w, y, x, "*", 1, in, NULL); /* never the text, only its length */
        a->cursor_x = x;
    }
    a->cursor_y = y;
}

static void draw_title(struct rotscreen *s, WINDOW *w, int y, int wd)
{
    struct app *a = s->a;
    char title[256], right[64];
    snprintf(title, sizeof title, " Rotate the TDE protector of %s  (origin: %s%s%s)", s->group,
             rotplan_origin_name(s->origin), s->resumed ? ", resumed from its journal" : "",
             a->read_only ? ", read-only" : "");
    snprintf(right, sizeof right, " %s ", stage_word(s));
    attr_t at = theme_attr(a->theme, THEME_SELECTED);
    wtext_fill(w, y, 0, wd, at);
    int rw = wtext_width(right);
    wtext_put(w, y, 0, title, wd - rw, at, theme_glyphs(a->theme)->ellipsis);
    enum theme_role role = s->stage == RS_END && rotate_outcome(s->r) != ROTATE_NONE
                               ? outcome_role(rotate_outcome(s->r))
                               : THEME_SELECTED;
    wtext_put(w, y, wd - rw, right, rw, theme_attr(a->theme, role), NULL);
}

void rotscreen_draw(struct app *a, WINDOW *w, int y, int h, int wd)
{
    struct rotscreen *s = a->rot;
    if (s == NULL || h < 4)
        return;
    draw_title(s, w, y, wd);
    if (s->stage == RS_PLAN || s->stage == RS_PLANNING)
        draw_plan(s, w, y + 1, h - 2, wd);
    else
        draw_run(s, w, y + 1, h - 2, wd);
    int fy = y + h - 1;
    if (s->prompt != RP_NONE && !rotscreen_prompt_asks(s->prompt))
        draw_field(s, w, fy, wd);
    else {
        struct statusbar_hint hs[8];
        char esc[16];
        size_t n = hints(s, hs, esc, sizeof esc);
        statusbar_draw(w, a->theme, fy, 0, wd, hs, n, a->message, a->message_role);
    }
    if (s->dlg)
        dialog_draw(s->dlg, w, a->theme, rotscreen_prompt_asks(s->prompt));
}
