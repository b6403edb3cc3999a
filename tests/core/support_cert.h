/*
 * support_cert — throwaway RSA certificates for tests of certificate
 * credentials: a fresh 2048-bit key and a self-signed certificate for it,
 * both PEM (heap, free()). Slow-ish (RSA generation): make them once per test
 * program.
 */
#ifndef TDECTL_SUPPORT_CERT_H
#define TDECTL_SUPPORT_CERT_H

#include <sys/types.h>

/* 0 with *key_pem (PKCS#8) and *cert_pem, or -1. */
int support_cert_pair(const char *common_name, char **key_pem, char **cert_pem);

/* Writes text (a PEM, a script) to dir/name with exactly mode; the path (heap), or NULL. */
char *support_cert_file(const char *dir, const char *name, const char *text, mode_t mode);

#endif
