#include "sigpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "xmem.h"

#define SIGPIPE_MAX 16

struct sigpipe {
    struct loop *loop;
    int fds[2];
    int sigs[SIGPIPE_MAX];
    size_t n;
    sigpipe_fn fn;
    void *arg;
};

/* The handler's only state: where to write. -1 while no sigpipe lives. */
static volatile sig_atomic_t write_fd = -1;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write_fd >= 0 && write(write_fd, &b, 1) < 0) {
        /* the pipe is full: a wake-up is pending already */
    }
    errno = saved;
}

static void on_readable(struct loop *loop, int fd, short revents, void *arg)
{
    struct sigpipe *sp = arg;
    unsigned char buf[64];
    bool seen[256] = {false};
    (void)loop, (void)revents;
    ssize_t got = read(fd, buf, sizeof buf);
    for (ssize_t i = 0; i < got; i++) {
        if (seen[buf[i]])
            continue; /* once per signal per wake-up */
        seen[buf[i]] = true;
        sp->fn(buf[i], sp->arg);
    }
}

static int make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[i], F_SETFL, O_NONBLOCK) < 0) {
            close(fds[0]);
            close(fds[1]);
            return -1;
        }
    return 0;
}

struct sigpipe *sigpipe_create(struct loop *loop, const int *sigs, size_t n, sigpipe_fn fn,
                               void *arg, char **cause)
{
    if (write_fd >= 0 || n > SIGPIPE_MAX || fn == NULL) {
        xcause(cause, "signals: %s", write_fd >= 0 ? "already caught" : "bad arguments");
        return NULL;
    }
    struct sigpipe *sp = xcalloc(1, sizeof *sp);
    if (make_pipe(sp->fds) < 0) {
        xcause(cause, "signal pipe: %s", strerror(errno));
        free(sp);
        return NULL;
    }
    sp->loop = loop;
    sp->fn = fn;
    sp->arg = arg;
    sp->n = n;
    memcpy(sp->sigs, sigs, n * sizeof *sigs);
    write_fd = sp->fds[1];
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < n; i++)
        sigaction(sigs[i], &sa, NULL);
    loop_watch(loop, sp->fds[0], POLLIN, on_readable, sp);
    return sp;
}

void sigpipe_destroy(struct sigpipe *sp)
{
    if (sp == NULL)
        return;
    for (size_t i = 0; i < sp->n; i++)
        signal(sp->sigs[i], SIG_DFL);
    write_fd = -1;
    loop_unwatch(sp->loop, sp->fds[0]);
    close(sp->fds[0]);
    close(sp->fds[1]);
    free(sp);
}
