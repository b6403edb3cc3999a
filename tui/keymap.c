#include "keymap.h"

#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "xmem.h"

/* Keymap files are a few hundred bytes; anything much larger is not one. */
#define KEYMAP_MAX_FILE (256 * 1024)

static const struct keymap_action actions[] = {
    {ACT_HELP,
     "help",
     "show this help, built from the live keymap",
     "help",
     SCOPE_GLOBAL,
     false,
     {"?", "F1", NULL}},
    {ACT_COMMAND,
     "command",
     "open the command line (Tab completes, Up/Down history)",
     "cmd",
     SCOPE_GLOBAL,
     false,
     {":", NULL}},
    {ACT_FILTER,
     "filter",
     "filter the rows of this view (regex; a leading ! inverts)",
     "filter",
     SCOPE_GLOBAL,
     false,
     {"/", NULL}},
    {ACT_BACK,
     "back",
     "back one level: close the overlay, clear the filter, previous view",
     "back",
     SCOPE_GLOBAL,
     false,
     {"Esc", NULL}},
    {ACT_CANCEL,
     "cancel",
     "cancel the prompt or dialog in front (never quits)",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"C-c", NULL}},
    {ACT_ENTER,
     "enter",
     "drill down: open the selected item's subject",
     "open",
     SCOPE_VIEW,
     false,
     {"Enter", NULL}},
    {ACT_NEXT_PANEL,
     "next-panel",
     "next panel of this view",
     NULL,
     SCOPE_VIEW,
     false,
     {"Tab", NULL}},
    {ACT_PREV_PANEL,
     "prev-panel",
     "previous panel of this view",
     NULL,
     SCOPE_VIEW,
     false,
     {"S-Tab", NULL}},
    {ACT_VIEW_TOPOLOGY,
     "topology",
     "view 1: failover groups, both regions side by side",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"1", NULL}},
    {ACT_VIEW_VAULTS,
     "vaults",
     "view 2: vault health, properties, latency and budget",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"2", NULL}},
    {ACT_VIEW_KEYS,
     "keys",
     "view 3: key versions of both vaults side by side",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"3", NULL}},
    {ACT_VIEW_INSTANCES,
     "instances",
     "view 4: managed instances and their databases",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"4", NULL}},
    {ACT_VIEW_FINDINGS,
     "findings",
     "view 5: every risk, most severe first",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"5", NULL}},
    {ACT_VIEW_ACTIVITY,
     "activity",
     "view 6: every REST call and note",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"6", NULL}},
    {ACT_VIEW_WALL,
     "wall",
     "view 7: every failover group at once, large status (--wall)",
     NULL,
     SCOPE_GLOBAL,
     false,
     {"7", NULL}},
    {ACT_UP, "up", "move up", NULL, SCOPE_MOVE, false, {"k", "Up", NULL}},
    {ACT_DOWN, "down", "move down", NULL, SCOPE_MOVE, false, {"j", "Down", NULL}},
    {ACT_PAGE_UP, "page-up", "one page up", NULL, SCOPE_MOVE, false, {"PgUp", NULL}},
    {ACT_PAGE_DOWN, "page-down", "one page down", NULL, SCOPE_MOVE, false, {"PgDn", NULL}},
    {ACT_HOME, "home", "first row", NULL, SCOPE_MOVE, false, {"Home", "g", NULL}},
    {ACT_END, "end", "last row", NULL, SCOPE_MOVE, false, {"End", "G", NULL}},
    {ACT_REFRESH,
     "refresh",
     "read everything from Azure now",
     "refresh",
     SCOPE_GLOBAL,
     false,
     {"r", NULL}},
    {ACT_REPAINT, "repaint", "repaint the whole screen", NULL, SCOPE_GLOBAL, false, {"C-l", NULL}},
    {ACT_PAUSE,
     "pause",
     "freeze the screen (data keeps coming; Z again shows it)",
     "pause",
     SCOPE_GLOBAL,
     false,
     {"Z", NULL}},
    {ACT_COPY,
     "copy",
     "copy the selected item's id or URI (OSC 52 clipboard)",
     "copy",
     SCOPE_VIEW,
     false,
     {"y", NULL}},
    {ACT_PRACTICE,
     "practice",
     "demo only: the practice menu of injected incidents",
     "practice",
     SCOPE_DEMO,
     false,
     {"P", NULL}},
    {ACT_REVALIDATE,
     "revalidate",
     "instances view: ask the selected instance to revalidate its TDE protector",
     NULL,
     SCOPE_VIEW,
     true,
     {"V", NULL}},
    {ACT_ROTATE,
     "rotate",
     "topology view: the rotation wizard for the selected group (plan; apply in write mode)",
     NULL,
     SCOPE_VIEW,
     false,
     {"K", NULL}},
    {ACT_BACKUP,
     "backup",
     "keys view: the backup screen for the selected key (plan; the backup runs in write mode)",
     NULL,
     SCOPE_VIEW,
     false,
     {"B", NULL}},
    {ACT_QUIT,
     "quit",
     "quit (asks first while something is running)",
     "quit",
     SCOPE_GLOBAL,
     false,
     {"q", NULL}},
};

#define NACTIONS (sizeof actions / sizeof actions[0])

struct binding {
    int key;
    enum action action;
};

struct keymap {
    struct binding *b;
    size_t n;
};

const struct keymap_action *keymap_actions(size_t *n)
{
    *n = NACTIONS;
    return actions;
}

const struct keymap_action *keymap_action(enum action a)
{
    for (size_t i = 0; i < NACTIONS; i++)
        if (actions[i].action == a)
            return &actions[i];
    return NULL;
}

const struct keymap_action *keymap_action_named(const char *name)
{
    for (size_t i = 0; name && i < NACTIONS; i++)
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    return NULL;
}

static const struct {
    const char *name;
    int key;
} named[] = {
    {"Space", ' '},      {"Enter", KEY_ENTER},         {"Esc", 27},
    {"Tab", '\t'},       {"S-Tab", KEY_BTAB},          {"Up", KEY_UP},
    {"Down", KEY_DOWN},  {"Left", KEY_LEFT},           {"Right", KEY_RIGHT},
    {"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE},          {"Home", KEY_HOME},
    {"End", KEY_END},    {"Backspace", KEY_BACKSPACE}, {"Delete", KEY_DC},
};

int keymap_normalise(int key)
{
    if (key == '\r' || key == '\n' || key == KEY_ENTER)
        return KEY_ENTER;
    if (key == 127 || key == 8 || key == KEY_BACKSPACE)
        return KEY_BACKSPACE;
    return key;
}

int keymap_key_parse(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return -1;
    if (name[1] == '\0')
        return isgraph((unsigned char)name[0]) ? (unsigned char)name[0] : -1;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(named[i].name, name) == 0)
            return named[i].key;
    if (name[0] == 'C' && name[1] == '-' && name[2] >= 'a' && name[2] <= 'z' && !name[3])
        return name[2] - 'a' + 1;
    if (name[0] == 'F' && isdigit((unsigned char)name[1])) {
        char *end;
        long f = strtol(name + 1, &end, 10);
        if (*end == '\0' && f >= 1 && f <= 12)
            return KEY_F((int)f);
    }
    return -1;
}

const char *keymap_key_name(int key, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].key == key) {
            snprintf(buf, size, "%s", named[i].name);
            return buf;
        }
    if (key > ' ' && key < 127)
        snprintf(buf, size, "%c", key);
    else if (key >= 1 && key <= 26 && key != '\t')
        snprintf(buf, size, "C-%c", 'a' + key - 1);
    else if (key >= KEY_F(1) && key <= KEY_F(12))
        snprintf(buf, size, "F%d", key - KEY_F0);
    else
        snprintf(buf, size, "key %d", key);
    return buf;
}

static void bind_key(struct keymap *km, int key, enum action a)
{
    km->b = xrealloc(km->b, km->n + 1, sizeof *km->b);
    km->b[km->n++] = (struct binding){key, a};
}

struct keymap *keymap_create(void)
{
    struct keymap *km = xcalloc(1, sizeof *km);
    for (size_t i = 0; i < NACTIONS; i++)
        for (size_t k = 0; actions[i].defaults[k]; k++) {
            int key = keymap_key_parse(actions[i].defaults[k]);
            if (key < 0)
                abort(); /* a typo in the table above: caught by the unit test */
            bind_key(km, key, actions[i].action);
        }
    return km;
}

void keymap_destroy(struct keymap *km)
{
    if (km == NULL)
        return;
    free(km->b);
    free(km);
}

enum action keymap_lookup(const struct keymap *km, int key)
{
    key = keymap_normalise(key);
    for (size_t i = 0; km && i < km->n; i++)
        if (km->b[i].key == key)
            return km->b[i].action;
    return ACT_NONE;
}

size_t keymap_keys(const struct keymap *km, enum action a, int keys[KEYMAP_MAX_KEYS])
{
    size_t n = 0;
    for (size_t i = 0; km && i < km->n && n < KEYMAP_MAX_KEYS; i++)
        if (km->b[i].action == a)
            keys[n++] = km->b[i].key;
    return n;
}

const char *keymap_first_name(const struct keymap *km, enum action a, char *buf, size_t size)
{
    int keys[KEYMAP_MAX_KEYS];
    if (keymap_keys(km, a, keys) == 0) {
        snprintf(buf, size, "%s", "");
        return buf;
    }
    return keymap_key_name(keys[0], buf, size);
}

/* One key name of entry item, appended to keys; -1 with *cause. */
static int parse_key(const cJSON *item, const cJSON *one, const char *origin,
                     int keys[KEYMAP_MAX_KEYS], size_t *nkeys, char **cause)
{
    if (!cJSON_IsString(one)) {
        xcause(cause, "%s: bindings.%s: key names are strings", origin, item->string);
        return -1;
    }
    int key = keymap_key_parse(one->valuestring);
    if (key < 0) {
        xcause(cause, "%s: bindings.%s: unknown key name \"%.40s\"", origin, item->string,
               one->valuestring);
        return -1;
    }
    if (*nkeys == KEYMAP_MAX_KEYS) {
        xcause(cause, "%s: bindings.%s: at most %d keys", origin, item->string, KEYMAP_MAX_KEYS);
        return -1;
    }
    keys[(*nkeys)++] = keymap_normalise(key);
    return 0;
}

/* The keys one entry of "bindings" names (a name or a list of names); -1 with *cause. */
static int parse_entry(const cJSON *item, const char *origin, int keys[KEYMAP_MAX_KEYS],
                       size_t *nkeys, char **cause)
{
    *nkeys = 0;
    if (cJSON_IsString(item))
        return parse_key(item, item, origin, keys, nkeys, cause);
    if (!cJSON_IsArray(item)) {
        xcause(cause, "%s: bindings.%s: a key name or a list of key names", origin, item->string);
        return -1;
    }
    const cJSON *one;
    cJSON_ArrayForEach(one, item)
    {
        if (parse_key(item, one, origin, keys, nkeys, cause) < 0)
            return -1;
    }
    return 0;
}

/* Builds the new bindings into next; -1 with *cause on the first problem. */
static int apply(struct keymap *next, const cJSON *root, const char *origin, char **cause)
{
    const cJSON *field, *bindings = NULL;
    cJSON_ArrayForEach(field, root)
    {
        if (strcmp(field->string, "bindings") != 0) {
            xcause(cause, "%s: unknown field \"%.40s\" (a keymap has \"bindings\")", origin,
                   field->string);
            return -1;
        }
        bindings = field;
    }
    if (!cJSON_IsObject(bindings)) {
        xcause(cause, "%s: \"bindings\" must be an object of action: keys", origin);
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, bindings)
    {
        const struct keymap_action *ka = keymap_action_named(item->string);
        if (ka == NULL) {
            xcause(cause, "%s: bindings: unknown action \"%.40s\"", origin, item->string);
            return -1;
        }
        /* Named actions lose their defaults; the rest keep them. */
        for (size_t i = 0; i < next->n;)
            if (next->b[i].action == ka->action)
                next->b[i] = next->b[--next->n];
            else
                i++;
        int keys[KEYMAP_MAX_KEYS];
        size_t nkeys;
        if (parse_entry(item, origin, keys, &nkeys, cause) < 0)
            return -1;
        for (size_t k = 0; k < nkeys; k++)
            bind_key(next, keys[k], ka->action);
    }
    return 0;
}

/* A key bound twice is an error: the second binding would never fire. */
static int check_conflicts(const struct keymap *km, const char *origin, char **cause)
{
    for (size_t i = 0; i < km->n; i++)
        for (size_t j = i + 1; j < km->n; j++)
            if (km->b[i].key == km->b[j].key) {
                char name[32];
                xcause(cause, "%s: key %s is bound to both %s and %s", origin,
                       keymap_key_name(km->b[i].key, name, sizeof name),
                       keymap_action(km->b[i].action)->name, keymap_action(km->b[j].action)->name);
                return -1;
            }
    return 0;
}

int keymap_parse(struct keymap *km, const char *text, size_t len, const char *origin, char **cause)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    int rc = -1;
    struct keymap next = {0};
    if (!cJSON_IsObject(root)) {
        xcause(cause, "%s: not a JSON object", origin);
        goto out;
    }
    /* Start from the defaults so a file names only what it changes. */
    struct keymap *defaults = keymap_create();
    next = *defaults;
    free(defaults);
    if (apply(&next, root, origin, cause) < 0 || check_conflicts(&next, origin, cause) < 0)
        goto out;
    free(km->b);
    *km = next;
    next.b = NULL;
    rc = 0;
out:
    free(next.b);
    cJSON_Delete(root);
    return rc;
}

int keymap_load_file(struct keymap *km, const char *path, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        xcause(cause, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = xmalloc(KEYMAP_MAX_FILE + 1);
    size_t len = 0;
    ssize_t got;
    while (len <= KEYMAP_MAX_FILE && (got = read(fd, buf + len, KEYMAP_MAX_FILE + 1 - len)) > 0)
        len += (size_t)got;
    close(fd);
    int rc = -1;
    if (len > KEYMAP_MAX_FILE)
        xcause(cause, "%s: larger than %d bytes: not a keymap", path, KEYMAP_MAX_FILE);
    else
        rc = keymap_parse(km, buf, len, path, cause);
    free(buf);
    return rc;
}
