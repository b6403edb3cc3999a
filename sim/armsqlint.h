/* armsqlint — shared by armsql.c and armfog.c only. */
#ifndef AZSIM_ARMSQLINT_H
#define AZSIM_ARMSQLINT_H

#include <cjson/cJSON.h>

#include "armint.h"

struct instance;
struct server_key;

/* https://{vault}.vault.{suffix}:PORT/keys/{key}/{version} (heap). */
char *armsql_key_uri(const struct arm_ctx *ctx, const struct server_key *k);
/* The partner of mi in its failover group, or NULL. */
struct instance *armsql_partner(const struct arm_ctx *ctx, const struct instance *mi);

#endif
