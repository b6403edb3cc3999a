/* rotplan — the plan as text and as the journal's JSON (see rotplan.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rotplan.h"
#include "xmem.h"

static void stamp(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

static char *side_text(const struct rot_side *s, const char *role)
{
    return xasprintf("  %-9s %s (%s): own vault %s, protector %s\n", role, s->instance, s->region,
                     s->vault, s->prev_key[0] ? s->prev_key : "service-managed");
}

char *rotplan_text(const struct rot_plan *p)
{
    char exp[32], planned[32];
    stamp(p->exp, exp, sizeof exp);
    stamp(p->planned, planned, sizeof planned);
    char *pri = side_text(&p->pri, "primary"), *sec = side_text(&p->sec, "secondary");
    char *steps = wizard_plan_text(&p->w);
    char *out = xasprintf(
        "Rotation of the TDE protector of %s (origin: %s), planned %s\n%s%s"
        "  new key   %s, %s %d, expires %s%s%s\n"
        "  rollback  each protector back to the key above (it stays enabled and registered)\n"
        "  plan id   %.12s\n\n%s",
        p->group, rotplan_origin_name(p->origin), planned, pri, sec, p->new_key,
        p->hsm ? "RSA-HSM" : "RSA", p->bits, exp, p->fingerprint[0] ? ", fingerprint " : "",
        p->fingerprint, p->digest[0] ? p->digest : "(not read)", steps);
    free(pri);
    free(sec);
    free(steps);
    return out;
}

static cJSON *side_json(const struct rot_side *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "instance", s->instance);
    cJSON_AddStringToObject(o, "instance_id", s->instance_id);
    cJSON_AddStringToObject(o, "region", s->region);
    cJSON_AddStringToObject(o, "vault", s->vault);
    cJSON_AddStringToObject(o, "vault_uri", s->vault_uri);
    cJSON_AddStringToObject(o, "vault_subscription", s->vault_subscription);
    cJSON_AddStringToObject(o, "vault_geography", s->vault_geography);
    cJSON_AddBoolToObject(o, "vault_premium", s->vault_premium);
    cJSON_AddStringToObject(o, "prev_key", s->prev_key);
    cJSON_AddStringToObject(o, "prev_thumbprint", s->prev_thumbprint);
    return o;
}

cJSON *rotplan_json(const struct rot_plan *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "group", p->group);
    cJSON_AddStringToObject(o, "origin", rotplan_origin_name(p->origin));
    cJSON_AddItemToObject(o, "primary", side_json(&p->pri));
    cJSON_AddItemToObject(o, "secondary", side_json(&p->sec));
    cJSON_AddBoolToObject(o, "one_vault", p->one_vault);
    cJSON_AddStringToObject(o, "new_key", p->new_key);
    cJSON_AddNumberToObject(o, "bits", p->bits);
    cJSON_AddBoolToObject(o, "hsm", p->hsm);
    cJSON_AddNumberToObject(o, "exp", (double)p->exp);
    cJSON_AddStringToObject(o, "key_file", p->key_file);
    cJSON_AddStringToObject(o, "key_file_sha256", p->key_file_sha256);
    cJSON_AddStringToObject(o, "escrow", p->escrow);
    cJSON_AddStringToObject(o, "fingerprint", p->fingerprint);
    cJSON_AddStringToObject(o, "digest", p->digest);
    cJSON_AddNumberToObject(o, "watch_s", (double)p->watch_s);
    cJSON_AddNumberToObject(o, "lock_s", (double)p->lock_s);
    cJSON_AddNumberToObject(o, "planned", (double)p->planned);
    cJSON_AddItemToObject(o, "steps", wizard_steps_json(&p->w));
    return o;
}

/* Copies a string member into a fixed field; refuses missing, wrong type or too long. */
static int get_str(const cJSON *o, const char *name, char *dst, size_t size, char **cause)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size) {
        xcause(cause, "the journal's plan has no valid \"%s\"", name);
        return -1;
    }
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

static int get_num(const cJSON *o, const char *name, double lo, double hi, double *out,
                   char **cause)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
        xcause(cause, "the journal's plan has no valid \"%s\"", name);
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

static int side_from(const cJSON *o, struct rot_side *s, char **cause)
{
    if (!cJSON_IsObject(o)) {
        xcause(cause, "the journal's plan lacks an instance");
        return -1;
    }
#define S(f) get_str(o, #f, s->f, sizeof s->f, cause) < 0
    if (S(instance) || S(instance_id) || S(region) || S(vault) || S(vault_uri) ||
        S(vault_subscription) || S(vault_geography) || S(prev_key) || S(prev_thumbprint))
        return -1;
#undef S
    s->vault_premium = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "vault_premium"));
    return 0;
}

/*
 * A journal's steps must be the ones tdectl plans for its parameters, in the
 * same order: an edited journal cannot make a resume run the steps in another
 * order or skip one.
 */
static int same_steps(const struct rot_plan *p, char **cause)
{
    struct rot_plan want = *p;
    wizard_init(&want.w, "rotate");
    rotplan_steps(&want);
    bool same = want.w.nsteps == p->w.nsteps;
    for (size_t i = 0; same && i < p->w.nsteps; i++)
        same = strcmp(want.w.steps[i].id, p->w.steps[i].id) == 0;
    wizard_cleanup(&want.w);
    if (!same)
        xcause(cause, "the journal's steps are not the ones tdectl plans for this rotation (a "
                      "step moved, missing or added): refusing a journal that was edited");
    return same ? 0 : -1;
}

int rotplan_from_json(struct rot_plan *p, const cJSON *j, char **cause)
{
    memset(p, 0, sizeof *p);
    wizard_init(&p->w, "rotate");
    char origin[16];
    double bits, exp, watch, lock, planned;
#define S(f) get_str(j, #f, p->f, sizeof p->f, cause) < 0
    if (!cJSON_IsObject(j) || S(group) || get_str(j, "origin", origin, sizeof origin, cause) < 0 ||
        rotplan_origin_parse(origin, &p->origin) < 0 ||
        side_from(cJSON_GetObjectItemCaseSensitive(j, "primary"), &p->pri, cause) < 0 ||
        side_from(cJSON_GetObjectItemCaseSensitive(j, "secondary"), &p->sec, cause) < 0 ||
        S(new_key) || S(key_file) || S(key_file_sha256) || S(escrow) || S(fingerprint) ||
        S(digest) || get_num(j, "bits", 2048, 3072, &bits, cause) < 0 ||
        get_num(j, "exp", 0, 1e11, &exp, cause) < 0 ||
        get_num(j, "watch_s", 1, 1e7, &watch, cause) < 0 ||
        get_num(j, "lock_s", 1, 1e8, &lock, cause) < 0 ||
        get_num(j, "planned", 0, 1e11, &planned, cause) < 0 ||
        wizard_steps_from_json(&p->w, cJSON_GetObjectItemCaseSensitive(j, "steps"), cause) < 0) {
#undef S
        if (cause && *cause == NULL)
            xcause(cause, "the journal's plan is not a rotation plan");
        return -1;
    }
    p->one_vault = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "one_vault"));
    p->hsm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "hsm"));
    p->bits = (int)bits;
    p->exp = (int64_t)exp;
    p->watch_s = (int64_t)watch;
    p->lock_s = (int64_t)lock;
    p->planned = (int64_t)planned;
    return same_steps(p, cause);
}
