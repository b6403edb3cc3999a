/*
 * rows — the rows of one view's table: each cell a text and a theme role,
 * each row a subject (what Enter opens and y copies: an id, a URI, a name)
 * and a tag (the view's own number for it). A view rebuilds its rows in one
 * pass when the data changed; every string goes into one arena, so a 10,000
 * row view costs a handful of allocations, and clearing keeps the capacity.
 *
 * The filter (the `/` line) keeps the rows any of whose cells match:
 * case-insensitive, a plain substring unless the pattern holds a regular
 * expression character (then POSIX extended regex); a leading '!' keeps the
 * rows that do not match. Filtering is kept across rebuilds.
 *
 * Indices: "row" is the position among all rows; "shown" the position among
 * the rows the filter keeps (what the table widget sees).
 *
 * Ownership: struct rows is opaque (create/destroy); strings returned are
 * borrowed until the next rows_clear / rows_destroy.
 */
#ifndef TDECTL_ROWS_H
#define TDECTL_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "table.h"
#include "theme.h"

struct rows;

struct rows *rows_create(size_t ncols);
void rows_destroy(struct rows *r);
void rows_clear(struct rows *r);

/* A new row (empty cells, role NORMAL); its index. subject may be NULL. */
size_t rows_add(struct rows *r, const char *subject, int tag);
void rows_set(struct rows *r, size_t row, size_t col, enum theme_role role, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Every cell of the row in role (a stale row is dimmed whole). */
void rows_set_role(struct rows *r, size_t row, enum theme_role role);

size_t rows_total(const struct rows *r);
const char *rows_text(const struct rows *r, size_t row, size_t col);
enum theme_role rows_role(const struct rows *r, size_t row, size_t col);
const char *rows_subject(const struct rows *r, size_t row); /* "" when none */
int rows_tag(const struct rows *r, size_t row);

/* Sets the filter (NULL or "": none) and applies it. -1 with *cause for a bad regex. */
int rows_filter(struct rows *r, const char *pattern, char **cause);
const char *rows_pattern(const struct rows *r); /* "" when none */
size_t rows_shown(struct rows *r);              /* applies the filter to new rows first */
size_t rows_row(struct rows *r, size_t shown);  /* SIZE_MAX when out of range */
/* The shown position of the first row with this subject, SIZE_MAX when none is shown. */
size_t rows_find(struct rows *r, const char *subject);

/* A table_cell_fn over the shown rows (arg: the rows). */
void rows_cell(void *arg, size_t shown, size_t col, struct table_cell *out);

#endif
