/*
 * table — a virtualised table: column headings plus as many rows as fit,
 * each cell asked of the caller only when its row is on screen, so 10,000
 * rows cost what the visible 40 do.
 *
 * The table owns a copy of the columns (titles included), the row count, the
 * selection and the scroll position; the rows themselves stay with the caller
 * behind table_cell_fn. Keys are the console's business: it calls the moves
 * below. Selection is SIZE_MAX exactly when there are no rows; every move
 * clamps. Scrolling follows the selection on the next draw.
 *
 * Column widths (recomputed each draw): every column gets its min; the width
 * left over is shared by flex weight, each up to its max (0: no limit); a
 * column whose min does not fit is dropped with everything right of it (the
 * first column is cut to the width rather than dropped). One space separates
 * columns.
 *
 * table_draw paints the header line (THEME_COLHEAD) and the rows into the
 * caller's window, never refreshing. The selected row is THEME_SELECTED when
 * focused, the blurred selection otherwise; other cells use their role, with
 * THEME_NORMAL meaning the table's base attribute.
 */
#ifndef TDECTL_TABLE_H
#define TDECTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "theme.h"

struct table_column {
    const char *title;
    int min;  /* columns always given (cut to the window when it is the first) */
    int max;  /* most it grows to; 0: no limit */
    int flex; /* share of the spare width; 0: stays at min */
    bool right;
};
struct table_cell {
    const char *text; /* NULL: empty */
    enum theme_role role;
    bool bold;
};

/* Asked only for the rows on screen. text is borrowed until the next call. */
typedef void (*table_cell_fn)(void *arg, size_t row, size_t col, struct table_cell *out);

/* Copies cols (and their titles); fn and arg are kept until destroy. */
struct table *table_create(const struct table_column *cols, size_t ncols, table_cell_fn fn,
                           void *arg);
void table_destroy(struct table *tb);
void table_set_rows(struct table *tb, size_t nrows); /* keeps the selection (clamped) */
size_t table_rows(const struct table *tb);
size_t table_selected(const struct table *tb);   /* SIZE_MAX when no rows */
void table_select(struct table *tb, size_t row); /* clamps; scrolls into view */
void table_move(struct table *tb, long delta);   /* j/k = ±1, PgDn = +page */
void table_page(struct table *tb, int dir);      /* ±1 page of the last drawn height */
void table_home(struct table *tb);
void table_end(struct table *tb);
/* Draws header line + rows into w at (y,x,h,wd). */
void table_draw(struct table *tb, WINDOW *w, const struct theme *t, int y, int x, int h, int wd,
                bool focused);
/* The row under screen row screen_y (as in MEVENT.y: the window's origin
 * plus its row) at the last draw; -1 for none (header, past the end). */
long table_row_at(const struct table *tb, int screen_y);
/* The first row on screen at the last draw (0 before any). */
size_t table_top(const struct table *tb);
/* Selection, rows or scroll changed since the last draw. */
bool table_dirty(const struct table *tb);

#endif
