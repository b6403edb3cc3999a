/*
 * harden — process hardening every tdectl process does first thing in main,
 * before it reads a configuration, a secret or a token.
 *
 * harden_process:
 *  - RLIMIT_CORE soft and hard limits 0: a crash writes no core dump (a core
 *    would hold access tokens, the client secret, passphrases, key material).
 *    The hard limit too, so nothing later in the process can raise it again.
 *  - prctl(PR_SET_DUMPABLE, 0): no core dump either through a core_pattern
 *    pipe, and no other process of the same user can ptrace this one or read
 *    its /proc/PID/mem (Yama aside); /proc/PID/ files become root's.
 *  - umask 077: any file or folder created without an explicit mode is the
 *    user's alone (every writer in core also sets 0600/0700 explicitly).
 * An execve'd child (the demo's azsim) gets dumpable back from the kernel
 * and inherits the zero core limit and the umask.
 *
 * Errors: -1 and *cause naming the step that failed; the front end refuses
 * to start then (a process that cannot turn core dumps off must not hold
 * tokens). Idempotent; single-threaded start-up only.
 */
#ifndef TDECTL_HARDEN_H
#define TDECTL_HARDEN_H

int harden_process(char **cause);

#endif
