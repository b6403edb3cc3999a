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
/* The longest region name kept (Azure's are under 25 characters). */
#define ARMID_LOCATION_MAX 64
/*
 * A region name normalised: "Japan East" -> "japaneast"; NULL when empty, longer
 * than ARMID_LOCATION_MAX, or holding anything but ASCII letters, digits, spaces
 * and tabs (a hostile answer's control characters or invalid UTF-8 never reach
 * the model, the JSON of `tdectl check` or the screen).
 */
char *armid_location(const char *location);

#endif
