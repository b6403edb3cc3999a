/*
 * listview — the engine under the table views: a struct rows (the data, the
 * filter) shown through a table widget, with the movement, filter, jump and
 * selection handling every table view shares. A view fills lv->rows in its
 * rebuild between listview_begin and listview_end; the selection follows the
 * selected subject across rebuilds.
 *
 * Ownership: caller storage (init/cleanup); owns its rows and table.
 */
#ifndef TDECTL_LISTVIEW_H
#define TDECTL_LISTVIEW_H

#include <curses.h>
#include <stdbool.h>

#include "keymap.h"
#include "rows.h"
#include "table.h"
#include "theme.h"

struct listview {
    struct rows *rows;
    struct table *table;
    char *keep; /* the selected subject across a rebuild */
};

/* ncols shown columns, then hidden more (text a view keeps per row, e.g. for a detail pane). */
void listview_init(struct listview *lv, const struct table_column *cols, size_t ncols,
                   size_t hidden);
void listview_cleanup(struct listview *lv);

/* Around a rebuild: remembers the selected subject, then restores it. */
void listview_begin(struct listview *lv);
void listview_end(struct listview *lv);

void listview_draw(struct listview *lv, WINDOW *w, const struct theme *t, int y, int x, int h,
                   int wd, bool focused);
/* Movement actions; false for others. */
bool listview_act(struct listview *lv, enum action act);
int listview_filter(struct listview *lv, const char *pattern, char **cause);
const char *listview_selected(struct listview *lv);
/* The selected row (index among all rows), SIZE_MAX when none. */
size_t listview_row(struct listview *lv);
bool listview_select(struct listview *lv, const char *subject);
void listview_counts(struct listview *lv, size_t *shown, size_t *total);

/*
 * view_ops members for views whose struct begins with its struct listview
 * (so the view pointer is the listview's): movement, filter, selection,
 * counts and clicks, written once.
 */
struct app;
/* A heap listview for views that are nothing more (view_ops create/destroy). */
void *listview_create(const struct table_column *cols, size_t ncols, size_t hidden);
void listview_op_destroy(void *v);
bool listview_op_act(void *v, struct app *a, enum action act);
int listview_op_filter(void *v, const char *pattern, char **cause);
const char *listview_op_pattern(void *v);
const char *listview_op_selected(void *v);
bool listview_op_select(void *v, const char *subject);
void listview_op_counts(void *v, size_t *shown, size_t *total);
void listview_op_click(void *v, int y);

#endif
