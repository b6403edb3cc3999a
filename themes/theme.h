/*
 * theme — semantic roles (title, selected, ok, warn, crit, stale ...) and the
 * ncurses attributes that draw them. Widgets and the console ask for a role,
 * never a colour (STYLE.md rule 9).
 *
 * A theme starts as the built-in "default" (the terminal's own colours plus
 * the 8 named ones); theme_parse / theme_load_file lay a theme file over the
 * built-in roles (themes/README.md has the format). A failed parse leaves the
 * theme as it was and says why in *cause: "<origin>: <path>: <problem>", e.g.
 * "dark.json: roles.titel: unknown role".
 *
 * theme_apply turns the roles into attributes for one colour depth: MONO uses
 * each role's mono attributes (a built-in readable set when the file gives
 * none); the colour depths take pair numbers 1..THEME_NROLES and go down the
 * colour ladder (themecolor.h) to what the terminal can draw. Before the first
 * apply, theme_attr gives the mono attributes.
 *
 * Ownership: theme_create / theme_destroy (heap). Strings returned are
 * borrowed: theme_name until the next parse or destroy, theme_role_name and
 * theme_glyphs for the life of the program.
 */
#ifndef TDECTL_THEME_H
#define TDECTL_THEME_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

enum theme_role {                    /* semantic roles; names in files are the lower-case words */
                  THEME_NORMAL,      /* "normal"   body text */
                  THEME_DIM,         /* "dim"      secondary text, stale data */
                  THEME_TITLE,       /* "title"    frame titles */
                  THEME_HEADER,      /* "header"   the top bar */
                  THEME_COLHEAD,     /* "colhead"  table column headings */
                  THEME_BORDER,      /* "border"   frame lines (unfocused) */
                  THEME_FOCUS,       /* "focus"    frame lines/title of the focused panel */
                  THEME_SELECTED,    /* "selected" the selected row */
                  THEME_HINT,        /* "hint"     footer hint labels */
                  THEME_HINTKEY,     /* "hintkey"  footer hint keys */
                  THEME_OK,          /* "ok" */
                  THEME_INFO,        /* "info" */
                  THEME_WARN,        /* "warn" */
                  THEME_CRIT,        /* "crit" */
                  THEME_STALE,       /* "stale"    data whose last read failed */
                  THEME_DIFF,        /* "diff"     a value that differs between two sides */
                  THEME_BADGE_RO,    /* "badge_ro"    [READ-ONLY] */
                  THEME_BADGE_WRITE, /* "badge_write" [WRITE] */
                  THEME_INPUT,       /* "input"    the command/filter line */
                  THEME_MATCH,       /* "match"    filter matches */
                  THEME_DIALOG,      /* "dialog"   modal dialog body */
                  THEME_NROLES
};

enum theme_depth { THEME_DEPTH_MONO, THEME_DEPTH_16, THEME_DEPTH_256, THEME_DEPTH_TRUE };

/* A theme file larger than this is refused (the shipped ones are ~3 KiB). */
#define THEME_MAX_BYTES (256 * 1024)

struct theme; /* opaque */

/* The built-in "default" theme (terminal colours). Never NULL. */
struct theme *theme_create(void);
void theme_destroy(struct theme *t);

/* Parses a theme file's JSON text (origin names it in messages). Roles the
 * file does not give take the built-in default's values. 0, or -1 with *cause
 * (when cause is not NULL) and the theme unchanged. */
int theme_parse(struct theme *t, const char *text, size_t len, const char *origin, char **cause);
/* Reads and parses the file at path (origin: the path). 0 or -1 with *cause. */
int theme_load_file(struct theme *t, const char *path, char **cause);

/* "<dir>/<name>.json" for the first dir in dirs (NULL-terminated) where that
 * is a readable regular file: a heap path, or NULL. A name that is empty,
 * starts with '.' or holds '/' finds nothing. */
char *theme_find(const char *name, const char *const *dirs);

const char *theme_name(const struct theme *t);
/* "normal", "selected" ...; "?" for a value out of range. */
const char *theme_role_name(enum theme_role r);

/* The depth the terminal supports: MONO when no_color is true, NO_COLOR is
 * set and non-empty, or !has_colors(); TRUE for a direct-colour terminfo, or
 * a 256-colour one with tigetflag("RGB"|"Tc") or COLORTERM=truecolor|24bit;
 * else 256 or 16 by the terminfo's colour count. Needs initscr/newterm done. */
enum theme_depth theme_detect_depth(bool no_color);

/* Turns the roles into attributes at depth: init_extended_pair for each role
 * and use_default_colors so "default" is the terminal's own colour. Call
 * after start_color; without it (or without colours, or too few pairs) the
 * theme is applied as MONO. A truecolor depth on a terminfo that cannot
 * express it draws the nearest of 256. */
void theme_apply(struct theme *t, enum theme_depth depth);
/* The depth of the last theme_apply (MONO before any). */
enum theme_depth theme_applied_depth(const struct theme *t);

/* attrs | COLOR_PAIR for a role; its mono attributes before any apply. */
attr_t theme_attr(const struct theme *t, enum theme_role r);
/* The pair number (for wattr_set / extended colours); 0 at MONO. */
int theme_pair(const struct theme *t, enum theme_role r);
/* Variations of a role for widgets, so they never name an attribute. */
enum theme_mod {
    THEME_MOD_BOLD = 1, /* emphasis (a table cell marked bold) */
    THEME_MOD_BLUR = 2  /* as drawn in an unfocused panel: dimmed (its selected row) */
};
/* theme_attr with the mods (an OR of enum theme_mod) added. */
attr_t theme_attr_mod(const struct theme *t, enum theme_role r, unsigned mods);

/* ASCII mode: glyphs without line drawing or Unicode (--ascii, TERM=vt100, a
 * console without UTF-8). Off by default. */
void theme_set_ascii(struct theme *t, bool ascii);
bool theme_ascii(const struct theme *t);

struct theme_glyphs {
    const char *ellipsis, *up, *down, *bullet, *check, *cross, *warn, *arrow, *spark[8];
};
/* The glyph set for the theme's mode (static storage). */
const struct theme_glyphs *theme_glyphs(const struct theme *t);

#endif
