/*
 * metrics — the estate as Prometheus text exposition (format 0.0.4), for
 * `tdectl watch` (docs/monitoring.md lists every metric). A pure renderer: it
 * reads the model, the last health evaluation, the command log's counters and
 * the engine's figures at one instant and returns the text; no I/O, no clock
 * of its own (now_ms comes in), so a scrape renders on the loop's thread with
 * nothing to lock.
 *
 * Choices (documented for users in docs/monitoring.md):
 *   - key expiry is given for the versions in use only: each instance's
 *     protector and its same-thumbprint copy in the secondary vault (what
 *     health's K rules judge); a version with no expiry date has no series.
 *   - key access is an enum-style set: one series per instance and state
 *     (ok, fallback, lost, instance-down, unknown, as `check --json` names
 *     them), 1 for the current state and 0 for the others.
 *   - the Inaccessible clock's series exists only while the clock runs.
 *   - findings: every checked rule at its table severity (0 when quiet), plus
 *     any other severity a graded rule currently has.
 *   - a vault never probed has no tdectl_vault_up series yet.
 * Label values are escaped as the format says (backslash, double quote,
 * newline) and bytes that are not UTF-8 become U+FFFD, so hostile names in
 * Azure's answers cannot break or forge lines.
 *
 * Ownership: everything in the input is borrowed for the call; the result is
 * a heap string (free()). No errors: out of memory aborts (xmem's policy).
 */
#ifndef TDECTL_METRICS_H
#define TDECTL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "activity.h"
#include "auth.h"
#include "engine.h"
#include "health.h"
#include "model.h"
#include "whatif.h"

/* The Content-Type of the rendered text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What the front end knows of the engine's sweeps (indexed by enum engine_sweep). */
struct metrics_sweeps {
    uint64_t count[3];       /* sweeps ended, by kind */
    int64_t last_end_ms[3];  /* wall ms the last one of each kind ended; 0: never */
    int64_t last_success_ms; /* wall ms of the last full or health sweep that ended with no
                                read failed since the sweep before it ended; 0: never */
};

struct metrics_input {
    const struct model *model;           /* NULL: an empty estate */
    const struct health *health;         /* evaluated on model; NULL: no findings, no clocks */
    const struct activity *activity;     /* NULL: no API counters */
    const struct auth_health *signin;    /* NULL: no sign-in figures */
    const struct engine_stats *engine;   /* NULL: no engine figures */
    const struct metrics_sweeps *sweeps; /* NULL: no sweep figures */
    const struct whatif_params *whatif;  /* NULL: whatif_params_init at now_ms */
    int64_t now_ms;                      /* wall clock */
    const char *version;                 /* tdectl's, for tdectl_build_info */
};

/* The exposition text (heap; *len, when not NULL, its length). NULL only when in is NULL. */
char *metrics_render(const struct metrics_input *in, size_t *len);

/* s escaped as a label value (heap): \ -> \\, " -> \", newline -> \n, bad UTF-8 -> U+FFFD. */
char *metrics_label_escape(const char *s);

#endif
