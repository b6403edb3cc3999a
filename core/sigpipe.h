/*
 * sigpipe — signals as events of the loop (DESIGN.md: the loop waits on a
 * signal self-pipe): the handler only writes the signal's number to a
 * non-blocking pipe the loop watches, and fn runs later on the loop's thread,
 * once per signal number per wake-up (a burst of SIGWINCH is one resize).
 *
 * One sigpipe per process at a time (signal dispositions are per process):
 * creating a second one while the first lives fails. destroy puts the
 * signals back to their default disposition, unwatches and closes the pipe.
 *
 * Ownership: opaque (create/destroy); borrows the loop, which must outlive it.
 */
#ifndef TDECTL_SIGPIPE_H
#define TDECTL_SIGPIPE_H

#include <stddef.h>

struct loop;
struct sigpipe;

typedef void (*sigpipe_fn)(int sig, void *arg);

/* Catches sigs[0..n) (at most 16); NULL with *cause when the pipe cannot be made or one lives. */
struct sigpipe *sigpipe_create(struct loop *loop, const int *sigs, size_t n, sigpipe_fn fn,
                               void *arg, char **cause);
void sigpipe_destroy(struct sigpipe *sp);

#endif
