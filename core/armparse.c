/* armparse, Microsoft.Sql part: managed instances, keys, protector, databases, failover groups. */
#include "armparse.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armid.h"
#include "json.h"
#include "oplock.h"
#include "xmem.h"

static const char *const key_types[] = {"AzureKeyVault", "ServiceManaged", NULL};
static const char *const identity_types[] = {"None", "SystemAssigned", "UserAssigned",
                                             "SystemAssigned,UserAssigned", NULL};
static const char *const instance_states[] = {
    "Ready",   "Creating", "Deleting", "Updating", "Unknown",      "Restoring", "Stopping",
    "Stopped", "Starting", "Failed",   "Disabled", "Inaccessible", NULL};
static const char *const db_statuses[] = {"Online",    "Inaccessible", "Offline", "Creating",
                                          "Restoring", "Shutdown",     "Stopped", NULL};
static const char *const failover_policies[] = {"Automatic", "Manual", NULL};

/* serverKeyType, else the resource kind ("azurekeyvault" / "servicemanaged"). */
static char *key_type(const cJSON *e)
{
    char *type = json_dup_enum(e, "properties.serverKeyType", key_types);
    return type ? type : json_dup_enum(e, "kind", key_types);
}

/* -- managed instances ------------------------------------------------------------------------ */

static void read_uamis(const cJSON *e, struct model_instance *mi)
{
    const cJSON *map = json_object(e, "identity.userAssignedIdentities"), *u;
    size_t count = (size_t)cJSON_GetArraySize(map); /* members of an object too */
    if (count == 0)
        return;
    mi->uamis = xcalloc(count, sizeof *mi->uamis);
    cJSON_ArrayForEach(u, map)
    {
        if (u->string == NULL || *u->string == '\0')
            continue;
        struct model_uami *m = &mi->uamis[mi->nuamis++];
        m->id = xstrdup(u->string);
        m->principal_id = json_dup(u, "principalId");
        m->client_id = json_dup(u, "clientId");
    }
}

/* The operator lock tags (core/oplock), so every console of the estate shows who holds it. */
static void read_lock(const cJSON *e, struct model_instance *mi)
{
    struct oplock l;
    int rc = oplock_parse(cJSON_GetObjectItemCaseSensitive(e, "tags"), &l, NULL);
    if (rc < 0) {
        mi->lock_bad = true;
    } else if (rc == 1) {
        mi->lock_owner = xstrdup(l.owner);
        mi->lock_reason = xstrdup(l.reason);
        mi->lock_op = xstrdup(l.op);
        mi->lock_expires = l.expires;
    }
}

static int instance_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_instance *mi = slot;
    const char *id = json_need_id(e, where, cause);
    if (id == NULL)
        return -1;
    mi->id = xstrdup(id);
    mi->name = armid_last(id);
    mi->subscription_id = armid_segment(id, "subscriptions");
    mi->resource_group = armid_segment(id, "resourceGroups");
    mi->location = armid_location(json_str(e, "location"));
    mi->state = json_dup_enum(e, "properties.state", instance_states);
    mi->identity_type = json_dup_enum(e, "identity.type", identity_types);
    mi->principal_id = json_dup(e, "identity.principalId");
    mi->tenant_id = json_dup(e, "identity.tenantId");
    mi->primary_uami = json_dup(e, "properties.primaryUserAssignedIdentityId");
    read_uamis(e, mi);
    read_lock(e, mi);
    return 0;
}

static void instance_cleanup(void *slot)
{
    model_instance_cleanup(slot);
}

int armparse_instance(const char *body, size_t len, struct model_instance *out, char **cause)
{
    memset(out, 0, sizeof *out);
    int rc = json_one(body, len, instance_item, out, NULL, cause);
    if (rc < 0)
        model_instance_cleanup(out);
    return rc;
}

int armparse_instance_page(const char *body, size_t len, struct model_instance **items, size_t *n,
                           char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, instance_item, instance_cleanup, NULL, &arr, n,
                       next_link, cause);
    *items = arr;
    return rc;
}

/* -- registered keys -------------------------------------------------------------------------- */

static int server_key_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_server_key *k = slot;
    const char *id = json_need_id(e, where, cause);
    if (id == NULL)
        return -1;
    k->name = armid_last(id);
    k->type = key_type(e);
    k->uri = model_uri_normalise(json_str(e, "properties.uri"));
    k->thumbprint = json_dup_upper(e, "properties.thumbprint");
    int64_t t;
    if (json_parse_iso8601(json_str(e, "properties.creationDate"), &t) == 0)
        k->created = t;
    k->auto_rotation = json_bool(e, "properties.autoRotationEnabled", false);
    if (k->name == NULL) {
        xcause(cause, "%s%sid: no name", where, *where ? "." : "");
        model_server_key_cleanup(k);
        return -1;
    }
    return 0;
}

static void server_key_cleanup(void *slot)
{
    model_server_key_cleanup(slot);
}

int armparse_server_key(const char *body, size_t len, struct model_server_key *out, char **cause)
{
    memset(out, 0, sizeof *out);
    return json_one(body, len, server_key_item, out, NULL, cause);
}

int armparse_server_key_page(const char *body, size_t len, struct model_server_key **items,
                             size_t *n, char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, server_key_item, server_key_cleanup, NULL, &arr,
                       n, next_link, cause);
    *items = arr;
    return rc;
}

/* -- encryption protector --------------------------------------------------------------------- */

static int protector_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_protector *p = slot;
    if (json_need_object(e, "", where, cause) == NULL)
        return -1;
    const char *name = json_need_str(e, "properties.serverKeyName", where, cause);
    if (name == NULL)
        return -1;
    p->server_key_name = xstrdup(name);
    p->type = key_type(e);
    p->uri = model_uri_normalise(json_str(e, "properties.uri"));
    p->thumbprint = json_dup_upper(e, "properties.thumbprint");
    p->auto_rotation = json_bool(e, "properties.autoRotationEnabled", false);
    return 0;
}

static void protector_cleanup(void *slot)
{
    model_protector_cleanup(slot);
}

int armparse_protector(const char *body, size_t len, struct model_protector *out, char **cause)
{
    memset(out, 0, sizeof *out);
    return json_one(body, len, protector_item, out, NULL, cause);
}

int armparse_protector_page(const char *body, size_t len, struct model_protector *out,
                            char **next_link, char **cause)
{
    void *arr;
    size_t n;
    memset(out, 0, sizeof *out);
    if (json_page(body, len, sizeof *out, protector_item, protector_cleanup, NULL, &arr, &n,
                  next_link, cause) < 0)
        return -1;
    struct model_protector *items = arr;
    if (n == 0) {
        xcause(cause, "value: no encryption protector");
        if (next_link) {
            free(*next_link);
            *next_link = NULL;
        }
        return -1;
    }
    *out = items[0];
    for (size_t i = 1; i < n; i++)
        model_protector_cleanup(&items[i]);
    free(items);
    return 0;
}

/* -- databases -------------------------------------------------------------------------------- */

static int database_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_database *d = slot;
    if (json_need_object(e, "", where, cause) == NULL)
        return -1;
    d->name = armid_last(json_str(e, "id"));
    if (d->name == NULL) {
        const char *name = json_need_str(e, "name", where, cause);
        if (name == NULL)
            return -1;
        d->name = xstrdup(name);
    }
    d->status = json_dup_enum(e, "properties.status", db_statuses);
    return 0;
}

static void database_cleanup(void *slot)
{
    model_database_cleanup(slot);
}

int armparse_database_page(const char *body, size_t len, struct model_database **items, size_t *n,
                           char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, database_item, database_cleanup, NULL, &arr, n,
                       next_link, cause);
    *items = arr;
    return rc;
}

/* -- instance failover groups ----------------------------------------------------------------- */

/* Which region holds the primary role: from this view's role, else from the partner's. */
static void fog_locations(const cJSON *e, const char *here, struct model_fog *fg)
{
    const cJSON *partner = json_array(e, "properties.partnerRegions");
    partner = partner ? partner->child : NULL;
    const char *role = json_str(e, "properties.replicationRole");
    const char *partner_role = json_str(partner, "replicationRole");
    char *there = armid_location(json_str(partner, "location"));
    int here_primary = -1;
    if (role && (strcasecmp(role, "Primary") == 0 || strcasecmp(role, "Secondary") == 0))
        here_primary = strcasecmp(role, "Primary") == 0;
    else if (partner_role && strcasecmp(partner_role, "Secondary") == 0)
        here_primary = 1;
    else if (partner_role && strcasecmp(partner_role, "Primary") == 0)
        here_primary = 0;
    if (here_primary >= 0) {
        fg->primary_location = here_primary ? xstrdup_or_null(here) : xstrdup_or_null(there);
        fg->secondary_location = here_primary ? xstrdup_or_null(there) : xstrdup_or_null(here);
    }
    free(there);
}

static int fog_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_fog *fg = slot;
    const char *id = json_need_id(e, where, cause);
    if (id == NULL)
        return -1;
    fg->name = armid_last(id);
    fg->subscription_id = armid_segment(id, "subscriptions");
    fg->resource_group = armid_segment(id, "resourceGroups");
    if (fg->name == NULL || fg->subscription_id == NULL || fg->resource_group == NULL) {
        xcause(cause, "%s%sid: not a failover group id", where, *where ? "." : "");
        model_fog_cleanup(fg);
        return -1;
    }
    fg->id = xasprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/"
                       "instanceFailoverGroups/%s",
                       fg->subscription_id, fg->resource_group, fg->name);
    char *loc = armid_segment(id, "locations"), *here = armid_location(loc);
    fog_locations(e, here, fg);
    free(loc);
    free(here);
    const cJSON *pairs = json_array(e, "properties.managedInstancePairs");
    const cJSON *pair = pairs ? pairs->child : NULL;
    fg->primary_id = json_dup(pair, "primaryManagedInstanceId");
    fg->secondary_id = json_dup(pair, "partnerManagedInstanceId");
    fg->replication_state = json_dup(e, "properties.replicationState");
    fg->failover_policy =
        json_dup_enum(e, "properties.readWriteEndpoint.failoverPolicy", failover_policies);
    int64_t grace = json_int64_or(e,
                                  "properties.readWriteEndpoint."
                                  "failoverWithDataLossGracePeriodMinutes",
                                  0);
    fg->grace_minutes = grace > 0 && grace <= INT32_MAX ? (int)grace : 0;
    return 0;
}

static void fog_cleanup(void *slot)
{
    model_fog_cleanup(slot);
}

int armparse_fog(const char *body, size_t len, struct model_fog *out, char **cause)
{
    memset(out, 0, sizeof *out);
    return json_one(body, len, fog_item, out, NULL, cause);
}

int armparse_fog_page(const char *body, size_t len, struct model_fog **items, size_t *n,
                      char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, fog_item, fog_cleanup, NULL, &arr, n, next_link,
                       cause);
    *items = arr;
    return rc;
}
