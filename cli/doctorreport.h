/*
 * doctorreport — the result of `tdectl doctor`: one line per check (OK, WARN
 * or FAIL), its measured figures, and for anything not OK a concrete fix;
 * rendered as text for people or as JSON (tdectl.doctor/v1, the shape in
 * docs/monitoring.md), and the exit status: 0 all OK, 1 warnings only, 2
 * something failed.
 *
 * Ownership: the report owns its checks and every string in them (copied on
 * add). Nothing here holds a secret: callers never pass one.
 */
#ifndef TDECTL_DOCTORREPORT_H
#define TDECTL_DOCTORREPORT_H

#include <stddef.h>
#include <stdint.h>

enum doctor_level { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

#define DOCTOR_MAX_FIGURES 6

/* A measured figure: "total_ms" 12.5, "skew_s" 3. */
struct doctor_figure {
    const char *name; /* static */
    double value;
};

struct doctor_check {
    char *check;   /* "auth.token", "vault.network", ... */
    char *subject; /* "arm", a vault, a subscription; NULL */
    enum doctor_level level;
    char *detail; /* what was found, with the figures in words */
    char *fix;    /* what to do; NULL when OK */
    struct doctor_figure figures[DOCTOR_MAX_FIGURES];
    size_t nfigures;
};

struct doctorreport;

struct doctorreport *doctorreport_create(void);
void doctorreport_destroy(struct doctorreport *r);

/* Adds a check (strings copied; subject and fix may be NULL); the stored check, for figures. */
struct doctor_check *doctorreport_add(struct doctorreport *r, const char *check,
                                      const char *subject, enum doctor_level level,
                                      const char *detail, const char *fix);
/* Adds a figure to c (ignored past DOCTOR_MAX_FIGURES). */
void doctorreport_figure(struct doctor_check *c, const char *name, double value);
/* The principal the checks ran as (object id and the credential that served; either NULL). */
void doctorreport_principal(struct doctorreport *r, const char *object_id, const char *source);

/*
 * Puts the checks in order: by the position of their check name in order
 * (NULL-terminated; names not in it last), then by subject; stable.
 */
void doctorreport_sort(struct doctorreport *r, const char *const *order);

size_t doctorreport_count(const struct doctorreport *r, enum doctor_level level);
const struct doctor_check *doctorreport_check(const struct doctorreport *r, size_t i, size_t *n);
/* 0 every check OK, 1 warnings only, 2 a failure. */
int doctorreport_exit(const struct doctorreport *r);
const char *doctorreport_level_name(enum doctor_level level); /* "OK", "WARN", "FAIL" */

/* The report as text / as JSON (heap). now_ms: wall-clock Unix ms for generated_at. */
char *doctorreport_text(const struct doctorreport *r);
char *doctorreport_json(const struct doctorreport *r, int64_t now_ms, const char *version);

#endif
