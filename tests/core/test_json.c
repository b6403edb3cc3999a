/*
 * Unit tests for core/json: degenerate bodies first (NULL, empty, "null",
 * "[]", truncated, deeply nested, a 1 MB string), then the getters' rules
 * (wrong type = absent for optional, an error naming the field for required),
 * pages, ISO 8601 and base64 in both alphabets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "json.h"
#include "xmem.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

/* A text of n copies of open followed by n copies of close. */
static char *nested(size_t n, char open, char close)
{
    char *s = xmalloc(2 * n + 1);
    memset(s, open, n);
    memset(s + n, close, n);
    s[2 * n] = '\0';
    return s;
}

static void test_parse_degenerate(void **state)
{
    (void)state;
    static const char *bad[] = {"",     "   ", "{",         "{\"a\":",        "{\"a\":1",
                                "[1,2", "nul", "{\"a\" 1}", "\"unterminated", "{\"a\":1}}x"};
    char *cause = NULL;
    assert_null(json_parse(NULL, 5, &cause));
    assert_string_equal(cause, "body: empty");
    assert_null(json_parse("{}", 0, &cause));
    assert_string_equal(cause, "body: empty");
    for (size_t i = 0; i < COUNT(bad); i++) {
        cJSON *j = json_parse(bad[i], strlen(bad[i]), &cause);
        if (j != NULL)
            fail_msg("parsed \"%s\"", bad[i]);
        assert_non_null(cause);
    }
    /* Valid JSON that is not an object. */
    static const char *not_object[] = {"null", "[]", "1", "\"s\"", "true", "[{}]"};
    for (size_t i = 0; i < COUNT(not_object); i++) {
        cJSON *j = json_parse(not_object[i], strlen(not_object[i]), NULL);
        assert_non_null(j);
        cJSON_Delete(j);
        assert_null(json_parse_object(not_object[i], strlen(not_object[i]), &cause));
        assert_string_equal(cause, "body: expected a JSON object");
    }
    /* No cause pointer is fine too. */
    assert_null(json_parse_object("[]", 2, NULL));
    free(cause);
}

static void test_parse_sizes(void **state)
{
    (void)state;
    /* Deep nesting is refused (cJSON's nesting limit), never a stack overflow. */
    char *deep = nested(100000, '[', ']');
    char *cause = NULL;
    assert_null(json_parse(deep, strlen(deep), &cause));
    free(deep);
    deep = nested(500, '[', ']');
    cJSON *j = json_parse(deep, strlen(deep), &cause);
    assert_non_null(j);
    cJSON_Delete(j);
    free(deep);
    /* A 1 MB string member reads back whole. */
    size_t big = 1u << 20;
    char *body = xmalloc(big + 16);
    memcpy(body, "{\"a\":\"", 6);
    memset(body + 6, 'x', big);
    memcpy(body + 6 + big, "\"}", 3);
    j = json_parse_object(body, strlen(body), &cause);
    assert_non_null(j);
    assert_int_equal(strlen(json_str(j, "a")), big);
    cJSON_Delete(j);
    /* The length is honoured: a body cut short is not JSON. */
    assert_null(json_parse_object(body, big / 2, &cause));
    free(body);
    free(cause);
}

static void test_get_paths(void **state)
{
    (void)state;
    cJSON *j = parse("{\"a\":{\"b\":{\"c\":\"deep\",\"n\":null}},\"s\":\"top\",\"arr\":[1],"
                     "\"x.y\":\"dotted\"}");
    assert_ptr_equal(json_get(j, ""), j);
    assert_ptr_equal(json_get(j, NULL), j);
    assert_string_equal(json_str(j, "a.b.c"), "deep");
    assert_string_equal(json_str(j, "s"), "top");
    assert_null(json_get(j, "a.b.missing"));
    assert_null(json_get(j, "a.b.c.d")); /* a step through a string */
    assert_null(json_get(j, "arr.0"));   /* arrays are not paths */
    assert_null(json_get(j, "a..b"));    /* an empty step */
    assert_null(json_get(j, "a.b."));    /* a trailing dot */
    assert_null(json_get(j, ".a"));      /* a leading dot */
    assert_null(json_str(j, "x.y"));     /* dots always separate */
    assert_null(json_get(NULL, "a"));    /* no object */
    assert_null(json_get(j, "S"));       /* case-sensitive names */
    assert_non_null(json_object(j, "a.b"));
    assert_null(json_object(j, "arr"));
    assert_non_null(json_array(j, "arr"));
    assert_null(json_array(j, "a"));
    assert_null(json_str(j, "a.b.n")); /* null is absent */
    char longstep[300];
    memset(longstep, 'k', sizeof longstep - 1);
    longstep[sizeof longstep - 1] = '\0';
    assert_null(json_get(j, longstep));
    cJSON_Delete(j);
}

static void test_get_types(void **state)
{
    (void)state;
    cJSON *j =
        parse("{\"s\":\"MiXeD\",\"n\":42,\"f\":1.5,\"t\":true,\"z\":false,\"o\":{},"
              "\"a\":[],\"null\":null,\"big\":1e300,\"neg\":-1493942451,"
              "\"str\":\"3599\",\"bad\":\"12a\",\"empty\":\"\",\"huge\":\"1234567890123456789\","
              "\"nan\":-1e400}");
    assert_null(json_str(j, "n"));
    assert_null(json_str(j, "o"));
    assert_null(json_dup(j, "t"));
    char *s = json_dup(j, "s");
    assert_string_equal(s, "MiXeD");
    free(s);
    s = json_dup_lower(j, "s");
    assert_string_equal(s, "mixed");
    free(s);
    s = json_dup_upper(j, "s");
    assert_string_equal(s, "MIXED");
    free(s);
    assert_null(json_dup_lower(j, "n"));
    assert_true(json_bool(j, "t", false));
    assert_false(json_bool(j, "z", true));
    assert_true(json_bool(j, "s", true)); /* wrong type: the default */
    assert_false(json_bool(j, "n", false));
    assert_true(json_bool(j, "missing", true));
    int64_t v = 7;
    assert_int_equal(json_int64(j, "n", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(json_int64(j, "neg", &v), 0);
    assert_int_equal(v, -1493942451);
    v = 7;
    assert_int_equal(json_int64(j, "f", &v), -1);   /* not integral */
    assert_int_equal(json_int64(j, "big", &v), -1); /* out of range */
    assert_int_equal(json_int64(j, "nan", &v), -1); /* -inf */
    assert_int_equal(json_int64(j, "str", &v), -1); /* strings only when lenient */
    assert_int_equal(json_int64(j, "null", &v), -1);
    assert_int_equal(v, 7);
    assert_int_equal(json_int64_or(j, "f", 90), 90);
    assert_int_equal(json_int64_or(j, "n", 90), 42);
    assert_int_equal(json_int64_lenient(j, "str", &v), 0);
    assert_int_equal(v, 3599);
    assert_int_equal(json_int64_lenient(j, "n", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(json_int64_lenient(j, "bad", &v), -1);
    assert_int_equal(json_int64_lenient(j, "empty", &v), -1);
    assert_int_equal(json_int64_lenient(j, "huge", &v), -1);
    assert_int_equal(json_int64_lenient(j, "t", &v), -1);
    cJSON_Delete(j);
}

static void test_enum(void **state)
{
    (void)state;
    static const char *const known[] = {"AzureKeyVault", "ServiceManaged", NULL};
    cJSON *j = parse("{\"a\":\"azurekeyvault\",\"b\":\"SERVICEMANAGED\",\"c\":\"Other\",\"d\":\"\","
                     "\"e\":3}");
    char *s = json_dup_enum(j, "a", known);
    assert_string_equal(s, "AzureKeyVault");
    free(s);
    s = json_dup_enum(j, "b", known);
    assert_string_equal(s, "ServiceManaged");
    free(s);
    s = json_dup_enum(j, "c", known);
    assert_string_equal(s, "Other");
    free(s);
    s = json_dup_enum(j, "c", NULL);
    assert_string_equal(s, "Other");
    free(s);
    assert_null(json_dup_enum(j, "d", known));
    assert_null(json_dup_enum(j, "e", known));
    assert_null(json_dup_enum(j, "missing", known));
    cJSON_Delete(j);
}

static void test_need(void **state)
{
    (void)state;
    cJSON *j = parse("{\"properties\":{\"uri\":5,\"name\":\"n\",\"o\":{},\"a\":[],\"nil\":null},"
                     "\"id\":\"\",\"slash\":{\"id\":\"///\"},\"ok\":{\"id\":\"/x\"}}");
    char *cause = NULL;
    assert_null(json_need_str(j, "properties.uri", "value[3]", &cause));
    assert_string_equal(cause, "value[3].properties.uri: expected a string");
    assert_null(json_need_str(j, "properties.gone", "", &cause));
    assert_string_equal(cause, "properties.gone: missing");
    assert_null(json_need_str(j, "properties.nil", "", &cause));
    assert_string_equal(cause, "properties.nil: missing");
    assert_string_equal(json_need_str(j, "properties.name", "", &cause), "n");
    assert_non_null(json_need_object(j, "properties.o", "", &cause));
    assert_null(json_need_object(j, "properties.a", "value[0]", &cause));
    assert_string_equal(cause, "value[0].properties.a: expected an object");
    assert_non_null(json_need_array(j, "properties.a", "", &cause));
    assert_null(json_need_array(j, "properties.o", "", &cause));
    assert_string_equal(cause, "properties.o: expected an array");
    /* The element itself (path ""). */
    assert_null(json_need_object(json_get(j, "properties.a"), "", "value[7]", &cause));
    assert_string_equal(cause, "value[7]: expected an object");
    assert_null(json_need_object(NULL, "", "value[8]", &cause));
    assert_string_equal(cause, "value[8]: missing");
    /* ARM ids. */
    assert_null(json_need_id(j, "", &cause));
    assert_string_equal(cause, "id: empty");
    assert_null(json_need_id(json_get(j, "slash"), "value[1]", &cause));
    assert_string_equal(cause, "value[1].id: empty");
    assert_null(json_need_id(json_get(j, "properties"), "value[2]", &cause));
    assert_string_equal(cause, "value[2].id: missing");
    assert_string_equal(json_need_id(json_get(j, "ok"), "", &cause), "/x");
    assert_null(json_need_id(json_get(j, "properties.a"), "value[4]", &cause));
    assert_string_equal(cause, "value[4]: expected an object");
    /* No cause pointer. */
    assert_null(json_need_str(j, "properties.uri", "", NULL));
    free(cause);
    cJSON_Delete(j);
}

/* -- pages ------------------------------------------------------------------------------------ */

/* Keeps "name" as a heap string; skips {"skip":true}; fails on {"fail":true}. */
static int name_item(const cJSON *elem, const char *where, void *slot, void *arg, char **cause)
{
    int *calls = arg;
    (*calls)++;
    if (json_bool(elem, "skip", false))
        return 1;
    if (json_bool(elem, "fail", false)) {
        xcause(cause, "%s: told to fail", where);
        return -1;
    }
    const char *name = json_need_str(elem, "name", where, cause);
    if (name == NULL)
        return -1;
    *(char **)slot = xstrdup(name);
    return 0;
}

static void free_name(void *slot)
{
    free(*(char **)slot);
}

static int page(const char *body, char ***names, size_t *n, char **next, char **cause)
{
    void *items = (void *)1;
    int calls = 0;
    int rc = json_page(body, body ? strlen(body) : 0, sizeof(char *), name_item, free_name, &calls,
                       &items, n, next, cause);
    *names = items;
    return rc;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void test_page_degenerate(void **state)
{
    (void)state;
    static const struct {
        const char *body, *cause;
    } cases[] = {
        {NULL, "body: empty"},
        {"", "body: empty"},
        {"null", "body: expected a JSON object"},
        {"[]", "body: expected a JSON object"},
        {"{\"value\":[", "body: not valid JSON"},
        {"{}", "value: missing"},
        {"{\"value\":null}", "value: missing"},
        {"{\"value\":{}}", "value: expected an array"},
        {"{\"value\":\"x\"}", "value: expected an array"},
        {"{\"value\":[{\"name\":\"a\"},{\"name\":1}]}", "value[1].name: expected a string"},
        {"{\"value\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"fail\":true}]}",
         "value[2]: told to fail"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char **names, *next = (char *)1, *cause = NULL;
        size_t n = 99;
        assert_int_equal(page(cases[i].body, &names, &n, &next, &cause), -1);
        assert_null(names);
        assert_int_equal(n, 0);
        assert_null(next);
        assert_string_equal(cause, cases[i].cause);
        free(cause);
    }
}

static void test_page_links(void **state)
{
    (void)state;
    static const struct {
        const char *body, *next;
        size_t n;
    } cases[] = {
        {"{\"value\":[]}", NULL, 0},
        {"{\"value\":[],\"nextLink\":null}", NULL, 0},
        {"{\"value\":[],\"nextLink\":\"\"}", NULL, 0},
        {"{\"value\":[],\"nextLink\":5}", NULL, 0},
        {"{\"value\":[],\"nextLink\":\"https://v.vault.azure.net:443/"
         "keys?api-version=7.2&$skiptoken=x\"}",
         "https://v.vault.azure.net:443/keys?api-version=7.2&$skiptoken=x", 0},
        {"{\"value\":[{\"name\":\"a\"},{\"skip\":true},{\"name\":\"b\"}],\"extra\":[1]}", NULL, 2},
        {"{\"value\":[{\"skip\":true}]}", NULL, 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char **names, *next = (char *)1, *cause = NULL;
        size_t n = 99;
        assert_int_equal(page(cases[i].body, &names, &n, &next, &cause), 0);
        assert_null(cause);
        assert_int_equal(n, cases[i].n);
        if (n == 0)
            assert_null(names);
        if (cases[i].next)
            assert_string_equal(next, cases[i].next);
        else
            assert_null(next);
        if (n == 2) {
            assert_string_equal(names[0], "a");
            assert_string_equal(names[1], "b");
        }
        free_names(names, n);
        free(next);
    }
    /* next_link may be NULL. */
    void *items;
    size_t n;
    int calls = 0;
    const char *body = "{\"value\":[{\"name\":\"a\"}],\"nextLink\":\"x\"}";
    assert_int_equal(json_page(body, strlen(body), sizeof(char *), name_item, free_name, &calls,
                               &items, &n, NULL, NULL),
                     0);
    assert_int_equal(n, 1);
    free_names(items, n);
}

static void test_page_large(void **state)
{
    (void)state;
    /* 20000 elements, one of them a 1 MB name. */
    size_t big = 1u << 20, count = 20000;
    char *body = xmalloc(count * 32 + big + 256);
    size_t o = 0;
    o += (size_t)snprintf(body + o, 64, "{\"value\":[{\"name\":\"");
    memset(body + o, 'n', big);
    o += big;
    o += (size_t)snprintf(body + o, 64, "\"}");
    for (size_t i = 1; i < count; i++)
        o += (size_t)snprintf(body + o, 64, ",{\"name\":\"k%zu\"}", i);
    o += (size_t)snprintf(body + o, 64, "]}");
    char **names, *next, *cause = NULL;
    size_t n;
    assert_int_equal(page(body, &names, &n, &next, &cause), 0);
    assert_int_equal(n, count);
    assert_int_equal(strlen(names[0]), big);
    assert_string_equal(names[count - 1], "k19999");
    free_names(names, n);
    free(body);
}

static int one_item(const cJSON *elem, const char *where, void *slot, void *arg, char **cause)
{
    (void)arg;
    if (json_bool(elem, "skip", false))
        return 1;
    const char *s = json_need_str(elem, "name", where, cause);
    if (s == NULL)
        return -1;
    *(char **)slot = xstrdup(s);
    return 0;
}

static void test_one(void **state)
{
    (void)state;
    char *name = NULL, *cause = NULL;
    assert_int_equal(json_one("{\"name\":\"x\"}", 12, one_item, &name, NULL, &cause), 0);
    assert_string_equal(name, "x");
    free(name);
    assert_int_equal(json_one("{\"name\":1}", 10, one_item, &name, NULL, &cause), -1);
    assert_string_equal(cause, "name: expected a string");
    assert_int_equal(json_one("{\"skip\":true}", 13, one_item, &name, NULL, &cause), -1);
    assert_string_equal(cause, "body: not usable");
    assert_int_equal(json_one("[]", 2, one_item, &name, NULL, &cause), -1);
    assert_string_equal(cause, "body: expected a JSON object");
    assert_int_equal(json_one("", 0, one_item, &name, NULL, &cause), -1);
    free(cause);
}

/* -- ISO 8601 --------------------------------------------------------------------------------- */

static void test_iso8601_good(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t t;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1},
        {"2024-05-01T10:00:00Z", 1714557600},
        {"2024-05-01T10:00:00.5Z", 1714557600},
        {"2024-05-01T10:00:00.123456789Z", 1714557600},
        {"2020-01-01T12:00:00.0000000Z", 1577880000}, /* ARM's 7 digits */
        {"2024-05-01T10:00:00+00:00", 1714557600},
        {"2024-05-01T10:00:00-00:00", 1714557600},
        {"2024-05-01T19:00:00+09:00", 1714557600},
        {"2024-05-01T19:00:00+0900", 1714557600},
        {"2024-05-01T19:00:00+09", 1714557600},
        {"2024-05-01T04:30:00-05:30", 1714557600},
        {"2024-05-01T10:00:00", 1714557600}, /* no zone: UTC */
        {"2024-05-01t10:00:00z", 1714557600},
        {"2024-05-01 10:00:00Z", 1714557600},
        {"2024-05-01T10:00:00,5Z", 1714557600},
        {"2020-11-01T00:00:00Z", 1604188800},
        {"2022-11-01T01:01:01.011Z", 1667264461},
        {"2024-02-29T00:00:00Z", 1709164800},
        {"2000-02-29T00:00:00Z", 951782400},
        {"9999-12-31T23:59:59Z", 253402300799},
        {"2016-12-31T23:59:60Z", 1483228800}, /* a leap second reads as the next one */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t t = -999;
        if (json_parse_iso8601(cases[i].text, &t) != 0)
            fail_msg("refused \"%s\"", cases[i].text);
        if (t != cases[i].t)
            fail_msg("\"%s\" -> %lld, expected %lld", cases[i].text, (long long)t,
                     (long long)cases[i].t);
    }
}

static void test_iso8601_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "2024",
        "2024-05-01",
        "2024-05-01T",
        "2024-05-01T10:00Z",
        "2024-05-01T10:00:0Z",
        "2024-5-01T10:00:00Z",
        "24-05-01T10:00:00Z",
        "2024-05-01X10:00:00Z",
        "2024/05/01T10:00:00Z",
        "2024-13-01T10:00:00Z",
        "2024-00-01T10:00:00Z",
        "2024-05-00T10:00:00Z",
        "2024-04-31T10:00:00Z",
        "2023-02-29T10:00:00Z",
        "1900-02-29T10:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:60:00Z",
        "2024-05-01T10:00:61Z",
        "2024-05-01T10:00:00.Z",
        "2024-05-01T10:00:00ZZ",
        "2024-05-01T10:00:00Z ",
        "2024-05-01T10:00:00+24:00",
        "2024-05-01T10:00:00+09:60",
        "2024-05-01T10:00:00+9",
        "2024-05-01T10:00:00+09:0",
        "2024-05-01T10:00:00+09:000",
        "2024-05-01T10:00:00 +09:00",
        "2024-05-01T10:00:00UTC",
        " 2024-05-01T10:00:00Z",
        "-2024-05-01T10:00:00Z",
        "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x94-05-01T10:00:00Z",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        int64_t t = 42;
        if (json_parse_iso8601(bad[i], &t) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t, 42);
    }
    int64_t t = 42;
    assert_int_equal(json_parse_iso8601(NULL, &t), -1);
    /* A long fraction is fine; long garbage is not. */
    char buf[4096];
    memcpy(buf, "2024-05-01T10:00:00.", 20);
    memset(buf + 20, '7', sizeof buf - 22);
    buf[sizeof buf - 2] = 'Z';
    buf[sizeof buf - 1] = '\0';
    assert_int_equal(json_parse_iso8601(buf, &t), 0);
    assert_int_equal(t, 1714557600);
    buf[sizeof buf - 2] = 'Q';
    assert_int_equal(json_parse_iso8601(buf, &t), -1);
}

/* -- base64 ----------------------------------------------------------------------------------- */

static void assert_b64(const char *text, const void *expect, size_t expect_len)
{
    unsigned char *out = NULL;
    size_t len = 99;
    if (json_b64_decode(text, strlen(text), &out, &len) != 0)
        fail_msg("refused \"%s\"", text);
    assert_int_equal(len, expect_len);
    if (expect_len)
        assert_memory_equal(out, expect, expect_len);
    assert_int_equal(out[len], '\0');
    free(out);
}

static void test_b64_vectors(void **state)
{
    (void)state;
    /* RFC 4648 section 10, padded and not. */
    static const struct {
        const char *padded, *bare, *plain;
    } rfc[] = {
        {"", "", ""},
        {"Zg==", "Zg", "f"},
        {"Zm8=", "Zm8", "fo"},
        {"Zm9v", "Zm9v", "foo"},
        {"Zm9vYg==", "Zm9vYg", "foob"},
        {"Zm9vYmE=", "Zm9vYmE", "fooba"},
        {"Zm9vYmFy", "Zm9vYmFy", "foobar"},
    };
    for (size_t i = 0; i < COUNT(rfc); i++) {
        assert_b64(rfc[i].padded, rfc[i].plain, strlen(rfc[i].plain));
        assert_b64(rfc[i].bare, rfc[i].plain, strlen(rfc[i].plain));
    }
    /* The two alphabets: 0xfb 0xff 0xbf is "+/+/" in standard, "-_-_" in URL. */
    static const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    assert_b64("+/+/", hi, 3);
    assert_b64("-_-_", hi, 3);
    assert_b64("+_-/", hi, 3);
    static const unsigned char hi2[] = {0xfb, 0xff};
    assert_b64("+/8=", hi2, 2);
    assert_b64("-_8", hi2, 2);
    /* An empty text decodes to a valid empty buffer. */
    unsigned char *out = NULL;
    size_t len = 5;
    assert_int_equal(json_b64_decode("", 0, &out, &len), 0);
    assert_non_null(out);
    assert_int_equal(len, 0);
    free(out);
    /* outlen may be NULL. */
    assert_int_equal(json_b64_decode("Zm9v", 4, &out, NULL), 0);
    assert_string_equal((char *)out, "foo");
    free(out);
}

static void test_b64_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {
        "Z",     "Zm9vY",  "=",      "==",    "===",    "====",        "Zg=",     "Zg===",
        "Zm8==", "Zm9v=",  "Zm9v==", "Zm=9",  "=Zm9",   "Zm 9v",       "Zm9v\n",  "Zm9v ",
        " Zm9v", "Zm9v\t", "Zm9*",   "Zm9v.", "Zm\"9v", "Zm9\xc3\xa9", "Zm9v%3D",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        unsigned char *out = (unsigned char *)"sentinel";
        size_t len = 77;
        if (json_b64_decode(bad[i], strlen(bad[i]), &out, &len) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_null(out);
        assert_int_equal(len, 0);
    }
    unsigned char *out = (unsigned char *)"x";
    assert_int_equal(json_b64_decode(NULL, 4, &out, NULL), -1);
    assert_null(out);
    /* An embedded NUL inside the given length is garbage, not an end. */
    assert_int_equal(json_b64_decode("Zm\0v", 4, &out, NULL), -1);
}

static void test_b64_round_trip(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 300; n++) {
        unsigned char raw[300], text[404];
        assert_int_equal(RAND_bytes(raw, (int)(n ? n : 1)), 1);
        int tlen = EVP_EncodeBlock(text, raw, (int)n); /* standard, padded */
        unsigned char *out;
        size_t len;
        assert_int_equal(json_b64_decode((char *)text, (size_t)tlen, &out, &len), 0);
        assert_int_equal(len, n);
        if (n)
            assert_memory_equal(out, raw, n);
        free(out);
        /* The same as base64url without padding. */
        while (tlen > 0 && text[tlen - 1] == '=')
            tlen--;
        for (int i = 0; i < tlen; i++)
            text[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
        assert_int_equal(json_b64_decode((char *)text, (size_t)tlen, &out, &len), 0);
        assert_int_equal(len, n);
        if (n)
            assert_memory_equal(out, raw, n);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_degenerate),
        cmocka_unit_test(test_parse_sizes),
        cmocka_unit_test(test_get_paths),
        cmocka_unit_test(test_get_types),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_need),
        cmocka_unit_test(test_page_degenerate),
        cmocka_unit_test(test_page_links),
        cmocka_unit_test(test_page_large),
        cmocka_unit_test(test_one),
        cmocka_unit_test(test_iso8601_good),
        cmocka_unit_test(test_iso8601_bad),
        cmocka_unit_test(test_b64_vectors),
        cmocka_unit_test(test_b64_garbage),
        cmocka_unit_test(test_b64_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
