#include "fuzzsupport.h"

#include <stdlib.h>
#include <string.h>

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fuzz_check_cause(int rc, char **cause)
{
    if (rc < 0 && (*cause == NULL || **cause == '\0'))
        abort(); /* a failure without a cause breaks the parsers' contract */
    free(*cause);
    *cause = NULL;
}
