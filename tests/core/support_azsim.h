/*
 * support_azsim — a real azsim process for tests of core against the
 * emulator (the C twin of tests/pylib/azsim.py).
 *
 * support_azsim_start runs the azsim binary on free ports (--port 0
 * --imds-port 0) in a private scratch folder, with a scenario file, "demo",
 * or scenario JSON text, waits for its ready file and reads it. The binary is
 * $AZSIM when set, else BUILD/sim/azsim next to the test program
 * (BUILD/tests/core/... or BUILD/tests/integration/...). azsim's stdout and stderr go to files in
 * the scratch folder; stderr is its request log (one line per request, never a token), which tests
 * may count lines of. azsim gets SIGTERM should the test program die first (PR_SET_PDEATHSIG), so a
 * crashed test leaves no azsim behind. The control interface (faults, clock) is reached with
 * libcurl, blocking: this is test code, not the loop.
 *
 * support_azsim_stop sends SIGTERM, waits for the exit (SIGKILL after 60 s),
 * prints the end of the log when the status is not 0 (a sanitizer report
 * makes it non-zero), removes the scratch folder and frees everything; it
 * returns the exit status, so a test asserts it is 0.
 *
 * Every string the info struct points to lives until support_azsim_stop.
 */
#ifndef TDECTL_SUPPORT_AZSIM_H
#define TDECTL_SUPPORT_AZSIM_H

#include <stdbool.h>
#include <sys/types.h>

struct support_azsim;

/* What the ready file says, plus where things are. */
struct support_azsim_info {
    pid_t pid;
    int port;         /* HTTPS: Key Vault, Entra ID, ARM */
    int imds_port;    /* plain HTTP: IMDS and App Service */
    int control_port; /* plain HTTP, loopback */
    const char *control_token;
    const char *ca_file;
    const char *dns_suffix;          /* "localhost" */
    const char *authority;           /* https://login.localhost:PORT */
    const char *vault_resource;      /* https://vault.localhost:PORT */
    const char *management_resource; /* https://management.localhost:PORT */
    const char *identity_header;     /* App Service's X-IDENTITY-HEADER secret */
    const char *imds_url;            /* http://127.0.0.1:IMDS_PORT */
    const char *app_service_url;     /* http://127.0.0.1:IMDS_PORT/msi/token */
    /*
     * CURLOPT_RESOLVE entries ("login.localhost:PORT:127.0.0.1", management,
     * every vault of the scenario), NULL-terminated, for http_config.resolve:
     * the *.localhost names then need no resolver at all.
     */
    const char *const *resolve;
    const char *dir;      /* the scratch folder (removed by stop) */
    const char *log_path; /* azsim's stderr */
};

/*
 * scenario: a file path or "demo"; extra_args: more azsim options, NULL or
 * NULL-terminated. NULL with *cause when azsim cannot be found, exits early or
 * is not ready within 60 s.
 */
struct support_azsim *support_azsim_start(const char *scenario, const char *const *extra_args,
                                          char **cause);
/* The same with the scenario given as JSON text (written to the scratch folder). */
struct support_azsim *support_azsim_start_text(const char *scenario_json,
                                               const char *const *extra_args, char **cause);
/* Exit status (0 is a clean stop), or -1 when it had to be killed. NULL: 0. */
int support_azsim_stop(struct support_azsim *s);

const struct support_azsim_info *support_azsim_info(const struct support_azsim *s);
bool support_azsim_alive(struct support_azsim *s);

/* https://NAME.vault.SUFFIX:PORT (heap). */
char *support_azsim_vault_url(const struct support_azsim *s, const char *vault);

/*
 * One control-interface request (body: JSON text or NULL). The HTTP status,
 * or -1 when azsim did not answer; *response (heap, may be NULL) gets the body.
 */
long support_azsim_control(struct support_azsim *s, const char *method, const char *path,
                           const char *body, char **response);
/* Adds a fault from its JSON spec ({"kind":..,"target":..,...}); its id (heap), or NULL. */
char *support_azsim_fault(struct support_azsim *s, const char *spec_json);
/* Clears one fault, or all when id is NULL; 0 or -1. */
int support_azsim_clear_faults(struct support_azsim *s, const char *id);

/* azsim's request log so far (heap, "" when empty). */
char *support_azsim_log(const struct support_azsim *s);
/* Lines of the log containing every one of the NULL-terminated needles. */
int support_azsim_log_count(const struct support_azsim *s, const char *const *needles);

#endif
