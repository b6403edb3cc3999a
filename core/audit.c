#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "xmem.h"

/* Whether the file ends without a newline: a torn last line to close first. */
static bool torn_tail(int fd, const struct stat *st)
{
    char last = '\n';
    return st->st_size > 0 && pread(fd, &last, 1, st->st_size - 1) == 1 && last != '\n';
}

/* Opens path to append; -1 with *cause. */
static int open_log(const char *path, struct stat *st, char **cause)
{
    /* O_RDWR to read the last byte; O_NONBLOCK: a FIFO cannot hang the open. */
    int fd = open(
        path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        xcause(cause, "audit log %s: %s", path,
               errno == ELOOP ? "a symbolic link (refused)" : strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        xcause(cause, "audit log %s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((st->st_mode & 0777) != 0600 && st->st_uid == geteuid() && fchmod(fd, 0600) < 0) {
        xcause(cause, "audit log %s: cannot make it private: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int audit_append(const char *path, const cJSON *record, int64_t wall_seconds, char **cause)
{
    struct stat st;
    size_t len = 0;
    char *why = NULL, *text = NULL;
    int rc = -1, fd = -1;
    if (path == NULL || path[0] == '\0') {
        xcause(cause, "audit log: no path");
        return -1;
    }
    char *line = journal_line(record, 0, wall_seconds, &len, &why);
    if (line == NULL) {
        xcause(cause, "audit log %s: %s", path, why);
        goto out;
    }
    if ((fd = open_log(path, &st, cause)) < 0)
        goto out;
    text = torn_tail(fd, &st) ? xasprintf("\n%s", line) : xstrdup(line);
    size_t n = strlen(text);
    ssize_t got;
    do /* one write(): lines of two processes never mix */
        got = write(fd, text, n);
    while (got < 0 && errno == EINTR);
    if (got < 0 || (size_t)got != n || fsync(fd) < 0) {
        xcause(cause, "audit log %s: cannot write: %s", path,
               got >= 0 && (size_t)got != n ? strerror(ENOSPC) : strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(text);
    free(line);
    free(why);
    return rc;
}
