#include "draw.h"

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "appsetup.h"
#include "auth.h"
#include "bkscreen.h"
#include "commands.h"
#include "dialog.h"
#include "engine.h"
#include "fmt.h"
#include "frame.h"
#include "health.h"
#include "input.h"
#include "practice.h"
#include "rotscreen.h"
#include "session.h"
#include "statusbar.h"
#include "textview.h"
#include "xmem.h"

/* Below this the console shows only a note asking for more room. */
#define MIN_COLS  60
#define MIN_LINES 12

static void put(int y, int x, const struct theme *t, enum theme_role role, const char *s)
{
    attrset(theme_attr(t, role));
    mvaddstr(y, x, s);
    attrset(A_NORMAL);
}

/* Writes s at the cursor in role; returns the new column. */
static int add(const struct theme *t, enum theme_role role, const char *s)
{
    attrset(theme_attr(t, role));
    addstr(s);
    attrset(A_NORMAL);
    int y, x;
    getyx(stdscr, y, x);
    (void)y;
    return x;
}

int draw_init(struct app *a, char **cause)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        xcause(cause, "the console needs a terminal on stdin and stdout");
        return -1;
    }
    const char *term = getenv("TERM");
    if (newterm(NULL, stdout, stdin) == NULL) {
        xcause(cause, "terminal type %s is unknown to ncurses (set TERM)", term ? term : "(unset)");
        return -1;
    }
    raw(); /* C-c and C-z are keys: nothing quits or suspends by accident */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    /* Without UTF-8, line drawing and sparkline blocks would print as garbage. */
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
        theme_set_ascii(a->theme, true);
    if (has_colors()) {
        start_color();
        use_default_colors();
    }
    theme_apply(a->theme, theme_detect_depth(a->opt.no_color));
    if (a->opt.mouse || a->config.mouse)
        mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    return 0;
}

void draw_end(struct app *a)
{
    (void)a;
    if (isendwin())
        return;
    endwin();
}

int draw_switch_theme(struct app *a, const char *name, char **cause)
{
    struct theme *t = appsetup_theme(a, name, cause);
    if (t == NULL)
        return -1;
    theme_set_ascii(t, theme_ascii(a->theme));
    theme_destroy(a->theme);
    a->theme = t;
    theme_apply(a->theme, theme_detect_depth(a->opt.no_color));
    a->repaint_all = a->dirty = true;
    return 0;
}

/* ---- header: estate, mode, data age, findings, the Inaccessible clock ---- */

static void data_age(struct app *a, char *buf, size_t size, enum theme_role *role)
{
    const struct model *m = engine_model(a->engine);
    int64_t now = app_now(a), last = a->last_sweep_at[ENGINE_SWEEP_FULL];
    if (a->last_sweep_at[ENGINE_SWEEP_HEALTH] > last)
        last = a->last_sweep_at[ENGINE_SWEEP_HEALTH];
    char age[32];
    *role = THEME_DIM;
    if (last == 0 && m->snapshot_at) {
        snprintf(buf, size, "snapshot %s old, reading Azure",
                 fmt_age(age, sizeof age, now - m->snapshot_at));
        *role = THEME_STALE;
    } else if (last == 0)
        snprintf(buf, size, "reading Azure ...");
    else if (now - last > 3 * a->config.poll_health_s * 1000) {
        snprintf(buf, size, "data %s old: reads are failing (findings D01)",
                 fmt_age(age, sizeof age, now - last));
        *role = THEME_STALE;
    } else {
        /* Seconds up to 10 s, then 5 s steps: the screen repaints every 5 s when idle. */
        int64_t shown = now - last < 10000 ? now - last : (now - last) / 5000 * 5000;
        snprintf(buf, size, "data %s old%s", fmt_age(age, sizeof age, shown),
                 a->sweeping_since ? ", refreshing" : "");
    }
}

/*
 * " [SIGN-IN FAILING, token 12m left]" while a token fetch fails: before the
 * cached token runs out nothing else shows it. Red once under 5 minutes.
 */
static bool signin_badge(struct app *a, char *buf, size_t size, enum theme_role *role)
{
    struct auth_health h;
    auth_health(session_auth(a->session), &h);
    if (h.failing == 0)
        return false;
    char left[32];
    if (h.token_left_ms > 0)
        snprintf(buf, size, " [SIGN-IN FAILING, token %s left]",
                 fmt_age(left, sizeof left, h.token_left_ms));
    else
        snprintf(buf, size, " [SIGN-IN FAILING, no token]");
    *role = h.token_left_ms < 5 * 60 * 1000 ? THEME_CRIT : THEME_WARN;
    return true;
}

/* The worst Inaccessible clock of any instance, as text; false when none runs. */
static bool worst_clock(struct app *a, char *buf, size_t size)
{
    const struct model *m = engine_model(a->engine);
    struct healclock best = {0};
    const char *who = NULL;
    int64_t now = app_now(a);
    for (size_t i = 0; i < m->ninstances; i++) {
        struct healclock c;
        if (health_clock(a->health, m->instances[i], now, &c) && c.lost &&
            (who == NULL || c.left_ms < best.left_ms)) {
            best = c;
            who = m->instances[i]->name;
        }
    }
    if (who == NULL)
        return false;
    char left[32];
    if (best.revalidate_only)
        snprintf(buf, size, " INACCESSIBLE %s: past the self-heal window, revalidate ", who);
    else
        snprintf(buf, size, " %s %s: %s left to restore key access ",
                 best.predicted ? "KEY ACCESS LOST" : "INACCESSIBLE", who,
                 fmt_countdown(left, sizeof left, best.left_ms));
    return true;
}

/* The estate's name: the demo's, else its subscriptions' names, else the config file. */
static const char *estate_name(struct app *a, char *buf, size_t size)
{
    const struct model *m = engine_model(a->engine);
    if (a->demo || m->nsubs == 0)
        return a->estate_name;
    const struct model_subscription *s0 = m->subs[0];
    const char *name = s0->name ? s0->name : s0->id;
    if (m->nsubs == 1)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%s +%zu subscriptions", name, m->nsubs - 1);
    return buf;
}

static void draw_header(struct app *a)
{
    const struct theme *t = a->theme;
    char name[160];
    attrset(theme_attr(t, THEME_HEADER));
    mvhline(0, 0, ' ', COLS);
    move(0, 0);
    add(t, THEME_HEADER, " tdectl ");
    add(t, THEME_TITLE, estate_name(a, name, sizeof name));
    add(t, THEME_HEADER, " ");
    add(t, a->read_only ? THEME_BADGE_RO : THEME_BADGE_WRITE,
        a->read_only ? "[READ-ONLY]" : "[WRITE]");
    if (a->demo)
        add(t, THEME_INFO, " [DEMO]");
    if (a->paused)
        add(t, THEME_WARN, " [PAUSED]");
    if (a->practice_title) {
        char p[96];
        snprintf(p, sizeof p, " [PRACTICE: %s]", a->practice_title);
        add(t, THEME_WARN, p);
    }
    char rot[200], bk[320];
    if (rotscreen_badge(a, rot, sizeof rot))
        add(t, rotscreen_running(a) ? THEME_INFO : THEME_WARN, rot);
    if (bkscreen_badge(a, bk, sizeof bk))
        add(t, bkscreen_running(a) ? THEME_INFO : THEME_WARN, bk);
    char signin[64];
    enum theme_role role;
    if (signin_badge(a, signin, sizeof signin, &role))
        add(t, role, signin);
    char age[96];
    data_age(a, age, sizeof age, &role);
    add(t, THEME_HEADER, "  ");
    add(t, role, age);
    char right[160];
    size_t crit = health_count(a->health, HEALTH_CRIT);
    size_t high = health_count(a->health, HEALTH_HIGH) - crit;
    bool clock = worst_clock(a, right, sizeof right);
    if (!clock && !a->judged)
        snprintf(right, sizeof right, " judging ... ");
    else if (!clock)
        snprintf(right, sizeof right, " %zu CRIT  %zu HIGH ", crit, high);
    int x = COLS - (int)strlen(right);
    int y, cx;
    getyx(stdscr, y, cx);
    (void)y;
    if (x > cx)
        put(0, x, t,
            !a->judged && !clock ? THEME_DIM
            /* cppcheck-suppress knownConditionTrueFalse ; judged with no clock comes here too */
            : clock || crit ? THEME_CRIT
            : high          ? THEME_WARN
                            : THEME_OK,
            right);
}

/* ---- tabs: the six views, counts, the filter ---- */

/* One tab's text: " 5 Findings 3 "; compact, only the number (" 5 "), for the others. */
static void tab_text(struct app *a, size_t v, bool compact, char *tab, size_t size)
{
    const struct view_ops *ops = app_view_ops((enum view_id)v);
    if (compact && v != a->view)
        snprintf(tab, size, " %zu ", v + 1);
    else if (v == VIEW_FINDINGS)
        snprintf(tab, size, " %zu %s %zu ", v + 1, ops->title,
                 health_count(a->health, HEALTH_INFO));
    else
        snprintf(tab, size, " %zu %s ", v + 1, ops->title);
}

static void draw_tabs(struct app *a)
{
    const struct theme *t = a->theme;
    const struct view_ops *ops = app_view_ops(a->view);
    size_t shown = 0, total = 0;
    ops->counts(a->views[a->view], &shown, &total);
    const char *pattern = ops->pattern(a->views[a->view]);
    char right[160], tab[64];
    if (pattern[0])
        snprintf(right, sizeof right, " /%s/ %zu of %zu ", pattern, shown, total);
    else
        snprintf(right, sizeof right, " %zu ", total);
    /* Every title when they fit beside the counts; else the current one only. */
    size_t width = strlen(right);
    for (size_t v = 0; v < VIEW_COUNT; v++) {
        tab_text(a, v, false, tab, sizeof tab);
        width += strlen(tab);
    }
    bool compact = width >= (size_t)COLS; /* the counts need a cell of their own */
    move(1, 0);
    for (size_t v = 0; v < VIEW_COUNT; v++) {
        tab_text(a, v, compact, tab, sizeof tab);
        int y, x0;
        getyx(stdscr, y, x0);
        (void)y;
        a->tab_x[v] = x0;
        add(t, v == a->view ? THEME_SELECTED : THEME_HINT, tab);
    }
    int x = COLS - (int)strlen(right);
    int y, cx;
    getyx(stdscr, y, cx);
    (void)y;
    if (x > cx)
        put(1, x, t, pattern[0] ? THEME_MATCH : THEME_DIM, right);
}

/* ---- footer: hints, or the line being edited ---- */

static void draw_footer(struct app *a)
{
    const struct theme *t = a->theme;
    int y = LINES - 1;
    if (a->overlay == OVERLAY_COMMAND || a->overlay == OVERLAY_FILTER) {
        attrset(theme_attr(t, THEME_INPUT));
        mvhline(y, 0, ' ', COLS);
        attrset(A_NORMAL);
        int cx =
            input_draw(a->input, stdscr, t, y, 0, COLS, a->overlay == OVERLAY_COMMAND ? ":" : "/");
        a->cursor_y = y;
        a->cursor_x = cx;
        if (a->message[0] && LINES > 2) { /* completion candidates, filter errors: above */
            attrset(theme_attr(t, THEME_INPUT));
            mvhline(y - 1, 0, ' ', COLS); /* the row under it must not show through */
            put(y - 1, 0, t, a->message_role, a->message);
        }
        return;
    }
    struct statusbar_hint hints[16];
    char keys[16][16];
    size_t n = 0, na;
    const struct keymap_action *acts = keymap_actions(&na);
    /* Help and quit first: they must fit on the narrowest screen. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < na && n < 16; i++) {
            bool first = acts[i].action == ACT_HELP || acts[i].action == ACT_QUIT;
            if (first != (pass == 0) || acts[i].hint == NULL || (a->opt.wall && !first) ||
                (acts[i].mutating && a->read_only) ||
                (acts[i].scope == SCOPE_DEMO && a->demo == NULL))
                continue;
            keymap_first_name(a->keymap, acts[i].action, keys[n], sizeof keys[n]);
            if (keys[n][0] == '\0')
                continue; /* unbound in the keymap */
            hints[n] = (struct statusbar_hint){keys[n], acts[i].hint};
            n++;
        }
    const char *right = a->message[0] ? a->message : "";
    statusbar_draw(stdscr, t, y, 0, COLS, hints, n, right, a->message_role);
}

/* ---- overlays ---- */

void draw_help_build(struct app *a)
{
    static const char *const scopes[] = {"Anywhere", "Moving", "In a view", "Demo"};
    textview_clear(a->help);
    textview_add(a->help, THEME_TITLE, "Keys (from the keymap in use; a keymap file rebinds any)");
    size_t na;
    const struct keymap_action *acts = keymap_actions(&na);
    for (int scope = SCOPE_GLOBAL; scope <= SCOPE_DEMO; scope++) {
        if (scope == SCOPE_DEMO && a->demo == NULL)
            continue;
        textview_add(a->help, THEME_NORMAL, "%s", "");
        textview_add(a->help, THEME_COLHEAD, "%s", scopes[scope]);
        for (size_t i = 0; i < na; i++) {
            if ((int)acts[i].scope != scope || (acts[i].mutating && a->read_only))
                continue;
            int keys[KEYMAP_MAX_KEYS];
            size_t nk = keymap_keys(a->keymap, acts[i].action, keys);
            char names[64] = "", one[16];
            for (size_t k = 0; k < nk; k++) {
                size_t len = strlen(names);
                snprintf(names + len, sizeof names - len, "%s%s", k ? ", " : "",
                         keymap_key_name(keys[k], one, sizeof one));
            }
            textview_add(a->help, nk ? THEME_NORMAL : THEME_DIM, "  %-14s %-12s %s",
                         nk ? names : "(unbound)", acts[i].name, acts[i].help);
        }
    }
    textview_add(a->help, THEME_NORMAL, "%s", "");
    textview_add(a->help, THEME_COLHEAD, "Command line (:)");
    commands_help(a);
    textview_add(a->help, THEME_NORMAL, "%s", "");
    textview_add(a->help, THEME_COLHEAD, "Filter (/)");
    textview_add(a->help, THEME_NORMAL,
                 "  case-insensitive; plain text matches anywhere in a row, a pattern with "
                 "regex characters is an extended regex; a leading ! keeps the rows that do "
                 "not match. Enter keeps it, Esc restores the previous one.");
    if (a->read_only) {
        textview_add(a->help, THEME_NORMAL, "%s", "");
        textview_add(a->help, THEME_BADGE_RO,
                     "[READ-ONLY]: nothing that changes Azure is offered, and the transport "
                     "refuses any such request before it is sent.");
    }
    textview_top(a->help);
}

static void draw_box_overlay(struct app *a, const char *title, int *y, int *x, int *h, int *w)
{
    *w = COLS - 8 > 100 ? 100 : COLS - 8;
    *h = LINES - 6;
    *y = 3;
    *x = (COLS - *w) / 2;
    attrset(theme_attr(a->theme, THEME_DIALOG));
    for (int r = *y; r < *y + *h; r++)
        mvhline(r, *x, ' ', *w);
    attrset(A_NORMAL);
    frame_draw(stdscr, a->theme, *y, *x, *h, *w, title, "Esc closes", true);
}

static void draw_overlay(struct app *a)
{
    int y, x, h, w;
    switch (a->overlay) {
    case OVERLAY_HELP:
        draw_box_overlay(a, "Help", &y, &x, &h, &w);
        textview_draw(a->help, stdscr, a->theme, y + 1, x + 2, h - 2, w - 4);
        break;
    case OVERLAY_DIALOG:
        dialog_draw(a->dialog, stdscr, a->theme, a->dialog_kind == DIALOG_REVALIDATE);
        if (a->dialog_kind == DIALOG_REVALIDATE) {
            int cx = input_draw(a->input, stdscr, a->theme, LINES - 1, 0, COLS, "confirm name: ");
            a->cursor_y = LINES - 1;
            a->cursor_x = cx;
        }
        break;
    case OVERLAY_PRACTICE:
        draw_box_overlay(a, "Practice: rehearse an incident on the demo", &y, &x, &h, &w);
        practice_draw(a, y + 1, x + 2, h - 2, w - 4);
        break;
    default:
        break;
    }
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void draw_frame(struct app *a)
{
    if (a->repaint_all)
        clearok(curscr, TRUE); /* C-l, resize: repaint every cell, not just the changes */
    werase(stdscr);
    a->cursor_y = -1;
    if (COLS < MIN_COLS || LINES < MIN_LINES) {
        char note[96];
        snprintf(note, sizeof note, "tdectl needs %dx%d; this terminal is %dx%d", MIN_COLS,
                 MIN_LINES, COLS, LINES);
        put(0, 0, a->theme, THEME_WARN, note);
    } else {
        draw_header(a);
        if (a->overlay == OVERLAY_WIZARD) {
            rotscreen_draw(a, stdscr, 1, LINES - 1, COLS); /* its own footer */
        } else if (a->overlay == OVERLAY_BACKUP) {
            bkscreen_draw(a, stdscr, 1, LINES - 1, COLS);
        } else {
            draw_tabs(a);
            const struct view_ops *ops = app_view_ops(a->view);
            ops->draw(a->views[a->view], a, stdscr, 2, 0, LINES - 3, COLS);
            draw_footer(a);
            draw_overlay(a);
        }
    }
    curs_set(a->cursor_y >= 0 ? 1 : 0);
    if (a->cursor_y >= 0)
        move(a->cursor_y, a->cursor_x);
    wnoutrefresh(stdscr);
    doupdate();
    if (a->trace && a->key_at_us) {
        fprintf(a->trace, "key %lld\n", (long long)(mono_us() - a->key_at_us));
        fflush(a->trace);
        a->key_at_us = 0;
    } else if (a->trace && a->frames == 0) {
        const struct model *m = engine_model(a->engine);
        fprintf(a->trace, "first-frame %lld us, %s, %zu instances\n",
                (long long)(mono_us() - a->opt.start_us),
                m->snapshot_at ? "from the snapshot" : "no snapshot", m->ninstances);
        fflush(a->trace);
    }
    a->frames++;
    a->dirty = a->repaint_all = false;
}

void draw_mouse(struct app *a)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || a->overlay == OVERLAY_WIZARD || a->overlay == OVERLAY_BACKUP)
        return; /* the wizard screens have keys only */
    if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
        enum action act = (ev.bstate & BUTTON4_PRESSED) ? ACT_UP : ACT_DOWN;
        for (int i = 0; i < 3; i++)
            app_key_action(a, act);
        return;
    }
    if (ev.y == 1) {
        for (int v = VIEW_COUNT - 1; v >= 0; v--)
            if (ev.x >= a->tab_x[v]) {
                app_show_view(a, (enum view_id)v);
                return;
            }
    }
    const struct view_ops *ops = app_view_ops(a->view);
    if (ops->click && a->overlay == OVERLAY_NONE)
        ops->click(a->views[a->view], ev.y);
    a->dirty = true;
}

void app_copy(struct app *a, const char *text)
{
    if (text == NULL || text[0] == '\0') {
        app_message(a, THEME_HINT, "nothing selected to copy");
        return;
    }
    size_t len = strlen(text);
    if (len > 4096) {
        app_message(a, THEME_WARN, "too long to copy");
        return;
    }
    unsigned char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
    /* OSC 52: the terminal (and tmux with set-clipboard) puts it on the clipboard, over SSH too. */
    char *seq = xasprintf("\033]52;c;%s\a", (const char *)b64);
    ssize_t w = write(STDOUT_FILENO, seq, strlen(seq));
    free(seq);
    free(b64);
    if (w < 0)
        app_message(a, THEME_WARN, "could not write to the terminal");
    else
        app_message(a, THEME_OK, "copied %s", text);
}
