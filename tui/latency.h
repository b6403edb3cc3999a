/*
 * latency — the console-to-vault latency history behind the vaults view's
 * sparkline: the last LATENCY_SAMPLES probe results per vault (a failed probe
 * is a gap, -1), recorded after each probe sweep. Vaults are few (tens), so
 * a flat array searched by name is enough.
 *
 * Ownership: opaque (create/destroy); latency_samples' pointer is borrowed
 * until the next latency_record.
 */
#ifndef TDECTL_LATENCY_H
#define TDECTL_LATENCY_H

#include <stddef.h>

#define LATENCY_SAMPLES 40

struct latency;
struct model;

struct latency *latency_create(void);
void latency_destroy(struct latency *l);
/* One sample per vault of the model: its last probe latency when its last probe worked, else -1. */
void latency_record(struct latency *l, const struct model *m);
/* The samples of vault, oldest first; *n their count (0 when none). */
const long *latency_samples(const struct latency *l, const char *vault, size_t *n);

#endif
