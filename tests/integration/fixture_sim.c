#include "fixture_sim.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

static cJSON *control_json(struct fixture *f, const char *path)
{
    char *body = NULL;
    long status = support_azsim_control(f->sim, "GET", path, NULL, &body);
    cJSON *j = status == 200 && body ? cJSON_Parse(body) : NULL;
    free(body);
    if (j == NULL)
        fail_msg("azsim's GET %s answered %ld without JSON", path, status);
    return j;
}

static void copy_str(char *dst, size_t size, const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    snprintf(dst, size, "%s", cJSON_IsString(item) ? item->valuestring : "");
}

static int64_t get_num(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(item) ? (int64_t)item->valuedouble : 0;
}

static void fill(const cJSON *mi, struct fixture_sim_mi *out)
{
    memset(out, 0, sizeof *out);
    copy_str(out->access, sizeof out->access, mi, "access");
    copy_str(out->serving, sizeof out->serving, mi, "serving");
    copy_str(out->last_error, sizeof out->last_error, mi, "last_error");
    out->lost_since = get_num(mi, "lost_since");
    out->next_check = get_num(mi, "next_check");
    out->revalidate_needed =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mi, "revalidate_needed"));
    /* Server key names are {vault}_{key}_{version}; vault names hold no '_'. */
    const char *us = strchr(out->serving, '_');
    if (us)
        snprintf(out->vault, sizeof out->vault, "%.*s", (int)(us - out->serving), out->serving);
    const cJSON *db;
    cJSON_ArrayForEach(db, cJSON_GetObjectItemCaseSensitive(mi, "databases"))
    {
        char status[32];
        copy_str(status, sizeof status, db, "status");
        out->ndbs++;
        out->online += strcmp(status, "Online") == 0;
        out->inaccessible += strcmp(status, "Inaccessible") == 0;
    }
}

void fixture_sim_mi(struct fixture *f, const char *instance, struct fixture_sim_mi *out)
{
    cJSON *model = control_json(f, "/model");
    const cJSON *mi;
    bool found = false;
    cJSON_ArrayForEach(mi, cJSON_GetObjectItemCaseSensitive(model, "instances"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(mi, "name");
        if (cJSON_IsString(name) && strcmp(name->valuestring, instance) == 0) {
            fill(mi, out);
            found = true;
            break;
        }
    }
    cJSON_Delete(model);
    if (!found)
        fail_msg("azsim's model has no instance %s", instance);
}

int64_t fixture_sim_now(struct fixture *f)
{
    cJSON *clock = control_json(f, "/clock");
    int64_t now = get_num(clock, "now");
    cJSON_Delete(clock);
    if (now <= 0)
        fail_msg("azsim's clock says nothing");
    return now;
}

/* True when every instance has access and no database is Inaccessible. */
static bool all_healthy(struct fixture *f)
{
    cJSON *model = control_json(f, "/model");
    bool ok = true;
    const cJSON *mi;
    cJSON_ArrayForEach(mi, cJSON_GetObjectItemCaseSensitive(model, "instances"))
    {
        struct fixture_sim_mi s;
        fill(mi, &s);
        ok = ok && strcmp(s.access, "ok") == 0 && s.inaccessible == 0;
    }
    cJSON_Delete(model);
    return ok;
}

void fixture_sim_heal(struct fixture *f)
{
    fixture_clear(f, NULL);
    /* Access back at the next check, databases Online a heal delay later: a few checks. */
    for (int i = 0; i < 4 && !all_healthy(f); i++)
        fixture_advance(f, 600);
    if (!all_healthy(f))
        fail_msg("azsim's instances did not heal after the faults were cleared");
}
