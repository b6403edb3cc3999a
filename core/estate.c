#include "estate.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/*
 * Azure's geographies for the public regions (and the sovereign ones, each
 * its own Key Vault security world). Backup blobs restore only inside one
 * geography, which is what G05 needs this for.
 */
static const struct {
    const char *region;
    const char *geography;
} geographies[] = {
    {"eastus", "United States"},
    {"eastus2", "United States"},
    {"centralus", "United States"},
    {"northcentralus", "United States"},
    {"southcentralus", "United States"},
    {"westcentralus", "United States"},
    {"westus", "United States"},
    {"westus2", "United States"},
    {"westus3", "United States"},
    {"eastus2euap", "United States"},
    {"centraluseuap", "United States"},
    {"canadacentral", "Canada"},
    {"canadaeast", "Canada"},
    {"brazilsouth", "Brazil"},
    {"brazilsoutheast", "Brazil"},
    {"mexicocentral", "Mexico"},
    {"chilecentral", "Chile"},
    {"northeurope", "Europe"},
    {"westeurope", "Europe"},
    {"uksouth", "United Kingdom"},
    {"ukwest", "United Kingdom"},
    {"francecentral", "France"},
    {"francesouth", "France"},
    {"germanywestcentral", "Germany"},
    {"germanynorth", "Germany"},
    {"switzerlandnorth", "Switzerland"},
    {"switzerlandwest", "Switzerland"},
    {"norwayeast", "Norway"},
    {"norwaywest", "Norway"},
    {"swedencentral", "Sweden"},
    {"swedensouth", "Sweden"},
    {"polandcentral", "Poland"},
    {"italynorth", "Italy"},
    {"spaincentral", "Spain"},
    {"austriaeast", "Austria"},
    {"belgiumcentral", "Belgium"},
    {"denmarkeast", "Denmark"},
    {"eastasia", "Asia Pacific"},
    {"southeastasia", "Asia Pacific"},
    {"japaneast", "Japan"},
    {"japanwest", "Japan"},
    {"koreacentral", "Korea"},
    {"koreasouth", "Korea"},
    {"centralindia", "India"},
    {"southindia", "India"},
    {"westindia", "India"},
    {"jioindiawest", "India"},
    {"jioindiacentral", "India"},
    {"australiaeast", "Australia"},
    {"australiasoutheast", "Australia"},
    {"australiacentral", "Australia"},
    {"australiacentral2", "Australia"},
    {"newzealandnorth", "New Zealand"},
    {"indonesiacentral", "Indonesia"},
    {"malaysiawest", "Malaysia"},
    {"uaenorth", "United Arab Emirates"},
    {"uaecentral", "United Arab Emirates"},
    {"qatarcentral", "Qatar"},
    {"israelcentral", "Israel"},
    {"southafricanorth", "South Africa"},
    {"southafricawest", "South Africa"},
    {"chinaeast", "China"},
    {"chinaeast2", "China"},
    {"chinaeast3", "China"},
    {"chinanorth", "China"},
    {"chinanorth2", "China"},
    {"chinanorth3", "China"},
    {"usgovvirginia", "US Government"},
    {"usgovarizona", "US Government"},
    {"usgovtexas", "US Government"},
    {"usgoviowa", "US Government"},
    {"usdodeast", "US DoD East"},
    {"usdodcentral", "US DoD Central"},
};

static bool same(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* strcasestr is a GNU extension: the first place needle occurs in hay, ignoring case. */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    }
    return NULL;
}

/* "East US 2" and "eastus2" name the same region. */
static void region_norm(const char *in, char out[64])
{
    size_t n = 0;
    for (; in && *in && n < 63; in++) {
        if (!isspace((unsigned char)*in))
            out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
}

bool estate_same_region(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    char x[64], y[64];
    region_norm(a, x);
    region_norm(b, y);
    return x[0] && strcmp(x, y) == 0;
}

const char *estate_geography(const char *region)
{
    if (region == NULL)
        return NULL;
    char r[64];
    region_norm(region, r);
    for (size_t i = 0; i < sizeof geographies / sizeof geographies[0]; i++) {
        if (strcmp(geographies[i].region, r) == 0)
            return geographies[i].geography;
    }
    return NULL;
}

const char *estate_principal(const struct model_instance *mi)
{
    if (mi == NULL)
        return NULL;
    if (mi->nuamis == 0)
        return mi->principal_id;
    /* With any user-assigned identity SQL uses the primary one, never the system one. */
    for (size_t i = 0; mi->primary_uami && i < mi->nuamis; i++) {
        if (same(mi->uamis[i].id, mi->primary_uami))
            return mi->uamis[i].principal_id;
    }
    return NULL;
}

const char *estate_protector_thumbprint(const struct model_instance *mi)
{
    if (mi == NULL)
        return NULL;
    if (mi->protector.thumbprint && mi->protector.thumbprint[0])
        return mi->protector.thumbprint;
    for (size_t i = 0; i < mi->nkeys; i++) {
        if (same(mi->keys[i].name, mi->protector.server_key_name) && mi->keys[i].thumbprint)
            return mi->keys[i].thumbprint;
    }
    return NULL;
}

bool estate_protector_is_akv(const struct model_instance *mi)
{
    if (mi == NULL || mi->protector.uri == NULL)
        return false;
    return mi->protector.type == NULL || same(mi->protector.type, "AzureKeyVault");
}

static bool uri_vault(const char *uri, char vault[128])
{
    char key[128], version[64];
    return uri && model_uri_parse(uri, vault, key, version) == 0;
}

const struct model_vault *estate_primary_vault(const struct model *m,
                                               const struct model_instance *mi)
{
    if (m == NULL || !estate_protector_is_akv(mi))
        return NULL;
    return model_vault_by_uri(m, mi->protector.uri);
}

const struct model_server_key *estate_secondary_key(const struct model *m,
                                                    const struct model_instance *mi)
{
    char primary[128], vault[128];
    const char *tp = estate_protector_thumbprint(mi);
    if (m == NULL || tp == NULL || !estate_protector_is_akv(mi) ||
        !uri_vault(mi->protector.uri, primary))
        return NULL;
    for (size_t i = 0; i < mi->nkeys; i++) {
        const struct model_server_key *k = &mi->keys[i];
        if (same(k->thumbprint, tp) && uri_vault(k->uri, vault) && strcmp(vault, primary) != 0)
            return k;
    }
    return NULL;
}

const struct model_vault *estate_secondary_vault(const struct model *m,
                                                 const struct model_instance *mi)
{
    const struct model_server_key *k = estate_secondary_key(m, mi);
    return k ? model_vault_by_uri(m, k->uri) : NULL;
}

const struct model_server_key *estate_registered_key(const struct model_instance *mi,
                                                     const char *vault, const char *thumbprint)
{
    char v[128];
    for (size_t i = 0; mi && thumbprint && i < mi->nkeys; i++) {
        const struct model_server_key *k = &mi->keys[i];
        if (!same(k->thumbprint, thumbprint) || k->uri == NULL)
            continue;
        if (vault == NULL || (uri_vault(k->uri, v) && same(v, vault)))
            return k;
    }
    return NULL;
}

const char *estate_fingerprint_of(const struct model *m, const char *thumbprint)
{
    for (size_t i = 0; m && thumbprint && i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        for (size_t j = 0; j < mi->nkeys; j++) {
            if (!same(mi->keys[j].thumbprint, thumbprint) || mi->keys[j].uri == NULL)
                continue;
            const struct model_version *v = model_version_by_uri(m, mi->keys[j].uri);
            if (v && v->fingerprint[0])
                return v->fingerprint;
        }
    }
    return NULL;
}

const char *estate_thumbprint_of(const struct model *m, const char *fingerprint)
{
    if (m == NULL || fingerprint == NULL || fingerprint[0] == '\0')
        return NULL;
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        for (size_t j = 0; j < mi->nkeys; j++) {
            if (mi->keys[j].uri == NULL || mi->keys[j].thumbprint == NULL)
                continue;
            const struct model_version *v = model_version_by_uri(m, mi->keys[j].uri);
            if (v && strcasecmp(v->fingerprint, fingerprint) == 0)
                return mi->keys[j].thumbprint;
        }
    }
    return NULL;
}

const struct model_version *estate_vault_material(const struct model_vault *v,
                                                  const char *fingerprint,
                                                  const struct model_key **key)
{
    const struct model_version *found = NULL;
    const struct model_key *found_key = NULL;
    for (size_t i = 0; v && fingerprint && fingerprint[0] && i < v->nkeys; i++) {
        const struct model_key *k = &v->keys[i];
        for (size_t j = 0; j < k->nversions; j++) {
            const struct model_version *ver = &k->versions[j];
            if (ver->version == NULL || strcasecmp(ver->fingerprint, fingerprint) != 0)
                continue;
            if (found == NULL || (!found->enabled && ver->enabled)) {
                found = ver;
                found_key = k;
            }
        }
    }
    if (key)
        *key = found_key;
    return found;
}

const struct model_instance *estate_partner(const struct model *m, const struct model_instance *mi)
{
    const struct model_fog *fg = m && mi ? model_fog_of(m, mi) : NULL;
    if (fg == NULL)
        return NULL;
    const char *other = same(fg->primary_id, mi->id) ? fg->secondary_id : fg->primary_id;
    const struct model_instance *p = model_instance(m, other);
    return p == mi ? NULL : p;
}

const struct model_instance *estate_fog_primary(const struct model *m, const struct model_fog *fg)
{
    return m && fg ? model_instance(m, fg->primary_id) : NULL;
}

const struct model_instance *estate_fog_secondary(const struct model *m, const struct model_fog *fg)
{
    return m && fg ? model_instance(m, fg->secondary_id) : NULL;
}

static size_t add_use(struct estate_use out[3], size_t n, const struct model_vault *v,
                      enum estate_role role)
{
    if (v == NULL)
        return n;
    for (size_t i = 0; i < n; i++) {
        if (out[i].vault == v)
            return n;
    }
    out[n].vault = v;
    out[n].role = role;
    return n + 1;
}

size_t estate_uses(const struct model *m, const struct model_instance *mi, struct estate_use out[3])
{
    size_t n = 0;
    n = add_use(out, n, estate_primary_vault(m, mi), ESTATE_USE_PRIMARY);
    n = add_use(out, n, estate_secondary_vault(m, mi), ESTATE_USE_SECONDARY);
    n = add_use(out, n, estate_primary_vault(m, estate_partner(m, mi)), ESTATE_USE_PARTNER);
    return n;
}

const char *estate_role_name(enum estate_role role)
{
    switch (role) {
    case ESTATE_USE_PRIMARY:
        return "primary vault";
    case ESTATE_USE_SECONDARY:
        return "secondary vault";
    case ESTATE_USE_PARTNER:
        return "partner's primary vault";
    }
    return "vault";
}

bool estate_vault_used(const struct model *m, const struct model_vault *v)
{
    char name[128];
    for (size_t i = 0; m && v && i < m->ninstances; i++) {
        const struct model_instance *mi = m->instances[i];
        if (estate_protector_is_akv(mi) && uri_vault(mi->protector.uri, name) &&
            same(name, v->name))
            return true;
        for (size_t j = 0; j < mi->nkeys; j++) {
            if (uri_vault(mi->keys[j].uri, name) && same(name, v->name))
                return true;
        }
    }
    return false;
}

bool estate_key_name_in(const struct model *m, const struct model_instance *mi,
                        const struct model_vault *v, char key[128])
{
    char vault[128], version[64];
    key[0] = '\0';
    if (v == NULL || !estate_protector_is_akv(mi))
        return false;
    if (model_uri_parse(mi->protector.uri, vault, key, version) == 0 && same(vault, v->name))
        return key[0] != '\0';
    const struct model_server_key *k =
        estate_registered_key(mi, v->name, estate_protector_thumbprint(mi));
    if (k && model_uri_parse(k->uri, vault, key, version) == 0)
        return key[0] != '\0';
    key[0] = '\0';
    return false;
}

const struct model_vault *estate_pe_vault(const struct model *m, const struct model_pe *pe)
{
    if (m == NULL || pe == NULL || pe->target_id == NULL)
        return NULL;
    const struct model_vault *v = model_vault_by_id(m, pe->target_id);
    if (v)
        return v;
    /* A vault known only from a key URI has no id: match the id's last segment. */
    const char *slash = strrchr(pe->target_id, '/');
    if (slash == NULL || slash - pe->target_id < 7 || strncasecmp(slash - 7, "/vaults", 7) != 0)
        return NULL;
    return model_vault(m, slash + 1);
}

bool estate_pe_approved(const struct model_vault *v, const struct model_pe *pe)
{
    if (pe == NULL)
        return false;
    bool pe_ok = pe->status == NULL || same(pe->status, "Approved");
    for (size_t i = 0; v && i < v->npecs; i++) {
        if (same(v->pecs[i].endpoint_id, pe->id))
            return pe_ok && same(v->pecs[i].status, "Approved");
    }
    return pe->status != NULL && pe_ok;
}

/* An approved connection on the vault whose endpoint tdectl could not read (region unknown). */
static bool unread_pec(const struct model *m, const struct model_vault *v, bool *approved)
{
    bool any = false;
    *approved = false;
    for (size_t i = 0; i < v->npecs; i++) {
        if (model_pe(m, v->pecs[i].endpoint_id) != NULL)
            continue;
        any = true;
        *approved = *approved || same(v->pecs[i].status, "Approved");
    }
    return any;
}

static bool is_down(const struct model_pe *pe, const struct model_pe *const *down, size_t ndown)
{
    for (size_t i = 0; i < ndown; i++) {
        if (down[i] == pe)
            return true;
    }
    return false;
}

/*
 * Whether pe can target v: a vault's resource id ends in /vaults/NAME, so the
 * last segment must be v's name. A cheap test that spares estate_pe_vault's
 * lookup of the id for the endpoints of every other vault.
 */
static bool may_target(const struct model_pe *pe, const struct model_vault *v)
{
    const char *slash = pe->target_id ? strrchr(pe->target_id, '/') : NULL;
    return slash && v->name && strcasecmp(slash + 1, v->name) == 0;
}

enum estate_path estate_path(const struct model *m, const struct model_vault *v, const char *region,
                             const struct model_pe *const *down, size_t ndown,
                             const struct model_pe **pe)
{
    const struct model_pe *found = NULL;
    if (pe)
        *pe = NULL;
    if (m == NULL || v == NULL || region == NULL)
        return ESTATE_PATH_UNKNOWN;
    for (size_t i = 0; i < m->npes; i++) {
        const struct model_pe *p = m->pes[i];
        if (!may_target(p, v) || !estate_same_region(p->location, region) ||
            estate_pe_vault(m, p) != v)
            continue;
        found = p;
        if (!is_down(p, down, ndown) && estate_pe_approved(v, p))
            break;
    }
    if (pe)
        *pe = found;
    if (found)
        return !is_down(found, down, ndown) && estate_pe_approved(v, found) ? ESTATE_PATH_PRIVATE
                                                                            : ESTATE_PATH_PE_DOWN;
    if (v->arm_fresh.read_at == 0)
        return ESTATE_PATH_UNKNOWN;
    bool approved, unread = unread_pec(m, v, &approved);
    bool open = !same(v->public_network_access, "Disabled") &&
                (v->default_action == NULL || same(v->default_action, "Allow") ||
                 (v->bypass && find_ci(v->bypass, "AzureServices")));
    /* An endpoint tdectl could not read may be in this region: it decides then. */
    if (unread && (!open || !approved))
        return ESTATE_PATH_UNKNOWN;
    return open ? ESTATE_PATH_PUBLIC : ESTATE_PATH_BLOCKED;
}

static bool role_grants(const char *definition)
{
    static const char *const roles[] = {
        MODEL_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER,
        ESTATE_ROLE_KV_CRYPTO_USER,
        ESTATE_ROLE_KV_CRYPTO_OFFICER,
        ESTATE_ROLE_KV_ADMINISTRATOR,
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (same(definition, roles[i]))
            return true;
    }
    return false;
}

/* A scope at the vault or above covers every key; a key scope covers that key only. */
static bool scope_covers(const char *scope, const char *key_name)
{
    const char *keys = find_ci(scope, "/keys/");
    if (keys == NULL)
        return true;
    return key_name && same(keys + 6, key_name);
}

enum estate_grant estate_grant(const struct model_vault *v, const char *principal,
                               const char *key_name, unsigned *perms)
{
    const unsigned need = MODEL_PERM_GET | MODEL_PERM_WRAP | MODEL_PERM_UNWRAP;
    if (perms)
        *perms = 0;
    if (v == NULL || v->arm_fresh.read_at == 0)
        return ESTATE_GRANT_UNKNOWN;
    if (principal == NULL)
        return ESTATE_GRANT_NO;
    if (!v->rbac) {
        unsigned have = 0;
        for (size_t i = 0; i < v->npolicies; i++) {
            const struct model_policy *p = &v->policies[i];
            /* A compound entry (application id) never matches SQL's own token. */
            if (!same(p->object_id, principal) || p->application_id)
                continue;
            if (p->tenant_id && v->tenant_id && !same(p->tenant_id, v->tenant_id))
                continue;
            have |= p->key_perms;
        }
        if (perms)
            *perms = have;
        return (have & need) == need ? ESTATE_GRANT_YES : ESTATE_GRANT_NO;
    }
    if (!v->roles_known)
        return ESTATE_GRANT_UNKNOWN;
    for (size_t i = 0; i < v->nroles; i++) {
        const struct model_role *r = &v->roles[i];
        if (same(r->principal_id, principal) && role_grants(r->role_definition_id) &&
            scope_covers(r->scope, key_name))
            return ESTATE_GRANT_YES;
    }
    return ESTATE_GRANT_NO;
}
