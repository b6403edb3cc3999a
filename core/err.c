#include "err.h"

static const char *const names[CORE_ERR_COUNT] = {
    [CORE_OK] = "ok",
    [CORE_ERR_NETWORK] = "network",
    [CORE_ERR_TIMEOUT] = "timeout",
    [CORE_ERR_TLS] = "tls",
    [CORE_ERR_HTTP] = "http",
    [CORE_ERR_AUTH] = "auth",
    [CORE_ERR_FORBIDDEN] = "forbidden",
    [CORE_ERR_NOT_FOUND] = "not-found",
    [CORE_ERR_THROTTLED] = "throttled",
    [CORE_ERR_PARSE] = "parse",
    [CORE_ERR_LIMIT] = "limit",
    [CORE_ERR_REFUSED] = "refused",
    [CORE_ERR_CANCELLED] = "cancelled",
    [CORE_ERR_CONFIG] = "config",
    [CORE_ERR_IO] = "io",
};

const char *core_err_name(enum core_err err)
{
    return (unsigned)err < CORE_ERR_COUNT ? names[err] : "unknown";
}
