#include "listview.h"

#include <stdint.h>
#include <stdlib.h>

#include "xmem.h"

void listview_init(struct listview *lv, const struct table_column *cols, size_t ncols,
                   size_t hidden)
{
    lv->rows = rows_create(ncols + hidden);
    lv->table = table_create(cols, ncols, rows_cell, lv->rows);
    lv->keep = NULL;
}

void listview_cleanup(struct listview *lv)
{
    table_destroy(lv->table);
    rows_destroy(lv->rows);
    free(lv->keep);
}

void listview_begin(struct listview *lv)
{
    xstr_set(&lv->keep, listview_selected(lv));
    rows_clear(lv->rows);
}

void listview_end(struct listview *lv)
{
    table_set_rows(lv->table, rows_shown(lv->rows));
    size_t at = rows_find(lv->rows, lv->keep);
    if (at != SIZE_MAX)
        table_select(lv->table, at);
}

void listview_draw(struct listview *lv, WINDOW *w, const struct theme *t, int y, int x, int h,
                   int wd, bool focused)
{
    table_draw(lv->table, w, t, y, x, h, wd, focused);
}

bool listview_act(struct listview *lv, enum action act)
{
    switch (act) {
    case ACT_UP:
        table_move(lv->table, -1);
        return true;
    case ACT_DOWN:
        table_move(lv->table, 1);
        return true;
    case ACT_PAGE_UP:
        table_page(lv->table, -1);
        return true;
    case ACT_PAGE_DOWN:
        table_page(lv->table, 1);
        return true;
    case ACT_HOME:
        table_home(lv->table);
        return true;
    case ACT_END:
        table_end(lv->table);
        return true;
    default:
        return false;
    }
}

int listview_filter(struct listview *lv, const char *pattern, char **cause)
{
    const char *keep = listview_selected(lv);
    char *copy = xstrdup(keep);
    int rc = rows_filter(lv->rows, pattern, cause);
    table_set_rows(lv->table, rows_shown(lv->rows));
    size_t at = rows_find(lv->rows, copy);
    table_select(lv->table, at != SIZE_MAX ? at : 0);
    free(copy);
    return rc;
}

size_t listview_row(struct listview *lv)
{
    size_t sel = table_selected(lv->table);
    return sel == SIZE_MAX ? SIZE_MAX : rows_row(lv->rows, sel);
}

const char *listview_selected(struct listview *lv)
{
    size_t row = listview_row(lv);
    return row == SIZE_MAX ? "" : rows_subject(lv->rows, row);
}

bool listview_select(struct listview *lv, const char *subject)
{
    size_t at = rows_find(lv->rows, subject);
    if (at == SIZE_MAX)
        return false;
    table_select(lv->table, at);
    return true;
}

void listview_counts(struct listview *lv, size_t *shown, size_t *total)
{
    *shown = rows_shown(lv->rows);
    *total = rows_total(lv->rows);
}

void *listview_create(const struct table_column *cols, size_t ncols, size_t hidden)
{
    struct listview *lv = xcalloc(1, sizeof *lv);
    listview_init(lv, cols, ncols, hidden);
    return lv;
}

void listview_op_destroy(void *v)
{
    listview_cleanup(v);
    free(v);
}

bool listview_op_act(void *v, struct app *a, enum action act)
{
    (void)a;
    return listview_act(v, act);
}

int listview_op_filter(void *v, const char *pattern, char **cause)
{
    return listview_filter(v, pattern, cause);
}

const char *listview_op_pattern(void *v)
{
    return rows_pattern(((struct listview *)v)->rows);
}

const char *listview_op_selected(void *v)
{
    return listview_selected(v);
}

bool listview_op_select(void *v, const char *subject)
{
    return listview_select(v, subject);
}

void listview_op_counts(void *v, size_t *shown, size_t *total)
{
    listview_counts(v, shown, total);
}

void listview_op_click(void *v, int y)
{
    struct listview *lv = v;
    long row = table_row_at(lv->table, y);
    if (row >= 0)
        table_select(lv->table, (size_t)row);
}
