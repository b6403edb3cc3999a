/*
 * rules_data — D01, tdectl's own rule: what it could not read, per entity,
 * so that an estate it cannot see is never shown as healthy.
 *
 * Each function evaluates one row of rules.c's table over ev->m and emits
 * through rules_emit; none judges data that was never read.
 */
#ifndef TDECTL_RULES_DATA_H
#define TDECTL_RULES_DATA_H

struct rules_eval;

void rules_data_d01(struct rules_eval *ev);

#endif
