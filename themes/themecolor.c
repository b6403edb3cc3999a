/*
 * themecolor — parsing colour names and the truecolor → 256 → 16 → 8 ladder.
 */
#include "themecolor.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[16] = {
    "black",      "red",           "green",       "yellow",      "blue",        "magenta",
    "cyan",       "white",         "brightblack", "brightred",   "brightgreen", "brightyellow",
    "brightblue", "brightmagenta", "brightcyan",  "brightwhite",
};

/* xterm's defaults for the 16 colours users (and terminals) may change. */
static const uint32_t base16[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

/* The six levels of each axis of xterm's 6x6x6 colour cube (16..231). */
static const uint8_t cube[6] = {0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff};

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_hex(const char *s, struct themecolor *out)
{
    uint32_t v = 0;
    for (int i = 1; i <= 6; i++) {
        int d = hexdigit(s[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    if (s[7] != '\0')
        return -1;
    out->kind = THEMECOLOR_RGB;
    out->value = v;
    return 0;
}

/* "color0".."color255": digits only, no sign, no leading zeros but "0". */
static int parse_indexed(const char *digits, struct themecolor *out)
{
    size_t n = strlen(digits);
    if (n == 0 || n > 3 || (n > 1 && digits[0] == '0'))
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return -1;
        v = v * 10 + (digits[i] - '0');
    }
    if (v > 255)
        return -1;
    out->kind = THEMECOLOR_INDEX;
    out->value = (uint32_t)v;
    return 0;
}

int themecolor_parse(const char *s, struct themecolor *out)
{
    if (!s || !out)
        return -1;
    if (strcasecmp(s, "default") == 0) {
        out->kind = THEMECOLOR_DEFAULT;
        out->value = 0;
        return 0;
    }
    if (s[0] == '#')
        return parse_hex(s, out);
    if (strncasecmp(s, "color", 5) == 0)
        return parse_indexed(s + 5, out);
    for (int i = 0; i < 16; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            out->kind = THEMECOLOR_INDEX;
            out->value = (uint32_t)i;
            return 0;
        }
    }
    return -1;
}

uint32_t themecolor_index_rgb(int index)
{
    if (index < 0 || index > 255)
        return 0;
    if (index < 16)
        return base16[index];
    if (index >= 232) {
        uint32_t g = 8 + 10 * (uint32_t)(index - 232);
        return g << 16 | g << 8 | g;
    }
    int i = index - 16;
    return (uint32_t)cube[i / 36] << 16 | (uint32_t)cube[i / 6 % 6] << 8 | cube[i % 6];
}

static long distance2(uint32_t a, uint32_t b)
{
    long dr = (long)(a >> 16 & 0xff) - (long)(b >> 16 & 0xff);
    long dg = (long)(a >> 8 & 0xff) - (long)(b >> 8 & 0xff);
    long db = (long)(a & 0xff) - (long)(b & 0xff);
    return dr * dr + dg * dg + db * db;
}

/* Brute force over a range: 240 comparisons per role, once per theme_apply. */
static int nearest_in(uint32_t rgb, int from, int to)
{
    int best = from;
    long bestd = -1;
    for (int i = from; i <= to; i++) {
        long d = distance2(rgb, themecolor_index_rgb(i));
        if (bestd < 0 || d < bestd) {
            best = i;
            bestd = d;
        }
    }
    return best;
}

int themecolor_nearest256(uint32_t rgb)
{
    return nearest_in(rgb & 0xffffff, 16, 255);
}

int themecolor_nearest16(uint32_t rgb)
{
    return nearest_in(rgb & 0xffffff, 0, 15);
}

enum theme_depth themecolor_effective(enum theme_depth depth, int ncolors)
{
    enum theme_depth can = ncolors >= THEMECOLOR_DIRECT ? THEME_DEPTH_TRUE
                           : ncolors >= 256             ? THEME_DEPTH_256
                           : ncolors >= 8               ? THEME_DEPTH_16
                                                        : THEME_DEPTH_MONO;
    return depth < can ? depth : can;
}

/* One of the 16 on a terminal that may have only 8: bright becomes dark + bold. */
static int fit16(int index, int ncolors, bool fg, bool *bold)
{
    if (index >= 8 && ncolors < 16) {
        if (fg && bold)
            *bold = true;
        return index - 8;
    }
    return index;
}

/* Direct colour: numbers below 8 still mean the palette's first 8 (xterm-direct's
 * setaf), so an RGB value that small is nudged to 8 (#000008, still black). */
static int direct(uint32_t rgb)
{
    return rgb < 8 ? 8 : (int)rgb;
}

int themecolor_resolve(struct themecolor c, enum theme_depth depth, int ncolors, bool fg,
                       bool *bold)
{
    enum theme_depth d = themecolor_effective(depth, ncolors);
    if (c.kind == THEMECOLOR_DEFAULT || d == THEME_DEPTH_MONO)
        return -1;
    if (c.kind == THEMECOLOR_INDEX) {
        int index = (int)(c.value & 0xff);
        if (d == THEME_DEPTH_TRUE)
            return index < 8 ? index : direct(themecolor_index_rgb(index));
        if (d == THEME_DEPTH_256 || index < 16)
            return d == THEME_DEPTH_256 ? index : fit16(index, ncolors, fg, bold);
        return fit16(themecolor_nearest16(themecolor_index_rgb(index)), ncolors, fg, bold);
    }
    uint32_t rgb = c.value & 0xffffff;
    if (d == THEME_DEPTH_TRUE)
        return direct(rgb);
    if (d == THEME_DEPTH_256)
        return themecolor_nearest256(rgb);
    return fit16(themecolor_nearest16(rgb), ncolors, fg, bold);
}
