/*
 * rules_vault — the vault rules (V) of the health table: vault state, grants,
 * permission model, network path, tenant, SKU, the console's probe, load.
 *
 * Each function evaluates one row of rules.c's table over ev->m and emits
 * through rules_emit; none judges data that was never read.
 */
#ifndef TDECTL_RULES_VAULT_H
#define TDECTL_RULES_VAULT_H

struct rules_eval;

void rules_vault_v01(struct rules_eval *ev);
void rules_vault_v02(struct rules_eval *ev);
void rules_vault_v03(struct rules_eval *ev);
void rules_vault_v04(struct rules_eval *ev);
void rules_vault_v05(struct rules_eval *ev);
void rules_vault_v07(struct rules_eval *ev);
void rules_vault_v08(struct rules_eval *ev);
void rules_vault_v09(struct rules_eval *ev);
void rules_vault_v10(struct rules_eval *ev);
void rules_vault_v11(struct rules_eval *ev);
void rules_vault_v13(struct rules_eval *ev);
void rules_vault_v14(struct rules_eval *ev);
void rules_vault_v15(struct rules_eval *ev);
void rules_vault_v18(struct rules_eval *ev);

#endif
