/*
 * fuzz_keymap — a keymap file (tui/keymap.h keymap_parse) over the defaults,
 * then every action's keys and their names read back.
 */
#include <stdlib.h>

#include "fuzzsupport.h"
#include "keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keymap *km = keymap_create();
    char *cause = NULL, buf[64];
    int rc = keymap_parse(km, (const char *)data, size, "fuzz.json", &cause);
    fuzz_check_cause(rc, &cause);
    size_t n = 0;
    const struct keymap_action *acts = keymap_actions(&n);
    for (size_t i = 0; i < n; i++) {
        int keys[KEYMAP_MAX_KEYS];
        size_t k = keymap_keys(km, acts[i].action, keys);
        for (size_t j = 0; j < k && j < KEYMAP_MAX_KEYS; j++) {
            (void)keymap_key_name(keys[j], buf, sizeof buf);
            (void)keymap_lookup(km, keys[j]);
        }
        (void)keymap_first_name(km, acts[i].action, buf, sizeof buf);
    }
    char *name = fuzz_text(data, size < 64 ? size : 64);
    (void)keymap_key_parse(name);
    free(name);
    keymap_destroy(km);
    return 0;
}
