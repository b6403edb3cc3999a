/* rotate — loading a journal, resume, rollback (see rotate.h; control in rotate.c). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "armclient.h"
#include "journal.h"
#include "rotate.h"
#include "rotate_int.h"
#include "xmem.h"

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* What earlier attempts learnt: the material's fingerprint, the backup file. */
static void adopt_journal(struct rotate *r)
{
    const char *ids[] = {"generate", "load", "create", "import-secondary", "verify-material"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *fp = str_of(wizard_step_data(r->records, ids[i]), "fingerprint");
        if (fp && strlen(fp) == 64)
            snprintf(r->fp, sizeof r->fp, "%s", fp);
    }
    const char *bk = str_of(wizard_step_data(r->records, "backup"), "file");
    if (bk)
        snprintf(r->backup_path, sizeof r->backup_path, "%s", bk);
    for (size_t i = 0; i < r->plan.w.nsteps; i++)
        if (wizard_step_data(r->records, r->plan.w.steps[i].id))
            r->plan.w.steps[i].state = WIZARD_DONE;
    const cJSON *rec, *last = NULL; /* the last step record: a "begin" was cut short */
    cJSON_ArrayForEach(rec, r->records)
    {
        const char *type = str_of(rec, "type");
        if (type && strcmp(type, "step") == 0)
            last = rec;
    }
    const char *phase = str_of(last, "phase"), *step = str_of(last, "step");
    r->interrupted[0] = '\0';
    if (phase && step && strcmp(phase, "begin") == 0 && strlen(step) < sizeof r->interrupted)
        snprintf(r->interrupted, sizeof r->interrupted, "%s", step);
}

int rotate_load(struct rotate *r, const char *journal_path, char **cause)
{
    if (r->started || r->have_plan) {
        xcause(cause, "a rotation is already loaded here");
        return -1;
    }
    cJSON *records = NULL;
    char *note = NULL;
    if (journal_load(journal_path, &records, &note, cause) < 0)
        return -1;
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    const char *type = str_of(first, "type"), *kind = str_of(first, "kind"), *outcome = NULL;
    int rc = -1;
    if (type == NULL || strcmp(type, "plan") != 0 || kind == NULL || strcmp(kind, "rotate") != 0)
        xcause(cause, "%s is not the journal of a rotation", journal_path);
    else {
        wizard_event_fn ev = r->plan.w.on_event;
        void *ev_arg = r->plan.w.event_arg;
        rotplan_cleanup(&r->plan);
        rc = rotplan_from_json(&r->plan, cJSON_GetObjectItemCaseSensitive(first, "plan"), cause);
        r->plan.w.on_event = ev; /* rotate_on_event may come before the load */
        r->plan.w.event_arg = ev_arg;
    }
    if (rc == 0)
        rc = wizard_journal_continue(&r->plan.w, journal_path, cause);
    if (rc < 0) {
        cJSON_Delete(records);
        free(note);
        return -1;
    }
    r->plan.w.wall = rotate_wall_cb;
    r->plan.w.wall_arg = r;
    r->records = records;
    r->have_plan = r->plan_ready = r->started = true;
    free(r->ended);
    r->ended = wizard_ended(records, &outcome) && outcome ? xstrdup(outcome) : NULL;
    adopt_journal(r);
    if (note)
        wizard_note(&r->plan.w, "%s", note);
    free(note);
    return 0;
}

static void start_walk(struct rotate *r, rotate_fn fn, void *arg)
{
    for (size_t i = 0; i < r->plan.w.nsteps; i++)
        r->plan.w.steps[i].state = WIZARD_PENDING;
    r->fn = fn;
    r->arg = arg;
    r->outcome = ROTATE_RUNNING;
    r->rollback_offered = false;
    r->step = 0;
    r->attempts = 0;
    r->st_fresh = false;
    rotate_run(r);
}

static void rollback_steps(struct rotate *r);
static bool was_rolling_back(const struct rotate *r);

int rotate_resume(struct rotate *r, rotate_fn fn, void *arg, char **cause)
{
    if (!r->have_plan || r->records == NULL) {
        xcause(cause, "load an unfinished rotation's journal first");
        return -1;
    }
    if (rotate_may_change(r, "resume", cause) < 0)
        return -1;
    if (r->ended && strcmp(r->ended, "failed") != 0) {
        xcause(cause, "the rotation in %s ended already (%s): nothing to resume",
               r->plan.w.journal_path, r->ended);
        return -1;
    }
    r->resuming = true;
    if (was_rolling_back(r)) { /* a rollback that stopped goes on as a rollback */
        rollback_steps(r);
        rotate_record_input(r, "mode", "rollback");
    }
    wizard_note(&r->plan.w, "%s resumed by %s: every step is read back before it runs",
                r->rolling_back ? "rollback" : "rotation", r->owner);
    rotate_audit(r, "resume", NULL);
    start_walk(r, fn, arg);
    return 0;
}

/* Replaces the rotation's steps with the rollback's (the journal keeps both). */
static void rollback_steps(struct rotate *r)
{
    wizard_event_fn ev = r->plan.w.on_event;
    void *ev_arg = r->plan.w.event_arg;
    struct wizard keep = r->plan.w;
    memset(&r->plan.w, 0, sizeof r->plan.w);
    snprintf(r->plan.w.kind, sizeof r->plan.w.kind, "%s", keep.kind);
    memcpy(r->plan.w.run, keep.run, sizeof keep.run);
    r->plan.w.journal = keep.journal;
    r->plan.w.journal_path = keep.journal_path;
    r->plan.w.wall = keep.wall;
    r->plan.w.wall_arg = keep.wall_arg;
    r->plan.w.on_event = ev;
    r->plan.w.event_arg = ev_arg;
    keep.journal = NULL;
    keep.journal_path = NULL;
    wizard_cleanup(&keep);
    const struct rot_side *sides[2] = {&r->plan.sec, &r->plan.pri};
    const char *ids[2] = {"rollback-secondary", "rollback-primary"};
    const char *roles[2] = {"secondary", "primary"};
    wizard_add_step(&r->plan.w, "lock", "Hold the operator lock", "the lock stays with this run");
    for (int k = 0; k < 2; k++) {
        char *t = xasprintf("Set the protector of %s (the %s) back to %s", sides[k]->instance,
                            roles[k], sides[k]->prev_key);
        size_t i =
            wizard_add_step(&r->plan.w, ids[k], t, k == 0 ? "secondary first" : "then the primary");
        char *res = xasprintf("%s/encryptionProtector/current", sides[k]->instance_id);
        wizard_add_call(&r->plan.w, i, "PUT", res, ARM_API_SQL);
        free(res);
        free(t);
    }
    r->rolling_back = true;
}

/* Whether the loaded journal's last mode input says a rollback was under way. */
static bool was_rolling_back(const struct rotate *r)
{
    const char *mode = NULL;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, r->records)
    {
        const char *type = str_of(rec, "type"), *name = str_of(rec, "name");
        if (type && name && strcmp(type, "input") == 0 && strcmp(name, "mode") == 0)
            mode = str_of(rec, "value");
    }
    return mode && strcmp(mode, "rollback") == 0;
}

int rotate_rollback(struct rotate *r, const char *reason, rotate_fn fn, void *arg, char **cause)
{
    if (!r->have_plan || !r->started) {
        xcause(cause, "nothing to roll back: no rotation was applied or loaded");
        return -1;
    }
    if (rotate_may_change(r, reason, cause) < 0)
        return -1;
    if (r->plan.sec.prev_key[0] == '\0' || r->plan.pri.prev_key[0] == '\0') {
        xcause(cause, "the plan has no previous Key Vault protector to return to");
        return -1;
    }
    rollback_steps(r);
    rotate_record_input(r, "mode", "rollback");
    rotate_record_input(r, "reason", reason);
    wizard_note(&r->plan.w, "rollback requested by %s", r->owner);
    rotate_audit(r, "rollback", reason);
    start_walk(r, fn, arg);
    return 0;
}

int rotate_unfinished(const char *state_dir, char ***paths, size_t *n, char **cause)
{
    *paths = NULL;
    *n = 0;
    char *dir = xasprintf("%s/wizards", state_dir);
    char **all = NULL;
    size_t nall = 0;
    int rc = 0;
    if (access(dir, F_OK) == 0)
        rc = journal_list(dir, "rotate", &all, &nall, cause);
    free(dir);
    for (size_t i = 0; i < nall; i++) {
        cJSON *rec = NULL;
        const char *outcome = NULL;
        bool open = journal_load(all[i], &rec, NULL, NULL) == 0 &&
                    (!wizard_ended(rec, &outcome) || (outcome && strcmp(outcome, "failed") == 0));
        cJSON_Delete(rec);
        if (open) {
            *paths = xrealloc(*paths, *n + 1, sizeof **paths);
            (*paths)[(*n)++] = all[i];
        } else {
            free(all[i]);
        }
    }
    free(all);
    return rc;
}
