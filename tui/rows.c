#define _GNU_SOURCE /* strcasestr */
#include "rows.h"

#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

struct cell {
    size_t off; /* into the arena; 0 is the empty string */
    enum theme_role role;
};

struct row {
    size_t subject; /* arena offset */
    int tag;
};

struct rows {
    size_t ncols;
    struct row *rows;
    struct cell *cells; /* nrows * ncols */
    size_t nrows, cap;
    char *arena;
    size_t used, size;
    size_t *shown; /* row indices the filter keeps */
    size_t nshown;
    char *pattern;
    bool invert, regex;
    regex_t re;
};

static size_t arena_put(struct rows *r, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (r->used + len + 1 > r->size) {
        size_t size = r->size ? r->size : 4096;
        while (r->used + len + 1 > size)
            size *= 2;
        r->arena = xrealloc(r->arena, size, 1);
        r->size = size;
    }
    size_t off = r->used;
    memcpy(r->arena + off, s, len);
    r->arena[off + len] = '\0';
    r->used += len + 1;
    return off;
}

struct rows *rows_create(size_t ncols)
{
    struct rows *r = xcalloc(1, sizeof *r);
    r->ncols = ncols ? ncols : 1;
    r->arena = xcalloc(1, 4096);
    r->size = 4096;
    r->used = 1; /* offset 0: "" */
    r->pattern = xstrdup("");
    return r;
}

void rows_destroy(struct rows *r)
{
    if (r == NULL)
        return;
    if (r->regex)
        regfree(&r->re);
    free(r->rows);
    free(r->cells);
    free(r->arena);
    free(r->shown);
    free(r->pattern);
    free(r);
}

void rows_clear(struct rows *r)
{
    r->nrows = 0;
    r->nshown = 0;
    r->used = 1;
}

static bool cell_matches(const struct rows *r, const char *text)
{
    if (r->regex)
        return regexec(&r->re, text, 0, NULL, 0) == 0;
    return strcasestr(text, r->pattern + r->invert) != NULL;
}

static bool row_matches(const struct rows *r, size_t row)
{
    if (r->pattern[r->invert] == '\0')
        return true;
    bool hit = false;
    for (size_t c = 0; c < r->ncols && !hit; c++)
        hit = cell_matches(r, r->arena + r->cells[row * r->ncols + c].off);
    return hit != r->invert;
}

static void reapply(struct rows *r)
{
    r->shown = xrealloc(r->shown, r->cap ? r->cap : 1, sizeof *r->shown);
    r->nshown = 0;
    for (size_t i = 0; i < r->nrows; i++)
        if (row_matches(r, i))
            r->shown[r->nshown++] = i;
}

size_t rows_add(struct rows *r, const char *subject, int tag)
{
    if (r->nrows == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->rows = xrealloc(r->rows, r->cap, sizeof *r->rows);
        r->cells = xrealloc(r->cells, r->cap * r->ncols, sizeof *r->cells);
        r->shown = xrealloc(r->shown, r->cap, sizeof *r->shown);
    }
    size_t i = r->nrows++;
    r->rows[i].subject = subject ? arena_put(r, subject, strlen(subject)) : 0;
    r->rows[i].tag = tag;
    for (size_t c = 0; c < r->ncols; c++)
        r->cells[i * r->ncols + c] = (struct cell){0, THEME_NORMAL};
    /* Rows arrive one by one while the cells are still empty; the filter runs on
     * them once they are complete, in rows_shown's first call after a change. */
    r->nshown = SIZE_MAX;
    return i;
}

void rows_set(struct rows *r, size_t row, size_t col, enum theme_role role, const char *fmt, ...)
{
    if (row >= r->nrows || col >= r->ncols)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    r->cells[row * r->ncols + col] = (struct cell){arena_put(r, buf, len), role};
}

void rows_set_role(struct rows *r, size_t row, enum theme_role role)
{
    for (size_t c = 0; row < r->nrows && c < r->ncols; c++)
        r->cells[row * r->ncols + c].role = role;
}

size_t rows_total(const struct rows *r)
{
    return r->nrows;
}

const char *rows_text(const struct rows *r, size_t row, size_t col)
{
    return row < r->nrows && col < r->ncols ? r->arena + r->cells[row * r->ncols + col].off : "";
}

enum theme_role rows_role(const struct rows *r, size_t row, size_t col)
{
    return row < r->nrows && col < r->ncols ? r->cells[row * r->ncols + col].role : THEME_NORMAL;
}

const char *rows_subject(const struct rows *r, size_t row)
{
    return row < r->nrows ? r->arena + r->rows[row].subject : "";
}

int rows_tag(const struct rows *r, size_t row)
{
    return row < r->nrows ? r->rows[row].tag : -1;
}

/* Whether p holds a character that means something in an extended regex. */
static bool has_meta(const char *p)
{
    return strpbrk(p, ".[]()*+?{}|^$\\") != NULL;
}

int rows_filter(struct rows *r, const char *pattern, char **cause)
{
    if (pattern == NULL)
        pattern = "";
    bool invert = pattern[0] == '!';
    bool regex = has_meta(pattern + invert);
    regex_t re;
    if (regex) {
        int rc = regcomp(&re, pattern + invert, REG_EXTENDED | REG_ICASE | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &re, msg, sizeof msg);
            xcause(cause, "filter /%.60s/: %s", pattern + invert, msg);
            return -1;
        }
    }
    if (r->regex)
        regfree(&r->re);
    r->regex = regex;
    if (regex)
        r->re = re;
    r->invert = invert;
    xstr_set(&r->pattern, pattern);
    reapply(r);
    return 0;
}

const char *rows_pattern(const struct rows *r)
{
    return r->pattern;
}

size_t rows_shown(struct rows *r)
{
    if (r->nshown == SIZE_MAX)
        reapply(r); /* lazily, once per rebuild (see rows_add) */
    return r->nshown;
}

size_t rows_row(struct rows *r, size_t shown)
{
    return shown < rows_shown(r) ? r->shown[shown] : SIZE_MAX;
}

size_t rows_find(struct rows *r, const char *subject)
{
    if (subject == NULL || subject[0] == '\0')
        return SIZE_MAX;
    size_t n = rows_shown(r);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r->arena + r->rows[r->shown[i]].subject, subject) == 0)
            return i;
    return SIZE_MAX;
}

void rows_cell(void *arg, size_t shown, size_t col, struct table_cell *out)
{
    struct rows *r = arg;
    size_t row = rows_row(r, shown);
    out->text = rows_text(r, row, col);
    out->role = rows_role(r, row, col);
    out->bold = false;
}
