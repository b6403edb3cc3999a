/*
 * commands — the `:` command line's commands, their completion, and the
 * dialogs commands open (quit, revalidate).
 */
#include "commands.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activity.h"
#include "armclient.h"
#include "azure.h"
#include "bkscreen.h"
#include "cmdline.h"
#include "demo.h"
#include "dialog.h"
#include "draw.h"
#include "engine.h"
#include "input.h"
#include "model.h"
#include "practice.h"
#include "rotscreen.h"
#include "session.h"
#include "textview.h"
#include "xmem.h"

enum command_when { CMD_ALWAYS, CMD_WRITE, CMD_DEMO };

struct command {
    const char *name;
    const char *args; /* the syntax, for the help */
    const char *help; /* what it does */
    enum command_when when;
};

/* Besides these, every view's name and every action's name is a command. */
static const struct command commands[] = {
    {"quit", "", "quit (asks while a refresh or a drill runs)", CMD_ALWAYS},
    {"q", "", "the same as quit", CMD_ALWAYS},
    {"q!", "", "quit at once", CMD_ALWAYS},
    {"help", "", "this help", CMD_ALWAYS},
    {"goto", "NAME", "open what NAME names: a group, instance, vault or key", CMD_ALWAYS},
    {"filter", "PATTERN", "filter this view (no pattern: clear)", CMD_ALWAYS},
    {"theme", "NAME", "switch the colour theme (default dark light high-contrast mono, or a file)",
     CMD_ALWAYS},
    {"practice", "[ID|clear]", "start a practice drill, or clear them all", CMD_DEMO},
    {"revalidate", "INSTANCE", "ask an instance to revalidate its TDE protector", CMD_WRITE},
    {"rotate", "GROUP [vault|offline|file] [FILE]", "the rotation screen (alone: show it again)",
     CMD_ALWAYS},
    {"resume", "[N|GROUP]", "list unfinished rotations, or resume one", CMD_WRITE},
    {"backup", "GROUP|VAULT KEY", "the key backup screen (alone: show it again)", CMD_ALWAYS},
    {"restore", "FILE VAULT", "the restore screen for a backup file", CMD_ALWAYS},
    {"restore-test", "FILE VAULT", "the restore screen, as a test into a scratch vault",
     CMD_ALWAYS},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const char *const *commands_names(size_t *n)
{
    static const char *names[NCOMMANDS + VIEW_COUNT + 32];
    size_t k = 0;
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[k++] = commands[i].name;
    size_t na;
    const struct keymap_action *acts = keymap_actions(&na);
    for (size_t i = 0; i < na && k < sizeof names / sizeof names[0]; i++) {
        bool listed = false; /* an action that is also a command above (rotate) */
        for (size_t c = 0; c < NCOMMANDS; c++)
            listed = listed || strcmp(commands[c].name, acts[i].name) == 0;
        if (!listed && keymap_action_named(acts[i].name) && strcmp(acts[i].name, "quit") != 0 &&
            strcmp(acts[i].name, "help") != 0)
            names[k++] = acts[i].name; /* views are actions too */
    }
    *n = k;
    return names;
}

void commands_help(struct app *a)
{
    textview_add(a->help, THEME_NORMAL, "  every action above by its name, and:");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const struct command *c = &commands[i];
        if ((c->when == CMD_WRITE && a->read_only) || (c->when == CMD_DEMO && a->demo == NULL))
            continue;
        char syntax[64];
        snprintf(syntax, sizeof syntax, "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
        textview_add(a->help, THEME_NORMAL, "  %-40s %s", syntax, c->help);
    }
    textview_add(a->help, THEME_NORMAL, "  Tab completes; Up/Down walk the history.");
}

static void quit_now(struct app *a)
{
    a->quit = true;
}

void commands_quit(struct app *a, bool force)
{
    const char *busy = rotscreen_running(a)
                           ? "a rotation is running (it stops where it is; the next start "
                             "offers to resume it)"
                       : bkscreen_running(a) ? "a backup or restore is running (it stops where "
                                               "it is; its journal says what was done)"
                       : a->sweeping_since   ? "a refresh is running"
                       : a->practice_fault   ? "a practice drill is active (it is cleared on quit)"
                                             : NULL;
    if (force || busy == NULL) {
        quit_now(a);
        return;
    }
    static const struct dialog_button buttons[] = {{"Stay"}, {"Quit"}};
    char *body = xasprintf("%s. Quit anyway?", busy);
    dialog_destroy(a->dialog);
    a->dialog = dialog_create("Quit tdectl?", body, buttons, 2, 0);
    a->dialog_kind = DIALOG_QUIT;
    a->overlay = OVERLAY_DIALOG;
    free(body);
}

static void on_revalidated(const struct az_reply *r, void *arg)
{
    struct app *a = arg;
    if (r->st.err == CORE_OK) {
        app_message(a, THEME_OK, "revalidate done (HTTP %ld, request %s)", r->st.status,
                    r->st.request_id ? r->st.request_id : "-");
        engine_refresh_health(a->engine);
    } else
        app_message(a, THEME_CRIT, "revalidate failed: %s (request %s)",
                    r->st.error ? r->st.error : core_err_name(r->st.err),
                    r->st.request_id ? r->st.request_id : "-");
}

void commands_revalidate(struct app *a, const char *instance_id)
{
    const struct model_instance *mi = model_instance(engine_model(a->engine), instance_id);
    if (mi == NULL) {
        app_message(a, THEME_WARN, "no instance %s", instance_id);
        return;
    }
    static const struct dialog_button buttons[] = {{"Cancel"}, {"Revalidate"}};
    char *body = xasprintf("POST %s/encryptionProtector/current/revalidate\n\nThe instance "
                           "re-reads its TDE protector from Key Vault. Nothing is deleted or "
                           "changed in the vaults. Type the instance name (%s) to confirm.",
                           mi->id, mi->name);
    dialog_destroy(a->dialog);
    a->dialog = dialog_create("Revalidate the TDE protector", body, buttons, 2, 0);
    a->dialog_kind = DIALOG_REVALIDATE;
    xstr_set(&a->dialog_subject, mi->id);
    xstr_set(&a->dialog_confirm, mi->name);
    input_set(a->input, "");
    a->overlay = OVERLAY_DIALOG;
    free(body);
}

void commands_dialog_done(struct app *a, size_t button)
{
    enum app_dialog_kind kind = a->dialog_kind;
    a->overlay = OVERLAY_NONE;
    a->repaint_all = a->dirty = true;
    dialog_destroy(a->dialog);
    a->dialog = NULL;
    if (button == 0)
        return;
    if (kind == DIALOG_QUIT)
        quit_now(a);
    else if (kind == DIALOG_RESUME)
        rotscreen_resume(a, a->dialog_subject);
    else if (kind == DIALOG_REVALIDATE) {
        if (a->read_only) /* the transport refuses it too; say so before it does */
            app_message(a, THEME_WARN, "read-only: revalidate is not offered");
        else if (strcmp(input_text(a->input), a->dialog_confirm) != 0)
            app_message(a, THEME_WARN, "not confirmed: the name typed was not %s",
                        a->dialog_confirm);
        else {
            activity_add_note(a->activity, app_now(a), "operator: revalidate protector");
            arm_revalidate(session_azure(a->session), a->dialog_subject, on_revalidated, a);
            app_message(a, THEME_INFO, "revalidate sent for %s", a->dialog_confirm);
        }
    }
}

/* goto NAME: the first kind of thing with that name, in the view that shows it. */
static bool go_to(struct app *a, const char *name)
{
    const struct model *m = engine_model(a->engine);
    for (size_t i = 0; i < m->nfogs; i++)
        if (strcasecmp(m->fogs[i]->name, name) == 0)
            return app_jump(a, VIEW_TOPOLOGY, m->fogs[i]->id);
    const struct model_instance *mi = model_instance_by_name(m, name);
    if (mi)
        return app_jump(a, VIEW_INSTANCES, mi->id);
    const struct model_vault *v = model_vault(m, name);
    if (v)
        return app_jump(a, VIEW_VAULTS, v->name);
    for (size_t i = 0; i < m->nvaults; i++)
        if (model_key(m->vaults[i], name)) {
            app_show_view(a, VIEW_KEYS);
            char *cause = NULL;
            app_view_ops(VIEW_KEYS)->filter(a->views[VIEW_KEYS], name, &cause);
            free(cause);
            return true;
        }
    return false;
}

static bool is_backup_command(const char *cmd)
{
    return strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0 ||
           strcmp(cmd, "restore-test") == 0;
}

static bool run_words(struct app *a, char **w, size_t n)
{
    const char *cmd = w[0];
    const char *arg = n > 1 ? w[1] : NULL;
    if (strcmp(cmd, "q!") == 0) {
        commands_quit(a, true);
        return true;
    }
    if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0) {
        commands_quit(a, false);
        return true;
    }
    if (strcmp(cmd, "goto") == 0 && arg) {
        if (!go_to(a, arg))
            app_message(a, THEME_WARN, "nothing named %s", arg);
        return true;
    }
    if (strcmp(cmd, "filter") == 0) {
        char *cause = NULL;
        if (app_view_ops(a->view)->filter(a->views[a->view], arg ? arg : "", &cause) < 0)
            app_message(a, THEME_WARN, "%s", cause);
        free(cause);
        return true;
    }
    if (strcmp(cmd, "theme") == 0 && arg)
        return commands_theme(a, arg);
    if (strcmp(cmd, "practice") == 0)
        return practice_command(a, arg);
    if (strcmp(cmd, "rotate") == 0) {
        rotscreen_command(a, w + 1, n - 1);
        return true;
    }
    if (strcmp(cmd, "resume") == 0) {
        rotscreen_command_resume(a, arg);
        return true;
    }
    if (is_backup_command(cmd)) {
        bkscreen_command(a, cmd, w + 1, n - 1);
        return true;
    }
    if (strcmp(cmd, "revalidate") == 0 && arg) {
        const struct model_instance *mi = model_instance_by_name(engine_model(a->engine), arg);
        if (a->read_only)
            app_message(a, THEME_WARN, "read-only: revalidate is not offered");
        else if (mi == NULL)
            app_message(a, THEME_WARN, "no instance named %s", arg);
        else
            commands_revalidate(a, mi->id);
        return true;
    }
    const struct keymap_action *ka = keymap_action_named(cmd);
    if (ka && n == 1) {
        app_key_action(a, ka->action);
        return true;
    }
    return false;
}

bool app_command(struct app *a, const char *line)
{
    size_t n = 0;
    char **w = cmdline_split(a->cmdline, line, &n);
    bool ok = true;
    if (w == NULL) {
        app_message(a, THEME_WARN, "unbalanced quotes in: %s", line);
        return false;
    }
    if (n > 0 && !run_words(a, w, n)) {
        app_message(a, THEME_WARN, "unknown command: %s (Tab completes, ? helps)", line);
        ok = false;
    }
    cmdline_free_words(w);
    a->dirty = true;
    return ok;
}

/* Candidates for argument arg (1: the first) of cmd: model names, themes, drills, origins. */
static size_t arg_candidates(struct app *a, const char *cmd, size_t arg, const char ***out)
{
    const struct model *m = engine_model(a->engine);
    size_t cap = 16 + m->nfogs + m->ninstances + m->nvaults * 8, n = 0;
    const char **c = xcalloc(cap, sizeof *c);
    if (strcmp(cmd, "rotate") == 0 && arg == 1) {
        for (size_t i = 0; i < m->nfogs && n < cap; i++)
            c[n++] = m->fogs[i]->name;
    } else if (strcmp(cmd, "rotate") == 0 && arg == 2) {
        static const char *origins[] = {"vault", "offline", "file"};
        for (size_t i = 0; i < 3; i++)
            c[n++] = origins[i];
    } else if (arg > 1) {
        /* the other commands take one argument */
    } else if (strcmp(cmd, "goto") == 0 || strcmp(cmd, "revalidate") == 0) {
        for (size_t i = 0; i < m->ninstances && n < cap; i++)
            c[n++] = m->instances[i]->name;
        for (size_t i = 0; strcmp(cmd, "goto") == 0 && i < m->nfogs && n < cap; i++)
            c[n++] = m->fogs[i]->name;
        for (size_t i = 0; strcmp(cmd, "goto") == 0 && i < m->nvaults; i++) {
            if (n < cap)
                c[n++] = m->vaults[i]->name;
            for (size_t k = 0; k < m->vaults[i]->nkeys && n < cap; k++)
                c[n++] = m->vaults[i]->keys[k].name;
        }
    } else if (strcmp(cmd, "theme") == 0) {
        static const char *themes[] = {"default", "dark", "light", "high-contrast", "mono"};
        for (size_t i = 0; i < 5; i++)
            c[n++] = themes[i];
    } else if (strcmp(cmd, "practice") == 0) {
        n = practice_candidates(a, c, cap);
    }
    *out = c;
    return n;
}

void commands_complete(struct app *a)
{
    const char *line = input_text(a->input);
    const char *sp = strchr(line, ' ');
    const char *const *cands;
    const char **owned = NULL; /* a list made here (freed at the end) */
    char **files = NULL;       /* backup files' names (heap strings) */
    size_t n, nfiles = 0;
    if (sp == NULL) {
        cands = commands_names(&n);
        if (a->read_only) { /* what is not offered is not completed either */
            owned = xcalloc(n, sizeof *owned);
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if (strcmp(cands[i], "revalidate") != 0 && strcmp(cands[i], "resume") != 0)
                    owned[k++] = cands[i];
            cands = owned;
            n = k;
        }
    } else {
        char *cmd = xstrndup(line, (size_t)(sp - line));
        size_t arg = 0; /* which argument the last word is */
        for (const char *p = sp; *p; p++)
            arg += *p == ' ' && p[1] != ' ';
        if (is_backup_command(cmd)) {
            const char *f = sp + strspn(sp, " ");
            char *first = arg > 1 ? xstrndup(f, strcspn(f, " ")) : NULL;
            n = bkscreen_candidates(a, cmd, arg, first, &owned, &files, &nfiles);
            free(first);
        } else
            n = arg_candidates(a, cmd, arg, &owned);
        cands = owned;
        free(cmd);
    }
    char *listing = NULL;
    char *grown = cmdline_complete(line, cands, n, &listing);
    if (grown) {
        input_set(a->input, grown);
        input_end(a->input);
    }
    if (listing)
        app_message(a, THEME_HINT, "%s", listing);
    else if (grown == NULL && n > 0)
        app_message(a, THEME_HINT, "no completion");
    free(grown);
    free(listing);
    free(owned);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
}

bool commands_theme(struct app *a, const char *name)
{
    char *cause = NULL;
    if (draw_switch_theme(a, name, &cause) < 0) {
        app_message(a, THEME_WARN, "%s", cause);
        free(cause);
    } else
        app_message(a, THEME_OK, "theme %s", name);
    return true;
}
