/*
 * ctlclient — the "azsim fault | clock | model" commands: a small client of
 * the control interface (ctl.h), over libcurl.
 *
 *   azsim fault list
 *   azsim fault add KIND [TARGET] [NAME=VALUE ...]   e.g. latency vault:kv-a ms=800 jitter_ms=200
 *   azsim fault clear ID | --all
 *   azsim clock [advance DURATION]                   DURATION: 90, 90s, 40m, 2h, 1d
 *   azsim model
 *
 * Where to connect: --ready-file FILE (what azsim --ready-file wrote), or
 * --control URL --token TOKEN, or the environment (AZSIM_READY_FILE,
 * AZSIM_CONTROL, AZSIM_CONTROL_TOKEN).
 */
#ifndef AZSIM_CTLCLIENT_H
#define AZSIM_CTLCLIENT_H

#include <stdbool.h>

/* True when argv names one of the commands above. */
bool ctlclient_wants(int argc, char **argv);
/* Runs the command; the process exit status (0 ok, 1 refused, 2 usage). */
int ctlclient_main(int argc, char **argv);

#endif
