/*
 * theme and themecolor: the colour ladder (pure functions), the theme file
 * parser's errors, every shipped theme, depth detection and theme_apply on
 * real (headless) 256-, 8-colour and colourless terminals.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "theme.h"
#include "themecolor.h"
#include "wsupport.h"

#define THEMES_DIR TDECTL_SOURCE_DIR "/themes"

static const char *const shipped[] = {"default", "dark", "light", "high-contrast", "mono"};

/* ---- the ladder ---- */

static struct themecolor colour(const char *s)
{
    struct themecolor c = {THEMECOLOR_DEFAULT, 12345};
    assert_int_equal(themecolor_parse(s, &c), 0);
    return c;
}

static void test_color_parse(void **state)
{
    (void)state;
    struct themecolor c;
    assert_int_equal(colour("default").kind, THEMECOLOR_DEFAULT);
    assert_int_equal(colour("red").value, 1);
    assert_int_equal(colour("red").kind, THEMECOLOR_INDEX);
    assert_int_equal(colour("BrightWhite").value, 15);
    assert_int_equal(colour("brightblack").value, 8);
    assert_int_equal(colour("color0").value, 0);
    assert_int_equal(colour("color255").value, 255);
    assert_int_equal(colour("#FF8000").kind, THEMECOLOR_RGB);
    assert_int_equal(colour("#ff8000").value, 0xff8000);
    const char *bad[] = {"",        "color256", "color01", "color",    "color-1", "#fff",
                         "#gggggg", "#1234567", "grey",    "bright",   " red",    "red ",
                         "#12345",  "color2x",  "#",       "colour10", "defaults"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (themecolor_parse(bad[i], &c) == 0)
            fail_msg("\"%s\" parsed", bad[i]);
    }
    assert_int_equal(themecolor_parse(NULL, &c), -1);
    assert_int_equal(themecolor_parse("red", NULL), -1);
}

static void test_color_palette(void **state)
{
    (void)state;
    assert_int_equal(themecolor_index_rgb(0), 0x000000);
    assert_int_equal(themecolor_index_rgb(7), 0xe5e5e5);
    assert_int_equal(themecolor_index_rgb(16), 0x000000);
    assert_int_equal(themecolor_index_rgb(21), 0x0000ff);
    assert_int_equal(themecolor_index_rgb(67), 0x5f87af);
    assert_int_equal(themecolor_index_rgb(196), 0xff0000);
    assert_int_equal(themecolor_index_rgb(231), 0xffffff);
    assert_int_equal(themecolor_index_rgb(232), 0x080808);
    assert_int_equal(themecolor_index_rgb(255), 0xeeeeee);
    assert_int_equal(themecolor_index_rgb(-1), 0);
    assert_int_equal(themecolor_index_rgb(256), 0);
}

static void test_color_nearest(void **state)
{
    (void)state;
    assert_int_equal(themecolor_nearest256(0xff0000), 196);
    assert_int_equal(themecolor_nearest256(0x000000), 16);
    assert_int_equal(themecolor_nearest256(0xffffff), 231);
    assert_int_equal(themecolor_nearest256(0x808080), 244);
    assert_int_equal(themecolor_nearest256(0x5f87af), 67);
    assert_int_equal(themecolor_nearest256(0x5a8ab0), 67);
    assert_int_equal(themecolor_nearest256(0xe4e4e4), 254);
    assert_int_equal(themecolor_nearest256(0x010101), 16);
    /* Never one of the 16 the user may have recoloured. */
    for (uint32_t rgb = 0; rgb <= 0xffffff; rgb += 0x030507)
        assert_true(themecolor_nearest256(rgb) >= 16);
    assert_int_equal(themecolor_nearest16(0xff0000), 9);
    assert_int_equal(themecolor_nearest16(0xcd0000), 1);
    assert_int_equal(themecolor_nearest16(0xb00000), 1);
    assert_int_equal(themecolor_nearest16(0x000000), 0);
    assert_int_equal(themecolor_nearest16(0xffffff), 15);
    assert_int_equal(themecolor_nearest16(0x808080), 8);
    assert_int_equal(themecolor_nearest16(0x0000ff), 4);
    assert_int_equal(themecolor_nearest16(0xe0e0e0), 7);
    assert_int_equal(themecolor_nearest16(0x00d0d0), 6);
}

static void test_color_resolve(void **state)
{
    (void)state;
    bool bold = false;
    struct themecolor c9 = colour("brightred"), rgb = colour("#ff0000");
    /* 8 colours: bright is dark + bold, for the foreground only. */
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_16, 8, true, &bold), 1);
    assert_true(bold);
    bold = false;
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_16, 8, false, &bold), 1);
    assert_false(bold);
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_16, 8, false, NULL), 1);
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_16, 16, true, &bold), 9);
    assert_false(bold);
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_256, 256, true, &bold), 9);
    /* A 256 index at 16 colours goes to the nearest of the 16. */
    assert_int_equal(themecolor_resolve(colour("color196"), THEME_DEPTH_16, 16, true, &bold), 9);
    assert_int_equal(themecolor_resolve(colour("color196"), THEME_DEPTH_256, 256, true, &bold),
                     196);
    assert_int_equal(themecolor_resolve(colour("color196"), THEME_DEPTH_256, 8, true, &bold), 1);
    assert_true(bold);
    bold = false;
    /* #rrggbb down the ladder. */
    assert_int_equal(themecolor_resolve(rgb, THEME_DEPTH_TRUE, THEMECOLOR_DIRECT, true, &bold),
                     0xff0000);
    assert_int_equal(themecolor_resolve(rgb, THEME_DEPTH_TRUE, 256, true, &bold), 196);
    assert_int_equal(themecolor_resolve(rgb, THEME_DEPTH_256, 256, true, &bold), 196);
    assert_int_equal(themecolor_resolve(rgb, THEME_DEPTH_16, 256, true, &bold), 9);
    assert_int_equal(themecolor_resolve(rgb, THEME_DEPTH_16, 8, true, &bold), 1);
    assert_true(bold);
    /* Direct colour: below 8 is the palette, so tiny RGB values move up. */
    assert_int_equal(
        themecolor_resolve(colour("#000000"), THEME_DEPTH_TRUE, THEMECOLOR_DIRECT, true, NULL), 8);
    assert_int_equal(
        themecolor_resolve(colour("yellow"), THEME_DEPTH_TRUE, THEMECOLOR_DIRECT, true, NULL), 3);
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_TRUE, THEMECOLOR_DIRECT, true, NULL),
                     0xff0000);
    assert_int_equal(themecolor_resolve(colour("default"), THEME_DEPTH_256, 256, true, NULL), -1);
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_MONO, 256, true, NULL), -1);
    assert_int_equal(themecolor_resolve(c9, THEME_DEPTH_256, 0, true, NULL), -1);
}

static void test_color_effective(void **state)
{
    (void)state;
    assert_int_equal(themecolor_effective(THEME_DEPTH_TRUE, THEMECOLOR_DIRECT), THEME_DEPTH_TRUE);
    assert_int_equal(themecolor_effective(THEME_DEPTH_TRUE, 256), THEME_DEPTH_256);
    assert_int_equal(themecolor_effective(THEME_DEPTH_256, 8), THEME_DEPTH_16);
    assert_int_equal(themecolor_effective(THEME_DEPTH_16, 256), THEME_DEPTH_16);
    assert_int_equal(themecolor_effective(THEME_DEPTH_256, 0), THEME_DEPTH_MONO);
    assert_int_equal(themecolor_effective(THEME_DEPTH_MONO, 256), THEME_DEPTH_MONO);
}

/* ---- roles, defaults, glyphs ---- */

static void test_roles_and_defaults(void **state)
{
    (void)state;
    for (int i = 0; i < THEME_NROLES; i++) {
        const char *name = theme_role_name((enum theme_role)i);
        assert_string_not_equal(name, "?");
        for (int k = 0; k < i; k++)
            assert_string_not_equal(name, theme_role_name((enum theme_role)k));
    }
    assert_string_equal(theme_role_name(THEME_BADGE_WRITE), "badge_write");
    assert_string_equal(theme_role_name(THEME_NROLES), "?");
    struct theme *t = theme_create();
    assert_string_equal(theme_name(t), "default");
    /* Before any apply: the mono set, readable without colour. */
    assert_int_equal(theme_attr(t, THEME_SELECTED), A_REVERSE);
    assert_int_equal(theme_attr(t, THEME_CRIT), A_BOLD | A_REVERSE);
    assert_int_equal(theme_attr(t, THEME_WARN), A_BOLD);
    assert_int_equal(theme_attr(t, THEME_STALE), A_DIM);
    assert_int_equal(theme_attr(t, THEME_DIFF), A_UNDERLINE | A_BOLD);
    assert_int_equal(theme_attr(t, THEME_NORMAL), A_NORMAL);
    assert_int_equal(theme_pair(t, THEME_SELECTED), 0);
    assert_int_equal(theme_applied_depth(t), THEME_DEPTH_MONO);
    assert_int_equal(theme_attr(t, THEME_NROLES), A_NORMAL);
    assert_int_equal(theme_attr(NULL, THEME_CRIT), A_NORMAL);
    assert_int_equal(theme_attr_mod(t, THEME_NORMAL, THEME_MOD_BOLD), A_BOLD);
    assert_int_equal(theme_attr_mod(t, THEME_SELECTED, THEME_MOD_BLUR), A_REVERSE | A_DIM);
    assert_string_equal(theme_name(NULL), "");
    theme_destroy(t);
    theme_destroy(NULL);
}

static void test_glyphs(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    assert_false(theme_ascii(t));
    assert_string_equal(theme_glyphs(t)->ellipsis, "…");
    assert_string_equal(theme_glyphs(t)->spark[7], "█");
    theme_set_ascii(t, true);
    assert_true(theme_ascii(t));
    const struct theme_glyphs *g = theme_glyphs(t);
    const char *all[] = {g->ellipsis, g->up,    g->down, g->bullet,
                         g->check,    g->cross, g->warn, g->arrow};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        for (const char *p = all[i]; *p; p++)
            assert_true(*p > 0x20 && *p < 0x7f);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(strlen(g->spark[i]), 1);
        assert_true(g->spark[i][0] != ' ');
    }
    theme_set_ascii(t, false);
    assert_string_equal(theme_glyphs(t)->ellipsis, "…");
    assert_false(theme_ascii(NULL));
    theme_destroy(t);
}

/* ---- the file parser ---- */

static void parses(struct theme *t, const char *json)
{
    char *cause = NULL;
    if (theme_parse(t, json, strlen(json), "t.json", &cause) != 0)
        fail_msg("%s: %s", json, cause);
    assert_null(cause);
}

/* Fails with every word of want (separated by '|') in the message, theme unchanged. */
static void refuses(const char *json, size_t len, const char *want)
{
    struct theme *t = theme_create();
    char *cause = NULL;
    assert_int_equal(theme_parse(t, json, len, "bad.json", &cause), -1);
    assert_non_null(cause);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", want);
    for (char *p = copy, *bar; p; p = bar ? bar + 1 : NULL) {
        bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        if (!strstr(cause, p))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", json, cause, p);
    }
    assert_string_equal(theme_name(t), "default");
    assert_int_equal(theme_attr(t, THEME_SELECTED), A_REVERSE);
    free(cause);
    /* No cause pointer: still refused, nothing to free. */
    assert_int_equal(theme_parse(t, json, len, "bad.json", NULL), -1);
    theme_destroy(t);
}

static void refuse(const char *json, const char *want)
{
    refuses(json, strlen(json), want);
}

static void test_parse_ok(void **state)
{
    (void)state;
    struct theme *t = theme_create();
    parses(t, "{\"name\": \"x\", \"description\": \"d\", \"roles\": {\"title\": {\"fg\": "
              "\"#ff0000\", \"attrs\": [\"bold\", \"italic\"]}, \"crit\": {\"mono\": []}}}");
    assert_string_equal(theme_name(t), "x");
    /* Mono given empty: none; not given: the built-in set. */
    assert_int_equal(theme_attr(t, THEME_CRIT), A_NORMAL);
    assert_int_equal(theme_attr(t, THEME_TITLE), A_BOLD);
    assert_int_equal(theme_attr(t, THEME_SELECTED), A_REVERSE);
    /* No name: the file's name. Roles left out: the default's again. */
    char *cause = NULL;
    const char *json = "{\"roles\": {}}";
    assert_int_equal(theme_parse(t, json, strlen(json), "/a/b/night.json", &cause), 0);
    assert_string_equal(theme_name(t), "night");
    assert_int_equal(theme_attr(t, THEME_CRIT), A_BOLD | A_REVERSE);
    assert_int_equal(theme_parse(t, "{}", 2, NULL, &cause), 0);
    assert_string_equal(theme_name(t), "theme");
    assert_int_equal(theme_parse(t, " {}\n", 4, ".json", &cause), 0);
    assert_string_equal(theme_name(t), "custom");
    assert_null(cause);
    theme_destroy(t);
}

static void test_parse_errors(void **state)
{
    (void)state;
    refuse("{\"roles\": {\"titel\": {}}}", "bad.json: roles.titel: unknown role|selected");
    refuse("{\"roles\": {\"title\": {\"fg\": \"#ff00zz\"}}}",
           "bad.json: roles.title.fg: bad colour \"#ff00zz\"");
    refuse("{\"roles\": {\"title\": {\"bg\": \"purple\"}}}", "roles.title.bg: bad colour");
    refuse("{\"roles\": {\"title\": {\"fg\": 3}}}",
           "roles.title.fg: expected a string, got a number");
    refuse("{\"roles\": {\"title\": {\"attrs\": \"bold\"}}}",
           "roles.title.attrs: expected an array of strings, got a string");
    refuse("{\"roles\": {\"title\": {\"attrs\": [\"bold\", 1]}}}",
           "roles.title.attrs[1]: expected a string, got a number");
    refuse("{\"roles\": {\"title\": {\"mono\": [\"shiny\"]}}}",
           "roles.title.mono[0]: unknown attribute \"shiny\"");
    refuse("{\"roles\": {\"title\": {\"fgg\": \"red\"}}}",
           "roles.title.fgg: unknown field (known here: fg, bg, attrs, mono)");
    refuse("{\"roles\": {\"title\": \"red\"}}", "roles.title: expected an object, got a string");
    refuse("{\"roles\": [\"title\"]}", "bad.json: roles: expected an object, got an array");
    refuse("{\"colours\": {}}", "bad.json: colours: unknown field (known here: name, description");
    refuse("{\"name\": 7}", "name: expected a string, got a number");
    refuse("{\"name\": \"\"}", "name: must be 1 to 63 bytes");
    refuse("{\"name\": \"a\\u0001b\"}", "name: must be");
    refuse("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
           "name: must be");
    refuse("{\"description\": null}", "description: expected a string, got null");
    refuse("{\"name\": \"a\", \"name\": \"b\"}", "name: given twice");
    refuse("{\"roles\": {\"ok\": {}, \"ok\": {}}}", "roles.ok: given twice");
    refuse("{\"roles\": {\"ok\": {\"fg\": \"red\", \"fg\": \"red\"}}}", "roles.ok.fg: given twice");
    refuse("[]", "bad.json: expected a JSON object, got an array");
    refuse("", "bad.json: is not valid JSON");
    refuse("{\"roles\": {", "is not valid JSON (near byte");
    refuse("{} {}", "has text after the JSON value (byte 3)");
    refuses("{}\0{}", 5, "contains a NUL byte");
    /* A name from the file is shown printable and short. */
    refuse("{\"roles\": {\"\\u001b[31mxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\": {}}}",
           "roles.?[31mxxxxxxxxxxxxxxxxxxxxxxxxxxx...: unknown role");
    struct theme *t = theme_create();
    char *cause = NULL;
    assert_int_equal(theme_parse(t, NULL, 0, "n.json", &cause), -1);
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_int_equal(theme_parse(NULL, "{}", 2, "n.json", &cause), -1);
    free(cause);
    cause = NULL;
    assert_int_equal(theme_parse(t, "{}", (size_t)THEME_MAX_BYTES + 1, "big.json", &cause), -1);
    assert_non_null(strstr(cause, "big.json: is too large"));
    free(cause);
    theme_destroy(t);
}

static void test_parse_deep(void **state)
{
    (void)state;
    /* Deep nesting and many members: refused quickly, no crash. */
    size_t n = 200000;
    char *s = malloc(n * 2 + 1);
    assert_non_null(s);
    memset(s, '[', n);
    memset(s + n, ']', n);
    s[2 * n] = '\0';
    refuses(s, 2 * n, "bad.json:");
    free(s);
    char *many = malloc(THEME_MAX_BYTES);
    assert_non_null(many);
    size_t o = (size_t)snprintf(many, THEME_MAX_BYTES, "{\"roles\": {");
    while (o + 32 < (size_t)THEME_MAX_BYTES)
        o += (size_t)snprintf(many + o, THEME_MAX_BYTES - o, "\"ok\": {},");
    snprintf(many + o - 1, THEME_MAX_BYTES - o + 1, "}}");
    refuses(many, strlen(many), "roles.ok: given twice");
    free(many);
}

/* ---- files ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wtheme.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void write_file(const char *name, const char *text, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void remove_tmp(const char *name, bool dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    assert_int_equal(dir ? rmdir(path) : unlink(path), 0);
}

static void test_shipped_themes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        struct theme *t = theme_create();
        char path[512], *cause = NULL;
        snprintf(path, sizeof path, "%s/%s.json", THEMES_DIR, shipped[i]);
        if (theme_load_file(t, path, &cause) != 0)
            fail_msg("%s", cause);
        assert_string_equal(theme_name(t), shipped[i]);
        /* Readable without colour: the selection stands out in every one. */
        assert_true(theme_attr(t, THEME_SELECTED) & (A_REVERSE | A_STANDOUT));
        assert_true(theme_attr(t, THEME_CRIT) != A_NORMAL);
        theme_destroy(t);
    }
}

static void test_load_file_errors(void **state)
{
    (void)state;
    make_tmpdir();
    struct theme *t = theme_create();
    char path[256], *cause = NULL;
    snprintf(path, sizeof path, "%s/missing.json", tmpdir);
    assert_int_equal(theme_load_file(t, path, &cause), -1);
    assert_non_null(strstr(cause, "missing.json: cannot open"));
    assert_int_equal(theme_load_file(t, tmpdir, &cause), -1);
    assert_non_null(strstr(cause, "is not a regular file"));
    char *big = malloc(THEME_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', THEME_MAX_BYTES + 2);
    write_file("big.json", big, THEME_MAX_BYTES + 2);
    free(big);
    snprintf(path, sizeof path, "%s/big.json", tmpdir);
    assert_int_equal(theme_load_file(t, path, &cause), -1);
    assert_non_null(strstr(cause, "is too large"));
    write_file("typo.json", "{\"roles\": {\"ok\": {\"fg\": \"gren\"}}}", 33);
    snprintf(path, sizeof path, "%s/typo.json", tmpdir);
    assert_int_equal(theme_load_file(t, path, &cause), -1);
    assert_non_null(strstr(cause, "typo.json: roles.ok.fg: bad colour \"gren\""));
    assert_int_equal(theme_load_file(t, NULL, &cause), -1);
    assert_int_equal(theme_load_file(t, "", &cause), -1);
    assert_string_equal(theme_name(t), "default");
    free(cause);
    theme_destroy(t);
    remove_tmp("big.json", false);
    remove_tmp("typo.json", false);
    assert_int_equal(rmdir(tmpdir), 0);
}

static void test_find(void **state)
{
    (void)state;
    make_tmpdir();
    write_file("night.json", "{}", 2);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/dir.json", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    const char *dirs[] = {"/nonexistent", "", tmpdir, THEMES_DIR, NULL};
    char *p = theme_find("night", dirs);
    assert_non_null(p);
    char want[256];
    snprintf(want, sizeof want, "%s/night.json", tmpdir);
    assert_string_equal(p, want);
    free(p);
    p = theme_find("dark", dirs);
    assert_non_null(p);
    assert_non_null(strstr(p, "/themes/dark.json"));
    free(p);
    assert_null(theme_find("dir", dirs)); /* a directory is not a theme */
    assert_null(theme_find("nothing", dirs));
    assert_null(theme_find("", dirs));
    assert_null(theme_find(".hidden", dirs));
    assert_null(theme_find("../themes/dark", dirs));
    assert_null(theme_find("a/b", dirs));
    assert_null(theme_find(NULL, dirs));
    assert_null(theme_find("dark", NULL));
    remove_tmp("night.json", false);
    remove_tmp("dir.json", true);
    assert_int_equal(rmdir(tmpdir), 0);
}

/* ---- detection and apply on headless terminals ---- */

static enum theme_depth detect_on(const char *term, bool no_color)
{
    wsupport_start(term, 24, 80);
    enum theme_depth d = theme_detect_depth(no_color);
    wsupport_stop();
    return d;
}

static void test_detect_depth(void **state)
{
    (void)state;
    wsupport_init();
    assert_int_equal(detect_on("xterm-256color", false), THEME_DEPTH_256);
    assert_int_equal(detect_on("xterm", false), THEME_DEPTH_16);
    assert_int_equal(detect_on("linux", false), THEME_DEPTH_16);
    assert_int_equal(detect_on("vt100", false), THEME_DEPTH_MONO);
    assert_int_equal(detect_on("dumb", false), THEME_DEPTH_MONO);
    assert_int_equal(detect_on("xterm-256color", true), THEME_DEPTH_MONO);
    setenv("NO_COLOR", "1", 1);
    assert_int_equal(detect_on("xterm-256color", false), THEME_DEPTH_MONO);
    assert_int_equal(detect_on("xterm", false), THEME_DEPTH_MONO);
    setenv("NO_COLOR", "", 1); /* empty means unset (no-color.org) */
    assert_int_equal(detect_on("xterm-256color", false), THEME_DEPTH_256);
    unsetenv("NO_COLOR");
    setenv("COLORTERM", "truecolor", 1);
    assert_int_equal(detect_on("xterm-256color", false), THEME_DEPTH_TRUE);
    assert_int_equal(detect_on("xterm", false), THEME_DEPTH_16);
    setenv("COLORTERM", "24bit", 1);
    assert_int_equal(detect_on("xterm-256color", false), THEME_DEPTH_TRUE);
    setenv("COLORTERM", "yes", 1);
    assert_int_equal(detect_on("xterm-256color", false), THEME_DEPTH_256);
    unsetenv("COLORTERM");
}

static void pair_is(int pair, int fg, int bg)
{
    int f = -99, b = -99;
    assert_int_equal(extended_pair_content(pair, &f, &b), OK);
    if (f != fg || b != bg)
        fail_msg("pair %d is %d/%d, want %d/%d", pair, f, b, fg, bg);
}

static void test_apply_256(void **state)
{
    (void)state;
    wsupport_init();
    wsupport_start("xterm-256color", 24, 80);
    struct theme *t = theme_create();
    parses(t, "{\"roles\": {\"title\": {\"fg\": \"#ff0000\", \"bg\": \"color19\", \"attrs\": "
              "[\"bold\"]}, \"ok\": {\"fg\": \"brightgreen\"}}}");
    theme_apply(t, THEME_DEPTH_256);
    assert_int_equal(theme_applied_depth(t), THEME_DEPTH_256);
    for (int i = 0; i < THEME_NROLES; i++)
        assert_int_equal(theme_pair(t, (enum theme_role)i), i + 1);
    pair_is(theme_pair(t, THEME_TITLE), 196, 19);
    pair_is(theme_pair(t, THEME_OK), 10, -1);
    pair_is(theme_pair(t, THEME_NORMAL), -1, -1);
    pair_is(theme_pair(t, THEME_SELECTED), 0, 6);
    assert_int_equal(theme_attr(t, THEME_TITLE), A_BOLD | COLOR_PAIR(THEME_TITLE + 1));
    /* Truecolor asked of a 256-colour terminfo draws 256. */
    theme_apply(t, THEME_DEPTH_TRUE);
    assert_int_equal(theme_applied_depth(t), THEME_DEPTH_256);
    pair_is(theme_pair(t, THEME_TITLE), 196, 19);
    /* 16 on a 256-colour terminal: the nearest of the 16, bright kept. */
    theme_apply(t, THEME_DEPTH_16);
    pair_is(theme_pair(t, THEME_TITLE), 9, 4);
    pair_is(theme_pair(t, THEME_OK), 10, -1);
    /* MONO: no pairs, the mono set. */
    theme_apply(t, THEME_DEPTH_MONO);
    assert_int_equal(theme_pair(t, THEME_TITLE), 0);
    assert_int_equal(theme_attr(t, THEME_SELECTED), A_REVERSE);
    theme_apply(NULL, THEME_DEPTH_256);
    theme_destroy(t);
    wsupport_stop();
}

static void test_apply_8_colours(void **state)
{
    (void)state;
    const char *terms[] = {"xterm", "linux"};
    for (size_t i = 0; i < 2; i++) {
        wsupport_start(terms[i], 24, 80);
        assert_int_equal(COLORS, 8);
        struct theme *t = theme_create();
        parses(t, "{\"roles\": {\"title\": {\"fg\": \"#ff0000\", \"bg\": \"#0000ff\"}, "
                  "\"ok\": {\"fg\": \"brightgreen\", \"bg\": \"brightblack\"}}}");
        theme_apply(t, theme_detect_depth(false));
        assert_int_equal(theme_applied_depth(t), THEME_DEPTH_16);
        pair_is(theme_pair(t, THEME_TITLE), 1, 4);
        assert_true(theme_attr(t, THEME_TITLE) & A_BOLD); /* bright red = red + bold */
        pair_is(theme_pair(t, THEME_OK), 2, 0);
        assert_true(theme_attr(t, THEME_OK) & A_BOLD);
        /* The default theme's brightwhite header: white + bold. */
        theme_destroy(t);
        t = theme_create();
        theme_apply(t, THEME_DEPTH_256);
        assert_int_equal(theme_applied_depth(t), THEME_DEPTH_16);
        pair_is(theme_pair(t, THEME_HEADER), 7, 4);
        assert_true(theme_attr(t, THEME_HEADER) & A_BOLD);
        for (int r = 0; r < THEME_NROLES; r++) {
            int f, b;
            extended_pair_content(theme_pair(t, (enum theme_role)r), &f, &b);
            assert_true(f < 8 && b < 8);
        }
        theme_destroy(t);
        wsupport_stop();
    }
}

static void test_apply_without_colour(void **state)
{
    (void)state;
    /* A terminal without colours, and one where start_color was not called. */
    const char *terms[] = {"vt100", "xterm-256color"};
    for (size_t i = 0; i < 2; i++) {
        wsupport_start_nocolor(terms[i], 24, 80);
        struct theme *t = theme_create();
        theme_apply(t, THEME_DEPTH_256);
        assert_int_equal(theme_applied_depth(t), THEME_DEPTH_MONO);
        assert_int_equal(theme_pair(t, THEME_CRIT), 0);
        assert_int_equal(theme_attr(t, THEME_CRIT), A_BOLD | A_REVERSE);
        theme_destroy(t);
        wsupport_stop();
    }
}

static void test_default_file_is_builtin(void **state)
{
    (void)state;
    wsupport_start("xterm-256color", 24, 80);
    struct theme *builtin = theme_create(), *file = theme_create();
    char *cause = NULL;
    if (theme_load_file(file, THEMES_DIR "/default.json", &cause) != 0)
        fail_msg("%s", cause);
    int bf[THEME_NROLES], bb[THEME_NROLES];
    for (int depth = THEME_DEPTH_MONO; depth <= THEME_DEPTH_256; depth++) {
        theme_apply(builtin, (enum theme_depth)depth);
        for (int r = 0; r < THEME_NROLES; r++)
            extended_pair_content(theme_pair(builtin, (enum theme_role)r), &bf[r], &bb[r]);
        theme_apply(file, (enum theme_depth)depth);
        for (int r = 0; r < THEME_NROLES; r++) {
            assert_int_equal(theme_attr(file, (enum theme_role)r),
                             theme_attr(builtin, (enum theme_role)r));
            pair_is(theme_pair(file, (enum theme_role)r), bf[r], bb[r]);
        }
    }
    /* mono.json has no colours at all. */
    assert_int_equal(theme_load_file(file, THEMES_DIR "/mono.json", &cause), 0);
    theme_apply(file, THEME_DEPTH_256);
    for (int r = 0; r < THEME_NROLES; r++)
        pair_is(theme_pair(file, (enum theme_role)r), -1, -1);
    theme_destroy(builtin);
    theme_destroy(file);
    wsupport_stop();
}

int main(void)
{
    wsupport_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_color_parse),
        cmocka_unit_test(test_color_palette),
        cmocka_unit_test(test_color_nearest),
        cmocka_unit_test(test_color_resolve),
        cmocka_unit_test(test_color_effective),
        cmocka_unit_test(test_roles_and_defaults),
        cmocka_unit_test(test_glyphs),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_deep),
        cmocka_unit_test(test_shipped_themes),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_detect_depth),
        cmocka_unit_test(test_apply_256),
        cmocka_unit_test(test_apply_8_colours),
        cmocka_unit_test(test_apply_without_colour),
        cmocka_unit_test(test_default_file_is_builtin),
    };
    return wsupport_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
