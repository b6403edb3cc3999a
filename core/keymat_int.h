/*
 * keymat_int — what keymat.c and keymat_file.c share. Not for use outside them.
 */
#ifndef TDECTL_KEYMAT_INT_H
#define TDECTL_KEYMAT_INT_H

#include <openssl/evp.h>

#include "keymat.h"

/*
 * The core-dump counter (see keymat.h): enter before key material reaches
 * memory (-1 and *cause when dumps cannot be turned off; nothing to undo),
 * leave once per successful enter.
 */
int keymat_hygiene_enter(char **cause);
void keymat_hygiene_leave(void);

/* The key (borrowed until keymat_destroy). */
EVP_PKEY *keymat_pkey(const struct keymat *k);

#endif
