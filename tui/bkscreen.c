/*
 * bkscreen — the key backup/restore screen: core's machine for the plan and
 * the run, the reason prompt, the frame, the keys, and the `:backup`,
 * `:restore` and `:restore-test` commands with their completion (see
 * bkscreen.h). What the rotation screen draws alike comes from wizscreen.
 */
#include "bkscreen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "activity.h"
#include "bkfile.h"
#include "dialog.h"
#include "engine.h"
#include "frame.h"
#include "input.h"
#include "keybackup.h"
#include "model.h"
#include "session.h"
#include "statusbar.h"
#include "textview.h"
#include "wizscreen.h"
#include "wtext.h"
#include "xmem.h"

enum bk_stage {
    BK_PLANNING, /* the plan's machine runs (a restore's checks read the target vault) */
    BK_PLAN,     /* the plan, or why there is none */
    BK_RUNNING,  /* the backup or restore */
    BK_END       /* the outcome */
};

struct bkscreen {
    struct app *a;
    struct keybackup *kb; /* the plan's machine, then the run's */
    enum bk_stage stage;
    bool restore, test;
    char *group;    /* a group's backup; NULL: one key */
    char *vault;    /* the key's vault, or the restore's target */
    char *key;      /* one key's backup */
    char *file;     /* the restore's backup file */
    char what[256]; /* "fog-x", "vault/key", "FILE into VAULT": title, badge, notes */
    char *refusal;  /* why the plan or run was refused before any change; NULL */
    char *exported; /* the transcript's Markdown path, once exported */
    bool asking;    /* the reason prompt is open */
    struct input *in;
    struct dialog *dlg;
    struct textview *plan; /* the plan's text */
    struct textview *log;  /* the run's events */
    size_t running_step;   /* the step events last named */
};

static const char *verb(const struct bkscreen *s)
{
    return !s->restore ? "backup" : s->test ? "restore test" : "restore";
}

static const char *command_name(const struct bkscreen *s)
{
    return !s->restore ? "backup" : s->test ? "restore-test" : "restore";
}

/* ---- the machine ---- */

static void on_event(const struct wizard_event *ev, void *arg)
{
    struct bkscreen *s = arg;
    const struct wizard *w = keybackup_wizard(s->kb);
    if (ev->kind == WIZARD_EV_STEP && ev->index < w->nsteps)
        s->running_step = ev->index;
    wizscreen_log_event(s->log, w, ev);
    s->a->dirty = true;
}

static void plan_ready(struct bkscreen *s)
{
    s->stage = BK_PLAN;
    textview_clear(s->plan);
    char *text = keybackup_plan_text(s->kb);
    textview_add(s->plan, THEME_NORMAL, "%s", text);
    free(text);
    textview_top(s->plan);
    if (keybackup_result(s->kb) != KEYBACKUP_DONE)
        xstr_set(&s->refusal, keybackup_detail(s->kb));
}

static void run_ended(struct bkscreen *s)
{
    struct app *a = s->a;
    enum keybackup_result r = keybackup_result(s->kb);
    s->stage = BK_END;
    char *note = xasprintf("%s of %s: %s", verb(s), s->what, keybackup_result_name(r));
    activity_add_note(a->activity, app_now(a), note);
    free(note);
    if (a->overlay != OVERLAY_BACKUP)
        app_message(a, r == KEYBACKUP_DONE ? THEME_OK : THEME_CRIT,
                    "the %s of %s ended: %s (:%s shows it)", verb(s), s->what,
                    keybackup_result_name(r), command_name(s));
}

static void on_done(struct keybackup *kb, enum keybackup_result result, void *arg)
{
    struct bkscreen *s = arg;
    (void)kb;
    (void)result;
    if (s->stage == BK_PLANNING)
        plan_ready(s);
    else if (s->stage == BK_RUNNING)
        run_ended(s);
    s->a->dirty = true;
}

static struct keybackup *make_machine(struct bkscreen *s)
{
    struct app *a = s->a;
    char *backups = xasprintf("%s/backups", a->state_dir);
    char *journals = xasprintf("%s/wizards", a->state_dir); /* beside the rotations' */
    char *audit = xasprintf("%s/audit.jsonl", a->state_dir);
    struct keybackup_options o = {
        .az = session_azure(a->session),
        .engine = a->engine,
        .loop = session_loop(a->session),
        .read_only = a->read_only,
        .backup_dir = backups,
        .journal_dir = journals,
        .audit_path = audit,
        .principal = a->config.client_id ? a->config.client_id : getenv("AZURE_CLIENT_ID"),
        .on_event = on_event,
        .event_arg = s,
        .on_done = on_done,
        .done_arg = s,
    };
    struct keybackup *kb = keybackup_create(&o);
    free(backups);
    free(journals);
    free(audit);
    return kb;
}

/* The selection on the new machine; -1 with *cause. */
static int choose(struct bkscreen *s, char **cause)
{
    if (s->restore)
        return keybackup_restore_file(s->kb, s->file, s->vault, cause);
    if (s->group)
        return keybackup_select_group(s->kb, s->group, cause);
    return keybackup_select(s->kb, s->vault, s->key, cause);
}

/* A new machine with the screen's selection, started as how (a plan, or the run). */
static void begin(struct bkscreen *s, enum keybackup_how how, const char *reason)
{
    char *cause = NULL;
    keybackup_destroy(s->kb); /* the plan's: it has ended, or is cancelled here */
    s->kb = make_machine(s);
    free(s->refusal);
    s->refusal = NULL;
    s->running_step = 0;
    textview_clear(s->log);
    textview_bottom(s->log); /* the log follows its end until scrolled up */
    s->stage = how == KEYBACKUP_PLAN ? BK_PLANNING : BK_RUNNING;
    if (how == KEYBACKUP_PLAN)
        textview_clear(s->plan);
    if (choose(s, &cause) < 0) {
        const char *detail = keybackup_detail(s->kb);
        s->refusal = xstrdup(detail[0] ? detail : cause ? cause : "refused");
        s->stage = how == KEYBACKUP_PLAN ? BK_PLAN : BK_END;
    } else {
        keybackup_start(s->kb, how, reason);
    }
    free(cause);
    s->a->dirty = true;
}

static void run(struct bkscreen *s, const char *reason)
{
    struct app *a = s->a;
    free(s->exported);
    s->exported = NULL;
    char *note = xasprintf("operator: %s of %s", verb(s), s->what);
    activity_add_note(a->activity, app_now(a), note);
    free(note);
    begin(s, !s->restore ? KEYBACKUP_APPLY : s->test ? KEYBACKUP_TEST : KEYBACKUP_APPLY, reason);
}

/* ---- the screen's life ---- */

void bkscreen_destroy(struct bkscreen *s)
{
    if (s == NULL)
        return;
    keybackup_destroy(s->kb); /* cancels a call in flight: no callback after it */
    input_destroy(s->in);
    dialog_destroy(s->dlg);
    textview_destroy(s->plan);
    textview_destroy(s->log);
    free(s->group);
    free(s->vault);
    free(s->key);
    free(s->file);
    free(s->refusal);
    free(s->exported);
    free(s);
}

bool bkscreen_running(const struct app *a)
{
    return a->bk && a->bk->stage == BK_RUNNING;
}

const char *bkscreen_badge(const struct app *a, char *buf, size_t size)
{
    const struct bkscreen *s = a->bk;
    if (s == NULL || a->overlay == OVERLAY_BACKUP)
        return NULL;
    if (s->stage == BK_RUNNING)
        snprintf(buf, size, " [%s %s]", s->restore ? "RESTORING" : "BACKING UP", s->what);
    else
        snprintf(buf, size, " [%s %s: %s]", s->restore ? "RESTORE" : "BACKUP", s->what,
                 s->stage == BK_END && keybackup_ended(s->kb)
                     ? keybackup_result_name(keybackup_result(s->kb))
                 : s->stage == BK_END ? "refused"
                                      : "planned");
    return buf;
}

bool bkscreen_show(struct app *a)
{
    if (a->bk == NULL)
        return false;
    a->overlay = OVERLAY_BACKUP;
    a->repaint_all = a->dirty = true;
    return true;
}

static void leave(struct bkscreen *s)
{
    struct app *a = s->a;
    a->overlay = OVERLAY_NONE;
    a->repaint_all = a->dirty = true;
    if (s->stage == BK_RUNNING) {
        app_message(a, THEME_INFO, "the %s of %s keeps running: :%s shows it", verb(s), s->what,
                    command_name(s));
        return;
    }
    a->bk = NULL;
    bkscreen_destroy(s);
}

/* A new screen in front, or NULL (with a message) when it cannot open. */
static struct bkscreen *open_screen(struct app *a)
{
    if (a->opt.wall) {
        app_message(a, THEME_HINT, "wall screen: view only (start without --wall for the rest)");
        return NULL;
    }
    if (a->state_dir == NULL) {
        app_message(a, THEME_CRIT, "no state folder: backups and their journals need one");
        return NULL;
    }
    if (bkscreen_running(a)) {
        app_message(a, THEME_WARN, "the %s of %s is running: one at a time", verb(a->bk),
                    a->bk->what);
        bkscreen_show(a);
        return NULL;
    }
    bkscreen_destroy(a->bk);
    struct bkscreen *s = a->bk = xcalloc(1, sizeof *s);
    s->a = a;
    s->in = input_create(1000); /* core's limit for a reason, as tdectl restore's */
    s->plan = textview_create();
    s->log = textview_create();
    bkscreen_show(a);
    return s;
}

void bkscreen_backup(struct app *a, const char *group, const char *vault, const char *key)
{
    struct bkscreen *s = open_screen(a);
    if (s == NULL)
        return;
    s->group = xstrdup_or_null(group);
    s->vault = xstrdup_or_null(vault);
    s->key = xstrdup_or_null(key);
    if (group)
        snprintf(s->what, sizeof s->what, "%s", group);
    else
        snprintf(s->what, sizeof s->what, "%s/%s", vault, key);
    begin(s, KEYBACKUP_PLAN, NULL);
}

void bkscreen_restore(struct app *a, const char *file, const char *vault, bool test)
{
    struct bkscreen *s = open_screen(a);
    if (s == NULL)
        return;
    s->restore = true;
    s->test = test;
    s->file = xstrdup(file);
    s->vault = xstrdup(vault);
    const char *base = strrchr(file, '/');
    snprintf(s->what, sizeof s->what, "%s into %s", base ? base + 1 : file, vault);
    begin(s, KEYBACKUP_PLAN, NULL);
}

/* ---- the reason prompt ---- */

static void make_dialog(struct bkscreen *s, const char *complaint)
{
    const struct bkfile_meta *m = keybackup_meta(s->kb);
    size_t n = m ? m->nversions : 0;
    char *body = xasprintf(
        "This changes Azure: %s %s (%zu version%s) into %s. Nothing is deleted, disabled or "
        "purged%s.\n\nType the reason (kept in the journal and the audit log), then Enter.%s%s",
        s->test ? "a restore test of" : "restore", m ? m->key : "the key", n, n == 1 ? "" : "s",
        s->vault, s->test ? "; the restored copy stays in the scratch vault" : "",
        complaint ? "\n\n" : "", complaint ? complaint : "");
    dialog_destroy(s->dlg);
    s->dlg = dialog_create(s->test ? "Run the restore test" : "Restore the key", body, NULL, 0, 0);
    free(body);
    s->a->dirty = true;
}

static void close_prompt(struct bkscreen *s)
{
    s->asking = false;
    input_set(s->in, "");
    dialog_destroy(s->dlg);
    s->dlg = NULL;
    s->a->repaint_all = s->a->dirty = true;
}

static void submit_reason(struct bkscreen *s)
{
    char *reason = xstrdup(input_text(s->in));
    if (strspn(reason, " \t") == strlen(reason)) {
        input_set(s->in, "");
        make_dialog(s, "A reason is required.");
    } else {
        close_prompt(s);
        run(s, reason);
    }
    free(reason);
}

static void prompt_key(struct bkscreen *s, enum action act, bool function, int ch)
{
    int key = keymap_normalise(ch);
    if (key == KEY_ENTER)
        submit_reason(s);
    else if (key == 27 || act == ACT_CANCEL) {
        close_prompt(s);
        app_message(s->a, THEME_HINT, "cancelled: nothing was changed");
    } else
        wizscreen_edit_key(s->in, function, ch);
    s->a->dirty = true;
}

/* ---- keys ---- */

static void start_run(struct bkscreen *s)
{
    struct app *a = s->a;
    if (a->read_only)
        app_message(a, THEME_WARN, "read-only: the %s is not offered (start without --read-only)",
                    verb(s));
    else if (s->stage != BK_PLAN)
        app_message(a, THEME_HINT, "no plan to run yet");
    else if (s->refusal)
        app_message(a, THEME_WARN,
                    "refused before any change (the red box says why); p plans again once it "
                    "is fixed");
    else if (s->restore) {
        s->asking = true;
        input_set(s->in, "");
        make_dialog(s, NULL);
    } else
        run(s, NULL); /* a backup changes nothing in Azure: no reason asked */
}

static const char *journal(const struct bkscreen *s)
{
    return s->kb ? keybackup_wizard(s->kb)->journal_path : NULL;
}

/* Keys with a meaning on this screen only; false when ch is not one of them here. */
static bool screen_letter(struct bkscreen *s, int ch)
{
    if (ch == 'a' && s->stage == BK_PLAN)
        start_run(s);
    else if (ch == 'p' && (s->stage == BK_PLAN || s->stage == BK_END))
        begin(s, KEYBACKUP_PLAN, NULL);
    else if (ch == 'x' && s->stage == BK_END && journal(s))
        wizscreen_export(s->a, journal(s), &s->exported);
    else
        return false;
    return true;
}

static void screen_key(struct bkscreen *s, enum action act, bool function, int ch)
{
    struct app *a = s->a;
    struct textview *tv = s->stage == BK_PLAN || s->stage == BK_PLANNING ? s->plan : s->log;
    if ((!function && screen_letter(s, ch)) || wizscreen_scroll(tv, act)) {
        a->dirty = true;
        return;
    }
    if (act == ACT_BACK || act == ACT_QUIT)
        leave(s);
    else if (act == ACT_REPAINT)
        a->repaint_all = true;
    else if (act == ACT_CANCEL)
        app_message(a, THEME_HINT, "C-c never stops a run; Esc leaves this screen");
    else
        app_message(a, THEME_HINT, "the footer lists this screen's keys; Esc leaves it");
    a->dirty = true;
}

void bkscreen_key(struct app *a, bool function, int ch)
{
    struct bkscreen *s = a->bk;
    if (s == NULL) {
        a->overlay = OVERLAY_NONE;
        return;
    }
    enum action act = keymap_lookup(a->keymap, ch);
    if (s->asking)
        prompt_key(s, act, function, ch);
    else
        screen_key(s, act, function, ch);
}

/* ---- drawing ---- */

static enum theme_role result_role(const struct bkscreen *s)
{
    return keybackup_ended(s->kb) && keybackup_result(s->kb) == KEYBACKUP_DONE ? THEME_OK
                                                                               : THEME_CRIT;
}

static void draw_title(struct bkscreen *s, WINDOW *w, int y, int wd)
{
    char title[400];
    const char *ro = s->a->read_only ? "  (read-only)" : "";
    if (s->restore)
        snprintf(title, sizeof title, " %s %s%s", s->test ? "Restore test:" : "Restore", s->what,
                 ro);
    else
        snprintf(title, sizeof title, " Back up %s%s%s", s->group ? "every key of " : "", s->what,
                 ro);
    const char *word = s->stage == BK_PLANNING  ? "READING"
                       : s->stage == BK_RUNNING ? "RUNNING"
                       : s->stage == BK_END     ? "ENDED"
                       : s->refusal             ? "REFUSED"
                                                : "PLAN";
    bool judged = s->stage == BK_END || (s->stage == BK_PLAN && s->refusal);
    wizscreen_draw_title(s->a, w, y, wd, title, word, judged ? result_role(s) : THEME_SELECTED);
}

static void draw_plan(struct bkscreen *s, WINDOW *w, int y, int h, int wd)
{
    struct app *a = s->a;
    if (s->stage == BK_PLANNING) {
        char line[320];
        snprintf(line, sizeof line, "Making the plan%s%s ...", s->restore ? ": checking " : "",
                 s->restore ? s->vault : "");
        wtext_put(w, y + 1, 2, line, wd - 4, theme_attr(a->theme, THEME_INFO), NULL);
        return;
    }
    if (s->refusal) {
        bool plan = textview_lines(s->plan) > 1;
        int bh = wizscreen_draw_box(a, w, y, plan ? (h / 3 > 5 ? h / 3 : 5) : h, wd,
                                    "REFUSED: nothing was changed", s->refusal, THEME_CRIT);
        y += bh;
        h -= bh;
    }
    if (h < 3)
        return;
    frame_draw(w, a->theme, y, 0, h, wd, "Plan",
               a->read_only ? "read-only: not offered, only the plan" : NULL, true);
    textview_draw(s->plan, w, a->theme, y + 1, 2, h - 2, wd - 4);
}

/* The outcome box's text (heap): the files written, or the checks and fingerprints compared. */
static char *outcome_text(const struct bkscreen *s)
{
    if (!keybackup_ended(s->kb))
        return xasprintf("Refused before any change: %s", s->refusal ? s->refusal : "?");
    char *text = keybackup_text(s->kb), *out;
    out = xasprintf("%s%s%s", text, s->exported ? "transcript: " : "",
                    s->exported ? s->exported : "");
    free(text);
    return out;
}

/* The footer's hints for the stage, as "key:label" pairs. */
static size_t hints(struct bkscreen *s, struct statusbar_hint *h, char *esc, size_t size)
{
    struct app *a = s->a;
    size_t n = 0;
    keymap_first_name(a->keymap, ACT_BACK, esc, size);
    if (s->stage == BK_PLAN && !a->read_only && !s->refusal)
        h[n++] = (struct statusbar_hint){"a", !s->restore ? "back up"
                                              : s->test   ? "run the restore test"
                                                          : "restore"};
    if (s->stage == BK_PLAN || s->stage == BK_END)
        h[n++] = (struct statusbar_hint){"p", "plan again"};
    if (s->stage == BK_END && journal(s))
        h[n++] = (struct statusbar_hint){"x", "export transcript"};
    h[n++] = (struct statusbar_hint){"j/k", "scroll"};
    h[n++] =
        (struct statusbar_hint){esc, s->stage == BK_RUNNING ? "hide (it keeps running)" : "back"};
    return n;
}

void bkscreen_draw(struct app *a, WINDOW *w, int y, int h, int wd)
{
    struct bkscreen *s = a->bk;
    if (s == NULL || h < 4)
        return;
    draw_title(s, w, y, wd);
    if (s->stage == BK_PLAN || s->stage == BK_PLANNING) {
        draw_plan(s, w, y + 1, h - 2, wd);
    } else {
        char *outcome = s->stage == BK_END ? outcome_text(s) : NULL;
        wizscreen_draw_run(a, w, y + 1, h - 2, wd, keybackup_wizard(s->kb), s->running_step,
                           outcome, result_role(s), s->log);
        free(outcome);
    }
    int fy = y + h - 1;
    if (s->asking) {
        wizscreen_draw_field(a, w, fy, wd, "reason: ", s->in, NULL);
    } else {
        struct statusbar_hint hs[6];
        char esc[16];
        size_t n = hints(s, hs, esc, sizeof esc);
        statusbar_draw(w, a->theme, fy, 0, wd, hs, n, a->message, a->message_role);
    }
    if (s->dlg)
        dialog_draw(s->dlg, w, a->theme, false);
}

/* ---- commands ---- */

/* A bare file name is looked up in the state folder's backups/ first (heap). */
static char *backup_path(const struct app *a, const char *file)
{
    if (strchr(file, '/') == NULL && a->state_dir) {
        char *path = xasprintf("%s/backups/%s", a->state_dir, file);
        if (access(path, F_OK) == 0)
            return path;
        free(path);
    }
    return xstrdup(file);
}

static const struct model_fog *fog_named(const struct model *m, const char *name)
{
    for (size_t i = 0; i < m->nfogs; i++)
        if (m->fogs[i]->name && strcasecmp(m->fogs[i]->name, name) == 0)
            return m->fogs[i];
    return NULL;
}

static void command_backup(struct app *a, char **words, size_t n)
{
    const struct model_fog *fg = fog_named(engine_model(a->engine), words[0]);
    if (n == 1 && fg)
        bkscreen_backup(a, fg->name, NULL, NULL);
    else if (n == 2)
        bkscreen_backup(a, NULL, words[0], words[1]);
    else if (n == 1)
        app_message(a, THEME_WARN, "no failover group named %s (backup VAULT KEY for one key)",
                    words[0]);
    else
        app_message(a, THEME_HINT, "backup GROUP, or backup VAULT KEY");
}

void bkscreen_command(struct app *a, const char *cmd, char **words, size_t n)
{
    bool restore = strcmp(cmd, "backup") != 0;
    if (n == 0) {
        if (!bkscreen_show(a))
            app_message(a, THEME_HINT, "%s",
                        restore ? "restore FILE VAULT (Tab completes both)"
                                : "backup GROUP, or backup VAULT KEY "
                                  "(B on the keys view)");
        return;
    }
    if (!restore) {
        command_backup(a, words, n);
        return;
    }
    if (n != 2) {
        app_message(a, THEME_HINT, "%s FILE VAULT: a backup file (a name in backups/ or a path)",
                    cmd);
        return;
    }
    char *path = backup_path(a, words[0]);
    bkscreen_restore(a, path, words[1], strcmp(cmd, "restore-test") == 0);
    free(path);
}

/* The backup files' names in the state folder's backups/ (heap, with their strings). */
static char **file_names(const struct app *a, size_t *n)
{
    char **paths = NULL, *cause = NULL;
    *n = 0;
    char *dir = a->state_dir ? xasprintf("%s/backups", a->state_dir) : NULL;
    if (dir && bkfile_list(dir, &paths, n, &cause) < 0)
        *n = 0;
    for (size_t i = 0; i < *n; i++) {
        const char *base = strrchr(paths[i], '/');
        if (base) {
            char *name = xstrdup(base + 1);
            free(paths[i]);
            paths[i] = name;
        }
    }
    free(cause);
    free(dir);
    return paths;
}

size_t bkscreen_candidates(struct app *a, const char *cmd, size_t arg, const char *first,
                           const char ***out, char ***files, size_t *nfiles)
{
    const struct model *m = engine_model(a->engine);
    const struct model_vault *v = first ? model_vault(m, first) : NULL;
    bool backup = strcmp(cmd, "backup") == 0;
    *files = !backup && arg == 1 ? file_names(a, nfiles) : NULL;
    if (*files == NULL)
        *nfiles = 0;
    size_t cap = m->nfogs + m->nvaults + (v ? v->nkeys : 0) + *nfiles + 1, n = 0;
    const char **c = *out = xcalloc(cap, sizeof *c);
    if (backup && arg == 1) {
        for (size_t i = 0; i < m->nfogs; i++)
            c[n++] = m->fogs[i]->name;
    } else if (backup && arg == 2 && v) {
        for (size_t k = 0; k < v->nkeys; k++)
            c[n++] = v->keys[k].name;
    }
    for (size_t i = 0; i < *nfiles; i++)
        c[n++] = (*files)[i];
    if ((backup && arg == 1) || (!backup && arg == 2))
        for (size_t i = 0; i < m->nvaults; i++)
            c[n++] = m->vaults[i]->name;
    return n;
}
