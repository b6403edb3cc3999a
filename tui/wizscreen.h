/*
 * wizscreen — what the console's wizard screens share (the rotation screen,
 * tui/rotscreen, and the key backup/restore screen, tui/bkscreen): the title
 * line, boxes of wrapped text (the red refusal box, the outcome), the steps
 * of a core wizard with their states in words, the event log, the prompt's
 * field on the footer line with its editing keys, scrolling, and the
 * transcript export. Both screens drive a struct wizard (core/wizard.h) and
 * own nothing of its logic; this module only draws it and takes keys.
 *
 * Drawing goes into the window given and never refreshes (the app paints
 * once). States are words and roles, never colour alone. Nothing here keeps
 * state between calls: every pointer is borrowed for the call.
 */
#ifndef TDECTL_WIZSCREEN_H
#define TDECTL_WIZSCREEN_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "wizard.h"

struct input;
struct textview;

/* The role a step's state is drawn in (running info, done ok, failed crit ...). */
enum theme_role wizscreen_state_role(enum wizard_step_state st);
/* One wizard event as a line of the log ("step 2 restore done: ...", "  call ..."). */
void wizscreen_log_event(struct textview *log, const struct wizard *wz,
                         const struct wizard_event *ev);

/* The screen's title on line y (the selected role), with word at the right in word_role. */
void wizscreen_draw_title(struct app *a, WINDOW *w, int y, int wd, const char *title,
                          const char *word, enum theme_role word_role);
/* A frame in role with text wrapped inside, at most h rows; returns the rows used. */
int wizscreen_draw_box(struct app *a, WINDOW *w, int y, int h, int wd, const char *title,
                       const char *text, enum theme_role role);
/*
 * The run: the steps (each with its state; the running or failed one's detail
 * under it, kept on screen), then the outcome box when outcome is not NULL,
 * then the log in what is left.
 */
void wizscreen_draw_run(struct app *a, WINDOW *w, int y, int h, int wd, const struct wizard *wz,
                        size_t current, const char *outcome, enum theme_role outcome_role,
                        struct textview *log);
/*
 * A prompt's field on line y: label, then the input being edited, or (secret
 * not NULL) one `*` per character of secret, never its text. The terminal
 * cursor goes after it.
 */
void wizscreen_draw_field(struct app *a, WINDOW *w, int y, int wd, const char *label,
                          struct input *in, const char *secret);

/* The editing keys of a prompt's text field (typing, Backspace, C-u, Left ...); true when used. */
bool wizscreen_edit_key(struct input *in, bool function, int ch);
/* The movement actions scroll tv; true when act was one. */
bool wizscreen_scroll(struct textview *tv, enum action act);

/*
 * Exports the run's journal as a transcript (core/transcript) into the state
 * folder's transcripts/, says where on the message line, and keeps the
 * Markdown path in *exported.
 */
void wizscreen_export(struct app *a, const char *journal, char **exported);

#endif
