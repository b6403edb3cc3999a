/*
 * support_tmpdir — scratch directories for tests that touch the file system
 * (config, snapshot): made private under $TMPDIR (or /tmp), removed with
 * everything in them.
 */
#ifndef TDECTL_SUPPORT_TMPDIR_H
#define TDECTL_SUPPORT_TMPDIR_H

#include <stddef.h>
#include <sys/types.h>

/* A new empty directory, mode 0700 (heap path); NULL when it cannot be made. */
char *support_tmpdir_make(void);
/* Removes dir and everything below it (symlinks are not followed); frees nothing. */
void support_tmpdir_remove(const char *dir);
/* Writes len bytes to path with mode (exactly, whatever the umask); -1 on failure. */
int support_tmpdir_write(const char *path, const void *data, size_t len, mode_t mode);
/* The number of entries in dir other than . and .., or -1. */
int support_tmpdir_count(const char *dir);

#endif
