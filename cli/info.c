#include "info.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "snapshot.h"
#include "xmem.h"

/* The credential variables tdectl reads: shown as set or not, never with a secret's value. */
static const struct {
    const char *name;
    bool secret;
} env_vars[] = {
    {"TDECTL_CONFIG", false},
    {"AZURE_TENANT_ID", false},
    {"AZURE_CLIENT_ID", false},
    {"AZURE_CLIENT_SECRET", true},
    {"AZURE_CLIENT_CERTIFICATE_PATH", false},
    {"AZURE_AUTHORITY_HOST", false},
    {"IDENTITY_ENDPOINT", false},
    {"IDENTITY_HEADER", true},
    {"MSI_ENDPOINT", false},
    {"XDG_CONFIG_HOME", false},
    {"XDG_STATE_HOME", false},
    {"NO_COLOR", false},
    {"TDECTL_AZSIM", false},
};

static void usage(FILE *out)
{
    fputs("usage: tdectl info [--config FILE]\n"
          "  every file and folder tdectl uses, every configuration option's value\n"
          "  (and whether it is the default), and the environment it reads\n",
          out);
}

static void path_line(const char *what, const char *path, const char *note)
{
    bool exists = path && access(path, F_OK) == 0;
    printf("  %-22s %s%s%s\n", what, path ? path : "(none: no home folder)",
           path ? (exists ? "" : "  (not there yet)") : "", note ? note : "");
}

static void print_paths(const struct config *c, const char *explicit_path)
{
    char buf[4096];
    const char *cfg = explicit_path ? explicit_path : config_path(buf, sizeof buf);
    char *dir = config_folder(cfg);
    char *state = config_state_dir();
    char *snap = snapshot_default_path();
    char *history = state ? xasprintf("%s/history", state) : NULL;
    char *keymap = c->keymap ? xstrdup(c->keymap) : dir ? xasprintf("%s/keymap.json", dir) : NULL;
    char *themes = dir ? xasprintf("%s/themes", dir) : NULL;
    printf("Files\n");
    path_line("config", cfg,
              explicit_path             ? "  (--config)"
              : getenv("TDECTL_CONFIG") ? "  (TDECTL_CONFIG)"
                                        : NULL);
    path_line("keymap", keymap, c->keymap ? "  (config: keymap)" : NULL);
    path_line("user themes", themes, NULL);
    path_line("shipped themes", TDECTL_THEMES_DIR, NULL);
    path_line("state folder", state, NULL);
    path_line("snapshot", snap, c->snapshot ? NULL : "  (config: snapshot off)");
    path_line("command history", history, NULL);
    static const char *const wizard_paths[][2] = {
        {"wizard journals", "wizards"},
        {"key backups", "backups"},
        {"transcripts", "transcripts"},
        {"audit log", "audit.jsonl"},
    };
    for (size_t i = 0; i < sizeof wizard_paths / sizeof wizard_paths[0]; i++) {
        char *p = state ? xasprintf("%s/%s", state, wizard_paths[i][1]) : NULL;
        path_line(wizard_paths[i][0], p, NULL);
        free(p);
    }
    free(themes);
    free(keymap);
    free(history);
    free(snap);
    free(state);
    free(dir);
}

static void print_options(const struct config *c)
{
    size_t n;
    const struct config_option *opts = config_options(&n);
    struct config defaults;
    config_init(&defaults);
    printf("\nConfiguration (%s)\n", c->origin ? c->origin : "no file: every option's default");
    for (size_t i = 0; i < n; i++) {
        char *value = config_value_text(c, &opts[i]);
        char *def = config_value_text(&defaults, &opts[i]);
        printf("  %-32s %s%s\n", opts[i].name, value, strcmp(value, def) == 0 ? "  (default)" : "");
        free(value);
        free(def);
    }
    config_cleanup(&defaults);
}

static void print_env(void)
{
    printf("\nEnvironment\n");
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++) {
        const char *v = getenv(env_vars[i].name);
        printf("  %-32s %s\n", env_vars[i].name,
               v == NULL            ? "(not set)"
               : env_vars[i].secret ? "(set; not shown)"
                                    : v);
    }
}

int info_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *explicit_path = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (ch == 'c')
            explicit_path = optarg;
        else if (ch == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tdectl info: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    struct config c;
    char *cause = NULL;
    config_init(&c);
    int rc = 0;
    printf("tdectl %s\n\n", TDECTL_VERSION);
    if (config_load(&c, explicit_path, &cause) < 0) {
        /* Still show where tdectl looks: that is what one runs info for. */
        printf("The configuration could not be read: %s\n\n", cause);
        free(cause);
        rc = 1;
    }
    print_paths(&c, explicit_path);
    if (rc == 0)
        print_options(&c);
    print_env();
    config_cleanup(&c);
    return fflush(stdout) == 0 ? rc : 1;
}
