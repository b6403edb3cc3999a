/*
 * rules_inst — the instance rules (I) of the health table: identity, where
 * the protector lives, auto-rotation, partner registration, and I06 with
 * the Inaccessible clock.
 *
 * Each function evaluates one row of rules.c's table over ev->m and emits
 * through rules_emit; none judges data that was never read.
 */
#ifndef TDECTL_RULES_INST_H
#define TDECTL_RULES_INST_H

struct rules_eval;

void rules_inst_i01(struct rules_eval *ev);
void rules_inst_i02(struct rules_eval *ev);
void rules_inst_i03(struct rules_eval *ev);
void rules_inst_i04(struct rules_eval *ev);
void rules_inst_i05(struct rules_eval *ev);
void rules_inst_i06(struct rules_eval *ev);

#endif
