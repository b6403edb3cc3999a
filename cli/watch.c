#include "watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "activity.h"
#include "clisession.h"
#include "engine.h"
#include "health.h"
#include "http.h"
#include "loop.h"
#include "metrics.h"
#include "session.h"
#include "sigpipe.h"
#include "xmem.h"

#define DEFAULT_ADDR "127.0.0.1:9464"
/* Health is judged when the model moved, at a sweep's end or a scrape; and when nothing
   else judged it for this long, since time alone moves some findings (data growing stale,
   the Inaccessible clock). One judgement of 200 instances costs about 25 ms: every 5 s
   was 0.5 % of a core by itself. */
#define EVAL_IDLE_MS     30000
#define ACTIVITY_ENTRIES 256
#define MHD_MAX_WAIT_MS  60000

struct watch_opts {
    const char *config;
    const char *metrics;
};

struct watch {
    struct clisession cs; /* the configuration and the session */
    struct session *s;
    struct loop *loop;
    struct engine *engine;
    struct activity *act;
    struct health *health;
    struct metrics_sweeps sweeps;
    int64_t last_end_mono[3]; /* loop_now when each kind last ended; /healthz reads these */
    int64_t started_mono;
    int64_t stale_after_ms;   /* /healthz: a full or health sweep must end this often */
    uint64_t failures_at_end; /* engine failures when the last full or health sweep ended */
    uint64_t evaluated_gen;   /* the model generation health last saw */
    uint64_t eval_timer;
    struct MHD_Daemon *mhd;
    int mhd_fd; /* MHD's epoll descriptor, watched by the loop */
    uint64_t mhd_timer;
    struct sigpipe *signals;
};

static void usage(FILE *out)
{
    fputs("usage: tdectl watch [--metrics ADDRESS:PORT] [--config FILE]\n"
          "  keeps the estate swept and serves Prometheus metrics; never writes to Azure\n"
          "  --metrics A:P  listen on this address only (default " DEFAULT_ADDR "):\n"
          "                 numeric IPv4, or [IPv6]:PORT; port 0 takes a free one\n"
          "  --config FILE  the configuration file (as for the console)\n"
          "  GET /metrics   Prometheus text format; GET /healthz   200 ok, or 503 and why\n"
          "  SIGTERM or SIGINT ends it (exit 0)\n",
          out);
}

static int parse(int argc, char **argv, struct watch_opts *o)
{
    static const struct option opts[] = {
        {"metrics", required_argument, NULL, 'm'},
        {"config", required_argument, NULL, 'c'},
        {"read-only", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:c:Rh", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->metrics = optarg;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 'R':
            break; /* implicit: watch never writes */
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tdectl watch: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* ---- the address: numeric only, so the operator knows exactly where it listens ---- */

static int parse_port(const char *text, uint16_t *port)
{
    char *end;
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    long p = strtol(text, &end, 10);
    if (errno || *end || p < 0 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    char host[64];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof host)
        return -1;
    uint16_t port;
    if (parse_port(colon + 1, &port) < 0)
        return -1;
    if (text[0] == '[') { /* [IPv6]:PORT */
        if (colon - text < 3 || colon[-1] != ']')
            return -1;
        snprintf(host, sizeof host, "%.*s", (int)(colon - text - 2), text + 1);
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        *len = sizeof *s6;
        return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - text), text);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    *len = sizeof *s4;
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

/* "127.0.0.1:9464" or "[::1]:9464" for the bound socket. */
static void addr_text(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        snprintf(buf, size, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
        return;
    }
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
    port = ntohs(s4->sin_port);
    snprintf(buf, size, "%s:%u", host, port);
}

/* A listening socket on exactly that address; -1 with *cause. */
static int listen_on(const struct sockaddr_storage *ss, socklen_t len, const char *text,
                     char **cause)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        xcause(cause, "cannot listen on %s: %s", text, strerror(errno));
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 64) != 0) {
        xcause(cause, "cannot listen on %s: %s", text, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- health, sweeps ---- */

static void on_eval_timer(struct loop *loop, void *arg);

static void evaluate(struct watch *w)
{
    const struct model *m = engine_model(w->engine);
    health_evaluate(w->health, m, loop_wall(w->loop), NULL);
    w->evaluated_gen = m->generation;
    loop_timer_cancel(w->loop, w->eval_timer);
    w->eval_timer = loop_timer(w->loop, EVAL_IDLE_MS, on_eval_timer, w);
}

/* Nothing judged the estate for EVAL_IDLE_MS: the clock alone may have moved findings. */
static void on_eval_timer(struct loop *loop, void *arg)
{
    struct watch *w = arg;
    (void)loop;
    w->eval_timer = 0;
    evaluate(w);
}

/* Judges again only what changed: the same model at the same minute judges the same. */
static void evaluate_if_moved(struct watch *w)
{
    if (engine_model(w->engine)->generation != w->evaluated_gen)
        evaluate(w);
}

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    struct watch *w = arg;
    w->sweeps.count[kind]++;
    w->sweeps.last_end_ms[kind] = loop_wall(w->loop);
    w->last_end_mono[kind] = loop_now(w->loop);
    if (kind != ENGINE_SWEEP_PROBE) {
        /* Sweeps overlap, so "no read failed since the last one ended" is what can be known. */
        uint64_t failures = engine_stats(e).failures;
        if (failures == w->failures_at_end)
            w->sweeps.last_success_ms = w->sweeps.last_end_ms[kind];
        w->failures_at_end = failures;
    }
    evaluate_if_moved(w);
}

/* ---- HTTP ---- */

/* Whether /healthz says ok; else why in buf. */
static bool healthy(const struct watch *w, char *buf, size_t size)
{
    int64_t now = loop_now(w->loop);
    if (w->sweeps.count[ENGINE_SWEEP_FULL] == 0) {
        snprintf(buf, size, "the first full sweep has not ended yet (started %lld s ago)\n",
                 (long long)((now - w->started_mono) / 1000));
        return false;
    }
    int64_t last = w->last_end_mono[ENGINE_SWEEP_FULL];
    if (w->last_end_mono[ENGINE_SWEEP_HEALTH] > last)
        last = w->last_end_mono[ENGINE_SWEEP_HEALTH];
    if (now - last > w->stale_after_ms) {
        snprintf(buf, size, "no sweep has ended for %lld s (the limit is %lld s)\n",
                 (long long)((now - last) / 1000), (long long)(w->stale_after_ms / 1000));
        return false;
    }
    snprintf(buf, size, "ok\n");
    return true;
}

static char *render_metrics(struct watch *w, size_t *len)
{
    evaluate_if_moved(w);
    const struct model *m = engine_model(w->engine);
    struct engine_stats es = engine_stats(w->engine);
    struct auth_health signin;
    auth_health(session_auth(w->s), &signin);
    struct metrics_input in = {.model = m,
                               .health = w->health,
                               .activity = w->act,
                               .signin = &signin,
                               .engine = &es,
                               .sweeps = &w->sweeps,
                               .now_ms = loop_wall(w->loop),
                               .version = TDECTL_VERSION};
    return metrics_render(&in, len);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                             const char *type, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text,
                                  const char *allow)
{
    return reply(c, status, xstrdup(text), strlen(text), "text/plain; charset=utf-8", allow);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    static int seen; /* the marker of a request whose headers were taken in */
    struct watch *w = cls;
    (void)version, (void)upload_data;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET\n",
                          "GET, HEAD");
    if (*con_cls == NULL) {
        /* Answered on the second call, once the request is complete, the connection
           stays open for the next scrape (an answer on the first call closes it). */
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* a GET with a body: the body means nothing here */
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") == 0) {
        size_t len = 0;
        char *text = render_metrics(w, &len);
        return reply(c, MHD_HTTP_OK, text, len, METRICS_CONTENT_TYPE, NULL);
    }
    if (strcmp(url, "/healthz") == 0) {
        char why[160];
        bool ok = healthy(w, why, sizeof why);
        return reply_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, why, NULL);
    }
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz\n", NULL);
}

/* ---- MHD driven by the loop ---- */

static void mhd_drive(struct watch *w);

static void on_mhd_timer(struct loop *loop, void *arg)
{
    struct watch *w = arg;
    (void)loop;
    w->mhd_timer = 0;
    mhd_drive(w);
}

static void on_mhd_fd(struct loop *loop, int fd, short revents, void *arg)
{
    (void)loop, (void)fd, (void)revents;
    mhd_drive(arg);
}

/* Lets MHD do what is ready, then sleeps until its next deadline (connection timeouts). */
static void mhd_drive(struct watch *w)
{
    MHD_run(w->mhd);
    loop_timer_cancel(w->loop, w->mhd_timer);
    w->mhd_timer = 0;
    MHD_UNSIGNED_LONG_LONG to = 0;
    if (MHD_get_timeout(w->mhd, &to) == MHD_YES)
        w->mhd_timer = loop_timer(w->loop, to < MHD_MAX_WAIT_MS ? (int64_t)to : MHD_MAX_WAIT_MS,
                                  on_mhd_timer, w);
}

static int mhd_start(struct watch *w, int listen_fd, char **cause)
{
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES) {
        close(listen_fd);
        xcause(cause, "libmicrohttpd was built without epoll");
        return -1;
    }
    /* No thread of its own: MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD. */
    w->mhd = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, w, MHD_OPTION_LISTEN_SOCKET,
                              listen_fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (w->mhd == NULL) {
        xcause(cause, "the metrics server did not start (libmicrohttpd)");
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL || info->epoll_fd < 0) {
        xcause(cause, "the metrics server has no epoll descriptor");
        return -1;
    }
    w->mhd_fd = info->epoll_fd;
    loop_watch(w->loop, w->mhd_fd, POLLIN, on_mhd_fd, w);
    mhd_drive(w);
    return 0;
}

/* ---- signals: SIGTERM and SIGINT end it (core/sigpipe.h) ---- */

static void on_stop_signal(int sig, void *arg)
{
    struct watch *w = arg;
    (void)sig;
    loop_stop(w->loop);
}

static int signals_install(struct watch *w, char **cause)
{
    static const int sigs[] = {SIGTERM, SIGINT};
    w->signals = sigpipe_create(w->loop, sigs, 2, on_stop_signal, w, cause);
    return w->signals ? 0 : -1;
}

static void signals_restore(struct watch *w)
{
    sigpipe_destroy(w->signals);
    w->signals = NULL;
}

/* ---- the command ---- */

static int start(struct watch *w, int listen_fd, char **cause)
{
    if (clisession_start(&w->cs, cause) < 0) {
        close(listen_fd);
        return -1;
    }
    w->s = w->cs.s;
    w->loop = session_loop(w->s);
    w->engine = session_engine(w->s);
    w->act = activity_create(ACTIVITY_ENTRIES);
    http_set_log(session_http(w->s), activity_http_hook, w->act);
    w->health = health_create();
    health_set_max_age(w->health, 3 * w->cs.cfg.poll_health_s * 1000);
    w->stale_after_ms = 3 * w->cs.cfg.poll_health_s * 1000;
    w->started_mono = loop_now(w->loop);
    if (mhd_start(w, listen_fd, cause) < 0 || signals_install(w, cause) < 0)
        return -1;
    engine_on_sweep(w->engine, on_sweep, w);
    w->eval_timer = loop_timer(w->loop, EVAL_IDLE_MS, on_eval_timer, w);
    engine_start(w->engine);
    return 0;
}

static void stop(struct watch *w)
{
    if (w->loop) {
        signals_restore(w);
        loop_timer_cancel(w->loop, w->eval_timer);
        loop_timer_cancel(w->loop, w->mhd_timer);
        if (w->mhd_fd >= 0)
            loop_unwatch(w->loop, w->mhd_fd);
    }
    if (w->mhd)
        MHD_stop_daemon(w->mhd); /* closes the listening socket too */
    if (w->s) {
        engine_on_sweep(w->engine, NULL, NULL);
        http_set_log(session_http(w->s), NULL, NULL);
    }
    activity_destroy(w->act); /* the session goes in watch_main: nothing calls these now */
    health_destroy(w->health);
}

static int run(struct watch *w, const struct sockaddr_storage *ss, socklen_t len, const char *addr)
{
    char *cause = NULL;
    int fd = listen_on(ss, len, addr, &cause);
    int rc = 0;
    if (fd < 0 || start(w, fd, &cause) < 0) {
        fprintf(stderr, "tdectl watch: %s\n", cause ? cause : "cannot start");
        rc = 1;
    } else {
        char where[80];
        addr_text(fd, where, sizeof where);
        fprintf(stderr, "tdectl watch: serving http://%s/metrics and /healthz (read-only)\n",
                where);
        loop_run(w->loop);
    }
    free(cause);
    stop(w);
    return rc;
}

int watch_main(int argc, char **argv)
{
    struct watch_opts o = {.metrics = DEFAULT_ADDR};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(o.metrics, &ss, &len) < 0) {
        fprintf(stderr,
                "tdectl watch: --metrics takes a numeric address and a port, "
                "like 127.0.0.1:9464 or [::1]:9464 (not %s)\n",
                o.metrics);
        return 2;
    }
    struct watch w = {.mhd_fd = -1};
    char *cause = NULL;
    /* watch never writes, whatever the file says */
    struct clisession_options co = {.config_path = o.config, .read_only = true};
    if (clisession_load(&w.cs, &co, &cause) < 0) {
        fprintf(stderr, "tdectl watch: %s\n", cause);
        free(cause);
        clisession_cleanup(&w.cs);
        return 1;
    }
    rc = run(&w, &ss, len, o.metrics);
    clisession_cleanup(&w.cs);
    return rc;
}
