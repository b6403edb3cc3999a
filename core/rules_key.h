/*
 * rules_key — the key rules (K) of the health table: the protector's version
 * and its copies (existence, type, dates, operations), former protectors,
 * older versions, rotation policy, name length.
 *
 * Each function evaluates one row of rules.c's table over ev->m and emits
 * through rules_emit; none judges data that was never read.
 */
#ifndef TDECTL_RULES_KEY_H
#define TDECTL_RULES_KEY_H

struct rules_eval;

void rules_key_k01(struct rules_eval *ev);
void rules_key_k02(struct rules_eval *ev);
void rules_key_k03(struct rules_eval *ev);
void rules_key_k04(struct rules_eval *ev);
void rules_key_k05(struct rules_eval *ev);
void rules_key_k06(struct rules_eval *ev);
void rules_key_k07(struct rules_eval *ev);
void rules_key_k08(struct rules_eval *ev);
void rules_key_k10(struct rules_eval *ev);
void rules_key_k11(struct rules_eval *ev);

#endif
