/*
 * observed — what-if (whatif.h) fed with what tdectl observes now: every
 * vault whose reachability probe fails right now counts as an outage, every
 * vault found among the deleted ones as deleted. "Key access now" and "what
 * if this vault also goes down" then account for the vaults already down.
 *
 * tdectl cannot see an instance's own network path, so this is the
 * instance's situation as far as tdectl can tell; front ends name the vaults
 * assumed down (observed_down) next to the prediction.
 *
 * Ownership: results are whatif_run's (a heap array: free()). Target names
 * point into the model (valid as model.h says).
 */
#ifndef TDECTL_OBSERVED_H
#define TDECTL_OBSERVED_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "whatif.h"

/* Probed at least once and the last probe failed (a deleted vault is not "down": deleted). */
bool observed_vault_down(const struct model_vault *v);

/* Scenarios for the vaults down or deleted now, at most cap; their count. */
size_t observed_down(const struct model *m, struct whatif_scenario *sc, size_t cap);

/*
 * Each instance's outcome with the observed outages, plus extra_vault out
 * too when not NULL. NULL and *n = 0 only when whatif refuses (an unknown
 * extra vault).
 */
struct whatif_result *observed_run(const struct model *m, const char *extra_vault,
                                   const struct whatif_params *p, size_t *n);

/* The same for one instance; 0, or -1 (an unknown extra vault). */
int observed_run_one(const struct model *m, const char *extra_vault, const struct whatif_params *p,
                     const struct model_instance *mi, struct whatif_result *out);

#endif
