/*
 * backup — `tdectl backup` and `tdectl restore`: the key backup/restore
 * wizard (core/keybackup.h) without the screen. Progress goes to stderr, one
 * line per step, check and REST call (with its request id); the result goes
 * to stdout, as text or (--json) JSON.
 *
 *   tdectl backup --vault V --key K [--key K ...] [--out DIR]
 *   tdectl backup --group NAME [--out DIR]
 *   tdectl backup --verify FILE
 *   tdectl backup --list [--out DIR]
 *   tdectl restore --file F --vault V --plan
 *   tdectl restore --file F --vault V --apply --reason TEXT [--test]
 *
 * Exit status (shared with tdectl rotate): 0 done; 1 refused before any
 * change (constraints, read-only mode); 2 failed while running (the message
 * says what was done); 3 usage or setup error (flags, configuration,
 * sign-in); 4 verification failed (a file that does not verify, a restored
 * copy whose fingerprints differ).
 */
#ifndef TDECTL_BACKUP_H
#define TDECTL_BACKUP_H

enum {
    BACKUP_EXIT_OK = 0,
    BACKUP_EXIT_REFUSED = 1,
    BACKUP_EXIT_FAILED = 2,
    BACKUP_EXIT_USAGE = 3,
    BACKUP_EXIT_UNVERIFIED = 4
};

/* argv[0] is "backup". Returns the exit status. */
int backup_main(int argc, char **argv);
/* argv[0] is "restore". Returns the exit status. */
int backup_restore_main(int argc, char **argv);

#endif
