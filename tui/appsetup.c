#include "appsetup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activity.h"
#include "cmdline.h"
#include "demo.h"
#include "dialog.h"
#include "engine.h"
#include "health.h"
#include "http.h"
#include "input.h"
#include "latency.h"
#include "session.h"
#include "textview.h"
#include "xmem.h"

/* Entries the command log keeps (about 200 bytes each). */
#define ACTIVITY_ENTRIES 5000

/* The folder of the config file in use (where keymap.json and themes/ live); heap or NULL. */
static char *config_dir(const struct app *a)
{
    return config_folder(a->config.origin);
}

/* The demo: azsim started here, the config pointed at it (every option the operator set that
 * does not name Azure stays: theme, keymap, poll limits). */
static int setup_demo(struct app *a, char **cause)
{
    a->time_scale = a->opt.demo_time_scale > 0 ? a->opt.demo_time_scale : DEMO_TIME_SCALE;
    struct demo_options o = {.read_only = a->read_only, .time_scale = a->time_scale};
    a->demo = demo_start(&o, cause);
    if (a->demo == NULL)
        return -1;
    const struct demo_info *in = demo_info(a->demo);
    struct config *c = &a->config;
    c->cloud = CONFIG_CLOUD_CUSTOM;
    xstr_set(&c->authority, in->authority);
    xstr_set(&c->arm, in->management);
    xstr_set(&c->vault_resource, in->vault_resource);
    xstr_set(&c->ca_file, in->ca_file);
    c->auth_mode = AUTH_SECRET;
    xstr_set(&c->tenant_id, in->tenant_id);
    xstr_set(&c->client_id, in->client_id);
    for (size_t i = 0; i < c->nsubscriptions; i++)
        free(c->subscriptions[i]);
    free(c->subscriptions);
    c->subscriptions = xcalloc(1, sizeof *c->subscriptions);
    c->subscriptions[0] = xstrdup(in->subscription_id);
    c->nsubscriptions = 1;
    c->nfogs = 0;
    c->discover_all_subscriptions = false;
    /* An incident rehearsal wants to see change fast: the shortest cadences allowed. */
    c->poll_health_s = 10;
    c->poll_probe_s = 5;
    c->poll_structure_s = 60;
    c->http_timeout_ms = 4000;
    c->http_connect_timeout_ms = 2000;
    c->http_retry_budget_ms = 6000;
    /* The secret comes from the environment only (core/auth); it is the demo's, published in
     * sim/scenarios/demo.json. */
    setenv("AZURE_CLIENT_SECRET", in->client_secret, 1);
    xstr_set(&a->estate_name, "demo (azsim)");
    return 0;
}

struct theme *appsetup_theme(const struct app *a, const char *name, char **cause)
{
    struct theme *t = theme_create();
    if (name == NULL || strcmp(name, "default") == 0)
        return t;
    char *path = NULL;
    if (strchr(name, '/'))
        path = xstrdup(name);
    else {
        char *cdir = config_dir(a);
        char *user = cdir ? xasprintf("%s/themes", cdir) : NULL;
        const char *dirs[] = {user ? user : TDECTL_THEMES_DIR, TDECTL_THEMES_DIR, NULL};
        path = theme_find(name, dirs);
        free(user);
        free(cdir);
    }
    if (path == NULL) {
        xcause(cause, "theme %s not found (tdectl info lists the theme folders)", name);
        theme_destroy(t);
        return NULL;
    }
    int rc = theme_load_file(t, path, cause);
    free(path);
    if (rc < 0) {
        theme_destroy(t);
        return NULL;
    }
    return t;
}

static int setup_theme(struct app *a, char **cause)
{
    a->theme = appsetup_theme(a, a->opt.theme ? a->opt.theme : a->config.theme, cause);
    if (a->theme == NULL)
        return -1;
    theme_set_ascii(a->theme, a->opt.ascii);
    return 0;
}

static int setup_keymap(struct app *a, char **cause)
{
    a->keymap = keymap_create();
    const char *path = a->opt.keymap ? a->opt.keymap : a->config.keymap;
    char *beside = NULL;
    if (path == NULL) {
        char *cdir = config_dir(a);
        beside = cdir ? xasprintf("%s/keymap.json", cdir) : NULL;
        free(cdir);
        if (beside == NULL || access(beside, F_OK) != 0)
            goto out; /* no keymap file: the defaults */
        path = beside;
    }
    if (keymap_load_file(a->keymap, path, cause) < 0) {
        free(beside);
        return -1;
    }
out:
    free(beside);
    return 0;
}

static int setup_session(struct app *a, char **cause)
{
    struct session_options so = {
        .snapshot_path = a->opt.snapshot,
        .no_snapshot = a->opt.no_snapshot || a->demo != NULL,
        .resolve = a->demo ? demo_info(a->demo)->resolve : NULL,
    };
    a->session = session_create(&a->config, &so, cause);
    if (a->session == NULL)
        return -1;
    a->engine = session_engine(a->session);
    a->activity = activity_create(ACTIVITY_ENTRIES);
    http_set_log(session_http(a->session), activity_http_hook, a->activity);
    a->health = health_create();
    /* The instance model's clock runs time_scale times faster in the demo. */
    health_set_timing(a->health, (int64_t)(600 / a->time_scale), (int64_t)(600 / a->time_scale),
                      (int64_t)(1800 / a->time_scale));
    health_set_max_age(a->health, 3 * a->config.poll_health_s * 1000);
    return 0;
}

int appsetup_run(struct app *a, char **cause)
{
    config_init(&a->config);
    if (config_load(&a->config, a->opt.config_path, cause) < 0)
        return -1;
    a->read_only = a->opt.read_only || a->config.read_only;
    a->config.read_only = a->read_only;
    if (a->opt.demo && setup_demo(a, cause) < 0)
        return -1;
    if (setup_theme(a, cause) < 0 || setup_keymap(a, cause) < 0 || setup_session(a, cause) < 0)
        return -1;
    char *why = NULL;
    a->state_dir = config_ensure_state_dir(&why);
    char *history = a->state_dir ? xasprintf("%s/history", a->state_dir) : NULL;
    a->cmdline = cmdline_create(history, &why);
    free(history);
    if (why)
        app_message(a, THEME_WARN, "%s", why);
    free(why);
    a->latency = latency_create();
    a->input = input_create(1024);
    a->help = textview_create();
    if (a->estate_name == NULL)
        a->estate_name = xstrdup(a->config.origin ? a->config.origin : "default configuration");
    if (a->opt.trace_path) {
        a->trace = fopen(a->opt.trace_path, "we");
        if (a->trace == NULL) {
            xcause(cause, "cannot write the frame trace %s", a->opt.trace_path);
            return -1;
        }
    }
    return 0;
}

void appsetup_cleanup(struct app *a)
{
    dialog_destroy(a->dialog);
    textview_destroy(a->help);
    input_destroy(a->input);
    cmdline_destroy(a->cmdline);
    latency_destroy(a->latency);
    /* engine_destroy (inside) saves the snapshot when the model moved. */
    if (a->session)
        http_set_log(session_http(a->session), NULL, NULL);
    session_destroy(a->session);
    activity_destroy(a->activity);
    health_destroy(a->health);
    /* The terminal is the shell's again here: say so if the demo's azsim did not end well. */
    int rc = a->demo ? demo_stop(a->demo) : 0;
    if (rc != 0)
        fprintf(stderr,
                "tdectl: the demo's azsim ended with status %d (its log is gone with "
                "its scratch folder; run it alone with ./dev azsim to see it)\n",
                rc);
    keymap_destroy(a->keymap);
    theme_destroy(a->theme);
    config_cleanup(&a->config);
    if (a->trace)
        fclose(a->trace);
    free(a->state_dir);
    free(a->estate_name);
    free(a->dialog_subject);
    free(a->dialog_confirm);
    free(a->filter_before);
    free(a->practice_fault);
}
