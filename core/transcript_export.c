/* transcript — a journal written out as a change ticket's files (see transcript.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomfile.h"
#include "journal.h"
#include "transcript_int.h"
#include "xmem.h"

/* The run: the journal's file name without ".jsonl", of safe characters only. */
static char *run_of(const char *path, char **cause)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 6 && strcmp(base + n - 6, ".jsonl") == 0)
        n -= 6;
    bool ok = n > 0 && n <= 128 && base[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)base[i]) || strchr("-_.", base[i]) != NULL;
    if (!ok) {
        xcause(cause, "%s: the journal's name cannot name a transcript", path);
        return NULL;
    }
    return xstrndup(base, n);
}

/*
 * The records as JSON Lines. journal_line wrote each with cJSON_PrintUnformatted
 * too, and cJSON prints what it parsed the same way: the lines as journaled.
 */
static char *jsonl_text(const cJSON *records, size_t *len)
{
    size_t n = 0;
    *len = 0;
    char **lines = xcalloc((size_t)cJSON_GetArraySize(records) + 1, sizeof *lines);
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records)
    {
        if ((lines[n] = cJSON_PrintUnformatted(rec)) != NULL)
            *len += strlen(lines[n++]) + 1;
    }
    char *out = xmalloc(*len + 1), *at = out;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(lines[i]);
        memcpy(at, lines[i], k);
        at[k] = '\n';
        at += k + 1;
        cJSON_free(lines[i]);
    }
    *at = '\0';
    free(lines);
    return out;
}

static int out_dir_ready(const char *dir, char **cause)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        xcause(cause, "%s is not a folder", dir);
        errno = ENOTDIR;
        return -1;
    }
    if (errno != ENOENT) {
        int err = errno;
        xcause(cause, "%s: %s", dir, strerror(err));
        errno = err;
        return -1;
    }
    return atomfile_mkdirs(dir, cause);
}

static int write_new(const char *path, const char *data, size_t len, char **cause)
{
    char *why = NULL;
    if (atomfile_write(path, data, len, 0600, ATOMFILE_EXCL, &why) == 0)
        return 0;
    int err = errno;
    if (err == EEXIST)
        xcause(cause, "%s exists already: a transcript is never overwritten", path);
    else
        xcause(cause, "%s", why ? why : "cannot write the transcript");
    free(why);
    errno = err;
    return -1;
}

int transcript_export(const char *journal_path, const char *out_dir, char **md, char **jsonl,
                      char **cause)
{
    cJSON *records = NULL;
    char *note = NULL, *run = NULL, *md_path = NULL, *jl_path = NULL, *text = NULL, *lines = NULL;
    int rc = -1, err = EINVAL;
    size_t dl, len = 0;
    if (md)
        *md = NULL;
    if (jsonl)
        *jsonl = NULL;
    if (journal_path == NULL || out_dir == NULL || out_dir[0] == '\0') {
        xcause(cause, "a transcript needs a journal and a folder");
        goto out;
    }
    if ((run = run_of(journal_path, cause)) == NULL)
        goto out;
    if (journal_load(journal_path, &records, &note, cause) < 0 ||
        out_dir_ready(out_dir, cause) < 0) {
        err = errno;
        goto out;
    }
    dl = strlen(out_dir);
    while (dl > 1 && out_dir[dl - 1] == '/')
        dl--;
    md_path = xasprintf("%.*s/%s.md", (int)dl, out_dir, run);
    jl_path = xasprintf("%.*s/%s.jsonl", (int)dl, out_dir, run);
    text = transcript_render(records, run, note);
    lines = jsonl_text(records, &len);
    if (write_new(md_path, text, strlen(text), cause) < 0) {
        err = errno;
        goto out;
    }
    if (write_new(jl_path, lines, len, cause) < 0) {
        err = errno;
        unlink(md_path); /* ours: ATOMFILE_EXCL made it just now */
        goto out;
    }
    rc = 0;
    err = 0;
    if (md)
        *md = xstrdup(md_path);
    if (jsonl)
        *jsonl = xstrdup(jl_path);
out:
    cJSON_Delete(records);
    free(note);
    free(run);
    free(md_path);
    free(jl_path);
    free(text);
    free(lines);
    errno = err;
    return rc;
}
