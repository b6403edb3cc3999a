/*
 * theme_int — the inside of struct theme, shared by theme.c (roles, depth,
 * attributes) and theme_file.c (the file parser). Nothing outside themes/
 * includes this.
 */
#ifndef TDECTL_THEME_INT_H
#define TDECTL_THEME_INT_H

#include "theme.h"
#include "themecolor.h"

/* Longest theme name kept, in bytes. */
#define THEME_NAME_MAX 63

/* One role as a theme file defines it. */
struct theme_roledef {
    struct themecolor fg, bg;
    attr_t attrs; /* at the colour depths */
    attr_t mono;  /* at MONO */
};

struct theme {
    char name[THEME_NAME_MAX + 1];
    struct theme_roledef roles[THEME_NROLES];
    attr_t attr[THEME_NROLES]; /* what theme_attr returns */
    int pair[THEME_NROLES];
    enum theme_depth depth; /* of the last apply */
    bool ascii;
};

/* The built-in default's definition of role r (r < THEME_NROLES). */
const struct theme_roledef *theme_builtin(enum theme_role r);
/* The role named name ("selected"), or -1. */
int theme_role_lookup(const char *name);
/* Back to the unapplied state: the mono attributes, no pairs. */
void theme_unapply(struct theme *t);
/* malloc that never returns NULL: out of memory restores the terminal and aborts. */
void *theme_xmalloc(size_t size);

#endif
