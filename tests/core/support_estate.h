/*
 * support_estate — a healthy estate built in memory for the health, estate
 * and what-if tests, shaped like azsim's demo scenario: failover group
 * fog-sql-prod with sqlmi-prod-eus2 (primary, eastus2) and sqlmi-prod-cus
 * (secondary, centralus); premium vaults kv-tde-eus2 and kv-tde-cus holding
 * the same three materials (tde-protector-2024 one version; tde-protector-2025
 * two versions, the newer the protector), every copy registered on both
 * instances with one thumbprint per material; private endpoints of both
 * vaults approved in both regions; access policies granting both identities
 * get/wrapKey/unwrapKey; every part read successfully at SUPPORT_NOW_MS.
 *
 * Each test breaks one thing in the returned model and puts it back.
 */
#ifndef TDECTL_SUPPORT_ESTATE_H
#define TDECTL_SUPPORT_ESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define SUPPORT_NOW_MS   1767225600000LL /* 2026-01-01T00:00:00Z */
#define SUPPORT_NOW_S    (SUPPORT_NOW_MS / 1000)
#define SUPPORT_DAY_S    86400LL

#define SUPPORT_TENANT   "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
#define SUPPORT_SUB      "558aba93-77f9-4064-aa55-4db325ca1cbf"
#define SUPPORT_OID_EUS2 "259d9b89-4759-4bf9-ba57-f3cd9039aabb"
#define SUPPORT_OID_CUS  "be615375-6de3-4643-bb93-15fa235655df"

#define SUPPORT_KV_EUS2  "kv-tde-eus2"
#define SUPPORT_KV_CUS   "kv-tde-cus"
#define SUPPORT_MI_EUS2  "sqlmi-prod-eus2"
#define SUPPORT_MI_CUS   "sqlmi-prod-cus"
#define SUPPORT_FOG      "fog-sql-prod"
#define SUPPORT_KEY_2024 "tde-protector-2024"
#define SUPPORT_KEY_2025 "tde-protector-2025"
#define SUPPORT_VER_2024 "be840004f7614e71a52746bd5d8bd374"
#define SUPPORT_VER_V1   "b417ab04797548cab6319fcee93a5f57"
#define SUPPORT_VER_V2   "b70b487d725c442b8df2ba78d8564211"

/* SQL thumbprints (40 upper-case hex) and tdectl fingerprints (64 lower-case hex). */
#define SUPPORT_TP_2024 "A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1"
#define SUPPORT_TP_V1   "B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2"
#define SUPPORT_TP_V2   "C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3"
#define SUPPORT_FP_2024 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define SUPPORT_FP_V1   "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define SUPPORT_FP_V2   "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"

/* The healthy estate; key2025 names the two-version key (NULL: SUPPORT_KEY_2025). */
struct model *support_estate(const char *key2025);

/* Shortcuts into it (abort the test's expectations by returning NULL when absent). */
struct model_vault *support_vault(struct model *m, const char *name);
struct model_instance *support_mi(struct model *m, const char *name);
struct model_version *support_version(struct model *m, const char *vault, const char *key,
                                      const char *version);
struct model_pe *support_pe(struct model *m, const char *name);
struct model_policy *support_policy(struct model_vault *v, const char *object_id);
/* The registered key of mi from vault/key/version. */
struct model_server_key *support_server_key(struct model_instance *mi, const char *vault,
                                            const char *key, const char *version);

/* Key URI https://{vault}.vault.azure.net/keys/{key}/{version} (heap). */
char *support_key_uri(const char *vault, const char *key, const char *version);

/* Sets mi's protector to vault/key/version with that thumbprint (through model_set_protector). */
void support_set_protector(struct model *m, struct model_instance *mi, const char *vault,
                           const char *key, const char *version, const char *thumbprint,
                           bool auto_rotation);

/* Sets mi's databases: n of them, the first `inaccessible` Inaccessible, seen at now_ms. */
void support_set_dbs(struct model *m, struct model_instance *mi, size_t n, size_t inaccessible,
                     int64_t now_ms);

#endif
