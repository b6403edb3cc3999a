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
#include "rotscreen_int.h"
#include "statusbar.h"
#include "textview.h"
#include "wizscreen.h"
#include "wtext.h"
#include "xmem.h"

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
        wizscreen_draw_box(a, w, y, h, wd, "NO PLAN", s->planerr, THEME_CRIT);
        return;
    }
    const char *blockers = rotate_blockers(s->r);
    if (blockers) {
        char *text = xasprintf("Apply would be refused now:\n%s", blockers);
        int bh = wizscreen_draw_box(a, w, y, h / 3 > 4 ? h / 3 : 4, wd,
                                    "REFUSED: apply would be refused", text, THEME_CRIT);
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

/* The outcome box's text (heap), once the run ended or a journal was loaded. */
static char *outcome_text(struct rotscreen *s)
{
    struct app *a = s->a;
    enum rotate_outcome o = rotate_outcome(s->r);
    if (o == ROTATE_NONE)
        return xasprintf("Loaded from its journal, not resumed yet%s.\nJournal: %s",
                         a->read_only ? " (read-only)" : ": u resumes it", rotate_journal(s->r));
    return xasprintf("Outcome: %s: %s\nJournal: %s%s%s%s", rotate_outcome_name(o),
                     rotate_detail(s->r), rotate_journal(s->r) ? rotate_journal(s->r) : "none",
                     s->exported ? "\nTranscript: " : "", s->exported ? s->exported : "",
                     rotate_rollback_offered(s->r) && !a->read_only
                         ? "\nA protector moved before it failed: b rolls back"
                         : "");
}

static void draw_run(struct rotscreen *s, WINDOW *w, int y, int h, int wd)
{
    enum rotate_outcome o = rotate_outcome(s->r);
    char *outcome = s->stage == RS_END ? outcome_text(s) : NULL;
    wizscreen_draw_run(s->a, w, y, h, wd, rotate_wizard(s->r), s->running_step, outcome,
                       o == ROTATE_NONE ? THEME_INFO : outcome_role(o), s->log);
    free(outcome);
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

/* The prompt's field on the footer line: the text typed, or one * per passphrase character. */
static void draw_field(struct rotscreen *s, WINDOW *w, int y, int wd)
{
    static const char *const labels[] = {
        [RP_KEYPASS] = "key file passphrase: ", [RP_REASON] = "reason: ",
        [RP_CONFIRM] = "confirm group name: ",  [RP_ESCROW] = "escrow passphrase: ",
        [RP_ESCROW_AGAIN] = "once more: ",      [RP_ROLLBACK_REASON] = "rollback reason: ",
    };
    const char *secret = s->prompt == RP_KEYPASS        ? s->keypass
                         : s->prompt == RP_ESCROW       ? s->escrow
                         : s->prompt == RP_ESCROW_AGAIN ? s->escrow2
                                                        : NULL;
    wizscreen_draw_field(s->a, w, y, wd, labels[s->prompt] ? labels[s->prompt] : "", s->in, secret);
}

static void draw_title(struct rotscreen *s, WINDOW *w, int y, int wd)
{
    struct app *a = s->a;
    char title[256];
    snprintf(title, sizeof title, " Rotate the TDE protector of %s  (origin: %s%s%s)", s->group,
             rotplan_origin_name(s->origin), s->resumed ? ", resumed from its journal" : "",
             a->read_only ? ", read-only" : "");
    enum theme_role role = s->stage == RS_END && rotate_outcome(s->r) != ROTATE_NONE
                               ? outcome_role(rotate_outcome(s->r))
                               : THEME_SELECTED;
    wizscreen_draw_title(a, w, y, wd, title, stage_word(s), role);
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
