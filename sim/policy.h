/*
 * policy — key rotation policies and the ISO 8601 durations they are written in.
 *
 * Rules enforced on PUT, as the service documents them: expiryTime at least
 * P28D; timeAfterCreate at least P7D; timeBeforeExpiry at least P7D and at most
 * expiryTime minus P7D; each action has exactly one trigger; at most one Rotate
 * and one Notify action. Durations keep the caller's spelling (P90D stays
 * P90D); for arithmetic a year is 365 days and a month 30 days.
 *
 * A key that never had a policy answers with the service default: one Notify
 * action 30 days before expiry and "attributes": null, without an id.
 */
#ifndef AZSIM_POLICY_H
#define AZSIM_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define POLICY_ACTIONS_MAX 2
#define POLICY_DURATION    24

struct lifetime_action {
    bool rotate;       /* else Notify */
    bool after_create; /* timeAfterCreate, else timeBeforeExpiry */
    char duration[POLICY_DURATION];
    int64_t seconds;
};

struct rotation_policy {
    bool set; /* false: the service default applies */
    struct lifetime_action actions[POLICY_ACTIONS_MAX];
    int nactions;
    char expiry[POLICY_DURATION]; /* "" when not set */
    int64_t expiry_seconds;
    int64_t created, updated;
};

/* "P90D", "P1Y2M", "P2W", "PT36H" ... -> seconds. -1 when malformed or zero. */
int64_t iso_duration_seconds(const char *text);

/*
 * Parses and validates a KeyRotationPolicy body into *out (set = true, the
 * timestamps left to the caller). Returns 0, or -1 with *cause for a 400.
 */
int policy_from_json(const cJSON *body, struct rotation_policy *out, char **cause);

/* The policy as Key Vault returns it; id_url is used only for a set policy. */
cJSON *policy_to_json(const struct rotation_policy *policy, const char *id_url);

/*
 * When a Rotate action is due for a key whose latest version was created at
 * `created` and expires at `exp` (0 = never): the due time (simulated Unix
 * seconds), or 0 when the policy never rotates this key.
 */
int64_t policy_rotation_due(const struct rotation_policy *policy, int64_t created, int64_t exp);

#endif
