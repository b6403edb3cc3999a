/*
 * support — helpers several unit tests share. Linked into every unit test, and
 * through core_support into the core and integration tests.
 */
#ifndef TDECTL_TEST_SUPPORT_H
#define TDECTL_TEST_SUPPORT_H

#include <stdint.h>

/* A fresh 2048-bit RSA private key as PKCS#8 PEM (heap, free()), or NULL. */
char *support_rsa_pem(void);
/* The monotonic clock in milliseconds, for tests that wait with a deadline. */
int64_t support_mono_ms(void);

#endif
