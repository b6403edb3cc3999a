/*
 * core_sweep — how fast tdectl's core reads a whole estate (a benchmark: it
 * prints figures, it asserts nothing).
 *
 *   core_sweep --ready-file F --subscription S --tenant T --client-id C
 *              --client-secret X [--warm N] [--in-flight N] [--per-host N]
 *
 * Against a running azsim (its ready file gives the ports, the CA and the
 * endpoints), it starts a session with no snapshot, waits for the first full
 * sweep (cold: every instance, key, version and its material), then runs N
 * (default 3) more full sweeps (warm: what changes is re-read, material is
 * not) and prints one JSON line per sweep:
 *   {"client":"tdectl","mode":"cold","seconds":0.83,"client_cpu_seconds":0.61,
 *    "requests":5604,"failures":0,"peak_rss_kb":14200,...}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "engine.h"
#include "http.h"
#include "loop.h"
#include "session.h"
#include "xmem.h"

struct run {
    struct session *s;
    int sweeps_wanted, sweeps_done;
    double started, cpu_started;
    uint64_t requests_before;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* User plus system CPU seconds this process has used. */
static double cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void counts(const struct run *run, size_t *instances, size_t *vaults, size_t *versions)
{
    const struct model *m = engine_model(session_engine(run->s));
    *instances = m->ninstances;
    *vaults = m->nvaults;
    *versions = 0;
    for (size_t i = 0; i < m->nvaults; i++) {
        for (size_t k = 0; k < m->vaults[i]->nkeys; k++)
            *versions += m->vaults[i]->keys[k].nversions;
    }
}

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    struct run *run = arg;
    if (kind != ENGINE_SWEEP_FULL)
        return;
    struct http_stats hs = http_stats(session_http(run->s));
    struct engine_stats es = engine_stats(e);
    size_t instances, vaults, versions;
    counts(run, &instances, &vaults, &versions);
    fprintf(stdout,
            "{\"client\":\"tdectl\",\"mode\":\"%s\",\"seconds\":%.3f,"
            "\"client_cpu_seconds\":%.3f,\"requests\":%llu,\"failures\":%llu,"
            "\"instances\":%zu,\"vaults\":%zu,\"versions\":%zu,\"peak_rss_kb\":%ld}\n",
            run->sweeps_done == 0 ? "cold" : "warm", now_s() - run->started,
            cpu_s() - run->cpu_started, (unsigned long long)(hs.attempts - run->requests_before),
            (unsigned long long)es.failures, instances, vaults, versions, peak_rss_kb());
    fflush(stdout);
    if (++run->sweeps_done >= run->sweeps_wanted) {
        loop_stop(session_loop(run->s));
        return;
    }
    run->requests_before = http_stats(session_http(run->s)).attempts;
    run->started = now_s();
    run->cpu_started = cpu_s();
    engine_refresh(e);
}

static char *read_file(const char *path)
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

static const char *ready_str(const cJSON *ready, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(ready, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: core_sweep --ready-file F --subscription S --tenant T --client-id C "
                    "--client-secret X [--warm N] [--in-flight N] [--per-host N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *ready_path = NULL, *sub = NULL, *tenant = NULL, *client = NULL, *secret = NULL;
    int warm = 3;
    unsigned in_flight = 0;
    long per_host = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--ready-file") == 0)
            ready_path = argv[i + 1];
        else if (strcmp(argv[i], "--subscription") == 0)
            sub = argv[i + 1];
        else if (strcmp(argv[i], "--tenant") == 0)
            tenant = argv[i + 1];
        else if (strcmp(argv[i], "--client-id") == 0)
            client = argv[i + 1];
        else if (strcmp(argv[i], "--client-secret") == 0)
            secret = argv[i + 1];
        else if (strcmp(argv[i], "--warm") == 0)
            warm = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--in-flight") == 0)
            in_flight = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--per-host") == 0)
            per_host = strtol(argv[i + 1], NULL, 10);
        else
            return usage();
    }
    if (!ready_path || !sub || !tenant || !client || !secret || warm < 0)
        return usage();
    char *text = read_file(ready_path);
    cJSON *ready = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (ready == NULL) {
        fprintf(stderr, "core_sweep: cannot read %s\n", ready_path);
        return 1;
    }
    setenv("AZURE_TENANT_ID", tenant, 1);
    setenv("AZURE_CLIENT_ID", client, 1);
    setenv("AZURE_CLIENT_SECRET", secret, 1);

    struct config c;
    config_init(&c);
    c.cloud = CONFIG_CLOUD_CUSTOM;
    c.authority = xstrdup(ready_str(ready, "authority"));
    c.arm = xstrdup(ready_str(ready, "management_url"));
    c.vault_resource = xstrdup(ready_str(ready, "vault_resource"));
    c.ca_file = xstrdup(ready_str(ready, "ca_file"));
    c.auth_mode = AUTH_SECRET;
    c.subscriptions = xcalloc(1, sizeof *c.subscriptions);
    c.subscriptions[0] = xstrdup(sub);
    c.nsubscriptions = 1;
    c.poll_max_rpm = 100000; /* the periodic budget does not apply to these sweeps anyway */
    if (per_host > 0)
        c.http_per_host = per_host;
    cJSON_Delete(ready);

    char *cause = NULL;
    struct session_options so = {.no_snapshot = true, .max_in_flight = in_flight};
    struct session *s = session_create(&c, &so, &cause);
    if (s == NULL) {
        fprintf(stderr, "core_sweep: %s\n", cause);
        free(cause);
        config_cleanup(&c);
        return 1;
    }
    struct run run = {
        .s = s, .sweeps_wanted = 1 + warm, .started = now_s(), .cpu_started = cpu_s()};
    engine_on_sweep(session_engine(s), on_sweep, &run);
    engine_start(session_engine(s));
    loop_run(session_loop(s));
    session_destroy(s);
    config_cleanup(&c);
    return 0;
}
