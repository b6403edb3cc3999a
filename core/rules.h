/*
 * rules — the health rule table and what the rule functions share: the
 * evaluation context, rules_emit, freshness tests, formatting of times and
 * ids, and derived sets computed once per evaluation (the key versions in
 * use, the two vaults of a pair).
 *
 * Only health.c and the rules_*.c families use this header. A rule function
 * reads ev->m and calls rules_emit for every finding; it never judges data
 * that was never read (see health.h). Everything it emits is copied.
 */
#ifndef TDECTL_RULES_H
#define TDECTL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "healclock.h"
#include "health.h"
#include "model.h"
#include "whatif.h"

/* A key version an instance depends on now: its protector, or the secondary copy. */
struct rules_active {
    const struct model_instance *mi; /* the first instance found using it */
    const struct model_vault *vault;
    const struct model_key *key;
    const struct model_version *ver;
    bool protector; /* else the secondary copy */
};

/* A thumbprint and the fingerprint of the material registered under it. */
struct rules_tp {
    const char *thumbprint;
    const char *fingerprint;
    size_t order; /* registration order: of several, the first registered answers */
};

/* A registered key of an instance, its URI parsed once per evaluation. */
struct rules_regkey {
    const struct model_instance *mi;
    const struct model_server_key *sk;
    const struct model_vault *vault; /* NULL when its vault is not in the model */
    char key[128];
    char version[64];
};

struct rules_eval {
    const struct model *m;
    int64_t now_ms;
    int64_t now_s;
    int64_t max_age_ms;
    bool expect_pairs;
    struct whatif_params wp;
    struct healclock_params clock;
    const struct health_rule *rule; /* the row being evaluated */
    /* Computed once per evaluation. */
    struct whatif_result *current; /* whatif_current, model order */
    size_t ncurrent;
    struct rules_active *active;
    size_t nactive;
    bool *used; /* by index in m->vaults: some instance's protector or registered key is there */
    struct rules_regkey *regkeys;
    size_t nregkeys;
    struct rules_tp *tps; /* thumbprint <-> fingerprint of registered keys read, by thumbprint */
    struct rules_tp *fps; /* the same, by fingerprint */
    size_t ntps;
    /* The previous evaluation's findings (for first_seen and cause_seen of I06). */
    const struct health_finding *prev;
    size_t nprev;
    /* Output. */
    struct health_finding *out;
    size_t n, cap;
};

/* estate_fingerprint_of and estate_thumbprint_of, from the map made once per evaluation. */
const char *rules_fingerprint_of(const struct rules_eval *ev, const char *thumbprint);
const char *rules_thumbprint_of(const struct rules_eval *ev, const char *fingerprint);

/* estate_vault_used, from the set computed once per evaluation. */
bool rules_vault_used(const struct rules_eval *ev, const struct model_vault *v);

/* The table, in id order within families. */
const struct health_rule *rules_table(size_t *n);

/* Prepares the per-evaluation sets (after m, now and wp are set); rules_cleanup frees them. */
void rules_prepare(struct rules_eval *ev);
void rules_cleanup(struct rules_eval *ev);

/* One finding of the current rule; title and remedy come from its row. */
void rules_emit(struct rules_eval *ev, enum health_sev sev, bool stale, const char *subject,
                const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The previous evaluation's finding with this identity, or NULL. */
const struct health_finding *rules_prev(const struct rules_eval *ev, const char *rule,
                                        const char *subject, const char *key);

/* Read at least once; stale (last try failed, never read, or older than max age). */
bool rules_read(const struct fresh *f);
bool rules_stale(const struct rules_eval *ev, const struct fresh *f);

/* "vault kv-x", "instance sqlmi-x", "pair fog-x", "key kv-x/name" into buf. */
const char *rules_subject(char buf[192], const char *kind, const char *name);
const char *rules_key_subject(char buf[192], const struct model_vault *v,
                              const struct model_key *k);

/* Formatting: "2026-03-01", "12:03Z", "4 min ago", "be615375..." (a short id). */
void rules_date(int64_t unix_s, char buf[16]);
void rules_hhmm(int64_t ms, char buf[16]);
void rules_ago(int64_t now_ms, int64_t then_ms, char buf[32]);
const char *rules_short(const char *id, char buf[16]);

/* The whatif_current result of mi, or NULL. */
const struct whatif_result *rules_current(const struct rules_eval *ev,
                                          const struct model_instance *mi);

/*
 * The two instances of a failover group and their primary vaults. True only
 * when both instances are in the model and use two different vaults.
 */
bool rules_pair_vaults(const struct rules_eval *ev, const struct model_fog *fg,
                       const struct model_instance **p, const struct model_instance **s,
                       const struct model_vault **vp, const struct model_vault **vs);

/* "protector of sqlmi-x" / "sqlmi-x's secondary copy" for an active version. */
const char *rules_active_role(const struct rules_active *a, char buf[160]);

#endif
