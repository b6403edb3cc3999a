/*
 * bkscreen — the console's screen for the key backup/restore wizard
 * (core/keybackup, the machine `tdectl backup` and `tdectl restore` drive):
 * `:backup GROUP`, `:backup VAULT KEY` (B on the keys view), `:restore FILE
 * VAULT` and `:restore-test FILE VAULT`.
 *
 * The screen drives core's machine and owns nothing of its logic: the steps,
 * the constraint checks (subscription, geography, the name free live and
 * soft-deleted), the journal and the audit record are core's. What it adds
 * is the operator's side: the plan to read (a restore's checks run with it,
 * reading only), a refusal in a red box with core's explanation, the typed
 * reason a restore needs, every step's state, the event log, and the end:
 * the files written with their paths, or the fingerprints compared.
 *
 * A plan and a run are two machines: the plan's (KEYBACKUP_PLAN) is replaced
 * by the run's when `a` starts it, with the same selection.
 *
 * Nothing here blocks: the machine runs on the core loop and reports through
 * its callbacks, which mark the frame dirty. Esc while a run is under way
 * hides the screen (the run goes on, the header says so); `:backup` or
 * `:restore` alone shows it again.
 *
 * Read-only mode: the plans are shown (a restore's checks only read); running
 * is not offered (a backup is a POST, which the transport never sends then,
 * and core refuses both too).
 *
 * Ownership: the app holds at most one struct bkscreen (a->bk), freed by
 * bkscreen_destroy (which cancels a call in flight; a run's journal then has
 * no end record).
 */
#ifndef TDECTL_BKSCREEN_H
#define TDECTL_BKSCREEN_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"

struct bkscreen;

/* Opens the screen on a backup plan: every key of group, or (group NULL) vault's key. */
void bkscreen_backup(struct app *a, const char *group, const char *vault, const char *key);
/* Opens the screen on a restore plan of file into vault (test: a restore test). */
void bkscreen_restore(struct app *a, const char *file, const char *vault, bool test);
/* Brings a hidden screen back; false when there is none. */
bool bkscreen_show(struct app *a);
void bkscreen_destroy(struct bkscreen *s);

/* A backup or restore is under way. */
bool bkscreen_running(const struct app *a);
/* The header's badge while the screen is hidden (" [BACKING UP fog-x]"), else NULL. */
const char *bkscreen_badge(const struct app *a, char *buf, size_t size);

/* The screen from line y to the bottom (its own footer on the last line). */
void bkscreen_draw(struct app *a, WINDOW *w, int y, int h, int wd);
/* Every key while the screen is in front. */
void bkscreen_key(struct app *a, bool function, int ch);

/* `:backup GROUP|VAULT KEY`, `:restore FILE VAULT`, `:restore-test FILE VAULT` (words after cmd).
 */
void bkscreen_command(struct app *a, const char *cmd, char **words, size_t n);
/*
 * Completion of argument arg (1: the first; first: the first argument's word,
 * or NULL) of cmd: groups and vaults, a vault's keys, backup files by name
 * (the state folder's backups/). *out is a heap array of candidates (the
 * caller frees it); the files' names are heap too, in *files[0..*nfiles),
 * which the caller frees with every string in it. Returns the count.
 */
size_t bkscreen_candidates(struct app *a, const char *cmd, size_t arg, const char *first,
                           const char ***out, char ***files, size_t *nfiles);

#endif
