/*
 * spark — sparkline formatting (see spark.h).
 */
#include "spark.h"

#include <string.h>

#define LEVELS 8

static const struct theme_glyphs fallback = {
    .spark = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"},
};

/* 0 → 0, (0, max) → 1..7 rounded, >= max → 7. */
static int level(long v, long max)
{
    if (v <= 0 || max <= 0)
        return 0;
    if (v >= max)
        return LEVELS - 1;
    /* In floating point: v * 7 would overflow a long near LONG_MAX. */
    double f = (double)v / (double)max * (LEVELS - 1);
    int l = (int)(f + 0.5);
    return l < 1 ? 1 : l > LEVELS - 1 ? LEVELS - 1 : l;
}

char *spark_format(char *buf, size_t size, const long *values, size_t n, int width, long max,
                   const struct theme_glyphs *g)
{
    if (!buf || size == 0)
        return buf;
    buf[0] = '\0';
    if (!values || n == 0 || width <= 0)
        return buf;
    if (!g)
        g = &fallback;
    size_t first = n > (size_t)width ? n - (size_t)width : 0;
    if (max <= 0) {
        for (size_t i = first; i < n; i++)
            max = values[i] > max ? values[i] : max;
    }
    size_t o = 0;
    for (size_t i = first; i < n; i++) {
        const char *s = values[i] < 0 ? " " : g->spark[level(values[i], max)];
        size_t len = s ? strlen(s) : 0;
        if (len + 1 > size - o)
            break;
        if (len)
            memcpy(buf + o, s, len);
        o += len;
    }
    buf[o] = '\0';
    return buf;
}
