/*
 * err — how core reports failure (STYLE.md rule 4).
 *
 * A function that can fail returns an enum core_err (CORE_OK on success) or -1/NULL,
 * and, when the caller passed a non-NULL `char **cause`, an allocated sentence
 * saying why (the caller frees it). Remote failures are never fatal: the engine
 * turns them into visible state (stale, unreachable, throttled) in the model.
 */
#ifndef TDECTL_ERR_H
#define TDECTL_ERR_H

enum core_err {
    CORE_OK = 0,
    CORE_ERR_NETWORK,   /* DNS, connection refused or reset, broken transfer */
    CORE_ERR_TIMEOUT,   /* connect or total timeout */
    CORE_ERR_TLS,       /* certificate not trusted, handshake failed */
    CORE_ERR_HTTP,      /* the service answered with an error status */
    CORE_ERR_AUTH,      /* no token, token refused (401), challenge failed */
    CORE_ERR_FORBIDDEN, /* 403: authenticated but not allowed */
    CORE_ERR_NOT_FOUND, /* 404: the resource does not exist */
    CORE_ERR_THROTTLED, /* 429 after the retries the budget allows */
    CORE_ERR_PARSE,     /* the answer is not what the protocol says */
    CORE_ERR_LIMIT,     /* an answer too large, too many pages, too many redirects */
    CORE_ERR_REFUSED,   /* refused before sending: read-only gate, challenge mismatch */
    CORE_ERR_CANCELLED, /* the caller cancelled, or the engine is stopping */
    CORE_ERR_CONFIG,    /* a configuration or credential problem */
    CORE_ERR_IO,        /* a local file could not be read or written */
    CORE_ERR_COUNT
};

/* A short stable name: "network", "timeout", "tls", "http", "auth", ... */
const char *core_err_name(enum core_err err);

#endif
