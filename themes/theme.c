/*
 * theme — the role table, the built-in default theme, depth detection and the
 * step that turns roles into ncurses attributes.
 */
#include "theme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "theme_int.h"
#include "themecolor.h"

/* clang-format off */
#define DEF {THEMECOLOR_DEFAULT, 0}
#define IX(i) {THEMECOLOR_INDEX, (i)}
/* clang-format on */

enum { BLACK, RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN, WHITE, BRIGHTWHITE = 15 };

/* The roles: their names in files and the built-in default theme, which uses
 * the terminal's own colours and the 8 named ones only. The mono column keeps
 * every state readable without colour (STYLE.md rule 9); themes/default.json
 * spells the same table out. */
static const struct {
    const char *name;
    struct theme_roledef def;
} roles[THEME_NROLES] = {
    [THEME_NORMAL] = {"normal", {DEF, DEF, A_NORMAL, A_NORMAL}},
    [THEME_DIM] = {"dim", {DEF, DEF, A_DIM, A_DIM}},
    [THEME_TITLE] = {"title", {DEF, DEF, A_BOLD, A_BOLD}},
    [THEME_HEADER] = {"header", {IX(BRIGHTWHITE), IX(BLUE), A_BOLD, A_BOLD}},
    [THEME_COLHEAD] = {"colhead", {IX(CYAN), DEF, A_BOLD, A_BOLD | A_UNDERLINE}},
    [THEME_BORDER] = {"border", {DEF, DEF, A_NORMAL, A_NORMAL}},
    [THEME_FOCUS] = {"focus", {IX(CYAN), DEF, A_BOLD, A_BOLD}},
    [THEME_SELECTED] = {"selected", {IX(BLACK), IX(CYAN), A_NORMAL, A_REVERSE}},
    [THEME_HINT] = {"hint", {DEF, DEF, A_NORMAL, A_NORMAL}},
    [THEME_HINTKEY] = {"hintkey", {IX(CYAN), DEF, A_BOLD, A_BOLD}},
    [THEME_OK] = {"ok", {IX(GREEN), DEF, A_NORMAL, A_NORMAL}},
    [THEME_INFO] = {"info", {IX(BLUE), DEF, A_BOLD, A_NORMAL}},
    [THEME_WARN] = {"warn", {IX(YELLOW), DEF, A_BOLD, A_BOLD}},
    [THEME_CRIT] = {"crit", {IX(RED), DEF, A_BOLD, A_BOLD | A_REVERSE}},
    [THEME_STALE] = {"stale", {IX(MAGENTA), DEF, A_NORMAL, A_DIM}},
    [THEME_DIFF] = {"diff", {IX(YELLOW), DEF, A_UNDERLINE, A_UNDERLINE | A_BOLD}},
    [THEME_BADGE_RO] = {"badge_ro", {IX(BLACK), IX(GREEN), A_BOLD, A_REVERSE}},
    [THEME_BADGE_WRITE] = {"badge_write", {IX(BRIGHTWHITE), IX(RED), A_BOLD, A_REVERSE | A_BOLD}},
    [THEME_INPUT] = {"input", {DEF, DEF, A_NORMAL, A_NORMAL}},
    [THEME_MATCH] = {"match", {IX(BLACK), IX(YELLOW), A_NORMAL, A_UNDERLINE | A_BOLD}},
    [THEME_DIALOG] = {"dialog", {IX(BRIGHTWHITE), IX(BLUE), A_NORMAL, A_NORMAL}},
};

static const struct theme_glyphs unicode_glyphs = {
    .ellipsis = "…",
    .up = "▲",
    .down = "▼",
    .bullet = "•",
    .check = "✓",
    .cross = "✗",
    .warn = "⚠",
    .arrow = "→",
    .spark = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"},
};

/* Low to high, as a column of ASCII could draw a bar. */
static const struct theme_glyphs ascii_glyphs = {
    .ellipsis = "...",
    .up = "^",
    .down = "v",
    .bullet = "*",
    .check = "+",
    .cross = "x",
    .warn = "!",
    .arrow = "->",
    .spark = {"_", ".", "-", "~", "=", "+", "^", "#"},
};

void *theme_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        /* Like xmem: nothing to serve from; give the user their terminal back. */
        if (!isendwin())
            endwin();
        fputs("tdectl: out of memory\n", stderr);
        abort();
    }
    return p;
}

const struct theme_roledef *theme_builtin(enum theme_role r)
{
    return &roles[(unsigned)r < THEME_NROLES ? r : THEME_NORMAL].def;
}

int theme_role_lookup(const char *name)
{
    for (int i = 0; name && i < THEME_NROLES; i++) {
        if (strcmp(name, roles[i].name) == 0)
            return i;
    }
    return -1;
}

void theme_unapply(struct theme *t)
{
    for (int i = 0; i < THEME_NROLES; i++) {
        t->attr[i] = t->roles[i].mono;
        t->pair[i] = 0;
    }
    t->depth = THEME_DEPTH_MONO;
}

struct theme *theme_create(void)
{
    struct theme *t = theme_xmalloc(sizeof *t);
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "default");
    for (int i = 0; i < THEME_NROLES; i++)
        t->roles[i] = roles[i].def;
    theme_unapply(t);
    return t;
}

void theme_destroy(struct theme *t)
{
    free(t);
}

const char *theme_name(const struct theme *t)
{
    return t ? t->name : "";
}

const char *theme_role_name(enum theme_role r)
{
    return (unsigned)r < THEME_NROLES ? roles[r].name : "?";
}

static bool colorterm_says_truecolor(void)
{
    const char *ct = getenv("COLORTERM");
    return ct && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0);
}

enum theme_depth theme_detect_depth(bool no_color)
{
    const char *nc = getenv("NO_COLOR");
    if (no_color || (nc && *nc) || !has_colors())
        return THEME_DEPTH_MONO;
    /* COLORS is only set by start_color; the terminfo count is there from newterm. */
    int n = tigetnum("colors");
    if (n < COLORS)
        n = COLORS;
    if (n >= THEMECOLOR_DIRECT)
        return THEME_DEPTH_TRUE;
    if (n >= 256) {
        if (tigetflag("RGB") > 0 || tigetflag("Tc") > 0 || colorterm_says_truecolor())
            return THEME_DEPTH_TRUE;
        return THEME_DEPTH_256;
    }
    return n >= 8 ? THEME_DEPTH_16 : THEME_DEPTH_MONO;
}

/* One role at a colour depth: its pair, or mono attributes when the pair fails. */
static void apply_role(struct theme *t, int i, enum theme_depth depth, bool defaults)
{
    const struct theme_roledef *d = &t->roles[i];
    bool bold = false;
    int fg = themecolor_resolve(d->fg, depth, COLORS, true, &bold);
    int bg = themecolor_resolve(d->bg, depth, COLORS, false, NULL);
    /* Without default colours -1 is no colour at all: use the classic pair. */
    if (fg < 0 && !defaults)
        fg = COLOR_WHITE;
    if (bg < 0 && !defaults)
        bg = COLOR_BLACK;
    if (init_extended_pair(i + 1, fg, bg) == ERR) {
        t->attr[i] = d->mono;
        t->pair[i] = 0;
        return;
    }
    t->pair[i] = i + 1;
    t->attr[i] = d->attrs | (bold ? A_BOLD : A_NORMAL) | COLOR_PAIR(i + 1);
}

void theme_apply(struct theme *t, enum theme_depth depth)
{
    if (!t)
        return;
    theme_unapply(t);
    if (depth == THEME_DEPTH_MONO || !has_colors() || COLORS <= 0 || COLOR_PAIRS <= THEME_NROLES)
        return;
    depth = themecolor_effective(depth, COLORS);
    if (depth == THEME_DEPTH_MONO)
        return;
    bool defaults = use_default_colors() == OK;
    for (int i = 0; i < THEME_NROLES; i++)
        apply_role(t, i, depth, defaults);
    t->depth = depth;
}

enum theme_depth theme_applied_depth(const struct theme *t)
{
    return t ? t->depth : THEME_DEPTH_MONO;
}

attr_t theme_attr(const struct theme *t, enum theme_role r)
{
    if (!t || (unsigned)r >= THEME_NROLES)
        return A_NORMAL;
    return t->attr[r];
}

int theme_pair(const struct theme *t, enum theme_role r)
{
    if (!t || (unsigned)r >= THEME_NROLES)
        return 0;
    return t->pair[r];
}

attr_t theme_attr_mod(const struct theme *t, enum theme_role r, unsigned mods)
{
    attr_t a = theme_attr(t, r);
    if (mods & THEME_MOD_BOLD)
        a |= A_BOLD;
    if (mods & THEME_MOD_BLUR)
        a |= A_DIM;
    return a;
}

void theme_set_ascii(struct theme *t, bool ascii)
{
    if (t)
        t->ascii = ascii;
}

bool theme_ascii(const struct theme *t)
{
    return t && t->ascii;
}

const struct theme_glyphs *theme_glyphs(const struct theme *t)
{
    return theme_ascii(t) ? &ascii_glyphs : &unicode_glyphs;
}

/* Names come from the command line or config: never a path of their own. */
static bool plain_name(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) > THEME_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++) {
        if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

char *theme_find(const char *name, const char *const *dirs)
{
    if (!plain_name(name) || !dirs)
        return NULL;
    for (size_t i = 0; dirs[i]; i++) {
        if (!*dirs[i])
            continue;
        size_t size = strlen(dirs[i]) + strlen(name) + sizeof "/.json";
        char *path = theme_xmalloc(size);
        snprintf(path, size, "%s/%s.json", dirs[i], name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}
