/*
 * atomfile — crash-safe whole-file writes and bounded, hang-free reads, for
 * everything tdectl keeps in its state folder (snapshot, key backups,
 * journals).
 *
 * A write goes to a temporary file beside the target (".NAME.XXXXXXXX",
 * created O_EXCL), is fsync'd, then renamed over the target (or hard-linked
 * to it for ATOMFILE_EXCL, so an existing file is never replaced), and the
 * folder is fsync'd. A process killed at any point leaves the old file or the
 * new one, never a torn one; at worst a stray temporary file (dot-named),
 * which the next successful write of the same path removes once it is
 * ATOMFILE_STALE_S old (younger ones may be another process's write).
 *
 * A read opens with O_NOFOLLOW (a symlink is refused) and O_NONBLOCK (a FIFO
 * in the file's place cannot hang the open), refuses anything but a regular
 * file and anything larger than the caller's bound.
 *
 * Errors: -1 with *cause (when cause is not NULL) naming the path, and errno
 * set to the failing call's error (ENOENT: missing, EEXIST: ATOMFILE_EXCL
 * found the path taken, EFBIG: too large, EINVAL: bad argument) so callers
 * can tell "not there yet" from "broken". Everything returned is heap memory.
 */
#ifndef TDECTL_ATOMFILE_H
#define TDECTL_ATOMFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A temporary file this old is a killed writer's leftover. */
#define ATOMFILE_STALE_S 60

enum {
    ATOMFILE_REPLACE = 0, /* replace path atomically if it exists */
    ATOMFILE_EXCL = 1     /* refuse (EEXIST) when path exists */
};

/*
 * Writes len bytes to path with exactly mode (whatever the umask). The
 * folder must exist. -1 and *cause on failure; the temporary file is removed
 * and an existing file at path is left as it was.
 */
int atomfile_write(const char *path, const void *data, size_t len, mode_t mode, int flags,
                   char **cause);

/*
 * Reads the whole regular file at path, at most max bytes (a bigger one is
 * refused: "larger than N bytes"). *data (heap) holds *len bytes and one
 * extra NUL. On failure *data is NULL and *len 0.
 */
int atomfile_read(const char *path, size_t max, char **data, size_t *len, char **cause);
/*
 * The same for an open descriptor (read from offset 0 with pread; the
 * descriptor is left open). path only names the file in *cause.
 */
int atomfile_read_fd(int fd, const char *path, size_t max, char **data, size_t *len, char **cause);

/*
 * mkdir -p: every folder it creates is 0700. The last folder, if it already
 * existed, must be a folder owned by this user that neither group nor others
 * can write (secrets go there), else it is refused.
 */
int atomfile_mkdirs(const char *path, char **cause);

/*
 * The regular files (not symlinks) in dir whose name keep accepts, as heap
 * paths "dir/name", sorted with cmp when it is not NULL. A missing folder is
 * an empty list. -1 and *cause ("cannot list DIR: why") otherwise.
 */
int atomfile_list(const char *dir, bool (*keep)(const char *name, void *arg), void *arg,
                  int (*cmp)(const void *, const void *), char ***paths, size_t *n, char **cause);

#endif
