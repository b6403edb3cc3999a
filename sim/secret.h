/*
 * secret — freeing memory that held secrets (private keys, tokens, client
 * secrets, backup plaintext): every byte is overwritten with OPENSSL_cleanse
 * first, so the secret does not linger in freed heap memory. NULL is fine
 * everywhere.
 */
#ifndef AZSIM_SECRET_H
#define AZSIM_SECRET_H

#include <stddef.h>

#include <cjson/cJSON.h>

void secret_free(void *p, size_t len);
void secret_free_str(char *s);
/* Cleanses every string (values and names) of a tree, then deletes it. */
void secret_json_delete(cJSON *json);

#endif
