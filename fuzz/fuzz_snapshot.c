/*
 * fuzz_snapshot — the model snapshot's text (core/snapshot.h snapshot_parse,
 * what snapshot_load runs on the file) into an empty model.
 */
#include <stdlib.h>

#include "fuzzsupport.h"
#include "model.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct model *m = model_create();
    char *cause = NULL;
    enum core_err err = snapshot_parse(m, (const char *)data, size, &cause);
    fuzz_check_cause(err == CORE_OK ? 0 : -1, &cause);
    model_destroy(m);
    return 0;
}
