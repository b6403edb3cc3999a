#include "authmi.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "http.h"
#include "loop.h"
#include "xmem.h"

#define IMDS_DEFAULT     "http://169.254.169.254"
#define IMDS_PATH        "/metadata/identity/oauth2/token"
#define PROBE_TIMEOUT_MS 1000

struct authmi_call {
    struct loop *loop;
    struct http *http;
    authprov_fn fn;
    void *arg;
    char *url;
    char *header_name;
    char *header_value; /* X-IDENTITY-HEADER is a secret */
    struct http_call *hc;
    /* The probe. */
    int fd;
    int probe_errno; /* a connect refused at once */
    uint64_t timer;
    char *probe_target; /* "169.254.169.254:80", for causes */
};

static bool app_service(const struct authmi_request *req)
{
    return req->identity_endpoint && *req->identity_endpoint && req->identity_header &&
           *req->identity_header;
}

char *authmi_url(const struct authmi_request *req)
{
    char *resource = authprov_urlencode(req->resource ? req->resource : "");
    char *client = req->client_id && *req->client_id ? authprov_urlencode(req->client_id) : NULL;
    char *url;
    if (app_service(req)) {
        url = xasprintf("%s%sapi-version=2019-08-01&resource=%s%s%s", req->identity_endpoint,
                        strchr(req->identity_endpoint, '?') ? "&" : "?", resource,
                        client ? "&client_id=" : "", client ? client : "");
    } else {
        const char *base =
            req->imds_endpoint && *req->imds_endpoint ? req->imds_endpoint : IMDS_DEFAULT;
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
            n--;
        url = xasprintf("%.*s" IMDS_PATH "?api-version=2018-02-01&resource=%s%s%s", (int)n, base,
                        resource, client ? "&client_id=" : "", client ? client : "");
    }
    free(resource);
    free(client);
    return url;
}

static void call_free(struct authmi_call *c)
{
    if (c->fd >= 0) {
        loop_unwatch(c->loop, c->fd);
        close(c->fd);
    }
    if (c->timer)
        loop_timer_cancel(c->loop, c->timer);
    free(c->url);
    free(c->header_name);
    authprov_free_secret(c->header_value);
    free(c->probe_target);
    free(c);
}

static void finish(struct authmi_call *c, struct authprov_token *tok, enum core_err err,
                   const char *cause)
{
    c->fn(err == CORE_OK ? tok : NULL, err, cause, c->arg);
    call_free(c);
}

static void on_answer(struct http_result *res, void *arg)
{
    struct authmi_call *c = arg;
    c->hc = NULL;
    struct authprov_token tok = {0};
    char *cause = NULL;
    enum core_err err = res->err;
    size_t len = 0;
    char *body = http_result_take_body(res, &len);
    if (err == CORE_OK)
        err = authprov_parse_mi(res->status, body, len, loop_wall(c->loop) / 1000, &tok, &cause);
    else
        xcause(&cause, "the managed identity endpoint could not be reached: %s",
               res->cause ? res->cause : "no answer");
    authprov_mask(cause, c->header_value);
    authprov_free_secret(body);
    finish(c, &tok, err, cause);
    authprov_token_cleanup(&tok);
    free(cause);
}

static void request_token(struct authmi_call *c)
{
    struct http_header h = {c->header_name, c->header_value};
    struct http_request hr = {.method = "GET", .url = c->url, .headers = &h, .nheaders = 1};
    c->hc = http_send(c->http, &hr, on_answer, c);
}

/* -- the probe -------------------------------------------------------------------------------- */

static void probe_end(struct authmi_call *c, int error)
{
    if (c->fd >= 0) {
        loop_unwatch(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    if (c->timer)
        loop_timer_cancel(c->loop, c->timer);
    c->timer = 0;
    if (error == 0) {
        request_token(c);
        return;
    }
    char *cause = xasprintf("no managed identity endpoint at %s: %s", c->probe_target,
                            error == ETIMEDOUT ? "no answer in time" : strerror(error));
    finish(c, NULL, error == ETIMEDOUT ? CORE_ERR_TIMEOUT : CORE_ERR_NETWORK, cause);
    free(cause);
}

static void on_probe_fd(struct loop *loop, int fd, short revents, void *arg)
{
    (void)loop;
    (void)revents;
    struct authmi_call *c = arg;
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
        error = errno;
    probe_end(c, error);
}

static void on_probe_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct authmi_call *c = arg;
    c->timer = 0;
    probe_end(c, c->fd >= 0 ? ETIMEDOUT : c->probe_errno);
}

/* The IMDS endpoint as a socket address, when it is an IP literal (a name would need DNS). */
static bool probe_address(const char *endpoint, struct sockaddr_storage *sa, socklen_t *salen,
                          char **target)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    bool ok = false;
    if (u && curl_url_set(u, CURLUPART_URL, endpoint, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        char *end = NULL;
        long p = strtol(port, &end, 10);
        size_t hl = strlen(host);
        char bare[64] = "";
        if (hl > 2 && host[0] == '[' && hl - 2 < sizeof bare)
            snprintf(bare, sizeof bare, "%.*s", (int)(hl - 2), host + 1);
        struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
        memset(sa, 0, sizeof *sa);
        if (*end == '\0' && p > 0 && p < 65536) {
            if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
                v4->sin_family = AF_INET;
                v4->sin_port = htons((uint16_t)p);
                *salen = sizeof *v4;
                ok = true;
            } else if (*bare && inet_pton(AF_INET6, bare, &v6->sin6_addr) == 1) {
                v6->sin6_family = AF_INET6;
                v6->sin6_port = htons((uint16_t)p);
                *salen = sizeof *v6;
                ok = true;
            }
        }
        if (ok)
            *target = xasprintf("%s:%ld", host, p);
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

/* Starts the probe; false when the endpoint cannot be probed (then the token is asked at once). */
static bool probe_start(struct authmi_call *c, const char *endpoint, int64_t timeout_ms)
{
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    if (!probe_address(endpoint, &sa, &salen, &c->probe_target))
        return false;
    c->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return false;
    if (connect(c->fd, (struct sockaddr *)&sa, salen) == 0 || errno == EINPROGRESS) {
        /* Connected or connecting: writable once it is settled either way. */
        loop_watch(c->loop, c->fd, POLLOUT, on_probe_fd, c);
        c->timer =
            loop_timer(c->loop, timeout_ms > 0 ? timeout_ms : PROBE_TIMEOUT_MS, on_probe_timer, c);
    } else {
        /* Refused at once: reported from the loop, never from inside authmi_send. */
        c->probe_errno = errno ? errno : ECONNREFUSED;
        close(c->fd);
        c->fd = -1;
        c->timer = loop_timer(c->loop, 0, on_probe_timer, c);
    }
    return true;
}

struct authmi_call *authmi_send(struct loop *loop, struct http *http,
                                const struct authmi_request *req, authprov_fn fn, void *arg)
{
    struct authmi_call *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->http = http;
    c->fn = fn;
    c->arg = arg;
    c->fd = -1;
    c->url = authmi_url(req);
    bool as = app_service(req);
    c->header_name = xstrdup(as ? "X-IDENTITY-HEADER" : "Metadata");
    c->header_value = xstrdup(as ? req->identity_header : "true");
    const char *endpoint =
        req->imds_endpoint && *req->imds_endpoint ? req->imds_endpoint : IMDS_DEFAULT;
    if (as || !req->probe || !probe_start(c, endpoint, req->probe_timeout_ms))
        request_token(c);
    return c;
}

void authmi_cancel(struct authmi_call *c)
{
    if (c == NULL)
        return;
    if (c->hc)
        http_cancel(c->hc);
    call_free(c);
}
