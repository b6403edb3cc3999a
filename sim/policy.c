#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xmem.h"

#define DAY (24 * 3600)

int64_t iso_duration_seconds(const char *text)
{
    static const struct {
        char unit;
        int64_t seconds;
    } date_units[] = {{'Y', 365 * DAY}, {'M', 30 * DAY}, {'W', 7 * DAY}, {'D', DAY}},
      time_units[] = {{'H', 3600}, {'M', 60}, {'S', 1}};

    if (text == NULL || text[0] != 'P' || text[1] == '\0')
        return -1;
    const char *p = text + 1;
    int64_t total = 0;
    bool in_time = false;
    size_t next_unit = 0; /* units must appear in order, each at most once */
    while (*p) {
        if (*p == 'T' && !in_time) {
            in_time = true;
            next_unit = 0;
            p++;
            if (*p == '\0')
                return -1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return -1;
        int64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p - '0');
            if (n > 100000)
                return -1;
            p++;
        }
        size_t count = in_time ? 3 : 4;
        size_t i = next_unit;
        while (i < count && (in_time ? time_units[i].unit : date_units[i].unit) != *p)
            i++;
        if (i == count)
            return -1;
        total += n * (in_time ? time_units[i].seconds : date_units[i].seconds);
        next_unit = i + 1;
        p++;
    }
    return total > 0 ? total : -1;
}

static int parse_duration(const cJSON *item, const char *what, char *out, int64_t *seconds,
                          char **cause)
{
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= POLICY_DURATION ||
        (*seconds = iso_duration_seconds(item->valuestring)) < 0) {
        xcause(cause, "Invalid %s: expected an ISO 8601 duration such as P90D", what);
        return -1;
    }
    snprintf(out, POLICY_DURATION, "%s", item->valuestring);
    return 0;
}

static int parse_action(const cJSON *json, struct lifetime_action *a, char **cause)
{
    const cJSON *trigger = cJSON_GetObjectItemCaseSensitive(json, "trigger");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(json, "action");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
    if (!cJSON_IsObject(trigger) || !cJSON_IsString(type)) {
        xcause(cause, "Each lifetime action needs a trigger and an action type");
        return -1;
    }
    if (strcasecmp(type->valuestring, "rotate") == 0)
        a->rotate = true;
    else if (strcasecmp(type->valuestring, "notify") == 0)
        a->rotate = false;
    else {
        xcause(cause, "Invalid action type '%s': expected Rotate or Notify", type->valuestring);
        return -1;
    }
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(trigger, "timeAfterCreate");
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(trigger, "timeBeforeExpiry");
    bool has_after = after && !cJSON_IsNull(after);
    bool has_before = before && !cJSON_IsNull(before);
    if (has_after == has_before) {
        xcause(cause, "A trigger must have exactly one of timeAfterCreate and timeBeforeExpiry");
        return -1;
    }
    a->after_create = has_after;
    return parse_duration(has_after ? after : before,
                          has_after ? "timeAfterCreate" : "timeBeforeExpiry", a->duration,
                          &a->seconds, cause);
}

static int check_limits(const struct rotation_policy *p, char **cause)
{
    if (p->expiry[0] && p->expiry_seconds < 28 * DAY) {
        xcause(cause, "expiryTime must be at least 28 days (P28D)");
        return -1;
    }
    int rotates = 0, notifies = 0;
    for (int i = 0; i < p->nactions; i++) {
        const struct lifetime_action *a = &p->actions[i];
        rotates += a->rotate;
        notifies += !a->rotate;
        if (a->seconds < 7 * DAY) {
            xcause(cause, "%s must be at least 7 days (P7D)",
                   a->after_create ? "timeAfterCreate" : "timeBeforeExpiry");
            return -1;
        }
        if (!a->after_create && p->expiry[0] && a->seconds > p->expiry_seconds - 7 * DAY) {
            xcause(cause, "timeBeforeExpiry must be at most expiryTime minus 7 days");
            return -1;
        }
    }
    if (rotates > 1 || notifies > 1) {
        xcause(cause, "A policy may have at most one Rotate and one Notify action");
        return -1;
    }
    return 0;
}

int policy_from_json(const cJSON *body, struct rotation_policy *out, char **cause)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(body)) {
        xcause(cause, "The rotation policy must be a JSON object");
        return -1;
    }
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(body, "lifetimeActions");
    if (actions && !cJSON_IsNull(actions)) {
        if (!cJSON_IsArray(actions) || cJSON_GetArraySize(actions) > POLICY_ACTIONS_MAX) {
            xcause(cause, "lifetimeActions must be an array of at most %d actions",
                   POLICY_ACTIONS_MAX);
            return -1;
        }
        const cJSON *item;
        cJSON_ArrayForEach(item, actions)
        {
            if (parse_action(item, &out->actions[out->nactions], cause) < 0)
                return -1;
            out->nactions++;
        }
    }
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
    const cJSON *expiry = cJSON_GetObjectItemCaseSensitive(attrs, "expiryTime");
    if (attrs && !cJSON_IsNull(attrs) && !cJSON_IsObject(attrs)) {
        xcause(cause, "attributes must be an object");
        return -1;
    }
    if (expiry && !cJSON_IsNull(expiry) &&
        parse_duration(expiry, "expiryTime", out->expiry, &out->expiry_seconds, cause) < 0)
        return -1;
    if (check_limits(out, cause) < 0)
        return -1;
    out->set = true;
    return 0;
}

cJSON *policy_to_json(const struct rotation_policy *policy, const char *id_url)
{
    cJSON *json = cJSON_CreateObject();
    if (!policy->set) {
        cJSON *actions = cJSON_AddArrayToObject(json, "lifetimeActions");
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "trigger"), "timeBeforeExpiry", "P30D");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "action"), "type", "Notify");
        cJSON_AddItemToArray(actions, a);
        cJSON_AddNullToObject(json, "attributes");
        return json;
    }
    cJSON_AddStringToObject(json, "id", id_url);
    cJSON *actions = cJSON_AddArrayToObject(json, "lifetimeActions");
    for (int i = 0; i < policy->nactions; i++) {
        const struct lifetime_action *la = &policy->actions[i];
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "trigger"),
                                la->after_create ? "timeAfterCreate" : "timeBeforeExpiry",
                                la->duration);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "action"), "type",
                                la->rotate ? "Rotate" : "Notify");
        cJSON_AddItemToArray(actions, a);
    }
    cJSON *attrs = cJSON_AddObjectToObject(json, "attributes");
    if (policy->expiry[0])
        cJSON_AddStringToObject(attrs, "expiryTime", policy->expiry);
    cJSON_AddNumberToObject(attrs, "created", (double)policy->created);
    cJSON_AddNumberToObject(attrs, "updated", (double)policy->updated);
    return json;
}

int64_t policy_rotation_due(const struct rotation_policy *policy, int64_t created, int64_t exp)
{
    if (!policy->set)
        return 0;
    for (int i = 0; i < policy->nactions; i++) {
        const struct lifetime_action *a = &policy->actions[i];
        if (!a->rotate)
            continue;
        if (a->after_create)
            return created + a->seconds;
        if (exp != 0)
            return exp - a->seconds;
    }
    return 0;
}
