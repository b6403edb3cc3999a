/*
 * fuzz_armparse — every ARM answer mapper of core/armparse.h on the same
 * input (so any seed body exercises all of them), then the error reader
 * (core/azerr.h) under a few statuses and the ARM id helpers (core/armid.h)
 * on the text itself.
 */
#include <stdlib.h>
#include <string.h>

#include "armid.h"
#include "armparse.h"
#include "azerr.h"
#include "fuzzsupport.h"
#include "model.h"

/* A page mapper's items: clean each with cleanup, free the array and the link. */
#define PAGE(fn, type, cleanup)                                        \
    do {                                                               \
        struct type *pg_items = NULL;                                  \
        size_t pg_n = 0;                                               \
        char *pg_link = NULL;                                          \
        int pg_rc = fn(body, len, &pg_items, &pg_n, &pg_link, &cause); \
        fuzz_check_cause(pg_rc, &cause);                               \
        for (size_t pg_i = 0; pg_i < pg_n; pg_i++)                     \
            cleanup(&pg_items[pg_i]);                                  \
        free(pg_items);                                                \
        free(pg_link);                                                 \
    } while (0)

/* A single-object mapper: clean the struct. */
#define ONE(fn, type, cleanup)                \
    do {                                      \
        struct type one;                      \
        memset(&one, 0, sizeof one);          \
        int rc = fn(body, len, &one, &cause); \
        fuzz_check_cause(rc, &cause);         \
        cleanup(&one);                        \
    } while (0)

static void sql_mappers(const char *body, size_t len)
{
    char *cause = NULL, *link = NULL;
    ONE(armparse_instance, model_instance, model_instance_cleanup);
    PAGE(armparse_instance_page, model_instance, model_instance_cleanup);
    ONE(armparse_server_key, model_server_key, model_server_key_cleanup);
    PAGE(armparse_server_key_page, model_server_key, model_server_key_cleanup);
    ONE(armparse_protector, model_protector, model_protector_cleanup);
    struct model_protector prot;
    memset(&prot, 0, sizeof prot);
    fuzz_check_cause(armparse_protector_page(body, len, &prot, &link, &cause), &cause);
    model_protector_cleanup(&prot);
    free(link);
    PAGE(armparse_database_page, model_database, model_database_cleanup);
    ONE(armparse_fog, model_fog, model_fog_cleanup);
    PAGE(armparse_fog_page, model_fog, model_fog_cleanup);
}

static void vault_mappers(const char *body, size_t len)
{
    char *cause = NULL, *link = NULL, *key_name = NULL, **names = NULL;
    size_t n = 0;
    ONE(armparse_vault, model_vault, model_vault_cleanup);
    PAGE(armparse_vault_page, model_vault, model_vault_cleanup);
    fuzz_check_cause(armparse_deleted_vault_page(body, len, &names, &n, &link, &cause), &cause);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(link);
    PAGE(armparse_role_page, model_role, model_role_cleanup);
    ONE(armparse_pec, model_pec, model_pec_cleanup);
    PAGE(armparse_pec_page, model_pec, model_pec_cleanup);
    struct model_policy *pol = NULL;
    fuzz_check_cause(armparse_access_policies(body, len, &pol, &n, &cause), &cause);
    for (size_t i = 0; i < n; i++)
        model_policy_cleanup(&pol[i]);
    free(pol);
    struct model_version ver;
    memset(&ver, 0, sizeof ver);
    fuzz_check_cause(armparse_vault_key(body, len, &ver, &key_name, &cause), &cause);
    model_version_cleanup(&ver);
    free(key_name);
}

static void misc_mappers(const char *body, size_t len)
{
    char *cause = NULL, *status = NULL, *location = NULL;
    ONE(armparse_pe, model_pe, model_pe_cleanup);
    PAGE(armparse_pe_page, model_pe, model_pe_cleanup);
    PAGE(armparse_subscription_page, model_subscription, model_subscription_cleanup);
    struct az_error err;
    memset(&err, 0, sizeof err);
    fuzz_check_cause(armparse_lro_status(body, len, &status, &err, &location, &cause), &cause);
    free(status);
    free(location);
    az_error_cleanup(&err);
}

static void errors(const char *body, size_t len)
{
    static const long statuses[] = {400, 404, 409, 429, 500, 0, 999};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        struct az_error e;
        memset(&e, 0, sizeof e);
        az_error_parse(statuses[i], body, len, &e);
        if (e.code == NULL || e.code[0] == '\0' || e.message == NULL)
            abort(); /* azerr.h: always a non-empty code and a message */
        if (strlen(e.message) > AZERR_MESSAGE_MAX || strlen(e.code) > AZERR_CODE_MAX)
            abort();
        char *text = az_error_text(&e);
        free(text);
        az_error_cleanup(&e);
    }
}

static void ids(const char *text)
{
    static const char *const words[] = {"subscriptions",    "resourceGroups", "providers",
                                        "managedInstances", "vaults",         "locations"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        free(armid_segment(text, words[i]));
    free(armid_last(text));
    free(armid_location(text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    sql_mappers(body, size);
    vault_mappers(body, size);
    misc_mappers(body, size);
    errors(size ? body : NULL, size);
    char *text = fuzz_text(data, size);
    ids(text);
    free(text);
    return 0;
}
