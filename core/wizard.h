/*
 * wizard — what the rotation and backup/restore wizards share: the list of
 * steps a plan shows (each with the REST calls it makes), the run's journal on
 * disk (core/journal: one fsync'd JSON line per event) and the progress events
 * front ends draw. A wizard is data: the console and the CLI drive the same
 * one, and neither owns its state.
 *
 * Journal records (every one also gets "seq" and "time" from core/journal):
 *   {"type":"plan", "kind":"rotate", "run":ID, "plan":{...}, "steps":[...]}
 *   {"type":"input", "name":"reason", "value":"..."}   secrets are never recorded
 *   {"type":"step", "step":"create-secondary", "phase":"begin"|"done"|"failed"|"skipped",
 *    "detail":"...", "data":{...}}                       data: what a resume needs
 *   {"type":"check", "step":..., "name":..., "ok":true, "detail":...}
 *   {"type":"call", "step":..., "method":"PUT", "url":..., "status":200, "code":...,
 *    "request_id":..., "correlation_id":..., "elapsed_ms":...}
 *   {"type":"note", "text":...}
 *   {"type":"end", "outcome":"done"|"failed"|"refused"|"rolled-back"|"abandoned",
 *    "detail":...}
 * A run whose journal has no "end" record is unfinished: front ends offer to
 * resume it. core/transcript renders a journal as Markdown for a change ticket.
 *
 * Failure to write the journal is a failure of the run: wizard_record returns
 * -1 and sets journal_failed, and the wizards stop before their next change,
 * because a change that is not journaled cannot be resumed safely.
 *
 * Ownership: struct wizard is caller storage (init/cleanup); every string in
 * it is heap. Events are delivered synchronously; their pointers live until
 * the callback returns.
 */
#ifndef TDECTL_WIZARD_H
#define TDECTL_WIZARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct journal;
struct az_status;

enum wizard_step_state {
    WIZARD_PENDING,
    WIZARD_RUNNING,
    WIZARD_DONE,
    WIZARD_FAILED,
    WIZARD_SKIPPED /* its effect was already in place (a resumed run) */
};

/* One REST call a step makes, for the plan. */
struct wizard_call {
    char *method;      /* "PUT" */
    char *resource;    /* what it acts on: an ARM id or a Key Vault URL without host noise */
    char *api_version; /* "2023-05-01-preview", "7.4" */
};

struct wizard_step {
    char *id;    /* stable, journaled: "protect-secondary" */
    char *title; /* "Set the protector of sqlmi-prod-cus (the secondary) to ..." */
    char *why;   /* one line: why here, in this order ("" when nothing to say) */
    struct wizard_call *calls;
    size_t ncalls;
    enum wizard_step_state state;
    char *detail; /* the last result or failure, for screens; NULL before */
};

enum wizard_event_kind {
    WIZARD_EV_STEP,  /* a step changed state: index, text = detail */
    WIZARD_EV_CHECK, /* a check ran: ok, text */
    WIZARD_EV_CALL,  /* a REST call ended: ok, text = "PUT ... -> 200 (request id)" */
    WIZARD_EV_NOTE,  /* anything else worth a line */
    WIZARD_EV_END    /* the run ended: text = outcome detail */
};

struct wizard_event {
    enum wizard_event_kind kind;
    size_t index; /* the step, or the wizard's current one */
    bool ok;
    const char *text;
};

typedef void (*wizard_event_fn)(const struct wizard_event *ev, void *arg);

#define WIZARD_RUN_LEN 65

struct wizard {
    char kind[16];            /* "rotate", "backup", "restore" */
    char run[WIZARD_RUN_LEN]; /* the journal's file name without .jsonl; "" before a journal */
    struct wizard_step *steps;
    size_t nsteps;
    size_t current; /* the step events refer to by default */
    struct journal *journal;
    char *journal_path;
    bool journal_failed;
    int64_t (*wall)(void *arg); /* seconds, for journal times; NULL: time(NULL) */
    void *wall_arg;
    wizard_event_fn on_event;
    void *event_arg;
};

void wizard_init(struct wizard *w, const char *kind);
void wizard_cleanup(struct wizard *w); /* closes the journal */

/* Builds the step list: returns the new step's index. */
size_t wizard_add_step(struct wizard *w, const char *id, const char *title, const char *why);
void wizard_add_call(struct wizard *w, size_t step, const char *method, const char *resource,
                     const char *api_version);
/* The index of step id, or (size_t)-1. */
size_t wizard_find(const struct wizard *w, const char *id);

/* The plan as numbered lines: each step, its reason, and its calls (heap). */
char *wizard_plan_text(const struct wizard *w);
/* The steps as JSON (for the plan record) and back (resume). */
cJSON *wizard_steps_json(const struct wizard *w);
int wizard_steps_from_json(struct wizard *w, const cJSON *steps, char **cause);

/* Starts a new journal in dir for this run: w->run, w->journal_path. */
int wizard_journal_start(struct wizard *w, const char *dir, char **cause);
/* Continues an existing journal (after it was loaded and checked). */
int wizard_journal_continue(struct wizard *w, const char *path, char **cause);

/* Appends {"type": type, ...fields} (fields is consumed; may be NULL). */
int wizard_record(struct wizard *w, const char *type, cJSON *fields);

void wizard_step_begin(struct wizard *w, size_t i);
/* data (consumed, may be NULL) is journaled with the step's end: what a resume needs. */
void wizard_step_done(struct wizard *w, size_t i, cJSON *data, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void wizard_step_skipped(struct wizard *w, size_t i, cJSON *data, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void wizard_step_failed(struct wizard *w, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void wizard_check(struct wizard *w, bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A REST call of the current step ended: journaled with its request ids. */
void wizard_call(struct wizard *w, const char *method, const char *url, const struct az_status *st);
void wizard_note(struct wizard *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wizard_end(struct wizard *w, const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * From a loaded journal (core/journal_load): the last "data" journaled with
 * step id's done or skipped record, or NULL (borrowed from records).
 */
const cJSON *wizard_step_data(const cJSON *records, const char *id);
/* Whether the journal ends with an "end" record that no step record follows (a run resumed or
 * rolled back after an end ends again); *outcome gets that record's outcome. */
bool wizard_ended(const cJSON *records, const char **outcome);

const char *wizard_state_name(enum wizard_step_state s); /* "pending", "done", ... */

#endif
