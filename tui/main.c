/*
 * tdectl — the console for Azure SQL Managed Instance TDE customer-managed
 * keys. main parses the command line and hands over to the app (tui/app.h).
 */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "app.h"
#include "backup.h"
#include "check.h"
#include "doctor.h"
#include "harden.h"
#include "info.h"
#include "rotatecmd.h"
#include "watch.h"
#include "xmem.h"

static void usage(FILE *out)
{
    fputs(
        "usage: tdectl [options]          the console\n"
        "       tdectl check [--json] ...  one sweep, the findings, a monitoring exit status\n"
        "       tdectl watch [--metrics]   keep sweeping, serve Prometheus /metrics and /healthz\n"
        "       tdectl info                every path and setting in use\n"
        "       tdectl doctor [--json]     can tdectl do its job here? what to fix\n"
        "       tdectl backup ...          back up Key Vault keys to files; --verify, --list\n"
        "       tdectl restore ...         restore a backup file into a vault (--plan, --apply)\n"
        "       tdectl rotate ...          rotate a failover group's TDE protector (--help)\n"
        "\n"
        "The console: failover groups, vaults, keys, instances, findings, activity.\n"
        "\n"
        "  -c, --config FILE   the configuration file (default $TDECTL_CONFIG, else\n"
        "                      $XDG_CONFIG_HOME/tdectl/config.json)\n"
        "  -R, --read-only     offer nothing that changes Azure; the transport refuses it too\n"
        "      --wall          the wall screen: every failover group at once, large status,\n"
        "                      read-only, nothing actionable\n"
        "      --demo          start azsim (the emulator) with the demo estate and watch it;\n"
        "                      P opens the practice menu of injected incidents\n"
        "      --time-scale X  the demo's simulated time runs X times real time (default 30)\n"
        "  -t, --theme NAME    default, dark, light, high-contrast, mono, or a theme file\n"
        "      --no-color      no colours (NO_COLOR in the environment does the same)\n"
        "      --ascii         no line drawing or Unicode symbols\n"
        "      --mouse         mouse: click to select, wheel to scroll, click a tab\n"
        "  -v, --view NAME     start in topology, vaults, keys, instances, findings, activity\n"
        "  -k, --keymap FILE   a keymap file (default: keymap.json beside the config)\n"
        "      --snapshot FILE where the last state is kept for an instant first frame\n"
        "      --no-snapshot   neither read nor write a snapshot\n"
        "  -h, --help          this text\n"
        "      --version       the version\n"
        "\n"
        "Keys: ? shows them all. The README and docs/console.md describe every view.\n",
        out);
}

enum {
    O_DEMO = 256,
    O_TIME_SCALE,
    O_NO_COLOR,
    O_ASCII,
    O_MOUSE,
    O_SNAPSHOT,
    O_NO_SNAPSHOT,
    O_VERSION,
    O_WALL
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"read-only", no_argument, NULL, 'R'},
    {"demo", no_argument, NULL, O_DEMO},
    {"wall", no_argument, NULL, O_WALL},
    {"time-scale", required_argument, NULL, O_TIME_SCALE},
    {"theme", required_argument, NULL, 't'},
    {"no-color", no_argument, NULL, O_NO_COLOR},
    {"ascii", no_argument, NULL, O_ASCII},
    {"mouse", no_argument, NULL, O_MOUSE},
    {"view", required_argument, NULL, 'v'},
    {"keymap", required_argument, NULL, 'k'},
    {"snapshot", required_argument, NULL, O_SNAPSHOT},
    {"no-snapshot", no_argument, NULL, O_NO_SNAPSHOT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

/* Returns -1 on a usage error (message printed), 1 when done (help, version), else 0. */
static int parse(int argc, char **argv, struct app_options *o)
{
    int c;
    while ((c = getopt_long(argc, argv, "c:Rt:v:k:h", long_options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'R':
            o->read_only = true;
            break;
        case O_WALL:
            o->wall = true;
            o->read_only = true; /* a wall screen offers nothing that changes Azure */
            break;
        case O_DEMO:
            o->demo = true;
            break;
        case O_TIME_SCALE:
            o->demo_time_scale = strtod(optarg, &end);
            if (*end || o->demo_time_scale < 1 || o->demo_time_scale > 3600) {
                fprintf(stderr, "tdectl: --time-scale takes a number from 1 to 3600\n");
                return -1;
            }
            break;
        case 't':
            o->theme = optarg;
            break;
        case O_NO_COLOR:
            o->no_color = true;
            break;
        case O_ASCII:
            o->ascii = true;
            break;
        case O_MOUSE:
            o->mouse = true;
            break;
        case 'v':
            o->view = optarg;
            break;
        case 'k':
            o->keymap = optarg;
            break;
        case O_SNAPSHOT:
            o->snapshot = optarg;
            break;
        case O_NO_SNAPSHOT:
            o->no_snapshot = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case O_VERSION:
            printf("tdectl %s\n", TDECTL_VERSION);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tdectl: unexpected argument %s\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

static void give_terminal_back(void)
{
    if (!isendwin())
        endwin();
}

int main(int argc, char **argv)
{
    /* Before any config, secret or token: no core dumps, no ptrace, umask 077 (core/harden.h). */
    char *hcause = NULL;
    if (harden_process(&hcause) < 0) {
        fprintf(stderr, "tdectl: %s\n", hcause);
        free(hcause);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return check_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "watch") == 0)
        return watch_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "info") == 0)
        return info_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "doctor") == 0)
        return doctor_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "backup") == 0)
        return backup_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "restore") == 0)
        return backup_restore_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "rotate") == 0)
        return rotatecmd_main(argc - 1, argv + 1);
    struct app_options o = {0};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    o.start_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    o.trace_path = getenv("TDECTL_TRACE_FRAMES");
    /* The user's locale: UTF-8 text and line drawing when it is a UTF-8 one. */
    setlocale(LC_ALL, "");
    /* Out of memory prints and exits: give the terminal back first (STYLE.md rule 4). */
    xmem_set_fatal_hook(give_terminal_back);
    enum view_id first = o.wall ? VIEW_WALL : VIEW_TOPOLOGY;
    if (o.view) {
        first = VIEW_COUNT;
        for (size_t v = 0; v < VIEW_COUNT; v++)
            if (strcmp(app_view_ops((enum view_id)v)->name, o.view) == 0)
                first = (enum view_id)v;
        if (first == VIEW_COUNT) {
            fprintf(stderr,
                    "tdectl: no view %s (topology vaults keys instances findings "
                    "activity)\n",
                    o.view);
            return 2;
        }
    }
    char *cause = NULL;
    struct app *a = app_create(&o, &cause);
    if (a == NULL) {
        fprintf(stderr, "tdectl: %s\n", cause ? cause : "cannot start");
        free(cause);
        return 1;
    }
    a->view = a->previous = first;
    rc = app_run(a);
    app_destroy(a);
    return rc;
}
