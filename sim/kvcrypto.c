/* Cryptographic operations with a key version: wrap/unwrap, encrypt/decrypt, sign/verify. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "kvint.h"
#include "rsakey.h"
#include "xmem.h"

/*
 * Which operations a version's state refuses (403 Forbidden):
 *  - disabled: the private-key operations (unwrapKey, decrypt, sign); wrap,
 *    encrypt and verify only need the public key and still work;
 *  - outside its nbf/exp window: the operations that make something new
 *    (wrapKey, encrypt, sign); unwrap, decrypt and verify keep working, so data
 *    made while the key was valid can still be recovered (Key Vault's
 *    "date-time controlled operations").
 */
struct crypto_op {
    enum kv_op op;
    unsigned keyop;   /* required in the version's key_ops */
    bool private_key; /* refused on a disabled key */
    bool makes_new;   /* refused outside the nbf/exp window */
    bool signature;   /* takes a signature algorithm */
};

static const struct crypto_op crypto_ops[] = {
    {KV_ENCRYPT, KEYOP_ENCRYPT, false, true, false},
    {KV_DECRYPT, KEYOP_DECRYPT, true, false, false},
    {KV_WRAP, KEYOP_WRAP, false, true, false},
    {KV_UNWRAP, KEYOP_UNWRAP, true, false, false},
    {KV_SIGN, KEYOP_SIGN, true, true, true},
    {KV_VERIFY, KEYOP_VERIFY, false, false, true},
};

static const struct crypto_op *find_op(enum kv_op op)
{
    for (size_t i = 0; i < sizeof crypto_ops / sizeof crypto_ops[0]; i++) {
        if (crypto_ops[i].op == op)
            return &crypto_ops[i];
    }
    return NULL;
}

/* Decodes a base64url body member; false after answering 400. */
static bool body_bytes(struct kv_ctx *ctx, const char *name, unsigned char **out, size_t *len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(ctx->body, name);
    if (!cJSON_IsString(item) ||
        b64_decode(item->valuestring, strlen(item->valuestring), out, len) < 0) {
        kv_error(ctx, 400, "BadParameter", NULL, "The parameter '%s' must be a base64url string.",
                 name);
        return false;
    }
    return true;
}

static enum rsakey_alg body_alg(struct kv_ctx *ctx, const struct crypto_op *op)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(ctx->body, "alg");
    enum rsakey_alg alg = cJSON_IsString(item) ? rsakey_alg_parse(item->valuestring) : 0;
    if (alg != RSAKEY_ALG_NONE &&
        (op->signature ? rsakey_alg_is_signature(alg) : rsakey_alg_is_encryption(alg)))
        return alg;
    kv_error(ctx, 400, "BadParameter", NULL, "Invalid algorithm '%.40s' for operation %s.",
             cJSON_IsString(item) ? item->valuestring : "", kv_opinfo(op->op)->word);
    return RSAKEY_ALG_NONE;
}

static void reply_value(struct kv_ctx *ctx, const struct key *key, const struct key_version *v,
                        const unsigned char *value, size_t len)
{
    cJSON *body = cJSON_CreateObject();
    char *kid = kv_kid(ctx, key, v);
    char *text = b64_url_encode(value, len);
    cJSON_AddStringToObject(body, "kid", kid);
    cJSON_AddStringToObject(body, "value", text);
    free(kid);
    free(text);
    kv_reply(ctx, body);
}

/* Runs the operation; in/out buffers are owned by the caller. */
static void run(struct kv_ctx *ctx, const struct crypto_op *op, enum rsakey_alg alg,
                const struct key *key, const struct key_version *v, const unsigned char *in,
                size_t inlen)
{
    unsigned char *out = NULL, *digest = NULL;
    size_t outlen = 0, dlen = 0;
    char *cause = NULL;
    int rc;
    switch (op->op) {
    case KV_ENCRYPT:
    case KV_WRAP:
        rc = rsakey_encrypt(v->material, alg, in, inlen, &out, &outlen, &cause);
        break;
    case KV_DECRYPT:
    case KV_UNWRAP:
        rc = rsakey_decrypt(v->material, alg, in, inlen, &out, &outlen, &cause);
        break;
    case KV_SIGN:
        rc = rsakey_sign(v->material, alg, in, inlen, &out, &outlen, &cause);
        break;
    default: /* KV_VERIFY */
        /* For verify, "value" is the signature and "digest" what was signed. */
        if (!body_bytes(ctx, "digest", &digest, &dlen))
            return;
        rc = rsakey_verify(v->material, alg, digest, dlen, in, inlen, &cause);
        free(digest);
        if (rc >= 0) {
            cJSON *body = cJSON_CreateObject();
            cJSON_AddBoolToObject(body, "value", rc == 1);
            kv_reply(ctx, body);
            return;
        }
        break;
    }
    if (rc < 0)
        kv_error(ctx, 400, "BadParameter", NULL, "The %s operation failed: %s",
                 kv_opinfo(op->op)->word, cause ? cause : "invalid input");
    else
        reply_value(ctx, key, v, out, outlen);
    if (out) {
        OPENSSL_cleanse(out, outlen);
        free(out);
    }
    free(cause);
}

void kv_op_crypto(struct kv_ctx *ctx)
{
    const struct crypto_op *op = find_op(ctx->route.op);
    struct key *key = kv_live_key(ctx);
    struct key_version *v = key ? kv_version(ctx, key) : NULL;
    if (v == NULL)
        return;
    const char *word = kv_opinfo(op->op)->word;
    if (!(v->ops & op->keyop)) {
        kv_error(ctx, 403, "Forbidden", "KeyOperationForbidden",
                 "Operation %s is not permitted on this key.", word);
        return;
    }
    const char *what = NULL, *inner = NULL;
    if (op->private_key && !v->enabled) {
        inner = "KeyDisabled";
        what = "a disabled key";
    } else if (op->makes_new) {
        inner = key_version_out_of_window(v, ctx->now, &what);
    }
    if (inner) {
        kv_error(ctx, 403, "Forbidden", inner, "Operation %s is not allowed on %s.", word, what);
        return;
    }
    enum rsakey_alg alg = body_alg(ctx, op);
    unsigned char *in = NULL;
    size_t inlen = 0;
    if (alg == RSAKEY_ALG_NONE || !body_bytes(ctx, "value", &in, &inlen))
        return;
    run(ctx, op, alg, key, v, in, inlen);
    OPENSSL_cleanse(in, inlen);
    free(in);
}

void kv_op_release(struct kv_ctx *ctx)
{
    struct key *key = kv_live_key(ctx);
    if (key == NULL || kv_version(ctx, key) == NULL)
        return;
    if (ctx->route.op == KV_RELEASE)
        kv_error(ctx, 403, "Forbidden", NULL,
                 "Operation release is not allowed on a key that is not exportable.");
    else
        kv_error(ctx, 400, "BadParameter", NULL,
                 "Key attestation is available for keys in a managed HSM only.");
}

void kv_op_rng(struct kv_ctx *ctx)
{
    kv_error(ctx, 400, "BadParameter", NULL,
             "Random bytes are available from a managed HSM only, not from a vault.");
}
