/*
 * demo — `tdectl --demo`: a private azsim running the demo estate, and the
 * practice drills that break it on purpose.
 *
 * demo_start finds the azsim binary ($TDECTL_AZSIM, else $AZSIM, else `azsim`
 * beside the running executable, else ../sim/azsim from its folder, which is
 * the build tree's layout), makes a 0700 scratch folder under $TMPDIR (or
 * /tmp), and runs azsim there on free loopback ports with --ready-file,
 * --ca-out and --quiet; azsim's stderr goes to a log file in that folder, its
 * stdout (a banner naming the admin token) to /dev/null. It waits for the
 * ready file (ready_timeout_ms) and reads it into struct demo_info, with
 * CURLOPT_RESOLVE entries for every name azsim answers to, so the console
 * needs no resolver, and the demo principal the console signs in with.
 * The child gets SIGTERM should this process die (PR_SET_PDEATHSIG: the
 * thread that calls demo_start must live as long as the demo, which holds for
 * the console's one thread), starts with default signal dispositions, an
 * empty signal mask and no descriptor but 0-2. The caller must not ignore
 * SIGCHLD nor reap children it did not start (waitpid(-1)): demo reaps azsim
 * by its pid.
 *
 * demo_stop sends SIGTERM, waits up to 5 s (then SIGKILL), removes the
 * scratch folder with everything in it, cleanses the copies of the client
 * secret and the admin token, and frees the demo. Every pointer in
 * demo_info lives until demo_stop. The caller that wants azsim's log after a
 * failure reads it (log_path) before demo_stop.
 *
 * Drills (demo_drill.c) are a static table. Starting one posts its fault
 * specs to azsim's control interface (docs/azsim.md, "Faults and the control
 * interface"). Every control call uses libcurl's easy interface, blocking,
 * with a 2 s timeout (CURLOPT_TIMEOUT_MS), CURLOPT_NOSIGNAL and no proxy:
 * acceptable on the loop only because it is loopback to our own child, which
 * answers at once.
 *
 * Errors: -1 or NULL with an allocated *cause (cause may be NULL): azsim not
 * found or not executable, exited early (the cause ends with the end of its
 * log), not ready in time, or a control request refused (azsim's message).
 * Secrets: the client secret and the admin token are never put in a cause;
 * the demo's credentials are public test values (sim/scenarios/demo.json) but
 * are handled as real ones so the code paths stay honest.
 */
#ifndef TDECTL_DEMO_H
#define TDECTL_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the console passes: the instances' 10-minute check runs every 20 s. */
#define DEMO_TIME_SCALE       30.0

#define DEMO_DRILL_MAX_FAULTS 3

struct demo;

struct demo_options {
    double time_scale;    /* simulated time speed (--time-scale); <= 0: azsim's own (1) */
    bool read_only;       /* sign in as the read-only "monitor" instead of "operator" */
    const char *scenario; /* NULL: azsim's built-in demo; a file (tests) */
    int ready_timeout_ms; /* 0: 20000 */
};

struct demo_vault {
    const char *name; /* kv-tde-eus2 */
    const char *url;  /* https://kv-tde-eus2.vault.localhost:PORT */
};

struct demo_info {
    pid_t pid;
    int port;                   /* HTTPS: Key Vault, Entra ID, ARM */
    int imds_port;              /* plain HTTP: managed identity */
    int control_port;           /* plain HTTP, loopback: faults and clock */
    const char *control_token;  /* azsim's admin token: a secret, never shown */
    const char *ca_file;        /* the CA certificate to trust */
    const char *dns_suffix;     /* "localhost" */
    const char *authority;      /* https://login.localhost:PORT (the tenant is appended) */
    const char *management;     /* https://management.localhost:PORT: ARM and its audience */
    const char *vault_resource; /* https://vault.localhost:PORT: Key Vault's audience */
    const struct demo_vault *vaults;
    size_t nvaults;
    const char *const *resolve; /* "HOST:PORT:127.0.0.1", NULL-terminated */
    /* The demo principal to sign in with (client secret credential). */
    const char *principal; /* "operator" or "monitor" */
    const char *tenant_id;
    const char *client_id;
    const char *client_secret; /* a secret: never shown or logged */
    const char *subscription_id;
    const char *dir;        /* the scratch folder (removed by demo_stop) */
    const char *log_path;   /* azsim's stderr */
    const char *ready_file; /* for `azsim fault ... --ready-file` from a shell */
};

struct demo_drill {
    const char *id;                               /* "vault-outage-eus2" */
    const char *title;                            /* "Vault outage: kv-tde-eus2 unreachable" */
    const char *watch;                            /* one sentence: what the console should show */
    const char *specs[DEMO_DRILL_MAX_FAULTS + 1]; /* azsim fault specs (JSON), NULL-terminated */
};

/* NULL with *cause; o may be NULL (defaults). */
struct demo *demo_start(const struct demo_options *o, char **cause);
/*
 * 0 when azsim stopped cleanly (exit 0 on SIGTERM; a sanitizer report would
 * make it non-zero), else its exit status, 128 + signal, or -1 (it had to be
 * killed, or had exited by itself before). NULL: 0.
 */
int demo_stop(struct demo *d);
const struct demo_info *demo_info(const struct demo *d);
/* false with *cause (exit status and the end of the log) once azsim has exited. */
bool demo_running(struct demo *d, char **cause);

/*
 * One control-interface request (docs/azsim.md): method, path ("/faults"),
 * body (JSON text or NULL). The answer's body (heap, "" when empty) when azsim
 * answers with status want; else NULL with *cause (azsim's message).
 */
char *demo_control(struct demo *d, const char *method, const char *path, const char *body,
                   long want, char **cause);

/* The drill table (static; demo_drill.c). */
const struct demo_drill *demo_drills(size_t *n);
/* The drill with this id, or NULL. */
const struct demo_drill *demo_drill_find(const char *id);

/*
 * Injects the drill's faults. *fault_id (heap) gets azsim's ids, comma-separated
 * when the drill has several ("f3,f4"), which demo_clear takes back. When one
 * spec is refused the faults already added are cleared again: all or nothing.
 */
int demo_drill_start(struct demo *d, const struct demo_drill *dr, char **fault_id, char **cause);
/* Clears the faults named (one id or a comma-separated list), or every fault when NULL. */
int demo_clear(struct demo *d, const char *fault_id, char **cause);
/* Advances simulated time by 0..ten years; due instance checks run. */
int demo_advance(struct demo *d, int64_t seconds, char **cause);
/* azsim's simulated time, Unix seconds. */
int demo_clock(struct demo *d, int64_t *now, char **cause);
/* The active faults, azsim's raw JSON ({"value":[...]}, heap). */
int demo_faults(struct demo *d, char **json, char **cause);
/* What each managed instance last found, azsim's raw JSON ({"instances":[...]}, heap). */
int demo_model(struct demo *d, char **json, char **cause);

#endif
