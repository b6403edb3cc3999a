/*
 * health — tdectl's judgement of the estate: the rules of
 * reference/tde-domain-rules.md section A (ids V01–V18, K01–K12, I01–I11,
 * G01–G06) evaluated over the model, as findings that persist across
 * evaluations.
 *
 * The rules are a table (rules.c; one row per rule: id, severity, title, the
 * function that evaluates it, remedy), split by family into rules_vault.c,
 * rules_key.c, rules_inst.c, rules_pair.c and rules_data.c.
 *
 * Findings: identity is rule id + subject + a stable key, so health_evaluate
 * keeps first_seen of a finding that persists, drops the resolved ones (kept
 * until the next evaluation: health_resolved) and sorts the rest by severity,
 * then subject, rule, key. Evidence is recomputed every time.
 *
 * Data tdectl could not read. A rule never judges data that was never read
 * (fresh.read_at == 0): it yields nothing rather than a false finding. What
 * could not be read is reported instead, so "all green" never means "could
 * not look":
 *   - D01 (tdectl's own rule, HIGH/MED/LOW): one finding per instance, vault,
 *     failover group, private endpoint or subscription with data never read,
 *     whose last read failed, or (health_set_max_age) older than allowed; the
 *     evidence lists each part, its error and the age of the last good read.
 *     An empty estate (no instance at all) is a D01 finding of its own.
 *   - a finding judged on data whose last read failed (the last good data is
 *     used) carries stale = true; front ends show it with the `stale` role.
 *   - V07 on an RBAC vault whose role assignments could not be read is a
 *     HIGH finding marked stale saying it cannot judge.
 *
 * The Inaccessible clock (healclock.h) is part of I06: an instance whose
 * databases are Inaccessible, or which the what-if model says has lost key
 * access now (predicted, before any database flips), gets a CRIT I06 finding
 * whose first_seen is the earliest sign; health_clock gives the clock. With
 * databases Inaccessible and a usable path in the model, the evidence says
 * "key access looks back" only when tdectl had seen the cause (cause_seen);
 * otherwise the cause is outside what it reads (the instance's own path to
 * the vault: subnet rules, routes, private DNS) and the evidence says so.
 *
 * Judgement calls (where section A leaves room):
 *   - Vault rules judge only vaults some instance uses (protector or
 *     registered key); key rules K02-K05, V05, V14 judge the versions in use:
 *     each protector and its same-thumbprint copy in the secondary vault.
 *   - V07 checks every vault an instance depends on: primary, secondary and
 *     its partner's primary (needed after failover). Key Vault Crypto User
 *     counts as well (its data actions include read, wrap and unwrap).
 *   - V11 applies to vaults that use private endpoints at all; a vault
 *     reached over the public endpoint with the AzureServices bypass is V09's.
 *   - Retention differences are V04 (INFO), not G04: retention is fixed when a
 *     vault is created, so a MED finding could never be fixed.
 *   - The "other vault" of K06 and the pair of G03-G05 is the partner's
 *     primary vault; a pair sharing one vault skips them.
 *   - I04 "share the key" means the same vault and key name.
 *   - G02: CATCH_UP is healthy, SEEDING is HIGH, anything else CRIT; with
 *     health_set_expect_pairs an instance in no group is CRIT, judged only
 *     when its subscription was read.
 *   - D01 grades its parts: HIGH for what CRIT rules need (instances, vault
 *     properties, key lists, versions, role assignments, failover groups),
 *     MED for subscriptions, private endpoints and key material, LOW for
 *     rotation policies.
 *
 * Not implemented, and why (data tdectl does not read):
 *   V06 delete locks (Microsoft.Authorization/locks), V12 NSG effective rules,
 *   V16 diagnostic settings and V17 alert rules (Azure Monitor), I07 Activity
 *   Log, I08 Resource Health, I09 and I10 T-SQL from inside the instance,
 *   I11 is a wizard pre-flight, G06 drill records, K09 the key-backup
 *   inventory (the wizards' part), K12 a wizard check of a planned name.
 *   They are rows of the table with eval NULL and the reason in `unchecked`.
 *
 * Ownership: struct health is opaque (create/destroy). Findings returned are
 * borrowed until the next health_evaluate or health_destroy. No errors: the
 * evaluation reads the model only.
 */
#ifndef TDECTL_HEALTH_H
#define TDECTL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "healclock.h"
#include "model.h"

/* Ordered: a greater value is worse. */
enum health_sev { HEALTH_INFO, HEALTH_LOW, HEALTH_MED, HEALTH_HIGH, HEALTH_CRIT };

struct health_finding {
    const char *rule; /* "V07" (static) */
    enum health_sev sev;
    char *subject;      /* "vault kv-tde-eus2", "instance sqlmi-prod-cus", "pair fog-sql-prod" */
    char *key;          /* stable identity within rule + subject ("" when one per subject) */
    char *evidence;     /* one line with the concrete values */
    const char *title;  /* the rule's title (static) */
    const char *remedy; /* what to do (static) */
    bool stale;         /* judged on data whose last read failed or is too old */
    int64_t first_seen; /* wall ms */
    int64_t last_seen;  /* wall ms: the last evaluation that found it */
    int64_t cause_seen; /* I06 only: when tdectl first saw a cause of the loss in what it
                           reads (a predicted loss), wall ms; 0: never (the cause is
                           outside its view, e.g. the instance's own network path) */
};

struct rules_eval;

/* One row of the rule table. */
struct health_rule {
    const char *id;
    enum health_sev sev; /* the rule's severity; K04, V15, G02 and D01 grade below it */
    const char *title;
    void (*eval)(struct rules_eval *ev); /* NULL: not checked */
    const char *remedy;
    const char *unchecked; /* why not, when eval is NULL */
};

struct health_changes {
    size_t added;    /* new identities */
    size_t resolved; /* identities gone */
    size_t kept;     /* identities that persist */
    size_t moved;    /* kept ones whose severity or evidence changed */
};

struct health *health_create(void);
void health_destroy(struct health *h);

/* Data whose last good read is older than this counts as stale (0: never; the default). */
void health_set_max_age(struct health *h, int64_t max_age_ms);
/* G02 also flags an instance in no failover group (the configuration expects pairs). */
void health_set_expect_pairs(struct health *h, bool expect);
/* The instance's check interval, the Inaccessible grace and the self-heal window, in s. */
void health_set_timing(struct health *h, int64_t check_interval_s, int64_t grace_s,
                       int64_t window_s);

/* Recomputes every finding from m at now_ms; *chg (may be NULL) says what changed. */
void health_evaluate(struct health *h, const struct model *m, int64_t now_ms,
                     struct health_changes *chg);

/* The findings, sorted (severity, subject, rule, key); those the last evaluation dropped. */
const struct health_finding *health_findings(const struct health *h, size_t *n);
const struct health_finding *health_resolved(const struct health *h, size_t *n);
/* The first finding of rule about subject, or NULL. */
const struct health_finding *health_find(const struct health *h, const char *rule,
                                         const char *subject);
/* How many findings are at least this severe. */
size_t health_count(const struct health *h, enum health_sev min);
/* Moves when the findings change (front ends redraw on a change). */
uint64_t health_generation(const struct health *h);

/*
 * The Inaccessible clock of mi as of the last evaluation: from its I06
 * finding's first_seen (the earliest sign) and inaccessible_since. False
 * (and out->lost false) when its access is not lost.
 */
bool health_clock(const struct health *h, const struct model_instance *mi, int64_t now_ms,
                  struct healclock *out);

/* The rule table (every row, checked or not). */
const struct health_rule *health_rules(size_t *n);
const struct health_rule *health_rule(const char *id);
const char *health_sev_name(enum health_sev sev); /* "CRIT", "HIGH", "MED", "LOW", "INFO" */

#endif
