#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"
#include "appsetup.h"
#include "bkscreen.h"
#include "cmdline.h"
#include "demo.h"
#include "dialog.h"
#include "draw.h"
#include "engine.h"
#include "health.h"
#include "http.h"
#include "input.h"
#include "latency.h"
#include "loop.h"
#include "rotscreen.h"
#include "session.h"
#include "sigpipe.h"
#include "textview.h"
#include "whatif.h"
#include "xmem.h"

/*
 * When findings are recomputed (judging a large estate costs tens of ms, and
 * budgeted polling changes the model a little all the time): at the end of
 * every sweep; every EVAL_BUSY_MS while a refresh the operator asked for
 * runs; every EVAL_TRICKLE_MS while periodic reads trickle in; and every
 * EVAL_IDLE_MS when only time moves (data growing stale, the clock).
 */
#define EVAL_BUSY_MS    500
#define EVAL_TRICKLE_MS 15000
#define EVAL_IDLE_MS    30000
/* The message line clears itself after this long. */
#define MESSAGE_MS 6000

static const struct view_ops *const view_table[VIEW_COUNT] = {
    &view_topology_ops, &view_vaults_ops,   &view_keys_ops, &view_instances_ops,
    &view_findings_ops, &view_activity_ops, &view_wall_ops,
};

const struct view_ops *app_view_ops(enum view_id v)
{
    return v < VIEW_COUNT ? view_table[v] : NULL;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t app_now(const struct app *a)
{
    struct timespec ts;
    (void)a;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void app_whatif_params(const struct app *a, struct whatif_params *p)
{
    whatif_params_init(p, app_now(a));
    p->check_interval_s = (int64_t)((double)p->check_interval_s / a->time_scale);
    p->grace_s = (int64_t)((double)p->grace_s / a->time_scale);
}

void app_message(struct app *a, enum theme_role role, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    a->message_role = role;
    a->message_until = mono_ms() + MESSAGE_MS;
    a->dirty = true;
}

void app_show_view(struct app *a, enum view_id v)
{
    if (v >= VIEW_COUNT || v == a->view)
        return;
    a->previous = a->view;
    a->view = v;
    a->need_rebuild = true;
    a->dirty = true;
}

bool app_jump(struct app *a, enum view_id v, const char *subject)
{
    app_show_view(a, v);
    view_table[v]->rebuild(a->views[v], a);
    if (view_table[v]->select(a->views[v], subject))
        return true;
    /* Hidden by the filter, or gone: clear the filter and try once more. */
    view_table[v]->filter(a->views[v], "", NULL);
    return view_table[v]->select(a->views[v], subject);
}

void app_refresh(struct app *a)
{
    engine_refresh(a->engine);
    a->sweeping_since = app_now(a);
    activity_add_note(a->activity, app_now(a), "refresh requested by the operator");
    app_message(a, THEME_INFO, "reading everything from Azure ...");
}

/* ---- signals: events of the loop (core/sigpipe.h) ---- */

static const int app_signals[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGCONT};

static void handle_resize(struct app *a)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resize_term(ws.ws_row, ws.ws_col);
    a->repaint_all = true;
    a->dirty = true;
}

/* Once per signal per wake-up: a burst of SIGWINCH is one resize. */
static void on_app_signal(int sig, void *arg)
{
    struct app *a = arg;
    if (sig == SIGWINCH)
        handle_resize(a);
    else if (sig == SIGTERM || sig == SIGHUP) {
        a->quit = true;
        loop_stop(session_loop(a->session));
    } else if (sig == SIGINT)
        app_key_action(a, ACT_CANCEL);
    else if (sig == SIGCONT)
        a->repaint_all = a->dirty = true;
}

/* ---- keys ---- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The frame trace's start-up phases (TDECTL_TRACE_FRAMES): where the first frame's time goes. */
static void trace_phase(struct app *a, const char *phase)
{
    if (a->trace && a->frames == 0) {
        fprintf(a->trace, "startup %s %lld us\n", phase, (long long)(now_us() - a->opt.start_us));
        fflush(a->trace);
    }
}

/*
 * An Esc that arrived with '[' or 'O' right behind it is an escape sequence
 * ncurses did not know (terminfo and terminal disagree): swallow the rest of
 * it, up to its final byte, rather than act on Esc and then on its letters.
 * Returns true when it swallowed one.
 */
static bool swallow_unknown_sequence(struct app *a)
{
    wint_t ch;
    int rc = wget_wch(stdscr, &ch);
    if (rc == ERR)
        return false; /* a real Esc */
    if (rc == KEY_CODE_YES || (ch != '[' && ch != 'O')) {
        /* Esc then a key of its own: give the key back. */
        if (rc == KEY_CODE_YES)
            ungetch((int)ch);
        else
            unget_wch((wchar_t)ch);
        return false;
    }
    bool csi = ch == '[';
    for (int i = 0; i < 16 && wget_wch(stdscr, &ch) != ERR; i++)
        if (!csi || (ch >= 0x40 && ch <= 0x7e))
            break;
    app_message(a, THEME_HINT,
                "an escape sequence the terminal type does not describe was "
                "ignored (check TERM)");
    return true;
}

static void on_stdin(struct loop *loop, int fd, short revents, void *arg)
{
    struct app *a = arg;
    wint_t ch;
    int rc;
    if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
        /* The terminal went away (SSH dropped): end cleanly, keep nothing waiting. */
        loop_unwatch(loop, fd);
        a->quit = true;
        loop_stop(loop);
        return;
    }
    /* ncurses buffers input: drain every key before painting once. */
    while ((rc = wget_wch(stdscr, &ch)) != ERR) {
        if (a->trace && a->key_at_us == 0)
            a->key_at_us = now_us();
        if (rc != KEY_CODE_YES && ch == 27 && swallow_unknown_sequence(a))
            continue;
        app_key(a, rc == KEY_CODE_YES, (int)ch);
        if (a->quit) {
            loop_stop(loop);
            return;
        }
    }
}

/* ---- engine and timers ---- */

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    struct app *a = arg;
    if (kind == ENGINE_SWEEP_PROBE)
        latency_record(a->latency, engine_model(e));
    if (kind == ENGINE_SWEEP_FULL)
        a->first_sweep = false;
    if (kind == ENGINE_SWEEP_FULL && a->sweeping_since) {
        a->sweeping_since = 0;
        app_message(a, THEME_OK, "refreshed");
    }
    a->last_sweep_at[kind] = app_now(a);
    a->eval_now = true;
    a->dirty = true;
}

static void on_judge(struct loop *loop, void *arg)
{
    struct app *a = arg;
    (void)loop;
    a->eval_now = true; /* the first evaluation, right after the first frame */
}

/*
 * The screen's clock: every second while something on it counts seconds (an
 * Inaccessible countdown, a message, data younger than 10 s, which the header
 * ages second by second), else every 5 s (older ages are shown in 5 s steps).
 * An idle console then paints about 12 times a minute.
 */
static void on_tick(struct loop *loop, void *arg)
{
    struct app *a = arg;
    a->dirty = true;
    int64_t last = a->last_sweep_at[ENGINE_SWEEP_HEALTH] > a->last_sweep_at[ENGINE_SWEEP_FULL]
                       ? a->last_sweep_at[ENGINE_SWEEP_HEALTH]
                       : a->last_sweep_at[ENGINE_SWEEP_FULL];
    bool seconds = a->message_until || app_now(a) - last < 10000 ||
                   health_count(a->health, HEALTH_CRIT) > 0 || a->overlay != OVERLAY_NONE;
    a->tick_timer = loop_timer(loop, seconds ? 1000 : 5000, on_tick, a);
}

/* After each pass: take in what changed, then paint once if anything did. */
static void after_pass(struct app *a)
{
    const struct model *m = engine_model(a->engine);
    int64_t now = mono_ms();
    int64_t every = a->sweeping_since || a->first_sweep ? EVAL_BUSY_MS : EVAL_TRICKLE_MS;
    bool eval_due = a->frames > 0 && (a->eval_now || now - a->last_eval_ms >= every);
    if (m->generation != a->model_gen && eval_due) {
        a->eval_now = false;
        a->judged = true;
        a->model_gen = m->generation;
        a->last_eval_ms = now;
        health_evaluate(a->health, m, app_now(a), NULL);
        trace_phase(a, "findings");
        a->need_rebuild = true;
    } else if (now - a->last_eval_ms >= EVAL_IDLE_MS) {
        /* Time alone moves some findings (data growing stale, the Inaccessible clock). */
        a->last_eval_ms = now;
        health_evaluate(a->health, m, app_now(a), NULL);
    }
    if (health_generation(a->health) != a->health_gen) {
        a->health_gen = health_generation(a->health);
        a->need_rebuild = true;
    }
    /* The command log moves with every request: its view follows at most twice a second. */
    if (activity_generation(a->activity) != a->activity_gen && a->view == VIEW_ACTIVITY &&
        now - a->activity_at >= EVAL_BUSY_MS) {
        a->activity_gen = activity_generation(a->activity);
        a->activity_at = now;
        a->need_rebuild = true;
    }
    if (a->message_until && now > a->message_until) {
        a->message_until = 0;
        a->message[0] = '\0';
        a->dirty = true;
    }
    if (a->need_rebuild && !a->paused) {
        view_table[a->view]->rebuild(a->views[a->view], a);
        trace_phase(a, "view");
        a->need_rebuild = false;
        a->dirty = true;
    }
    if (a->dirty || a->repaint_all)
        draw_frame(a);
}

int app_run(struct app *a)
{
    char *cause = NULL;
    trace_phase(a, "setup");
    if (draw_init(a, &cause) < 0) {
        fprintf(stderr, "tdectl: %s\n", cause);
        free(cause);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    a->signals =
        sigpipe_create(session_loop(a->session), app_signals,
                       sizeof app_signals / sizeof app_signals[0], on_app_signal, a, &cause);
    if (a->signals == NULL) {
        draw_end(a);
        fprintf(stderr, "tdectl: %s\n", cause);
        free(cause);
        return 1;
    }
    trace_phase(a, "terminal");
    struct loop *loop = session_loop(a->session);
    loop_watch(loop, STDIN_FILENO, POLLIN, on_stdin, a);
    engine_on_sweep(a->engine, on_sweep, a);
    /* The snapshot (if any) is in the model now: the first frame shows it at once. */
    engine_start(a->engine);
    const char *note = engine_snapshot_note(a->engine);
    if (note) {
        activity_add_note(a->activity, app_now(a), note);
        app_message(a, THEME_WARN, "%s", note);
    }
    a->first_sweep = true; /* judged as promptly as a refresh (but q need not ask) */
    trace_phase(a, "snapshot");
    a->last_eval_ms = mono_ms();
    /* The first frame shows the snapshot at once; the findings follow a pass later. */
    a->need_rebuild = a->dirty = true;
    after_pass(a);
    rotscreen_offer_resume(a); /* write mode: an unfinished rotation is asked about once */
    loop_timer(loop, 0, on_judge, a);
    a->tick_timer = loop_timer(loop, 1000, on_tick, a);
    while (!a->quit) {
        loop_run_once(loop, 1000);
        after_pass(a);
    }
    loop_timer_cancel(loop, a->tick_timer);
    loop_unwatch(loop, STDIN_FILENO);
    sigpipe_destroy(a->signals);
    a->signals = NULL;
    draw_end(a);
    return 0;
}

struct app *app_create(const struct app_options *o, char **cause)
{
    struct app *a = xcalloc(1, sizeof *a);
    a->opt = *o;
    a->time_scale = 1.0;
    if (appsetup_run(a, cause) < 0) {
        app_destroy(a);
        return NULL;
    }
    for (size_t v = 0; v < VIEW_COUNT; v++)
        a->views[v] = view_table[v]->create(a);
    return a;
}

void app_destroy(struct app *a)
{
    if (a == NULL)
        return;
    rotscreen_destroy(a->rot); /* before the session: it cancels what the rotation has in flight */
    bkscreen_destroy(a->bk);   /* and what the backup or restore has */
    for (size_t v = 0; v < VIEW_COUNT; v++)
        if (a->views[v])
            view_table[v]->destroy(a->views[v]);
    appsetup_cleanup(a);
    free(a);
}
