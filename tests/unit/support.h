/*
 * support — helpers several unit tests share. Linked into every unit test.
 */
#ifndef TDECTL_TEST_SUPPORT_H
#define TDECTL_TEST_SUPPORT_H

/* A fresh 2048-bit RSA private key as PKCS#8 PEM (heap, free()), or NULL. */
char *support_rsa_pem(void);

#endif
