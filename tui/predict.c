#include "predict.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "model.h"
#include "observed.h"

size_t predict_down(struct app *a, const struct model *m, char *buf, size_t size)
{
    struct whatif_scenario sc[64];
    size_t n = observed_down(m, sc, 64), len = 0;
    (void)a;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", sc[i].target);
    return n;
}

struct whatif_result *predict_now(struct app *a, const struct model *m, size_t *n)
{
    struct whatif_params p;
    app_whatif_params(a, &p);
    return observed_run(m, NULL, &p, n);
}

bool predict_outage_one(struct app *a, const struct model *m, const char *vault,
                        const struct model_instance *mi, struct whatif_result *out)
{
    struct whatif_params p;
    app_whatif_params(a, &p);
    return mi && observed_run_one(m, vault, &p, mi, out) == 0;
}

const struct whatif_result *predict_for(const struct whatif_result *w, size_t n,
                                        const char *instance)
{
    for (size_t i = 0; w && instance && i < n; i++)
        if (strcmp(w[i].instance, instance) == 0)
            return &w[i];
    return NULL;
}
