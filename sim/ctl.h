/*
 * ctl — azsim's control interface, for tests, the demo's practice mode and
 * benchmarks: a plain-HTTP listener on loopback only, every request carrying
 * "Authorization: Bearer <admin token>" (printed at start and written to the
 * ready file). It is not part of the emulated Azure.
 *
 *   GET    /faults               the active faults
 *   POST   /faults               add one ({"kind", "target", params...})
 *   DELETE /faults/{id}, /faults clear one, or all
 *   GET    /clock                simulated time
 *   POST   /clock/advance        {"seconds": N}: move simulated time on and run
 *                                everything that became due (key checks ...)
 *   GET    /model                what every managed instance last found
 *   POST   /model/check          run the due key checks now
 */
#ifndef AZSIM_CTL_H
#define AZSIM_CTL_H

#include "http.h"

struct sim;

void ctl_set_token(const char *token);
const char *ctl_token(void);

/* The control listener's handler (ctx: struct sim *). */
void ctl_handle(void *ctx, const struct http_req *req, struct http_resp *resp);

#endif
