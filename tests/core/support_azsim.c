#include "support_azsim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "support.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define READY_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS  60000
#define MAX_ARGS         64

struct support_azsim {
    struct support_azsim_info info;
    bool exited;
    int status;
    /* What info points to. */
    char *control_token, *ca_file, *dns_suffix, *authority, *vault_resource;
    char *management_resource, *identity_header, *imds_url, *app_service_url, *dir, *log_path;
    char **resolve;
    size_t nresolve;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* $AZSIM, else BUILD/sim/azsim for a test program at BUILD/tests/core/NAME (heap). */
static char *azsim_path(char **cause)
{
    const char *env = getenv("AZSIM");
    if (env && *env)
        return xstrdup(env);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        xcause(cause, "cannot find the test program's folder; set AZSIM");
        return NULL;
    }
    self[n] = '\0';
    char *slash = strstr(self, "/tests/core/");
    if (slash == NULL)
        slash = strstr(self, "/tests/integration/");
    if (slash == NULL) {
        xcause(cause, "%s is not under BUILD/tests; set AZSIM", self);
        return NULL;
    }
    *slash = '\0';
    char *path = xasprintf("%s/sim/azsim", self);
    if (access(path, X_OK) != 0) {
        xcause(cause, "%s is not built (cmake --build BUILD --target azsim), or set AZSIM", path);
        free(path);
        return NULL;
    }
    return path;
}

static char *slurp(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len >= max)
            break;
        if (cap - len < 1024)
            buf = xrealloc(buf, cap *= 2, 1);
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static bool reap(struct support_azsim *s)
{
    if (s->exited)
        return true;
    int status = 0;
    pid_t r = waitpid(s->info.pid, &status, WNOHANG);
    if (r == s->info.pid) {
        s->exited = true;
        s->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return s->exited;
}

/* In the child: stdio to files, and die with the test program (a crashed test leaves no azsim). */
static void child(const char *const *argv, const char *out, const char *log, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int in = open("/dev/null", O_RDONLY);
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
        _exit(127);
    execv(argv[0], (char *const *)(uintptr_t)argv);
    _exit(127);
}

static int spawn(struct support_azsim *s, const char *binary, const char *scenario,
                 const char *const *extra, char **cause)
{
    char *ready = xasprintf("%s/ready.json", s->dir), *ca = xasprintf("%s/ca.pem", s->dir);
    char *out = xasprintf("%s/azsim.stdout", s->dir);
    const char *argv[MAX_ARGS] = {binary,   "--port",       "0",   "--imds-port", "0", "--scenario",
                                  scenario, "--ready-file", ready, "--ca-out",    ca};
    size_t n = 11;
    for (size_t i = 0; extra && extra[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child(argv, out, s->log_path, parent);
    free(ready);
    free(ca);
    free(out);
    if (pid < 0) {
        xcause(cause, "cannot run %s: %s", binary, strerror(errno));
        s->exited = true;
        return -1;
    }
    s->info.pid = pid;
    return 0;
}

static char *dup_field(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return xstrdup(cJSON_IsString(v) ? v->valuestring : "");
}

static int int_field(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

static void add_resolve(struct support_azsim *s, const char *host)
{
    s->resolve = xrealloc(s->resolve, s->nresolve + 2, sizeof *s->resolve);
    s->resolve[s->nresolve++] = xasprintf("%s:%d:127.0.0.1", host, s->info.port);
    s->resolve[s->nresolve] = NULL;
}

/* Every name azsim answers to, for CURLOPT_RESOLVE. */
static void make_resolve(struct support_azsim *s, const cJSON *vaults)
{
    char *login = xasprintf("login.%s", s->dns_suffix);
    char *mgmt = xasprintf("management.%s", s->dns_suffix);
    add_resolve(s, login);
    add_resolve(s, mgmt);
    free(login);
    free(mgmt);
    const cJSON *v;
    cJSON_ArrayForEach(v, vaults)
    {
        char *host = xasprintf("%s.vault.%s", v->string, s->dns_suffix);
        add_resolve(s, host);
        free(host);
    }
    /* The array is char ** for freeing; callers see it const. */
    s->info.resolve = (const char *const *)s->resolve;
}

static int read_ready(struct support_azsim *s, const char *text, char **cause)
{
    cJSON *j = cJSON_Parse(text);
    if (j == NULL) {
        xcause(cause, "azsim's ready file is not JSON");
        return -1;
    }
    s->info.port = int_field(j, "port");
    s->info.imds_port = int_field(j, "imds_port");
    s->info.control_port = int_field(j, "control_port");
    s->info.control_token = s->control_token = dup_field(j, "control_token");
    s->info.ca_file = s->ca_file = dup_field(j, "ca_file");
    s->info.dns_suffix = s->dns_suffix = dup_field(j, "dns_suffix");
    s->info.authority = s->authority = dup_field(j, "authority");
    s->info.vault_resource = s->vault_resource = dup_field(j, "vault_resource");
    s->info.management_resource = s->management_resource = dup_field(j, "management_resource");
    s->info.identity_header = s->identity_header = dup_field(j, "identity_header");
    s->info.imds_url = s->imds_url = xasprintf("http://127.0.0.1:%d", s->info.imds_port);
    s->info.app_service_url = s->app_service_url =
        xasprintf("http://127.0.0.1:%d/msi/token", s->info.imds_port);
    make_resolve(s, cJSON_GetObjectItemCaseSensitive(j, "vaults"));
    cJSON_Delete(j);
    if (s->info.port <= 0 || s->info.imds_port <= 0 || *s->authority == '\0') {
        xcause(cause, "azsim's ready file lacks ports or addresses");
        return -1;
    }
    return 0;
}

/* Waits for the ready file; -1 with *cause when azsim exits or takes too long. */
static int wait_ready(struct support_azsim *s, char **cause)
{
    char *ready = xasprintf("%s/ready.json", s->dir);
    int64_t deadline = support_mono_ms() + READY_TIMEOUT_MS;
    int rc = -1;
    for (;;) {
        if (access(ready, R_OK) == 0) {
            char *text = slurp(ready, 1 << 20);
            rc = text ? read_ready(s, text, cause) : -1;
            free(text);
            break;
        }
        if (reap(s)) {
            char *log = support_azsim_log(s);
            xcause(cause, "azsim exited with %d: %.2000s", s->status, log);
            free(log);
            break;
        }
        if (support_mono_ms() > deadline) {
            xcause(cause, "azsim was not ready within %d ms", READY_TIMEOUT_MS);
            break;
        }
        sleep_ms(20);
    }
    free(ready);
    return rc;
}

static struct support_azsim *start(const char *scenario, const char *text, const char *const *extra,
                                   char **cause)
{
    char *binary = azsim_path(cause);
    if (binary == NULL)
        return NULL;
    struct support_azsim *s = xcalloc(1, sizeof *s);
    s->info.dir = s->dir = support_tmpdir_make();
    if (s->dir == NULL) {
        xcause(cause, "cannot make a scratch folder");
        free(binary);
        free(s);
        return NULL;
    }
    s->info.log_path = s->log_path = xasprintf("%s/azsim.stderr", s->dir);
    char *file = NULL;
    if (text) {
        file = xasprintf("%s/scenario.json", s->dir);
        if (support_tmpdir_write(file, text, strlen(text), 0600) < 0) {
            xcause(cause, "cannot write %s", file);
            s->exited = true;
        }
    }
    bool ok = !s->exited && spawn(s, binary, file ? file : scenario, extra, cause) == 0 &&
              wait_ready(s, cause) == 0;
    free(file);
    free(binary);
    if (!ok) {
        support_azsim_stop(s);
        return NULL;
    }
    return s;
}

struct support_azsim *support_azsim_start(const char *scenario, const char *const *extra_args,
                                          char **cause)
{
    return start(scenario ? scenario : "demo", NULL, extra_args, cause);
}

struct support_azsim *support_azsim_start_text(const char *scenario_json,
                                               const char *const *extra_args, char **cause)
{
    return start(NULL, scenario_json, extra_args, cause);
}

static void stop_process(struct support_azsim *s)
{
    if (reap(s))
        return;
    kill(s->info.pid, SIGTERM);
    int64_t deadline = support_mono_ms() + STOP_TIMEOUT_MS;
    while (!reap(s) && support_mono_ms() < deadline)
        sleep_ms(10);
    if (!s->exited) {
        kill(s->info.pid, SIGKILL);
        waitpid(s->info.pid, NULL, 0);
        s->exited = true;
        s->status = -1;
    }
}

int support_azsim_stop(struct support_azsim *s)
{
    if (s == NULL)
        return 0;
    if (s->info.pid > 0)
        stop_process(s);
    if (s->status != 0) {
        char *log = support_azsim_log(s);
        size_t n = strlen(log);
        fprintf(stderr, "azsim exited with %d; the end of its log:\n%s\n", s->status,
                log + (n > 6000 ? n - 6000 : 0));
        free(log);
    }
    int status = s->status;
    if (s->dir)
        support_tmpdir_remove(s->dir);
    free(s->control_token);
    free(s->ca_file);
    free(s->dns_suffix);
    free(s->authority);
    free(s->vault_resource);
    free(s->management_resource);
    free(s->identity_header);
    free(s->imds_url);
    free(s->app_service_url);
    free(s->dir);
    free(s->log_path);
    for (size_t i = 0; i < s->nresolve; i++)
        free(s->resolve[i]);
    free(s->resolve);
    free(s);
    return status;
}

const struct support_azsim_info *support_azsim_info(const struct support_azsim *s)
{
    return &s->info;
}

bool support_azsim_alive(struct support_azsim *s)
{
    return !reap(s);
}

char *support_azsim_vault_url(const struct support_azsim *s, const char *vault)
{
    return xasprintf("https://%s.vault.%s:%d", vault, s->info.dns_suffix, s->info.port);
}

/* -- the control interface -------------------------------------------------------------------- */

struct sink {
    char *data;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    size_t n = size * nmemb;
    k->data = xrealloc(k->data, k->len + n + 1, 1);
    memcpy(k->data + k->len, ptr, n);
    k->len += n;
    k->data[k->len] = '\0';
    return n;
}

long support_azsim_control(struct support_azsim *s, const char *method, const char *path,
                           const char *body, char **response)
{
    if (response)
        *response = NULL;
    CURL *e = curl_easy_init();
    if (e == NULL)
        return -1;
    char *url = xasprintf("http://127.0.0.1:%d%s", s->info.control_port, path);
    char *auth = xasprintf("Authorization: Bearer %s", s->info.control_token);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    struct sink k = {0};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
    if (body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    long status = -1;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(e);
    free(url);
    free(auth);
    if (response)
        *response = k.data;
    else
        free(k.data);
    return status;
}

char *support_azsim_fault(struct support_azsim *s, const char *spec_json)
{
    char *response = NULL;
    long status = support_azsim_control(s, "POST", "/faults", spec_json, &response);
    char *id = NULL;
    cJSON *j = status == 201 && response ? cJSON_Parse(response) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (cJSON_IsString(v))
        id = xstrdup(v->valuestring);
    else
        fprintf(stderr, "azsim refused fault %s: %ld %s\n", spec_json, status,
                response ? response : "");
    cJSON_Delete(j);
    free(response);
    return id;
}

int support_azsim_clear_faults(struct support_azsim *s, const char *id)
{
    char *path = id ? xasprintf("/faults/%s", id) : xstrdup("/faults");
    long status = support_azsim_control(s, "DELETE", path, NULL, NULL);
    free(path);
    return status >= 200 && status < 300 ? 0 : -1;
}

/* -- the request log -------------------------------------------------------------------------- */

char *support_azsim_log(const struct support_azsim *s)
{
    char *text = s->log_path ? slurp(s->log_path, 64 << 20) : NULL;
    return text ? text : xstrdup("");
}

int support_azsim_log_count(const struct support_azsim *s, const char *const *needles)
{
    char *log = support_azsim_log(s);
    int count = 0;
    for (char *line = log; *line;) {
        size_t n = strcspn(line, "\n");
        char saved = line[n];
        line[n] = '\0';
        bool all = true;
        for (size_t i = 0; needles && needles[i] && all; i++)
            all = strstr(line, needles[i]) != NULL;
        count += all;
        line[n] = saved;
        line += n + (saved != '\0');
    }
    free(log);
    return count;
}
