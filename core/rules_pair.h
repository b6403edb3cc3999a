/*
 * rules_pair — the failover-group rules (G) of the health table: the two
 * instances and their two vaults compared.
 *
 * Each function evaluates one row of rules.c's table over ev->m and emits
 * through rules_emit; none judges data that was never read.
 */
#ifndef TDECTL_RULES_PAIR_H
#define TDECTL_RULES_PAIR_H

struct rules_eval;

void rules_pair_g01(struct rules_eval *ev);
void rules_pair_g02(struct rules_eval *ev);
void rules_pair_g03(struct rules_eval *ev);
void rules_pair_g04(struct rules_eval *ev);
void rules_pair_g05(struct rules_eval *ev);

#endif
