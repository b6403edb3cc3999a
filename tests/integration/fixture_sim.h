/*
 * fixture_sim — azsim's own view, parsed, for tests that compare tdectl with
 * what azsim's managed-instance model actually does (docs/azsim.md "The
 * managed-instance model"): an instance's access, the key serving it, the
 * last error, its databases; azsim's simulated clock; and a reset that heals
 * every instance.
 *
 * Everything goes through the control interface of the fixture's azsim and
 * fails the test when azsim does not answer as documented. Results are
 * copied into caller storage; nothing to free.
 */
#ifndef TDECTL_FIXTURE_SIM_H
#define TDECTL_FIXTURE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixture.h"

/* One instance of azsim's GET /model. */
struct fixture_sim_mi {
    char access[16];      /* "ok", "secondary", "lost" */
    char serving[256];    /* server key name {vault}_{key}_{version}, "" when none */
    char vault[128];      /* the vault of serving, "" when none */
    char last_error[128]; /* SQL's code of the last failed check, "" when it worked */
    int64_t lost_since;   /* simulated Unix s of the first failed check, 0 when none */
    int64_t next_check;   /* simulated Unix s */
    bool revalidate_needed;
    size_t ndbs, online, inaccessible;
};

/* Reads instance from azsim's model (fails the test when it is not there). */
void fixture_sim_mi(struct fixture *f, const char *instance, struct fixture_sim_mi *out);
/* azsim's simulated clock (Unix s). */
int64_t fixture_sim_now(struct fixture *f);
/*
 * Clears every fault and advances the clock check by check until every
 * instance has access and all its databases are Online again (within the
 * self-heal window when called soon enough); fails the test otherwise.
 */
void fixture_sim_heal(struct fixture *f);

#endif
