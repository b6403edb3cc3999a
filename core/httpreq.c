#include "httpreq.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "xmem.h"

void httpreq_list_add(struct curl_slist **list, char *line)
{
    struct curl_slist *node = xmalloc(sizeof *node);
    node->data = line;
    node->next = NULL;
    while (*list)
        list = &(*list)->next;
    *list = node;
}

void httpreq_list_free(struct curl_slist *list)
{
    while (list) {
        struct curl_slist *next = list->next;
        OPENSSL_cleanse(list->data, strlen(list->data));
        free(list->data);
        free(list);
        list = next;
    }
}

/* A random (version 4) UUID, lower case; ids need no more than a clock if OpenSSL fails. */
static void uuid4(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        static uint64_t counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (++counter << 40);
        for (size_t i = 0; i < sizeof b; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[i] = (unsigned char)x;
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static bool method_known(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(m, known[i]) == 0)
            return true;
    }
    return false;
}

static bool header_ok(const char *name, const char *value)
{
    if (name == NULL || *name == '\0' || value == NULL)
        return false;
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
            return false;
    }
    return strpbrk(value, "\r\n") == NULL;
}

/* Plain http only where TLS cannot be had: loopback and the instance metadata service. */
static bool local_host(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
           strcmp(host, "localhost") == 0 || strcmp(host, "169.254.169.254") == 0;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Sets log_url, host_key and plain from the URL as libcurl reads it; a cause when unusable. */
static char *parse_url(struct httpreq *r, const char *method, const char *url)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *defport = NULL, *path = NULL, *user = NULL;
    char *cause = NULL;
    CURLU *u = curl_url();

    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &defport, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        cause = xasprintf("%s: not a valid URL", method);
        goto out;
    }
    lower(scheme);
    lower(host);
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    r->log_url = xasprintf("%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "", path);
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        cause = xasprintf("%s %s: credentials in a URL are refused", method, r->log_url);
        goto out;
    }
    r->local = local_host(host);
    r->plain = strcmp(scheme, "http") == 0;
    if (strcmp(scheme, "https") != 0 && !(r->plain && r->local)) {
        cause = xasprintf("%s %s: only https URLs are allowed (plain http only to loopback "
                          "or the instance metadata service)",
                          method, r->log_url);
        goto out;
    }
    r->host_key = xasprintf("%s://%s:%s", scheme, host, defport);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(defport);
    curl_free(path);
    curl_free(user);
    curl_url_cleanup(u);
    return cause;
}

/* Appends "name: value"; a NULL value removes one of libcurl's own headers. */
static void add_header(struct curl_slist **list, const char *name, const char *value)
{
    /* "Name;" sends an empty header, "Name:" removes one of libcurl's. */
    char *line = value ? xasprintf("%s: %s", name, value) : xasprintf("%s:", name);
    if (value && *value == '\0')
        line[strlen(name)] = ';';
    httpreq_list_add(list, line);
}

static bool has_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0)
            return true;
    }
    return false;
}

static char *make_headers(struct httpreq *r, const struct http_request *req)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!header_ok(req->headers[i].name, req->headers[i].value))
            return xasprintf("%s %s: header %zu is not a valid header", req->method, r->log_url, i);
    }
    if (req->authorization && strpbrk(req->authorization, "\r\n"))
        return xasprintf("%s %s: the Authorization value is not a valid header", req->method,
                         r->log_url);
    struct curl_slist **l = &r->headers;
    if (!has_header(req, "Accept"))
        add_header(l, "Accept", "application/json");
    add_header(l, "x-ms-client-request-id", r->client_request_id);
    add_header(l, "x-ms-return-client-request-id", "true");
    if (req->body)
        add_header(l, "Content-Type", req->content_type ? req->content_type : "application/json");
    else if (r->fields)
        add_header(l, "Content-Type", NULL); /* not libcurl's form type on an empty body */
    add_header(l, "Expect", NULL);           /* no 100-continue round trip */
    for (size_t i = 0; i < req->nheaders; i++)
        add_header(l, req->headers[i].name, req->headers[i].value);
    if (req->authorization)
        add_header(l, "Authorization", req->authorization);
    return NULL;
}

char *httpreq_init(struct httpreq *r, const struct http_request *req)
{
    memset(r, 0, sizeof *r);
    uuid4(r->client_request_id);
    if (req->method == NULL || req->url == NULL)
        return xstrdup("a request without a method or a URL");
    if (!method_known(req->method))
        return xstrdup("a request with an unknown method");
    if (req->body == NULL && req->body_len > 0)
        return xstrdup("a request with a body length but no body");
    char *cause = parse_url(r, req->method, req->url);
    if (cause)
        return cause;
    /* POST, PUT and PATCH always carry a body (maybe empty) so Content-Length is sent. */
    r->fields = req->body != NULL || strcmp(req->method, "POST") == 0 ||
                strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0;
    if (req->body) {
        r->body = xmalloc(req->body_len + 1);
        memcpy(r->body, req->body, req->body_len);
        r->body[req->body_len] = '\0';
        r->body_len = req->body_len;
    }
    return make_headers(r, req);
}

void httpreq_cleanup(struct httpreq *r)
{
    httpreq_list_free(r->headers);
    if (r->body) {
        OPENSSL_cleanse(r->body, r->body_len);
        free(r->body);
    }
    free(r->log_url);
    free(r->host_key);
    memset(r, 0, sizeof *r);
}
