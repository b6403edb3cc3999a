/* scenario_int — shared by scenario.c, scenario_vault.c and scenario_sql.c only. */
#ifndef AZSIM_SCENARIO_INT_H
#define AZSIM_SCENARIO_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "jcheck.h"

struct world;
struct rsakey;
struct tags;

struct material {
    char *id;
    struct rsakey *key;
};

struct loader {
    struct jcheck jc;
    struct world *world;
    const char *base_dir;
    struct material *materials;
    size_t nmaterials;
};

/* A file name from the scenario, relative to its folder (heap). */
char *scenario_path(const struct loader *ld, const char *name);
/* True when text is a GUID (8-4-4-4-12 hex digits). */
bool scenario_guid(const char *text);

typedef bool (*scenario_item_fn)(struct loader *ld, const cJSON *item, void *arg);

/*
 * Runs fn on each element of the array member `field` of obj, keeping the error
 * path right ("vaults[2].keys[0]..."). A missing member is fine unless required.
 */
bool scenario_each(struct loader *ld, const cJSON *obj, const char *field, bool required,
                   scenario_item_fn fn, void *arg);

bool scenario_vault_materials(struct loader *ld, const cJSON *top);
bool scenario_vault_all(struct loader *ld, const cJSON *top);
/* The "tags" member of obj, a resource's tags by ARM's rules (tags.h); absent is none. */
bool scenario_arm_tags(struct loader *ld, const cJSON *obj, struct tags *tags);
/* Instances, failover groups, private endpoints, ARM role assignments. */
bool scenario_sql_all(struct loader *ld, const cJSON *top);

#endif
