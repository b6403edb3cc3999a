/*
 * rotstep — the rotation's steps: what each changes and how it is read back
 * (see rotate.h and rotate_int.h). Every effect step has an in_place
 * predicate over the last read (core/rotread); rotate.c skips a step whose
 * effect is in place and verifies every change with the same predicate.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "armclient.h"
#include "bkfile.h"
#include "keymat.h"
#include "kvclient.h"
#include "loop.h"
#include "rotate_int.h"
#include "xmem.h"

#define PROOF_ALG "RSA-OAEP-256"

static const struct rot_side *side(const struct rotate *r, bool primary)
{
    return primary ? &r->plan.pri : &r->plan.sec;
}

static const struct rot_inst *inst(const struct rotate *r, bool primary)
{
    return primary ? &r->st->pri : &r->st->sec;
}

static const struct rot_copy_version *copy_version(const struct rotate *r, bool primary)
{
    return r->st ? rotread_version(rotread_copy(r->st, &r->plan, primary), r->fp) : NULL;
}

void rotstep_copy_name(const struct rotate *r, bool primary, char *buf, size_t size)
{
    const struct rot_copy_version *v = copy_version(r, primary);
    const struct rot_side *s = r->plan.one_vault ? &r->plan.sec : side(r, primary);
    if (v)
        snprintf(buf, size, "%s_%s_%s", s->vault, r->plan.new_key, v->version);
    else if (size)
        buf[0] = '\0';
}

static char *kid(const struct rotate *r, bool primary)
{
    const struct rot_copy_version *v = copy_version(r, primary);
    const struct rot_side *s = r->plan.one_vault ? &r->plan.sec : side(r, primary);
    return xasprintf("%s/keys/%s/%s", s->vault_uri, r->plan.new_key, v ? v->version : "");
}

static struct kv_key_spec key_spec(const struct rotate *r)
{
    struct kv_key_spec spec = {.hsm = r->plan.hsm,
                               .bits = r->plan.bits,
                               .exp = r->plan.exp,
                               .ops = MODEL_OP_WRAP | MODEL_OP_UNWRAP};
    return spec;
}

static void drop_material(struct rotate *r)
{
    if (r->mat == NULL)
        return;
    keymat_destroy(r->mat);
    r->mat = NULL;
    wizard_note(&r->plan.w, "the private key was cleansed from tdectl's memory");
}

/*
 * A write's context: the side it acts on and the URL journaled. It hangs on r->call_ctx while
 * the call runs, so rotstep_cleanup frees it when the call is cancelled (rotate_destroy):
 * azure_on_cancel has one slot per call and the client wrapper's own context is in it.
 */
struct call_ctx {
    struct rotate *r;
    bool primary;
    char *url;
};

static struct call_ctx *ctx_new(struct rotate *r, bool primary, char *url)
{
    struct call_ctx *c = xcalloc(1, sizeof *c);
    c->r = r;
    c->primary = primary;
    c->url = url;
    r->call_ctx = c;
    return c;
}

/* The call ended: its context is the callback's to free. */
static struct call_ctx *ctx_take(void *arg)
{
    struct call_ctx *c = arg;
    c->r->call_ctx = NULL;
    return c;
}

static void ctx_free(struct call_ctx *c)
{
    if (c == NULL)
        return;
    free(c->url);
    free(c);
}

/* -- name-free -- */

static bool name_in_place(struct rotate *r)
{
    return r->resuming && wizard_step_data(r->records, "name-free") != NULL;
}

static void name_run(struct rotate *r)
{
    const struct rot_copy *c[2] = {&r->st->csec, &r->st->cpri};
    const char *vn[2] = {r->plan.sec.vault, r->plan.pri.vault};
    for (int i = 0; i < (r->plan.one_vault ? 1 : 2); i++) {
        bool free_name = !c[i]->exists && !c[i]->deleted;
        wizard_check(&r->plan.w, free_name, "name free", "%s in %s: %s", r->plan.new_key, vn[i],
                     c[i]->exists    ? "taken"
                     : c[i]->deleted ? "soft-deleted (reserved)"
                                     : "free");
        if (!free_name) {
            rotate_step_fail(r, ROTATE_REFUSED, "the key name %s is not free in %s",
                             r->plan.new_key, vn[i]);
            return;
        }
    }
    rotate_step_ok(r, cJSON_CreateObject(), "%s is free, live and soft-deleted", r->plan.new_key);
}

/* -- vault origin: create, backup, restore -- */

static bool create_in_place(struct rotate *r)
{
    const struct rot_copy *c = &r->st->csec;
    if (!c->exists || c->nv == 0)
        return false;
    if (r->fp[0] == '\0') /* created by this run before a crash: the name was free at its start */
        snprintf(r->fp, sizeof r->fp, "%s", c->v[c->nv - 1].fingerprint);
    return copy_version(r, false) != NULL;
}

static void on_created(const struct az_status *st, struct model_version *v, const char *key_name,
                       void *arg)
{
    (void)key_name;
    struct rotate *r = arg;
    if (st->err == CORE_OK && v->fingerprint[0])
        snprintf(r->fp, sizeof r->fp, "%s", v->fingerprint);
    model_version_cleanup(v);
    char *url = xasprintf("%s/keys/%s/create", r->plan.sec.vault_uri, r->plan.new_key);
    rotate_effect_done(r, "POST", url, st);
    free(url);
}

static void create_run(struct rotate *r)
{
    struct kv_key_spec spec = key_spec(r);
    r->call = kv_create_key(r->p.az, r->plan.sec.vault_uri, r->plan.new_key, &spec, on_created, r);
}

static bool backup_in_place(struct rotate *r)
{
    drop_material(r);
    if (r->backup_path[0] == '\0')
        return false;
    struct bkfile_meta m;
    unsigned char *blob = NULL;
    size_t len = 0;
    bool ok = false;
    if (bkfile_read(r->backup_path, &m, &blob, &len, NULL) == 0) {
        for (size_t i = 0; i < m.nversions; i++)
            ok = ok || strcmp(m.versions[i].fingerprint, r->fp) == 0;
        bkfile_meta_cleanup(&m);
        bkfile_blob_free(blob, len);
    }
    return ok;
}

static void on_backup(const struct az_status *st, const unsigned char *value, size_t len, void *arg)
{
    struct rotate *r = arg;
    struct az_status s = *st;
    char *cause = NULL;
    if (s.err == CORE_OK) {
        struct bkfile_meta m;
        memset(&m, 0, sizeof m);
        const struct rot_side *sd = &r->plan.sec;
        snprintf(m.vault, sizeof m.vault, "%s", sd->vault);
        snprintf(m.vault_uri, sizeof m.vault_uri, "%s", sd->vault_uri);
        snprintf(m.key, sizeof m.key, "%s", r->plan.new_key);
        snprintf(m.subscription, sizeof m.subscription, "%s", sd->vault_subscription);
        snprintf(m.region, sizeof m.region, "%s", sd->region);
        snprintf(m.geography, sizeof m.geography, "%s", sd->vault_geography);
        m.created = rotate_wall(r);
        const struct rot_copy *c = &r->st->csec;
        m.versions = xcalloc(c->nv ? c->nv : 1, sizeof *m.versions);
        for (size_t i = 0; i < c->nv; i++) {
            snprintf(m.versions[i].version, sizeof m.versions[i].version, "%s", c->v[i].version);
            snprintf(m.versions[i].fingerprint, sizeof m.versions[i].fingerprint, "%s",
                     c->v[i].fingerprint);
            m.versions[i].enabled = c->v[i].enabled;
            m.versions[i].exp = r->plan.exp;
            m.versions[i].created = c->v[i].created > 0 ? c->v[i].created : m.created;
        }
        m.nversions = c->nv;
        char *dir = xasprintf("%s/backups", r->state_dir), *path = NULL;
        if (bkfile_write(dir, &m, value, len, &path, &cause) < 0) {
            s.err = CORE_ERR_IO;
            s.error = cause;
        } else {
            snprintf(r->backup_path, sizeof r->backup_path, "%s", path);
            wizard_note(&r->plan.w, "backup written to %s", path);
        }
        free(path);
        free(dir);
        bkfile_meta_cleanup(&m);
    }
    char *url = xasprintf("%s/keys/%s/backup", r->plan.sec.vault_uri, r->plan.new_key);
    rotate_effect_done(r, "POST", url, &s);
    free(url);
    free(cause);
}

static void backup_run(struct rotate *r)
{
    r->call = kv_backup_key(r->p.az, r->plan.sec.vault_uri, r->plan.new_key, on_backup, r);
}

static bool restore_in_place(struct rotate *r)
{
    return copy_version(r, true) != NULL;
}

static void on_restored(const struct az_status *st, struct model_version *v, const char *key_name,
                        void *arg)
{
    (void)key_name;
    struct rotate *r = arg;
    model_version_cleanup(v);
    char *url = xasprintf("%s/keys/restore", r->plan.pri.vault_uri);
    rotate_effect_done(r, "POST", url, st);
    free(url);
}

static void restore_run(struct rotate *r)
{
    struct bkfile_meta m;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    if (bkfile_read(r->backup_path, &m, &blob, &len, &cause) < 0) {
        rotate_step_fail(r, ROTATE_FAILED, "the backup cannot be read: %s", cause);
        free(cause);
        return;
    }
    bkfile_meta_cleanup(&m);
    r->call = kv_restore_key(r->p.az, r->plan.pri.vault_uri, blob, len, on_restored, r);
    bkfile_blob_free(blob, len);
}

/* -- offline and file origins: generate or load, import -- */

static bool imported_both(struct rotate *r)
{
    return r->fp[0] && copy_version(r, false) && (r->plan.one_vault || copy_version(r, true));
}

static bool material_in_place(struct rotate *r)
{
    if (r->plan.origin == ROT_ORIGIN_FILE)
        snprintf(r->fp, sizeof r->fp, "%s", r->plan.fingerprint);
    return r->mat != NULL || imported_both(r);
}

static cJSON *fp_data(const struct rotate *r)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "fingerprint", r->fp);
    return d;
}

/* The generated key, made off the loop (RSA 3072 takes a second). */
struct gen {
    pthread_t tid;
    int bits;
    struct keymat *k;
    char *cause;
    int fd; /* write end: one byte when done */
};

static void *gen_thread(void *arg)
{
    struct gen *g = arg;
    (void)keymat_generate(g->bits, &g->k, &g->cause);
    char b = 1;
    while (write(g->fd, &b, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void generated(struct rotate *r, struct keymat *k)
{
    char fp[MODEL_FINGERPRINT_LEN];
    keymat_fingerprint(k, fp);
    if (r->fp[0] && strcmp(fp, r->fp) != 0)
        wizard_note(&r->plan.w,
                    "the material generated before the interruption was lost with that process "
                    "(no escrow): new material is generated; any version of %s the earlier "
                    "material left in a vault stays unused and unregistered",
                    r->plan.new_key);
    snprintf(r->fp, sizeof r->fp, "%s", fp);
    r->mat = k;
    cJSON *d = fp_data(r);
    if (r->plan.escrow[0]) {
        char sha[65], *cause = NULL;
        if (r->escrow_pass == NULL ||
            keymat_write_escrow(k, r->plan.escrow, r->escrow_pass, sha, &cause) < 0) {
            cJSON_Delete(d);
            rotate_step_fail(r, ROTATE_FAILED, "the escrow copy could not be written: %s",
                             cause ? cause : "no escrow passphrase given");
            free(cause);
            return;
        }
        cJSON_AddStringToObject(d, "escrow_sha256", sha);
        wizard_note(&r->plan.w, "escrow copy written to %s (sha256 %s)", r->plan.escrow, sha);
    }
    rotate_step_ok(r, d, "RSA %d generated, fingerprint %.16s…", r->plan.bits, r->fp);
}

static void on_gen_done(struct loop *loop, int fd, short revents, void *arg)
{
    (void)revents;
    struct rotate *r = arg;
    struct gen *g = r->gen;
    char b;
    if (read(fd, &b, 1) < 0 && errno == EAGAIN)
        return;
    loop_unwatch(loop, fd);
    pthread_join(g->tid, NULL);
    r->gen = NULL;
    rotstep_cleanup(r); /* closes the pipe */
    if (g->k == NULL) {
        rotate_step_fail(r, ROTATE_FAILED, "key generation failed: %s",
                         g->cause ? g->cause : "OpenSSL error");
    } else {
        generated(r, g->k);
    }
    free(g->cause);
    free(g);
}

static void generate_run(struct rotate *r)
{
    if (r->resuming && r->plan.escrow[0] && r->fp[0] && access(r->plan.escrow, F_OK) == 0) {
        struct keymat *k = NULL;
        char *cause = NULL, fp[MODEL_FINGERPRINT_LEN];
        if (keymat_load_file(r->plan.escrow, r->escrow_pass, &k, &cause) < 0) {
            rotate_step_fail(r, ROTATE_FAILED, "the escrow copy cannot be read: %s", cause);
            free(cause);
            return;
        }
        keymat_fingerprint(k, fp);
        if (strcmp(fp, r->fp) != 0) {
            keymat_destroy(k);
            rotate_step_fail(r, ROTATE_VERIFY, "the escrow copy %s holds other material",
                             r->plan.escrow);
            return;
        }
        r->mat = k;
        rotate_step_ok(r, fp_data(r), "material reloaded from the escrow copy");
        return;
    }
    if (r->plan.escrow[0] && access(r->plan.escrow, F_OK) == 0) {
        rotate_step_fail(r, ROTATE_FAILED, "the escrow path %s exists: tdectl never overwrites it",
                         r->plan.escrow);
        return;
    }
    struct gen *g = xcalloc(1, sizeof *g);
    g->bits = r->plan.bits;
    if (pipe(r->gen_pipe) < 0) {
        free(g);
        rotate_step_fail(r, ROTATE_FAILED, "pipe: %s", strerror(errno));
        return;
    }
    g->fd = r->gen_pipe[1];
    r->gen = g;
    if (pthread_create(&g->tid, NULL, gen_thread, g) != 0) {
        r->gen = NULL;
        rotstep_cleanup(r);
        free(g);
        rotate_step_fail(r, ROTATE_FAILED, "cannot start the key generator");
        return;
    }
    loop_watch(r->p.loop, r->gen_pipe[0], POLLIN, on_gen_done, r);
    wizard_note(&r->plan.w, "generating RSA %d…", r->plan.bits);
}

static void load_run(struct rotate *r)
{
    struct keymat *k = NULL;
    char *cause = NULL, sha[65], fp[MODEL_FINGERPRINT_LEN];
    if (keymat_load_file(r->plan.key_file, r->key_pass, &k, &cause) < 0 ||
        keymat_file_sha256(r->plan.key_file, sha, &cause) < 0) {
        keymat_destroy(k);
        rotate_step_fail(r, ROTATE_FAILED, "%s", cause ? cause : "the key file cannot be read");
        free(cause);
        return;
    }
    keymat_fingerprint(k, fp);
    if (strcmp(sha, r->plan.key_file_sha256) != 0 || strcmp(fp, r->plan.fingerprint) != 0) {
        keymat_destroy(k);
        rotate_step_fail(r, ROTATE_VERIFY, "%s changed since the plan (its SHA-256 or key differs)",
                         r->plan.key_file);
        return;
    }
    r->mat = k;
    snprintf(r->fp, sizeof r->fp, "%s", fp);
    rotate_step_ok(r, fp_data(r), "loaded %s (sha256 %.16s…)", r->plan.key_file, sha);
}

static bool import_sec_in_place(struct rotate *r)
{
    return r->fp[0] && copy_version(r, false) != NULL;
}

static bool import_pri_in_place(struct rotate *r)
{
    return r->fp[0] && copy_version(r, true) != NULL;
}

static void on_imported(const struct az_status *st, struct model_version *v, const char *key_name,
                        void *arg)
{
    (void)key_name;
    struct call_ctx *c = ctx_take(arg);
    model_version_cleanup(v);
    rotate_effect_done(c->r, "PUT", c->url, st);
    ctx_free(c);
}

static void import(struct rotate *r, bool primary)
{
    if (r->mat == NULL) {
        rotate_step_fail(r, ROTATE_FAILED,
                         "the private key is not in memory: resume re-runs generate or load");
        return;
    }
    char *jwk = NULL, *cause = NULL;
    if (keymat_jwk(r->mat, &jwk, &cause) < 0) {
        rotate_step_fail(r, ROTATE_FAILED, "%s", cause);
        free(cause);
        return;
    }
    struct call_ctx *c =
        ctx_new(r, primary, xasprintf("%s/keys/%s", side(r, primary)->vault_uri, r->plan.new_key));
    struct kv_key_spec spec = key_spec(r);
    r->call = kv_import_key(r->p.az, side(r, primary)->vault_uri, r->plan.new_key, jwk, &spec,
                            on_imported, c);
    keymat_secret_free(jwk);
}

static void import_sec_run(struct rotate *r)
{
    import(r, false);
}

static void import_pri_run(struct rotate *r)
{
    import(r, true);
}

/* -- checks: identical material, proof of the private key -- */

static void verify_run(struct rotate *r)
{
    drop_material(r);
    const struct rot_copy_version *s = copy_version(r, false), *p = copy_version(r, true);
    bool ok = r->fp[0] && s && p && s->enabled && p->enabled;
    wizard_check(&r->plan.w, ok, "identical public keys", "%s in %s: %s; in %s: %s",
                 r->plan.new_key, r->plan.sec.vault,
                 s ? (s->enabled ? "match" : "disabled") : "missing", r->plan.pri.vault,
                 p ? (p->enabled ? "match" : "disabled") : "missing");
    if (!ok) {
        rotate_step_fail(r, ROTATE_VERIFY,
                         "the vaults do not both hold an enabled copy with fingerprint %.16s…",
                         r->fp);
        return;
    }
    rotate_step_ok(r, fp_data(r), "both vaults hold the same public key (fingerprint %.16s…)",
                   r->fp);
}

static void prove_next(struct rotate *r);

static void on_proof(const struct az_status *st, const unsigned char *value, size_t len, void *arg)
{
    struct rotate *r = arg;
    r->call = NULL;
    bool wrap = r->phase % 2 == 0, primary = r->phase == 1 || r->phase == 2;
    char *url = kid(r, primary);
    char *full = xasprintf("%s/%s", url, wrap ? "wrapkey" : "unwrapkey");
    wizard_call(&r->plan.w, "POST", full, st);
    free(full);
    free(url);
    if (st->err != CORE_OK) {
        rotate_step_fail(r, ROTATE_FAILED, "%s in %s: %s", wrap ? "wrap" : "unwrap",
                         side(r, primary)->vault, st->error ? st->error : core_err_name(st->err));
        return;
    }
    if (wrap) {
        OPENSSL_clear_free(r->wrapped, r->wrapped_len);
        r->wrapped = xmalloc(len ? len : 1);
        memcpy(r->wrapped, value, len);
        r->wrapped_len = len;
    } else {
        bool same = len == sizeof r->proof && CRYPTO_memcmp(value, r->proof, len) == 0;
        wizard_check(&r->plan.w, same, "same private key",
                     "a value wrapped in %s %s unwrapped in %s", side(r, !primary)->vault,
                     same ? "was" : "was NOT", side(r, primary)->vault);
        if (!same) {
            rotate_step_fail(r, ROTATE_VERIFY, "%s and %s do not hold the same private key",
                             r->plan.sec.vault, r->plan.pri.vault);
            return;
        }
    }
    r->phase++;
    prove_next(r);
}

static void prove_next(struct rotate *r)
{
    if (r->phase == 4) {
        OPENSSL_clear_free(r->wrapped, r->wrapped_len);
        r->wrapped = NULL;
        OPENSSL_cleanse(r->proof, sizeof r->proof);
        rotate_step_ok(r, NULL, "each vault unwrapped what the other wrapped");
        return;
    }
    /* 0: wrap in the secondary's vault, 1: unwrap in the primary's, 2 and 3 the reverse. */
    bool primary = r->phase == 1 || r->phase == 2;
    char *k = kid(r, primary);
    if (r->phase % 2 == 0)
        r->call = kv_wrap(r->p.az, k, PROOF_ALG, r->proof, sizeof r->proof, on_proof, r);
    else
        r->call = kv_unwrap(r->p.az, k, PROOF_ALG, r->wrapped, r->wrapped_len, on_proof, r);
    free(k);
}

static void prove_run(struct rotate *r)
{
    if (copy_version(r, false) == NULL || copy_version(r, true) == NULL) {
        rotate_step_fail(r, ROTATE_VERIFY, "a copy of %s is missing", r->plan.new_key);
        return;
    }
    if (RAND_bytes(r->proof, sizeof r->proof) != 1) {
        rotate_step_fail(r, ROTATE_FAILED, "no random bytes from OpenSSL");
        return;
    }
    r->phase = 0;
    prove_next(r);
}

/* -- registration and protectors -- */

static bool registered(struct rotate *r, bool on_primary)
{
    char ns[400], np[400];
    rotstep_copy_name(r, false, ns, sizeof ns);
    rotstep_copy_name(r, true, np, sizeof np);
    if (ns[0] == '\0' || np[0] == '\0')
        return false;
    const struct model_server_key *a = rotread_key(inst(r, on_primary), ns);
    const struct model_server_key *b = rotread_key(inst(r, on_primary), np);
    return a && b && a->thumbprint && b->thumbprint &&
           strcasecmp(a->thumbprint, b->thumbprint) == 0;
}

static bool reg_sec_in_place(struct rotate *r)
{
    return registered(r, false);
}

static bool reg_pri_in_place(struct rotate *r)
{
    return registered(r, true);
}

static void register_next(struct rotate *r, bool on_primary);

static void on_registered(const struct az_status *st, struct model_server_key *k, void *arg)
{
    struct call_ctx *c = ctx_take(arg);
    struct rotate *r = c->r;
    model_server_key_cleanup(k);
    r->call = NULL;
    /* The first of two: journal it and go on; the last goes through verification. */
    if (st->err == CORE_OK && r->phase == 0 && !r->plan.one_vault) {
        wizard_call(&r->plan.w, "PUT", c->url, st);
        r->phase = 1;
        bool on_primary = c->primary;
        ctx_free(c);
        register_next(r, on_primary);
        return;
    }
    rotate_effect_done(r, "PUT", c->url, st);
    ctx_free(c);
}

static void register_next(struct rotate *r, bool on_primary)
{
    bool copy_primary = r->phase == 1; /* the secondary's vault copy first */
    char *k = kid(r, copy_primary), name[400];
    rotstep_copy_name(r, copy_primary, name, sizeof name);
    struct call_ctx *c =
        ctx_new(r, on_primary, xasprintf("%s/keys/%s", side(r, on_primary)->instance_id, name));
    r->call = arm_put_server_key(r->p.az, side(r, on_primary)->instance_id, k, on_registered, c);
    free(k);
}

static void reg_sec_run(struct rotate *r)
{
    r->phase = 0;
    register_next(r, false);
}

static void reg_pri_run(struct rotate *r)
{
    r->phase = 0;
    register_next(r, true);
}

static bool protector_is(const struct rotate *r, bool primary, const char *name)
{
    const char *cur = inst(r, primary)->protector.server_key_name;
    return name[0] && cur && strcasecmp(cur, name) == 0;
}

static bool protect_in_place(struct rotate *r, bool primary)
{
    char name[400];
    rotstep_copy_name(r, r->plan.one_vault ? false : primary, name, sizeof name);
    return protector_is(r, primary, name);
}

static bool prot_sec_in_place(struct rotate *r)
{
    return protect_in_place(r, false);
}

static bool prot_pri_in_place(struct rotate *r)
{
    return protect_in_place(r, true);
}

static void on_protector(const struct az_status *st, struct model_protector *p, void *arg)
{
    struct call_ctx *c = ctx_take(arg);
    model_protector_cleanup(p);
    rotate_effect_done(c->r, "PUT", c->url, st);
    ctx_free(c);
}

static void set_protector(struct rotate *r, bool primary, const char *name)
{
    struct call_ctx *c = ctx_new(
        r, primary, xasprintf("%s/encryptionProtector/current", side(r, primary)->instance_id));
    r->call =
        arm_set_protector(r->p.az, side(r, primary)->instance_id, name, false, on_protector, c);
}

static void protect(struct rotate *r, bool primary)
{
    char name[400];
    rotstep_copy_name(r, r->plan.one_vault ? false : primary, name, sizeof name);
    if (name[0] == '\0') {
        rotate_step_fail(r, ROTATE_FAILED, "the new key's copy in %s cannot be found",
                         side(r, primary)->vault);
        return;
    }
    set_protector(r, primary, name);
}

static void prot_sec_run(struct rotate *r)
{
    protect(r, false);
}

static void prot_pri_run(struct rotate *r)
{
    protect(r, true);
}

/* -- the watch -- */

static void watch_poll(struct rotate *r);

static void on_watch_timer(struct loop *loop, void *arg)
{
    (void)loop;
    struct rotate *r = arg;
    r->timer = 0;
    rotate_reread(r, watch_poll);
}

static void watch_poll(struct rotate *r)
{
    char what[160];
    if (r->st == NULL || r->st->err != CORE_OK) {
        wizard_note(&r->plan.w, "watch: a read failed (%s); watching on",
                    r->st && r->st->error ? r->st->error : "no answer");
    } else {
        r->watch_polls++;
        for (int i = 0; i < 2; i++) {
            bool primary = i == 0;
            if (rotread_inaccessible(inst(r, primary), what, sizeof what)) {
                rotate_step_fail(r, ROTATE_VERIFY, "%s: database %s", side(r, primary)->instance,
                                 what);
                return;
            }
            if (!protect_in_place(r, primary)) {
                rotate_step_fail(r, ROTATE_VERIFY, "%s is no longer on the new protector",
                                 side(r, primary)->instance);
                return;
            }
        }
    }
    int64_t left = r->watch_end - rotate_wall(r);
    if (left <= 0) {
        size_t dbs = r->st ? r->st->pri.ndbs + r->st->sec.ndbs : 0;
        wizard_check(&r->plan.w, true, "watch",
                     "PASS: %zu databases online through %u reads over %lld s; both protectors "
                     "on the new key",
                     dbs, r->watch_polls, (long long)r->plan.watch_s);
        rotate_step_ok(r, NULL, "PASS: no database Inaccessible, both instances on %s",
                       r->plan.new_key);
        return;
    }
    int64_t every = r->p.poll_ms;
    if (r->plan.watch_s * 1000 / 5 < every)
        every = r->plan.watch_s * 1000 / 5;
    if (every > left * 1000)
        every = left * 1000;
    r->timer = loop_timer(r->p.loop, every < 200 ? 200 : every, on_watch_timer, r);
}

static void watch_run(struct rotate *r)
{
    r->watch_end = rotate_wall(r) + r->plan.watch_s;
    r->watch_polls = 0;
    wizard_note(&r->plan.w, "watching %s and %s for %lld s", r->plan.pri.instance,
                r->plan.sec.instance, (long long)r->plan.watch_s);
    watch_poll(r);
}

/* -- rollback -- */

static bool rb_sec_in_place(struct rotate *r)
{
    return protector_is(r, false, r->plan.sec.prev_key);
}

static bool rb_pri_in_place(struct rotate *r)
{
    return protector_is(r, true, r->plan.pri.prev_key);
}

static void rb_sec_run(struct rotate *r)
{
    set_protector(r, false, r->plan.sec.prev_key);
}

static void rb_pri_run(struct rotate *r)
{
    set_protector(r, true, r->plan.pri.prev_key);
}

static const struct rotstep steps[] = {
    {"name-free", name_in_place, name_run},
    {"create", create_in_place, create_run},
    {"backup", backup_in_place, backup_run},
    {"restore", restore_in_place, restore_run},
    {"generate", material_in_place, generate_run},
    {"load", material_in_place, load_run},
    {"import-secondary", import_sec_in_place, import_sec_run},
    {"import-primary", import_pri_in_place, import_pri_run},
    {"verify-material", NULL, verify_run},
    {"prove-material", NULL, prove_run},
    {"register-secondary", reg_sec_in_place, reg_sec_run},
    {"register-primary", reg_pri_in_place, reg_pri_run},
    {"protect-secondary", prot_sec_in_place, prot_sec_run},
    {"protect-primary", prot_pri_in_place, prot_pri_run},
    {"watch", NULL, watch_run},
    {"rollback-secondary", rb_sec_in_place, rb_sec_run},
    {"rollback-primary", rb_pri_in_place, rb_pri_run},
};

const struct rotstep *rotstep_find(const char *id)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (strcmp(steps[i].id, id) == 0)
            return &steps[i];
    return NULL;
}

void rotstep_cleanup(struct rotate *r)
{
    struct gen *g = r->gen;
    if (g) { /* destroyed while generating: wait for the thread, then drop its key */
        loop_unwatch(r->p.loop, r->gen_pipe[0]);
        pthread_join(g->tid, NULL);
        keymat_destroy(g->k);
        free(g->cause);
        free(g);
        r->gen = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (r->gen_pipe[i] >= 0) {
            close(r->gen_pipe[i]);
            r->gen_pipe[i] = -1;
        }
    if (r->mat) {
        keymat_destroy(r->mat);
        r->mat = NULL;
    }
    ctx_free(r->call_ctx); /* only set while a call runs: this one was cancelled */
    r->call_ctx = NULL;
    OPENSSL_clear_free(r->wrapped, r->wrapped_len);
    r->wrapped = NULL;
    r->wrapped_len = 0;
    OPENSSL_cleanse(r->proof, sizeof r->proof);
}
