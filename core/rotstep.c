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

const struct rot_side *rotstep_side(const struct rotate *r, bool primary)
{
    return primary ? &r->plan.pri : &r->plan.sec;
}

static const struct rot_inst *inst(const struct rotate *r, bool primary)
{
    return primary ? &r->st->pri : &r->st->sec;
}

const struct rot_copy_version *rotstep_copy_version(const struct rotate *r, bool primary)
{
    return r->st ? rotread_version(rotread_copy(r->st, &r->plan, primary), r->fp) : NULL;
}

void rotstep_copy_name(const struct rotate *r, bool primary, char *buf, size_t size)
{
    const struct rot_copy_version *v = rotstep_copy_version(r, primary);
    const struct rot_side *s = r->plan.one_vault ? &r->plan.sec : rotstep_side(r, primary);
    if (v)
        snprintf(buf, size, "%s_%s_%s", s->vault, r->plan.new_key, v->version);
    else if (size)
        buf[0] = '\0';
}

static char *kid(const struct rotate *r, bool primary)
{
    const struct rot_copy_version *v = rotstep_copy_version(r, primary);
    const struct rot_side *s = r->plan.one_vault ? &r->plan.sec : rotstep_side(r, primary);
    return xasprintf("%s/keys/%s/%s", s->vault_uri, r->plan.new_key, v ? v->version : "");
}

struct kv_key_spec rotstep_key_spec(const struct rotate *r)
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

struct call_ctx *rotstep_ctx_new(struct rotate *r, bool primary, char *url)
{
    struct call_ctx *c = xcalloc(1, sizeof *c);
    c->r = r;
    c->primary = primary;
    c->url = url;
    r->call_ctx = c;
    return c;
}

/* The call ended: its context is the callback's to free. */
struct call_ctx *rotstep_ctx_take(void *arg)
{
    struct call_ctx *c = arg;
    c->r->call_ctx = NULL;
    return c;
}

void rotstep_ctx_free(struct call_ctx *c)
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
    return rotstep_copy_version(r, false) != NULL;
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
    struct kv_key_spec spec = rotstep_key_spec(r);
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
    return rotstep_copy_version(r, true) != NULL;
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

cJSON *rotstep_fp_data(const struct rotate *r)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "fingerprint", r->fp);
    return d;
}

/* -- checks: identical material, proof of the private key -- */

static void verify_run(struct rotate *r)
{
    drop_material(r);
    const struct rot_copy_version *s = rotstep_copy_version(r, false),
                                  *p = rotstep_copy_version(r, true);
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
    rotate_step_ok(r, rotstep_fp_data(r),
                   "both vaults hold the same public key (fingerprint %.16s…)", r->fp);
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
                         rotstep_side(r, primary)->vault,
                         st->error ? st->error : core_err_name(st->err));
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
                     "a value wrapped in %s %s unwrapped in %s", rotstep_side(r, !primary)->vault,
                     same ? "was" : "was NOT", rotstep_side(r, primary)->vault);
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
    if (rotstep_copy_version(r, false) == NULL || rotstep_copy_version(r, true) == NULL) {
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
    struct call_ctx *c = rotstep_ctx_take(arg);
    struct rotate *r = c->r;
    model_server_key_cleanup(k);
    r->call = NULL;
    /* The first of two: journal it and go on; the last goes through verification. */
    if (st->err == CORE_OK && r->phase == 0 && !r->plan.one_vault) {
        wizard_call(&r->plan.w, "PUT", c->url, st);
        r->phase = 1;
        bool on_primary = c->primary;
        rotstep_ctx_free(c);
        register_next(r, on_primary);
        return;
    }
    rotate_effect_done(r, "PUT", c->url, st);
    rotstep_ctx_free(c);
}

static void register_next(struct rotate *r, bool on_primary)
{
    bool copy_primary = r->phase == 1; /* the secondary's vault copy first */
    char *k = kid(r, copy_primary), name[400];
    rotstep_copy_name(r, copy_primary, name, sizeof name);
    struct call_ctx *c = rotstep_ctx_new(
        r, on_primary, xasprintf("%s/keys/%s", rotstep_side(r, on_primary)->instance_id, name));
    r->call =
        arm_put_server_key(r->p.az, rotstep_side(r, on_primary)->instance_id, k, on_registered, c);
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
    struct call_ctx *c = rotstep_ctx_take(arg);
    model_protector_cleanup(p);
    rotate_effect_done(c->r, "PUT", c->url, st);
    rotstep_ctx_free(c);
}

static void set_protector(struct rotate *r, bool primary, const char *name)
{
    struct call_ctx *c = rotstep_ctx_new(
        r, primary,
        xasprintf("%s/encryptionProtector/current", rotstep_side(r, primary)->instance_id));
    r->call = arm_set_protector(r->p.az, rotstep_side(r, primary)->instance_id, name, false,
                                on_protector, c);
}

static void protect(struct rotate *r, bool primary)
{
    char name[400];
    rotstep_copy_name(r, r->plan.one_vault ? false : primary, name, sizeof name);
    if (name[0] == '\0') {
        rotate_step_fail(r, ROTATE_FAILED, "the new key's copy in %s cannot be found",
                         rotstep_side(r, primary)->vault);
        return;
    }
    /* SQL binds a protector to its key's latest version: say so before it refuses. */
    const struct rot_copy *c = rotread_copy(r->st, &r->plan, r->plan.one_vault ? false : primary);
    const struct rot_copy_version *mine = rotstep_copy_version(r, primary), *newest = mine;
    for (size_t i = 0; i < c->nv; i++)
        if (c->v[i].created > newest->created)
            newest = &c->v[i];
    if (newest != mine) {
        rotate_step_fail(r, ROTATE_FAILED,
                         "%s in %s has a newer version (%s) than the copy registered (%s): a "
                         "protector must be its key's latest version. Nothing moved yet; plan a "
                         "new rotation with another key name",
                         r->plan.new_key, rotstep_side(r, primary)->vault, newest->version,
                         mine->version);
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
                rotate_step_fail(r, ROTATE_VERIFY, "%s: database %s",
                                 rotstep_side(r, primary)->instance, what);
                return;
            }
            if (!protect_in_place(r, primary)) {
                rotate_step_fail(r, ROTATE_VERIFY, "%s is no longer on the new protector",
                                 rotstep_side(r, primary)->instance);
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
    {"generate", rotstep_material_in_place, rotstep_generate_run},
    {"load", rotstep_material_in_place, rotstep_load_run},
    {"import-secondary", rotstep_import_sec_in_place, rotstep_import_sec_run},
    {"import-primary", rotstep_import_pri_in_place, rotstep_import_pri_run},
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
    rotstep_gen_cleanup(r);
    if (r->mat) {
        keymat_destroy(r->mat);
        r->mat = NULL;
    }
    rotstep_ctx_free(r->call_ctx); /* only set while a call runs: this one was cancelled */
    r->call_ctx = NULL;
    OPENSSL_clear_free(r->wrapped, r->wrapped_len);
    r->wrapped = NULL;
    r->wrapped_len = 0;
    OPENSSL_cleanse(r->proof, sizeof r->proof);
}
