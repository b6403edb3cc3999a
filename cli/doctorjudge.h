/*
 * doctorjudge — the judgements of `tdectl doctor`, as pure functions (no
 * I/O), so each can be tested alone: the clock skew, the principal's object
 * id from a token, the configured credentials, a network probe's timing, a
 * refused token's fix, and what the principal may do on a vault and a
 * subscription.
 *
 * The object id comes from the ARM token's `oid` claim: the JWT payload is
 * decoded (base64url JSON) WITHOUT verifying the signature. That is enough
 * here: the token came over TLS from the authority tdectl trusts, and the
 * claim is only used to find the principal's own grants, never to grant
 * anything.
 *
 * Ownership: *detail and *fix are heap strings for the caller (fix NULL when
 * nothing is to fix). No output contains a secret: credentials are named by
 * the variable that holds them, never by value.
 */
#ifndef TDECTL_DOCTORJUDGE_H
#define TDECTL_DOCTORJUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "doctorreport.h"
#include "err.h"
#include "http.h"
#include "model.h"

/* Beyond these the clock is wrong enough to matter: tokens carry nbf/exp checked with 5 min slack.
 */
#define DOCTOR_SKEW_WARN_S 60
#define DOCTOR_SKEW_FAIL_S 300
/* A probe slower than this (the whole request) is a warning. */
#define DOCTOR_SLOW_MS 1000

/* |skew_s| <= 60: OK, <= 300: WARN, else FAIL. */
enum doctor_level doctorjudge_skew(int64_t skew_s);

/*
 * The server's Date header against the local clock (Unix seconds when the
 * answer arrived): 0 and *skew_s = server - local, or -1 when date is not
 * an HTTP date.
 */
int doctorjudge_date_skew(const char *date, int64_t local_s, int64_t *skew_s);

/* A string claim of a JWT's payload (heap), unverified; NULL when absent or not a JWT. */
char *doctorjudge_jwt_claim(const char *jwt, const char *claim);

/*
 * Which credentials of the chain are configured in ac (config + environment
 * already merged); az_found: the az command is there. FAIL when the mode
 * chosen lacks what it needs (e.g. mode secret without AZURE_CLIENT_SECRET).
 */
enum doctor_level doctorjudge_credentials(const struct auth_config *ac, bool az_found,
                                          char **detail, char **fix);

/* What to do about a token request that failed with err and cause. */
char *doctorjudge_token_fix(enum core_err err, const char *cause, const struct auth_config *ac,
                            const char *authority);

/*
 * A timed probe of host (an endpoint or a vault): an answer of any status
 * proves the path. OK with the phase times; WARN slower than DOCTOR_SLOW_MS;
 * FAIL without an answer (TLS verification failing is said so).
 */
enum doctor_level doctorjudge_network(const struct http_result *res, const char *host,
                                      const char *ca_file, char **detail, char **fix);

/*
 * What principal (object id; NULL when unknown) may do on v's keys: get and
 * list are what the console needs (wrapKey/unwrapKey are the instances'
 * needs, not its). From the vault's access policies or, on an RBAC vault,
 * its role assignments, both as the engine read them; a key list refused
 * with 403 is a FAIL whatever they say.
 */
enum doctor_level doctorjudge_vault(const struct model_vault *v, const char *principal,
                                    char **detail, char **fix);

/* Reader or better on s, from the outcome of the engine's reads (a 403 is a FAIL). */
enum doctor_level doctorjudge_subscription(const struct model_subscription *s,
                                           const char *principal, char **detail, char **fix);

#endif
