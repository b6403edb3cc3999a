/*
 * rotscreen — the rotation screen's side of core/rotate: making the machine,
 * planning, apply, resume, rollback, the events into the log, the end, the
 * transcript; the `:rotate` and `:resume` commands and the resume offer (see
 * rotscreen.h).
 */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "activity.h"
#include "dialog.h"
#include "engine.h"
#include "input.h"
#include "journal.h"
#include "keymat.h"
#include "rotscreen_int.h"
#include "session.h"
#include "textview.h"
#include "wizscreen.h"
#include "xmem.h"

/* In the demo the watch is the documented 30 minutes in simulated time, at least this long. */
#define DEMO_WATCH_MIN_S 5
/* The demo's reads while waiting and watching: often, azsim is local. */
#define DEMO_POLL_MS 1000

/* "alice@host (client 1234...)": who holds the lock, in the audit log too. */
static char *owner_of(const struct app *a)
{
    char host[256] = "localhost";
    (void)gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    const char *user = getenv("USER");
    if (user == NULL || user[0] == '\0') {
        /* cppcheck-suppress getpwuidCalled ; main thread only (the one worker thread only generates
         * a key) */
        const struct passwd *pw = getpwuid(getuid());
        user = pw ? pw->pw_name : "unknown";
    }
    const char *client = a->config.client_id ? a->config.client_id : getenv("AZURE_CLIENT_ID");
    return client ? xasprintf("%s@%s (client %s)", user, host, client)
                  : xasprintf("%s@%s", user, host);
}

static void on_event(const struct wizard_event *ev, void *arg)
{
    struct rotscreen *s = arg;
    const struct wizard *w = rotate_wizard(s->r);
    if (ev->kind == WIZARD_EV_STEP && ev->index < w->nsteps)
        s->running_step = ev->index;
    wizscreen_log_event(s->log, w, ev);
    s->a->dirty = true;
}

static struct rotscreen *screen_create(struct app *a)
{
    struct rotscreen *s = xcalloc(1, sizeof *s);
    s->a = a;
    char *owner = owner_of(a);
    struct rotate_params p = {
        .loop = session_loop(a->session),
        .az = session_azure(a->session),
        .state_dir = a->state_dir,
        .owner = owner,
        .read_only = a->read_only,
        .poll_ms = a->demo ? DEMO_POLL_MS : 0,
    };
    s->r = rotate_create(&p);
    free(owner);
    rotate_on_event(s->r, on_event, s);
    s->in = input_create(512);
    s->plan = textview_create();
    s->log = textview_create();
    textview_bottom(s->log); /* the log follows its end until scrolled up */
    return s;
}

/* The escrow passphrase's buffers: asked again for every apply. */
static void forget_escrow(struct rotscreen *s)
{
    OPENSSL_cleanse(s->escrow, sizeof s->escrow);
    OPENSSL_cleanse(s->escrow2, sizeof s->escrow2);
}

void rotscreen_forget_secrets(struct rotscreen *s)
{
    rotate_set_secrets(s->r, NULL, NULL);
    OPENSSL_cleanse(s->keypass, sizeof s->keypass);
    OPENSSL_cleanse(s->escrow, sizeof s->escrow);
    OPENSSL_cleanse(s->escrow2, sizeof s->escrow2);
    s->keypass_set = false;
}

void rotscreen_destroy(struct rotscreen *s)
{
    if (s == NULL)
        return;
    rotscreen_forget_secrets(s);
    rotate_destroy(s->r); /* cancels a run under way: its journal stays unfinished */
    input_destroy(s->in);
    dialog_destroy(s->dlg);
    textview_destroy(s->plan);
    textview_destroy(s->log);
    free(s->file);
    free(s->planerr);
    free(s->reason);
    free(s->exported);
    free(s);
}

bool rotscreen_running(const struct app *a)
{
    return a->rot && a->rot->stage == RS_RUNNING;
}

const char *rotscreen_badge(const struct app *a, char *buf, size_t size)
{
    const struct rotscreen *s = a->rot;
    if (s == NULL || a->overlay == OVERLAY_WIZARD)
        return NULL;
    if (s->stage == RS_RUNNING)
        snprintf(buf, size, " [ROTATING %s]", s->group);
    else
        snprintf(buf, size, " [ROTATION %s: %s]", s->group,
                 s->stage == RS_END ? rotate_outcome_name(rotate_outcome(s->r)) : "planned");
    return buf;
}

static void show(struct app *a)
{
    a->overlay = OVERLAY_WIZARD;
    a->repaint_all = a->dirty = true;
}

bool rotscreen_show(struct app *a)
{
    struct rotscreen *s = a->rot;
    if (s == NULL)
        return false;
    show(a);
    /* A run that ended behind the console asks about rollback now, once. */
    if (s->stage == RS_END && s->prompt == RP_NONE && !s->offered &&
        rotate_rollback_offered(s->r) && !a->read_only) {
        s->offered = true;
        rotscreen_prompt(s, RP_ROLLBACK_ASK);
    }
    return true;
}

void rotscreen_leave(struct rotscreen *s)
{
    struct app *a = s->a;
    a->overlay = OVERLAY_NONE;
    a->repaint_all = a->dirty = true;
    if (s->stage == RS_RUNNING) {
        app_message(a, THEME_INFO, "the rotation of %s keeps running: :rotate shows it", s->group);
        return;
    }
    a->rot = NULL;
    rotscreen_destroy(s);
}

/* ---- the end of a plan or a run ---- */

static void plan_ready(struct rotscreen *s)
{
    s->stage = RS_PLAN;
    textview_clear(s->plan);
    if (!rotate_plan_ready(s->r)) {
        xstr_set(&s->planerr, rotate_detail(s->r));
        return;
    }
    char *text = rotate_plan_text(s->r);
    textview_add(s->plan, THEME_NORMAL, "%s", text);
    free(text);
    textview_top(s->plan);
}

static void run_ended(struct rotscreen *s)
{
    struct app *a = s->a;
    s->stage = RS_END;
    s->offered = false;
    rotscreen_forget_secrets(s); /* the run that needed them is over */
    enum rotate_outcome o = rotate_outcome(s->r);
    char *note = xasprintf("rotation of %s: %s", s->group, rotate_outcome_name(o));
    activity_add_note(a->activity, app_now(a), note);
    free(note);
    if (a->overlay != OVERLAY_WIZARD)
        app_message(a, o == ROTATE_DONE ? THEME_OK : THEME_CRIT,
                    "the rotation of %s ended: %s (:rotate shows it)", s->group,
                    rotate_outcome_name(o));
    if (rotate_rollback_offered(s->r) && !a->read_only && a->overlay == OVERLAY_WIZARD) {
        s->offered = true;
        rotscreen_prompt(s, RP_ROLLBACK_ASK);
    }
    engine_refresh_health(a->engine); /* the console shows the new protectors soon */
}

static void on_done(struct rotate *r, void *arg)
{
    struct rotscreen *s = arg;
    (void)r;
    if (s->stage == RS_PLANNING)
        plan_ready(s);
    else if (s->stage == RS_RUNNING && rotate_outcome(s->r) != ROTATE_RUNNING)
        run_ended(s);
    s->a->dirty = true;
}

/* ---- plan ---- */

/* Whether needle is in buf[0..len) (binary: a PFX has NUL bytes). */
static bool contains(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return true;
    return false;
}

/*
 * Whether the key file needs a passphrase: encrypted PEM, or PFX (binary).
 * The bytes read are key material: cleansed before they are freed.
 */
static bool key_file_encrypted(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false; /* the plan says what is wrong with the file */
    size_t cap = 64 * 1024, len = 0;
    char *buf = xmalloc(cap + 1);
    ssize_t got;
    while (len < cap && (got = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)got;
    close(fd);
    buf[len] = '\0';
    bool pem = contains(buf, len, "-----BEGIN");
    bool encrypted = pem ? contains(buf, len, "ENCRYPTED") : len > 0;
    OPENSSL_cleanse(buf, cap + 1);
    free(buf);
    return encrypted;
}

/* The key file's RSA size, so the plan asks for what the file holds; 0 when unreadable. */
static int key_file_bits(const struct rotscreen *s)
{
    struct keymat *k = NULL;
    if (keymat_load_file(s->file, s->keypass_set ? s->keypass : NULL, &k, NULL) < 0)
        return 0; /* the plan loads it again and says why it cannot */
    int bits = keymat_bits(k);
    keymat_destroy(k);
    return bits;
}

bool rotscreen_needs_keypass(const struct rotscreen *s)
{
    return s->origin == ROT_ORIGIN_FILE && s->file && !s->keypass_set &&
           key_file_encrypted(s->file);
}

void rotscreen_plan_again(struct rotscreen *s)
{
    struct app *a = s->a;
    bool demo = a->demo != NULL;
    int64_t watch = demo ? (int64_t)((double)ROTPLAN_DEFAULT_WATCH / a->time_scale) : 0;
    struct rot_choice c = {
        .group = s->group,
        .origin = s->origin,
        .hsm = -1,
        .bits = s->origin == ROT_ORIGIN_FILE && s->file ? key_file_bits(s) : 0,
        .key_file = s->origin == ROT_ORIGIN_FILE ? s->file : NULL,
        .escrow = s->origin == ROT_ORIGIN_OFFLINE ? s->file : NULL,
        .watch_s = demo && watch < DEMO_WATCH_MIN_S ? DEMO_WATCH_MIN_S : watch,
    };
    char *cause = NULL;
    free(s->planerr);
    s->planerr = NULL;
    textview_clear(s->plan);
    rotate_set_secrets(s->r, s->keypass_set ? s->keypass : NULL, NULL);
    if (rotate_plan(s->r, engine_model(a->engine), a->health, &c, on_done, s, &cause) < 0) {
        s->stage = RS_PLAN;
        s->planerr = cause ? cause : xstrdup("no plan could be made");
        rotscreen_forget_secrets(s); /* a wrong key file passphrase is asked again by p */
        return;
    }
    s->stage = RS_PLANNING;
    a->dirty = true;
}

void rotscreen_open(struct app *a, const char *group, enum rot_origin origin, const char *file)
{
    if (a->opt.wall) {
        app_message(a, THEME_HINT, "wall screen: view only (start without --wall for the rest)");
        return;
    }
    if (a->state_dir == NULL) {
        app_message(a, THEME_CRIT, "no state folder: a rotation needs one for its journal");
        return;
    }
    if (rotscreen_running(a)) {
        app_message(a, THEME_WARN, "the rotation of %s is running: one at a time", a->rot->group);
        show(a);
        return;
    }
    rotscreen_destroy(a->rot);
    struct rotscreen *s = a->rot = screen_create(a);
    snprintf(s->group, sizeof s->group, "%s", group);
    s->origin = origin;
    s->file = file ? xstrdup(file) : NULL;
    s->stage = RS_PLAN;
    show(a);
    if (rotscreen_needs_keypass(s)) {
        s->next = RN_PLAN;
        rotscreen_prompt(s, RP_KEYPASS);
        return;
    }
    rotscreen_plan_again(s);
}

/* ---- apply, resume, rollback ---- */

static void start_running(struct rotscreen *s, const char *what)
{
    s->stage = RS_RUNNING;
    s->offered = false;
    free(s->exported);
    s->exported = NULL;
    char *note = xasprintf("operator: %s %s", what, s->group);
    activity_add_note(s->a->activity, app_now(s->a), note);
    free(note);
    s->a->dirty = true;
}

bool rotscreen_apply(struct rotscreen *s)
{
    struct app *a = s->a;
    char *cause = NULL;
    rotate_set_secrets(s->r, s->keypass_set ? s->keypass : NULL, s->escrow[0] ? s->escrow : NULL);
    textview_clear(s->log);
    textview_bottom(s->log);
    if (rotate_apply(s->r, engine_model(a->engine), a->health, s->group, s->reason, on_done, s,
                     &cause) < 0) {
        app_message(a, THEME_CRIT, "not applied: %s", cause ? cause : "refused");
        free(cause);
        forget_escrow(s); /* the key file's passphrase stays for the plan on screen */
        rotate_set_secrets(s->r, s->keypass_set ? s->keypass : NULL, NULL);
        return false;
    }
    /* Kept (borrowed by core) until the run ends: the steps read them, not apply itself. */
    start_running(s, "rotation of");
    return true;
}

void rotscreen_do_resume(struct rotscreen *s)
{
    char *cause = NULL;
    rotate_set_secrets(s->r, s->keypass_set ? s->keypass : NULL, s->escrow[0] ? s->escrow : NULL);
    if (rotate_resume(s->r, on_done, s, &cause) < 0) {
        app_message(s->a, THEME_CRIT, "not resumed: %s", cause ? cause : "refused");
        free(cause);
        rotscreen_forget_secrets(s);
        s->stage = RS_END;
        return;
    }
    start_running(s, "resume of the rotation of");
}

void rotscreen_rollback(struct rotscreen *s)
{
    char *cause = NULL;
    textview_add(s->log, THEME_WARN, "rollback requested");
    if (rotate_rollback(s->r, s->reason, on_done, s, &cause) < 0) {
        app_message(s->a, THEME_CRIT, "no rollback: %s", cause ? cause : "refused");
        free(cause);
        return;
    }
    start_running(s, "rollback of the rotation of");
}

void rotscreen_export(struct rotscreen *s)
{
    wizscreen_export(s->a, rotate_journal(s->r), &s->exported);
}

/* ---- resume: the offer, :resume, loading a journal ---- */

/* The group and the start time of an unfinished rotation's journal; false when unreadable. */
static bool describe(const char *path, char *group, size_t gsize, char *started, size_t ssize)
{
    cJSON *records = NULL;
    if (journal_load(path, &records, NULL, NULL) < 0)
        return false;
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    const cJSON *plan = cJSON_GetObjectItemCaseSensitive(first, "plan");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(plan, "group");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(first, "time");
    bool ok = cJSON_IsString(g);
    snprintf(group, gsize, "%s", ok ? g->valuestring : "?");
    snprintf(started, ssize, "%s", cJSON_IsString(t) ? t->valuestring : "at an unknown time");
    cJSON_Delete(records);
    return ok;
}

static void free_paths(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* The resume dialog for one journal (the app's dialog: Later is the default). */
static void ask_resume(struct app *a, const char *path, size_t more)
{
    char group[128], started[64];
    if (!describe(path, group, sizeof group, started, sizeof started)) {
        app_message(a, THEME_WARN, "%s cannot be read as a rotation's journal", path);
        return;
    }
    static const struct dialog_button buttons[] = {{"Later"}, {"Resume"}};
    char *body = xasprintf(
        "An unfinished rotation of %s (started %s) was found.\n\nResume reads every step back "
        "and continues from the first whose effect is not in place; nothing is done twice. "
        "Later leaves it as it is (:resume lists it).%s\n\nJournal: %s",
        group, started, more ? " Other unfinished rotations: :resume lists them." : "", path);
    dialog_destroy(a->dialog);
    a->dialog = dialog_create("Resume the rotation?", body, buttons, 2, 0);
    a->dialog_kind = DIALOG_RESUME;
    xstr_set(&a->dialog_subject, path);
    a->overlay = OVERLAY_DIALOG;
    a->dirty = true;
    free(body);
}

void rotscreen_offer_resume(struct app *a)
{
    char **paths = NULL, *cause = NULL;
    size_t n = 0;
    if (a->read_only || a->opt.wall || a->state_dir == NULL)
        return;
    if (rotate_unfinished(a->state_dir, &paths, &n, &cause) < 0)
        app_message(a, THEME_WARN, "unfinished rotations: %s", cause);
    else if (n > 0 && a->overlay == OVERLAY_NONE)
        ask_resume(a, paths[0], n - 1);
    free(cause);
    free_paths(paths, n);
}

/* "1 fog-a (started ...)  2 fog-b (...)" for the message line. */
static void list_unfinished(struct app *a, char **paths, size_t n)
{
    char line[256] = "", group[128], started[64];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(line);
        if (!describe(paths[i], group, sizeof group, started, sizeof started))
            snprintf(group, sizeof group, "(unreadable)");
        snprintf(line + len, sizeof line - len, "%s%zu %s (started %s)", i ? "  " : "", i + 1,
                 group, started);
    }
    app_message(a, THEME_HINT, "unfinished: %s; :resume N resumes one", line);
}

void rotscreen_command_resume(struct app *a, const char *arg)
{
    char **paths = NULL, *cause = NULL, group[128], started[64];
    size_t n = 0, pick = SIZE_MAX;
    if (a->read_only) {
        app_message(a, THEME_WARN, "read-only: resume is not offered (start without --read-only)");
        return;
    }
    if (a->state_dir == NULL || rotate_unfinished(a->state_dir, &paths, &n, &cause) < 0) {
        app_message(a, THEME_WARN, "unfinished rotations: %s", cause ? cause : "no state folder");
        free(cause);
        return;
    }
    char *end = NULL;
    long k = arg ? strtol(arg, &end, 10) : 0;
    if (arg && end && *end == '\0' && k >= 1 && (size_t)k <= n)
        pick = (size_t)k - 1;
    for (size_t i = 0; arg && pick == SIZE_MAX && i < n; i++)
        if (describe(paths[i], group, sizeof group, started, sizeof started) &&
            strcasecmp(group, arg) == 0)
            pick = i; /* newest first: the first match is the newest of that group */
    if (n == 0)
        app_message(a, THEME_INFO, "no unfinished rotation");
    else if (pick != SIZE_MAX)
        ask_resume(a, paths[pick], 0);
    else if (arg)
        app_message(a, THEME_WARN, "no unfinished rotation %s", arg);
    else if (n == 1)
        ask_resume(a, paths[0], 0);
    else
        list_unfinished(a, paths, n);
    free_paths(paths, n);
}

/* A new screen on an unfinished rotation's journal, loaded, not resumed; NULL with a message. */
static struct rotscreen *load_journal(struct app *a, const char *journal)
{
    rotscreen_destroy(a->rot);
    struct rotscreen *s = a->rot = screen_create(a);
    s->resumed = true;
    char *cause = NULL;
    if (rotate_load(s->r, journal, &cause) < 0) {
        a->rot = NULL;
        rotscreen_destroy(s);
        a->overlay = a->overlay == OVERLAY_WIZARD ? OVERLAY_NONE : a->overlay;
        app_message(a, THEME_CRIT, "cannot resume: %s", cause ? cause : journal);
        free(cause);
        return NULL;
    }
    /* Loading replaces the plan's wizard; core keeps the callback, asking again costs nothing. */
    rotate_on_event(s->r, on_event, s);
    const struct rot_plan *p = rotate_get_plan(s->r);
    snprintf(s->group, sizeof s->group, "%s", p->group);
    s->origin = p->origin;
    s->stage = RS_END; /* until resumed: the screen shows the loaded steps */
    textview_add(s->log, THEME_INFO, "loaded %s: the steps as its journal has them", journal);
    char *text = rotplan_text(p);
    textview_add(s->plan, THEME_NORMAL, "%s", text);
    free(text);
    show(a);
    return s;
}

void rotscreen_stop(struct rotscreen *s)
{
    struct app *a = s->a;
    char *journal = rotate_journal(s->r) ? xstrdup(rotate_journal(s->r)) : NULL;
    char *note = xasprintf("operator: stopped the rotation of %s (resumable)", s->group);
    activity_add_note(a->activity, app_now(a), note);
    free(note);
    a->rot = NULL;
    rotscreen_destroy(s); /* cancels the step under way; the journal has no end */
    if (journal && load_journal(a, journal))
        app_message(a, THEME_WARN, "stopped where it was: u resumes it");
    else
        a->overlay = OVERLAY_NONE;
    free(journal);
}

void rotscreen_resume(struct app *a, const char *journal)
{
    if (rotscreen_running(a)) {
        app_message(a, THEME_WARN, "the rotation of %s is running: one at a time", a->rot->group);
        return;
    }
    struct rotscreen *s = load_journal(a, journal);
    if (s == NULL)
        return;
    const struct rot_plan *p = rotate_get_plan(s->r);
    s->next = RN_RESUME;
    if (p->origin == ROT_ORIGIN_FILE && key_file_encrypted(p->key_file))
        rotscreen_prompt(s, RP_KEYPASS);
    else if (p->origin == ROT_ORIGIN_OFFLINE && p->escrow[0])
        rotscreen_prompt(s, RP_ESCROW);
    else
        rotscreen_do_resume(s);
}

/* ---- :rotate ---- */

void rotscreen_command(struct app *a, char **words, size_t n)
{
    if (n == 0) {
        if (!rotscreen_show(a))
            app_message(a, THEME_HINT,
                        "rotate GROUP [vault|offline|file] [FILE] (K on the topology view)");
        return;
    }
    const struct model *m = engine_model(a->engine);
    const struct model_fog *fg = NULL;
    for (size_t i = 0; i < m->nfogs && fg == NULL; i++)
        if (strcasecmp(m->fogs[i]->name, words[0]) == 0)
            fg = m->fogs[i];
    enum rot_origin origin = ROT_ORIGIN_VAULT;
    if (fg == NULL)
        app_message(a, THEME_WARN, "no failover group named %s", words[0]);
    else if (n > 1 && rotplan_origin_parse(words[1], &origin) < 0)
        app_message(a, THEME_WARN, "the origin is vault, offline or file, not %s", words[1]);
    else if (origin == ROT_ORIGIN_FILE && n < 3)
        app_message(a, THEME_WARN, "rotate %s file KEYFILE: the PEM or PFX to import", fg->name);
    else
        rotscreen_open(a, fg->name, origin, n > 2 ? words[2] : NULL);
}
