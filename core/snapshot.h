/*
 * snapshot — the last good model on disk, so a front end shows the estate in
 * milliseconds at start, marked old (model->snapshot_at) until refreshed.
 *
 * The file is JSON: {"format": "tdectl-snapshot", "version": 1, "saved_at":
 * wall ms, then every entity of the model with every field}. It holds no
 * secrets (the model has none: names, ids, URIs, thumbprints, public-key
 * fingerprints, states, error messages and request ids).
 *
 * Saving is atomic: a temporary file in the same directory, fsync, rename,
 * fsync of the directory; a crash leaves the old file or the new one, never a
 * torn one. The file is 0600; a missing parent directory is created 0700.
 *
 * Loading trusts nothing: a file larger than SNAPSHOT_MAX_BYTES, with more
 * values or deeper nesting than a snapshot has, truncated, of another version,
 * with a wrong type, an unknown or missing field, or repeated entities is
 * refused with a cause naming the place ("vaults[2].keys[0].versions[3].exp:
 * expected an integer"), and the model is left as it was (empty).
 *
 * A damaged snapshot is never overwritten blindly: snapshot_set_aside renames
 * it to PATH.corrupt-YYYYMMDDTHHMMSSZ (kept for a look, never read again), and
 * the engine does so at start before any save (engine_snapshot_note says so).
 *
 * Errors: CORE_ERR_NOT_FOUND (no snapshot yet: the normal first start),
 * CORE_ERR_IO (cannot read or write), CORE_ERR_LIMIT (too large), CORE_ERR_PARSE
 * (damaged or not a snapshot this tdectl reads), CORE_ERR_REFUSED (load into a
 * model that is not empty).
 */
#ifndef TDECTL_SNAPSHOT_H
#define TDECTL_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"

#define SNAPSHOT_VERSION   1
#define SNAPSHOT_MAX_BYTES (64 * 1024 * 1024)
/* JSON values in one file (bounds the memory a parse can take). */
#define SNAPSHOT_MAX_VALUES (4 * 1024 * 1024)
/* Elements in any one array (vaults, keys of a vault, versions of a key, ...). */
#define SNAPSHOT_MAX_ITEMS 100000

/* Writes m to path as of now_ms (wall ms, the file's saved_at). */
enum core_err snapshot_save(const struct model *m, const char *path, int64_t now_ms, char **cause);
/* Fills the empty model m from path; sets m->snapshot_at to the saved time. */
enum core_err snapshot_load(struct model *m, const char *path, char **cause);
/* snapshot_load's parser, for text already in memory (len bytes). */
enum core_err snapshot_parse(struct model *m, const char *text, size_t len, char **cause);

/*
 * Renames the (damaged) snapshot at path to path.corrupt-<UTC time of now_s>
 * (a name already taken gets -2, -3 ... up to -9): 0 and *aside (heap), or
 * -1 with *cause when it cannot be moved (then it must not be written over).
 */
int snapshot_set_aside(const char *path, int64_t now_s, char **aside, char **cause);

/* config_state_dir()/snapshot.json (heap); NULL without a home directory. */
char *snapshot_default_path(void);

#endif
