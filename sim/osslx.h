/*
 * osslx — small OpenSSL helpers shared by rsakey, tls and jwt.
 */
#ifndef AZSIM_OSSLX_H
#define AZSIM_OSSLX_H

/*
 * Sets *cause to "what: <OpenSSL's reason>" (or just "what") and empties
 * OpenSSL's error queue. Do not use where the reason could be an oracle
 * (decryption failures say nothing more than that they failed).
 */
void osslx_cause(char **cause, const char *what);

/* A pem_password_cb that refuses: azsim never prompts on the terminal. */
int osslx_no_password(char *buf, int size, int rwflag, void *u);

#endif
