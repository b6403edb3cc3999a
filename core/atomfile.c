#include "atomfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "xmem.h"

/* How many temporary names to try before giving up (each is 32 random bits). */
#define TEMP_TRIES 16

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Creates a fresh temporary file beside path: its descriptor, *tmp its name (heap). */
static int open_temp(const char *dir, const char *base, char **tmp)
{
    for (int i = 0; i < TEMP_TRIES; i++) {
        uint32_t r;
        if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
            r = (uint32_t)getpid() * 2654435761u + (uint32_t)i;
        /* The base is cut so the name stays under NAME_MAX. */
        *tmp = xasprintf("%s/.%.200s.%08x", dir, base, (unsigned)r);
        int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        int err = errno;
        free(*tmp);
        *tmp = NULL;
        if (err != EEXIST) {
            errno = err;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

/* ".BASE.xxxxxxxx": one of our temporary files for base (8 hex digits). */
static bool is_temp_of(const char *name, const char *base)
{
    size_t bl = strnlen(base, 200);
    if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 || name[1 + bl] != '.')
        return false;
    const char *hex = name + 2 + bl;
    if (strlen(hex) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (!strchr("0123456789abcdef", hex[i]))
            return false;
    return true;
}

/*
 * Removes the temporary files a killed writer of base left in dir, once they
 * are ATOMFILE_STALE_S old (a younger one may be another process's write in
 * progress): leftovers never pile up.
 */
static void sweep_stale(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_temp_of(de->d_name, base))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid() && now - st.st_mtime >= ATOMFILE_STALE_S)
            (void)unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

/* The rename (or link) itself survives a crash only once the folder is synced. */
static void sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd); /* not every file system can sync a folder */
        close(dfd);
    }
}

/* Moves the finished temporary file to path; -1 with errno. */
static int publish(const char *tmp, const char *path, int flags)
{
    if (flags == ATOMFILE_REPLACE)
        return rename(tmp, path);
    /* link() never replaces: EEXIST when path is taken, even by a dangling symlink. */
    if (link(tmp, path) < 0)
        return -1;
    (void)unlink(tmp);
    return 0;
}

int atomfile_write(const char *path, const void *data, size_t len, mode_t mode, int flags,
                   char **cause)
{
    if (path == NULL || path[0] == '\0' || path[strlen(path) - 1] == '/' ||
        (flags != ATOMFILE_REPLACE && flags != ATOMFILE_EXCL) || (data == NULL && len > 0)) {
        xcause(cause, "cannot write %s: bad arguments", path ? path : "(null)");
        errno = EINVAL;
        return -1;
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    char *tmp = NULL;
    int rc = -1, err = 0;
    int fd = open_temp(dir, base, &tmp);
    if (fd < 0) {
        err = errno;
        xcause(cause, "cannot create a file in %s: %s", dir, strerror(err));
        goto out;
    }
    if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
        err = errno;
        xcause(cause, "cannot write %s: %s", tmp, strerror(err));
        goto out;
    }
    int closed = close(fd);
    fd = -1;
    if (closed < 0) {
        err = errno;
        xcause(cause, "cannot write %s: %s", tmp, strerror(err));
        goto out;
    }
    if (publish(tmp, path, flags) < 0) {
        err = errno;
        if (err == EEXIST && flags == ATOMFILE_EXCL)
            xcause(cause, "%s already exists: it is not replaced", path);
        else
            xcause(cause, "cannot %s %s: %s", flags == ATOMFILE_EXCL ? "create" : "replace", path,
                   strerror(err));
        goto out;
    }
    sync_dir(dir);
    sweep_stale(dir, base);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc < 0 && tmp)
        (void)unlink(tmp);
    free(tmp);
    free(dir);
    if (rc < 0)
        errno = err;
    return rc;
}

int atomfile_read_fd(int fd, const char *path, size_t max, char **data, size_t *len, char **cause)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int err = 0;
    *data = NULL;
    *len = 0;
    if (fstat(fd, &st) < 0) {
        err = errno;
        xcause(cause, "%s: %s", path, strerror(err));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err = EINVAL;
        xcause(cause, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
        err = EFBIG;
        xcause(cause, "%s: %lld bytes, larger than %zu bytes", path, (long long)st.st_size, max);
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1; /* one more, to see it grow */
    buf = xmalloc(cap);
    for (;;) {
        ssize_t got = pread(fd, buf + n, cap - n, (off_t)n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            err = errno;
            xcause(cause, "%s: %s", path, strerror(err));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            err = EBUSY;
            xcause(cause, "%s: changed while it was read", path);
            goto out;
        }
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    errno = err;
    return err ? -1 : 0;
}

int atomfile_read(const char *path, size_t max, char **data, size_t *len, char **cause)
{
    *data = NULL;
    *len = 0;
    if (path == NULL || path[0] == '\0') {
        xcause(cause, "cannot read a file without a name");
        errno = EINVAL;
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            xcause(cause, "%s: a symbolic link (refused)", path);
        else
            xcause(cause, "%s: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    int rc = atomfile_read_fd(fd, path, max, data, len, cause);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* The last folder of a mkdirs that already existed: ours and closed to others. */
static int check_private(const char *path, char **cause)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        int err = errno;
        xcause(cause, "%s: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        xcause(cause, "%s: not a folder", path);
        errno = ENOTDIR;
        return -1;
    }
    if (st.st_uid != geteuid()) {
        xcause(cause, "%s: owned by uid %u, not by you (refused)", path, (unsigned)st.st_uid);
        errno = EPERM;
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        xcause(cause, "%s: others can write to it (mode %03o; refused)", path,
               (unsigned)(st.st_mode & 0777));
        errno = EPERM;
        return -1;
    }
    return 0;
}

int atomfile_mkdirs(const char *path, char **cause)
{
    if (path == NULL || path[0] == '\0') {
        xcause(cause, "cannot create a folder without a name");
        errno = EINVAL;
        return -1;
    }
    char *dir = xstrdup(path);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    bool created = false;
    int rc = -1, err = 0;
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        created = mkdir(dir, 0700) == 0;
        err = created ? 0 : errno;
        /* Exactly 0700, whatever the umask. */
        if (created && chmod(dir, 0700) < 0)
            err = errno;
        if (err != 0 && err != EEXIST) {
            xcause(cause, "cannot create %s: %s", dir, strerror(err));
            goto out;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    err = 0;
    rc = created ? 0 : check_private(dir, cause);
    if (rc < 0)
        err = errno;
out:
    free(dir);
    errno = err;
    return rc;
}

int atomfile_list(const char *dir, bool (*keep)(const char *name, void *arg), void *arg,
                  int (*cmp)(const void *, const void *), char ***paths, size_t *n, char **cause)
{
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        xcause(cause, "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct stat st;
        if (!keep(e->d_name, arg))
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            *paths = xrealloc(*paths, cap, sizeof **paths);
        }
        (*paths)[(*n)++] = p;
    }
    closedir(d);
    if (cmp && *n > 1)
        qsort(*paths, *n, sizeof **paths, cmp);
    return 0;
}
