/*
 * textview — scrollable lines of text (help, evidence, logs), each in a role.
 *
 * The view owns copies of its lines. A line added with '\n' in it becomes
 * several lines; tabs become spaces to the next multiple of 8. Lines wrap at
 * word boundaries to the width drawn (a word longer than the width is cut),
 * and scrolling counts those wrapped rows. textview_bottom follows the end:
 * lines added later stay in view until the view is scrolled up again.
 * Scrolling clamps at the top and at the last full page. Never refreshes.
 */
#ifndef TDECTL_TEXTVIEW_H
#define TDECTL_TEXTVIEW_H

#include <stddef.h>

#include <curses.h>

#include "theme.h"

struct textview *textview_create(void);
void textview_destroy(struct textview *tv);
void textview_clear(struct textview *tv);
void textview_add(struct textview *tv, enum theme_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The lines added (before wrapping). */
size_t textview_lines(const struct textview *tv);
void textview_scroll(struct textview *tv, long delta); /* in wrapped rows */
void textview_top(struct textview *tv);
void textview_bottom(struct textview *tv);
void textview_draw(struct textview *tv, WINDOW *w, const struct theme *t, int y, int x, int h,
                   int wd);
/* The first wrapped row on screen at the last draw, and the wrapped rows in
 * all (at the last draw's width), for a "12/40" or a scroll bar. */
size_t textview_offset(const struct textview *tv);
size_t textview_rows(const struct textview *tv);

#endif
