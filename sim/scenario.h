/*
 * scenario — builds a world from a scenario file (JSON).
 *
 * The same format serves two purposes: the hand-written scenarios in
 * sim/scenarios/ (relative times such as "now-200d", key material generated at
 * load) and the state azsim writes back to its --state folder (absolute times,
 * material inline as PEM). The schema is documented in docs/azsim.md.
 *
 * Errors name the field and the reason ("vaults[0].retention_days: expected a
 * whole number from 7 to 90") and nothing is half-built: on error the result
 * is NULL with *cause set.
 */
#ifndef AZSIM_SCENARIO_H
#define AZSIM_SCENARIO_H

#include <stddef.h>

struct world;

/* base_dir resolves relative file names (certificate_file, pem_file); NULL = cwd. */
struct world *scenario_load_text(const char *text, size_t len, const char *base_dir, char **cause);
struct world *scenario_load_file(const char *path, char **cause);

/* Reads a whole file (heap, NUL-terminated), refusing files over max bytes. */
char *scenario_read_file(const char *path, size_t max, size_t *len, char **cause);

#endif
