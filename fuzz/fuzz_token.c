/*
 * fuzz_token — the token endpoints' answers: Entra ID (core/authprov.h
 * authprov_parse_entra), managed identity (authprov_parse_mi), both under a
 * success and a few failure statuses, and the Azure CLI's JSON
 * (core/authcli.h authcli_parse). A cause must never carry the client secret.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "authcli.h"
#include "authprov.h"
#include "fuzzsupport.h"

#define SECRET "fuzz~Client.Secret_0123456789"
#define NOW    1764460800 /* 2025-11-30T00:00:00Z: the parsers take the clock as an argument */

static void check(enum core_err err, struct authprov_token *tok, char **cause, bool masked)
{
    if (err != CORE_OK && (*cause == NULL || **cause == '\0'))
        abort(); /* every failure says why */
    if (err == CORE_OK && (tok->access_token == NULL || tok->access_token[0] == '\0'))
        abort(); /* CORE_OK means a usable token */
    if (masked && *cause && strstr(*cause, SECRET))
        abort(); /* authprov.h: the secret is masked in causes */
    if (*cause && tok->access_token && tok->access_token[0] && strstr(*cause, tok->access_token))
        abort(); /* a cause never contains a token */
    free(*cause);
    *cause = NULL;
    authprov_token_cleanup(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 400, 401, 429, 500};
    const char *body = (const char *)data;
    char *cause = NULL;
    struct authprov_token tok;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        memset(&tok, 0, sizeof tok);
        check(authprov_parse_entra(statuses[i], body, size, NOW, SECRET, &tok, &cause), &tok,
              &cause, true);
        memset(&tok, 0, sizeof tok);
        check(authprov_parse_mi(statuses[i], body, size, NOW, &tok, &cause), &tok, &cause, false);
    }
    memset(&tok, 0, sizeof tok);
    check(authcli_parse(body, size, &tok, &cause), &tok, &cause, false);
    return 0;
}
