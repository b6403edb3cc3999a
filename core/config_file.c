/*
 * config's files (config_int.h): where the config file and the state directory
 * are (XDG), reading the file only when nobody else could have written it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "xmem.h"

char *config_home_dir(void)
{
    const char *home = getenv("HOME");
    if (home && home[0] == '/')
        return xstrdup(home);
    /* cppcheck-suppress getpwuidCalled ; main thread only (the one worker thread only generates a
     * key) */
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? xstrdup(pw->pw_dir) : NULL;
}

/* Refuses a file others could change (it decides where tokens go), as ssh does. */
static int check_private(const char *path, const struct stat *st, char **cause)
{
    if (!S_ISREG(st->st_mode)) {
        xcause(cause, "%s: not a regular file", path);
        return -1;
    }
    if (st->st_uid != geteuid() && st->st_uid != 0) {
        xcause(cause, "%s: owned by uid %u, not by you: it decides where tokens are sent", path,
               (unsigned)st->st_uid);
        return -1;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        xcause(cause,
               "%s: writable by others (mode %04o): it decides where tokens are sent; run "
               "chmod go-w '%s'",
               path, (unsigned)(st->st_mode & 07777), path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    struct stat ds;
    int rc = 0;
    if (stat(dir, &ds) == 0 && (ds.st_mode & (S_IWGRP | S_IWOTH)) && !(ds.st_mode & S_ISVTX)) {
        xcause(cause,
               "%s: its directory %s is writable by others (mode %04o), who could replace it", path,
               dir, (unsigned)(ds.st_mode & 07777));
        rc = -1;
    }
    free(dir);
    return rc;
}

/* 0: read into *text; 1: missing and allowed to be; -1: error. */
static int read_file(const char *path, bool must_exist, char **text, size_t *len, char **cause)
{
    /* O_NONBLOCK: a FIFO in the config's place must not hang the start. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT && !must_exist)
            return 1;
        xcause(cause, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int rc = -1;
    if (fstat(fd, &st) < 0) {
        xcause(cause, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (check_private(path, &st, cause) < 0)
        goto out;
    buf = xmalloc(CONFIG_MAX_BYTES + 1);
    for (;;) {
        ssize_t got = read(fd, buf + n, CONFIG_MAX_BYTES + 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            xcause(cause, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > CONFIG_MAX_BYTES) {
            xcause(cause, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
            goto out;
        }
    }
    *text = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

int config_load(struct config *c, const char *explicit_path, char **cause)
{
    char buf[4096];
    const char *env = getenv("TDECTL_CONFIG"), *path = explicit_path;
    bool must_exist = true; /* a file the operator named */
    if (path == NULL && env && env[0])
        path = env;
    if (path == NULL) {
        must_exist = false;
        path = config_path(buf, sizeof buf);
        if (path == NULL) {
            xcause(cause, "cannot tell where the config file is: HOME is not set");
            return -1;
        }
    }
    if (path[0] == '\0') {
        xcause(cause, "the config file's path is empty");
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, must_exist, &text, &len, cause);
    if (rc == 1) {
        struct config t;
        config_init(&t);
        config_cleanup(c);
        *c = t;
        return 0;
    }
    if (rc == 0)
        rc = config_parse(c, text, len, path, cause);
    free(text);
    return rc;
}

/* -- paths ------------------------------------------------------------------------------------ */

/* $VAR/tdectl when VAR is an absolute path (XDG says relative ones are ignored), else ~/fallback.
 */
static char *xdg_dir(const char *var, const char *fallback)
{
    const char *base = getenv(var);
    if (base && base[0] == '/')
        return xasprintf("%s/tdectl", base);
    char *home = config_home_dir();
    char *dir = home ? xasprintf("%s/%s/tdectl", home, fallback) : NULL;
    free(home);
    return dir;
}

const char *config_path(char *buf, size_t size)
{
    const char *env = getenv("TDECTL_CONFIG");
    char *dir = NULL;
    int n;
    if (env && env[0]) {
        n = snprintf(buf, size, "%s", env);
    } else {
        dir = xdg_dir("XDG_CONFIG_HOME", ".config");
        n = dir ? snprintf(buf, size, "%s/config.json", dir) : -1;
    }
    free(dir);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

char *config_state_dir(void)
{
    return xdg_dir("XDG_STATE_HOME", ".local/state");
}

/* mkdir -p with 0700 for every directory it creates. */
static int make_dirs(char *dir, char **cause)
{
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        int rc = mkdir(dir, 0700);
        int err = errno;
        *p = saved;
        if (rc < 0 && err != EEXIST) {
            xcause(cause, "cannot create %.*s: %s", (int)(p - dir), dir, strerror(err));
            return -1;
        }
        if (saved == '\0')
            return 0;
    }
}

char *config_ensure_state_dir(char **cause)
{
    char *dir = config_state_dir();
    struct stat st;
    if (dir == NULL) {
        xcause(cause, "cannot tell where the state directory is: HOME is not set");
        return NULL;
    }
    if (make_dirs(dir, cause) < 0)
        goto fail;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        xcause(cause, "%s: not a directory", dir);
        goto fail;
    }
    if (st.st_uid != geteuid()) {
        xcause(cause, "%s: owned by uid %u, not by you", dir, (unsigned)st.st_uid);
        goto fail;
    }
    /* Journals, backups and the audit log live here: ours alone. */
    if ((st.st_mode & 077) && chmod(dir, 0700) < 0) {
        xcause(cause, "%s: cannot make it private: %s", dir, strerror(errno));
        goto fail;
    }
    return dir;
fail:
    free(dir);
    return NULL;
}

char *config_folder(const char *file)
{
    char buf[4096];
    const char *path = file ? file : config_path(buf, sizeof buf);
    if (path == NULL)
        return NULL;
    char *copy = xstrdup(path);
    char *dir = xstrdup(dirname(copy));
    free(copy);
    return dir;
}
