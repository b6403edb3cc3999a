/*
 * check — `tdectl check`: one full sweep of the configured estate, then the
 * verdict (core/report.h) as text or JSON on stdout, and the exit status of
 * a monitoring plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. It never
 * writes to Azure: the transport runs read-only whatever the configuration
 * says. A usage or configuration error also exits 3 (a monitoring system
 * must not read it as OK), with the cause on stderr.
 */
#ifndef TDECTL_CHECK_H
#define TDECTL_CHECK_H

/* argv[0] is "check". Returns the exit status. */
int check_main(int argc, char **argv);

#endif
