/*
 * themecolor — colours as theme files write them, and the ladder that turns
 * one into a colour number the terminal can show.
 *
 * A colour is "default" (the terminal's own), an index (the 16 names are
 * indices 0..15, "colorN" is N) or an exact #rrggbb. The ladder (tui-anchors
 * C3, after btop): #rrggbb is exact on a direct-colour terminal, the nearest of
 * xterm's 256 on a 256-colour one and the nearest of the 16 on a 16- or
 * 8-colour one; an index above what the terminal has goes down the same way.
 * On 8 colours a bright foreground becomes its dark twin plus bold, which is
 * how such terminals have always shown bright colours.
 *
 * Everything here is pure (no terminal needed) so the mapping is unit-tested
 * directly. No allocation, no errors beyond a -1 from themecolor_parse.
 */
#ifndef TDECTL_THEMECOLOR_H
#define TDECTL_THEMECOLOR_H

#include <stdbool.h>
#include <stdint.h>

#include "theme.h"

enum themecolor_kind {
    THEMECOLOR_DEFAULT, /* the terminal's own foreground or background */
    THEMECOLOR_INDEX,   /* value: 0..255 */
    THEMECOLOR_RGB      /* value: 0xrrggbb */
};

struct themecolor {
    enum themecolor_kind kind;
    uint32_t value;
};

/* ncurses' colour count from which colour numbers are 0xrrggbb (xterm-direct). */
#define THEMECOLOR_DIRECT 0x1000000

/* Parses "default", "red" ... "brightwhite", "color0".."color255" or "#rrggbb"
 * (names and hex digits in any case). 0, or -1 when s is none of those. */
int themecolor_parse(const char *s, struct themecolor *out);

/* The colour of xterm's default palette at index 0..255 (0 for others). */
uint32_t themecolor_index_rgb(int index);

/* The nearest (Euclidean in RGB) of the 240 fixed colours 16..255 of xterm's
 * palette: the cube and the grey ramp, which terminals do not let users
 * recolour, unlike 0..15. Ties go to the lower index. */
int themecolor_nearest256(uint32_t rgb);

/* The nearest of xterm's 16 default colours. Ties go to the lower index. */
int themecolor_nearest16(uint32_t rgb);

/* The depth a terminal of ncolors colours can really draw when depth is asked
 * for (a truecolor hint on a 256-colour terminfo still draws 256). */
enum theme_depth themecolor_effective(enum theme_depth depth, int ncolors);

/* The ncurses colour number for c at depth on a terminal of ncolors colours:
 * -1 for the terminal default. *bold becomes true when an 8-colour terminal
 * needs bold to show a bright foreground (fg true); it is left alone
 * otherwise. depth must not be THEME_DEPTH_MONO (returns -1 then). */
int themecolor_resolve(struct themecolor c, enum theme_depth depth, int ncolors, bool fg,
                       bool *bold);

#endif
