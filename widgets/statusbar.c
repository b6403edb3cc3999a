/*
 * statusbar — footer hints (see statusbar.h).
 */
#include "statusbar.h"

#include "wtext.h"

#define HINT_GAP 2

static int hint_width(const struct statusbar_hint *h)
{
    return wtext_width(h->key) + 1 + wtext_width(h->label);
}

/* Columns the right text takes, at most the whole line. */
static int right_width(const char *right, int wd)
{
    int rw = right ? wtext_width(right) : 0;
    return rw < wd ? rw : wd;
}

size_t statusbar_fit(const struct statusbar_hint *hints, size_t n, const char *right, int wd)
{
    int rw = right_width(right, wd);
    /* Keep a gap before the right text when there is one. */
    int room = wd - (rw ? rw + 1 : 0), used = 0;
    size_t shown = 0;
    for (; hints && shown < n; shown++) {
        int need = hint_width(&hints[shown]) + (shown ? HINT_GAP : 0);
        if (need > room - used)
            break;
        used += need;
    }
    return shown;
}

void statusbar_draw(WINDOW *w, const struct theme *t, int y, int x, int wd,
                    const struct statusbar_hint *hints, size_t n, const char *right,
                    enum theme_role right_role)
{
    wd = wtext_clip(w, y, x, wd);
    if (wd <= 0)
        return;
    attr_t hint = theme_attr(t, THEME_HINT), key = theme_attr(t, THEME_HINTKEY);
    wtext_fill(w, y, x, wd, hint);
    size_t shown = statusbar_fit(hints, n, right, wd);
    int cx = x;
    for (size_t i = 0; i < shown; i++) {
        cx += i ? HINT_GAP : 0;
        cx += wtext_put(w, y, cx, hints[i].key, wd, key, NULL);
        cx += wtext_put(w, y, cx, ":", 1, hint, NULL);
        cx += wtext_put(w, y, cx, hints[i].label, wd, hint, NULL);
    }
    int rw = right_width(right, wd);
    if (rw > 0) {
        if ((unsigned)right_role >= THEME_NROLES)
            right_role = THEME_HINT;
        wtext_put(w, y, x + wd - rw, right, rw, theme_attr(t, right_role),
                  theme_glyphs(t)->ellipsis);
    }
}
