/*
 * mimodel — how a SQL managed instance uses its two vaults (DOMAIN.md).
 *
 * Every mi_check_interval of simulated time an instance checks its TDE
 * protector in the vault that holds it (its primary vault), from its own
 * region. On an outage of that vault (unreachable from the region: faults,
 * a private endpoint that is not approved, 5xx, throttling, a timeout) it
 * uses a registered key with the same thumbprint in another vault. It does
 * not fall back when access was refused (permissions, firewall), or the key
 * or vault is deleted, disabled, expired or not yet valid: that is taken as
 * intentional. When neither works its databases turn Inaccessible
 * inaccessible_after seconds after the first failed check. If access is back
 * within heal_window of that first failure they come back heal_delay later;
 * after that only a revalidate brings them back, and the instance leaves its
 * failover group (the geo link is lost).
 *
 * With autoRotationEnabled an instance moves to the newest enabled version
 * of its protector's key rotation_pickup after that version appeared; the
 * new version is registered on the failover-group partner too, as Azure
 * pushes rotated versions to the secondary.
 *
 * For tests each instance counts, from the start of the process, the
 * databases that turned Inaccessible and the times its access went from fine
 * to lost (instance.h, shown by the control interface's GET /model).
 *
 * All functions take the world write lock's holder's view: call them with
 * the world locked exclusively.
 */
#ifndef AZSIM_MIMODEL_H
#define AZSIM_MIMODEL_H

#include <stdbool.h>
#include <stdint.h>

struct sim;
struct instance;
struct server_key;

enum probe_result { PROBE_OK, PROBE_OUTAGE, PROBE_DENIED };

struct probe {
    enum probe_result result;
    const char *code; /* Azure SQL's code for the failure, "" when OK */
};

/* Can mi reach vault/key/version (get + wrap + unwrap) from its region right now? */
struct probe mimodel_probe(struct sim *sim, const struct instance *mi, const char *vault,
                           const char *key, const char *version, int64_t now);

/*
 * Which registered key mi can unwrap with now (its protector, or on an outage
 * a same-thumbprint key in another vault); NULL with *code when none.
 */
const struct server_key *mimodel_serving_key(struct sim *sim, const struct instance *mi,
                                             int64_t now, const char **code);

/* One key check of mi at simulated time t; returns whether anything visible changed. */
bool mimodel_check(struct sim *sim, struct instance *mi, int64_t t);

/* Runs every check that is due up to now (simulated). Returns whether anything changed. */
bool mimodel_tick(struct sim *sim, int64_t now);

/*
 * The revalidate action: a check now; with access back, Inaccessible
 * databases return to Online (and an instance past the auto-heal window
 * leaves its failover group). Returns NULL, or the code of why access is
 * still not there.
 */
const char *mimodel_revalidate(struct sim *sim, struct instance *mi, int64_t now);

const char *mimodel_access_name(int access);

#endif
