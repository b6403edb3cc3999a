#include "check.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clisession.h"
#include "engine.h"
#include "health.h"
#include "loop.h"
#include "report.h"
#include "session.h"
#include "whatif.h"
#include "xmem.h"

#define DEFAULT_TIMEOUT_S 120

struct check_opts {
    const char *config;
    const char *group;
    bool json;
    long timeout_s;
};

static void usage(FILE *out)
{
    fputs("usage: tdectl check [--json] [--group NAME] [--config FILE] [--timeout SECONDS]\n"
          "  one full sweep of the estate, then the findings; never writes to Azure\n"
          "  exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (could not read, or an error)\n"
          "  --json         the result as JSON (schema tdectl.check/v1, docs/check-schema.json)\n"
          "  --group NAME   only what this failover group depends on\n"
          "  --config FILE  the configuration file (as for the console)\n"
          "  --timeout S    give up on the sweep after S seconds (default 120): UNKNOWN\n",
          out);
}

static int parse(int argc, char **argv, struct check_opts *o)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},         {"group", required_argument, NULL, 'g'},
        {"config", required_argument, NULL, 'c'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jg:c:t:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'g':
            o->group = optarg;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 't':
            o->timeout_s = strtol(optarg, &end, 10);
            if (*end || o->timeout_s < 1 || o->timeout_s > 3600) {
                fprintf(stderr, "tdectl check: --timeout takes 1 to 3600 seconds\n");
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tdectl check: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* Runs the sweep and prints the verdict; the exit status. */
static int run(const struct check_opts *o, struct session *s)
{
    char *cause = NULL;
    struct loop *loop = session_loop(s);
    int64_t start = loop_now(loop);
    bool complete = clisession_sweep(s, (o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S) * 1000);
    const struct model *m = engine_model(session_engine(s));
    struct health *h = health_create();
    int64_t now = loop_wall(loop);
    health_evaluate(h, m, now, NULL);
    struct whatif_params wp;
    whatif_params_init(&wp, now);
    struct engine_stats es = engine_stats(session_engine(s));
    struct report_input in = {.model = m,
                              .health = h,
                              .whatif = &wp,
                              .now_ms = now,
                              .group = o->group,
                              .sweep_complete = complete,
                              .sweep_ms = loop_now(loop) - start,
                              .requests = es.requests,
                              .failures = es.failures,
                              .version = TDECTL_VERSION};
    struct report *r = report_create(&in, &cause);
    int status = REPORT_UNKNOWN;
    if (r == NULL) {
        fprintf(stderr, "tdectl check: %s\n", cause);
        free(cause);
    } else {
        char *out = o->json ? report_json(r) : report_text(r);
        fputs(out, stdout);
        free(out);
        status = (int)report_status(r);
        report_destroy(r);
    }
    health_destroy(h);
    return fflush(stdout) == 0 ? status : REPORT_UNKNOWN;
}

int check_main(int argc, char **argv)
{
    struct check_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : REPORT_UNKNOWN;
    signal(SIGPIPE, SIG_IGN);
    /* check never writes, whatever the file says */
    struct clisession_options co = {.config_path = o.config, .read_only = true};
    struct clisession cs;
    char *cause = NULL;
    if (clisession_open(&cs, &co, &cause) < 0) {
        fprintf(stderr, "tdectl check: %s\n", cause);
        free(cause);
        clisession_cleanup(&cs);
        return REPORT_UNKNOWN;
    }
    rc = run(&o, cs.s);
    clisession_cleanup(&cs);
    return rc;
}
