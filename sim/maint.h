/*
 * maint — what Azure does on its own while nobody calls: Key Vault rotates
 * keys whose rotation policy says it is time and forgets soft-deleted keys
 * past their purge date; long-running ARM operations end; managed instances
 * run their key checks (mimodel.h); faults whose duration ran out end. Runs
 * from azsim's main thread about once a second of real time, and on demand
 * from the control interface; key generation happens outside the world lock.
 */
#ifndef AZSIM_MAINT_H
#define AZSIM_MAINT_H

struct sim;

/* One pass. Returns the number of keys rotated by rotation policies. */
int maint_tick(struct sim *sim);

#endif
