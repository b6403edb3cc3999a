/*
 * authcli — a token from the Azure CLI (reference/azure-protocol.md 2.5):
 *
 *   az account get-access-token --scope SCOPE [--tenant T] --output json
 *
 * run as a child process (posix_spawn, in its own process group, stdin from
 * /dev/null) whose stdout and stderr are pipes watched by the loop, never
 * read blocking. A timer bounds the run: past it the whole process group is
 * killed (SIGKILL) and the call fails with CORE_ERR_TIMEOUT. The child is
 * reaped with waitpid(WNOHANG) from the loop; only a killed child is waited
 * for (it is already dying).
 *
 * Secrets: stdout holds the token. It is never logged nor put in a cause,
 * and its buffer is cleansed. A failure's cause quotes the first error line
 * az wrote on stderr ("ERROR: Please run 'az login' ...").
 *
 * Lifetimes: authcli_run copies what it needs; the callback runs once, from
 * the loop, unless the call is cancelled first (cancel kills the child).
 */
#ifndef TDECTL_AUTHCLI_H
#define TDECTL_AUTHCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authprov.h"

struct loop;
struct authcli_call;

struct authcli_request {
    const char *command; /* NULL: "az", looked up on PATH */
    const char *scope;
    const char *tenant; /* NULL: the CLI's current tenant */
    int64_t timeout_ms; /* 0: 10000 */
};

/* Is command (NULL: "az") an executable file, directly or on PATH? */
bool authcli_found(const char *command);

/*
 * az's JSON: accessToken, and expires_on (Unix seconds, number or string;
 * preferred) or expiresOn (local time "YYYY-MM-DD HH:MM:SS[.ffffff]").
 * CORE_OK with *out, else CORE_ERR_PARSE with *cause (never quoting the text).
 */
enum core_err authcli_parse(const char *json, size_t len, struct authprov_token *out, char **cause);

/* NULL with *cause (CORE_ERR_CONFIG material) when the command cannot be started. */
struct authcli_call *authcli_run(struct loop *loop, const struct authcli_request *req,
                                 authprov_fn fn, void *arg, char **cause);
void authcli_cancel(struct authcli_call *c);

#endif
