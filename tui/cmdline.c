#define _GNU_SOURCE /* memfd_create */
#include "cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomfile.h"
#include "xmem.h"

#define HISTORY_LINES 500

struct cmdline {
    History *hist;
    Tokenizer *tok;
    char *path;
    bool walking; /* H_FIRST was done: the walk position means something */
    size_t size;
};

static int hist_size(struct cmdline *c)
{
    HistEvent ev;
    return history(c->hist, &ev, H_GETSIZE) == 0 ? ev.num : 0;
}

struct cmdline *cmdline_create(const char *history_path, char **cause)
{
    struct cmdline *c = xcalloc(1, sizeof *c);
    HistEvent ev;
    c->hist = history_init();
    c->tok = tok_init(NULL);
    if (c->hist == NULL || c->tok == NULL)
        abort(); /* out of memory: xmem's policy */
    history(c->hist, &ev, H_SETSIZE, HISTORY_LINES);
    history(c->hist, &ev, H_SETUNIQUE, 1);
    c->path = xstrdup_or_null(history_path);
    if (c->path && access(c->path, F_OK) == 0 && history(c->hist, &ev, H_LOAD, c->path) < 0) {
        /* Never written over: it may be the operator's to repair (or another tool's). */
        xcause(cause,
               "command history %s could not be read (%s): it is left as it is and this "
               "session's commands are not saved",
               c->path, ev.str ? ev.str : "unknown error");
        history(c->hist, &ev, H_CLEAR);
        free(c->path);
        c->path = NULL;
    }
    c->size = (size_t)hist_size(c);
    return c;
}

void cmdline_destroy(struct cmdline *c)
{
    if (c == NULL)
        return;
    history_end(c->hist);
    tok_end(c->tok);
    free(c->path);
    free(c);
}

/*
 * The history into an anonymous memory file (libedit's H_SAVE_FP needs a real
 * descriptor: it fchmods it), then atomfile: a temporary file beside it,
 * fsync, rename, fsync of the folder; a kill at any point leaves the old file
 * or the new one.
 */
static int save(struct cmdline *c, char **cause)
{
    char *buf = NULL, *why = NULL;
    size_t len = 0;
    int rc = -1;
    int fd = memfd_create("tdectl-history", MFD_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    HistEvent ev;
    if (f == NULL || history(c->hist, &ev, H_SAVE_FP, f) < 0 || fflush(f) != 0 ||
        atomfile_read_fd(fd, c->path, 1 << 24, &buf, &len, &why) < 0) {
        xcause(cause, "command history %s could not be written%s%s", c->path, why ? ": " : "",
               why ? why : "");
    } else if (atomfile_write(c->path, buf, len, 0600, ATOMFILE_REPLACE, &why) < 0) {
        xcause(cause, "command history: %s", why);
    } else {
        rc = 0;
    }
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    free(why);
    free(buf);
    return rc;
}

int cmdline_add(struct cmdline *c, const char *line, char **cause)
{
    cmdline_history_reset(c);
    if (line == NULL || line[strspn(line, " \t")] == '\0')
        return 0;
    HistEvent ev;
    history(c->hist, &ev, H_ENTER, line);
    c->size = (size_t)hist_size(c);
    return c->path ? save(c, cause) : 0;
}

const char *cmdline_history(struct cmdline *c, int dir)
{
    HistEvent ev;
    int rc;
    if (!c->walking) {
        if (dir > 0)
            return NULL;
        rc = history(c->hist, &ev, H_FIRST); /* the newest */
        c->walking = rc == 0;
    } else {
        /* libedit's NEXT walks towards older entries, PREV towards newer. */
        rc = history(c->hist, &ev, dir < 0 ? H_NEXT : H_PREV);
        if (rc != 0 && dir > 0) {
            c->walking = false;
            return "";
        }
    }
    return rc == 0 ? ev.str : NULL;
}

void cmdline_history_reset(struct cmdline *c)
{
    c->walking = false;
}

size_t cmdline_history_size(const struct cmdline *c)
{
    return c->size;
}

char **cmdline_split(struct cmdline *c, const char *line, size_t *argc)
{
    int n = 0;
    const char **argv = NULL;
    tok_reset(c->tok);
    /* tok_str: 0 ok, >0 an unterminated quote or escape, <0 error. */
    if (tok_str(c->tok, line ? line : "", &n, &argv) != 0)
        return NULL;
    char **words = xcalloc((size_t)n + 1, sizeof *words);
    for (int i = 0; i < n; i++)
        words[i] = xstrdup(argv[i]);
    *argc = (size_t)n;
    return words;
}

void cmdline_free_words(char **words)
{
    for (size_t i = 0; words && words[i]; i++)
        free(words[i]);
    free(words);
}

char *cmdline_complete(const char *line, const char *const *cands, size_t n, char **listing)
{
    const char *sp = strrchr(line, ' ');
    const char *word = sp ? sp + 1 : line;
    size_t wlen = strlen(word), common = 0, matches = 0;
    const char *first = NULL;
    char *list = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(cands[i], word, wlen) != 0)
            continue;
        if (first == NULL) {
            first = cands[i];
            common = strlen(first);
        } else {
            size_t k = 0;
            while (k < common && first[k] == cands[i][k])
                k++;
            common = k;
        }
        matches++;
        char *grown = xasprintf("%s%s%s", list ? list : "", list ? " " : "", cands[i]);
        free(list);
        list = grown;
    }
    if (listing)
        *listing = matches > 1 ? list : NULL;
    if (matches <= 1 || listing == NULL)
        free(list);
    if (first == NULL || (common <= wlen && matches > 1))
        return NULL;
    /* One match completes the word and adds a space; several, the common prefix. */
    return xasprintf("%.*s%.*s%s", (int)(word - line), line, (int)common, first,
                     matches == 1 ? " " : "");
}
