/* The practice drills of `tdectl --demo` (demo.h): a table of azsim fault specs. */
#include "demo.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "xmem.h"

/* What azsim's fault ids ("f12") are made of. */
#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

/* The demo's current TDE protector version (both vaults hold it: restored copies). */
#define PROTECTOR_V2 "b70b487d725c442b8df2ba78d8564211"

static const struct demo_drill drills[] = {
    {"vault-outage-eus2",
     "Vault outage: kv-tde-eus2 unreachable",
     "kv-tde-eus2 turns unreachable; sqlmi-prod-eus2 keeps its databases Online on the "
     "protector's copy in kv-tde-cus (secondary) after its next check.",
     {"{\"kind\":\"refused\",\"target\":\"vault:kv-tde-eus2\"}"}},
    {"vault-outage-cus",
     "Vault outage: kv-tde-cus unreachable",
     "kv-tde-cus turns unreachable; sqlmi-prod-cus keeps its databases Online on the "
     "protector's copy in kv-tde-eus2 (secondary) after its next check.",
     {"{\"kind\":\"refused\",\"target\":\"vault:kv-tde-cus\"}"}},
    {"vault-outage-both",
     "Vault outage: both vaults unreachable",
     "Neither instance reaches a copy of its protector: key access is lost at the next "
     "check and databases turn Inaccessible 10 simulated minutes later.",
     {"{\"kind\":\"refused\",\"target\":\"vault:kv-tde-eus2\"}",
      "{\"kind\":\"refused\",\"target\":\"vault:kv-tde-cus\"}"}},
    {"vault-path-eus2",
     "Network path: kv-tde-eus2 unreachable from East US 2 only",
     "The console still reaches kv-tde-eus2, but sqlmi-prod-eus2 cannot "
     "(AzureKeyVaultConnectionFailed) and serves from kv-tde-cus: the fault is on its path.",
     {"{\"kind\":\"refused\",\"target\":\"vault:kv-tde-eus2@eastus2\"}"}},
    {"pe-disconnected-eus2",
     "Private endpoint disconnected: pe-kv-tde-eus2-in-eus2",
     "The endpoint's connection shows Disconnected; sqlmi-prod-eus2 loses its path to "
     "kv-tde-eus2 and serves from kv-tde-cus (secondary).",
     {"{\"kind\":\"pe-state\",\"pe\":\"pe-kv-tde-eus2-in-eus2\",\"status\":\"Disconnected\"}"}},
    {"key-expired-eus2",
     "Expired key: the protector version in kv-tde-eus2",
     "tde-protector-2025's current version shows expired; sqlmi-prod-eus2 refuses it "
     "(AzureKeyVaultInvalidExpirationDate) without falling back and loses its databases.",
     {"{\"kind\":\"key-expire\",\"vault\":\"kv-tde-eus2\",\"key\":\"tde-protector-2025\","
      "\"version\":\"" PROTECTOR_V2 "\"}"}},
    {"key-disabled-eus2",
     "Disabled key: the protector version in kv-tde-eus2",
     "tde-protector-2025's current version shows disabled; sqlmi-prod-eus2 refuses it "
     "(AzureKeyVaultKeyDisabled) without falling back and loses its databases.",
     {"{\"kind\":\"key-disable\",\"vault\":\"kv-tde-eus2\",\"key\":\"tde-protector-2025\","
      "\"version\":\"" PROTECTOR_V2 "\"}"}},
    {"key-deleted-eus2",
     "Deleted key: tde-protector-2025 soft-deleted in kv-tde-eus2",
     "The protector moves to kv-tde-eus2's deleted keys (recoverable); sqlmi-prod-eus2 "
     "loses access (AkvKeyDeleted) until the key is recovered.",
     {"{\"kind\":\"key-delete\",\"vault\":\"kv-tde-eus2\",\"key\":\"tde-protector-2025\"}"}},
    {"access-revoked-eus2",
     "Revoked access: sqlmi-prod-eus2's identity on kv-tde-eus2",
     "The instance identity's access policy is gone from kv-tde-eus2; the instance refuses "
     "(AzureKeyVaultMissingPermissions), does not fall back, and loses its databases.",
     {"{\"kind\":\"revoke\",\"vault\":\"kv-tde-eus2\",\"principal\":\"sqlmi-eus2\"}"}},
    {"rbac-flip-eus2",
     "Permission model flipped: kv-tde-eus2 moved to Azure RBAC",
     "kv-tde-eus2's access policies stop counting: the console's key reads are refused and "
     "sqlmi-prod-eus2 loses access (AkvKeyOperationNotAllowedByRBAC).",
     {"{\"kind\":\"rbac-flip\",\"vault\":\"kv-tde-eus2\"}"}},
    {"vault-deleted-cus",
     "Deleted vault: kv-tde-cus soft-deleted",
     "kv-tde-cus shows among deleted vaults; sqlmi-prod-cus loses its protector (AkvKeyDNS) "
     "and sqlmi-prod-eus2 its secondary copy.",
     {"{\"kind\":\"vault-delete\",\"vault\":\"kv-tde-cus\"}"}},
    {"vault-read-only-eus2",
     "Key Vault regional failover: kv-tde-eus2 read-only",
     "Reads of kv-tde-eus2 work but changes (rotate, create, update) fail with 503; the "
     "instances keep their key access.",
     {"{\"kind\":\"read-only\",\"vault\":\"kv-tde-eus2\"}"}},
    {"throttle-vault-eus2",
     "Throttling: kv-tde-eus2 answers 429",
     "The console's requests to kv-tde-eus2 get 429 with Retry-After 10 s: it backs off, "
     "shows the vault throttled and keeps its last data, marked stale.",
     {"{\"kind\":\"throttle\",\"target\":\"vault:kv-tde-eus2@console\",\"rate\":1,"
      "\"retry_after\":10}"}},
    {"throttle-arm",
     "Throttling: Resource Manager answers 429",
     "ARM requests get 429 with Retry-After 20 s: the console slows its polling, shows ARM "
     "throttled and keeps instance and vault details, marked stale.",
     {"{\"kind\":\"throttle\",\"target\":\"arm\",\"rate\":1,\"retry_after\":20}"}},
    {"slow-vault-cus",
     "Slow vault: kv-tde-cus answers after 3-5 s",
     "Requests to kv-tde-cus take 3 to 5 seconds: the console stays responsive and shows "
     "the refresh in progress; the instances are unaffected.",
     {"{\"kind\":\"latency\",\"target\":\"vault:kv-tde-cus\",\"ms\":4000,\"jitter_ms\":1000}"}},
    {"entra-outage",
     "Sign-in outage: Entra ID answers 503",
     "Token requests fail with 503: the console works on with the tokens it holds and, when "
     "one needs renewing, shows sign-in failing while keeping its last data.",
     {"{\"kind\":\"error\",\"target\":\"login\",\"status\":503,\"rate\":1,"
      "\"retry_after\":5}"}},
};

const struct demo_drill *demo_drills(size_t *n)
{
    if (n)
        *n = sizeof drills / sizeof drills[0];
    return drills;
}

const struct demo_drill *demo_drill_find(const char *id)
{
    for (size_t i = 0; id && i < sizeof drills / sizeof drills[0]; i++) {
        if (strcmp(drills[i].id, id) == 0)
            return &drills[i];
    }
    return NULL;
}

/* Posts one fault spec; its id (heap) or NULL. */
static char *add_fault(struct demo *d, const char *spec, char **cause)
{
    char *body = demo_control(d, "POST", "/faults", spec, 201, cause);
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    char *out = NULL;
    if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) < 32 &&
        strspn(id->valuestring, ID_CHARS) == strlen(id->valuestring))
        out = xstrdup(id->valuestring); /* it goes into a URL path, through demo_clear */
    if (body && out == NULL)
        xcause(cause, "azsim added a fault but gave no usable id");
    cJSON_Delete(j);
    free(body);
    return out;
}

int demo_drill_start(struct demo *d, const struct demo_drill *dr, char **fault_id, char **cause)
{
    if (fault_id)
        *fault_id = NULL;
    if (d == NULL || dr == NULL || dr->specs[0] == NULL) {
        xcause(cause, "no demo or no drill");
        return -1;
    }
    char *ids = NULL;
    for (size_t i = 0; i < DEMO_DRILL_MAX_FAULTS && dr->specs[i]; i++) {
        char *id = add_fault(d, dr->specs[i], cause);
        if (id == NULL) {
            if (ids)
                demo_clear(d, ids, NULL); /* all or nothing */
            free(ids);
            return -1;
        }
        char *joined = ids ? xasprintf("%s,%s", ids, id) : xstrdup(id);
        free(ids);
        free(id);
        ids = joined;
    }
    if (fault_id)
        *fault_id = ids;
    else
        free(ids);
    return 0;
}
