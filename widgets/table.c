/*
 * table — virtualised table (see table.h). Drawing costs the visible rows
 * only: the cell callback is never asked for a row off screen.
 */
#include "table.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "wmem.h"
#include "wtext.h"

struct table {
    struct table_column *cols;
    size_t ncols;
    int *widths; /* at the last draw */
    table_cell_fn fn;
    void *arg;
    size_t nrows;
    size_t sel;  /* SIZE_MAX when nrows is 0 */
    size_t top;  /* first row shown */
    int page;    /* data rows shown at the last draw; 0 before any */
    int drawn_y; /* screen row of the first data row at the last draw */
    size_t drawn_top;
    bool dirty;
};

struct table *table_create(const struct table_column *cols, size_t ncols, table_cell_fn fn,
                           void *arg)
{
    struct table *tb = wmem_calloc(1, sizeof *tb);
    if (!cols)
        ncols = 0;
    tb->cols = wmem_calloc(ncols, sizeof *tb->cols);
    tb->widths = wmem_calloc(ncols, sizeof *tb->widths);
    for (size_t i = 0; i < ncols; i++) {
        tb->cols[i] = cols[i];
        tb->cols[i].title = wmem_strdup(cols[i].title);
    }
    tb->ncols = ncols;
    tb->fn = fn;
    tb->arg = arg;
    tb->sel = SIZE_MAX;
    tb->dirty = true;
    return tb;
}

void table_destroy(struct table *tb)
{
    if (!tb)
        return;
    for (size_t i = 0; i < tb->ncols; i++)
        free((char *)(uintptr_t)tb->cols[i].title);
    free(tb->cols);
    free(tb->widths);
    free(tb);
}

/* Keeps the selection on screen and the screen full when it can be. */
static void scroll_into_view(struct table *tb)
{
    size_t page = tb->page > 0 ? (size_t)tb->page : 0;
    if (tb->sel == SIZE_MAX) {
        tb->top = 0;
        return;
    }
    if (tb->sel < tb->top)
        tb->top = tb->sel;
    if (page && tb->sel >= tb->top + page)
        tb->top = tb->sel - page + 1;
    if (page && tb->nrows > page && tb->top > tb->nrows - page)
        tb->top = tb->nrows - page;
    if (page && tb->nrows <= page)
        tb->top = 0;
}

void table_set_rows(struct table *tb, size_t nrows)
{
    if (!tb || nrows == tb->nrows)
        return;
    tb->nrows = nrows;
    if (nrows == 0)
        tb->sel = SIZE_MAX;
    else if (tb->sel == SIZE_MAX)
        tb->sel = 0;
    else if (tb->sel >= nrows)
        tb->sel = nrows - 1;
    scroll_into_view(tb);
    tb->dirty = true;
}

size_t table_rows(const struct table *tb)
{
    return tb ? tb->nrows : 0;
}

size_t table_selected(const struct table *tb)
{
    return tb ? tb->sel : SIZE_MAX;
}

void table_select(struct table *tb, size_t row)
{
    if (!tb || tb->nrows == 0)
        return;
    if (row >= tb->nrows)
        row = tb->nrows - 1;
    size_t top = tb->top;
    if (row != tb->sel)
        tb->dirty = true;
    tb->sel = row;
    scroll_into_view(tb);
    if (top != tb->top)
        tb->dirty = true;
}

void table_move(struct table *tb, long delta)
{
    if (!tb || tb->nrows == 0)
        return;
    size_t row = tb->sel;
    if (delta < 0) {
        unsigned long d = (unsigned long)(-(delta + 1)) + 1; /* LONG_MIN safe */
        row = d > row ? 0 : row - d;
    } else if ((unsigned long)delta > tb->nrows - 1 - row) {
        row = tb->nrows - 1;
    } else {
        row += (size_t)delta;
    }
    table_select(tb, row);
}

void table_page(struct table *tb, int dir)
{
    if (!tb || tb->nrows == 0 || dir == 0)
        return;
    size_t page = tb->page > 0 ? (size_t)tb->page : 1;
    /* The view moves with the selection, as htop and less page. */
    if (dir > 0) {
        size_t last = tb->nrows > page ? tb->nrows - page : 0;
        tb->top = tb->top + page < last ? tb->top + page : last;
    } else {
        tb->top = tb->top > page ? tb->top - page : 0;
    }
    table_move(tb, dir > 0 ? (long)page : -(long)page);
    tb->dirty = true;
}

void table_home(struct table *tb)
{
    table_select(tb, 0);
}

void table_end(struct table *tb)
{
    if (tb && tb->nrows)
        table_select(tb, tb->nrows - 1);
}

static bool can_grow(const struct table *tb, size_t i)
{
    const struct table_column *c = &tb->cols[i];
    return c->flex > 0 && (c->max <= 0 || tb->widths[i] < c->max);
}

/* Shares spare columns by flex weight, each up to its max; what rounding
 * leaves goes one column each, left to right. */
static void share_spare(struct table *tb, size_t shown, int spare)
{
    while (spare > 0) {
        long total = 0;
        for (size_t i = 0; i < shown; i++)
            total += can_grow(tb, i) ? tb->cols[i].flex : 0;
        if (total == 0)
            return;
        int given = 0;
        for (size_t i = 0; i < shown; i++) {
            if (!can_grow(tb, i))
                continue;
            const struct table_column *c = &tb->cols[i];
            long share = (long)spare * c->flex / total;
            if (c->max > 0 && share > c->max - tb->widths[i])
                share = c->max - tb->widths[i];
            tb->widths[i] += (int)share;
            given += (int)share;
        }
        for (size_t i = 0; given == 0 && i < shown && spare > 0; i++) {
            if (can_grow(tb, i)) {
                tb->widths[i]++;
                spare--;
            }
        }
        spare -= given;
    }
}

/* Widths for wd columns; the number of columns shown. */
static size_t layout(struct table *tb, int wd)
{
    size_t shown = 0;
    int used = 0;
    for (size_t i = 0; i < tb->ncols; i++)
        tb->widths[i] = 0;
    for (; shown < tb->ncols; shown++) {
        int min = tb->cols[shown].min > 0 ? tb->cols[shown].min : 0;
        int need = min + (shown ? 1 : 0);
        if (need > wd - used)
            break;
        tb->widths[shown] = min;
        used += need;
    }
    if (shown == 0 && tb->ncols > 0 && wd > 0) {
        tb->widths[0] = wd;
        return 1;
    }
    share_spare(tb, shown, wd - used);
    return shown;
}

static void draw_header(struct table *tb, WINDOW *w, const struct theme *t, int y, int x, int wd,
                        size_t shown)
{
    attr_t a = theme_attr(t, THEME_COLHEAD);
    const char *ell = theme_glyphs(t)->ellipsis;
    int cx = x;
    for (size_t c = 0; c < shown; c++) {
        if (c > 0)
            wtext_fill(w, y, cx++, 1, a);
        wtext_field(w, y, cx, tb->cols[c].title, tb->widths[c], a, ell, tb->cols[c].right);
        cx += tb->widths[c];
    }
    wtext_fill(w, y, cx, x + wd - cx, a);
}

static void draw_row(struct table *tb, WINDOW *w, const struct theme *t, int y, int x, int wd,
                     size_t shown, size_t row, bool focused)
{
    bool selected = row == tb->sel;
    unsigned blur = focused ? 0 : THEME_MOD_BLUR;
    attr_t fill = selected ? theme_attr_mod(t, THEME_SELECTED, blur) : theme_attr(t, THEME_NORMAL);
    const char *ell = theme_glyphs(t)->ellipsis;
    int cx = x;
    for (size_t c = 0; c < shown; c++) {
        if (c > 0)
            wtext_fill(w, y, cx++, 1, fill);
        struct table_cell cell = {NULL, THEME_NORMAL, false};
        if (tb->fn)
            tb->fn(tb->arg, row, c, &cell);
        enum theme_role role = (unsigned)cell.role < THEME_NROLES ? cell.role : THEME_NORMAL;
        if (selected)
            role = THEME_SELECTED;
        unsigned mods = (cell.bold ? THEME_MOD_BOLD : 0) | (selected ? blur : 0);
        attr_t a = theme_attr_mod(t, role, mods);
        wtext_field(w, y, cx, cell.text, tb->widths[c], a, ell, tb->cols[c].right);
        cx += tb->widths[c];
    }
    wtext_fill(w, y, cx, x + wd - cx, fill);
}

void table_draw(struct table *tb, WINDOW *w, const struct theme *t, int y, int x, int h, int wd,
                bool focused)
{
    if (!tb || !w)
        return;
    wd = wtext_clip(w, y, x, wd);
    if (h > getmaxy(w) - y)
        h = getmaxy(w) - y;
    if (wd <= 0 || h <= 0)
        return;
    size_t shown = layout(tb, wd);
    draw_header(tb, w, t, y, x, wd, shown);
    tb->page = h - 1;
    scroll_into_view(tb);
    for (int r = 0; r < tb->page; r++) {
        size_t row = tb->top + (size_t)r;
        if (row < tb->nrows)
            draw_row(tb, w, t, y + 1 + r, x, wd, shown, row, focused);
        else
            wtext_fill(w, y + 1 + r, x, wd, theme_attr(t, THEME_NORMAL));
    }
    tb->drawn_y = getbegy(w) + y + 1;
    tb->drawn_top = tb->top;
    tb->dirty = false;
}

long table_row_at(const struct table *tb, int screen_y)
{
    if (!tb || tb->page <= 0 || screen_y < tb->drawn_y || screen_y - tb->drawn_y >= tb->page)
        return -1;
    size_t row = tb->drawn_top + (size_t)(screen_y - tb->drawn_y);
    return row < tb->nrows && row <= LONG_MAX ? (long)row : -1;
}

size_t table_top(const struct table *tb)
{
    return tb ? tb->drawn_top : 0;
}

bool table_dirty(const struct table *tb)
{
    return tb && tb->dirty;
}
