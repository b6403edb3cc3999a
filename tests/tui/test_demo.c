/*
 * demo: a real azsim started, used and stopped as `tdectl --demo` does it,
 * and stand-ins for azsim that misbehave (test_demo_drill.c: the drills).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "demo.h"
#include "support_tmpdir.h"
#include "xmem.h"

static struct demo *shared; /* started once for the tests that only use it */

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *cause = NULL;
    shared = demo_start(&(struct demo_options){0}, &cause);
    if (shared == NULL)
        fprintf(stderr, "demo_start: %s\n", cause);
    free(cause);
    return shared ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int status = demo_stop(shared); /* azsim, built with the sanitizers too, exits 0 */
    if (status != 0)
        fprintf(stderr, "azsim stopped with %d\n", status);
    curl_global_cleanup();
    return status == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = xmalloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static cJSON *scenario_json(void)
{
    char *text = slurp(TDECTL_SOURCE_DIR "/sim/scenarios/demo.json");
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

static const char *jstr(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *named(const cJSON *list, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (jstr(item, "name") && strcmp(jstr(item, "name"), name) == 0)
            return item;
    }
    return NULL;
}

static bool has_entry(const char *const *list, const char *entry)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], entry) == 0)
            return true;
    }
    return false;
}

/* Sets or unsets an environment variable, returning the old value (heap or NULL). */
static char *swap_env(const char *name, const char *value)
{
    char *old = xstrdup_or_null(getenv(name));
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
    return old;
}

static void restore_env(const char *name, char *old)
{
    free(swap_env(name, old));
    free(old);
}

/* -- degenerate input --------------------------------------------------------------------- */

static void test_degenerate(void **state)
{
    (void)state;
    char *cause = NULL, *json = NULL;
    int64_t now = 1;
    assert_int_equal(demo_stop(NULL), 0);
    assert_false(demo_running(NULL, &cause));
    assert_non_null(cause);
    assert_null(demo_control(NULL, "GET", "/clock", NULL, 200, &cause));
    assert_null(demo_control(shared, "GET", "clock", NULL, 200, &cause));
    assert_int_equal(demo_clear(NULL, NULL, &cause), -1);
    assert_int_equal(demo_advance(NULL, 1, &cause), -1);
    assert_int_equal(demo_advance(shared, -1, &cause), -1);
    assert_int_equal(demo_advance(shared, INT64_MAX, &cause), -1);
    assert_int_equal(demo_clock(NULL, &now, &cause), -1);
    assert_int_equal(now, 0);
    assert_int_equal(demo_faults(NULL, &json, &cause), -1);
    assert_null(json);
    assert_int_equal(demo_model(NULL, &json, &cause), -1);
    /* Ids go into a URL path: anything but an id is refused before a request. */
    assert_int_equal(demo_clear(shared, "../clock", &cause), -1);
    assert_non_null(strstr(cause, "not a fault id"));
    assert_int_equal(demo_clear(shared, "", &cause), -1);
    assert_int_equal(demo_clear(shared, "f999", &cause), -1);
    assert_non_null(strstr(cause, "404"));
    assert_null(strstr(cause, demo_info(shared)->control_token));
    /* Calls on a NULL cause pointer must not crash. */
    assert_int_equal(demo_advance(shared, -1, NULL), -1);
    assert_true(demo_running(shared, NULL));
    free(cause);
}

static void test_bad_options(void **state)
{
    (void)state;
    char *cause = NULL;
    assert_null(demo_start(&(struct demo_options){.time_scale = NAN}, &cause));
    assert_non_null(strstr(cause, "time scale"));
    assert_null(demo_start(&(struct demo_options){.time_scale = 2e6}, &cause));
    assert_null(demo_start(&(struct demo_options){.time_scale = 0.0001}, &cause));
    assert_non_null(strstr(cause, "0.001 to 1000000"));
    assert_null(demo_start(&(struct demo_options){.ready_timeout_ms = -1}, &cause));
    assert_non_null(strstr(cause, "timeout"));
    free(cause);
}

/* -- start and stop ----------------------------------------------------------------------- */

static void test_missing_binary(void **state)
{
    (void)state;
    char *old = swap_env("TDECTL_AZSIM", "/nonexistent");
    char *cause = NULL;
    assert_null(demo_start(NULL, &cause));
    restore_env("TDECTL_AZSIM", old);
    assert_non_null(cause);
    assert_non_null(strstr(cause, "TDECTL_AZSIM=/nonexistent is not an executable file"));
    free(cause);
}

/* A folder (not a file) named by $AZSIM is not azsim either. */
static void test_binary_is_a_folder(void **state)
{
    (void)state;
    char *old = swap_env("TDECTL_AZSIM", NULL), *old_azsim = swap_env("AZSIM", "/tmp");
    char *cause = NULL;
    assert_null(demo_start(NULL, &cause));
    restore_env("AZSIM", old_azsim);
    restore_env("TDECTL_AZSIM", old);
    assert_non_null(strstr(cause, "AZSIM=/tmp is not an executable file"));
    free(cause);
}

/* azsim refusing its scenario: the cause carries its exit status and its own message. */
static void test_early_exit(void **state)
{
    (void)state;
    char *tmp = support_tmpdir_make();
    assert_non_null(tmp);
    char *scenario = xasprintf("%s/bad.json", tmp);
    static const char bad[] = "{\"name\": \"bad\", \"regionz\": []}";
    assert_int_equal(support_tmpdir_write(scenario, bad, sizeof bad - 1, 0600), 0);
    char *old = swap_env("TMPDIR", tmp);
    char *cause = NULL;
    struct demo *d = demo_start(&(struct demo_options){.scenario = scenario}, &cause);
    restore_env("TMPDIR", old);
    assert_null(d);
    assert_non_null(cause);
    assert_non_null(strstr(cause, "azsim exited with status 1 before it was ready: "));
    assert_non_null(strstr(cause, "regionz"));      /* azsim names the unknown field */
    assert_int_equal(support_tmpdir_count(tmp), 1); /* only bad.json: the scratch folder went */
    free(cause);
    free(scenario);
    support_tmpdir_remove(tmp);
    free(tmp);
}

static bool child_has_fd_to(pid_t pid, const char *path)
{
    char *dir = xasprintf("/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; d && (e = readdir(d)) != NULL && !found;) {
        char *link = xasprintf("%s/%s", dir, e->d_name), target[PATH_MAX];
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, path) == 0;
        }
        free(link);
    }
    if (d)
        closedir(d);
    free(dir);
    return found;
}

static void test_start_stop(void **state)
{
    (void)state;
    char *tmp = support_tmpdir_make();
    assert_non_null(tmp);
    /* A descriptor the console forgot to mark close-on-exec must not reach azsim. */
    char *marker = xasprintf("%s/marker", tmp);
    int fd = open(marker, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    char *old = swap_env("TMPDIR", tmp);
    char *cause = NULL;
    struct demo *d = demo_start(NULL, &cause);
    restore_env("TMPDIR", old);
    assert_non_null(d);
    const struct demo_info *i = demo_info(d);
    pid_t pid = i->pid;
    char *dir = xstrdup(i->dir);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, 0), 0);
    assert_true(demo_running(d, &cause));
    assert_false(child_has_fd_to(pid, marker));
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(strncmp(dir, tmp, strlen(tmp)), 0);
    assert_int_equal(stat(i->ready_file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(access(i->ca_file, R_OK), 0);
    assert_int_equal(demo_stop(d), 0);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_int_equal(stat(dir, &st), -1);
    assert_int_equal(support_tmpdir_count(tmp), 1); /* the marker */
    close(fd);
    free(cause);
    free(marker);
    free(dir);
    support_tmpdir_remove(tmp);
    free(tmp);
}

/* azsim dying under the console: reported, with its status, and nothing hangs. */
static void test_child_dies(void **state)
{
    (void)state;
    char *cause = NULL;
    struct demo *d = demo_start(NULL, &cause);
    assert_non_null(d);
    assert_int_equal(kill(demo_info(d)->pid, SIGKILL), 0);
    while (demo_running(d, NULL))
        usleep(10000);
    assert_false(demo_running(d, &cause));
    assert_non_null(strstr(cause, "azsim was killed by signal 9"));
    assert_int_equal(demo_advance(d, 60, &cause), -1);
    assert_non_null(strstr(cause, "killed by signal 9"));
    char *ids = NULL;
    assert_int_equal(demo_drill_start(d, demo_drill_find("throttle-arm"), &ids, &cause), -1);
    assert_int_equal(demo_stop(d), 128 + SIGKILL);
    free(cause);
}

/* azsim slower than the deadline: the cause says so, and nothing is left behind. */
static void test_ready_timeout(void **state)
{
    (void)state;
    char *tmp = support_tmpdir_make();
    char *old = swap_env("TMPDIR", tmp), *cause = NULL;
    assert_null(demo_start(&(struct demo_options){.ready_timeout_ms = 1}, &cause));
    restore_env("TMPDIR", old);
    assert_non_null(strstr(cause, "azsim was not ready within 1 ms"));
    assert_int_equal(support_tmpdir_count(tmp), 0);
    free(cause);
    support_tmpdir_remove(tmp);
    free(tmp);
}

/*
 * A stand-in for azsim (a shell script run through $TDECTL_AZSIM) that writes
 * `ready` as its ready file and then sleeps; with ignore_term it ignores SIGTERM.
 */
static char *fake_azsim(const char *dir, const char *ready, bool ignore_term)
{
    char *path = xasprintf("%s/fake-azsim", dir);
    char *script =
        xasprintf("#!/bin/sh\n%s"
                  "while [ $# -gt 0 ]; do [ \"$1\" = --ready-file ] && r=$2; shift; done\n"
                  "cat > \"$r.tmp\" <<'EOF'\n%s\nEOF\n"
                  "mv \"$r.tmp\" \"$r\"\nexec sleep 60\n",
                  ignore_term ? "trap '' TERM\n" : "", ready);
    assert_int_equal(support_tmpdir_write(path, script, strlen(script), 0700), 0);
    free(script);
    return path;
}

#define FAKE_TOKEN "0123456789abcdef"

/* A ready file as azsim writes it, with these port, authority and vaults. */
static char *ready_text(const char *port, const char *authority, const char *vaults)
{
    return xasprintf("{\"port\": %s, \"imds_port\": 2, \"control_port\": 3, \"control_token\": "
                     "\"" FAKE_TOKEN "\", \"ca_file\": \"/x\", \"dns_suffix\": \"localhost\", "
                     "\"authority\": \"%s\", \"management_resource\": \"https://m\", "
                     "\"vault_resource\": \"https://v\", \"vaults\": %s}",
                     port, authority, vaults);
}

/* Degenerate ready files give a clear error, never a crash; the stand-in is stopped. */
static void test_hostile_ready_file(void **state)
{
    (void)state;
    static const char *const raw[] = {"", "not json", "[]", "{\"port\": 1}", "{\"port\": \"1\"}"};
    static const char *const fields[][3] = {
        {"70000", "https://a", "{\"kv\": \"https://kv\"}"}, /* port out of range */
        {"1", "http://a", "{\"kv\": \"https://kv\"}"},      /* not https */
        {"1", "https://a", "{\"kv:1:2\": \"https://kv\"}"}, /* a name that is no host */
        {"1", "https://a", "{\"kv\": 7}"},
        {"1", "https://a", "{}"},
        {"1", "https://a", "[]"},
    };
    size_t nraw = sizeof raw / sizeof raw[0], n = nraw + sizeof fields / sizeof fields[0];
    char *tmp = support_tmpdir_make();
    for (size_t i = 0; i < n; i++) {
        const char *const *f = i < nraw ? NULL : fields[i - nraw];
        char *ready = f ? ready_text(f[0], f[1], f[2]) : xstrdup(raw[i]);
        char *fake = fake_azsim(tmp, ready, false);
        char *old = swap_env("TDECTL_AZSIM", fake), *cause = NULL;
        assert_null(demo_start(NULL, &cause));
        restore_env("TDECTL_AZSIM", old);
        assert_non_null(strstr(cause, "is incomplete or not JSON"));
        assert_null(strstr(cause, FAKE_TOKEN));
        free(cause);
        free(fake);
        free(ready);
    }
    support_tmpdir_remove(tmp);
    free(tmp);
}

/* An azsim that ignores SIGTERM is killed after the grace period; stop reports it. */
static void test_stop_kills_a_stuck_child(void **state)
{
    (void)state;
    char *ready = ready_text("1", "https://a", "{\"kv\": \"https://kv\"}");
    char *tmp = support_tmpdir_make();
    char *fake = fake_azsim(tmp, ready, true);
    char *old = swap_env("TDECTL_AZSIM", fake), *cause = NULL;
    struct demo *d = demo_start(NULL, &cause);
    restore_env("TDECTL_AZSIM", old);
    assert_non_null(d);
    pid_t pid = demo_info(d)->pid;
    assert_string_equal(demo_info(d)->resolve[2], "kv.vault.localhost:1:127.0.0.1");
    /* Nobody listens on its control port: a clear error, within the 2 s timeout. */
    assert_int_equal(demo_advance(d, 1, &cause), -1);
    assert_non_null(strstr(cause, "did not answer"));
    assert_null(strstr(cause, FAKE_TOKEN));
    usleep(200000); /* let the shell reach its trap */
    assert_int_equal(demo_stop(d), -1);
    assert_int_equal(kill(pid, 0), -1);
    free(cause);
    free(fake);
    free(ready);
    support_tmpdir_remove(tmp);
    free(tmp);
}

/* -- what the ready file says ------------------------------------------------------------- */

static void test_info_complete(void **state)
{
    (void)state;
    const struct demo_info *i = demo_info(shared);
    assert_true(i->port > 0 && i->imds_port > 0 && i->control_port > 0);
    assert_true(strlen(i->control_token) >= 16);
    assert_string_equal(i->dns_suffix, "localhost");
    char *want = xasprintf("https://login.localhost:%d", i->port);
    assert_string_equal(i->authority, want);
    free(want);
    want = xasprintf("https://management.localhost:%d", i->port);
    assert_string_equal(i->management, want);
    free(want);
    want = xasprintf("https://vault.localhost:%d", i->port);
    assert_string_equal(i->vault_resource, want);
    free(want);
    assert_non_null(strstr(i->log_path, i->dir));
    assert_non_null(strstr(i->ca_file, i->dir));

    cJSON *scen = scenario_json();
    const cJSON *vaults = cJSON_GetObjectItemCaseSensitive(scen, "vaults");
    assert_int_equal(i->nvaults, (size_t)cJSON_GetArraySize(vaults));
    const cJSON *v;
    size_t nresolve = 0;
    while (i->resolve[nresolve])
        nresolve++;
    assert_int_equal(nresolve, 2 + i->nvaults);
    char *entry = xasprintf("login.localhost:%d:127.0.0.1", i->port);
    assert_true(has_entry(i->resolve, entry));
    free(entry);
    entry = xasprintf("management.localhost:%d:127.0.0.1", i->port);
    assert_true(has_entry(i->resolve, entry));
    free(entry);
    cJSON_ArrayForEach(v, vaults)
    {
        const char *name = jstr(v, "name");
        entry = xasprintf("%s.vault.localhost:%d:127.0.0.1", name, i->port);
        assert_true(has_entry(i->resolve, entry));
        free(entry);
        bool listed = false;
        for (size_t k = 0; k < i->nvaults; k++) {
            if (strcmp(i->vaults[k].name, name) == 0) {
                char *url = xasprintf("https://%s.vault.localhost:%d", name, i->port);
                assert_string_equal(i->vaults[k].url, url);
                free(url);
                listed = true;
            }
        }
        assert_true(listed);
    }
    cJSON_Delete(scen);
}

static void check_principal(const struct demo_info *i, const char *name)
{
    cJSON *scen = scenario_json();
    const cJSON *p = named(cJSON_GetObjectItemCaseSensitive(scen, "principals"), name);
    assert_non_null(p);
    assert_string_equal(i->principal, name);
    assert_string_equal(i->client_id, jstr(p, "client_id"));
    assert_string_equal(i->client_secret, jstr(p, "secret"));
    /* The demo has one tenant and one subscription, which principals default to. */
    const cJSON *tenants = cJSON_GetObjectItemCaseSensitive(scen, "tenants");
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(scen, "subscriptions");
    assert_int_equal(cJSON_GetArraySize(tenants), 1);
    assert_int_equal(cJSON_GetArraySize(subs), 1);
    assert_null(jstr(p, "tenant"));
    assert_string_equal(i->tenant_id, jstr(cJSON_GetArrayItem(tenants, 0), "id"));
    assert_string_equal(i->subscription_id, jstr(cJSON_GetArrayItem(subs, 0), "id"));
    cJSON_Delete(scen);
}

static void test_operator_matches_scenario(void **state)
{
    (void)state;
    check_principal(demo_info(shared), "operator");
}

/* -- real requests through the resolve entries and the CA file ---------------------------- */

struct sink {
    char *data;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    k->data = xrealloc(k->data, k->len + size * nmemb + 1, 1);
    memcpy(k->data + k->len, ptr, size * nmemb);
    k->len += size * nmemb;
    k->data[k->len] = '\0';
    return size * nmemb;
}

/* An HTTPS request with TLS verified against the demo's CA; the status, *body (heap). */
static long https(const struct demo_info *i, const char *url, const char *form, const char *token,
                  char **body)
{
    CURL *e = curl_easy_init();
    struct curl_slist *resolve = NULL, *headers = NULL;
    for (size_t k = 0; i->resolve[k]; k++)
        resolve = curl_slist_append(resolve, i->resolve[k]);
    char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    if (auth)
        headers = curl_slist_append(headers, auth);
    struct sink k = {0};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(e, CURLOPT_CAINFO, i->ca_file);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
    if (form)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
    long status = -1;
    CURLcode rc = curl_easy_perform(e);
    if (rc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "%s: %s\n", url, curl_easy_strerror(rc));
    curl_easy_cleanup(e);
    curl_slist_free_all(resolve);
    curl_slist_free_all(headers);
    free(auth);
    *body = k.data;
    return status;
}

/* A client-credentials token for resource's /.default, signed in as the demo principal. */
static char *token_for(const struct demo_info *i, const char *resource)
{
    char *url = xasprintf("%s/%s/oauth2/v2.0/token", i->authority, i->tenant_id);
    char *form = xasprintf("grant_type=client_credentials&client_id=%s&client_secret=%s"
                           "&scope=%s/.default",
                           i->client_id, i->client_secret, resource);
    char *body = NULL;
    long status = https(i, url, form, NULL, &body);
    assert_int_equal(status, 200);
    cJSON *j = cJSON_Parse(body);
    const char *t = jstr(j, "access_token");
    assert_non_null(t);
    char *token = xstrdup(t);
    cJSON_Delete(j);
    free(body);
    free(form);
    free(url);
    return token;
}

/* The principal signs in, lists the subscription's vaults in ARM and the keys of every vault. */
static void sign_in_and_read(const struct demo_info *i)
{
    char *arm = token_for(i, i->management), *kv = token_for(i, i->vault_resource);
    char *url = xasprintf("%s/subscriptions/%s/providers/Microsoft.KeyVault/vaults"
                          "?api-version=2023-07-01",
                          i->management, i->subscription_id);
    char *body = NULL;
    assert_int_equal(https(i, url, NULL, arm, &body), 200);
    for (size_t k = 0; k < i->nvaults; k++)
        assert_non_null(strstr(body, i->vaults[k].name));
    free(body);
    free(url);
    for (size_t k = 0; k < i->nvaults; k++) {
        url = xasprintf("%s/keys?api-version=7.4", i->vaults[k].url);
        long status = https(i, url, NULL, kv, &body);
        /*
         * The two TDE vaults hold the protector; the scratch and West Europe
         * vaults (the backup wizard's) are empty and grant only the operator.
         */
        const char *name = i->vaults[k].name;
        if (strcmp(name, "kv-tde-eus2") == 0 || strcmp(name, "kv-tde-cus") == 0) {
            assert_int_equal(status, 200);
            assert_non_null(strstr(body, "tde-protector-2025"));
        } else if (strcmp(i->principal, "operator") == 0) {
            assert_int_equal(status, 200);
            assert_null(strstr(body, "tde-protector"));
        } else {
            assert_int_equal(status, 403);
        }
        free(body);
        free(url);
    }
    free(arm);
    free(kv);
}

static void test_https_through_resolve(void **state)
{
    (void)state;
    sign_in_and_read(demo_info(shared));
}

/* The status of listing vault's keys as the console would, with token. */
static long list_keys(const struct demo_info *i, const char *vault, const char *token)
{
    char *url = xasprintf("https://%s.vault.localhost:%d/keys?api-version=7.4", vault, i->port);
    char *body = NULL;
    long status = https(i, url, NULL, token, &body);
    free(body);
    free(url);
    return status;
}

/* What the console-facing drills promise the console will see. */
static void test_drills_seen_by_the_console(void **state)
{
    (void)state;
    const struct demo_info *i = demo_info(shared);
    char *kv = token_for(i, i->vault_resource), *ids = NULL, *cause = NULL;
    static const struct {
        const char *drill;
        long eus2, cus;
    } want[] = {{"throttle-vault-eus2", 429, 200},
                {"rbac-flip-eus2", 403, 200},
                {"vault-outage-cus", 200, -1}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        assert_int_equal(demo_drill_start(shared, demo_drill_find(want[k].drill), &ids, &cause), 0);
        assert_int_equal(list_keys(i, "kv-tde-eus2", kv), want[k].eus2);
        assert_int_equal(list_keys(i, "kv-tde-cus", kv), want[k].cus);
        assert_int_equal(demo_clear(shared, ids, &cause), 0);
        assert_int_equal(list_keys(i, "kv-tde-eus2", kv), 200);
        assert_int_equal(list_keys(i, "kv-tde-cus", kv), 200);
        free(ids);
    }
    free(kv);
    free(cause);
}

/* The read-only session signs in as "monitor"; the time scale reaches azsim, written locale-free.
 */
static void test_read_only_and_time_scale(void **state)
{
    (void)state;
    char *cause = NULL;
    struct demo *d =
        demo_start(&(struct demo_options){.read_only = true, .time_scale = 2.5}, &cause);
    assert_non_null(d);
    const struct demo_info *i = demo_info(d);
    check_principal(i, "monitor");
    assert_int_not_equal(i->port, demo_info(shared)->port); /* two demos side by side */
    sign_in_and_read(i);
    char *clock = demo_control(d, "GET", "/clock", NULL, 200, &cause);
    assert_non_null(clock);
    cJSON *j = cJSON_Parse(clock);
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(j, "scale");
    assert_true(cJSON_IsNumber(scale));
    assert_true(fabs(scale->valuedouble - 2.5) < 1e-9);
    cJSON_Delete(j);
    free(clock);
    assert_int_equal(demo_stop(d), 0);
    free(cause);
}

/* -- the clock ----------------------------------------------------------------------------- */

static void test_advance(void **state)
{
    (void)state;
    int64_t before = 0, after = 0;
    char *cause = NULL;
    assert_int_equal(demo_clock(shared, &before, &cause), 0);
    assert_true(before > 1700000000);
    assert_int_equal(demo_advance(shared, 3600, &cause), 0);
    assert_int_equal(demo_clock(shared, &after, &cause), 0);
    assert_true(after >= before + 3600);
    assert_true(after < before + 3600 + 60);
    assert_int_equal(demo_advance(shared, 0, &cause), 0);
    free(cause);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_missing_binary),
        cmocka_unit_test(test_binary_is_a_folder),
        cmocka_unit_test(test_early_exit),
        cmocka_unit_test(test_start_stop),
        cmocka_unit_test(test_child_dies),
        cmocka_unit_test(test_ready_timeout),
        cmocka_unit_test(test_hostile_ready_file),
        cmocka_unit_test(test_stop_kills_a_stuck_child),
        cmocka_unit_test(test_info_complete),
        cmocka_unit_test(test_operator_matches_scenario),
        cmocka_unit_test(test_https_through_resolve),
        cmocka_unit_test(test_drills_seen_by_the_console),
        cmocka_unit_test(test_read_only_and_time_scale),
        cmocka_unit_test(test_advance),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
