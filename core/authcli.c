#include "authcli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sys/types.h>
#include <sys/wait.h>

#include <openssl/crypto.h>

#include "json.h"
#include "loop.h"
#include "xmem.h"

#define CLI_TIMEOUT_MS   10000
#define REAP_INTERVAL_MS 5
#define STDOUT_MAX       (1 << 20)
#define STDERR_MAX       (64 << 10)
#define ERROR_TEXT_MAX   300

extern char **environ;

struct pipe_buf {
    int fd;
    char *data;
    size_t len, cap, max;
};

struct authcli_call {
    struct loop *loop;
    authprov_fn fn;
    void *arg;
    pid_t pid;
    struct pipe_buf out; /* holds the token: cleansed */
    struct pipe_buf err;
    uint64_t deadline; /* timer ids */
    uint64_t reaper;
    bool overflow;
};

/* -- parsing ---------------------------------------------------------------------------------- */

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" in local time to Unix seconds. */
static int local_time(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int n = 0;
    /* NOLINTNEXTLINE(cert-err34-c): the widths keep each field in range, n checks the rest */
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 19)
        return -1;
    const char *rest = s + n;
    if (*rest == '.')
        rest += 1 + strspn(rest + 1, "0123456789");
    if (*rest != '\0' || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1; /* whatever the zone says for that date */
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (int64_t)t;
    return 0;
}

enum core_err authcli_parse(const char *json, size_t len, struct authprov_token *out, char **cause)
{
    memset(out, 0, sizeof *out);
    cJSON *root = json_parse_object(json, len, NULL);
    enum core_err err = CORE_ERR_PARSE;
    cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "accessToken");
    const char *expires_local = json_str(root, "expiresOn");
    int64_t on = 0;
    if (root == NULL) {
        xcause(cause, "az printed something that is not a JSON object");
    } else if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0') {
        xcause(cause, "az printed no accessToken");
    } else if (json_int64_lenient(root, "expires_on", &on) != 0 &&
               (expires_local == NULL || local_time(expires_local, &on) != 0)) {
        xcause(cause, "az printed no usable expires_on or expiresOn");
    } else if (on <= 0) {
        xcause(cause, "az printed an impossible expiry");
    } else {
        out->access_token = xstrdup(tok->valuestring);
        out->expires_on = on;
        err = CORE_OK;
    }
    if (cJSON_IsString(tok))
        OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
    cJSON_Delete(root);
    return err;
}

/* -- finding the command ---------------------------------------------------------------------- */

bool authcli_found(const char *command)
{
    if (command == NULL || *command == '\0')
        command = "az";
    if (strchr(command, '/'))
        return access(command, X_OK) == 0;
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char *file = xasprintf("%.*s/%s", (int)n ? (int)n : 1, n ? p : ".", command);
        bool ok = access(file, X_OK) == 0;
        free(file);
        if (ok)
            return true;
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

/* -- the child -------------------------------------------------------------------------------- */

static void buf_close(struct authcli_call *c, struct pipe_buf *b)
{
    if (b->fd >= 0) {
        loop_unwatch(c->loop, b->fd);
        close(b->fd);
        b->fd = -1;
    }
}

/* Kills the process group and waits: after SIGKILL the wait is short. */
static void kill_child(struct authcli_call *c)
{
    if (c->pid <= 0)
        return;
    kill(-c->pid, SIGKILL);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    c->pid = 0;
}

static void call_free(struct authcli_call *c)
{
    kill_child(c);
    buf_close(c, &c->out);
    buf_close(c, &c->err);
    if (c->deadline)
        loop_timer_cancel(c->loop, c->deadline);
    if (c->reaper)
        loop_timer_cancel(c->loop, c->reaper);
    if (c->out.data)
        OPENSSL_cleanse(c->out.data, c->out.cap);
    free(c->out.data);
    free(c->err.data);
    free(c);
}

static void finish(struct authcli_call *c, struct authprov_token *tok, enum core_err err,
                   const char *cause)
{
    c->fn(err == CORE_OK ? tok : NULL, err, cause, c->arg);
    call_free(c);
}

/* Where the line after this one starts (the end of the text when none). */
static const char *next_line(const char *line)
{
    line += strcspn(line, "\n");
    return *line ? line + 1 : line;
}

/* The line of az's stderr worth quoting: the first "ERROR" line, else the first non-empty one. */
static char *stderr_line(const struct pipe_buf *b)
{
    const char *text = b->data ? b->data : "", *pick = NULL;
    for (const char *line = text; *line; line = next_line(line)) {
        size_t n = strcspn(line, "\r\n");
        if (n == 0)
            continue;
        if (pick == NULL)
            pick = line;
        if (strncasecmp(line, "ERROR", 5) == 0) {
            pick = line;
            break;
        }
    }
    if (pick == NULL)
        return xstrdup("(nothing on stderr)");
    size_t n = strcspn(pick, "\r\n");
    char *s = xstrndup(pick, n > ERROR_TEXT_MAX ? ERROR_TEXT_MAX : n);
    for (char *p = s; *p; p++) {
        if (!isprint((unsigned char)*p))
            *p = '?';
    }
    return s;
}

static void exited(struct authcli_call *c, int status)
{
    c->pid = 0;
    struct authprov_token tok = {0};
    char *cause = NULL;
    enum core_err err;
    if (c->overflow) {
        err = CORE_ERR_LIMIT;
        xcause(&cause, "az printed more than %d bytes", STDOUT_MAX);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        err = authcli_parse(c->out.data ? c->out.data : "", c->out.len, &tok, &cause);
    } else {
        char *line = stderr_line(&c->err);
        err = CORE_ERR_AUTH;
        if (WIFEXITED(status))
            xcause(&cause, "az account get-access-token failed (exit %d): %s", WEXITSTATUS(status),
                   line);
        else
            xcause(&cause, "az account get-access-token was killed by signal %d: %s",
                   WTERMSIG(status), line);
        free(line);
    }
    finish(c, &tok, err, cause);
    authprov_token_cleanup(&tok);
    free(cause);
}

static void try_reap(struct authcli_call *c);

static void on_reaper(struct loop *loop, void *arg)
{
    (void)loop;
    struct authcli_call *c = arg;
    c->reaper = 0;
    try_reap(c);
}

/* Both pipes are closed: collect the exit status, now or a little later. */
static void try_reap(struct authcli_call *c)
{
    int status = 0;
    pid_t r;
    while ((r = waitpid(c->pid, &status, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r == c->pid)
        exited(c, status);
    else if (r == 0)
        c->reaper = loop_timer(c->loop, REAP_INTERVAL_MS, on_reaper, c);
    else
        finish(c, NULL, CORE_ERR_IO, "az could not be waited for");
}

static void on_pipe(struct loop *loop, int fd, short revents, void *arg)
{
    (void)loop;
    (void)revents;
    struct authcli_call *c = arg;
    struct pipe_buf *b = fd == c->out.fd ? &c->out : &c->err;
    for (;;) {
        if (b->cap - b->len < 4096) {
            size_t cap = b->cap ? b->cap * 2 : 8192;
            char *data = xmalloc(cap);
            if (b->data) {
                memcpy(data, b->data, b->len);
                OPENSSL_cleanse(b->data, b->cap); /* stdout holds the token */
                free(b->data);
            }
            b->data = data;
            b->cap = cap;
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n > 0) {
            if (b->len + (size_t)n > b->max) {
                c->overflow = c->overflow || b == &c->out;
                continue; /* keep draining, keep nothing more */
            }
            b->len += (size_t)n;
            b->data[b->len] = '\0';
            continue;
        }
        if (n < 0 && (errno == EINTR))
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break; /* EOF or error */
    }
    buf_close(c, b);
    if (c->out.fd < 0 && c->err.fd < 0)
        try_reap(c);
}

static void on_deadline(struct loop *loop, void *arg)
{
    (void)loop;
    struct authcli_call *c = arg;
    c->deadline = 0;
    finish(c, NULL, CORE_ERR_TIMEOUT, "az account get-access-token did not answer in time");
}

static bool bad_argument(const char *s)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return true; /* "-..." would be read as an option */
    for (; *s; s++) {
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            return true;
    }
    return false;
}

/* Pipes whose read ends (ours) are non-blocking; the child's write ends stay blocking. */
static int make_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    int fl = fcntl(fds[0], F_GETFL);
    if (fl < 0 || fcntl(fds[0], F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    return 0;
}

/* posix_spawnp with stdout/stderr on the pipes, stdin on /dev/null, its own process group. */
static int spawn(const char *command, char *const argv[], int out, int err, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGHUP);
    sigaddset(&dflt, SIGCHLD);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    /* Its own group, so a timeout kills az and whatever it started; default signals. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    int rc = posix_spawnp(pid, command, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

struct authcli_call *authcli_run(struct loop *loop, const struct authcli_request *req,
                                 authprov_fn fn, void *arg, char **cause)
{
    const char *command = req->command && *req->command ? req->command : "az";
    if (bad_argument(req->scope) || (req->tenant && bad_argument(req->tenant))) {
        xcause(cause, "the scope or tenant is not fit for the az command line");
        return NULL;
    }
    int out[2], err[2];
    if (make_pipe(out) < 0) {
        xcause(cause, "cannot make a pipe for az: %s", strerror(errno));
        return NULL;
    }
    if (make_pipe(err) < 0) {
        xcause(cause, "cannot make a pipe for az: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return NULL;
    }
    const char *argv[12] = {command, "account", "get-access-token", "--scope", req->scope};
    size_t n = 5;
    if (req->tenant) {
        argv[n++] = "--tenant";
        argv[n++] = req->tenant;
    }
    argv[n++] = "--output";
    argv[n++] = "json";
    argv[n] = NULL;
    pid_t pid = 0;
    /* posix_spawn's argv is char *const[] for historical reasons; it does not write to it. */
    int rc = spawn(command, (char *const *)(uintptr_t)argv, out[1], err[1], &pid);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        xcause(cause, "cannot run %s: %s", command, strerror(rc));
        close(out[0]);
        close(err[0]);
        return NULL;
    }
    struct authcli_call *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->fn = fn;
    c->arg = arg;
    c->pid = pid;
    c->out = (struct pipe_buf){.fd = out[0], .max = STDOUT_MAX};
    c->err = (struct pipe_buf){.fd = err[0], .max = STDERR_MAX};
    loop_watch(loop, c->out.fd, POLLIN, on_pipe, c);
    loop_watch(loop, c->err.fd, POLLIN, on_pipe, c);
    c->deadline =
        loop_timer(loop, req->timeout_ms > 0 ? req->timeout_ms : CLI_TIMEOUT_MS, on_deadline, c);
    return c;
}

void authcli_cancel(struct authcli_call *c)
{
    if (c != NULL)
        call_free(c);
}
