/*
 * armid — the pieces of an ARM resource id and of a region name.
 *
 * ARM ids are "/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/...]";
 * the words between values ("subscriptions", "resourceGroups", "locations",
 * ...) are compared case-insensitively, values are returned as spelled.
 * Region names arrive as "japaneast", "JapanEast" or "Japan East"; the
 * normalised form is lower-case without spaces.
 *
 * Everything returned is heap memory for free(); NULL in gives NULL out.
 */
#ifndef TDECTL_ARMID_H
#define TDECTL_ARMID_H

/* The value after the first "/{word}/" segment ("subscriptions" -> the GUID), NULL when absent. */
char *armid_segment(const char *id, const char *word);
/* The last non-empty segment (a query, if any, is ignored), NULL when none. */
char *armid_last(const char *id);
/* A region name normalised: "Japan East" -> "japaneast"; NULL when empty. */
char *armid_location(const char *location);

#endif
