/*
 * rotstep — the steps that bring tdectl's own material (origins offline and
 * file): generate (in a thread, off the loop) or load, then import into each
 * vault. Split from rotstep.c; see rotate_int.h.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keymat.h"
#include "kvclient.h"
#include "loop.h"
#include "rotate_int.h"
#include "xmem.h"

/* -- offline and file origins: generate or load, import -- */

static bool imported_both(struct rotate *r)
{
    return r->fp[0] && rotstep_copy_version(r, false) &&
           (r->plan.one_vault || rotstep_copy_version(r, true));
}

bool rotstep_material_in_place(struct rotate *r)
{
    if (r->plan.origin == ROT_ORIGIN_FILE)
        snprintf(r->fp, sizeof r->fp, "%s", r->plan.fingerprint);
    return r->mat != NULL || imported_both(r);
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
    cJSON *d = rotstep_fp_data(r);
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

void rotstep_generate_run(struct rotate *r)
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
        rotate_step_ok(r, rotstep_fp_data(r), "material reloaded from the escrow copy");
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

void rotstep_load_run(struct rotate *r)
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
    rotate_step_ok(r, rotstep_fp_data(r), "loaded %s (sha256 %.16s…)", r->plan.key_file, sha);
}

bool rotstep_import_sec_in_place(struct rotate *r)
{
    return r->fp[0] && rotstep_copy_version(r, false) != NULL;
}

bool rotstep_import_pri_in_place(struct rotate *r)
{
    return r->fp[0] && rotstep_copy_version(r, true) != NULL;
}

static void on_imported(const struct az_status *st, struct model_version *v, const char *key_name,
                        void *arg)
{
    (void)key_name;
    struct call_ctx *c = rotstep_ctx_take(arg);
    model_version_cleanup(v);
    rotate_effect_done(c->r, "PUT", c->url, st);
    rotstep_ctx_free(c);
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
    struct call_ctx *c = rotstep_ctx_new(
        r, primary, xasprintf("%s/keys/%s", rotstep_side(r, primary)->vault_uri, r->plan.new_key));
    struct kv_key_spec spec = rotstep_key_spec(r);
    r->call = kv_import_key(r->p.az, rotstep_side(r, primary)->vault_uri, r->plan.new_key, jwk,
                            &spec, on_imported, c);
    keymat_secret_free(jwk);
}

void rotstep_import_sec_run(struct rotate *r)
{
    import(r, false);
}

void rotstep_import_pri_run(struct rotate *r)
{
    import(r, true);
}

void rotstep_gen_cleanup(struct rotate *r)
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
}
