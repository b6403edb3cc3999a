#include "authentra.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "loop.h"
#include "xmem.h"

struct authentra_call {
    struct loop *loop;
    struct http_call *http;
    authprov_fn fn;
    void *arg;
    char *secret; /* kept to mask it should Entra's answer repeat it */
};

char *authentra_token_url(const char *authority, const char *tenant)
{
    return xasprintf("%s/%s/oauth2/v2.0/token", authority, tenant);
}

static void call_free(struct authentra_call *c)
{
    authprov_free_secret(c->secret);
    free(c);
}

static void on_answer(struct http_result *res, void *arg)
{
    struct authentra_call *c = arg;
    struct authprov_token tok = {0};
    char *cause = NULL;
    enum core_err err = res->err;
    size_t len = 0;
    char *body = http_result_take_body(res, &len);
    if (err == CORE_OK) {
        err = authprov_parse_entra(res->status, body, len, loop_wall(c->loop) / 1000, c->secret,
                                   &tok, &cause);
    } else {
        xcause(&cause, "Entra ID could not be reached: %s", res->cause ? res->cause : "no answer");
        authprov_mask(cause, c->secret);
    }
    authprov_free_secret(body);
    c->fn(err == CORE_OK ? &tok : NULL, err, cause, c->arg);
    authprov_token_cleanup(&tok);
    free(cause);
    call_free(c);
}

static bool missing(const char *s)
{
    return s == NULL || *s == '\0';
}

struct authentra_call *authentra_send(struct loop *loop, struct http *http,
                                      const struct authentra_request *req, authprov_fn fn,
                                      void *arg, char **cause)
{
    if (missing(req->authority) || missing(req->tenant) || missing(req->client_id) ||
        missing(req->scope) || (missing(req->client_secret) && missing(req->client_assertion))) {
        xcause(cause, "a token request needs an authority, a tenant, a client id, a scope and a "
                      "secret or assertion");
        return NULL;
    }
    char *form = NULL;
    authprov_form_add(&form, "grant_type", "client_credentials");
    authprov_form_add(&form, "client_id", req->client_id);
    authprov_form_add(&form, "scope", req->scope);
    if (!missing(req->client_secret)) {
        authprov_form_add(&form, "client_secret", req->client_secret);
    } else {
        authprov_form_add(&form, "client_assertion_type",
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        authprov_form_add(&form, "client_assertion", req->client_assertion);
    }
    if (!missing(req->claims))
        authprov_form_add(&form, "claims", req->claims);

    struct authentra_call *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->fn = fn;
    c->arg = arg;
    c->secret = xstrdup_or_null(req->client_secret);
    char *url = authentra_token_url(req->authority, req->tenant);
    struct http_request hr = {.method = "POST",
                              .url = url,
                              .body = form,
                              .body_len = strlen(form),
                              .content_type = "application/x-www-form-urlencoded",
                              .idempotent = true};
    c->http = http_send(http, &hr, on_answer, c);
    free(url);
    authprov_free_secret(form);
    return c;
}

void authentra_cancel(struct authentra_call *c)
{
    if (c == NULL)
        return;
    http_cancel(c->http);
    call_free(c);
}
