/*
 * support_tlsca — a throwaway certificate authority for TLS tests: a CA and
 * one server certificate (EC P-256) for a DNS name plus 127.0.0.1, made with
 * OpenSSL in memory. The PEM strings are heap memory owned by the struct.
 */
#ifndef TDECTL_SUPPORT_TLSCA_H
#define TDECTL_SUPPORT_TLSCA_H

struct support_tlsca {
    char *ca_pem;   /* the CA certificate: what a client trusts */
    char *cert_pem; /* the server certificate */
    char *key_pem;  /* its private key (PKCS#8) */
};

/* 0, or -1 when OpenSSL failed. */
int support_tlsca_make(struct support_tlsca *t, const char *dns_name);
void support_tlsca_cleanup(struct support_tlsca *t);

/* Writes pem to a new file under /tmp; returns its path (heap) or NULL. The caller unlinks it. */
char *support_tlsca_write(const char *pem);

#endif
