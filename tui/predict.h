/*
 * predict — the views' access to core's observed what-if (observed.h) with
 * the console's timings (the demo's time scale): "key access now" and "what
 * if this vault goes down" with the vaults down now counted as out. The
 * topology and instances views say which vaults were assumed down.
 *
 * Results are heap arrays (free()); NULL with *n = 0 when whatif refused.
 */
#ifndef TDECTL_PREDICT_H
#define TDECTL_PREDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "whatif.h"

struct app;
struct model;
struct model_instance;

/* The vaults down now, comma-separated, into buf ("" when none); how many. */
size_t predict_down(struct app *a, const struct model *m, char *buf, size_t size);
/* Each instance's access now, with the vaults down now as outages. */
struct whatif_result *predict_now(struct app *a, const struct model *m, size_t *n);
/* With vault (also) out, for one instance (each side of the topology view); false when none. */
bool predict_outage_one(struct app *a, const struct model *m, const char *vault,
                        const struct model_instance *mi, struct whatif_result *out);
/* The result for instance name in w[0..n), NULL when absent. */
const struct whatif_result *predict_for(const struct whatif_result *w, size_t n,
                                        const char *instance);

#endif
