/*
 * fixture — one azsim and one tdectl core session wired to it, for the
 * integration tests: the session is built from a struct config exactly as a
 * front end builds it (custom cloud, azsim's CA, a client secret in the
 * environment), so these tests exercise the same path the console takes.
 *
 * The demo scenario's estate and credentials are below; tests that need
 * another estate pass a scenario file. Sweeps are driven by hand
 * (fixture_sweep), so a test decides when the engine looks (the engine's own
 * catch-up full sweeps are off unless a test asks for them).
 */
#ifndef TDECTL_FIXTURE_H
#define TDECTL_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "health.h"
#include "model.h"
#include "support_azsim.h"

#define DEMO_TENANT       "1fc969be-ee9e-424f-9ec5-a33b1d15ab71"
#define DEMO_SUBSCRIPTION "558aba93-77f9-4064-aa55-4db325ca1cbf"
#define DEMO_OPERATOR_ID  "7d248692-5828-4a0d-ae0c-8333f4a54257"
#define DEMO_OPERATOR_KEY "demo-operator-dsWtHlPD2JMSTgzJ8QjRa9BXYmxbV4O3"
#define DEMO_MI_EUS2      "sqlmi-prod-eus2"
#define DEMO_MI_CUS       "sqlmi-prod-cus"
#define DEMO_KV_EUS2      "kv-tde-eus2"
#define DEMO_KV_CUS       "kv-tde-cus"
#define DEMO_FOG          "fog-sql-prod"

struct session;

struct fixture_options {
    const char *scenario; /* a file, or NULL for the demo */
    bool read_only;
    const char *snapshot_path; /* NULL: no snapshot */
    long timeout_ms;           /* per attempt; 0: 3000 (faults that hold connections) */
    bool keep_azsim;           /* fixture_stop leaves azsim running (see fixture_restart) */
    int64_t health_s, probe_s; /* poll cadences; 0: the config's defaults (60 s, 30 s) */
    int64_t max_rpm;           /* the periodic budget; 0: the default */
    bool catch_up;             /* let the engine start its own catch-up full sweeps */
};

struct fixture {
    struct support_azsim *sim;
    const struct support_azsim_info *info;
    struct config config;
    struct session *session;
    struct engine *engine;
    struct health *health;
    unsigned sweeps[3]; /* completed, by enum engine_sweep */
};

/* Starts azsim (unless f->sim is set) and a session, and waits for the first full sweep. */
void fixture_start(struct fixture *f, const struct fixture_options *o);
/* Ends the session; stops azsim (asserting a clean exit) unless keep. */
void fixture_stop(struct fixture *f, bool keep_azsim);

const struct model *fixture_model(const struct fixture *f);
/* Runs one sweep of kind now and waits for it (fails the test after timeout_ms). */
void fixture_sweep(struct fixture *f, enum engine_sweep kind, int timeout_ms);
/* Runs the loop for ms. */
void fixture_run(struct fixture *f, int ms);
/* The session's wall clock (ms). */
int64_t fixture_wall(const struct fixture *f);

/* Health evaluated now; the finding of rule whose subject contains subject (NULL: any). */
const struct health_finding *fixture_finding(struct fixture *f, const char *rule,
                                             const char *subject);
/* How many findings at or above sev. */
size_t fixture_count(struct fixture *f, enum health_sev sev);
/* Fails the test with every finding listed when there is one at or above sev. */
void fixture_expect_clean(struct fixture *f, enum health_sev sev);

/* azsim control: a fault (JSON spec) -> its id (heap); clear one or all (NULL). */
char *fixture_fault(struct fixture *f, const char *spec_json);
void fixture_clear(struct fixture *f, const char *id);
/* Moves azsim's simulated clock; its instances run the checks that became due. */
void fixture_advance(struct fixture *f, int64_t seconds);
/* azsim's model of one instance as JSON text (heap). */
char *fixture_azsim_model(struct fixture *f, const char *instance);

struct model_instance *fixture_instance(const struct fixture *f, const char *name);
struct model_vault *fixture_vault(const struct fixture *f, const char *name);

#endif
