#include "osslx.h"

#include <openssl/err.h>

#include "xmem.h"

void osslx_cause(char **cause, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    if (reason != NULL)
        xcause(cause, "%s: %s", what, reason);
    else
        xcause(cause, "%s", what);
    ERR_clear_error();
}

int osslx_no_password(char *buf, int size, int rwflag, void *u)
{
    return -1;
}
