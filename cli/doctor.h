/*
 * doctor — `tdectl doctor`: checks tdectl's own ability to do its job and
 * prints what to fix. One read-only session from the configuration (the
 * transport refuses every write whatever the file says; no snapshot), all
 * driven by core's loop: the credentials configured and the one that got a
 * token, a token for ARM and for Key Vault (timed), the path to the
 * authority and to ARM (DNS, connect, TLS, total; TLS verification), the
 * clock against ARM's Date header, one full discovery sweep (--timeout), then
 * per vault the same timed probe and what this principal may do on its keys,
 * and per subscription whether it could be read.
 *
 * Output: one line per check, OK / WARN / FAIL with the figure measured and,
 * when not OK, a "fix:" line; --json the same as tdectl.doctor/v1
 * (docs/monitoring.md). Exit status: 0 every check OK, 1 warnings only, 2 a
 * check failed (also a usage error or an unreadable configuration).
 * Secrets are never printed.
 */
#ifndef TDECTL_DOCTOR_H
#define TDECTL_DOCTOR_H

/* argv[0] is "doctor". Returns the exit status. */
int doctor_main(int argc, char **argv);

#endif
