/*
 * clisession — what every headless command does first: load the
 * configuration (--config, else $TDECTL_CONFIG, else the XDG path), apply
 * --read-only (or force read-only for commands that never write), and create
 * the core session (core/session.h) without a snapshot: a command must not
 * read or rewrite the console's.
 *
 * Two steps, so a command can look at the configuration before the session
 * exists (tdectl doctor reports a bad file as one of its checks):
 * clisession_load, then clisession_start. clisession_open does both.
 *
 * Ownership: struct clisession is caller storage; it owns the config and the
 * session. clisession_cleanup is safe after any failure (and on a zeroed
 * struct). Errors: -1 with *cause (the caller prints it).
 */
#ifndef TDECTL_CLISESSION_H
#define TDECTL_CLISESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct session;

struct clisession {
    struct config cfg;
    struct session *s;
    bool loaded; /* cfg holds the file's values (else the defaults) */
    bool inited;
};

struct clisession_options {
    const char *config_path; /* --config; NULL: the default */
    bool read_only;          /* --read-only, or a command that never writes */
};

/* Reads the configuration and applies read_only; the defaults stay in cfg on failure. */
int clisession_load(struct clisession *cs, const struct clisession_options *o, char **cause);
/* Creates the session from the loaded configuration. */
int clisession_start(struct clisession *cs, char **cause);
/* Both. */
int clisession_open(struct clisession *cs, const struct clisession_options *o, char **cause);
/*
 * Starts the session's engine and runs its loop until the first full sweep
 * ends (true) or timeout_ms passed (false: the model holds what was read).
 * Loop passes, not loop_run: commands wait on the same loop again afterwards.
 */
bool clisession_sweep(struct session *s, int64_t timeout_ms);
/* Destroys the session (cancelling what is in flight), then the configuration. */
void clisession_cleanup(struct clisession *cs);

#endif
