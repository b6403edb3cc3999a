#include "vault.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "key.h"
#include "xmem.h"

static const struct {
    uint32_t bit;
    const char *name;
} kperm_names[] = {
    {KPERM_ENCRYPT, "encrypt"},
    {KPERM_DECRYPT, "decrypt"},
    {KPERM_WRAPKEY, "wrapKey"},
    {KPERM_UNWRAPKEY, "unwrapKey"},
    {KPERM_SIGN, "sign"},
    {KPERM_VERIFY, "verify"},
    {KPERM_GET, "get"},
    {KPERM_LIST, "list"},
    {KPERM_CREATE, "create"},
    {KPERM_UPDATE, "update"},
    {KPERM_IMPORT, "import"},
    {KPERM_DELETE, "delete"},
    {KPERM_BACKUP, "backup"},
    {KPERM_RESTORE, "restore"},
    {KPERM_RECOVER, "recover"},
    {KPERM_PURGE, "purge"},
    {KPERM_RELEASE, "release"},
    {KPERM_ROTATE, "rotate"},
    {KPERM_GETROTATIONPOLICY, "getrotationpolicy"},
    {KPERM_SETROTATIONPOLICY, "setrotationpolicy"},
};

uint32_t kperm_parse(const char *name)
{
    if (strcasecmp(name, "all") == 0)
        return KPERM_ALL;
    for (size_t i = 0; i < sizeof kperm_names / sizeof kperm_names[0]; i++) {
        if (strcasecmp(kperm_names[i].name, name) == 0)
            return kperm_names[i].bit;
    }
    return 0;
}

const char *kperm_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof kperm_names / sizeof kperm_names[0]; i++) {
        if (kperm_names[i].bit == bit)
            return kperm_names[i].name;
    }
    return "unknown";
}

struct vault *vault_create(const char *name)
{
    struct vault *vault = xcalloc(1, sizeof *vault);
    vault->name = xstrdup(name);
    vault->sku = xstrdup("standard");
    vault->soft_delete = true;
    vault->retention_days = 90;
    vault->public_access = true;
    vault->acl_bypass_azure = true;
    return vault;
}

void vault_destroy(struct vault *vault)
{
    if (vault == NULL)
        return;
    for (size_t i = 0; i < vault->nkeys; i++)
        key_destroy(vault->keys[i]);
    free(vault->keys);
    for (size_t i = 0; i < vault->npolicies; i++) {
        free(vault->policies[i].tenant_id);
        free(vault->policies[i].object_id);
        free(vault->policies[i].application_id);
    }
    free(vault->policies);
    for (size_t i = 0; i < vault->nroles; i++) {
        free(vault->roles[i].id);
        free(vault->roles[i].principal_id);
        free(vault->roles[i].role);
        free(vault->roles[i].key_scope);
    }
    free(vault->roles);
    for (size_t i = 0; i < vault->nip_rules; i++)
        ip_rule_cleanup(&vault->ip_rules[i]);
    free(vault->ip_rules);
    free(vault->name);
    free(vault->subscription_id);
    free(vault->resource_group);
    free(vault->region);
    free(vault->tenant_id);
    free(vault->sku);
    tags_clear(&vault->tags);
    free(vault);
}

struct key *vault_find_key(const struct vault *vault, const char *name)
{
    for (size_t i = 0; i < vault->nkeys; i++) {
        if (strcasecmp(vault->keys[i]->name, name) == 0)
            return vault->keys[i];
    }
    return NULL;
}

void vault_add_key(struct vault *vault, struct key *key)
{
    vault->keys = xrealloc(vault->keys, vault->nkeys + 1, sizeof *vault->keys);
    vault->keys[vault->nkeys++] = key;
}

void vault_remove_key(struct vault *vault, struct key *key)
{
    for (size_t i = 0; i < vault->nkeys; i++) {
        if (vault->keys[i] == key) {
            memmove(&vault->keys[i], &vault->keys[i + 1],
                    (vault->nkeys - i - 1) * sizeof *vault->keys);
            vault->nkeys--;
            key_destroy(key);
            return;
        }
    }
}

const char *vault_recovery_level(const struct vault *vault)
{
    if (!vault->soft_delete)
        return "Purgeable";
    bool customized = vault->retention_days < 90;
    if (vault->purge_protection)
        return customized ? "CustomizedRecoverable" : "Recoverable";
    return customized ? "CustomizedRecoverable+Purgeable" : "Recoverable+Purgeable";
}

int ip_rule_parse(const char *text, struct ip_rule *rule)
{
    char addr[INET6_ADDRSTRLEN + 8];
    memset(rule, 0, sizeof *rule);
    if (strlen(text) >= sizeof addr)
        return -1;
    snprintf(addr, sizeof addr, "%s", text);
    char *slash = strchr(addr, '/');
    long prefix = -1;
    if (slash) {
        /* 1 to 3 decimal digits: no sign, no space, nothing a wrap-around could make 0 */
        const char *digits = slash + 1;
        size_t n = strspn(digits, "0123456789");
        if (n == 0 || n > 3 || digits[n] != '\0')
            return -1;
        *slash = '\0';
        prefix = strtol(digits, NULL, 10);
    }
    if (inet_pton(AF_INET, addr, rule->addr) == 1) {
        rule->family = AF_INET;
        rule->prefix = prefix < 0 ? 32 : (int)prefix;
        if (rule->prefix > 32)
            return -1;
    } else if (inet_pton(AF_INET6, addr, rule->addr) == 1) {
        rule->family = AF_INET6;
        rule->prefix = prefix < 0 ? 128 : (int)prefix;
        if (rule->prefix > 128)
            return -1;
    } else {
        return -1;
    }
    rule->text = xasprintf("%s/%d", addr, rule->prefix);
    return 0;
}

void ip_rule_cleanup(struct ip_rule *rule)
{
    free(rule->text);
    rule->text = NULL;
}

bool ip_rule_match(const struct ip_rule *rule, int family, const unsigned char *addr)
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0) {
        family = AF_INET;
        addr += 12;
    }
    if (family != rule->family)
        return false;
    int full = rule->prefix / 8, rest = rule->prefix % 8;
    if (memcmp(addr, rule->addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (addr[full] & mask) == (rule->addr[full] & mask);
}
