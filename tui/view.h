/*
 * view — what every view of the console provides (topology, vaults, keys,
 * instances, findings, activity): a table of operations the app calls, so the
 * app knows nothing of what a view shows.
 *
 * rebuild runs when the data changed (model, findings or activity moved;
 * never per keystroke); draw paints the view's area of the screen from what
 * rebuild prepared; act gets the actions the keymap resolved (movement,
 * Enter, Tab) and says whether it used them.
 *
 * Ownership: the app creates each view once (create) and destroys it at exit;
 * strings a view returns are borrowed until its next rebuild.
 */
#ifndef TDECTL_VIEW_H
#define TDECTL_VIEW_H

#include <curses.h>
#include <stdbool.h>

#include "keymap.h"

struct app;

enum view_id {
    VIEW_TOPOLOGY,
    VIEW_VAULTS,
    VIEW_KEYS,
    VIEW_INSTANCES,
    VIEW_FINDINGS,
    VIEW_ACTIVITY,
    VIEW_WALL,
    VIEW_COUNT
};

struct view_ops {
    const char *name;  /* "topology": for `:` commands and --view */
    const char *title; /* "Topology" */
    void *(*create)(struct app *a);
    void (*destroy)(void *v);
    void (*rebuild)(void *v, struct app *a);
    void (*draw)(void *v, struct app *a, WINDOW *w, int y, int x, int h, int wd);
    bool (*act)(void *v, struct app *a, enum action act);
    /* The filter line: -1 with *cause for a bad pattern. */
    int (*filter)(void *v, const char *pattern, char **cause);
    const char *(*pattern)(void *v);
    /* The selected item's subject (an id, URI or name: what y copies), "" when none. */
    const char *(*selected)(void *v);
    /* Selects the item with this subject (a jump from another view); false when absent. */
    bool (*select)(void *v, const char *subject);
    /* "12 of 340": what the tab line shows for this view. */
    void (*counts)(void *v, size_t *shown, size_t *total);
    /* A mouse click on screen line y; NULL when the view has nothing clickable. */
    void (*click)(void *v, int y);
};

extern const struct view_ops view_topology_ops;
extern const struct view_ops view_vaults_ops;
extern const struct view_ops view_keys_ops;
extern const struct view_ops view_instances_ops;
extern const struct view_ops view_findings_ops;
extern const struct view_ops view_activity_ops;
extern const struct view_ops view_wall_ops;

#endif
