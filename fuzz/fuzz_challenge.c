/*
 * fuzz_challenge — the WWW-Authenticate Bearer challenge parser
 * (core/challenge.h), then what tdectl does with a parsed one: checks it
 * against a few vault URLs, derives the v1 resource and decodes the claims.
 */
#include <stdlib.h>
#include <string.h>

#include "authprov.h"
#include "challenge.h"
#include "fuzzsupport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const urls[] = {
        "https://kv-tde.vault.azure.net/keys/k?api-version=7.4",
        "https://kv-tde.vault.azure.net:443/keys",
        "https://kv.vault.localhost:8443/keys",
        "http://kv-tde.vault.azure.net/",
        "https://evil.example/keys",
    };
    char *header = fuzz_text(data, size), *cause = NULL;
    struct challenge c;
    memset(&c, 0, sizeof c);
    int rc = challenge_parse(header, &c, &cause);
    fuzz_check_cause(rc, &cause);
    if (rc == 0) {
        if (c.scope == NULL)
            abort(); /* challenge.h: a scope, given or derived */
        for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
            (void)challenge_fits(&c, urls[i]);
        (void)challenge_fits(&c, header);
        free(authprov_scope_resource(c.scope));
        if (c.claims)
            free(authprov_claims_json(c.claims));
    }
    challenge_cleanup(&c);
    free(header);
    return 0;
}
