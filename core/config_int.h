/*
 * config_int — what the config*.c files share. Not for use outside them.
 *
 * Files: config.c (the option table, defaults, values as text, parse entry and
 * the rules that span options), config_walk.c (the strict reader: one JSON value
 * per option, unknown fields named), config_file.c (XDG paths, reading the file
 * only when nobody else could have written it, the state directory).
 */
#ifndef TDECTL_CONFIG_INT_H
#define TDECTL_CONFIG_INT_H

#include <cjson/cJSON.h>

#include "config.h"

/* Where messages come from: "ORIGIN: PATH: message" into *cause. */
struct config_ctx {
    const char *origin;
    char **cause;
};

/* Always -1; *x->cause says "origin: path: message" (path NULL: "origin: message"). */
int config_fail(struct config_ctx *x, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_wrong_type(struct config_ctx *x, const char *path, const char *want, const cJSON *j);

/* Sets one option from its JSON value, replacing (and freeing) the old one. */
int config_set(struct config *c, const struct config_option *o, const cJSON *j, const char *path,
               struct config_ctx *x);
/* Reads every member of obj (prefix: its dotted path, NULL for the top level) into c. */
int config_walk(struct config *c, const cJSON *obj, const char *prefix, struct config_ctx *x);

/* Each string, then the array. */
void config_free_strings(char **s, size_t n);
/* The four strings of each element, then the array. */
void config_free_fogs(struct config_fog *f, size_t n);
/* $HOME when absolute, else the password database's (heap); NULL when unknown. */
char *config_home_dir(void);

#endif
