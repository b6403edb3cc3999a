/*
 * engine — keeps the model (core/model.h) live: discovery, the poll schedule,
 * the console's reachability probe, the snapshot.
 *
 * Discovery: the configured subscriptions (or every subscription the
 * identity sees) are scanned for managed instances; each instance's
 * registered keys name the vaults that matter (a vault no instance uses is
 * not watched); failover groups are read per resource group and location of
 * the instances found, plus any group named in the configuration; vaults,
 * deleted vaults and private endpoints come from ARM per subscription.
 *
 * Schedule: three cadences, each with jitter. Structure (default 5 min):
 * everything above plus rotation policies and role assignments. Health
 * (1 min): each instance's protector, registered keys and databases, each
 * failover group, each watched vault's keys and versions (the material of a
 * version is read once: it never changes). Probe (30 s): one timed request
 * per vault. A failing endpoint backs off; periodic reads stay inside a
 * budget of requests per minute; ARM reads follow ARM's remaining-reads
 * header; at most max_in_flight requests are out at once. The first sweep and
 * engine_refresh go as fast as those limits allow (the budget applies to the
 * periodic work). After an outage (a full sweep and then a health sweep that
 * failed reads) the first health sweep that fails none starts a full sweep at
 * once (one per outage), so what only a full sweep reads does not stay stale
 * for a whole structure cycle after Azure is back.
 *
 * Nothing blocks and nothing is lost on failure: a read that fails leaves the
 * last good data in the model, marked stale with the reason.
 *
 * Lifetimes: the engine borrows the loop and azure (they outlive it) and owns
 * the model. engine_model's pointer is valid until engine_destroy.
 */
#ifndef TDECTL_ENGINE_H
#define TDECTL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct loop;
struct azure;
struct engine;

struct engine_fog_target {
    const char *subscription;
    const char *resource_group;
    const char *location;
    const char *name;
};

struct engine_options {
    const char *const *subscriptions;
    size_t nsubscriptions;
    bool all_subscriptions; /* scan every subscription the identity can list */
    const struct engine_fog_target *fogs;
    size_t nfogs;
    int64_t structure_ms;             /* 0: 300000 */
    int64_t health_ms;                /* 0: 60000 */
    int64_t probe_ms;                 /* 0: 30000 */
    int jitter_percent;               /* 0..50 */
    unsigned max_requests_per_minute; /* periodic budget; 0: 600 */
    unsigned max_in_flight;           /* 0: 48 */
    const char *snapshot_path;        /* NULL: no snapshot */
    bool no_catch_up;                 /* never start a catch-up full sweep (above) */
};

enum engine_sweep { ENGINE_SWEEP_FULL, ENGINE_SWEEP_HEALTH, ENGINE_SWEEP_PROBE };

/* A sweep ended: every read it started (and their follow-ups) has completed. */
typedef void (*engine_sweep_fn)(struct engine *e, enum engine_sweep kind, void *arg);

struct engine_stats {
    uint64_t requests;     /* reads started */
    uint64_t failures;     /* reads that failed */
    uint64_t sweeps;       /* sweeps completed */
    uint64_t skipped;      /* periodic sweeps skipped: the last of their kind still ran */
    uint64_t catch_ups;    /* full sweeps started early: the last failed reads, health works */
    int64_t last_sweep_ms; /* duration of the last full sweep */
    size_t in_flight;
    size_t queued;
    size_t live[3]; /* sweeps of each kind under way (enum engine_sweep) */
};

struct engine *engine_create(struct loop *loop, struct azure *az, const struct engine_options *o);
void engine_destroy(struct engine *e);

/*
 * Loads the snapshot when there is one (the model shows it at once, with
 * snapshot_at set), then starts the first full sweep and the cadences.
 */
void engine_start(struct engine *e);
/*
 * After engine_start: NULL, or one line saying the snapshot was damaged or
 * unreadable, and where it was moved aside (or that it is left as it is and
 * not saved over). Borrowed until engine_destroy. The text names the file and
 * the place in it; the front end shows it.
 */
const char *engine_snapshot_note(const struct engine *e);
/* A full sweep now, outside the budget (the operator asked). */
void engine_refresh(struct engine *e);
/* Only the health sweep (faster: what changes during an incident). */
void engine_refresh_health(struct engine *e);
/* Only the reachability probe of every vault. */
void engine_refresh_probe(struct engine *e);

void engine_on_sweep(struct engine *e, engine_sweep_fn fn, void *arg);
const struct model *engine_model(const struct engine *e);
struct engine_stats engine_stats(const struct engine *e);
/*
 * Saves the snapshot now when the model changed since the last save (also
 * done after every full sweep and by engine_destroy): 0, or -1 with *cause.
 */
int engine_save_snapshot(struct engine *e, char **cause);

#endif
