/*
 * Unit tests for core/azerr: every error shape Azure answers with (ARM, Key
 * Vault with nested innererror, Entra ID / IMDS, bare), the fallbacks for
 * bodies that say nothing (empty, HTML, "null", empty code), terminal safety
 * (control characters, C1, bidi, invalid UTF-8, length caps on a character
 * boundary), the text form, and the error answers of the official examples
 * and the recorded sessions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azerr.h"
#include "json.h"
#include "support_azdata.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void parse_str(long status, const char *body, struct az_error *e)
{
    az_error_parse(status, body, body ? strlen(body) : 0, e);
    assert_non_null(e->code);
    assert_non_null(e->message);
}

static void assert_text(const struct az_error *e, const char *expect)
{
    char *t = az_error_text(e);
    assert_string_equal(t, expect);
    free(t);
}

/* Nothing a terminal would act on: no C0/DEL, no C1 (raw or encoded), valid UTF-8. */
static void assert_terminal_safe(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fail_msg("control byte 0x%02x in \"%s\"", *p, s);
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            fail_msg("C1 control in \"%s\"", s);
        if (*p == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
            fail_msg("bidi control in \"%s\"", s);
        if (*p >= 0x80) { /* a whole, valid sequence */
            size_t n = (*p & 0xe0) == 0xc0   ? 2
                       : (*p & 0xf0) == 0xe0 ? 3
                       : (*p & 0xf8) == 0xf0 ? 4
                                             : 0;
            if (n == 0)
                fail_msg("invalid UTF-8 lead 0x%02x in \"%s\"", *p, s);
            for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                    fail_msg("cut UTF-8 sequence in \"%s\"", s);
            }
            p += n - 1;
        }
    }
}

static void test_fallbacks(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body, *code, *message;
    } cases[] = {
        {502, NULL, "HTTP 502", "Bad Gateway"},
        {503, "", "HTTP 503", "Service Unavailable"},
        {504, "<html><body>504 Gateway Time-out</body></html>", "HTTP 504", "Gateway Timeout"},
        {500, "null", "HTTP 500", "Internal Server Error"},
        {500, "[]", "HTTP 500", "Internal Server Error"},
        {500, "\"error\"", "HTTP 500", "Internal Server Error"},
        {404, "{}", "HTTP 404", "Not Found"},
        {404, "{\"error\":null}", "HTTP 404", "Not Found"},
        {404, "{\"error\":{}}", "HTTP 404", "Not Found"},
        {409, "{\"error\":{\"code\":\"\",\"message\":\"\"}}", "HTTP 409", "Conflict"},
        {400, "{\"error\":{\"code\":42,\"message\":[]}}", "HTTP 400", "Bad Request"},
        {429, "{\"error\":", "HTTP 429", "Too Many Requests"},
        {418, NULL, "HTTP 418", "Unknown Status"},
        /* A message without a code keeps the message. */
        {500, "{\"error\":{\"message\":\"boom\"}}", "HTTP 500", "boom"},
        /* A code without a message has an empty message. */
        {403, "{\"error\":{\"code\":\"Forbidden\"}}", "Forbidden", ""},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct az_error e;
        parse_str(cases[i].status, cases[i].body, &e);
        assert_string_equal(e.code, cases[i].code);
        assert_string_equal(e.message, cases[i].message);
        assert_null(e.inner);
        assert_null(e.target);
        az_error_cleanup(&e);
    }
    /* The body length is honoured (not read past). */
    struct az_error e;
    az_error_parse(400, "{\"error\":{\"code\":\"A\"}}garbage", 5, &e);
    assert_string_equal(e.code, "HTTP 400");
    az_error_cleanup(&e);
}

static void test_arm(void **state)
{
    (void)state;
    struct az_error e;
    parse_str(409,
              "{\"error\":{\"code\":\"SameKeyMaterialNotFoundOnRemoteServer\",\"message\":\"The "
              "key material was not found on the remote server.\",\"target\":\"properties.uri\","
              "\"details\":[{\"code\":\"SameKeyMaterialNotFoundOnRemoteServer\"},{\"code\":"
              "\"InnerDetail\",\"message\":\"x\"}],\"additionalInfo\":[{\"type\":\"t\"}]}}",
              &e);
    assert_string_equal(e.code, "SameKeyMaterialNotFoundOnRemoteServer");
    assert_string_equal(e.message, "The key material was not found on the remote server.");
    assert_string_equal(e.target, "properties.uri");
    assert_string_equal(e.inner, "InnerDetail"); /* the first detail that says more */
    assert_text(&e, "SameKeyMaterialNotFoundOnRemoteServer (InnerDetail): The key material was "
                    "not found on the remote server.");
    az_error_cleanup(&e);
    /* Bare {"code","message"} and the capitalised spelling some gateways use. */
    parse_str(400, "{\"code\":\"InvalidApiVersionParameter\",\"message\":\"bad version\"}", &e);
    assert_string_equal(e.code, "InvalidApiVersionParameter");
    assert_string_equal(e.message, "bad version");
    az_error_cleanup(&e);
    parse_str(400, "{\"Code\":\"BadRequest\",\"Message\":\"The request is invalid.\"}", &e);
    assert_text(&e, "BadRequest: The request is invalid.");
    az_error_cleanup(&e);
    /* OData: message is an object. */
    parse_str(400, "{\"error\":{\"code\":\"X\",\"message\":{\"lang\":\"en\",\"value\":\"v\"}}}",
              &e);
    assert_string_equal(e.message, "v");
    az_error_cleanup(&e);
    /* An empty target is no target. */
    parse_str(400, "{\"error\":{\"code\":\"X\",\"message\":\"m\",\"target\":\"\"}}", &e);
    assert_null(e.target);
    az_error_cleanup(&e);
}

static void test_keyvault(void **state)
{
    (void)state;
    struct az_error e;
    parse_str(403,
              "{\"error\":{\"code\":\"Forbidden\",\"message\":\"Client address is not "
              "authorized and caller is not a trusted service.\",\"innererror\":{\"code\":"
              "\"ForbiddenByFirewall\"}}}",
              &e);
    assert_string_equal(e.code, "Forbidden");
    assert_string_equal(e.inner, "ForbiddenByFirewall");
    assert_text(&e, "Forbidden (ForbiddenByFirewall): Client address is not authorized and caller "
                    "is not a trusted service.");
    az_error_cleanup(&e);
    /* The deepest code wins; levels without a code are passed through. */
    parse_str(409,
              "{\"error\":{\"code\":\"Conflict\",\"message\":\"m\",\"innererror\":{\"code\":"
              "\"A\",\"innererror\":{\"innererror\":{\"code\":\"ObjectIsBeingDeleted\","
              "\"innererror\":{\"code\":\"\"}}}}}}",
              &e);
    assert_string_equal(e.inner, "ObjectIsBeingDeleted");
    az_error_cleanup(&e);
    /* An inner code equal to the code adds nothing. */
    parse_str(401,
              "{\"error\":{\"code\":\"Unauthorized\",\"innererror\":{\"code\":"
              "\"unauthorized\"}}}",
              &e);
    assert_null(e.inner);
    assert_text(&e, "Unauthorized");
    az_error_cleanup(&e);
    /* innererror of the wrong type is absent. */
    parse_str(403, "{\"error\":{\"code\":\"Forbidden\",\"message\":\"m\",\"innererror\":\"x\"}}",
              &e);
    assert_null(e.inner);
    az_error_cleanup(&e);
}

static void test_deep_inner(void **state)
{
    (void)state;
    /* 200 levels: within cJSON's limit, past ours; still an answer, never a crash. */
    size_t depth = 200;
    char *body = xmalloc(depth * 40 + 128);
    size_t o = 0;
    o += (size_t)snprintf(body + o, 64, "{\"error\":{\"code\":\"Top\",\"message\":\"m\"");
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(body + o, 64, ",\"innererror\":{\"code\":\"L%zu\"", i);
    for (size_t i = 0; i < depth + 2; i++)
        body[o++] = '}';
    body[o] = '\0';
    struct az_error e;
    parse_str(409, body, &e);
    assert_string_equal(e.code, "Top");
    assert_non_null(e.inner);
    assert_int_equal(e.inner[0], 'L');
    az_error_cleanup(&e);
    free(body);
    /* Past cJSON's nesting limit: the body is not JSON to us, the status still speaks. */
    depth = 5000;
    body = xmalloc(depth * 20 + 64);
    o = (size_t)snprintf(body, 64, "{\"error\":");
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(body + o, 32, "{\"innererror\":");
    o += (size_t)snprintf(body + o, 8, "null");
    for (size_t i = 0; i < depth + 1; i++)
        body[o++] = '}';
    body[o] = '\0';
    parse_str(409, body, &e);
    assert_string_equal(e.code, "HTTP 409");
    az_error_cleanup(&e);
    free(body);
}

static void test_entra_imds(void **state)
{
    (void)state;
    struct az_error e;
    parse_str(401,
              "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
              "client secret provided.\\r\\nTrace ID: 1\\r\\nCorrelation ID: 2\",\"error_codes\":"
              "[7000215],\"timestamp\":\"2024-05-01 10:00:00Z\"}",
              &e);
    assert_string_equal(e.code, "invalid_client");
    assert_string_equal(e.message,
                        "AADSTS7000215: Invalid client secret provided. Trace ID: 1 Correlation "
                        "ID: 2");
    az_error_cleanup(&e);
    parse_str(400, "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}",
              &e);
    assert_text(&e, "invalid_request: Identity not found");
    az_error_cleanup(&e);
    parse_str(400, "{\"error\":\"invalid_request\"}", &e);
    assert_text(&e, "invalid_request");
    az_error_cleanup(&e);
    parse_str(400, "{\"error\":\"\",\"error_description\":\"d\"}", &e);
    assert_string_equal(e.code, "HTTP 400");
    assert_string_equal(e.message, "d");
    az_error_cleanup(&e);
}

static void test_terminal_safety(void **state)
{
    (void)state;
    struct az_error e;
    parse_str(400,
              "{\"error\":{\"code\":\"Bad\\u001b[2JCode\",\"message\":\"\\u001b[31mred\\u001b[0m"
              "\\r\\n\\tnext \\u009b31m c1 \\u202egnp.exe \\u0007 bell \\u007f del\","
              "\"innererror\":{\"code\":\"In\\nner\"},\"target\":\"t\\u0000hidden\"}}",
              &e);
    assert_terminal_safe(e.code);
    assert_terminal_safe(e.message);
    assert_terminal_safe(e.inner);
    assert_terminal_safe(e.target);
    assert_string_equal(e.code, "Bad [2JCode");
    assert_string_equal(e.message, "[31mred [0m next 31m c1 gnp.exe  bell  del");
    assert_string_equal(e.inner, "In ner");
    assert_string_equal(e.target, "t"); /* a NUL ends the string */
    az_error_cleanup(&e);
    /* Raw invalid UTF-8 bytes (cJSON passes them through) become '?'. */
    static const char raw[] = "{\"error\":{\"code\":\"C\",\"message\":\"a\xff"
                              "b\xc3(c\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf z\"}}";
    parse_str(400, raw, &e);
    assert_terminal_safe(e.message);
    assert_non_null(strchr(e.message, '?'));
    assert_int_equal(e.message[0], 'a');
    az_error_cleanup(&e);
    /* Valid non-ASCII text stays. */
    parse_str(400,
              "{\"error\":{\"code\":\"C\",\"message\":\"Schl\\u00fcssel \\u9375 \\ud83d\\udd11\"}}",
              &e);
    assert_string_equal(e.message, "Schl\xc3\xbcssel \xe9\x8d\xb5 \xf0\x9f\x94\x91");
    az_error_cleanup(&e);
    /* Leading and trailing blanks go. */
    parse_str(400, "{\"error\":{\"code\":\"  C \",\"message\":\"\\n\\n  m  \\n\"}}", &e);
    assert_string_equal(e.code, "C");
    assert_string_equal(e.message, "m");
    az_error_cleanup(&e);
}

static void test_caps(void **state)
{
    (void)state;
    /* 100 000 two-byte characters: the cap lands on a character boundary. */
    size_t n = 100000;
    char *body = xmalloc(2 * n + 512);
    size_t o = (size_t)snprintf(body, 128, "{\"error\":{\"code\":\"");
    for (size_t i = 0; i < 300; i++)
        body[o++] = 'C';
    o += (size_t)snprintf(body + o, 64, "\",\"message\":\"x");
    for (size_t i = 0; i < n; i++) {
        body[o++] = (char)0xc3;
        body[o++] = (char)0xa9;
    }
    o += (size_t)snprintf(body + o, 8, "\"}}");
    struct az_error e;
    az_error_parse(500, body, o, &e);
    assert_true(strlen(e.message) <= AZERR_MESSAGE_MAX);
    assert_true(strlen(e.message) >= AZERR_MESSAGE_MAX - 1);
    assert_terminal_safe(e.message);
    assert_int_equal(strlen(e.code), AZERR_CODE_MAX);
    char *t = az_error_text(&e);
    assert_true(strlen(t) < AZERR_MESSAGE_MAX + AZERR_CODE_MAX + 8);
    free(t);
    az_error_cleanup(&e);
    free(body);
}

static void test_text_and_cleanup(void **state)
{
    (void)state;
    struct az_error e = {0};
    char *t = az_error_text(&e); /* a zeroed struct still has a text */
    assert_string_equal(t, "Error");
    free(t);
    e.code = xstrdup("Code");
    e.inner = xstrdup("Inner");
    e.message = xstrdup("");
    assert_text(&e, "Code (Inner)");
    az_error_cleanup(&e);
    assert_null(e.code);
    assert_null(e.inner);
    az_error_cleanup(&e); /* twice is harmless */
    assert_string_equal(az_error_reason(429), "Too Many Requests");
    assert_string_equal(az_error_reason(200), "OK");
    assert_string_equal(az_error_reason(-1), "Unknown Status");
}

static void test_from_json(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse("{\"status\":\"Failed\",\"error\":{\"code\":\"OperationTimedOut\","
                           "\"message\":\"The operation timed out.\"}}");
    struct az_error e;
    az_error_from_json(200, json_get(j, "error"), &e);
    assert_text(&e, "OperationTimedOut: The operation timed out.");
    az_error_cleanup(&e);
    az_error_from_json(503, NULL, &e);
    assert_text(&e, "HTTP 503: Service Unavailable");
    az_error_cleanup(&e);
    az_error_from_json(500, json_get(j, "status"), &e); /* not an object */
    assert_string_equal(e.code, "HTTP 500");
    az_error_cleanup(&e);
    cJSON_Delete(j);
}

/* -- the shared test data --------------------------------------------------------------------- */

struct walk {
    size_t errors;
};

static void example_error(const char *file, const char *status, const char *body, size_t len,
                          void *arg)
{
    struct walk *w = arg;
    bool is_default = strcmp(status, "default") == 0;
    long code = is_default ? 500 : strtol(status, NULL, 10);
    if (!is_default && code < 400)
        return;
    struct az_error e;
    az_error_parse(code, body, len, &e);
    /* The examples' "default" answers carry an empty code and message. */
    if (strcmp(file, "azure-examples/keyvault-mgmt/2026-02-01/getKey.json") == 0) {
        assert_string_equal(e.code, "HTTP 500");
        assert_string_equal(e.message, "Internal Server Error");
    }
    assert_true(e.code[0] != '\0');
    az_error_cleanup(&e);
    w->errors++;
}

static void test_examples(void **state)
{
    (void)state;
    struct walk w = {0};
    size_t n;
    char **files = support_azdata_list("azure-examples", &n);
    assert_int_equal(n, 44);
    for (size_t i = 0; i < n; i++)
        support_azdata_responses(files[i], example_error, &w);
    support_azdata_list_free(files, n);
    assert_true(w.errors >= 1);
}

static void recorded_error(const struct support_azdata_entry *en, void *arg)
{
    struct walk *w = arg;
    if (en->status < 400)
        return;
    struct az_error e;
    az_error_parse(en->status, en->body, en->len, &e);
    if (en->status == 401) {
        assert_string_equal(e.code, "Unauthorized");
        assert_string_equal(e.message, "AKV10000: Request is missing a Bearer or PoP token.");
    } else if (en->status == 404) {
        assert_string_equal(e.code, "KeyNotFound");
        assert_true(strncmp(e.message, "A key with (name/id) ", 21) == 0);
    } else {
        fail_msg("%s: unexpected status %ld", en->file, en->status);
    }
    assert_null(e.inner);
    az_error_cleanup(&e);
    w->errors++;
}

static void test_recordings(void **state)
{
    (void)state;
    struct walk w = {0};
    size_t n;
    char **files = support_azdata_list("azure-recordings", &n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        support_azdata_entries(files[i], recorded_error, &w);
    support_azdata_list_free(files, n);
    assert_int_equal(w.errors, 9); /* seven 401 challenges, two 404s */
}

int main(void)
{
    support_azdata_init(TDECTL_SHARED_DIR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallbacks),  cmocka_unit_test(test_arm),
        cmocka_unit_test(test_keyvault),   cmocka_unit_test(test_deep_inner),
        cmocka_unit_test(test_entra_imds), cmocka_unit_test(test_terminal_safety),
        cmocka_unit_test(test_caps),       cmocka_unit_test(test_text_and_cleanup),
        cmocka_unit_test(test_from_json),  cmocka_unit_test(test_examples),
        cmocka_unit_test(test_recordings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
