#include "secret.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void secret_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, len);
    free(p);
}

void secret_free_str(char *s)
{
    if (s)
        secret_free(s, strlen(s));
}

static void cleanse_tree(cJSON *json)
{
    for (cJSON *c = json; c; c = c->next) {
        if (cJSON_IsString(c) && c->valuestring)
            OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
        cleanse_tree(c->child);
    }
}

void secret_json_delete(cJSON *json)
{
    if (json)
        cleanse_tree(json->child);
    cJSON_Delete(json);
}
