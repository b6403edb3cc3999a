/* Unit tests for core/authcli: az's JSON, and az itself played by scripts the test writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <signal.h>

#include "authcli.h"
#include "loop.h"
#include "support_cert.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define SCOPE "https://vault.azure.net/.default"

static char *dir;
static struct loop *loop;

struct outcome {
    bool done;
    int calls;
    enum core_err err;
    char *token;
    int64_t expires_on;
    char *cause;
};

static int setup(void **state)
{
    (void)state;
    loop = loop_create(NULL);
    return loop && (dir = support_tmpdir_make()) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    loop_destroy(loop);
    support_tmpdir_remove(dir);
    free(dir);
    return 0;
}

static void outcome_free(struct outcome *o)
{
    free(o->token);
    free(o->cause);
    memset(o, 0, sizeof *o);
}

static void on_done(struct authprov_token *tok, enum core_err err, const char *cause, void *arg)
{
    struct outcome *o = arg;
    o->done = true;
    o->calls++;
    o->err = err;
    if (tok) {
        o->token = tok->access_token; /* taken */
        tok->access_token = NULL;
        o->expires_on = tok->expires_on;
    }
    o->cause = xstrdup_or_null(cause);
}

/* A fake az: an executable script named name in the test folder. */
static char *script(const char *name, const char *body)
{
    char *text = xasprintf("#!/bin/sh\n%s\n", body);
    char *path = support_cert_file(dir, name, text, 0700);
    free(text);
    assert_non_null(path);
    return path;
}

/* Runs the loop until o is done or ms pass. */
static void run_until(struct outcome *o, int ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        loop_run_once(loop, 50);
        if (o && o->done)
            return;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
            return;
    }
}

static void run(const char *command, const char *tenant, int64_t timeout_ms, struct outcome *o)
{
    struct authcli_request req = {command, SCOPE, tenant, timeout_ms};
    char *cause = NULL;
    struct authcli_call *c = authcli_run(loop, &req, on_done, o, &cause);
    if (c == NULL)
        fail_msg("not started: %s", cause);
    assert_false(o->done); /* never inside authcli_run */
    run_until(o, 10000);
    assert_true(o->done);
    assert_int_equal(o->calls, 1);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return xstrdup(buf);
}

static void test_parse(void **state)
{
    (void)state;
    struct authprov_token t;
    char *cause = NULL;
    const char *ok = "{\"accessToken\":\"eyJ.tok\",\"expiresOn\":\"2023-11-14 22:13:20.000000\","
                     "\"expires_on\":1700000000,\"subscription\":\"s\",\"tenant\":\"t\","
                     "\"tokenType\":\"Bearer\"}";
    assert_int_equal(authcli_parse(ok, strlen(ok), &t, &cause), CORE_OK);
    assert_string_equal(t.access_token, "eyJ.tok");
    assert_int_equal(t.expires_on, 1700000000);
    authprov_token_cleanup(&t);
    const char *str = "{\"accessToken\":\"x\",\"expires_on\":\"1700000001\"}";
    assert_int_equal(authcli_parse(str, strlen(str), &t, &cause), CORE_OK);
    assert_int_equal(t.expires_on, 1700000001);
    authprov_token_cleanup(&t);
    /* expiresOn only: local time. */
    struct tm tm = {.tm_year = 2031 - 1900,
                    .tm_mon = 2,
                    .tm_mday = 4,
                    .tm_hour = 5,
                    .tm_min = 6,
                    .tm_sec = 7,
                    .tm_isdst = -1};
    int64_t want = (int64_t)mktime(&tm);
    const char *local = "{\"accessToken\":\"x\",\"expiresOn\":\"2031-03-04 05:06:07.123456\"}";
    assert_int_equal(authcli_parse(local, strlen(local), &t, &cause), CORE_OK);
    assert_int_equal(t.expires_on, want);
    authprov_token_cleanup(&t);
    const char *nofrac = "{\"accessToken\":\"x\",\"expiresOn\":\"2031-03-04 05:06:07\"}";
    assert_int_equal(authcli_parse(nofrac, strlen(nofrac), &t, &cause), CORE_OK);
    assert_int_equal(t.expires_on, want);
    authprov_token_cleanup(&t);

    static const char *const bad[] = {
        "",
        "null",
        "[]",
        "{\"accessToken\":\"x\"}",
        "{\"accessToken\":\"\",\"expires_on\":1}",
        "{\"accessToken\":5,\"expires_on\":1}",
        "{\"expires_on\":1700000000}",
        "{\"accessToken\":\"x\",\"expires_on\":0}",
        "{\"accessToken\":\"x\",\"expires_on\":\"soon\"}",
        "{\"accessToken\":\"x\",\"expiresOn\":\"2031-13-04 05:06:07\"}",
        "{\"accessToken\":\"x\",\"expiresOn\":\"2031-03-04T05:06:07Z\"}",
        "{\"accessToken\":\"x\",\"expiresOn\":\"2031-03-04 05:06:07.12x\"}",
        "{\"accessToken\":\"x\",\"expiresOn\":\"tomorrow\"}",
        "{\"accessToken\":\"x\",\"expiresOn\":5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cause = NULL;
        if (authcli_parse(bad[i], strlen(bad[i]), &t, &cause) != CORE_ERR_PARSE)
            fail_msg("case %zu accepted", i);
        assert_null(t.access_token);
        assert_non_null(cause);
        free(cause);
    }
    /* The cause never quotes what az printed (it may hold a token). */
    const char *leaky = "{\"accessToken\":\"SECRET-TOKEN\"}";
    cause = NULL;
    assert_int_equal(authcli_parse(leaky, strlen(leaky), &t, &cause), CORE_ERR_PARSE);
    assert_null(strstr(cause, "SECRET"));
    free(cause);
}

static void test_found(void **state)
{
    (void)state;
    assert_true(authcli_found("sh"));
    assert_true(authcli_found("/bin/sh"));
    assert_false(authcli_found("/nonexistent/az"));
    assert_false(authcli_found("tdectl-no-such-command-az"));
    char *p = script("az-found", "exit 0");
    assert_true(authcli_found(p));
    assert_int_equal(chmod(p, 0600), 0);
    assert_false(authcli_found(p));
    free(p);
}

static void test_success_and_arguments(void **state)
{
    (void)state;
    char *args = xasprintf("%s/args", dir);
    char *body = xasprintf("printf '%%s\\n' \"$@\" > '%s'\n"
                           "echo 'WARNING: a warning az likes to print' >&2\n"
                           "echo '{\"accessToken\": \"cli-token-1\", \"expiresOn\": \"2031-03-04 "
                           "05:06:07.000000\", \"expires_on\": 1930000000, \"tokenType\": "
                           "\"Bearer\"}'",
                           args);
    char *az = script("az-ok", body);
    struct outcome o = {0};
    run(az, "3b2f6c4e-1a7d-4c1e-9f3a-5d8e2b7c9a10", 5000, &o);
    assert_int_equal(o.err, CORE_OK);
    assert_string_equal(o.token, "cli-token-1");
    assert_int_equal(o.expires_on, 1930000000);
    char *got = slurp(args);
    assert_string_equal(got, "account\nget-access-token\n--scope\n" SCOPE "\n--tenant\n"
                             "3b2f6c4e-1a7d-4c1e-9f3a-5d8e2b7c9a10\n--output\njson\n");
    free(got);
    outcome_free(&o);
    /* Without a tenant there is no --tenant. */
    run(az, NULL, 5000, &o);
    assert_int_equal(o.err, CORE_OK);
    got = slurp(args);
    assert_string_equal(got, "account\nget-access-token\n--scope\n" SCOPE "\n--output\njson\n");
    free(got);
    outcome_free(&o);
    free(az);
    free(body);
    free(args);
}

static void test_failure_exit(void **state)
{
    (void)state;
    char *az = script("az-fail", "echo 'WARNING: something' >&2\n"
                                 "echo \"ERROR: Please run 'az login' to setup account.\" >&2\n"
                                 "exit 1");
    struct outcome o = {0};
    run(az, NULL, 5000, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_null(o.token);
    assert_non_null(strstr(o.cause, "exit 1"));
    assert_non_null(strstr(o.cause, "ERROR: Please run 'az login' to setup account."));
    outcome_free(&o);
    free(az);
    /* Killed by a signal; silent stderr. */
    az = script("az-signal", "kill -TERM $$");
    run(az, NULL, 5000, &o);
    assert_int_equal(o.err, CORE_ERR_AUTH);
    assert_non_null(strstr(o.cause, "signal"));
    outcome_free(&o);
    free(az);
    /* Success status but garbage on stdout, which the cause does not repeat. */
    az = script("az-garbage", "echo 'SECRET-ISH not json'");
    run(az, NULL, 5000, &o);
    assert_int_equal(o.err, CORE_ERR_PARSE);
    assert_null(strstr(o.cause, "SECRET"));
    outcome_free(&o);
    free(az);
    /* More than 1 MiB on stdout. */
    az = script("az-flood", "head -c 3000000 /dev/zero | tr '\\0' 'a'");
    run(az, NULL, 5000, &o);
    assert_int_equal(o.err, CORE_ERR_LIMIT);
    outcome_free(&o);
    free(az);
}

/* Is the process in pidfile running (a zombie waiting for init to reap it is not)? */
static bool alive(const char *pidfile)
{
    char *s = slurp(pidfile);
    if (s == NULL)
        return false;
    long pid = strtol(s, NULL, 10);
    free(s);
    char *stat = xasprintf("/proc/%ld/stat", pid);
    char *text = slurp(stat);
    free(stat);
    if (text == NULL)
        return false;
    const char *paren = strrchr(text, ')');
    bool running = paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
    free(text);
    return running;
}

static void test_timeout_kills(void **state)
{
    (void)state;
    char *pidfile = xasprintf("%s/sleeper.pid", dir);
    /* The sleep is a grandchild holding the pipes: the whole group must go. */
    char *body = xasprintf("sleep 30 &\necho $! > '%s'\nwait", pidfile);
    char *az = script("az-slow", body);
    struct outcome o = {0};
    run(az, NULL, 300, &o);
    assert_int_equal(o.err, CORE_ERR_TIMEOUT);
    assert_non_null(strstr(o.cause, "did not answer in time"));
    outcome_free(&o);
    run_until(NULL, 100);
    assert_false(alive(pidfile));
    free(az);
    free(body);
    free(pidfile);
}

static void test_cancel(void **state)
{
    (void)state;
    char *pidfile = xasprintf("%s/cancel.pid", dir);
    char *body = xasprintf("sleep 30 &\necho $! > '%s'\nwait", pidfile);
    char *az = script("az-cancel", body);
    struct outcome o = {0};
    struct authcli_request req = {az, SCOPE, NULL, 10000};
    struct authcli_call *c = authcli_run(loop, &req, on_done, &o, NULL);
    assert_non_null(c);
    run_until(NULL, 300);
    assert_true(alive(pidfile));
    authcli_cancel(c);
    run_until(NULL, 100);
    assert_false(o.done);
    assert_false(alive(pidfile));
    authcli_cancel(NULL);
    free(az);
    free(body);
    free(pidfile);
}

static void test_refused_to_start(void **state)
{
    (void)state;
    struct outcome o = {0};
    char *cause = NULL;
    struct authcli_request req = {"/nonexistent/az", SCOPE, NULL, 1000};
    assert_null(authcli_run(loop, &req, on_done, &o, &cause));
    assert_non_null(strstr(cause, "/nonexistent/az"));
    free(cause);
    cause = NULL;
    /* Option injection through a scope or tenant. */
    struct authcli_request evil = {"sh", "--debug", NULL, 1000};
    assert_null(authcli_run(loop, &evil, on_done, &o, &cause));
    free(cause);
    cause = NULL;
    struct authcli_request evil2 = {"sh", SCOPE, "-t", 1000};
    assert_null(authcli_run(loop, &evil2, on_done, &o, &cause));
    free(cause);
    cause = NULL;
    struct authcli_request ctl = {"sh", "https://x/.default\n--x", NULL, 1000};
    assert_null(authcli_run(loop, &ctl, on_done, &o, &cause));
    free(cause);
    run_until(NULL, 50);
    assert_false(o.done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_found),
        cmocka_unit_test(test_success_and_arguments),
        cmocka_unit_test(test_failure_exit),
        cmocka_unit_test(test_timeout_kills),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_refused_to_start),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
