/*
 * model_eval — what the console pays per data change on a snapshot's estate:
 * loading the snapshot, judging it (health_evaluate), and the what-if of
 * "key access now" and of one vault outage. Prints one JSON line of medians
 * (milliseconds) over RUNS runs. A benchmark, not a test:
 *
 *   model_eval SNAPSHOT [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "health.h"
#include "model.h"
#include "observed.h"
#include "snapshot.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: model_eval SNAPSHOT [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    if (runs < 1 || runs > 100)
        runs = 5;
    double load[100], eval[100], now[100], outage[100];
    struct model *m = NULL;
    for (int r = 0; r < runs; r++) {
        model_destroy(m);
        m = model_create();
        char *cause = NULL;
        double t = now_ms();
        if (snapshot_load(m, argv[1], &cause) < 0) {
            fprintf(stderr, "model_eval: %s\n", cause);
            return 1;
        }
        load[r] = now_ms() - t;
    }
    int64_t wall = (int64_t)time(NULL) * 1000;
    struct health *h = health_create();
    for (int r = 0; r < runs; r++) {
        double t = now_ms();
        health_evaluate(h, m, wall, NULL);
        eval[r] = now_ms() - t;
    }
    struct whatif_params p;
    whatif_params_init(&p, wall);
    size_t n = 0;
    for (int r = 0; r < runs; r++) {
        double t = now_ms();
        free(observed_run(m, NULL, &p, &n));
        now[r] = now_ms() - t;
        t = now_ms();
        free(observed_run(m, m->nvaults ? m->vaults[0]->name : NULL, &p, &n));
        outage[r] = now_ms() - t;
    }
    printf("{\"bench\":\"model_eval\",\"runs\":%d,\"instances\":%zu,\"vaults\":%zu,"
           "\"findings\":%zu,\"load_ms\":%.2f,\"health_ms\":%.2f,\"whatif_now_ms\":%.2f,"
           "\"whatif_outage_ms\":%.2f}\n",
           runs, m->ninstances, m->nvaults, health_count(h, HEALTH_INFO), median(load, runs),
           median(eval, runs), median(now, runs), median(outage, runs));
    health_destroy(h);
    model_destroy(m);
    return 0;
}
