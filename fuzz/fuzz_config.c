/*
 * fuzz_config — the configuration file (core/config.h config_parse) over the
 * defaults, then every option's value as text (what `tdectl config` shows).
 */
#include <stdlib.h>

#include "config.h"
#include "fuzzsupport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    char *cause = NULL;
    config_init(&c);
    int rc = config_parse(&c, (const char *)data, size, "fuzz.json", &cause);
    fuzz_check_cause(rc, &cause);
    size_t n = 0;
    const struct config_option *opts = config_options(&n);
    for (size_t i = 0; i < n; i++)
        free(config_value_text(&c, &opts[i]));
    config_cleanup(&c);
    return 0;
}
