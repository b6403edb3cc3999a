/* rotplan — the plan of one protector rotation (see rotplan.h). */
#include "rotplan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "armclient.h"
#include "estate.h"
#include "kvclient.h"
#include "xmem.h"

#define TAGS_API "2021-04-01"

static const char *const origin_names[] = {
    [ROT_ORIGIN_VAULT] = "vault", [ROT_ORIGIN_OFFLINE] = "offline", [ROT_ORIGIN_FILE] = "file"};

const char *rotplan_origin_name(enum rot_origin o)
{
    return (unsigned)o <= ROT_ORIGIN_FILE ? origin_names[o] : "?";
}

int rotplan_origin_parse(const char *s, enum rot_origin *out)
{
    for (unsigned i = 0; i <= ROT_ORIGIN_FILE; i++)
        if (s && strcmp(s, origin_names[i]) == 0) {
            *out = (enum rot_origin)i;
            return 0;
        }
    return -1;
}

char *rotplan_server_key(const char *vault, const char *key, const char *version)
{
    return xasprintf("%s_%s_%s", vault, key, version);
}

static const struct model_fog *find_fog(const struct model *m, const char *name)
{
    for (size_t i = 0; i < m->nfogs; i++)
        if (strcasecmp(m->fogs[i]->name, name) == 0)
            return m->fogs[i];
    return NULL;
}

/* The instance's own-region vault: its protector's, else one vault of its region the group uses. */
static const struct model_vault *own_vault(const struct model *m, const struct model_instance *mi)
{
    const struct model_vault *v = estate_primary_vault(m, mi);
    if (v)
        return v;
    for (size_t i = 0; i < mi->nkeys; i++) {
        const struct model_vault *kv =
            mi->keys[i].uri ? model_vault_by_uri(m, mi->keys[i].uri) : NULL;
        if (kv && kv->location && mi->location && estate_same_region(kv->location, mi->location))
            return kv;
    }
    return NULL;
}

static int fill_side(struct rot_side *s, const struct model *m, const struct model_instance *mi,
                     const char *role, char **cause)
{
    memset(s, 0, sizeof *s);
    const struct model_vault *v = own_vault(m, mi);
    if (v == NULL || v->uri == NULL) {
        xcause(cause,
               "the %s %s has no Key Vault protector and no registered key in a vault of its "
               "region (%s): tdectl cannot tell which vault is its own",
               role, mi->name, mi->location ? mi->location : "unknown");
        return -1;
    }
    if (v->id == NULL || v->subscription_id == NULL || v->location == NULL) {
        xcause(cause,
               "the vault %s could not be read through Resource Manager (subscription, region): "
               "refresh, or check the Reader role on its subscription",
               v->name);
        return -1;
    }
    snprintf(s->instance, sizeof s->instance, "%s", mi->name);
    snprintf(s->instance_id, sizeof s->instance_id, "%s", mi->id);
    snprintf(s->region, sizeof s->region, "%s", mi->location ? mi->location : "");
    snprintf(s->vault, sizeof s->vault, "%s", v->name);
    snprintf(s->vault_uri, sizeof s->vault_uri, "%s", v->uri);
    snprintf(s->vault_subscription, sizeof s->vault_subscription, "%s", v->subscription_id);
    const char *geo = estate_geography(v->location);
    snprintf(s->vault_geography, sizeof s->vault_geography, "%s", geo ? geo : v->location);
    s->vault_premium = v->sku && strcasecmp(v->sku, "premium") == 0;
    if (estate_protector_is_akv(mi) && mi->protector.server_key_name) {
        snprintf(s->prev_key, sizeof s->prev_key, "%s", mi->protector.server_key_name);
        const char *tp = estate_protector_thumbprint(mi);
        snprintf(s->prev_thumbprint, sizeof s->prev_thumbprint, "%s", tp ? tp : "");
    }
    return 0;
}

/* The current protector's version (for the default size and protection), or NULL. */
static const struct model_version *current_version(const struct model *m,
                                                   const struct model_instance *mi)
{
    return mi->protector.uri ? model_version_by_uri(m, mi->protector.uri) : NULL;
}

static bool name_ok(const char *name, const struct rot_plan *p, char **cause)
{
    if (!kv_name_valid(name) || strlen(name) > ROTPLAN_KEY_MAX) {
        xcause(cause, "'%s' is not a valid key name: 1 to 127 letters, digits and dashes", name);
        return false;
    }
    const struct rot_side *sides[2] = {&p->pri, &p->sec};
    for (int i = 0; i < 2; i++)
        if (strlen(sides[i]->vault) + strlen(name) > ROTPLAN_VAULT_KEY_MAX) {
            xcause(cause,
                   "%s + %s is %zu characters: SQL accepts at most %d for vault and key name "
                   "together; choose a shorter key name",
                   sides[i]->vault, name, strlen(sides[i]->vault) + strlen(name),
                   ROTPLAN_VAULT_KEY_MAX);
            return false;
        }
    return true;
}

/* "<group>-tde-<yyyymmdd>", shortened so vault + key fits. */
static void default_name(struct rot_plan *p, int64_t now)
{
    char day[16];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    size_t longest =
        strlen(p->pri.vault) > strlen(p->sec.vault) ? strlen(p->pri.vault) : strlen(p->sec.vault);
    size_t room = ROTPLAN_VAULT_KEY_MAX - longest;
    char group[128];
    size_t g = 0;
    for (const char *c = p->group; *c && g + 1 < sizeof group; c++)
        group[g++] =
            (char)((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
                       ? *c
                       : '-');
    group[g] = '\0';
    size_t fixed = strlen("-tde-") + strlen(day);
    int keep = room > fixed ? (int)(room - fixed) : 0;
    snprintf(p->new_key, sizeof p->new_key, "%.*s-tde-%s", keep, group, day);
}

static int check_copy(const struct rot_plan *p, char **cause)
{
    if (p->origin != ROT_ORIGIN_VAULT || p->one_vault)
        return 0;
    if (strcasecmp(p->pri.vault_subscription, p->sec.vault_subscription) != 0) {
        xcause(cause,
               "%s and %s are in different subscriptions: Key Vault restores a backup only "
               "within one subscription and geography. Use --origin offline or --origin file "
               "(the material is imported into both vaults)",
               p->sec.vault, p->pri.vault);
        return -1;
    }
    if (strcasecmp(p->pri.vault_geography, p->sec.vault_geography) != 0) {
        xcause(cause,
               "%s (%s) and %s (%s) are in different geographies: Key Vault restores a backup "
               "only within one subscription and geography. Use --origin offline or --origin "
               "file (the material is imported into both vaults)",
               p->sec.vault, p->sec.vault_geography, p->pri.vault, p->pri.vault_geography);
        return -1;
    }
    return 0;
}

int rotplan_build(struct rot_plan *p, const struct model *m, const struct rot_choice *c,
                  int64_t now, char **cause)
{
    memset(p, 0, sizeof *p);
    wizard_init(&p->w, "rotate");
    const struct model_fog *fg = c->group ? find_fog(m, c->group) : NULL;
    if (fg == NULL) {
        xcause(cause, "no failover group named %s was found", c->group ? c->group : "(none)");
        return -1;
    }
    const struct model_instance *mp = estate_fog_primary(m, fg), *ms = estate_fog_secondary(m, fg);
    if (mp == NULL || ms == NULL) {
        xcause(cause, "the instances of %s could not be read: refresh first", fg->name);
        return -1;
    }
    snprintf(p->group, sizeof p->group, "%s", fg->name);
    p->origin = c->origin;
    if (fill_side(&p->pri, m, mp, "primary", cause) < 0 ||
        fill_side(&p->sec, m, ms, "secondary", cause) < 0)
        return -1;
    p->one_vault = strcasecmp(p->pri.vault, p->sec.vault) == 0;
    const struct model_version *cur = current_version(m, mp);
    p->bits =
        c->bits ? c->bits : (cur && (cur->bits == 2048 || cur->bits == 3072) ? cur->bits : 3072);
    if (p->bits != 2048 && p->bits != 3072) {
        xcause(cause, "TDE protectors are RSA 2048 or 3072 bits, not %d", p->bits);
        return -1;
    }
    bool premium = p->pri.vault_premium && p->sec.vault_premium;
    p->hsm =
        c->hsm < 0 ? premium && (cur == NULL || (cur->kty && strstr(cur->kty, "HSM"))) : c->hsm;
    if (p->hsm && !premium) {
        xcause(cause, "RSA-HSM keys need premium vaults; %s or %s is standard", p->pri.vault,
               p->sec.vault);
        return -1;
    }
    p->exp = now + (c->expiry_s > 0 ? c->expiry_s : ROTPLAN_DEFAULT_EXPIRY);
    p->watch_s = c->watch_s > 0 ? c->watch_s : ROTPLAN_DEFAULT_WATCH;
    p->lock_s = c->lock_s > 0 ? c->lock_s : p->watch_s + 7200;
    p->planned = now;
    if (c->new_key)
        snprintf(p->new_key, sizeof p->new_key, "%s", c->new_key);
    else
        default_name(p, now);
    if (!name_ok(p->new_key, p, cause) || check_copy(p, cause) < 0)
        return -1;
    if (c->origin == ROT_ORIGIN_FILE) {
        if (c->key_file == NULL || c->key_file[0] == '\0') {
            xcause(cause, "--origin file needs --key-file (a PEM or PFX with the private key)");
            return -1;
        }
        snprintf(p->key_file, sizeof p->key_file, "%s", c->key_file);
    }
    if (c->origin == ROT_ORIGIN_OFFLINE && c->escrow)
        snprintf(p->escrow, sizeof p->escrow, "%s", c->escrow);
    rotplan_steps(p);
    return 0;
}

void rotplan_cleanup(struct rot_plan *p)
{
    wizard_cleanup(&p->w);
}

/* The resource a Key Vault call acts on: https://vault.../keys/NAME[/op]. */
static char *kv_res(const struct rot_side *s, const char *key, const char *op)
{
    return key ? xasprintf("%s/keys/%s%s%s", s->vault_uri, key, op ? "/" : "", op ? op : "")
               : xasprintf("%s/keys/%s", s->vault_uri, op);
}

static void call_kv(struct rot_plan *p, size_t st, const char *method, const struct rot_side *s,
                    const char *key, const char *op)
{
    char *r = kv_res(s, key, op);
    wizard_add_call(&p->w, st, method, r, KV_API);
    free(r);
}

static void call_arm(struct rot_plan *p, size_t st, const char *method, const char *id,
                     const char *suffix, const char *api)
{
    char *r = xasprintf("%s%s", id, suffix);
    wizard_add_call(&p->w, st, method, r, api);
    free(r);
}

static size_t step(struct rot_plan *p, const char *id, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t step(struct rot_plan *p, const char *id, const char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *title = xvasprintf(fmt, ap);
    va_end(ap);
    size_t i = wizard_add_step(&p->w, id, title, why);
    free(title);
    return i;
}

static void material_steps(struct rot_plan *p)
{
    const char *kty = p->hsm ? "RSA-HSM" : "RSA";
    if (p->origin == ROT_ORIGIN_VAULT) {
        size_t i = step(p, "create", "the secondary's vault first, as with every step",
                        "Create %s (%s %d) in %s, the secondary's vault", p->new_key, kty, p->bits,
                        p->sec.vault);
        call_kv(p, i, "POST", &p->sec, p->new_key, "create");
        i = step(p, "backup", "the copy into the other vault is made from this backup",
                 "Back up %s from %s into the state folder", p->new_key, p->sec.vault);
        call_kv(p, i, "POST", &p->sec, p->new_key, "backup");
        if (!p->one_vault) {
            i = step(p, "restore", "same subscription and geography: checked in the plan",
                     "Restore the backup into %s, the primary's vault (same name, same versions)",
                     p->pri.vault);
            call_kv(p, i, "POST", &p->pri, NULL, "restore");
        }
        return;
    }
    if (p->origin == ROT_ORIGIN_OFFLINE)
        step(p, "generate", "the private key lives only in tdectl's memory until both imports",
             "Generate RSA %d with OpenSSL (core dumps off)%s%s", p->bits,
             p->escrow[0] ? "; encrypted escrow copy to " : "", p->escrow);
    else
        step(p, "load", "the file is read again and checked against the plan's fingerprint",
             "Load the private key from %s", p->key_file);
    size_t i =
        step(p, "import-secondary", "the secondary's vault first",
             "Import the material into %s as %s (%s %d)", p->sec.vault, p->new_key, kty, p->bits);
    call_kv(p, i, "PUT", &p->sec, p->new_key, NULL);
    if (!p->one_vault) {
        i = step(p, "import-primary", "then the primary's vault",
                 "Import the same material into %s as %s", p->pri.vault, p->new_key);
        call_kv(p, i, "PUT", &p->pri, p->new_key, NULL);
    }
    i = step(p, "backup", "a Key Vault backup of the new key, kept in the state folder",
             "Back up %s from %s into the state folder", p->new_key, p->sec.vault);
    call_kv(p, i, "POST", &p->sec, p->new_key, "backup");
}

static void register_step(struct rot_plan *p, const char *id, const struct rot_side *s,
                          const char *role, const char *why)
{
    size_t i = p->one_vault
                   ? step(p, id, why, "Register the new key on %s (the %s)", s->instance, role)
                   : step(p, id, why, "Register both copies on %s (the %s)", s->instance, role);
    char *a = xasprintf("/keys/%s_%s_<version>", p->sec.vault, p->new_key);
    call_arm(p, i, "PUT", s->instance_id, a, ARM_API_SQL);
    free(a);
    if (!p->one_vault) {
        a = xasprintf("/keys/%s_%s_<version>", p->pri.vault, p->new_key);
        call_arm(p, i, "PUT", s->instance_id, a, ARM_API_SQL);
        free(a);
    }
}

void rotplan_steps(struct rot_plan *p)
{
    step(p, "preconditions", "a rotation starts only from a healthy group",
         "Check: no critical or high finding for %s, %s, %s, %s; no database "
         "Inaccessible; auto-rotation off on both; nothing changed since the plan",
         p->pri.instance, p->sec.instance, p->pri.vault, p->sec.vault);
    size_t i = step(p, "lock", "other operators see it and tdectl refuses a second rotation",
                    "Take the operator lock: tags on %s", p->pri.instance);
    call_arm(p, i, "PATCH", p->pri.instance_id, "/providers/Microsoft.Resources/tags/default",
             TAGS_API);
    step(p, "name-free", "restore and purge protection make a used name unusable",
         "Check %s is free in %s%s%s, live and soft-deleted", p->new_key, p->sec.vault,
         p->one_vault ? "" : " and ", p->one_vault ? "" : p->pri.vault);
    material_steps(p);
    step(p, "verify-material", "both copies must be the same key",
         "Verify %s holds identical public keys in both vaults", p->new_key);
    if (!p->one_vault) {
        i = step(p, "prove-material", "identical public keys do not prove identical private keys",
                 "Prove both vaults hold the same private key: wrap a random value in each "
                 "vault, unwrap it in the other");
        call_kv(p, i, "POST", &p->sec, p->new_key, "<version>/wrapkey");
        call_kv(p, i, "POST", &p->pri, p->new_key, "<version>/unwrapkey");
        call_kv(p, i, "POST", &p->pri, p->new_key, "<version>/wrapkey");
        call_kv(p, i, "POST", &p->sec, p->new_key, "<version>/unwrapkey");
    }
    register_step(p, "register-secondary", &p->sec, "secondary",
                  "the partner must hold the material before any protector moves");
    register_step(p, "register-primary", &p->pri, "primary",
                  "each instance needs both copies: its own vault and the fallback");
    i = step(p, "protect-secondary", "secondary first: else SameKeyMaterialNotFoundOnRemoteServer",
             "Set the protector of %s (the secondary) to the copy in %s", p->sec.instance,
             p->sec.vault);
    call_arm(p, i, "PUT", p->sec.instance_id, "/encryptionProtector/current", ARM_API_SQL);
    i = step(p, "protect-primary", "only after the secondary moved",
             "Set the protector of %s (the primary) to the copy in %s", p->pri.instance,
             p->pri.vault);
    call_arm(p, i, "PUT", p->pri.instance_id, "/encryptionProtector/current", ARM_API_SQL);
    char span[32];
    if (p->watch_s < 120)
        snprintf(span, sizeof span, "%lld s", (long long)p->watch_s);
    else
        snprintf(span, sizeof span, "%lld min", (long long)((p->watch_s + 59) / 60));
    step(p, "watch", "databases turn Inaccessible within minutes when a key cannot be used",
         "Watch both instances for %s: every database online, both protectors on the new "
         "thumbprint; old versions stay enabled and registered",
         span);
}
