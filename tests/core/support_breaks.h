/*
 * support_breaks — one way to break each health rule in support_estate's
 * healthy estate, and to put it back: the smallest change that triggers the
 * rule, with the finding it must give (rule, subject, severity, a piece of
 * the evidence). test_health runs them all; other tests reuse them by name.
 */
#ifndef TDECTL_SUPPORT_BREAKS_H
#define TDECTL_SUPPORT_BREAKS_H

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "model.h"

struct support_break {
    const char *name; /* "v07", "k06_disabled", ... */
    void (*set)(struct model *m, bool on);
    const char *rule;
    const char *subject;
    enum health_sev sev;
    const char *evidence;
};

const struct support_break *support_breaks(size_t *n);
/* Applies (on) or undoes (off) the named break; aborts on an unknown name. */
void support_break(struct model *m, const char *name, bool on);

#endif
