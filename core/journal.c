#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "atomfile.h"
#include "json.h"
#include "xmem.h"

/* "yyyymmddThhmmssZ-xxxxxxxx.jsonl": what follows "KIND-" in a journal's name. */
#define STAMP_LEN 16
#define TAIL_LEN  (STAMP_LEN + 1 + 8 + 6)

struct journal {
    int fd;
    char *path;
    int64_t seq; /* of the last good line */
    size_t size; /* bytes up to the end of the last good line */
    bool broken; /* a failed write could not be undone */
};

/* What a check of a journal's text found. */
struct scan {
    cJSON *records; /* NULL when the caller does not want them */
    int64_t seq;    /* of the last good line */
    size_t good;    /* bytes up to the end of the last good line */
    size_t torn;    /* the line number of a torn last line, 0 when none */
};

static bool kind_valid(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n == 0 || n > JOURNAL_KIND_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = kind[i];
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
            c != '-' && c != '_')
            return false;
    }
    return true;
}

/* Unix seconds as yyyy-mm-ddThh:mm:ssZ; -1 out of 1970..9999. */
static int format_time(int64_t t, char buf[21])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t < 0 || t > INT64_C(253402300799) || gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        return -1;
    return 0;
}

char *journal_line(const cJSON *record, int64_t seq, int64_t wall_seconds, size_t *len,
                   char **cause)
{
    char stamp[21];
    if (!cJSON_IsObject(record)) {
        xcause(cause, "the record is not a JSON object");
        return NULL;
    }
    if (format_time(wall_seconds, stamp) < 0) {
        xcause(cause, "the time %lld is not a wall-clock time", (long long)wall_seconds);
        return NULL;
    }
    cJSON *line = cJSON_CreateObject();
    if (seq > 0)
        cJSON_AddNumberToObject(line, "seq", (double)seq);
    cJSON_AddStringToObject(line, "time", stamp);
    char *out = NULL;
    for (const cJSON *c = record->child; c; c = c->next) {
        if (c->string == NULL || strcmp(c->string, "time") == 0 ||
            (seq > 0 && strcmp(c->string, "seq") == 0)) {
            xcause(cause, "the record has its own \"%s\": the journal sets it",
                   c->string ? c->string : "(unnamed)");
            goto out;
        }
        cJSON_AddItemToObject(line, c->string, cJSON_Duplicate(c, true));
    }
    char *text = cJSON_PrintUnformatted(line);
    if (text == NULL) {
        xcause(cause, "the record cannot be written as JSON");
        goto out;
    }
    out = xasprintf("%s\n", text);
    *len = strlen(out);
    cJSON_free(text);
out:
    cJSON_Delete(line);
    return out;
}

/* -- checking --------------------------------------------------------------------------------- */

/* One complete line (no newline, not the torn one): 0, or -1 with *why (static text). */
static int check_line(const char *s, size_t n, int64_t want, cJSON **obj, const char **why)
{
    int64_t seq, t;
    *obj = NULL;
    if (n == 0)
        *why = "an empty line";
    else if (memchr(s, '\0', n))
        *why = "a NUL byte";
    else if ((*obj = json_parse(s, n, NULL)) == NULL)
        *why = "not valid JSON";
    else if (!cJSON_IsObject(*obj))
        *why = "not a JSON object";
    else if (json_int64(*obj, "seq", &seq) < 0)
        *why = "no integer \"seq\"";
    else if (seq != want)
        *why = "\"seq\" is out of order";
    else if (json_parse_iso8601(json_str(*obj, "time"), &t) < 0)
        *why = "no RFC 3339 \"time\"";
    else
        return 0;
    cJSON_Delete(*obj);
    *obj = NULL;
    return -1;
}

/*
 * Checks a journal's text line by line. The last line may be torn: missing
 * its newline, or not parseable (a NUL byte included) with one; it is
 * counted in sc->torn and left out. Any other bad line fails the whole text.
 */
static int scan_text(const char *path, const char *text, size_t len, struct scan *sc, char **cause)
{
    size_t off = 0, lineno = 0;
    while (off < len) {
        lineno++;
        const char *nl = memchr(text + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - text) : len;
        bool last = nl == NULL || end + 1 == len;
        const char *why = NULL;
        cJSON *obj = NULL;
        if (nl == NULL) {
            sc->torn = lineno;
            return 0;
        }
        if (check_line(text + off, end - off, sc->seq + 1, &obj, &why) < 0) {
            /* A torn write is a prefix or zeroes; it never parses as a whole object. */
            bool unparsed = strcmp(why, "not valid JSON") == 0 || strcmp(why, "a NUL byte") == 0;
            if (last && unparsed) {
                sc->torn = lineno;
                return 0;
            }
            if (strcmp(why, "\"seq\" is out of order") == 0)
                xcause(cause, "journal %s: line %zu: \"seq\" is not %lld: the file was changed",
                       path, lineno, (long long)sc->seq + 1);
            else
                xcause(cause, "journal %s: line %zu: %s", path, lineno, why);
            return -1;
        }
        if (sc->records)
            cJSON_AddItemToArray(sc->records, obj);
        else
            cJSON_Delete(obj);
        sc->seq++;
        sc->good = end + 1;
        off = end + 1;
    }
    return 0;
}

int journal_parse(const char *text, size_t len, const char *origin, cJSON **records, char **note,
                  char **cause)
{
    struct scan sc = {.records = cJSON_CreateArray()};
    *records = NULL;
    if (note)
        *note = NULL;
    if (len > JOURNAL_MAX_BYTES) {
        xcause(cause, "journal %s: larger than %d bytes", origin, JOURNAL_MAX_BYTES);
        cJSON_Delete(sc.records);
        return -1;
    }
    if (scan_text(origin, text, len, &sc, cause) < 0) {
        cJSON_Delete(sc.records);
        return -1;
    }
    if (sc.torn && note)
        *note = xasprintf("journal %s: line %zu was cut short (tdectl stopped while writing it) "
                          "and is ignored",
                          origin, sc.torn);
    *records = sc.records;
    return 0;
}

int journal_load(const char *path, cJSON **records, char **note, char **cause)
{
    char *text = NULL, *why = NULL;
    size_t len = 0;
    *records = NULL;
    if (note)
        *note = NULL;
    if (atomfile_read(path, JOURNAL_MAX_BYTES, &text, &len, &why) < 0) {
        xcause(cause, "journal %s", why);
        free(why);
        return -1;
    }
    int rc = journal_parse(text, len, path, records, note, cause);
    free(text);
    return rc;
}

/* -- writing ---------------------------------------------------------------------------------- */

static struct journal *journal_new(int fd, const char *path)
{
    struct journal *j = xcalloc(1, sizeof *j);
    j->fd = fd;
    j->path = xstrdup(path);
    return j;
}

/* The journal's one writer: a second process (or a second open) is refused. */
static int lock_fd(int fd, const char *path, char **cause)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno == EWOULDBLOCK)
        xcause(cause, "journal %s: in use by another tdectl", path);
    else
        xcause(cause, "journal %s: cannot lock it: %s", path, strerror(errno));
    return -1;
}

/* Creates DIR/KIND-STAMP-RANDOM.jsonl; the descriptor, *path its name. */
static int create_file(const char *dir, const char *kind, char **path, char **cause)
{
    char stamp[STAMP_LEN + 1];
    struct tm tm;
    time_t now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0) {
        xcause(cause, "journal: the clock is out of range");
        return -1;
    }
    for (int tries = 0; tries < 8; tries++) {
        uint32_t r;
        if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
            r = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
        *path = xasprintf("%s/%s-%s-%08x.jsonl", dir, kind, stamp, (unsigned)r);
        int fd = open(*path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        int err = errno;
        if (err != EEXIST) {
            xcause(cause, "journal %s: cannot create it: %s", *path, strerror(err));
            free(*path);
            *path = NULL;
            return -1;
        }
        free(*path);
        *path = NULL;
    }
    xcause(cause, "journal: cannot find a free name in %s", dir);
    return -1;
}

int journal_create(const char *dir, const char *kind, struct journal **out, char **path_out,
                   char **cause)
{
    char *path = NULL;
    *out = NULL;
    if (path_out)
        *path_out = NULL;
    if (dir == NULL || dir[0] == '\0' || !kind_valid(kind)) {
        xcause(cause, "journal: bad folder or kind \"%s\"", kind ? kind : "(null)");
        return -1;
    }
    char *why = NULL;
    if (atomfile_mkdirs(dir, &why) < 0) {
        xcause(cause, "journal: %s", why);
        free(why);
        return -1;
    }
    int fd = create_file(dir, kind, &path, cause);
    if (fd < 0)
        return -1;
    int rc = fchmod(fd, 0600); /* exactly, whatever the umask */
    if (rc < 0)
        xcause(cause, "journal %s: %s", path, strerror(errno));
    if (rc < 0 || lock_fd(fd, path, cause) < 0) {
        close(fd);
        unlink(path);
        free(path);
        return -1;
    }
    /* The new name survives a crash once the folder is synced. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    *out = journal_new(fd, path);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return 0;
}

int journal_open(const char *path, struct journal **out, char **cause)
{
    char *text = NULL, *why = NULL;
    size_t len = 0;
    struct scan sc = {.records = NULL};
    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        xcause(cause, "journal: no path");
        return -1;
    }
    int fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        xcause(cause, "journal %s: %s", path,
               errno == ELOOP ? "a symbolic link (refused)" : strerror(errno));
        return -1;
    }
    if (lock_fd(fd, path, cause) < 0)
        goto fail;
    if (atomfile_read_fd(fd, path, JOURNAL_MAX_BYTES, &text, &len, &why) < 0) {
        xcause(cause, "journal %s", why);
        goto fail;
    }
    if (scan_text(path, text, len, &sc, cause) < 0)
        goto fail;
    /* Cut a torn last line away so the next line starts on a line of its own. */
    if (sc.good < len && (ftruncate(fd, (off_t)sc.good) < 0 || fsync(fd) < 0)) {
        xcause(cause, "journal %s: cannot cut its torn last line: %s", path, strerror(errno));
        goto fail;
    }
    free(text);
    *out = journal_new(fd, path);
    (*out)->seq = sc.seq;
    (*out)->size = sc.good;
    return 0;
fail:
    free(why);
    free(text);
    close(fd);
    return -1;
}

/* After a failed append: back to the last good line, or no more appends. */
static void undo(struct journal *j)
{
    if (ftruncate(j->fd, (off_t)j->size) < 0 || fsync(j->fd) < 0)
        j->broken = true;
}

int journal_append(struct journal *j, const cJSON *record, int64_t wall_seconds, char **cause)
{
    if (j == NULL) {
        xcause(cause, "journal: not open");
        return -1;
    }
    if (j->broken) {
        xcause(cause, "journal %s: an earlier write failed and could not be undone", j->path);
        return -1;
    }
    size_t len = 0;
    char *why = NULL;
    char *line = journal_line(record, j->seq + 1, wall_seconds, &len, &why);
    int rc = -1;
    if (line == NULL) {
        xcause(cause, "journal %s: %s", j->path, why);
        goto out;
    }
    if (len > JOURNAL_MAX_BYTES - j->size) {
        xcause(cause, "journal %s: full (the limit is %d bytes)", j->path, JOURNAL_MAX_BYTES);
        goto out;
    }
    ssize_t n;
    do /* one write(): a line is never interleaved or split by us */
        n = write(j->fd, line, len);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len || fsync(j->fd) < 0) {
        int err = n >= 0 && (size_t)n != len ? ENOSPC : errno;
        xcause(cause, "journal %s: cannot write: %s", j->path, strerror(err));
        undo(j);
        goto out;
    }
    j->seq++;
    j->size += len;
    rc = 0;
out:
    free(why);
    free(line);
    return rc;
}

int64_t journal_seq(const struct journal *j)
{
    return j ? j->seq : 0;
}

void journal_close(struct journal *j)
{
    if (j == NULL)
        return;
    close(j->fd); /* drops the lock */
    free(j->path);
    free(j);
}

/* -- listing ---------------------------------------------------------------------------------- */

static bool tail_valid(const char *t)
{
    if (strlen(t) != TAIL_LEN || strcmp(t + STAMP_LEN + 9, ".jsonl") != 0 || t[8] != 'T' ||
        t[15] != 'Z' || t[16] != '-')
        return false;
    for (int i = 0; i < STAMP_LEN + 9; i++) {
        if (i == 8 || i == 15 || i == 16)
            continue;
        bool hex = i > 16 && ((t[i] >= 'a' && t[i] <= 'f'));
        if (!(t[i] >= '0' && t[i] <= '9') && !hex)
            return false;
    }
    return true;
}

/* Newest first: every name is KIND-STAMP-RANDOM.jsonl, so the names sort by stamp. */
static int newest_first(const void *a, const void *b)
{
    const char *x = strrchr(*(char *const *)a, '/');
    const char *y = strrchr(*(char *const *)b, '/');
    return strcmp(y, x);
}

/* A journal of kind: "<kind>-<yyyymmddThhmmssZ>-<8 hex>.jsonl". */
static bool journal_named(const char *name, void *arg)
{
    const char *kind = arg;
    size_t klen = strlen(kind);
    return strncmp(name, kind, klen) == 0 && name[klen] == '-' && tail_valid(name + klen + 1);
}

int journal_list(const char *dir, const char *kind, char ***paths, size_t *n, char **cause)
{
    *paths = NULL;
    *n = 0;
    if (dir == NULL || dir[0] == '\0' || !kind_valid(kind)) {
        xcause(cause, "journal: bad folder or kind \"%s\"", kind ? kind : "(null)");
        return -1;
    }
    char *why = NULL;
    int rc =
        atomfile_list(dir, journal_named, (void *)(uintptr_t)kind, newest_first, paths, n, &why);
    if (rc < 0)
        xcause(cause, "journal: %s", why);
    free(why);
    return rc;
}
