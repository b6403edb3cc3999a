#include "loop.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmem.h"

/* An unbounded wait is cut to this: the caller's loop simply goes round again. */
#define LOOP_LONGEST_WAIT_MS 3600000

struct watch {
    int fd;
    short events;
    loop_fd_fn fn;
    void *arg;
    uint64_t serial; /* tells a watch replaced during a pass from the one polled */
};

struct timer {
    int64_t when;
    uint64_t id;
    loop_timer_fn fn;
    void *arg;
};

struct loop {
    CURLM *multi;
    CURLSH *share; /* TLS sessions and DNS answers, for every transfer of this loop */
    loop_done_fn done;
    void *done_arg;

    struct watch *watches;
    size_t nwatches, watches_cap;
    uint64_t watch_serial;

    struct timer *timers; /* binary min-heap on (when, id) */
    size_t ntimers, timers_cap;
    uint64_t timer_seq;

    /* One pass's snapshot of the watches. */
    struct curl_waitfd *waitfds;
    struct pollfd *pollfds;
    uint64_t *serials;
    size_t scratch_cap;

    int64_t now;
    atomic_bool stopped;
};

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_check_curl(const curl_version_info_data *info, char **cause)
{
    if (info == NULL) {
        xcause(cause, "libcurl reports no version information");
        return -1;
    }
    const char *version = info->version ? info->version : "(unknown version)";
    if (info->version_num < 0x075500) {
        xcause(cause, "libcurl %s is too old: tdectl needs 7.85.0 or newer", version);
        return -1;
    }
    if (!(info->features & CURL_VERSION_ASYNCHDNS)) {
        xcause(cause,
               "libcurl %s resolves host names synchronously (no AsynchDNS): a slow DNS "
               "server would freeze the console; use a libcurl built with the threaded "
               "resolver or c-ares",
               version);
        return -1;
    }
    if (!(info->features & CURL_VERSION_SSL)) {
        xcause(cause, "libcurl %s has no TLS support", version);
        return -1;
    }
    return 0;
}

struct loop *loop_create(char **cause)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        xcause(cause, "libcurl cannot be initialised");
        return NULL;
    }
    if (loop_check_curl(curl_version_info(CURLVERSION_NOW), cause) != 0) {
        curl_global_cleanup();
        return NULL;
    }
    CURLM *multi = curl_multi_init();
    if (multi == NULL) {
        xcause(cause, "libcurl cannot create a multi handle");
        curl_global_cleanup();
        return NULL;
    }
    struct loop *loop = xcalloc(1, sizeof *loop);
    loop->multi = multi;
    /*
     * One thread, so the share needs no lock functions. Sessions let a new
     * connection to a host resume TLS instead of a full handshake.
     */
    loop->share = curl_share_init();
    if (loop->share) {
        curl_share_setopt(loop->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(loop->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    }
    loop->now = clock_ms(CLOCK_MONOTONIC);
    atomic_init(&loop->stopped, false);
    return loop;
}

void loop_destroy(struct loop *loop)
{
    if (loop == NULL)
        return;
    curl_multi_cleanup(loop->multi); /* closes cached connections before their share goes */
    if (loop->share)
        curl_share_cleanup(loop->share);
    free(loop->watches);
    free(loop->timers);
    free(loop->waitfds);
    free(loop->pollfds);
    free(loop->serials);
    free(loop);
    curl_global_cleanup();
}

CURLM *loop_multi(struct loop *loop)
{
    return loop->multi;
}

CURLSH *loop_share(struct loop *loop)
{
    return loop->share;
}

void loop_set_done_hook(struct loop *loop, loop_done_fn fn, void *arg)
{
    loop->done = fn;
    loop->done_arg = arg;
}

static struct watch *watch_find(struct loop *loop, int fd)
{
    for (size_t i = 0; i < loop->nwatches; i++) {
        if (loop->watches[i].fd == fd)
            return &loop->watches[i];
    }
    return NULL;
}

void loop_watch(struct loop *loop, int fd, short events, loop_fd_fn fn, void *arg)
{
    if (fd < 0 || fn == NULL)
        return;
    struct watch *w = watch_find(loop, fd);
    if (w == NULL) {
        if (loop->nwatches == loop->watches_cap) {
            loop->watches_cap = loop->watches_cap ? loop->watches_cap * 2 : 8;
            loop->watches = xrealloc(loop->watches, loop->watches_cap, sizeof *loop->watches);
        }
        w = &loop->watches[loop->nwatches++];
    }
    *w = (struct watch){fd, events, fn, arg, ++loop->watch_serial};
}

void loop_unwatch(struct loop *loop, int fd)
{
    struct watch *w = watch_find(loop, fd);
    if (w != NULL)
        *w = loop->watches[--loop->nwatches];
}

static bool timer_before(const struct timer *a, const struct timer *b)
{
    return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void timer_swap(struct loop *loop, size_t i, size_t j)
{
    struct timer t = loop->timers[i];
    loop->timers[i] = loop->timers[j];
    loop->timers[j] = t;
}

static void heap_up(struct loop *loop, size_t i)
{
    while (i > 0 && timer_before(&loop->timers[i], &loop->timers[(i - 1) / 2])) {
        timer_swap(loop, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct loop *loop, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < loop->ntimers && timer_before(&loop->timers[l], &loop->timers[m]))
            m = l;
        if (r < loop->ntimers && timer_before(&loop->timers[r], &loop->timers[m]))
            m = r;
        if (m == i)
            return;
        timer_swap(loop, i, m);
        i = m;
    }
}

static void heap_remove(struct loop *loop, size_t i)
{
    loop->timers[i] = loop->timers[--loop->ntimers];
    if (i < loop->ntimers) {
        heap_down(loop, i);
        heap_up(loop, i);
    }
}

uint64_t loop_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn fn, void *arg)
{
    if (delay_ms < 0)
        delay_ms = 0;
    if (delay_ms > INT64_MAX / 2)
        delay_ms = INT64_MAX / 2;
    if (loop->ntimers == loop->timers_cap) {
        loop->timers_cap = loop->timers_cap ? loop->timers_cap * 2 : 16;
        loop->timers = xrealloc(loop->timers, loop->timers_cap, sizeof *loop->timers);
    }
    uint64_t id = ++loop->timer_seq;
    loop->timers[loop->ntimers] = (struct timer){loop->now + delay_ms, id, fn, arg};
    heap_up(loop, loop->ntimers++);
    return id;
}

void loop_timer_cancel(struct loop *loop, uint64_t id)
{
    for (size_t i = 0; i < loop->ntimers; i++) {
        if (loop->timers[i].id == id) {
            heap_remove(loop, i);
            return;
        }
    }
}

int64_t loop_now(const struct loop *loop)
{
    return loop->now;
}

int64_t loop_wall(const struct loop *loop)
{
    (void)loop;
    return clock_ms(CLOCK_REALTIME);
}

/* The pass's wait: the caller's bound, shortened by the earliest timer. */
static int pass_timeout(const struct loop *loop, int max_wait_ms)
{
    int64_t wait = max_wait_ms < 0 ? LOOP_LONGEST_WAIT_MS : max_wait_ms;
    if (wait > LOOP_LONGEST_WAIT_MS)
        wait = LOOP_LONGEST_WAIT_MS;
    if (loop->ntimers > 0) {
        int64_t due = loop->timers[0].when - loop->now;
        if (due < wait)
            wait = due < 0 ? 0 : due;
    }
    return (int)wait;
}

static short curl_events(short events)
{
    short e = 0;
    if (events & POLLIN)
        e |= CURL_WAIT_POLLIN;
    if (events & POLLPRI)
        e |= CURL_WAIT_POLLPRI;
    if (events & POLLOUT)
        e |= CURL_WAIT_POLLOUT;
    return e;
}

static size_t snapshot(struct loop *loop)
{
    if (loop->scratch_cap < loop->nwatches) {
        loop->scratch_cap = loop->nwatches;
        loop->waitfds = xrealloc(loop->waitfds, loop->scratch_cap, sizeof *loop->waitfds);
        loop->pollfds = xrealloc(loop->pollfds, loop->scratch_cap, sizeof *loop->pollfds);
        loop->serials = xrealloc(loop->serials, loop->scratch_cap, sizeof *loop->serials);
    }
    for (size_t i = 0; i < loop->nwatches; i++) {
        const struct watch *w = &loop->watches[i];
        loop->waitfds[i] = (struct curl_waitfd){w->fd, curl_events(w->events), 0};
        loop->pollfds[i] = (struct pollfd){w->fd, w->events, 0};
        loop->serials[i] = w->serial;
    }
    return loop->nwatches;
}

/*
 * curl_multi_poll reports only IN, PRI and OUT of the extra descriptors, not
 * HUP or ERR (a closed pipe would wake the loop forever with nothing to say),
 * so the exact events come from a poll that does not wait.
 */
static int run_fds(struct loop *loop, size_t n)
{
    if (n == 0 || poll(loop->pollfds, n, 0) <= 0)
        return 0;
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pollfd *p = &loop->pollfds[i];
        if (p->revents == 0)
            continue;
        struct watch *w = watch_find(loop, p->fd);
        if (w == NULL || w->serial != loop->serials[i])
            continue; /* removed or replaced by an earlier callback of this pass */
        w->fn(loop, p->fd, p->revents, w->arg);
        ran++;
    }
    return ran;
}

static int run_curl(struct loop *loop)
{
    int running = 0, left = 0, ran = 0;
    CURLMsg *msg;

    curl_multi_perform(loop->multi, &running);
    while ((msg = curl_multi_info_read(loop->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE && loop->done != NULL) {
            loop->done(loop, msg, loop->done_arg);
            ran++;
        }
    }
    return ran;
}

/* Timers due now; one added by a callback of this pass waits for the next pass. */
static int run_timers(struct loop *loop)
{
    uint64_t last = loop->timer_seq;
    int ran = 0;
    while (loop->ntimers > 0 && loop->timers[0].when <= loop->now && loop->timers[0].id <= last) {
        struct timer t = loop->timers[0];
        heap_remove(loop, 0);
        t.fn(loop, t.arg);
        ran++;
    }
    return ran;
}

int loop_run_once(struct loop *loop, int max_wait_ms)
{
    loop->now = clock_ms(CLOCK_MONOTONIC);
    int wait = pass_timeout(loop, max_wait_ms);
    size_t n = snapshot(loop);
    curl_multi_poll(loop->multi, n ? loop->waitfds : NULL, (unsigned)n, wait, NULL);
    loop->now = clock_ms(CLOCK_MONOTONIC);

    int ran = run_fds(loop, n);
    ran += run_curl(loop);
    ran += run_timers(loop);
    return ran;
}

void loop_run(struct loop *loop)
{
    while (!atomic_load(&loop->stopped))
        loop_run_once(loop, -1);
}

void loop_stop(struct loop *loop)
{
    atomic_store(&loop->stopped, true);
    curl_multi_wakeup(loop->multi);
}

bool loop_stopped(const struct loop *loop)
{
    return atomic_load(&loop->stopped);
}

void loop_wake(struct loop *loop)
{
    curl_multi_wakeup(loop->multi);
}
