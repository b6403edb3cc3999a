/*
 * appsetup — everything the console needs before the terminal is touched,
 * and its teardown: the configuration, the demo's azsim (--demo), the theme,
 * the keymap, the core session (transport with the command log hooked in,
 * engine, health), the state folder and the command history.
 *
 * A failure here ends tdectl with the cause on stderr while the terminal is
 * still the shell's: nothing is drawn until setup worked.
 */
#ifndef TDECTL_APPSETUP_H
#define TDECTL_APPSETUP_H

#include "app.h"

/* Fills a from a->opt; 0, or -1 with *cause (appsetup_cleanup still runs). */
int appsetup_run(struct app *a, char **cause);
/* Loads theme name (a shipped or user theme, or a file path); NULL with *cause. */
struct theme *appsetup_theme(const struct app *a, const char *name, char **cause);
/* Frees what appsetup_run made; saves the snapshot first. */
void appsetup_cleanup(struct app *a);

#endif
