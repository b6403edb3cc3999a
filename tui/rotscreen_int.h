/*
 * rotscreen internals shared by rotscreen.c (core calls, events, commands),
 * rotscreen_keys.c (keys and prompts) and rotscreen_draw.c. Not for other
 * modules.
 */
#ifndef TDECTL_ROTSCREEN_INT_H
#define TDECTL_ROTSCREEN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "rotate.h"
#include "rotscreen.h"

/* Passphrases: fixed buffers (never reallocated, so never copied), cleansed after use. */
#define ROTSCREEN_PASS_MAX 256

enum rotscreen_stage {
    RS_PLANNING, /* rotate_plan was called; the group is being read */
    RS_PLAN,     /* the plan (or why there is none) */
    RS_RUNNING,  /* apply, resume or rollback under way */
    RS_END       /* the outcome */
};

enum rotscreen_prompt {
    RP_NONE,
    RP_KEYPASS,        /* the key file's passphrase (file origin) */
    RP_REASON,         /* apply: why */
    RP_CONFIRM,        /* apply: the group's name typed */
    RP_ESCROW,         /* the escrow passphrase */
    RP_ESCROW_AGAIN,   /* ... once more (a new escrow copy) */
    RP_ROLLBACK_ASK,   /* Roll back? Later / Roll back */
    RP_STOP_ASK,       /* Stop the run? Keep running / Stop */
    RP_ROLLBACK_REASON /* rollback: why */
};

/* What a passphrase prompt leads to. */
enum rotscreen_next { RN_PLAN, RN_APPLY, RN_RESUME };

struct rotscreen {
    struct app *a;
    struct rotate *r;
    enum rotscreen_stage stage;
    enum rotscreen_prompt prompt;
    enum rotscreen_next next;
    char group[128];
    enum rot_origin origin;
    char *file;     /* key file (file origin) or escrow path (offline); NULL */
    char *planerr;  /* why there is no plan */
    char *reason;   /* typed for apply or rollback */
    char *exported; /* the transcript's Markdown path, once exported */
    bool resumed;   /* the run came from a journal */
    bool offered;   /* the rollback dialog was shown for this end */
    bool keypass_set;
    char keypass[ROTSCREEN_PASS_MAX];
    char escrow[ROTSCREEN_PASS_MAX];
    char escrow2[ROTSCREEN_PASS_MAX];
    struct input *in;      /* reason and group name */
    struct dialog *dlg;    /* the prompt's box */
    char note[200];        /* the prompt's complaint ("not fog-x: ...") */
    struct textview *plan; /* the plan's text */
    struct textview *log;  /* events */
    size_t running_step;   /* the step events last named */
};

/* rotscreen.c */
void rotscreen_plan_again(struct rotscreen *s);
/* The file origin's key file is encrypted and its passphrase is not held. */
bool rotscreen_needs_keypass(const struct rotscreen *s);
/* Starts apply with what the prompts gathered; false (with a message) when refused. */
bool rotscreen_apply(struct rotscreen *s);
void rotscreen_do_resume(struct rotscreen *s);
void rotscreen_rollback(struct rotscreen *s);
void rotscreen_export(struct rotscreen *s);
/* Stops the run where it is (its journal stays unfinished) and shows it loaded. */
void rotscreen_stop(struct rotscreen *s);
/* Cleanses the passphrases and takes them back from core. */
void rotscreen_forget_secrets(struct rotscreen *s);
/* Closes the screen: hides it while a run is under way, else frees it. */
void rotscreen_leave(struct rotscreen *s);

/* rotscreen_keys.c: opens a prompt (its dialog and its field). */
void rotscreen_prompt(struct rotscreen *s, enum rotscreen_prompt p);
/* The prompts that are a question with buttons rather than a field. */
bool rotscreen_prompt_asks(enum rotscreen_prompt p);

#endif
