/*
 * tls — the certificates azsim serves HTTPS with.
 *
 * azsim is its own certificate authority: it makes a CA (EC P-256, 10 years)
 * at first start, or loads one kept in its state folder, and issues a fresh
 * server certificate (EC P-256, 1 year, backdated one hour) for the names it
 * answers to: exact DNS names and wildcards such as "*.vault.localhost", plus
 * the loopback addresses 127.0.0.1 and ::1. Clients trust the CA file azsim
 * writes; nothing ever turns verification off.
 *
 * The certificates carry what strict verifiers want: CA basicConstraints
 * critical + keyCertSign/cRLSign, leaf with digitalSignature, serverAuth EKU,
 * SAN, subject and authority key identifiers.
 *
 * Ownership: struct tls_ca is opaque, created by tls_ca_generate/tls_ca_load
 * and freed by tls_ca_destroy. Returned PEM strings are heap memory; the ones
 * holding private keys must be released with secret_free_str() (secret.h).
 */
#ifndef AZSIM_TLS_H
#define AZSIM_TLS_H

#include <stddef.h>

struct tls_ca;

struct tls_ca *tls_ca_generate(const char *common_name, char **cause);
struct tls_ca *tls_ca_load(const char *cert_pem, const char *key_pem, char **cause);
void tls_ca_destroy(struct tls_ca *ca);

char *tls_ca_cert_pem(const struct tls_ca *ca);
char *tls_ca_key_pem(const struct tls_ca *ca); /* secret */

/*
 * Issues a server certificate for dns_names[0..ndns) plus 127.0.0.1 and ::1.
 * *chain_pem gets the leaf followed by the CA certificate; *key_pem the leaf's
 * private key (PKCS#8 PEM, secret). Returns 0, or -1 with *cause.
 */
int tls_ca_issue_server(const struct tls_ca *ca, const char *const *dns_names, size_t ndns,
                        char **chain_pem, char **key_pem, char **cause);

#endif
