/*
 * spark — a sparkline as text, for a table cell or a frame's title line.
 *
 * Pure formatting: no window, no allocation. The glyphs come from the theme
 * (▁▂▃▄▅▆▇█, or an ASCII ladder), so the same call serves both modes.
 */
#ifndef TDECTL_SPARK_H
#define TDECTL_SPARK_H

#include <stddef.h>

#include "theme.h"

/* values[0..n) oldest first; negative = no sample (a gap: ' ').
 * Writes at most width glyphs (the last width samples) scaled 0..max
 * (max<=0: the largest value); 0 is the lowest glyph, any sample above 0 at
 * least the second, max and above the highest. Stops early rather than
 * overflow buf (size bytes, always NUL-terminated when size > 0). g NULL:
 * the Unicode set. Returns buf. */
char *spark_format(char *buf, size_t size, const long *values, size_t n, int width, long max,
                   const struct theme_glyphs *g);

#endif
