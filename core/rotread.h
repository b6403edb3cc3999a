/*
 * rotread — one fresh read of everything a rotation decides on, for one plan:
 * both instances' protectors, registered keys and databases, and the new
 * key in both vaults (live with each version's public-key fingerprint, or
 * soft-deleted). Reads only: allowed in read-only mode.
 *
 * The same read serves three purposes: the plan's digest (a plan is stale
 * when the digest moved), each step's verification, and a resumed run's
 * question "is this step's effect already in place?".
 *
 * Ownership: struct rot_state is heap (rotread_free). The read itself is a
 * struct rotread (rotread_cancel stops it without calling back). Errors: the
 * state's err/error say which read failed first; the other reads still ran.
 */
#ifndef TDECTL_ROTREAD_H
#define TDECTL_ROTREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"
#include "rotplan.h"

struct azure;

#define ROTREAD_MAX_VERSIONS 16

struct rot_copy_version {
    char version[33];
    char fingerprint[MODEL_FINGERPRINT_LEN];
    bool enabled;
    int64_t created; /* Unix seconds */
};

/* The new key in one vault. */
struct rot_copy {
    bool exists;  /* live */
    bool deleted; /* soft-deleted (the name is reserved) */
    struct rot_copy_version v[ROTREAD_MAX_VERSIONS];
    size_t nv; /* oldest first as listed */
};

struct rot_inst {
    struct model_protector protector;
    struct model_server_key *keys;
    size_t nkeys;
    struct model_database *dbs;
    size_t ndbs;
};

struct rot_state {
    enum core_err err; /* CORE_OK when every read succeeded */
    char *error;       /* the first failure, "reading X: cause"; NULL when none */
    struct rot_inst pri, sec;
    struct rot_copy cpri, csec; /* the new key in the primary's / secondary's vault (one vault:
                                   csec only; use rotread_copy) */
    char digest[65];
};

typedef void (*rotread_fn)(struct rot_state *st, void *arg); /* st is the callback's */

struct rotread;
struct rotread *rotread_start(struct azure *az, const struct rot_plan *p, rotread_fn fn, void *arg);
void rotread_cancel(struct rotread *r);
void rotread_free(struct rot_state *st);

/* The new key in the primary's (primary true) or the secondary's vault. */
const struct rot_copy *rotread_copy(const struct rot_state *st, const struct rot_plan *p,
                                    bool primary);
/* The copy's version with that fingerprint, or NULL. */
const struct rot_copy_version *rotread_version(const struct rot_copy *c, const char *fingerprint);
/* The registered key of that name on the instance, or NULL. */
const struct model_server_key *rotread_key(const struct rot_inst *in, const char *name);
/* The first database not Online ("" when all are): name and status into buf. */
bool rotread_inaccessible(const struct rot_inst *in, char *buf, size_t size);

#endif
