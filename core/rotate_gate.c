/*
 * rotate — what a run must pass before it changes anything: the group's
 * findings and state judged (stale plan, Inaccessible databases,
 * auto-rotation, the new name), and the operator lock (see rotate.h;
 * control in rotate.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oplock.h"
#include "report.h"
#include "rotate.h"
#include "rotate_int.h"
#include "xmem.h"

/* The critical and high findings in the group's scope, one per line (heap), or NULL. */
char *rotate_scope_findings(const struct model *m, const struct health *h, const char *group)
{
    if (m == NULL || h == NULL)
        return NULL;
    const struct health_finding **f = NULL;
    size_t n = 0;
    if (report_group_findings(m, h, group, HEALTH_HIGH, &f, &n, NULL) < 0 || n == 0) {
        free(f);
        return NULL;
    }
    /* The evidence, not the rule's title: the title says what should hold ("Protector version
     * exists and is enabled"), which reads as the opposite of the problem. */
    char *out = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        const char *what = f[i]->evidence && f[i]->evidence[0] ? f[i]->evidence : f[i]->title;
        char *next = xasprintf("%s%s  %s %s %s: %s", out, i ? "\n" : "", f[i]->rule,
                               f[i]->sev == HEALTH_CRIT ? "CRIT" : "HIGH", f[i]->subject, what);
        free(out);
        out = next;
    }
    free(f);
    return out;
}

/* Why apply (or a resume) would be refused with the state just read; NULL when nothing. */
char *rotate_judge(const struct rotate *r)
{
    char *b = NULL, what[160];
    const struct rot_state *st = r->st;
    if (st == NULL || st->err != CORE_OK) {
        xstr_appendf(&b, "the group could not be read: %s\n",
                     st && st->error ? st->error : "no read");
        return b;
    }
    if (!r->resuming && r->findings)
        xstr_appendf(&b, "critical or high findings in the group's scope (fix them first):\n%s\n",
                     r->findings);
    const struct rot_inst *in[2] = {&st->pri, &st->sec};
    const struct rot_side *sd[2] = {&r->plan.pri, &r->plan.sec};
    for (int i = 0; i < 2; i++) {
        if (rotread_inaccessible(in[i], what, sizeof what))
            xstr_appendf(&b, "%s: database %s: revalidate the protector before rotating\n",
                         sd[i]->instance, what);
        if (in[i]->protector.auto_rotation)
            xstr_appendf(&b,
                         "%s has auto-rotation on: it would adopt new versions on its own, "
                         "possibly before its partner has the material; turn it off first\n",
                         sd[i]->instance);
    }
    const struct rot_copy *c[2] = {&st->csec, &st->cpri};
    const char *vn[2] = {r->plan.sec.vault, r->plan.pri.vault};
    for (int i = 0; i < (r->plan.one_vault ? 1 : 2) && !r->resuming; i++)
        if (c[i]->exists || c[i]->deleted)
            xstr_appendf(&b, "the key name %s is %s in %s: choose another name (--key-name)\n",
                         r->plan.new_key, c[i]->exists ? "taken" : "soft-deleted (reserved)",
                         vn[i]);
    return b;
}

/* -- preconditions and the lock (control steps) -- */

void rotate_preconditions(struct rotate *r)
{
    const struct rot_state *st = r->st;
    if (st == NULL || st->err != CORE_OK) {
        rotate_step_fail(r, ROTATE_REFUSED, "the group could not be read: %s",
                         st && st->error ? st->error : "no answer");
        return;
    }
    if (!r->resuming && !r->rolling_back && strcmp(st->digest, r->plan.digest) != 0) {
        wizard_check(&r->plan.w, false, "plan is current",
                     "the group changed since the plan was made (plan id %.12s, now %.12s)",
                     r->plan.digest, st->digest);
        rotate_step_fail(r, ROTATE_REFUSED,
                         "the plan is stale: the group changed since it was made; plan again");
        return;
    }
    if (!r->resuming && !r->rolling_back)
        wizard_check(&r->plan.w, true, "plan is current", "plan id %.12s", r->plan.digest);
    free(r->blockers);
    r->blockers = rotate_judge(r);
    wizard_check(&r->plan.w, r->blockers == NULL, "preconditions", "%s",
                 r->blockers ? r->blockers
                             : "no blocking finding, no database Inaccessible, "
                               "auto-rotation off on both");
    if (r->blockers) {
        int len = (int)strlen(r->blockers); /* each blocker ends in a newline: not the detail */
        rotate_step_fail(r, ROTATE_REFUSED, "preconditions not met:\n%.*s", len - 1, r->blockers);
        return;
    }
    rotate_step_ok(r, NULL, "preconditions met");
}

static void on_locked(enum core_err err, enum oplock_state state, const struct oplock *lock,
                      const char *cause, void *arg)
{
    struct rotate *r = arg;
    r->lockcall = NULL;
    if (err != CORE_OK) {
        rotate_step_fail(r, ROTATE_REFUSED, "the operator lock could not be taken: %s",
                         cause ? cause : core_err_name(err));
        return;
    }
    if (state != OPLOCK_OURS) {
        char *who = lock ? oplock_describe(lock, rotate_wall(r)) : xstrdup("unreadable tags");
        rotate_step_fail(r, ROTATE_REFUSED, "another operator holds the lock on %s: %s%s%s",
                         r->plan.group, who, cause ? "; " : "", cause ? cause : "");
        free(who);
        return;
    }
    r->lock_held = true;
    char *desc = oplock_describe(lock, rotate_wall(r));
    rotate_step_ok(r, NULL, "%s", desc);
    free(desc);
}

void rotate_take_lock(struct rotate *r)
{
    struct oplock want;
    memset(&want, 0, sizeof want);
    snprintf(want.owner, sizeof want.owner, "%s", r->owner);
    snprintf(want.run, sizeof want.run, "%s", r->plan.w.run);
    snprintf(want.op, sizeof want.op, "%s", r->rolling_back ? "rollback" : "rotate");
    const cJSON *rec;
    cJSON_ArrayForEach(rec, r->records)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(rec, "name");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "value");
        if (cJSON_IsString(n) && cJSON_IsString(v) && strcmp(n->valuestring, "reason") == 0)
            snprintf(want.reason, sizeof want.reason, "%s", v->valuestring);
    }
    want.expires = rotate_wall(r) + r->plan.lock_s;
    r->lockcall =
        oplock_acquire(r->p.az, r->plan.pri.instance_id, &want, rotate_wall(r), on_locked, r);
}
