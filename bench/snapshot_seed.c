/*
 * snapshot_seed — writes the console's snapshot for a benchmark (a bench
 * tool: it prints figures, it asserts nothing).
 *
 *   snapshot_seed --config FILE --snapshot FILE [--timeout SECONDS]
 *
 * Reads the estate once, with the console's own configuration file and the
 * console's engine (the same session tdectl starts), and saves the model where
 * the console reads its snapshot, as tdectl does after its first full sweep.
 * bench/tui_bench.sh uses it so that the first-frame and keystroke figures
 * start from a complete snapshot however long the console itself takes to
 * finish a sweep. An existing snapshot at FILE is replaced (the sweep starts
 * from nothing). The client secret comes from AZURE_CLIENT_SECRET, as for
 * tdectl.
 *
 * Prints one JSON line on success:
 *   {"seconds":1.21,"cpu_seconds":0.93,"instances":200,"vaults":200,"versions":4000,
 *    "failures":0}
 * Exits 1 when the sweep does not end within the timeout (default 300 s).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "loop.h"
#include "session.h"

struct seed {
    struct session *s;
    bool done;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    struct seed *seed = arg;
    (void)e;
    if (kind != ENGINE_SWEEP_FULL)
        return;
    seed->done = true; /* the engine saved the snapshot as the sweep ended */
    loop_stop(session_loop(seed->s));
}

static void on_timeout(struct loop *loop, void *arg)
{
    (void)arg;
    loop_stop(loop);
}

static size_t versions_of(const struct model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nvaults; i++) {
        for (size_t k = 0; k < m->vaults[i]->nkeys; k++)
            n += m->vaults[i]->keys[k].nversions;
    }
    return n;
}

static int usage(void)
{
    fprintf(stderr, "usage: snapshot_seed --config FILE --snapshot FILE [--timeout SECONDS]\n");
    return 2;
}

static int sweep(const struct config *c, const char *snapshot, long timeout_s)
{
    char *cause = NULL;
    struct session_options so = {.snapshot_path = snapshot};
    struct session *s = session_create(c, &so, &cause);
    if (s == NULL) {
        fprintf(stderr, "snapshot_seed: %s\n", cause);
        free(cause);
        return 1;
    }
    struct seed seed = {.s = s};
    double started = now_s(), cpu_started = cpu_s();
    engine_on_sweep(session_engine(s), on_sweep, &seed);
    engine_start(session_engine(s));
    uint64_t timer = loop_timer(session_loop(s), timeout_s * 1000, on_timeout, NULL);
    loop_run(session_loop(s));
    loop_timer_cancel(session_loop(s), timer);
    const struct model *m = engine_model(session_engine(s));
    struct engine_stats es = engine_stats(session_engine(s));
    if (seed.done)
        printf("{\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"instances\":%zu,\"vaults\":%zu,"
               "\"versions\":%zu,\"failures\":%llu}\n",
               now_s() - started, cpu_s() - cpu_started, m->ninstances, m->nvaults, versions_of(m),
               (unsigned long long)es.failures);
    else
        fprintf(stderr, "snapshot_seed: the sweep did not end within %ld s\n", timeout_s);
    session_destroy(s);
    return seed.done ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *config_file = NULL, *snapshot = NULL;
    long timeout_s = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--config") == 0)
            config_file = argv[i + 1];
        else if (strcmp(argv[i], "--snapshot") == 0)
            snapshot = argv[i + 1];
        else if (strcmp(argv[i], "--timeout") == 0) {
            char *end;
            errno = 0;
            timeout_s = strtol(argv[i + 1], &end, 10);
            if (errno || *end || timeout_s < 1 || timeout_s > 86400)
                return usage();
        } else
            return usage();
    }
    if (config_file == NULL || snapshot == NULL || argc % 2 == 0)
        return usage();
    struct config c;
    char *cause = NULL;
    config_init(&c);
    if (config_load(&c, config_file, &cause) < 0) {
        fprintf(stderr, "snapshot_seed: %s\n", cause);
        free(cause);
        config_cleanup(&c);
        return 1;
    }
    if (unlink(snapshot) != 0 && errno != ENOENT) {
        fprintf(stderr, "snapshot_seed: cannot replace %s: %s\n", snapshot, strerror(errno));
        config_cleanup(&c);
        return 1;
    }
    int rc = sweep(&c, snapshot, timeout_s);
    config_cleanup(&c);
    return rc;
}
