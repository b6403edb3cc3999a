/*
 * rotscreen — the console's screen for the TDE protector rotation of a
 * failover group (core/rotate): plan, confirm, progress, end; the offer to
 * resume an unfinished rotation; the `:rotate` and `:resume` commands.
 *
 * The screen drives core's state machine and owns nothing of its logic: the
 * steps, their order, the checks and the journal are core's. What it adds is
 * the operator's side: the plan to read, the typed reason and group name,
 * passphrases (typed as `*`, kept in fixed buffers that are cleansed when the
 * run ends or the screen closes), every step's state, the event log, the
 * outcome, the rollback offer and the transcript export.
 *
 * Nothing here blocks: the rotation runs on the core loop and reports
 * through rotate_on_event and its callback, which mark the frame dirty; the
 * app paints it in its one pass. Esc while a run is under way hides the
 * screen (the run goes on, the header says so); `:rotate` alone shows it.
 *
 * Read-only mode: the plan is shown (it only reads), apply, resume and
 * rollback are not offered; core refuses them too.
 *
 * Ownership: the app holds at most one struct rotscreen (a->rot), made by
 * rotscreen_open or a resume and freed by rotscreen_destroy (which cancels a
 * run under way: its journal stays unfinished, so a later start offers it).
 */
#ifndef TDECTL_ROTSCREEN_H
#define TDECTL_ROTSCREEN_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "rotplan.h"

struct rotscreen;

/*
 * Opens the screen on a new plan for group (origin and, for the file origin,
 * the key file; for the offline origin, file is the escrow copy's path or
 * NULL). Refused with a message while another rotation runs.
 */
void rotscreen_open(struct app *a, const char *group, enum rot_origin origin, const char *file);
/* Brings a hidden screen back; false when there is none. */
bool rotscreen_show(struct app *a);
/* Loads an unfinished rotation's journal and resumes it (asking for its passphrases first). */
void rotscreen_resume(struct app *a, const char *journal);
void rotscreen_destroy(struct rotscreen *s);

/* A rotation, apply or rollback is under way. */
bool rotscreen_running(const struct app *a);
/* The header's badge while the screen is hidden (" [ROTATING fog-x]"), else NULL. */
const char *rotscreen_badge(const struct app *a, char *buf, size_t size);

/* The screen from line y to the bottom (its own footer on the last line). */
void rotscreen_draw(struct app *a, WINDOW *w, int y, int h, int wd);
/* Every key while the screen is in front. */
void rotscreen_key(struct app *a, bool function, int ch);

/* `:rotate [GROUP [vault|offline|file] [FILE]]` (words after the command). */
void rotscreen_command(struct app *a, char **words, size_t n);
/* `:resume [N|GROUP]`: lists unfinished rotations, or asks to resume one. */
void rotscreen_command_resume(struct app *a, const char *arg);
/* At start, in write mode: asks once about the newest unfinished rotation. */
void rotscreen_offer_resume(struct app *a);

#endif
