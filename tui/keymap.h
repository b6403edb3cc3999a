/*
 * keymap — the console's actions and the keys bound to them: one table
 * (action, name, default keys, help line, whether it changes Azure), so the
 * dispatcher, the `?` help, the footer hints and the docs read the same rows
 * and cannot drift apart.
 *
 * Keys are ncurses key codes, normalised by keymap_normalise (Enter, Return
 * and ^J are one key; so are the three Backspace codes). Key names in files
 * and help: a printable character ("q", "?"), "Space", "Enter", "Esc", "Tab",
 * "S-Tab", "Up", "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End",
 * "Backspace", "Delete", "F1".."F12", "C-a".."C-z" (control).
 *
 * The defaults avoid the tmux and screen prefixes (C-a, C-b) and never quit
 * on C-c: C-c cancels the prompt or dialog in front, like Esc.
 *
 * A keymap file (JSON) rebinds actions: {"bindings": {"quit": ["q", "F10"],
 * "pause": []}}; an action named there gets exactly the keys listed (none
 * unbinds it). Strict like the config: an unknown action, an unknown key
 * name, a key bound to two actions or a wrong type is an error naming the
 * field, and the keymap is left as it was.
 *
 * Ownership: struct keymap is opaque (create/destroy). Strings returned are
 * static or live in the keymap until destroy.
 */
#ifndef TDECTL_KEYMAP_H
#define TDECTL_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

enum action {
    ACT_NONE,
    ACT_HELP,
    ACT_COMMAND,
    ACT_FILTER,
    ACT_BACK,
    ACT_CANCEL,
    ACT_ENTER,
    ACT_NEXT_PANEL,
    ACT_PREV_PANEL,
    ACT_VIEW_TOPOLOGY,
    ACT_VIEW_VAULTS,
    ACT_VIEW_KEYS,
    ACT_VIEW_INSTANCES,
    ACT_VIEW_FINDINGS,
    ACT_VIEW_ACTIVITY,
    ACT_VIEW_WALL,
    ACT_UP,
    ACT_DOWN,
    ACT_PAGE_UP,
    ACT_PAGE_DOWN,
    ACT_HOME,
    ACT_END,
    ACT_REFRESH,
    ACT_REPAINT,
    ACT_PAUSE,
    ACT_COPY,
    ACT_PRACTICE,
    ACT_REVALIDATE,
    ACT_ROTATE,
    ACT_BACKUP,
    ACT_QUIT,
    ACT_COUNT
};

/* Where an action applies; help groups by it. */
enum keymap_scope { SCOPE_GLOBAL, SCOPE_MOVE, SCOPE_VIEW, SCOPE_DEMO };

#define KEYMAP_MAX_KEYS 4

struct keymap_action {
    enum action action;
    const char *name; /* in keymap files and `:` commands: "quit" */
    const char *help; /* one line */
    const char *hint; /* the footer's short label; NULL: not in the footer */
    enum keymap_scope scope;
    bool mutating;                             /* changes Azure: never offered read-only */
    const char *defaults[KEYMAP_MAX_KEYS + 1]; /* key names, NULL-terminated */
};

struct keymap;

/* The action table, in help order. */
const struct keymap_action *keymap_actions(size_t *n);
const struct keymap_action *keymap_action(enum action a);
const struct keymap_action *keymap_action_named(const char *name);

struct keymap *keymap_create(void); /* the defaults */
void keymap_destroy(struct keymap *km);
/* Applies a keymap file's JSON text (origin names it in messages). 0, or -1 with *cause. */
int keymap_parse(struct keymap *km, const char *text, size_t len, const char *origin, char **cause);
int keymap_load_file(struct keymap *km, const char *path, char **cause);

/* The action bound to a (normalised) key, ACT_NONE when none. */
enum action keymap_lookup(const struct keymap *km, int key);
/* The keys bound to an action (up to KEYMAP_MAX_KEYS), their count. */
size_t keymap_keys(const struct keymap *km, enum action a, int keys[KEYMAP_MAX_KEYS]);
/* "q", "C-l", "PgDn": the first key's name for footers and help; "" when unbound. */
const char *keymap_first_name(const struct keymap *km, enum action a, char *buf, size_t size);

/* Key names. keymap_key_parse: the code or -1. keymap_key_name writes the name into buf. */
int keymap_key_parse(const char *name);
const char *keymap_key_name(int key, char *buf, size_t size);
/* Folds equivalent codes: '\r' '\n' KEY_ENTER -> KEY_ENTER; 127, 8, KEY_BACKSPACE -> KEY_BACKSPACE.
 */
int keymap_normalise(int key);

#endif
