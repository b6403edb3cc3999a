/*
 * keys — where every key goes: the overlay in front gets it first (the `:`
 * and `/` lines edit text, dialogs and menus choose, help scrolls), then the
 * keymap turns it into an action for the app or the current view.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "activity.h"
#include "app.h"
#include "bkscreen.h"
#include "cmdline.h"
#include "commands.h"
#include "dialog.h"
#include "draw.h"
#include "input.h"
#include "practice.h"
#include "rotscreen.h"
#include "textview.h"
#include "xmem.h"

static const struct view_ops *ops(const struct app *a)
{
    return app_view_ops(a->view);
}

static void close_overlay(struct app *a)
{
    a->overlay = OVERLAY_NONE;
    a->repaint_all = true; /* what the overlay covered comes back */
    a->dirty = true;
}

static void open_line(struct app *a, enum app_overlay which)
{
    a->overlay = which;
    input_set(a->input, which == OVERLAY_FILTER ? ops(a)->pattern(a->views[a->view]) : "");
    input_end(a->input);
    xstr_set(&a->filter_before, ops(a)->pattern(a->views[a->view]));
    cmdline_history_reset(a->cmdline);
    a->dirty = true;
}

/* Applies the filter line as it is typed; a bad regex keeps the last good filter. */
static void live_filter(struct app *a)
{
    char *cause = NULL;
    if (ops(a)->filter(a->views[a->view], input_text(a->input), &cause) < 0) {
        app_message(a, THEME_WARN, "%s", cause);
        free(cause);
    } else
        a->message[0] = '\0';
}

static void line_enter(struct app *a)
{
    char *line = xstrdup(input_text(a->input));
    enum app_overlay was = a->overlay;
    close_overlay(a);
    if (was == OVERLAY_COMMAND) {
        char *cause = NULL;
        if (cmdline_add(a->cmdline, line, &cause) < 0) {
            app_message(a, THEME_WARN, "%s", cause);
            free(cause);
        }
        app_command(a, line);
    } else
        live_filter(a);
    free(line);
}

static void line_cancel(struct app *a)
{
    if (a->overlay == OVERLAY_FILTER)
        ops(a)->filter(a->views[a->view], a->filter_before ? a->filter_before : "", NULL);
    close_overlay(a);
}

/* Editing keys of the `:` and `/` lines. */
static void line_key(struct app *a, bool function, int ch)
{
    enum action act = keymap_lookup(a->keymap, function ? ch : keymap_normalise(ch));
    int key = keymap_normalise(ch);
    if (key == KEY_ENTER)
        line_enter(a);
    else if (key == 27 || act == ACT_CANCEL)
        line_cancel(a);
    else if (key == '\t' && a->overlay == OVERLAY_COMMAND)
        commands_complete(a);
    else if ((key == KEY_UP || key == KEY_DOWN) && a->overlay == OVERLAY_COMMAND) {
        const char *h = cmdline_history(a->cmdline, key == KEY_UP ? -1 : 1);
        if (h) {
            input_set(a->input, h);
            input_end(a->input);
        }
    } else if (key == KEY_BACKSPACE) {
        if (input_text(a->input)[0] == '\0') {
            line_cancel(a); /* backspace on an empty line leaves it, as in vi */
            return;
        }
        input_backspace(a->input);
    } else if (key == KEY_DC || key == 4 /* C-d */)
        input_delete(a->input);
    else if (key == KEY_LEFT || key == 2 /* C-b */)
        input_left(a->input);
    else if (key == KEY_RIGHT || key == 6 /* C-f */)
        input_right(a->input);
    else if (key == KEY_HOME || key == 1 /* C-a */)
        input_home(a->input);
    else if (key == KEY_END || key == 5 /* C-e */)
        input_end(a->input);
    else if (key == 23 /* C-w */)
        input_kill_word(a->input);
    else if (key == 21 /* C-u */)
        input_kill_line(a->input);
    else if (key == 11 /* C-k */)
        input_kill_end(a->input);
    else if (!function && ch >= ' ' && ch != 127) {
        char utf8[MB_LEN_MAX + 1];
        mbstate_t st = {0};
        size_t n = wcrtomb(utf8, (wchar_t)ch, &st);
        if (n != (size_t)-1) {
            utf8[n] = '\0';
            input_insert(a->input, utf8);
        }
    }
    if (a->overlay == OVERLAY_FILTER)
        live_filter(a);
    a->dirty = true;
}

static void help_key(struct app *a, enum action act, int key)
{
    switch (act) {
    case ACT_UP:
        textview_scroll(a->help, -1);
        break;
    case ACT_DOWN:
        textview_scroll(a->help, 1);
        break;
    case ACT_PAGE_UP:
        textview_scroll(a->help, -(LINES / 2));
        break;
    case ACT_PAGE_DOWN:
        textview_scroll(a->help, LINES / 2);
        break;
    case ACT_HOME:
        textview_top(a->help);
        break;
    case ACT_END:
        textview_bottom(a->help);
        break;
    case ACT_HELP:
    case ACT_BACK:
    case ACT_CANCEL:
    case ACT_QUIT:
        close_overlay(a);
        break;
    default:
        if (key == 27)
            close_overlay(a);
        break;
    }
    a->dirty = true;
}

static void dialog_key(struct app *a, enum action act, bool function, int ch)
{
    int key = keymap_normalise(ch);
    if (a->dialog_kind == DIALOG_REVALIDATE && !function && ch >= ' ' && key != KEY_ENTER &&
        ch != 127) {
        line_key(a, function, ch); /* typing the instance's name */
        return;
    }
    if (key == '\t' || key == KEY_RIGHT || key == KEY_LEFT || key == KEY_BTAB) {
        dialog_focus_next(a->dialog, key == KEY_LEFT || key == KEY_BTAB ? -1 : 1);
        a->dirty = true;
    } else if (key == KEY_ENTER) {
        commands_dialog_done(a, dialog_focused(a->dialog));
    } else if (key == 27 || act == ACT_CANCEL || act == ACT_BACK) {
        commands_dialog_done(a, 0); /* button 0 is always the safe one */
    } else if (a->dialog_kind == DIALOG_REVALIDATE && key == KEY_BACKSPACE) {
        input_backspace(a->input);
        a->dirty = true;
    }
}

void app_key(struct app *a, bool function, int ch)
{
    enum action act = keymap_lookup(a->keymap, ch);
    if (function && ch == KEY_RESIZE)
        return; /* our SIGWINCH handler resizes; ncurses' echo of it is ignored */
    if (function && ch == KEY_MOUSE) {
        draw_mouse(a);
        return;
    }
    switch (a->overlay) {
    case OVERLAY_COMMAND:
    case OVERLAY_FILTER:
        line_key(a, function, ch);
        return;
    case OVERLAY_HELP:
        help_key(a, act, ch);
        return;
    case OVERLAY_DIALOG:
        dialog_key(a, act, function, ch);
        return;
    case OVERLAY_PRACTICE:
        practice_key(a, act, ch);
        return;
    case OVERLAY_WIZARD:
        rotscreen_key(a, function, ch);
        return;
    case OVERLAY_BACKUP:
        bkscreen_key(a, function, ch);
        return;
    case OVERLAY_NONE:
        break;
    }
    if (act == ACT_NONE) {
        char name[32];
        app_message(a, THEME_HINT, "%s is not bound (? lists the keys)",
                    keymap_key_name(keymap_normalise(ch), name, sizeof name));
        return;
    }
    app_key_action(a, act);
}

/* Esc: back one level (filter, then the previous view). */
static void go_back(struct app *a)
{
    const char *pattern = ops(a)->pattern(a->views[a->view]);
    if (pattern[0]) {
        ops(a)->filter(a->views[a->view], "", NULL);
        app_message(a, THEME_HINT, "filter cleared");
    } else if (a->previous != a->view)
        app_show_view(a, a->previous);
    a->dirty = true;
}

/* What a wall screen answers: looking, never acting or leaving the wall. */
static bool wall_allows(enum action act)
{
    switch (act) {
    case ACT_HELP:
    case ACT_QUIT:
    case ACT_CANCEL:
    case ACT_BACK:
    case ACT_FILTER:
    case ACT_REPAINT:
    case ACT_PAUSE:
    case ACT_UP:
    case ACT_DOWN:
    case ACT_PAGE_UP:
    case ACT_PAGE_DOWN:
    case ACT_HOME:
    case ACT_END:
        return true;
    default:
        return false;
    }
}

void app_key_action(struct app *a, enum action act)
{
    const struct keymap_action *ka = keymap_action(act);
    if (a->opt.wall && !wall_allows(act)) {
        app_message(a, THEME_HINT, "wall screen: view only (start without --wall for the rest)");
        return;
    }
    if (ka && ka->mutating && a->read_only) {
        app_message(a, THEME_WARN, "read-only: %s is not offered (start without --read-only)",
                    ka->name);
        return;
    }
    if (a->overlay != OVERLAY_NONE && act == ACT_CANCEL) {
        app_key(a, false, 3);
        return;
    }
    switch (act) {
    case ACT_HELP:
        draw_help_build(a);
        a->overlay = OVERLAY_HELP;
        break;
    case ACT_COMMAND:
        open_line(a, OVERLAY_COMMAND);
        break;
    case ACT_FILTER:
        open_line(a, OVERLAY_FILTER);
        break;
    case ACT_BACK:
        go_back(a);
        break;
    case ACT_CANCEL:
        app_message(a, THEME_HINT, "C-c never quits: press %s to quit",
                    keymap_first_name(a->keymap, ACT_QUIT, (char[16]){0}, 16));
        break;
    case ACT_VIEW_TOPOLOGY:
    case ACT_VIEW_VAULTS:
    case ACT_VIEW_KEYS:
    case ACT_VIEW_INSTANCES:
    case ACT_VIEW_FINDINGS:
    case ACT_VIEW_ACTIVITY:
    case ACT_VIEW_WALL:
        app_show_view(a, (enum view_id)(act - ACT_VIEW_TOPOLOGY));
        break;
    case ACT_REFRESH:
        app_refresh(a);
        break;
    case ACT_REPAINT:
        a->repaint_all = true;
        break;
    case ACT_PAUSE:
        a->paused = !a->paused;
        a->need_rebuild = true;
        app_message(a, THEME_INFO,
                    a->paused ? "paused: the screen is frozen (Z resumes)" : "resumed");
        break;
    case ACT_COPY:
        app_copy(a, ops(a)->selected(a->views[a->view]));
        break;
    case ACT_PRACTICE:
        practice_open(a);
        break;
    case ACT_QUIT:
        commands_quit(a, false);
        break;
    default:
        if (ops(a)->act(a->views[a->view], a, act))
            break;
        if (act == ACT_REVALIDATE)
            app_message(a, THEME_HINT, "revalidate works on the instances view (4)");
        else if (act == ACT_ROTATE && !rotscreen_show(a))
            app_message(a, THEME_HINT, "rotate works on the topology view (1), or :rotate GROUP");
        else if (act == ACT_BACKUP && !bkscreen_show(a))
            app_message(a, THEME_HINT, "backup works on the keys view (3), or :backup GROUP");
        break;
    }
    a->dirty = true;
}
