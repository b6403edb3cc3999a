/*
 * commands — the `:` line: its commands (every action and view by name, plus
 * quit, goto, filter, theme, practice, revalidate, rotate, resume), Tab
 * completion of command names and of their arguments (group, instance, vault
 * and key names from the model, theme names, drill ids, rotation origins),
 * and the dialogs they open (quit, revalidate, resume). Mutating commands
 * (revalidate, resume) are refused in read-only mode before anything is
 * sent; the transport would refuse them too. rotate opens tui/rotscreen,
 * which offers apply only in write mode.
 */
#ifndef TDECTL_COMMANDS_H
#define TDECTL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* Command names (static storage), for completion and the help. */
const char *const *commands_names(size_t *n);
/* Adds the command line's section to the help overlay (a->help): each command with its
 * syntax, those that write only in write mode, practice only in the demo. */
void commands_help(struct app *a);
/* Completes the `:` line in a->input. */
void commands_complete(struct app *a);
/* q: asks first while a refresh or a drill is running, unless force. */
void commands_quit(struct app *a, bool force);
/* Opens the typed-confirmation dialog for revalidating an instance's protector. */
void commands_revalidate(struct app *a, const char *instance_id);
/* The dialog in front closed with this button (0: the safe one). */
void commands_dialog_done(struct app *a, size_t button);
bool commands_theme(struct app *a, const char *name);

#endif
