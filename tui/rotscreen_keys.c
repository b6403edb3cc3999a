/*
 * rotscreen_keys — the rotation screen's keys and prompts: the reason, the
 * group's name typed, the passphrases (each character kept in a fixed buffer
 * and drawn as `*`), the rollback question. A prompt takes every key while
 * it is open; Esc or C-c closes it without acting.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <openssl/crypto.h>

#include "dialog.h"
#include "input.h"
#include "keymat.h"
#include "rotscreen_int.h"
#include "textview.h"
#include "wizscreen.h"
#include "xmem.h"

bool rotscreen_prompt_asks(enum rotscreen_prompt p)
{
    return p == RP_ROLLBACK_ASK || p == RP_STOP_ASK;
}

static bool secret_prompt(enum rotscreen_prompt p)
{
    return p == RP_KEYPASS || p == RP_ESCROW || p == RP_ESCROW_AGAIN;
}

static char *secret_buffer(struct rotscreen *s)
{
    switch (s->prompt) {
    case RP_KEYPASS:
        return s->keypass;
    case RP_ESCROW:
        return s->escrow;
    case RP_ESCROW_AGAIN:
        return s->escrow2;
    default:
        return NULL;
    }
}

static const char *escrow_path(const struct rotscreen *s)
{
    const struct rot_plan *p = rotate_get_plan(s->r);
    return p && p->escrow[0] ? p->escrow : s->file ? s->file : "";
}

static const char *key_path(const struct rotscreen *s)
{
    const struct rot_plan *p = rotate_get_plan(s->r);
    return p && p->key_file[0] ? p->key_file : s->file ? s->file : "";
}

/* The prompt's title and body (heap). */
static char *prompt_body(struct rotscreen *s, const char **title)
{
    const struct rot_plan *p = rotate_get_plan(s->r);
    size_t steps = p ? p->w.nsteps : 0;
    *title = "Apply the rotation";
    switch (s->prompt) {
    case RP_KEYPASS:
        *title = "Key file passphrase";
        return xasprintf("%s is encrypted. Type its passphrase (shown as *), then Enter.",
                         key_path(s));
    case RP_REASON:
        return xasprintf("This changes Azure: %zu steps in the plan's order, the secondary "
                         "first. Nothing is deleted, disabled or purged.\n\nType the reason "
                         "for the change (kept in the journal and the audit log), then Enter.",
                         steps);
    case RP_CONFIRM:
        return xasprintf("Type the failover group's name, %s, exactly, then Enter.", s->group);
    case RP_ESCROW:
        *title = "Escrow passphrase";
        if (s->next == RN_RESUME)
            return xasprintf("Type the passphrase of the escrow copy %s: the resumed run reads "
                             "the material from it.",
                             escrow_path(s));
        return xasprintf("The escrow copy %s is encrypted with this passphrase (at least %d "
                         "characters, shown as *). Without it the copy cannot be read: keep it "
                         "as you keep the key's other secrets.",
                         escrow_path(s), KEYMAT_PASSPHRASE_MIN);
    case RP_ESCROW_AGAIN:
        *title = "Escrow passphrase";
        return xstrdup("Type the same passphrase once more.");
    case RP_ROLLBACK_ASK:
        *title = "Roll back?";
        return xasprintf("Roll back? (both protectors back to the previous keys, secondary "
                         "first)\n\n%s: %s\n\nNothing is deleted: the new key stays in both "
                         "vaults. Later keeps this state (b rolls back from this screen).",
                         rotate_outcome_name(rotate_outcome(s->r)), rotate_detail(s->r));
    case RP_STOP_ASK:
        *title = "Stop the rotation?";
        return xasprintf("Stop the rotation of %s where it is? The step under way is "
                         "abandoned; nothing is undone. The journal stays unfinished: u (or "
                         ":resume) continues from the first step whose effect is not in place. "
                         "The operator lock stays until it expires or the run ends.",
                         s->group);
    case RP_ROLLBACK_REASON:
        *title = "Roll back";
        return xstrdup("Type the reason for the rollback (kept in the journal and the audit "
                       "log), then Enter.");
    default:
        return xstrdup("");
    }
}

/* (Re)makes the prompt's box, with the complaint in s->note under the body. */
static void make_dialog(struct rotscreen *s)
{
    static const struct dialog_button rollback[] = {{"Later"}, {"Roll back"}};
    static const struct dialog_button stop[] = {{"Keep running"}, {"Stop"}};
    const char *title;
    char *body = prompt_body(s, &title);
    if (s->note[0]) {
        char *with = xasprintf("%s\n\n%s", body, s->note);
        free(body);
        body = with;
    }
    dialog_destroy(s->dlg);
    const struct dialog_button *buttons = s->prompt == RP_ROLLBACK_ASK ? rollback
                                          : s->prompt == RP_STOP_ASK   ? stop
                                                                       : NULL;
    s->dlg = dialog_create(title, body, buttons, buttons ? 2 : 0, 0);
    free(body);
    s->a->dirty = true;
}

void rotscreen_prompt(struct rotscreen *s, enum rotscreen_prompt p)
{
    s->prompt = p;
    s->note[0] = '\0';
    input_set(s->in, "");
    char *buf = secret_buffer(s);
    if (buf)
        OPENSSL_cleanse(buf, ROTSCREEN_PASS_MAX);
    make_dialog(s);
}

static void close_prompt(struct rotscreen *s)
{
    s->prompt = RP_NONE;
    s->note[0] = '\0';
    input_set(s->in, "");
    dialog_destroy(s->dlg);
    s->dlg = NULL;
    s->a->repaint_all = s->a->dirty = true;
}

static void complain(struct rotscreen *s, const char *text)
{
    snprintf(s->note, sizeof s->note, "%s", text);
    input_set(s->in, "");
    make_dialog(s);
}

/* UTF-8 characters in s (the passphrase minimum counts characters, as core does). */
static size_t utf8_chars(const char *p)
{
    size_t n = 0;
    for (; *p; p++)
        n += ((unsigned char)*p & 0xc0) != 0x80;
    return n;
}

static bool blank(const char *t)
{
    return strspn(t, " \t") == strlen(t);
}

static void cancel_prompt(struct rotscreen *s)
{
    enum rotscreen_prompt was = s->prompt;
    char *buf = secret_buffer(s);
    if (buf)
        OPENSSL_cleanse(buf, ROTSCREEN_PASS_MAX);
    close_prompt(s);
    if (was == RP_KEYPASS && s->next == RN_PLAN && rotate_get_plan(s->r) == NULL)
        xstr_set(&s->planerr, "no plan: the key file's passphrase was not given");
    else if (s->next == RN_RESUME && s->stage != RS_RUNNING && secret_prompt(was))
        app_message(s->a, THEME_HINT, "not resumed (:resume asks again)");
    else if (!rotscreen_prompt_asks(was))
        app_message(s->a, THEME_HINT, "cancelled: nothing was changed");
}

static void submit_escrow(struct rotscreen *s)
{
    if (s->next == RN_RESUME) {
        close_prompt(s);
        rotscreen_do_resume(s);
    } else if (utf8_chars(s->escrow) < KEYMAT_PASSPHRASE_MIN) {
        char why[96];
        snprintf(why, sizeof why, "Too short: at least %d characters.", KEYMAT_PASSPHRASE_MIN);
        OPENSSL_cleanse(s->escrow, sizeof s->escrow);
        complain(s, why);
    } else {
        rotscreen_prompt(s, RP_ESCROW_AGAIN);
    }
}

static void submit_escrow_again(struct rotscreen *s)
{
    bool same = strcmp(s->escrow, s->escrow2) == 0;
    OPENSSL_cleanse(s->escrow2, sizeof s->escrow2);
    if (!same) {
        rotscreen_prompt(s, RP_ESCROW); /* cleanses the first entry too */
        complain(s, "The two entries differ: type the passphrase again.");
        return;
    }
    close_prompt(s);
    rotscreen_apply(s);
}

static void submit_confirm(struct rotscreen *s, const char *text)
{
    if (strcmp(text, s->group) != 0) {
        char why[200];
        snprintf(why, sizeof why, "Not confirmed: that is not %s. Type the name exactly.",
                 s->group);
        complain(s, why);
        return;
    }
    const struct rot_plan *p = rotate_get_plan(s->r);
    if (s->origin == ROT_ORIGIN_OFFLINE && p && p->escrow[0]) {
        s->next = RN_APPLY;
        rotscreen_prompt(s, RP_ESCROW);
        return;
    }
    close_prompt(s);
    rotscreen_apply(s);
}

static void submit(struct rotscreen *s)
{
    char *text = xstrdup(input_text(s->in));
    switch (s->prompt) {
    case RP_KEYPASS:
        s->keypass_set = true;
        close_prompt(s);
        if (s->next == RN_PLAN)
            rotscreen_plan_again(s);
        else
            rotscreen_do_resume(s);
        break;
    case RP_REASON:
    case RP_ROLLBACK_REASON:
        if (blank(text)) {
            complain(s, "A reason is required.");
            break;
        }
        xstr_set(&s->reason, text);
        if (s->prompt == RP_REASON)
            rotscreen_prompt(s, RP_CONFIRM);
        else {
            close_prompt(s);
            rotscreen_rollback(s);
        }
        break;
    case RP_CONFIRM:
        submit_confirm(s, text);
        break;
    case RP_ESCROW:
        submit_escrow(s);
        break;
    case RP_ESCROW_AGAIN:
        submit_escrow_again(s);
        break;
    default:
        break;
    }
    free(text);
}

/* A key at a passphrase prompt: typed at the end of the fixed buffer, erased from its end. */
static void secret_key(char *buf, bool function, int ch)
{
    int key = keymap_normalise(ch);
    size_t len = strlen(buf);
    if (key == KEY_BACKSPACE) {
        while (len > 0 && ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
            buf[--len] = '\0';
        if (len > 0)
            buf[len - 1] = '\0';
    } else if (key == 21 /* C-u */) {
        OPENSSL_cleanse(buf, ROTSCREEN_PASS_MAX);
    } else if (!function && ch >= ' ' && ch != 127) {
        char utf8[MB_LEN_MAX + 1];
        mbstate_t st = {0};
        size_t n = wcrtomb(utf8, (wchar_t)ch, &st);
        if (n != (size_t)-1 && len + n < ROTSCREEN_PASS_MAX) {
            utf8[n] = '\0'; /* wcrtomb does not end the string: the copy takes the NUL too */
            memcpy(buf + len, utf8, n + 1);
        }
        OPENSSL_cleanse(utf8, sizeof utf8);
    } /* a passphrase has no cursor: the arrows do nothing */
}

static void prompt_key(struct rotscreen *s, enum action act, bool function, int ch)
{
    int key = keymap_normalise(ch);
    char *buf = secret_buffer(s);
    if (key == KEY_ENTER)
        submit(s);
    else if (key == 27 || act == ACT_CANCEL)
        cancel_prompt(s);
    else if (buf)
        secret_key(buf, function, ch);
    else
        wizscreen_edit_key(s->in, function, ch);
    s->a->dirty = true;
}

static void ask_key(struct rotscreen *s, enum action act, int ch)
{
    int key = keymap_normalise(ch);
    if (key == '\t' || key == KEY_RIGHT || key == KEY_LEFT || key == KEY_BTAB) {
        dialog_focus_next(s->dlg, key == KEY_LEFT || key == KEY_BTAB ? -1 : 1);
    } else if (key == KEY_ENTER && dialog_focused(s->dlg) == 1) {
        if (s->prompt == RP_ROLLBACK_ASK)
            rotscreen_prompt(s, RP_ROLLBACK_REASON);
        else {
            close_prompt(s);
            rotscreen_stop(s); /* frees s */
            return;
        }
    } else if (key == KEY_ENTER || key == 27 || act == ACT_CANCEL || act == ACT_BACK) {
        bool rollback = s->prompt == RP_ROLLBACK_ASK;
        close_prompt(s);
        app_message(s->a, THEME_HINT, "%s",
                    rollback ? "not rolled back: b offers it again" : "the rotation keeps running");
    }
    s->a->dirty = true;
}

static void start_apply(struct rotscreen *s)
{
    struct app *a = s->a;
    if (a->read_only)
        app_message(a, THEME_WARN, "read-only: apply is not offered (start without --read-only)");
    else if (!rotate_plan_ready(s->r))
        app_message(a, THEME_HINT, "no plan to apply yet");
    else if (rotate_blockers(s->r))
        app_message(a, THEME_WARN,
                    "apply would be refused now (the red box says why); p plans "
                    "again once it is fixed");
    else {
        s->next = RN_APPLY;
        rotscreen_prompt(s, RP_REASON);
    }
}

/* Keys with a meaning on this screen only; false when ch is not one of them here. */
static bool screen_letter(struct rotscreen *s, int ch)
{
    struct app *a = s->a;
    bool ended = s->stage == RS_END;
    enum rotate_outcome o = rotate_outcome(s->r);
    if (ch == 'a' && s->stage == RS_PLAN)
        start_apply(s);
    else if (ch == 's' && s->stage == RS_RUNNING)
        rotscreen_prompt(s, RP_STOP_ASK);
    else if (ch == 'p' && s->stage == RS_PLAN && rotscreen_needs_keypass(s)) {
        s->next = RN_PLAN;
        rotscreen_prompt(s, RP_KEYPASS);
    } else if (ch == 'p' && s->stage == RS_PLAN)
        rotscreen_plan_again(s);
    else if (ch == 'x' && ended && rotate_journal(s->r))
        rotscreen_export(s);
    else if (ch == 'b' && ended && rotate_rollback_offered(s->r) && !a->read_only)
        rotscreen_prompt(s, RP_ROLLBACK_ASK);
    else if (ch == 'u' && ended && !a->read_only && rotate_journal(s->r) &&
             (o == ROTATE_FAILED || o == ROTATE_VERIFY || o == ROTATE_NONE)) {
        char *journal = xstrdup(rotate_journal(s->r));
        rotscreen_resume(a, journal); /* replaces s */
        free(journal);
    } else
        return false;
    return true;
}

static void screen_key(struct rotscreen *s, enum action act, bool function, int ch)
{
    struct app *a = s->a;
    struct textview *tv = s->stage == RS_PLAN || s->stage == RS_PLANNING ? s->plan : s->log;
    if (!function && screen_letter(s, ch))
        return;
    if (wizscreen_scroll(tv, act)) {
        a->dirty = true;
        return;
    }
    switch (act) {
    case ACT_BACK:
    case ACT_QUIT:
        rotscreen_leave(s);
        break;
    case ACT_REPAINT:
        a->repaint_all = true;
        break;
    case ACT_CANCEL:
        app_message(a, THEME_HINT, "C-c never stops a rotation; Esc leaves this screen");
        break;
    default:
        app_message(a, THEME_HINT, "the footer lists this screen's keys; Esc leaves it");
        break;
    }
    a->dirty = true;
}

void rotscreen_key(struct app *a, bool function, int ch)
{
    struct rotscreen *s = a->rot;
    if (s == NULL) {
        a->overlay = OVERLAY_NONE;
        return;
    }
    enum action act = keymap_lookup(a->keymap, ch);
    if (rotscreen_prompt_asks(s->prompt))
        ask_key(s, act, ch);
    else if (s->prompt != RP_NONE)
        prompt_key(s, act, function, ch);
    else
        screen_key(s, act, function, ch);
}
