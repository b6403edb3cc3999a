/*
 * engine_int — what engine.c (lifecycle, queue, limits, cadences, sweeps) and
 * discover.c (which reads to make and what their answers change in the model)
 * share. Not for front ends: they use engine.h.
 *
 * A read is one typed-client call with its context. Every read belongs to a
 * sweep; a sweep ends when its last read (follow-ups included) has ended.
 * Reads wait in one of two queues (ARM, vault data plane) until the limits
 * let them start.
 */
#ifndef TDECTL_ENGINE_INT_H
#define TDECTL_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "model.h"
#include "pace.h"

struct az_call;

enum read_kind {
    R_SUBSCRIPTIONS,  /* - */
    R_INSTANCES,      /* a: subscription */
    R_VAULTS,         /* a: subscription */
    R_DELETED_VAULTS, /* a: subscription */
    R_PES,            /* a: subscription */
    R_FOGS,           /* a: subscription, b: resource group, c: location */
    R_FOG,            /* a: subscription, b: resource group, c: location, d: name */
    R_INSTANCE,       /* a: instance id */
    R_SERVER_KEYS,    /* a: instance id */
    R_PROTECTOR,      /* a: instance id */
    R_DATABASES,      /* a: instance id */
    R_ROLES,          /* a: vault name, b: vault id */
    R_KEYS,           /* a: vault name, b: vault URL */
    R_VERSIONS,       /* a: vault name, b: vault URL, c: key */
    R_VERSION,        /* a: vault name, b: vault URL, c: key, d: version */
    R_ROTATION,       /* a: vault name, b: vault URL, c: key */
    R_PROBE,          /* a: vault name, b: vault URL */
};

struct sweep {
    enum engine_sweep kind;
    bool urgent;    /* outside the periodic budget */
    bool catch_up;  /* a full sweep started early: the last one failed reads, health works */
    size_t pending; /* reads not yet ended */
    size_t failed;  /* reads that failed */
    int64_t started_ms;
    char **claims; /* "kind:key" of what this sweep already started reading */
    size_t nclaims;
};

struct read {
    struct engine *e;
    struct sweep *sw;
    enum read_kind kind;
    char *a, *b, *c, *d;
    struct az_call *call;     /* while running */
    struct read *prev, *next; /* in e->reads (queued and running) */
    struct read *qnext;       /* in a queue while waiting */
    bool running;
    int64_t queued_ms;
};

/* What ARM said about a vault, kept until a registered key makes the vault matter. */
struct arm_vault_cache {
    struct model_vault *vaults;
    size_t n;
};

struct vault_backoff {
    char *name;
    struct pace_backoff b;
};

struct engine {
    struct loop *loop;
    struct azure *az;
    struct model *model;
    struct engine_options o;
    char **subscriptions;           /* owned copies of o.subscriptions */
    struct engine_fog_target *fogs; /* copies of o.fogs, pointing into fog_strings */
    char **fog_strings;             /* 4 per group */
    char *snapshot_path; /* NULL: no snapshot (or a damaged one that could not be moved) */
    char *snapshot_note; /* what happened to a damaged snapshot at start, or NULL */

    struct read *reads; /* every live read */
    struct read *arm_head, *arm_tail, *kv_head, *kv_tail;
    size_t in_flight, queued;
    struct pace_bucket arm_bucket, budget;
    uint64_t drain_timer;

    struct arm_vault_cache arm_vaults;
    char **deleted_vaults; /* names, lower-case */
    size_t ndeleted;
    struct vault_backoff *backoffs;
    size_t nbackoffs;

    uint64_t full_timer, health_timer, probe_timer;
    size_t live[3]; /* sweeps of each kind not ended (enum engine_sweep) */
    /* The last full sweep (not a catch-up) failed reads, and when it started; when the last
     * health sweep that failed reads ended (engine.c needs_catch_up). */
    bool full_behind;
    int64_t full_behind_since, health_failed_at;
    uint64_t skipped; /* periodic sweeps not started: the last one of their kind had not ended */
    engine_sweep_fn on_sweep;
    void *on_sweep_arg;
    struct engine_stats stats;
    bool started;
    uint64_t saved_generation; /* of the model the snapshot last got */
};

/* -- engine.c -- */

/* Queues a read for sw (strings copied; NULL allowed). */
void engine_read(struct engine *e, struct sweep *sw, enum read_kind kind, const char *a,
                 const char *b, const char *c, const char *d);
/* The read's answer was applied: account for it and free it. */
void engine_read_done(struct read *r, bool failed);
int64_t engine_wall(const struct engine *e);
/*
 * Marks what (kind "vault", "roles", "instance", "fog", "fogs" and a key such
 * as a name or id) as read in this sweep; false when it already was, so each
 * thing is read once per sweep however many paths lead to it.
 */
bool engine_sweep_claim(struct sweep *sw, const char *kind, const char *key);
/* Per-vault backoff (data plane). */
struct pace_backoff *engine_vault_backoff(struct engine *e, const char *vault);
/* ARM told us how many reads are left. */
void engine_arm_remaining(struct engine *e, long remaining);

/* -- discover.c -- */

/* Starts the call of a read that left its queue (sets r->call). */
void discover_start(struct read *r);
/* The reads a sweep begins with. */
void discover_full(struct engine *e, struct sweep *sw);
void discover_health(struct engine *e, struct sweep *sw);
void discover_probe(struct engine *e, struct sweep *sw);
/* Frees the engine-side caches discover.c fills. */
void discover_cleanup(struct engine *e);

#endif
