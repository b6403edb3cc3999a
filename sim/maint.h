/*
 * maint — what Key Vault does on its own while nobody calls: rotate keys whose
 * rotation policy says it is time, and forget soft-deleted keys past their
 * scheduled purge date. Runs from azsim's main thread about once a second of
 * real time; key generation happens outside the world lock.
 */
#ifndef AZSIM_MAINT_H
#define AZSIM_MAINT_H

struct sim;

/* One pass. Returns the number of keys rotated. */
int maint_tick(struct sim *sim);

#endif
