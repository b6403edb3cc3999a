/*
 * report — one sweep's verdict for monitoring (`tdectl check`): the status
 * in the convention of monitoring plugins (0 OK, 1 WARNING, 2 CRITICAL, 3
 * UNKNOWN), the findings, every instance's key access and Inaccessible clock,
 * every vault's reachability, as text for people and as JSON for scripts
 * (schema "tdectl.check/v1", docs/check-schema.json).
 *
 * The status, worst first:
 *   CRITICAL  a CRIT finding (an instance without key access, a lost key ...);
 *   UNKNOWN   tdectl could not look: the sweep did not complete, or a HIGH
 *             D01 finding (instances, vault properties, keys or versions
 *             that could not be read), or nothing at all was found;
 *   WARNING   a HIGH or MED finding;
 *   OK        nothing above (LOW and INFO findings are listed, not alerted).
 * A known critical problem outranks not knowing the rest, as monitoring
 * plugins do.
 *
 * Scope: with a group name, only what that failover group depends on counts:
 * the pair, its two instances, the vaults they use and those vaults' keys and
 * private endpoints, the group's subscription, and estate-wide D01.
 *
 * Hostile text: every string of the report (names, states, evidence quoting
 * Azure's answers) goes through textsafe_copy, so neither the text nor the
 * JSON carries a terminal escape or invalid UTF-8.
 *
 * Ownership: struct report is opaque (create/destroy); it copies what it
 * needs, so the model and health may change afterwards. Text and JSON are
 * heap strings the caller frees. Errors: NULL and *cause for an unknown
 * group.
 */
#ifndef TDECTL_REPORT_H
#define TDECTL_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "health.h"
#include "model.h"
#include "whatif.h"

#define REPORT_SCHEMA "tdectl.check/v1"

enum report_status { REPORT_OK = 0, REPORT_WARNING = 1, REPORT_CRITICAL = 2, REPORT_UNKNOWN = 3 };

struct report_input {
    const struct model *model;
    const struct health *health; /* evaluated on model at now_ms */
    const struct whatif_params *whatif;
    int64_t now_ms;
    const char *group;   /* NULL: the whole estate */
    bool sweep_complete; /* the full sweep ended (else it timed out) */
    int64_t sweep_ms;    /* how long it took */
    uint64_t requests;   /* reads it sent */
    uint64_t failures;   /* reads that failed */
    const char *version; /* tdectl's */
};

struct report;

struct report *report_create(const struct report_input *in, char **cause);
void report_destroy(struct report *r);

enum report_status report_status(const struct report *r);
const char *report_status_name(enum report_status s); /* "OK", "WARNING", ... */
/* Findings in scope of that severity. */
size_t report_count(const struct report *r, enum health_sev sev);
/* One line: "CRITICAL: 1 critical, 2 warnings; sqlmi-prod-cus has lost key access ...". */
const char *report_summary(const struct report *r);
char *report_text(const struct report *r);
/*
 * The findings of h at min severity or worse in a group's scope (the same
 * scope as check --group): *out is a heap array of pointers into h, valid
 * until h is evaluated again. -1 and *cause for an unknown group.
 */
int report_group_findings(const struct model *m, const struct health *h, const char *group,
                          enum health_sev min, const struct health_finding ***out, size_t *n,
                          char **cause);
char *report_json(const struct report *r);

#endif
