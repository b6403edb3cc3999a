/* rotread — a fresh read of what a rotation decides on (see rotread.h). */
#include "rotread.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armclient.h"
#include "azure.h"
#include "kvclient.h"
#include "xmem.h"

/* Every read of one rotread can be in flight at once: 3 per instance, 2 per copy and one per
 * version; a call not held here could not be cancelled and would call back into freed memory. */
#define MAX_CALLS (6 + 2 * (2 + ROTREAD_MAX_VERSIONS))

struct rotread {
    struct azure *az;
    struct rot_state *st;
    rotread_fn fn;
    void *arg;
    struct az_call *calls[MAX_CALLS];
    struct part *parts[MAX_CALLS]; /* each call's context: a cancelled call never frees its own */
    unsigned pending;
    char new_key[ROTPLAN_KEY_MAX + 1];
};

/* One read's context: which part of the state it fills. */
struct part {
    struct rotread *r;
    size_t slot;
    struct rot_inst *inst;
    struct rot_copy *copy;
    const char *vault_uri;
    size_t version; /* copy reads: which version */
    char what[300];
};

static void finish(struct rotread *r);

static void fail(struct rotread *r, const char *what, const struct az_status *st)
{
    if (r->st->err != CORE_OK)
        return;
    r->st->err = st->err;
    r->st->error =
        xasprintf("reading %s: %s", what, st->error ? st->error : core_err_name(st->err));
}

static struct part *part_new(struct rotread *r, const char *what)
{
    struct part *p = xcalloc(1, sizeof *p);
    p->r = r;
    snprintf(p->what, sizeof p->what, "%s", what);
    for (p->slot = 0; p->slot < MAX_CALLS && r->calls[p->slot]; p->slot++)
        ;
    r->pending++;
    return p;
}

static void part_started(struct part *p, struct az_call *c)
{
    if (p->slot < MAX_CALLS) {
        p->r->calls[p->slot] = c;
        p->r->parts[p->slot] = p;
    }
}

/* A read ended: forget its call, and finish when it was the last. */
static void part_done(struct part *p)
{
    struct rotread *r = p->r;
    if (p->slot < MAX_CALLS) {
        r->calls[p->slot] = NULL;
        r->parts[p->slot] = NULL;
    }
    free(p);
    if (--r->pending == 0)
        finish(r);
}

/* cppcheck-suppress constParameter ; the signature of arm_get_protector's callback */
static void on_protector(const struct az_status *st, struct model_protector *pr, void *arg)
{
    struct part *p = arg;
    if (st->err != CORE_OK)
        fail(p->r, p->what, st);
    model_protector_cleanup(&p->inst->protector);
    p->inst->protector = *pr;
    part_done(p);
}

static void on_keys(const struct az_status *st, struct model_server_key *items, size_t n, void *arg)
{
    struct part *p = arg;
    if (st->err != CORE_OK)
        fail(p->r, p->what, st);
    p->inst->keys = items;
    p->inst->nkeys = n;
    part_done(p);
}

static void on_dbs(const struct az_status *st, struct model_database *items, size_t n, void *arg)
{
    struct part *p = arg;
    if (st->err != CORE_OK)
        fail(p->r, p->what, st);
    p->inst->dbs = items;
    p->inst->ndbs = n;
    part_done(p);
}

static void read_instance(struct rotread *r, struct rot_inst *in, const struct rot_side *s)
{
    char what[256];
    snprintf(what, sizeof what, "the protector of %s", s->instance);
    struct part *p = part_new(r, what);
    p->inst = in;
    part_started(p, arm_get_protector(r->az, s->instance_id, on_protector, p));
    snprintf(what, sizeof what, "the keys of %s", s->instance);
    p = part_new(r, what);
    p->inst = in;
    part_started(p, arm_list_server_keys(r->az, s->instance_id, on_keys, p));
    snprintf(what, sizeof what, "the databases of %s", s->instance);
    p = part_new(r, what);
    p->inst = in;
    part_started(p, arm_list_databases(r->az, s->instance_id, on_dbs, p));
}

static void on_version(const struct az_status *st, struct model_version *v, const char *key_name,
                       void *arg)
{
    (void)key_name;
    struct part *p = arg;
    struct rot_copy_version *cv = &p->copy->v[p->version];
    if (st->err != CORE_OK)
        fail(p->r, p->what, st);
    else {
        snprintf(cv->fingerprint, sizeof cv->fingerprint, "%s", v->fingerprint);
        cv->enabled = v->enabled;
        cv->created = v->created;
    }
    model_version_cleanup(v);
    part_done(p);
}

static void on_versions(const struct az_status *st, struct model_version *items, size_t n,
                        void *arg)
{
    struct part *p = arg;
    struct rotread *r = p->r;
    if (st->err != CORE_OK)
        fail(r, p->what, st);
    for (size_t i = 0; i < n; i++) {
        if (p->copy->nv < ROTREAD_MAX_VERSIONS && items[i].version) {
            size_t k = p->copy->nv++;
            snprintf(p->copy->v[k].version, sizeof p->copy->v[k].version, "%s", items[i].version);
            struct part *q = part_new(r, p->what);
            q->copy = p->copy;
            q->version = k;
            part_started(
                q, kv_get_key(r->az, p->vault_uri, r->new_key, items[i].version, on_version, q));
        }
        model_version_cleanup(&items[i]);
    }
    free(items);
    part_done(p);
}

static void on_latest(const struct az_status *st, struct model_version *v, const char *key_name,
                      void *arg)
{
    (void)key_name;
    struct part *p = arg;
    struct rotread *r = p->r;
    if (st->err == CORE_OK) {
        p->copy->exists = true;
        struct part *q = part_new(r, p->what);
        q->copy = p->copy;
        q->vault_uri = p->vault_uri;
        part_started(q, kv_list_versions(r->az, p->vault_uri, r->new_key, on_versions, q));
    } else if (st->err != CORE_ERR_NOT_FOUND) {
        fail(r, p->what, st);
    }
    model_version_cleanup(v);
    part_done(p);
}

static void on_deleted(const struct az_status *st, struct kv_deleted *items, size_t n, void *arg)
{
    struct part *p = arg;
    if (st->err != CORE_OK)
        fail(p->r, p->what, st);
    for (size_t i = 0; i < n; i++)
        if (items[i].name && strcasecmp(items[i].name, p->r->new_key) == 0)
            p->copy->deleted = true;
    kvparse_deleted_free(items, n);
    part_done(p);
}

static void read_copy(struct rotread *r, struct rot_copy *c, const struct rot_side *s)
{
    char what[300];
    snprintf(what, sizeof what, "%s in %s", r->new_key, s->vault);
    struct part *p = part_new(r, what);
    p->copy = c;
    p->vault_uri = s->vault_uri;
    part_started(p, kv_get_key(r->az, s->vault_uri, r->new_key, NULL, on_latest, p));
    snprintf(what, sizeof what, "the deleted keys of %s", s->vault);
    p = part_new(r, what);
    p->copy = c;
    part_started(p, kv_list_deleted(r->az, s->vault_uri, on_deleted, p));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Canonical lines for one instance: sorted so list order does not move the digest. */
static void digest_inst(EVP_MD_CTX *ctx, const char *tag, const struct rot_inst *in)
{
    size_t n = in->nkeys + in->ndbs, k = 0;
    char **lines = xcalloc(n + 1, sizeof *lines);
    for (size_t i = 0; i < in->nkeys; i++)
        lines[k++] = xasprintf("%s key %s %s\n", tag, in->keys[i].name ? in->keys[i].name : "",
                               in->keys[i].thumbprint ? in->keys[i].thumbprint : "");
    for (size_t i = 0; i < in->ndbs; i++)
        lines[k++] = xasprintf("%s db %s %s\n", tag, in->dbs[i].name ? in->dbs[i].name : "",
                               in->dbs[i].status ? in->dbs[i].status : "");
    qsort(lines, k, sizeof *lines, cmp_str);
    const struct model_protector *pr = &in->protector;
    char *head =
        xasprintf("%s protector %s %s %d\n", tag, pr->server_key_name ? pr->server_key_name : "",
                  pr->thumbprint ? pr->thumbprint : "", pr->auto_rotation);
    EVP_DigestUpdate(ctx, head, strlen(head));
    free(head);
    for (size_t i = 0; i < k; i++) {
        EVP_DigestUpdate(ctx, lines[i], strlen(lines[i]));
        free(lines[i]);
    }
    free(lines);
}

static void digest_copy(EVP_MD_CTX *ctx, const char *tag, const struct rot_copy *c)
{
    char line[160];
    int n = snprintf(line, sizeof line, "%s copy %d %d %zu\n", tag, c->exists, c->deleted, c->nv);
    EVP_DigestUpdate(ctx, line, (size_t)n);
    for (size_t i = 0; i < c->nv; i++) {
        n = snprintf(line, sizeof line, "%s v %s %s %d\n", tag, c->v[i].version,
                     c->v[i].fingerprint, c->v[i].enabled);
        EVP_DigestUpdate(ctx, line, (size_t)n);
    }
}

static void digest(struct rot_state *st)
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return;
    }
    digest_inst(ctx, "P", &st->pri);
    digest_inst(ctx, "S", &st->sec);
    digest_copy(ctx, "P", &st->cpri);
    digest_copy(ctx, "S", &st->csec);
    if (EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32)
        for (unsigned i = 0; i < 32; i++)
            snprintf(st->digest + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
}

static void finish(struct rotread *r)
{
    struct rot_state *st = r->st;
    rotread_fn fn = r->fn;
    void *arg = r->arg;
    free(r);
    if (st->err == CORE_OK)
        digest(st);
    fn(st, arg);
}

struct rotread *rotread_start(struct azure *az, const struct rot_plan *p, rotread_fn fn, void *arg)
{
    struct rotread *r = xcalloc(1, sizeof *r);
    r->az = az;
    r->fn = fn;
    r->arg = arg;
    r->st = xcalloc(1, sizeof *r->st);
    snprintf(r->new_key, sizeof r->new_key, "%s", p->new_key);
    r->pending = 1; /* held until every read started: none can finish the read early */
    read_instance(r, &r->st->pri, &p->pri);
    read_instance(r, &r->st->sec, &p->sec);
    read_copy(r, &r->st->csec, &p->sec);
    if (!p->one_vault)
        read_copy(r, &r->st->cpri, &p->pri);
    if (--r->pending == 0) {
        finish(r);
        return NULL;
    }
    return r;
}

void rotread_cancel(struct rotread *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < MAX_CALLS; i++)
        if (r->calls[i]) {
            azure_cancel(r->calls[i]);
            free(r->parts[i]);
        }
    rotread_free(r->st);
    free(r);
}

static void inst_cleanup(struct rot_inst *in)
{
    model_protector_cleanup(&in->protector);
    for (size_t i = 0; i < in->nkeys; i++)
        model_server_key_cleanup(&in->keys[i]);
    free(in->keys);
    for (size_t i = 0; i < in->ndbs; i++)
        model_database_cleanup(&in->dbs[i]);
    free(in->dbs);
}

void rotread_free(struct rot_state *st)
{
    if (st == NULL)
        return;
    inst_cleanup(&st->pri);
    inst_cleanup(&st->sec);
    free(st->error);
    free(st);
}

const struct rot_copy_version *rotread_version(const struct rot_copy *c, const char *fingerprint)
{
    for (size_t i = c->nv; i-- > 0;) /* the newest first */
        if (fingerprint && fingerprint[0] && strcmp(c->v[i].fingerprint, fingerprint) == 0)
            return &c->v[i];
    return NULL;
}

const struct model_server_key *rotread_key(const struct rot_inst *in, const char *name)
{
    for (size_t i = 0; i < in->nkeys; i++)
        if (in->keys[i].name && strcasecmp(in->keys[i].name, name) == 0)
            return &in->keys[i];
    return NULL;
}

bool rotread_inaccessible(const struct rot_inst *in, char *buf, size_t size)
{
    for (size_t i = 0; i < in->ndbs; i++)
        if (in->dbs[i].status && strcasecmp(in->dbs[i].status, "Inaccessible") == 0) {
            snprintf(buf, size, "%s is %s", in->dbs[i].name ? in->dbs[i].name : "?",
                     in->dbs[i].status);
            return true;
        }
    if (size)
        buf[0] = '\0';
    return false;
}

const struct rot_copy *rotread_copy(const struct rot_state *st, const struct rot_plan *p,
                                    bool primary)
{
    return primary && !p->one_vault ? &st->cpri : &st->csec;
}
