#include "support_breaks.h"

#include <stdlib.h>
#include <string.h>

#include "support_estate.h"
#include "xmem.h"

#define NOW            SUPPORT_NOW_MS
#define MINUTE         60000LL

#define VE(m)          support_vault(m, SUPPORT_KV_EUS2)
#define VC(m)          support_vault(m, SUPPORT_KV_CUS)
#define ME(m)          support_mi(m, SUPPORT_MI_EUS2)
#define MC(m)          support_mi(m, SUPPORT_MI_CUS)
#define PROT(m, vault) support_version(m, vault, SUPPORT_KEY_2025, SUPPORT_VER_V2)
#define ALL            (MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP)

static void brk_v01(struct model *m, bool on)
{
    VE(m)->deleted = on;
}

static void brk_v02(struct model *m, bool on)
{
    VE(m)->soft_delete = !on;
}

static void brk_v03(struct model *m, bool on)
{
    VC(m)->purge_protection = !on;
}

static void brk_v04(struct model *m, bool on)
{
    VC(m)->retention_days = on ? 7 : 90;
}

static void brk_v05(struct model *m, bool on)
{
    xstr_set(&PROT(m, SUPPORT_KV_EUS2)->recovery_level,
             on ? "Recoverable+Purgeable" : "Recoverable");
}

static void brk_v07(struct model *m, bool on)
{
    support_policy(VE(m), SUPPORT_OID_CUS)->key_perms =
        on ? MODEL_PERM_GET | MODEL_PERM_UNWRAP : ALL;
}

static void brk_v08(struct model *m, bool on)
{
    VE(m)->rbac = on;
}

static void brk_v09(struct model *m, bool on)
{
    xstr_set(&VE(m)->bypass, on ? "None" : "AzureServices");
    xstr_set(&support_pe(m, "pe-kv-tde-eus2-in-cus")->location, on ? "westus" : "centralus");
}

static void brk_v10(struct model *m, bool on)
{
    struct model_instance *mi = MC(m);
    if (on) {
        mi->uamis = xcalloc(1, sizeof *mi->uamis);
        mi->uamis[0].id = xstrdup("/uami/sqlmi-cus");
        mi->uamis[0].principal_id = xstrdup(SUPPORT_OID_CUS);
        mi->nuamis = 1;
        mi->primary_uami = xstrdup("/uami/sqlmi-cus");
        return;
    }
    free(mi->uamis[0].id);
    free(mi->uamis[0].principal_id);
    free(mi->uamis);
    mi->uamis = NULL;
    mi->nuamis = 0;
    xstr_set(&mi->primary_uami, NULL);
}

static void brk_v11(struct model *m, bool on)
{
    xstr_set(&support_pe(m, "pe-kv-tde-cus-in-eus2")->status, on ? "Pending" : "Approved");
}

static void brk_v13(struct model *m, bool on)
{
    xstr_set(&VC(m)->tenant_id, on ? "72f988bf-86f1-41af-91ab-2d7cd011db47" : SUPPORT_TENANT);
}

static void brk_v14(struct model *m, bool on)
{
    xstr_set(&VE(m)->sku, on ? "standard" : "premium");
}

static void brk_v15_fail(struct model *m, bool on)
{
    if (on)
        model_fresh_fail(m, &VE(m)->probe_fresh, NOW, CORE_ERR_TIMEOUT, 0,
                         "timeout: no answer in 10 s", NULL);
    else
        model_fresh_ok(m, &VE(m)->probe_fresh, NOW, NULL);
}

static void brk_v15_slow(struct model *m, bool on)
{
    VE(m)->probe_latency_ms = on ? 1500 : 40;
}

static void brk_v18(struct model *m, bool on)
{
    support_set_dbs(m, ME(m), on ? 501 : 3, 0, NOW);
}

static void brk_k01(struct model *m, bool on)
{
    PROT(m, SUPPORT_KV_EUS2)->enabled = !on;
}

static void brk_k02(struct model *m, bool on)
{
    PROT(m, SUPPORT_KV_CUS)->bits = on ? 4096 : 3072;
}

static void brk_k03(struct model *m, bool on)
{
    PROT(m, SUPPORT_KV_EUS2)->nbf = on ? SUPPORT_NOW_S + SUPPORT_DAY_S : 0;
}

static void brk_k05(struct model *m, bool on)
{
    PROT(m, SUPPORT_KV_EUS2)->ops = on ? MODEL_OP_WRAP : MODEL_OP_WRAP | MODEL_OP_UNWRAP;
}

static void brk_k06(struct model *m, bool on)
{
    xstr_set(
        &support_server_key(ME(m), SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2)->thumbprint,
        on ? "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD" : SUPPORT_TP_V2);
}

static void brk_k06_disabled(struct model *m, bool on)
{
    PROT(m, SUPPORT_KV_CUS)->enabled = !on;
}

static void brk_k07(struct model *m, bool on)
{
    support_version(m, SUPPORT_KV_CUS, SUPPORT_KEY_2024, SUPPORT_VER_2024)->enabled = !on;
}

static void brk_k07_unregistered(struct model *m, bool on)
{
    const char *tp = on ? "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" : SUPPORT_TP_2024;
    xstr_set(
        &support_server_key(MC(m), SUPPORT_KV_EUS2, SUPPORT_KEY_2024, SUPPORT_VER_2024)->thumbprint,
        tp);
    xstr_set(
        &support_server_key(MC(m), SUPPORT_KV_CUS, SUPPORT_KEY_2024, SUPPORT_VER_2024)->thumbprint,
        tp);
}

static void brk_k08(struct model *m, bool on)
{
    support_version(m, SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V1)->enabled = !on;
}

static void brk_k10(struct model *m, bool on)
{
    model_key(VE(m), SUPPORT_KEY_2025)->rotation.notify = !on;
}

static char *saved_principal;

static void brk_i01(struct model *m, bool on)
{
    struct model_instance *mi = MC(m);
    if (on) {
        saved_principal = mi->principal_id;
        mi->principal_id = NULL;
    } else {
        mi->principal_id = saved_principal;
    }
}

static void brk_i01_uami(struct model *m, bool on)
{
    brk_v10(m, on);
    if (on)
        xstr_set(&MC(m)->primary_uami, NULL);
}

static void brk_i02(struct model *m, bool on)
{
    xstr_set(&VC(m)->location, on ? "westus" : "centralus");
}

static void brk_i03(struct model *m, bool on)
{
    support_set_protector(m, ME(m), SUPPORT_KV_EUS2, SUPPORT_KEY_2025,
                          on ? SUPPORT_VER_V1 : SUPPORT_VER_V2, on ? SUPPORT_TP_V1 : SUPPORT_TP_V2,
                          false);
}

static void brk_i04(struct model *m, bool on)
{
    support_set_protector(m, MC(m), on ? SUPPORT_KV_EUS2 : SUPPORT_KV_CUS, SUPPORT_KEY_2025,
                          SUPPORT_VER_V2, SUPPORT_TP_V2, false);
    ME(m)->protector.auto_rotation = on;
}

static void brk_i05(struct model *m, bool on)
{
    const char *tp = on ? "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" : SUPPORT_TP_V2;
    xstr_set(
        &support_server_key(MC(m), SUPPORT_KV_EUS2, SUPPORT_KEY_2025, SUPPORT_VER_V2)->thumbprint,
        tp);
    xstr_set(
        &support_server_key(MC(m), SUPPORT_KV_CUS, SUPPORT_KEY_2025, SUPPORT_VER_V2)->thumbprint,
        tp);
}

static void brk_i06(struct model *m, bool on)
{
    support_set_dbs(m, MC(m), 3, on ? 1 : 0, NOW - 5 * MINUTE);
}

static void brk_g01(struct model *m, bool on)
{
    support_set_protector(m, MC(m), SUPPORT_KV_CUS, SUPPORT_KEY_2025,
                          on ? SUPPORT_VER_V1 : SUPPORT_VER_V2, on ? SUPPORT_TP_V1 : SUPPORT_TP_V2,
                          false);
}

static void brk_g02(struct model *m, bool on)
{
    xstr_set(&m->fogs[0]->replication_state, on ? "SUSPENDED" : "CATCH_UP");
}

static void brk_g02_seeding(struct model *m, bool on)
{
    xstr_set(&m->fogs[0]->replication_state, on ? "SEEDING" : "CATCH_UP");
}

static void brk_g03(struct model *m, bool on)
{
    memcpy(support_version(m, SUPPORT_KV_CUS, SUPPORT_KEY_2024, SUPPORT_VER_2024)->fingerprint,
           on ? "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
              : SUPPORT_FP_2024,
           MODEL_FINGERPRINT_LEN);
}

static void brk_g04(struct model *m, bool on)
{
    xstr_set(&VC(m)->default_action, on ? "Allow" : "Deny");
}

static void brk_g05(struct model *m, bool on)
{
    xstr_set(&VC(m)->location, on ? "westeurope" : "centralus");
}

static void brk_g05_sub(struct model *m, bool on)
{
    xstr_set(&VC(m)->subscription_id, on ? "other-subscription" : SUPPORT_SUB);
}

static void brk_d01(struct model *m, bool on)
{
    if (on)
        model_fresh_fail(m, &VE(m)->keys_fresh, NOW, CORE_ERR_FORBIDDEN, 403,
                         "Forbidden: the caller has no keys/list permission", "req-1");
    else
        model_fresh_ok(m, &VE(m)->keys_fresh, NOW, "req-2");
}

static const struct support_break breaks[] = {
    {"v01", brk_v01, "V01", "vault kv-tde-eus2", HEALTH_CRIT, "sqlmi-prod-eus2 (primary vault)"},
    {"v02", brk_v02, "V02", "vault kv-tde-eus2", HEALTH_CRIT, "enableSoftDelete is off"},
    {"v03", brk_v03, "V03", "vault kv-tde-cus", HEALTH_CRIT, "enablePurgeProtection is off"},
    {"v04", brk_v04, "V04", "pair fog-sql-prod", HEALTH_INFO, "kv-tde-cus 7 days"},
    {"v05", brk_v05, "V05", "key kv-tde-eus2/tde-protector-2025", HEALTH_HIGH,
     "Recoverable+Purgeable"},
    {"v07", brk_v07, "V07", "vault kv-tde-eus2", HEALTH_CRIT,
     "sqlmi-prod-cus (principal be615375...) has no wrapKey on kv-tde-eus2 (access policies; "
     "its secondary vault)"},
    {"v08", brk_v08, "V08", "vault kv-tde-eus2", HEALTH_CRIT, "from access policies to RBAC"},
    {"v09", brk_v09, "V09", "vault kv-tde-eus2", HEALTH_HIGH,
     "no approved private endpoint in centralus"},
    {"v10", brk_v10, "V10", "instance sqlmi-prod-cus", HEALTH_HIGH, "user-assigned identity"},
    {"v11", brk_v11, "V11", "vault kv-tde-cus", HEALTH_HIGH,
     "pe-kv-tde-cus-in-eus2 of kv-tde-cus in "
     "eastus2 is Pending"},
    {"v13", brk_v13, "V13", "vault kv-tde-cus", HEALTH_CRIT, "in tenant 72f988bf"},
    {"v14", brk_v14, "V14", "vault kv-tde-eus2", HEALTH_MED, "RSA-HSM in a standard vault"},
    {"v15_fail", brk_v15_fail, "V15", "vault kv-tde-eus2", HEALTH_HIGH,
     "console's path (not the instance's)"},
    {"v15_slow", brk_v15_slow, "V15", "vault kv-tde-eus2", HEALTH_MED, "1500 ms"},
    {"v18", brk_v18, "V18", "vault kv-tde-eus2", HEALTH_MED, "501 databases"},
    {"k01", brk_k01, "K01", "key kv-tde-eus2/tde-protector-2025", HEALTH_CRIT, "is disabled"},
    {"k02", brk_k02, "K02", "key kv-tde-cus/tde-protector-2025", HEALTH_HIGH,
     "RSA-HSM of 4096 bits"},
    {"k03", brk_k03, "K03", "key kv-tde-eus2/tde-protector-2025", HEALTH_HIGH,
     "not valid before 2026-01-02"},
    {"k05", brk_k05, "K05", "key kv-tde-eus2/tde-protector-2025", HEALTH_HIGH, "lack unwrapKey"},
    {"k06", brk_k06, "K06", "instance sqlmi-prod-eus2", HEALTH_CRIT,
     "kv-tde-cus holds the protector's material"},
    {"k06_disabled", brk_k06_disabled, "K06", "instance sqlmi-prod-eus2", HEALTH_CRIT,
     "is disabled"},
    {"k07", brk_k07, "K07", "instance sqlmi-prod-eus2", HEALTH_HIGH, "disabled in kv-tde-cus"},
    {"k07_unregistered", brk_k07_unregistered, "K07", "instance sqlmi-prod-eus2", HEALTH_HIGH,
     "not registered on sqlmi-prod-cus"},
    {"k08", brk_k08, "K08", "key kv-tde-eus2/tde-protector-2025", HEALTH_HIGH,
     "version b417ab04797548cab6319fcee93a5f57"},
    {"k10", brk_k10, "K10", "key kv-tde-eus2/tde-protector-2025", HEALTH_MED, "no Notify"},
    {"i01", brk_i01, "I01", "instance sqlmi-prod-cus", HEALTH_CRIT, "has no identity"},
    {"i01_uami", brk_i01_uami, "I01", "instance sqlmi-prod-cus", HEALTH_CRIT, "no primary one"},
    {"i02", brk_i02, "I02", "instance sqlmi-prod-cus", HEALTH_HIGH, "in kv-tde-cus (westus)"},
    {"i03", brk_i03, "I03", "instance sqlmi-prod-eus2", HEALTH_MED, "the latest enabled is b70b"},
    {"i04", brk_i04, "I04", "pair fog-sql-prod", HEALTH_HIGH,
     "auto-rotation is on on sqlmi-prod-eus2"},
    {"i05", brk_i05, "I05", "instance sqlmi-prod-cus", HEALTH_CRIT,
     "of sqlmi-prod-eus2's protector"},
    {"i06", brk_i06, "I06", "instance sqlmi-prod-cus", HEALTH_CRIT,
     "1 of 3 databases Inaccessible"},
    {"g01", brk_g01, "G01", "pair fog-sql-prod", HEALTH_CRIT, "sqlmi-prod-cus's B2B2B2B2..."},
    {"g02", brk_g02, "G02", "pair fog-sql-prod", HEALTH_CRIT, "SUSPENDED"},
    {"g02_seeding", brk_g02_seeding, "G02", "pair fog-sql-prod", HEALTH_HIGH,
     "cannot take over yet"},
    {"g03", brk_g03, "G03", "pair fog-sql-prod", HEALTH_HIGH, "kv-tde-cus lacks the material"},
    {"g04", brk_g04, "G04", "pair fog-sql-prod", HEALTH_MED, "network default action Deny/Allow"},
    {"g05", brk_g05, "G05", "pair fog-sql-prod", HEALTH_HIGH, "different geographies"},
    {"g05_sub", brk_g05_sub, "G05", "pair fog-sql-prod", HEALTH_HIGH, "different subscriptions"},
    {"d01", brk_d01, "D01", "vault kv-tde-eus2", HEALTH_HIGH,
     "key list: Forbidden: the caller has no keys/list permission"},
};

const struct support_break *support_breaks(size_t *n)
{
    *n = sizeof breaks / sizeof breaks[0];
    return breaks;
}

void support_break(struct model *m, const char *name, bool on)
{
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        if (strcmp(breaks[i].name, name) == 0) {
            breaks[i].set(m, on);
            return;
        }
    }
    abort(); /* a test names a break that does not exist */
}
