/*
 * bkfile — a key backup file: the blob Key Vault's backup returned (opaque,
 * secret-equivalent: it restores the key in any vault of the same geography
 * and subscription) and tdectl's description of it, in ONE file
 * NAME.tdkb.json, so a copy can never lose half:
 *
 *   {"format": "tdectl.keybackup/v1", "created": "2026-11-29T21:40:00Z",
 *    "vault": "kv-tde-eus2", "vault_uri": "https://kv-tde-eus2.vault.azure.net",
 *    "key": "tde-protector-2025", "subscription": GUID, "region": "eastus2",
 *    "geography": "United States",
 *    "versions": [{"version": 32 hex, "fingerprint": 64 hex, "thumbprint":
 *                  40 hex or "", "enabled": bool, "exp": time or null,
 *                  "created": time}, ...],
 *    "blob_sha256": hex SHA-256 of the decoded blob,
 *    "blob": base64url (no padding) of the blob, as Key Vault sends it,
 *    "sha256": hex SHA-256 of the canonical text}
 *
 * Times are RFC 3339 UTC to the second, exactly yyyy-mm-ddThh:mm:ssZ. Hex is
 * lower-case, except thumbprints (either case, as SQL reports them).
 *
 * Canonical text (what "sha256" covers): every member above except "sha256",
 * in exactly the order shown, as compact JSON: no whitespace at all, members
 * separated by ',' and ':', strings as they are in the file (every string is
 * printable ASCII without '"' or '\', so nothing is escaped), true/false/null
 * as such. It equals Python's json.dumps(obj, separators=(",", ":")) of the
 * file's object without "sha256". The file itself is the same object with
 * "sha256" last, indented for reading.
 *
 * Reading trusts nothing: the file is at most BKFILE_MAX_BYTES, a regular
 * file (no symlink), JSON, of this format, with exactly these members (none
 * unknown, none twice), each of its type and bounds, the blob matching
 * blob_sha256 and the canonical text matching sha256. Each failure has its
 * own cause, e.g. "key backup P: the blob does not match its SHA-256: the
 * file was changed or damaged".
 *
 * Ownership: struct bkfile_meta is caller storage; bkfile_read fills it (the
 * versions array is heap, freed by bkfile_meta_cleanup) and leaves it zeroed
 * on failure. Blobs are secrets: every buffer that held one is cleansed
 * before it is freed; free a read blob with bkfile_blob_free. Files are 0600,
 * never replaced (a name already taken is refused).
 * Errors: 0, or -1 with *cause (when cause is not NULL).
 */
#ifndef TDECTL_BKFILE_H
#define TDECTL_BKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BKFILE_FORMAT       "tdectl.keybackup/v1"
#define BKFILE_MAX_BYTES    (8 * 1024 * 1024)
#define BKFILE_MAX_VERSIONS 10000

struct bkfile_version {
    char version[33];     /* 32 lower-case hex */
    char fingerprint[65]; /* model_fingerprint: 64 lower-case hex */
    char thumbprint[41];  /* 40 hex, or "" when unknown */
    bool enabled;
    int64_t exp;     /* Unix seconds; 0: none (null in the file) */
    int64_t created; /* Unix seconds, > 0 */
};

struct bkfile_meta {
    char vault[128];     /* the vault's name: [0-9A-Za-z-] */
    char vault_uri[300]; /* https://... */
    char key[128];       /* [0-9A-Za-z-] */
    char subscription[64];
    char region[64];    /* the vault's ARM location, "eastus2" */
    char geography[64]; /* "" when unknown */
    int64_t created;    /* Unix seconds, > 0: when the backup was taken */
    struct bkfile_version *versions;
    size_t nversions; /* 1..BKFILE_MAX_VERSIONS */
    char blob_sha256[65];
};

/*
 * Writes DIR/VAULT.KEY.yyyymmddThhmmssZ.tdkb.json (the time is m->created)
 * through atomfile (0600, never replacing; dir is made 0700 if missing).
 * blob is the raw backup (kv_backup_key's callback bytes, already decoded).
 * Fills m->blob_sha256; *path_out (heap; path_out may be NULL) the file.
 */
int bkfile_write(const char *dir, struct bkfile_meta *m, const unsigned char *blob, size_t len,
                 char **path_out, char **cause);
/* Reads and verifies path: m filled, *blob (heap, *len bytes) the raw backup. */
int bkfile_read(const char *path, struct bkfile_meta *m, unsigned char **blob, size_t *len,
                char **cause);
/*
 * bkfile_read's checks on text already in memory (tlen bytes, no NUL needed);
 * origin names it in causes. The text stays the caller's (a secret: cleanse it).
 */
int bkfile_parse(const char *text, size_t tlen, const char *origin, struct bkfile_meta *m,
                 unsigned char **blob, size_t *len, char **cause);
/* Frees the versions and zeroes m. */
void bkfile_meta_cleanup(struct bkfile_meta *m);
/* Cleanses and frees a blob from bkfile_read (NULL allowed). */
void bkfile_blob_free(unsigned char *blob, size_t len);
/*
 * The regular files NAME.tdkb.json in dir (dot-files skipped), newest first
 * by the time in tdectl's name, then by name; other names last. *paths is a
 * heap array of heap paths; a missing dir gives none.
 */
int bkfile_list(const char *dir, char ***paths, size_t *n, char **cause);

#endif
