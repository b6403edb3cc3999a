/*
 * persist — azsim's --state folder, so a restarted emulator is the same Azure.
 *
 * Files, each 0600 in a 0700 folder:
 *   state.json       the world, in the scenario format (absolute times, key
 *                    material inline as PKCS#8 PEM, secrets included)
 *   master.key       32 random bytes that seal backup blobs
 *   signing-key.pem  the access-token signing key
 *   ca.pem, ca-key.pem  azsim's certificate authority
 *
 * Every write is atomic: a temporary file in the same folder, fsync, rename,
 * fsync of the folder. A reader therefore sees the old file or the new one,
 * never a torn one, whenever the process is killed.
 */
#ifndef AZSIM_PERSIST_H
#define AZSIM_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct world;

/* Creates the folder (0700) if needed; refuses one that others can read. */
int persist_prepare_dir(const char *dir, char **cause);

int persist_write(const char *dir, const char *name, const void *data, size_t len, char **cause);
/* Reads dir/name (heap, NUL-terminated). NULL with *missing = true when absent. */
char *persist_read(const char *dir, const char *name, size_t *len, bool *missing, char **cause);

/* The world in scenario format (delete it with secret_json_delete: it holds private keys). */
cJSON *persist_world_json(const struct world *world);
int persist_save_world(const char *dir, const struct world *world, char **cause);

#endif
