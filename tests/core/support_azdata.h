/*
 * support_azdata — reading the shared Azure test data in place (never copied
 * into the repository): the official example payloads under
 * <shared>/azure-examples and the recorded sessions under
 * <shared>/azure-recordings (reference/azure-protocol.md section 10).
 *
 * Bodies are handed to callbacks as JSON text (the stored JSON printed
 * again), the way a service would send them. Everything returned is heap
 * memory for free(); the walkers fail the running cmocka test on unreadable
 * files.
 */
#ifndef TDECTL_SUPPORT_AZDATA_H
#define TDECTL_SUPPORT_AZDATA_H

#include <stddef.h>

/*
 * Sets the shared folder the paths below are relative to: tests pass their
 * TDECTL_SHARED_DIR compile definition (the support library has none).
 */
void support_azdata_init(const char *shared_dir);

/* The whole file (NUL-terminated) or NULL. */
char *support_azdata_read(const char *path, size_t *len);

/* "<shared>/<rel>" (heap). */
char *support_azdata_path(const char *rel);

/*
 * Every *.json file under <shared>/<rel>, as paths relative to <shared>
 * ("azure-examples/sql/2025-01-01/ManagedInstanceGet.json"), sorted.
 */
char **support_azdata_list(const char *rel, size_t *n);
void support_azdata_list_free(char **files, size_t n);

/* One response of an example file: status "200" / "default"; body NULL when it has none. */
typedef void (*support_azdata_response_fn)(const char *file, const char *status, const char *body,
                                           size_t len, void *arg);
/* Calls fn for each response of the example file rel; returns how many. */
size_t support_azdata_responses(const char *rel, support_azdata_response_fn fn, void *arg);
/* A JSON value of the example's "parameters" (e.g. "locationName") as text, or NULL. */
char *support_azdata_parameter(const char *rel, const char *name);

/*
 * Walks every example file under azure-examples/<folder> with a table that
 * names, per file (relative to azure-examples/), the check its success bodies
 * go to. A file missing from the table fails the test (new test data must get
 * a parser); error answers (status >= 400 or "default") go through
 * az_error_parse, which must yield a code; answers without a body are
 * counted. A success body for a table entry without a check fails the test.
 */
typedef void (*support_azdata_check_fn)(const char *file, const char *status, const char *body,
                                        size_t len);
struct support_azdata_check {
    const char *file;
    support_azdata_check_fn check;
};
struct support_azdata_counts {
    size_t files, parsed, empty, errors;
};
void support_azdata_walk(const char *folder, const struct support_azdata_check *table, size_t n,
                         struct support_azdata_counts *counts);

/*
 * Fuzz-minded variants of a JSON body, each handed to fn: every node (up to
 * the first max_nodes, the root excluded) replaced in turn by each of null,
 * 0, 1.5, -1e300, "", "x", true, [] and {} (every field of the wrong type,
 * one at a time), and the body cut at 16 places. Returns how many.
 */
typedef void (*support_azdata_mutant_fn)(const char *body, size_t len, void *arg);
size_t support_azdata_mutants(const char *body, size_t len, size_t max_nodes,
                              support_azdata_mutant_fn fn, void *arg);

/* One entry of a recording; body NULL when ResponseBody is null. */
struct support_azdata_entry {
    const char *file;
    const char *method;
    const char *uri;
    long status;
    const char *body;
    size_t len;
    const char *vault_url; /* Variables.AZURE_KEYVAULT_URL, NULL when absent */
};
typedef void (*support_azdata_entry_fn)(const struct support_azdata_entry *e, void *arg);
/* Calls fn for each entry of the recording rel; returns how many. */
size_t support_azdata_entries(const char *rel, support_azdata_entry_fn fn, void *arg);

#endif
