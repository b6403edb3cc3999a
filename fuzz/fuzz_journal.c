/*
 * fuzz_journal — a wizard journal's text (core/journal.h journal_parse, what
 * journal_load runs on the file), then what a resume reads from the records:
 * the first record's plan through core/rotplan.h rotplan_from_json (and, when
 * it loads, the plan's text and its JSON read back again), the end record and
 * each step's journaled data (core/wizard.h).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzzsupport.h"
#include "journal.h"
#include "rotplan.h"
#include "wizard.h"

static void plan(const cJSON *first)
{
    struct rot_plan p, again;
    char *cause = NULL;
    int rc = rotplan_from_json(&p, cJSON_GetObjectItemCaseSensitive(first, "plan"), &cause);
    fuzz_check_cause(rc, &cause);
    if (rc == 0) {
        free(rotplan_text(&p));
        for (size_t i = 0; i < p.w.nsteps; i++)
            (void)wizard_state_name(p.w.steps[i].state);
        cJSON *j = rotplan_json(&p);
        if (rotplan_from_json(&again, j, &cause) < 0)
            abort(); /* a plan tdectl read must read back from its own JSON */
        rotplan_cleanup(&again);
        cJSON_Delete(j);
    }
    rotplan_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const steps[] = {"preflight", "create", "copy", "register",
                                        "switch",    "watch",  "lock"};
    cJSON *records = NULL;
    char *note = NULL, *cause = NULL;
    int rc = journal_parse((const char *)data, size, "fuzz.jsonl", &records, &note, &cause);
    fuzz_check_cause(rc, &cause);
    if (rc == 0) {
        plan(cJSON_GetArrayItem(records, 0));
        const char *outcome = NULL;
        (void)wizard_ended(records, &outcome);
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
            (void)wizard_step_data(records, steps[i]);
    }
    cJSON_Delete(records);
    free(note);
    return 0;
}
