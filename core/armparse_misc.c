/* armparse, the rest: private endpoints, subscriptions, long-running operation status. */
#include "armparse.h"

#include <stdlib.h>
#include <string.h>

#include "armid.h"
#include "json.h"
#include "xmem.h"

static const char *const connection_states[] = {"Approved", "Pending", "Rejected", "Disconnected",
                                                NULL};
static const char *const lro_states[] = {"InProgress", "Succeeded", "Failed", "Canceled", NULL};

/* -- private endpoints ------------------------------------------------------------------------ */

/* The first connection: automatic ones first, then manual (approval pending) ones. */
static const cJSON *first_connection(const cJSON *e)
{
    const cJSON *auto_conns = json_array(e, "properties.privateLinkServiceConnections");
    if (auto_conns && auto_conns->child)
        return auto_conns->child;
    const cJSON *manual = json_array(e, "properties.manualPrivateLinkServiceConnections");
    return manual ? manual->child : NULL;
}

static int pe_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_pe *pe = slot;
    const char *id = json_need_id(e, where, cause);
    if (id == NULL)
        return -1;
    pe->id = xstrdup(id);
    pe->name = armid_last(id);
    pe->subscription_id = armid_segment(id, "subscriptions");
    pe->resource_group = armid_segment(id, "resourceGroups");
    pe->location = armid_location(json_str(e, "location"));
    const cJSON *c = first_connection(e);
    pe->target_id = json_dup(c, "properties.privateLinkServiceId");
    pe->status =
        json_dup_enum(c, "properties.privateLinkServiceConnectionState.status", connection_states);
    return 0;
}

static void pe_cleanup(void *slot)
{
    model_pe_cleanup(slot);
}

int armparse_pe(const char *body, size_t len, struct model_pe *out, char **cause)
{
    memset(out, 0, sizeof *out);
    return json_one(body, len, pe_item, out, NULL, cause);
}

int armparse_pe_page(const char *body, size_t len, struct model_pe **items, size_t *n,
                     char **next_link, char **cause)
{
    void *arr;
    int rc =
        json_page(body, len, sizeof **items, pe_item, pe_cleanup, NULL, &arr, n, next_link, cause);
    *items = arr;
    return rc;
}

/* -- subscriptions ---------------------------------------------------------------------------- */

static void subscription_cleanup(void *slot)
{
    model_subscription_cleanup(slot);
}

static int subscription_item(const cJSON *e, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    struct model_subscription *s = slot;
    if (json_need_object(e, "", where, cause) == NULL)
        return -1;
    s->id = json_dup(e, "subscriptionId");
    if (s->id == NULL || *s->id == '\0') {
        free(s->id);
        s->id = armid_segment(json_str(e, "id"), "subscriptions");
    }
    if (s->id == NULL) {
        json_need_str(e, "subscriptionId", where, cause);
        return -1;
    }
    s->name = json_dup(e, "displayName");
    return 0;
}

int armparse_subscription_page(const char *body, size_t len, struct model_subscription **items,
                               size_t *n, char **next_link, char **cause)
{
    void *arr;
    int rc = json_page(body, len, sizeof **items, subscription_item, subscription_cleanup, NULL,
                       &arr, n, next_link, cause);
    *items = arr;
    return rc;
}

/* -- long-running operations ------------------------------------------------------------------ */

int armparse_lro_status(const char *body, size_t len, char **status, struct az_error *error,
                        char **resource_location, char **cause)
{
    *status = NULL;
    if (error)
        memset(error, 0, sizeof *error);
    if (resource_location)
        *resource_location = NULL;
    cJSON *root = json_parse_object(body, len, cause);
    if (root == NULL || json_need_str(root, "status", "", cause) == NULL) {
        cJSON_Delete(root);
        return -1;
    }
    *status = json_dup_enum(root, "status", lro_states);
    if (*status == NULL) {
        xcause(cause, "status: empty");
        cJSON_Delete(root);
        return -1;
    }
    const cJSON *err = json_object(root, "error");
    if (error && err) {
        const char *code = json_str(err, "code"), *message = json_str(err, "message");
        az_error_from_json(200, err, error);
        if (code == NULL || *code == '\0') { /* say what happened rather than "HTTP 200" */
            xstr_set(&error->code, *status);
            if (message == NULL || *message == '\0')
                xstr_set(&error->message, "");
        }
    }
    if (resource_location)
        *resource_location = json_dup(root, "resourceLocation");
    cJSON_Delete(root);
    return 0;
}
