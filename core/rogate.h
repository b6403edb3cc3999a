/*
 * rogate — the read-only gate: may this request be sent in read-only mode?
 *
 * Allowed: GET, HEAD and OPTIONS; the token requests of the identity
 * providers (POST .../oauth2/v2.0/token and .../oauth2/token); and an explicit
 * list of POSTs that change nothing: Key Vault wrapkey, unwrapkey, encrypt,
 * decrypt, sign and verify on a key version, and ARM
 * validateAzureKeyVaultEncryptionKey. Everything else (PUT, PATCH, DELETE,
 * any other POST: create, import, backup, restore, rotate, revalidate,
 * failover, ...) is refused. Pure function; the transport calls it before
 * sending anything, so the guarantee does not depend on any front end.
 */
#ifndef TDECTL_ROGATE_H
#define TDECTL_ROGATE_H

#include <stdbool.h>

/* NULL when allowed, else a static reason ("PUT changes Azure"). */
const char *rogate_check(const char *method, const char *url);

#endif
