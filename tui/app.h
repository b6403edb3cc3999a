/*
 * app — the console: one terminal, one core session, six views, and the
 * overlays in front of them (help, the `:` and `/` lines, dialogs, the
 * practice menu).
 *
 * The loop (DESIGN.md, STYLE.md rule 5): core's loop waits on libcurl's
 * sockets, stdin and a signal self-pipe (SIGWINCH, SIGTERM, SIGHUP, SIGINT,
 * SIGCONT); each pass drains the keys ncurses buffered, then, when the model,
 * the findings, the activity log or the screen changed, rebuilds what moved
 * and paints once (wnoutrefresh ... one doupdate). Network never blocks
 * input; a one-second tick keeps ages and countdowns honest and costs one
 * small repaint.
 *
 * Keys never quit by accident: the terminal is in raw mode, so C-c is a key
 * (it cancels the prompt or dialog in front); q asks first while a refresh is
 * running or a practice drill is active; SIGTERM and SIGHUP end cleanly
 * (snapshot saved, demo azsim stopped, terminal restored).
 *
 * struct app is the console's shared state, visible to the views (tui/
 * only); it owns everything it points to. app_create sets up the session
 * (or fails with *cause before touching the terminal); app_run owns the
 * terminal until quit.
 */
#ifndef TDECTL_APP_H
#define TDECTL_APP_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keymap.h"
#include "theme.h"
#include "view.h"

struct session;
struct engine;
struct health;
struct activity;
struct demo;
struct input;
struct textview;
struct dialog;
struct latency;
struct sigpipe;
struct whatif_params;
struct rotscreen;
struct bkscreen;

struct app_options {
    const char *config_path; /* --config; NULL: the default search */
    const char *theme;       /* --theme (name or file); NULL: config, else "default" */
    const char *keymap;      /* --keymap file; NULL: config, else beside the config */
    const char *view;        /* --view NAME: the first view */
    const char *snapshot;    /* --snapshot FILE; NULL: the default */
    bool read_only;          /* --read-only */
    bool demo;               /* --demo: start azsim and watch it */
    double demo_time_scale;  /* --time-scale for the demo's azsim; 0: 30 */
    bool no_color;           /* --no-color (NO_COLOR is read too) */
    bool ascii;              /* --ascii */
    bool mouse;              /* --mouse */
    bool wall;               /* --wall: the wall view only, read-only, nothing actionable */
    bool no_snapshot;        /* --no-snapshot */
    const char *trace_path;  /* TDECTL_TRACE_FRAMES: one line per frame (bench) */
    int64_t start_us;        /* CLOCK_MONOTONIC at the start of main (for the trace) */
};

enum app_overlay {
    OVERLAY_NONE,
    OVERLAY_HELP,
    OVERLAY_COMMAND,
    OVERLAY_FILTER,
    OVERLAY_DIALOG,
    OVERLAY_PRACTICE,
    OVERLAY_WIZARD, /* the rotation screen (tui/rotscreen) in front of the views */
    OVERLAY_BACKUP  /* the key backup/restore screen (tui/bkscreen) in front of the views */
};

enum app_dialog_kind { DIALOG_QUIT, DIALOG_REVALIDATE, DIALOG_INFO, DIALOG_RESUME };

struct app {
    struct app_options opt;
    struct config config;
    struct session *session;
    struct engine *engine;
    struct health *health;
    struct activity *activity;
    struct demo *demo;
    struct theme *theme;
    struct keymap *keymap;
    struct latency *latency; /* probe latency history per vault */
    char *state_dir;
    char *estate_name;
    bool read_only;
    double time_scale; /* simulated time per real second (the demo's azsim); 1 otherwise */

    /* Views and what is in front of them. */
    void *views[VIEW_COUNT];
    enum view_id view, previous;
    enum app_overlay overlay;
    struct input *input;   /* the `:` / `/` line */
    char *filter_before;   /* the filter when the `/` line opened (Esc restores it) */
    struct textview *help; /* the help overlay, built from the keymap */
    struct dialog *dialog;
    enum app_dialog_kind dialog_kind;
    char *dialog_subject; /* what the dialog acts on (RESUME: the journal's path) */
    char *dialog_confirm; /* REVALIDATE: the name that must be typed */
    size_t practice_sel;
    char *practice_fault; /* the active drill's fault id */
    const char *practice_title;
    struct cmdline *cmdline;
    struct rotscreen *rot; /* the rotation screen, shown or hidden; NULL: none */
    struct bkscreen *bk;   /* the key backup/restore screen, shown or hidden; NULL: none */

    /* Change tracking: rebuild when these move, paint when dirty. */
    uint64_t model_gen, health_gen, activity_gen;
    bool need_rebuild, dirty, repaint_all, quit, paused;
    bool judged;              /* findings evaluated at least once (the header says so until then) */
    bool first_sweep;         /* the start-up sweep has not ended */
    bool eval_now;            /* judge at the next pass (a sweep ended, the first frame is out) */
    int64_t activity_at;      /* monotonic: the activity view's last rebuild */
    int64_t last_eval_ms;     /* monotonic: the last health evaluation */
    int64_t sweeping_since;   /* wall ms of a refresh the operator asked for; 0: none */
    int64_t last_sweep_at[3]; /* wall ms each kind of sweep last ended (enum engine_sweep) */
    struct sigpipe *signals;  /* SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGCONT as loop events */
    uint64_t tick_timer;

    /* The footer's message line ("copied ...", errors). */
    char message[256];
    enum theme_role message_role;
    int64_t message_until; /* monotonic ms */

    int tab_x[VIEW_COUNT];  /* where each tab starts on line 1 (mouse) */
    int cursor_y, cursor_x; /* where the terminal cursor goes; y < 0: hidden */
    uint64_t frames;        /* frames painted */
    FILE *trace;            /* frame trace (bench); NULL normally */
    int64_t key_at_us;      /* when the key being handled was read (trace) */
};

struct app *app_create(const struct app_options *o, char **cause);
void app_destroy(struct app *a);
/* Runs the console until quit; 0 on a clean end. */
int app_run(struct app *a);

/* For views and commands. */
void app_message(struct app *a, enum theme_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void app_show_view(struct app *a, enum view_id v);
/* Opens the view that shows subject and selects it there ("vault NAME", "instance ID", ...). */
bool app_jump(struct app *a, enum view_id v, const char *subject);
void app_refresh(struct app *a);
void app_copy(struct app *a, const char *text);
/* Wall-clock ms, and the time the instance model runs on (scaled in the demo). */
int64_t app_now(const struct app *a);
void app_whatif_params(const struct app *a, struct whatif_params *p);
const struct view_ops *app_view_ops(enum view_id v);
/* Runs one `:` command line; false (with a message) when it was not understood. */
bool app_command(struct app *a, const char *line);
/* One key from the terminal (function: a KEY_* code, else a character). */
void app_key(struct app *a, bool function, int ch);
/* One action, as if its key had been pressed. */
void app_key_action(struct app *a, enum action act);

#endif
