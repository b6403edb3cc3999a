/*
 * fuzz_kvparse — every Key Vault data-plane parser of core/kvparse.h on the
 * same input, and the key_ops name reader on the text.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzsupport.h"
#include "kvparse.h"
#include "model.h"

static void bundles(const char *body, size_t len)
{
    char *cause = NULL, *key_name = NULL, *link = NULL, **names = NULL;
    size_t n = 0;
    struct model_version v;
    memset(&v, 0, sizeof v);
    fuzz_check_cause(kvparse_key_bundle(body, len, &v, &key_name, &cause), &cause);
    model_version_cleanup(&v);
    free(key_name);
    fuzz_check_cause(kvparse_key_list(body, len, &names, &n, &link, &cause), &cause);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(link);
    link = NULL;
    struct model_version *vs = NULL;
    fuzz_check_cause(kvparse_version_list(body, len, &vs, &n, &link, &cause), &cause);
    for (size_t i = 0; i < n; i++)
        model_version_cleanup(&vs[i]);
    free(vs);
    free(link);
}

static void others(const char *body, size_t len)
{
    char *cause = NULL, *link = NULL, *kid = NULL;
    struct kv_deleted *del = NULL;
    size_t n = 0;
    fuzz_check_cause(kvparse_deleted_list(body, len, &del, &n, &link, &cause), &cause);
    kvparse_deleted_free(del, n);
    free(link);
    struct model_rotation rot;
    memset(&rot, 0, sizeof rot);
    fuzz_check_cause(kvparse_rotation_policy(body, len, &rot, &cause), &cause);
    free(rot.expiry_time);
    unsigned char *value = NULL;
    size_t vlen = 0;
    int rc = kvparse_value(body, len, &value, &vlen, &kid, &cause);
    fuzz_check_cause(rc, &cause);
    if (rc == 0 && value[vlen] != '\0')
        abort(); /* kvparse.h: NUL-terminated after *vlen bytes */
    if (value)
        OPENSSL_cleanse(value, vlen);
    free(value);
    free(kid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    bundles(body, size);
    others(body, size);
    char *text = fuzz_text(data, size);
    (void)kvparse_op_bit(text);
    free(text);
    return 0;
}
