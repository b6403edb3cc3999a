#include "demo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "xmem.h"

#define READY_TIMEOUT_MS   20000
#define STOP_TIMEOUT_MS    5000
#define CONTROL_TIMEOUT_MS 2000
#define CONTROL_MAX_BODY   (1 << 20)
#define READY_MAX          (1 << 20)
#define LOG_TAIL_BYTES     800
#define MAX_SECONDS        (10LL * 365 * 86400) /* azsim's limit for one clock advance */

/*
 * The demo scenario's principals, subscription and tenant, as in
 * sim/scenarios/demo.json (embedded in azsim; tests/tui/test_demo.c compares).
 */
static const char demo_tenant_id[] = "1fc969be-ee9e-424f-9ec5-a33b1d15ab71";
static const char demo_subscription_id[] = "558aba93-77f9-4064-aa55-4db325ca1cbf";
static const struct {
    const char *name, *client_id, *secret;
} demo_principals[] = {
    {"operator", "7d248692-5828-4a0d-ae0c-8333f4a54257",
     "demo-operator-dsWtHlPD2JMSTgzJ8QjRa9BXYmxbV4O3"},
    {"monitor", "62a50920-39f7-44ce-af52-b5ad5ff7b541",
     "demo-monitor-nthFMjndfT_W0t965DXzzIsbiZBFLBLF"},
};

struct demo {
    struct demo_info info;
    bool exited;
    int status; /* waitpid's, once exited */
    /* What info points to. */
    char *control_token, *ca_file, *dns_suffix, *authority, *management, *vault_resource;
    char **vault_names, **vault_urls;
    struct demo_vault *vaults;
    size_t nvaults;
    char **resolve;
    size_t nresolve;
    char *client_secret, *dir, *log_path, *ready_file;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* -- finding azsim -------------------------------------------------------------------------- */

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The folder of the running executable (heap), or NULL. */
static char *exe_dir(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return xstrdup(self);
}

/* $TDECTL_AZSIM, $AZSIM, azsim beside us, or ../sim/azsim (the build tree); heap. */
static char *find_azsim(char **cause)
{
    static const char *const vars[] = {"TDECTL_AZSIM", "AZSIM"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || *v == '\0')
            continue;
        if (executable(v))
            return xstrdup(v);
        xcause(cause, "%s=%s is not an executable file", vars[i], v);
        return NULL; /* a setting that is wrong is an error, not a hint to look elsewhere */
    }
    char *dir = exe_dir();
    if (dir == NULL) {
        xcause(cause, "cannot tell where tdectl is installed; set TDECTL_AZSIM to azsim's path");
        return NULL;
    }
    char *beside = xasprintf("%s/azsim", dir), *build = xasprintf("%s/../sim/azsim", dir);
    char *found = executable(beside) ? beside : executable(build) ? build : NULL;
    if (found == NULL)
        xcause(cause, "azsim is neither at %s nor at %s; build it or set TDECTL_AZSIM", beside,
               build);
    if (found != beside)
        free(beside);
    if (found != build)
        free(build);
    free(dir);
    return found;
}

/* -- the scratch folder --------------------------------------------------------------------- */

static char *make_scratch(char **cause)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/')
        tmp = "/tmp";
    char *dir = xasprintf("%s/tdectl-demo-XXXXXX", tmp);
    if (mkdtemp(dir) == NULL) { /* mode 0700 */
        xcause(cause, "cannot make a scratch folder in %s: %s", tmp, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

/* Removes name (relative to the folder parent) and everything below it; links are not followed. */
static void remove_tree(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (dir == NULL && fd >= 0)
        close(fd);
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(dir), e->d_name, 0) < 0 && errno == EISDIR)
            remove_tree(dirfd(dir), e->d_name);
    }
    if (dir)
        closedir(dir);
    unlinkat(parent, name, AT_REMOVEDIR);
}

/* -- the child ------------------------------------------------------------------------------ */

/* Descriptors 3 and up, whatever the console has open (sockets, the terminal, files). */
static void close_from_3(void)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
        return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        close((int)fd);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(char *const *argv, int in, int log, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* the console dying takes azsim with it */
    if (getppid() != parent)
        _exit(127); /* it died before the line above */
    if (dup2(in, 0) < 0 || dup2(in, 1) < 0 || dup2(log, 2) < 0)
        _exit(127);
    close_from_3();
    /* Ignored signals stay ignored across exec, and the mask is inherited: start clean. */
    static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        signal(reset[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], argv);
    static const char msg[] = "tdectl: cannot execute azsim\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
}

/*
 * fd moved to 3 or above (close-on-exec): should the console run with 0-2
 * closed, the child's dup2 onto 0-2 must not overwrite one with the other.
 */
static int above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

/* "30", "0.5": written by hand because printf's decimal point follows the locale. */
static char *scale_text(double scale)
{
    long long milli = llround(scale * 1000.0);
    if (milli % 1000 == 0)
        return xasprintf("%lld", milli / 1000);
    return xasprintf("%lld.%03lld", milli / 1000, milli % 1000);
}

static int spawn(struct demo *d, const char *binary, const struct demo_options *o, char **cause)
{
    char *ca = xasprintf("%s/ca.pem", d->dir);
    char *scale = o->time_scale > 0 ? scale_text(o->time_scale) : NULL;
    const char *scenario = o->scenario ? o->scenario : "demo";
    const char *argv[24] = {
        binary,    "--scenario", scenario, "--ready-file", d->ready_file, "--ca-out",       ca,
        "--quiet", "--port",     "0",      "--imds-port",  "0",           "--control-port", "0"};
    size_t n = 14;
    if (scale) {
        argv[n++] = "--time-scale";
        argv[n++] = scale;
    }
    int in = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
    int log = above_stdio(open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    pid_t parent = getpid(), pid = -1;
    if (in >= 0 && log >= 0)
        pid = fork();
    if (pid == 0)
        child((char *const *)(uintptr_t)argv, in, log, parent);
    int err = errno;
    if (in >= 0)
        close(in);
    if (log >= 0)
        close(log);
    free(ca);
    free(scale);
    if (pid < 0) {
        xcause(cause, "cannot start %s: %s", binary, strerror(err));
        d->exited = true;
        return -1;
    }
    d->info.pid = pid;
    return 0;
}

static bool reap(struct demo *d)
{
    if (d->exited)
        return true;
    int status = 0;
    if (d->info.pid > 0 && waitpid(d->info.pid, &status, WNOHANG) == d->info.pid) {
        d->exited = true;
        d->status = status;
    }
    return d->exited;
}

/* The end of azsim's log, from a line start, trimmed (heap). */
static char *log_tail(const struct demo *d)
{
    char buf[LOG_TAIL_BYTES + 1];
    int fd = d->log_path ? open(d->log_path, O_RDONLY | O_CLOEXEC) : -1;
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    off_t from = size > LOG_TAIL_BYTES ? size - LOG_TAIL_BYTES : 0;
    ssize_t n = size >= 0 ? pread(fd, buf, LOG_TAIL_BYTES, from) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    char *start = buf;
    if (from > 0 && strchr(start, '\n'))
        start = strchr(start, '\n') + 1;
    size_t len = strlen(start);
    while (len && (start[len - 1] == '\n' || start[len - 1] == ' '))
        start[--len] = '\0';
    return xstrdup(len ? start : "(its log is empty)");
}

static char *exit_text(int status)
{
    if (WIFSIGNALED(status))
        return xasprintf("was killed by signal %d", WTERMSIG(status));
    return xasprintf("exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void cause_exited(const struct demo *d, const char *when, char **cause)
{
    char *how = exit_text(d->status), *tail = log_tail(d);
    xcause(cause, "azsim %s%s: %s", how, when, tail);
    free(how);
    free(tail);
}

/* -- the ready file ------------------------------------------------------------------------- */

static char *read_small(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = xmalloc(max + 1);
    size_t len = 0;
    ssize_t r;
    while (len < max && (r = read(fd, buf + len, max - len)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

static bool name_ok(const char *s, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || strchr(extra, c)))
            return false;
    }
    return true;
}

/* A string member that is non-empty (and an https URL when https): a copy, else NULL. */
static char *field(const cJSON *j, const char *name, bool https)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
        (https && strncmp(v->valuestring, "https://", 8) != 0))
        return NULL;
    return xstrdup(v->valuestring);
}

static int port_field(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    double p = cJSON_IsNumber(v) ? v->valuedouble : 0;
    return p >= 1 && p <= 65535 ? (int)p : 0;
}

static void add_resolve(struct demo *d, const char *host)
{
    d->resolve = xrealloc(d->resolve, d->nresolve + 2, sizeof *d->resolve);
    d->resolve[d->nresolve++] = xasprintf("%s:%d:127.0.0.1", host, d->info.port);
    d->resolve[d->nresolve] = NULL;
}

/* The vaults ({"name": "url"}) and a CURLOPT_RESOLVE entry for every name azsim answers to. */
static int read_vaults(struct demo *d, const cJSON *vaults)
{
    char *login = xasprintf("login.%s", d->dns_suffix);
    char *mgmt = xasprintf("management.%s", d->dns_suffix);
    add_resolve(d, login);
    add_resolve(d, mgmt);
    free(login);
    free(mgmt);
    size_t n = (size_t)cJSON_GetArraySize(vaults);
    d->vault_names = xcalloc(n + 1, sizeof *d->vault_names);
    d->vault_urls = xcalloc(n + 1, sizeof *d->vault_urls);
    d->vaults = xcalloc(n + 1, sizeof *d->vaults);
    const cJSON *v;
    cJSON_ArrayForEach(v, vaults)
    {
        if (!cJSON_IsString(v) || !name_ok(v->string, "") ||
            strncmp(v->valuestring, "https://", 8) != 0 || d->nvaults == n)
            return -1;
        size_t i = d->nvaults++;
        d->vault_names[i] = xstrdup(v->string);
        d->vault_urls[i] = xstrdup(v->valuestring);
        d->vaults[i] = (struct demo_vault){d->vault_names[i], d->vault_urls[i]};
        char *host = xasprintf("%s.vault.%s", v->string, d->dns_suffix);
        add_resolve(d, host);
        free(host);
    }
    return d->nvaults ? 0 : -1;
}

static int read_ready(struct demo *d, const cJSON *j)
{
    d->info.port = port_field(j, "port");
    d->info.imds_port = port_field(j, "imds_port");
    d->info.control_port = port_field(j, "control_port");
    d->control_token = field(j, "control_token", false);
    d->ca_file = field(j, "ca_file", false);
    d->dns_suffix = field(j, "dns_suffix", false);
    d->authority = field(j, "authority", true);
    d->management = field(j, "management_resource", true);
    d->vault_resource = field(j, "vault_resource", true);
    const cJSON *vaults = cJSON_GetObjectItemCaseSensitive(j, "vaults");
    if (!d->info.port || !d->info.imds_port || !d->info.control_port || !d->control_token ||
        !d->ca_file || !d->dns_suffix || !name_ok(d->dns_suffix, ".") || !d->authority ||
        !d->management || !d->vault_resource || !cJSON_IsObject(vaults) ||
        read_vaults(d, vaults) < 0)
        return -1;
    struct demo_info *i = &d->info;
    i->control_token = d->control_token;
    i->ca_file = d->ca_file;
    i->dns_suffix = d->dns_suffix;
    i->authority = d->authority;
    i->management = d->management;
    i->vault_resource = d->vault_resource;
    i->vaults = d->vaults;
    i->nvaults = d->nvaults;
    i->resolve = (const char *const *)d->resolve; /* char ** for freeing; callers see const */
    return 0;
}

static int parse_ready(struct demo *d, char **cause)
{
    char *text = read_small(d->ready_file, READY_MAX);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    int rc = cJSON_IsObject(j) ? read_ready(d, j) : -1;
    if (rc < 0)
        xcause(cause, "azsim's ready file %s is incomplete or not JSON", d->ready_file);
    /* The file and the tree hold the admin token. */
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(j, "control_token");
    if (cJSON_IsString(token))
        OPENSSL_cleanse(token->valuestring, strlen(token->valuestring));
    cJSON_Delete(j);
    free_secret(text);
    return rc;
}

static int wait_ready(struct demo *d, int timeout_ms, char **cause)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        if (access(d->ready_file, F_OK) == 0) /* azsim renames it into place: complete */
            return parse_ready(d, cause);
        if (reap(d)) {
            cause_exited(d, " before it was ready", cause);
            return -1;
        }
        if (now_ms() > deadline) {
            char *tail = log_tail(d);
            xcause(cause, "azsim was not ready within %d ms: %s", timeout_ms, tail);
            free(tail);
            return -1;
        }
        sleep_ms(20);
    }
}

/* -- start and stop ------------------------------------------------------------------------- */

static void set_principal(struct demo *d, bool read_only)
{
    size_t i = read_only ? 1 : 0;
    d->client_secret = xstrdup(demo_principals[i].secret);
    d->info.principal = demo_principals[i].name;
    d->info.client_id = demo_principals[i].client_id;
    d->info.client_secret = d->client_secret;
    d->info.tenant_id = demo_tenant_id;
    d->info.subscription_id = demo_subscription_id;
}

static int check_options(const struct demo_options *o, char **cause)
{
    double ts = o->time_scale;
    if (isnan(ts) || ts > 1e6 || (ts > 0 && ts < 0.001)) {
        xcause(cause, "the demo's time scale must be 0.001 to 1000000");
        return -1;
    }
    if (o->ready_timeout_ms < 0) {
        xcause(cause, "the demo's ready timeout must not be negative");
        return -1;
    }
    return 0;
}

struct demo *demo_start(const struct demo_options *o, char **cause)
{
    static const struct demo_options defaults = {0};
    if (o == NULL)
        o = &defaults;
    if (check_options(o, cause) < 0)
        return NULL;
    char *binary = find_azsim(cause);
    char *dir = binary ? make_scratch(cause) : NULL;
    if (dir == NULL) {
        free(binary);
        return NULL;
    }
    struct demo *d = xcalloc(1, sizeof *d);
    d->info.dir = d->dir = dir;
    d->info.log_path = d->log_path = xasprintf("%s/azsim.log", dir);
    d->info.ready_file = d->ready_file = xasprintf("%s/ready.json", dir);
    set_principal(d, o->read_only);
    int timeout = o->ready_timeout_ms ? o->ready_timeout_ms : READY_TIMEOUT_MS;
    bool ok = spawn(d, binary, o, cause) == 0 && wait_ready(d, timeout, cause) == 0;
    free(binary);
    if (!ok) {
        demo_stop(d);
        return NULL;
    }
    return d;
}

/* 0 when azsim exited cleanly on SIGTERM (or never ran), else non-zero. */
static int stop_process(struct demo *d)
{
    if (d->info.pid <= 0)
        return 0;
    bool before = reap(d); /* it had already gone: whatever its status, that is a failure */
    if (!before)
        kill(d->info.pid, SIGTERM);
    int64_t deadline = now_ms() + STOP_TIMEOUT_MS;
    while (!reap(d) && now_ms() < deadline)
        sleep_ms(10);
    if (!d->exited) {
        kill(d->info.pid, SIGKILL);
        while (waitpid(d->info.pid, &d->status, 0) < 0 && errno == EINTR)
            ;
        d->exited = true;
        return -1;
    }
    if (WIFSIGNALED(d->status))
        return 128 + WTERMSIG(d->status);
    return before ? -1 : WEXITSTATUS(d->status);
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int demo_stop(struct demo *d)
{
    if (d == NULL)
        return 0;
    int status = stop_process(d);
    if (d->dir)
        remove_tree(AT_FDCWD, d->dir);
    free_secret(d->control_token);
    free_secret(d->client_secret);
    free(d->ca_file);
    free(d->dns_suffix);
    free(d->authority);
    free(d->management);
    free(d->vault_resource);
    free_strings(d->vault_names, d->nvaults);
    free_strings(d->vault_urls, d->nvaults);
    free(d->vaults);
    free_strings(d->resolve, d->nresolve);
    free(d->dir);
    free(d->log_path);
    free(d->ready_file);
    free(d);
    return status;
}

const struct demo_info *demo_info(const struct demo *d)
{
    return &d->info;
}

bool demo_running(struct demo *d, char **cause)
{
    if (d == NULL) {
        xcause(cause, "no demo");
        return false;
    }
    if (!reap(d))
        return true;
    cause_exited(d, "", cause);
    return false;
}

/* -- the control interface ------------------------------------------------------------------ */

struct sink {
    char *data;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    size_t n = size * nmemb;
    if (k->len + n > CONTROL_MAX_BODY)
        return 0; /* ends the transfer with an error */
    k->data = xrealloc(k->data, k->len + n + 1, 1);
    memcpy(k->data + k->len, ptr, n);
    k->len += n;
    k->data[k->len] = '\0';
    return n;
}

static struct curl_slist *auth_headers(const struct demo *d)
{
    char *auth = xasprintf("Authorization: Bearer %s", d->control_token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
    free_secret(auth);
    return h;
}

static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i; i = i->next)
        OPENSSL_cleanse(i->data, strlen(i->data));
    curl_slist_free_all(h);
}

static CURLcode perform(struct demo *d, const char *method, const char *url, const char *body,
                        struct sink *k, long *status)
{
    CURL *e = curl_easy_init();
    struct curl_slist *h = e ? auth_headers(d) : NULL;
    if (h == NULL) {
        curl_easy_cleanup(e);
        return CURLE_OUT_OF_MEMORY;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)CONTROL_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* an http_proxy must not see the admin token */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    if (body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(e);
    if (rc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(e);
    free_headers(h);
    return rc;
}

/*
 * One control request. 0 when azsim answered (any status: *status, *response
 * heap or NULL), -1 with *cause when it did not.
 */
static int control(struct demo *d, const char *method, const char *path, const char *body,
                   long *status, char **response, char **cause)
{
    *status = 0;
    *response = NULL;
    if (!demo_running(d, cause))
        return -1;
    char *url = xasprintf("http://127.0.0.1:%d%s", d->info.control_port, path);
    struct sink k = {0};
    CURLcode rc = perform(d, method, url, body, &k, status);
    free(url);
    if (rc != CURLE_OK) {
        xcause(cause, "azsim's control interface did not answer %s %s: %s", method, path,
               curl_easy_strerror(rc));
        free(k.data);
        return -1;
    }
    *response = k.data;
    return 0;
}

/* The message of azsim's {"error":{"message"}} answer, or the status (heap). */
static char *error_text(long status, const char *response)
{
    cJSON *j = response ? cJSON_Parse(response) : NULL;
    const cJSON *m =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "message");
    char *text = cJSON_IsString(m) ? xasprintf("%ld %.300s", status, m->valuestring)
                                   : xasprintf("status %ld", status);
    cJSON_Delete(j);
    return text;
}

char *demo_control(struct demo *d, const char *method, const char *path, const char *body,
                   long want, char **cause)
{
    long status;
    char *response;
    if (d == NULL || method == NULL || path == NULL || path[0] != '/') {
        xcause(cause, "no demo, or not a control request");
        return NULL;
    }
    if (control(d, method, path, body, &status, &response, cause) < 0)
        return NULL;
    if (status == want)
        return response ? response : xstrdup("");
    char *why = error_text(status, response);
    xcause(cause, "azsim refused %s %s: %s", method, path, why);
    free(why);
    free(response);
    return NULL;
}

/* -- faults and the clock ------------------------------------------------------------------- */

static int clear_one(struct demo *d, const char *id, char **cause)
{
    if (!name_ok(id, "")) {
        xcause(cause, "'%.40s' is not a fault id", id);
        return -1;
    }
    char *path = xasprintf("/faults/%s", id);
    char *body = demo_control(d, "DELETE", path, NULL, 204, cause);
    int rc = body ? 0 : -1;
    free(path);
    free(body);
    return rc;
}

int demo_clear(struct demo *d, const char *fault_id, char **cause)
{
    if (fault_id == NULL) {
        char *body = demo_control(d, "DELETE", "/faults", NULL, 204, cause);
        int rc = body ? 0 : -1;
        free(body);
        return rc;
    }
    int rc = 0;
    char *list = xstrdup(fault_id);
    for (char *id = list, *next; id; id = next) {
        next = strchr(id, ',');
        if (next)
            *next++ = '\0';
        if (clear_one(d, id, cause) < 0)
            rc = -1; /* go on: clear what can be cleared */
    }
    free(list);
    return rc;
}

int demo_advance(struct demo *d, int64_t seconds, char **cause)
{
    if (d == NULL || seconds < 0 || seconds > MAX_SECONDS) {
        xcause(cause, "the clock moves forward by 0 to %lld seconds", (long long)MAX_SECONDS);
        return -1;
    }
    char *req = xasprintf("{\"seconds\":%lld}", (long long)seconds);
    char *body = demo_control(d, "POST", "/clock/advance", req, 200, cause);
    int rc = body ? 0 : -1;
    free(req);
    free(body);
    return rc;
}

int demo_clock(struct demo *d, int64_t *now, char **cause)
{
    *now = 0;
    char *body = demo_control(d, "GET", "/clock", NULL, 200, cause);
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "now");
    bool ok = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15;
    if (ok)
        *now = (int64_t)v->valuedouble;
    else if (body)
        xcause(cause, "azsim's clock answer has no time");
    cJSON_Delete(j);
    free(body);
    return ok ? 0 : -1;
}

int demo_faults(struct demo *d, char **json, char **cause)
{
    *json = demo_control(d, "GET", "/faults", NULL, 200, cause);
    return *json ? 0 : -1;
}

int demo_model(struct demo *d, char **json, char **cause)
{
    *json = demo_control(d, "GET", "/model", NULL, 200, cause);
    return *json ? 0 : -1;
}
