/*
 * fuzz_theme — a theme file (themes/theme.h theme_parse) over the built-in
 * default, then its name and glyphs read back. No terminal is touched
 * (theme_apply is never called).
 */
#include <stdlib.h>

#include "fuzzsupport.h"
#include "theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct theme *t = theme_create();
    char *cause = NULL;
    int rc = theme_parse(t, (const char *)data, size, "fuzz.json", &cause);
    fuzz_check_cause(rc, &cause);
    (void)theme_name(t);
    (void)theme_glyphs(t);
    (void)theme_ascii(t);
    theme_destroy(t);
    return 0;
}
