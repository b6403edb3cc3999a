/*
 * Unit tests for core/bkfile: a backup written and read back equals what was
 * written (every field, the blob byte for byte, lengths 1..3 mod 3), in a
 * 0600 file named VAULT.KEY.STAMP.tdkb.json in a 0700 folder, never
 * replacing one; the outer sha256 is the SHA-256 of the documented canonical
 * text; a tampered file (a byte of the blob, a version, the vault name,
 * either hash), a truncated one, non-JSON, another format, unknown, repeated
 * or missing members, wrong types and bounds, an oversized file and a
 * symlink are each refused with the cause of the check that failed; writing
 * refuses a description the reader would refuse; bkfile_list's order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "atomfile.h"
#include "bkfile.h"
#include "support_tmpdir.h"
#include "xmem.h"

#define T0   INT64_C(1795988400) /* 2026-11-29T21:40:00Z */
#define SUB  "11111111-2222-3333-4444-555555555555"
#define NAME "kv-tde-eus2.tde-protector-2025.20261129T214000Z.tdkb.json"

struct fixture {
    char *dir;
    struct bkfile_version versions[2];
    struct bkfile_meta m;
    unsigned char blob[3001];
    char *path; /* the file written by setup */
    char *text; /* its content */
};

static void fill_meta(struct fixture *f)
{
    struct bkfile_meta *m = &f->m;
    memset(m, 0, sizeof *m);
    snprintf(m->vault, sizeof m->vault, "kv-tde-eus2");
    snprintf(m->vault_uri, sizeof m->vault_uri, "https://kv-tde-eus2.vault.azure.net");
    snprintf(m->key, sizeof m->key, "tde-protector-2025");
    snprintf(m->subscription, sizeof m->subscription, SUB);
    snprintf(m->region, sizeof m->region, "eastus2");
    snprintf(m->geography, sizeof m->geography, "United States");
    m->created = T0;
    struct bkfile_version *v = f->versions;
    memset(v, 0, sizeof f->versions);
    snprintf(v[0].version, sizeof v[0].version, "%032x", 0xabc1);
    snprintf(v[0].fingerprint, sizeof v[0].fingerprint, "%064x", 0x1234);
    snprintf(v[0].thumbprint, sizeof v[0].thumbprint, "ABCDEF0123456789ABCDEF0123456789ABCDEF01");
    v[0].enabled = true;
    v[0].exp = T0 + 86400 * 365;
    v[0].created = T0 - 86400;
    snprintf(v[1].version, sizeof v[1].version, "%032x", 0xabc2);
    snprintf(v[1].fingerprint, sizeof v[1].fingerprint, "%064x", 0x5678);
    v[1].enabled = false;
    v[1].created = T0 - 2 * 86400; /* no exp, no thumbprint */
    m->versions = f->versions;
    m->nversions = 2;
}

static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(atomfile_read(path, 1 << 26, &data, &len, NULL), 0);
    return data;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = support_tmpdir_make();
    if (f->dir == NULL)
        return -1;
    fill_meta(f);
    for (size_t i = 0; i < sizeof f->blob; i++)
        f->blob[i] = (unsigned char)(i * 7 + (i >> 8)); /* every byte value, '+' and '/' too */
    char *cause = NULL;
    if (bkfile_write(f->dir, &f->m, f->blob, sizeof f->blob, &f->path, &cause) < 0) {
        fprintf(stderr, "bkfile_write: %s\n", cause);
        return -1;
    }
    f->text = slurp(f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    support_tmpdir_remove(f->dir);
    free(f->dir);
    free(f->path);
    free(f->text);
    free(f);
    return 0;
}

static void sha_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void assert_meta_equal(const struct bkfile_meta *a, const struct bkfile_meta *b)
{
    assert_string_equal(a->vault, b->vault);
    assert_string_equal(a->vault_uri, b->vault_uri);
    assert_string_equal(a->key, b->key);
    assert_string_equal(a->subscription, b->subscription);
    assert_string_equal(a->region, b->region);
    assert_string_equal(a->geography, b->geography);
    assert_int_equal(a->created, b->created);
    assert_string_equal(a->blob_sha256, b->blob_sha256);
    assert_int_equal(a->nversions, b->nversions);
    for (size_t i = 0; i < a->nversions; i++) {
        const struct bkfile_version *x = &a->versions[i], *y = &b->versions[i];
        assert_string_equal(x->version, y->version);
        assert_string_equal(x->fingerprint, y->fingerprint);
        assert_string_equal(x->thumbprint, y->thumbprint);
        assert_int_equal(x->enabled, y->enabled);
        assert_int_equal(x->exp, y->exp);
        assert_int_equal(x->created, y->created);
    }
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    char *want = xasprintf("%s/%s", f->dir, NAME), sha[65];
    assert_string_equal(f->path, want);
    free(want);
    sha_hex(f->blob, sizeof f->blob, sha);
    assert_string_equal(f->m.blob_sha256, sha);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(support_tmpdir_count(f->dir), 1);

    struct bkfile_meta got;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    assert_int_equal(bkfile_read(f->path, &got, &blob, &len, &cause), 0);
    assert_null(cause);
    assert_meta_equal(&got, &f->m);
    assert_int_equal(len, sizeof f->blob);
    assert_memory_equal(blob, f->blob, len);
    bkfile_blob_free(blob, len);
    bkfile_meta_cleanup(&got);
    assert_null(got.versions);

    /* The file as documented: times, null exp, base64url without padding. */
    assert_non_null(strstr(f->text, "\"created\":\t\"2026-11-29T21:40:00Z\""));
    assert_non_null(strstr(f->text, "\"exp\":\tnull"));
    assert_non_null(strstr(f->text, "\"exp\":\t\"2027-11-29T21:40:00Z\""));
    assert_non_null(strstr(f->text, "\"format\":\t\"tdectl.keybackup/v1\""));
    assert_null(strchr(f->text, '+'));
    assert_null(strchr(f->text, '='));
    assert_int_equal(f->text[strlen(f->text) - 1], '\n');

    /* Blob lengths of every remainder mod 3, and the smallest. */
    for (size_t n = 1; n <= 4; n++) {
        f->m.created = T0 + (int64_t)n;
        char *p = NULL;
        assert_int_equal(bkfile_write(f->dir, &f->m, f->blob + 1, n, &p, &cause), 0);
        assert_int_equal(bkfile_read(p, &got, &blob, &len, &cause), 0);
        assert_int_equal(len, n);
        assert_memory_equal(blob, f->blob + 1, n);
        bkfile_blob_free(blob, len);
        bkfile_meta_cleanup(&got);
        free(p);
    }

    /* A missing folder is made private; path_out may be NULL. */
    char *sub = xasprintf("%s/backups/x", f->dir);
    mode_t old = umask(0);
    assert_int_equal(bkfile_write(sub, &f->m, f->blob, 10, NULL, &cause), 0);
    umask(old);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(support_tmpdir_count(sub), 1);
    free(sub);
    free(cause);
}

/* bkfile_parse reads the text bkfile_read reads, naming the origin it is given. */
static void test_parse_buffer(void **state)
{
    struct fixture *f = *state;
    struct bkfile_meta got;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    assert_int_equal(bkfile_parse(f->text, strlen(f->text), "mem", &got, &blob, &len, &cause), 0);
    assert_meta_equal(&got, &f->m);
    assert_memory_equal(blob, f->blob, len);
    bkfile_blob_free(blob, len);
    bkfile_meta_cleanup(&got);
    /* Not NUL-terminated: one byte short is cut-off JSON. */
    assert_int_equal(bkfile_parse(f->text, strlen(f->text) - 3, "mem", &got, &blob, &len, &cause),
                     -1);
    assert_non_null(strstr(cause, "key backup mem: not valid JSON"));
    assert_null(blob);
    assert_int_equal(len, 0);
    free(cause);
}

/* The outer sha256 is SHA-256 of the canonical text: compact, in file order, without sha256. */
static void test_canonical_hash(void **state)
{
    struct fixture *f = *state;
    cJSON *root = cJSON_Parse(f->text);
    assert_non_null(root);
    char *outer = xstrdup(cJSON_GetObjectItem(root, "sha256")->valuestring);
    cJSON_DeleteItemFromObject(root, "sha256");
    /* The order the header documents. */
    static const char *const order[] = {"format",   "created",      "vault",  "vault_uri",
                                        "key",      "subscription", "region", "geography",
                                        "versions", "blob_sha256",  "blob"};
    const cJSON *c = root->child;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++, c = c->next)
        assert_string_equal(c->string, order[i]);
    assert_null(c);
    char *canon = cJSON_PrintUnformatted(root), sha[65];
    sha_hex(canon, strlen(canon), sha);
    assert_string_equal(sha, outer);
    assert_non_null(strstr(canon, "{\"format\":\"tdectl.keybackup/v1\",\"created\":"));
    assert_non_null(strstr(canon, "\"enabled\":false,\"exp\":null,"));
    cJSON_free(canon);
    cJSON_Delete(root);
    free(outer);
}

/* A second backup with the same stamp gets "-2": the first file is never replaced. */
static void test_never_replaces(void **state)
{
    struct fixture *f = *state;
    char *cause = NULL, *path = NULL;
    unsigned char other[16] = {1, 2, 3};
    assert_int_equal(bkfile_write(f->dir, &f->m, other, sizeof other, &path, &cause), 0);
    assert_non_null(path);
    assert_non_null(strstr(path, "-2.tdkb.json"));
    char *now = slurp(f->path);
    assert_string_equal(now, f->text);
    assert_int_equal(support_tmpdir_count(f->dir), 2);
    struct bkfile_meta m;
    unsigned char *blob = NULL;
    size_t len = 0;
    assert_int_equal(bkfile_read(path, &m, &blob, &len, &cause), 0);
    assert_int_equal(len, sizeof other);
    assert_memory_equal(blob, other, sizeof other);
    bkfile_blob_free(blob, len);
    bkfile_meta_cleanup(&m);
    char **paths = NULL;
    size_t n = 0;
    assert_int_equal(bkfile_list(f->dir, &paths, &n, &cause), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(now);
    free(path);
    free(cause);
}

/* text (len bytes) as a backup file must be refused with want in the cause. */
static void check_refused_n(struct fixture *f, const char *text, size_t len, const char *want)
{
    char *p = xasprintf("%s/bad.tdkb.json", f->dir), *cause = NULL;
    assert_int_equal(support_tmpdir_write(p, text, len, 0600), 0);
    struct bkfile_meta m;
    unsigned char *blob = (unsigned char *)p;
    size_t blen = 1;
    if (bkfile_read(p, &m, &blob, &blen, &cause) == 0)
        fail_msg("accepted; wanted \"%s\"", want);
    if (cause == NULL || strstr(cause, want) == NULL || strstr(cause, p) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\"", cause ? cause : "(none)", want);
    assert_null(blob);
    assert_int_equal(blen, 0);
    assert_null(m.versions);
    assert_int_equal(m.nversions, 0);
    assert_string_equal(m.vault, "");
    unlink(p);
    free(cause);
    free(p);
}

static void check_refused(struct fixture *f, const char *text, const char *want)
{
    check_refused_n(f, text, strlen(text), want);
}

/* The file with the first `from` after `anchor` replaced by `to` must be refused. */
static void check_tampered(struct fixture *f, const char *anchor, const char *from, const char *to,
                           const char *want)
{
    const char *a = strstr(f->text, anchor);
    assert_non_null(a);
    const char *at = strstr(a, from);
    assert_non_null(at);
    char *t = xasprintf("%.*s%s%s", (int)(at - f->text), f->text, to, at + strlen(from));
    check_refused(f, t, want);
    free(t);
}

#define BLOB_CHANGED "the blob does not match its SHA-256: the file was changed or damaged"
#define META_CHANGED "does not match its SHA-256 (\"sha256\"): the file was changed or damaged"

static void test_tampered(void **state)
{
    struct fixture *f = *state;
    /* One character of the blob (another valid base64url digit). */
    const char *b = strstr(f->text, "\"blob\":\t\"") + 9;
    char *t = xstrdup(f->text);
    t[b - f->text + 100] = t[b - f->text + 100] == 'A' ? 'B' : 'A';
    check_refused(f, t, BLOB_CHANGED);
    free(t);

    check_tampered(f, "\"blob_sha256\"", "\t\"", "\t\"0", "blob_sha256: too long");
    char *sha = xasprintf("\"blob_sha256\":\t\"%s\"", f->m.blob_sha256);
    char *other = xstrdup(sha);
    other[16] = other[16] == '0' ? '1' : '0';
    check_tampered(f, "\"blob_sha256\"", sha, other, BLOB_CHANGED);

    /* A version changed, the vault renamed, the key renamed, a time moved. */
    check_tampered(f, "\"versions\"", "\"enabled\":\ttrue", "\"enabled\":\tfalse", META_CHANGED);
    check_tampered(f, "\"versions\"", "abc1", "abc3", META_CHANGED);
    check_tampered(f, "\"vault\"", "kv-tde-eus2", "kv-tde-eus3", META_CHANGED);
    check_tampered(f, "\"key\"", "tde-protector-2025", "tde-protector-2026", META_CHANGED);
    check_tampered(f, "\"created\"", "21:40:00Z", "21:40:01Z", META_CHANGED);
    check_tampered(f, "\"geography\"", "United States", "Canada", META_CHANGED);
    check_tampered(f, "\"versions\"", "\"exp\":\tnull", "\"exp\":\t\"2030-01-01T00:00:00Z\"",
                   META_CHANGED);
    /* The outer hash itself. */
    check_tampered(f, "\"sha256\"", "\"sha256\":\t\"", "\"sha256\":\t\"f", "sha256: expected 64");
    const char *o = strstr(f->text, "\"sha256\":\t\"") + 11;
    t = xstrdup(f->text);
    t[o - f->text] = t[o - f->text] == 'a' ? 'b' : 'a';
    check_refused(f, t, META_CHANGED);
    free(t);
    free(other);
    free(sha);
}

static void test_truncated_and_foreign(void **state)
{
    struct fixture *f = *state;
    size_t len = strlen(f->text);
    for (size_t cut = 0; cut < len - 1; cut += 97)
        check_refused_n(f, f->text, cut, "not valid JSON");
    check_refused_n(f, f->text, len - 2, "not valid JSON"); /* only the last brace gone */
    check_refused(f, "hello", "not valid JSON");
    check_refused(f, "[1,2]", "not a tdectl key backup (no \"format\")");
    check_refused(f, "{}", "not a tdectl key backup (no \"format\")");
    check_refused(f, "{\"format\":\"something/else\"}", "not a tdectl key backup (format");
    check_refused(f, "{\"format\":7}", "no \"format\"");

    char *v2 = xstrdup(f->text);
    memcpy(strstr(v2, "keybackup/v1"), "keybackup/v2", 12);
    check_refused(f, v2, "\"tdectl.keybackup/v2\" is not one this tdectl reads");
    free(v2);
}

static void test_members_and_types(void **state)
{
    struct fixture *f = *state;
    check_tampered(f, "{", "{", "{\"extra\": 1, ", "\"extra\": not a member");
    check_tampered(f, "{",
                   "\"vault\":", "\"vault\": \"x\", \"vault\":", "\"vault\": appears twice");
    check_tampered(f, "{", "\"region\":", "\"regio\":", "\"regio\": not a member");
    check_tampered(f, "\"versions\"", "\"thumbprint\":", "\"thumb\":", "versions[0].\"thumb\"");
    check_tampered(f, "\"versions\"", "true", "\"yes\"", "versions[0].enabled: expected true");
    check_tampered(f, "\"versions\"", "\"exp\":\t\"2027-11-29T21:40:00Z\"",
                   "\"exp\":\t\"2027-11-29T21:40:00+00:00\"", "versions[0].exp: expected a time");
    check_tampered(f, "{", "\"created\":\t\"2026-11-29T21:40:00Z\"",
                   "\"created\":\t\"2026-11-29t21:40:00Z\"", "created: expected a time");
    check_tampered(f, "{", "\"created\":\t\"2026-11-29T21:40:00Z\"", "\"created\":\tnull",
                   "created: expected a time");
    check_tampered(f, "\"versions\"", "\"created\":\t\"", "\"created\":\t1, \"x\":\t\"",
                   "not a member");
    check_tampered(f, "{", "\"vault\":\t\"kv-tde-eus2\"", "\"vault\":\t\"kv/tde\"",
                   "vault: expected");
    check_tampered(f, "{", "\"vault\":\t\"kv-tde-eus2\"", "\"vault\":\t7",
                   "vault: expected a string");
    check_tampered(f, "{", "https://", "http://", "vault_uri: expected an https URL");
    check_tampered(f, "{", SUB, "not-a-guid", "subscription: expected");
    check_tampered(f, "{", "\"eastus2\"", "\"\"", "region: expected");
    check_tampered(f, "{", "United States", "United \\\"States", "geography: expected");
    check_tampered(f, "\"versions\"", "abc1", "ABC1", "versions[0].version: expected 32");
    check_tampered(f, "\"versions\"", "\"thumbprint\":\t\"ABCDEF", "\"thumbprint\":\t\"XBCDEF",
                   "versions[0].thumbprint: expected 40 hex");
    check_tampered(f, "\"versions\"", "\"fingerprint\":\t\"0", "\"fingerprint\":\t\"",
                   "versions[0].fingerprint: expected 64");
    check_tampered(f, "\"versions\"", "abc2", "abc1", "versions[1].version: appears twice");
    check_tampered(f, "\"versions\":\t[", "[", "[], \"x\": [", "\"x\": not a member");
    check_tampered(f, "\"versions\"", "[", "[7, ", "versions[0]: expected an object");
    check_tampered(f, "\"blob\"", "\"blob\":\t\"", "\"blob\":\t\"=", "blob: expected base64url");
    check_tampered(f, "\"blob\"", "\"blob\":\t\"", "\"blob\":\t\" ", "blob: expected base64url");

    /* A file with no versions at all. */
    const char *vs = strstr(f->text, "\"versions\":\t[");
    const char *ve = strstr(vs, "],");
    char *t = xasprintf("%.*s\"versions\":\t[%s", (int)(vs - f->text), f->text, ve);
    check_refused(f, t, "versions: expected an array of 1 to 10000 versions");
    free(t);
}

static void test_limits_and_special_files(void **state)
{
    struct fixture *f = *state;
    struct bkfile_meta m;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;

    char *big = xasprintf("%s/big.tdkb.json", f->dir);
    int fd = open(big, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, BKFILE_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(bkfile_read(big, &m, &blob, &len, &cause), -1);
    assert_non_null(strstr(cause, "larger than 8388608 bytes"));

    /* A flood of values is refused before it is parsed. */
    size_t n = 2 * 1024 * 1024;
    char *flood = xmalloc(n + 1);
    flood[0] = '[';
    for (size_t i = 1; i < n - 1; i += 2) {
        flood[i] = '0';
        flood[i + 1] = ',';
    }
    flood[n - 2] = '0';
    flood[n - 1] = ']';
    check_refused_n(f, flood, n, "too many values");
    free(flood);

    char *link = xasprintf("%s/link.tdkb.json", f->dir);
    assert_int_equal(symlink(f->path, link), 0);
    assert_int_equal(bkfile_read(link, &m, &blob, &len, &cause), -1);
    assert_non_null(strstr(cause, "symbolic link"));

    char *fifo = xasprintf("%s/fifo.tdkb.json", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(bkfile_read(fifo, &m, &blob, &len, &cause), -1); /* no hang */
    assert_non_null(strstr(cause, "not a regular file"));

    char *none = xasprintf("%s/none.tdkb.json", f->dir);
    assert_int_equal(bkfile_read(none, &m, &blob, &len, &cause), -1);
    assert_non_null(strstr(cause, none));
    free(none);
    free(fifo);
    free(link);
    free(big);
    free(cause);
}

/* What the writer refuses: what the reader would. */
static void test_write_refuses(void **state)
{
    struct fixture *f = *state;
    char *cause = NULL, *path = NULL;
    const unsigned char *blob = f->blob;
    struct bkfile_meta saved = f->m;

    assert_int_equal(bkfile_write(NULL, &f->m, blob, 10, &path, &cause), -1);
    assert_int_equal(bkfile_write(f->dir, NULL, blob, 10, &path, &cause), -1);
    assert_int_equal(bkfile_write(f->dir, &f->m, NULL, 10, &path, &cause), -1);
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 0, &path, &cause), -1);
    assert_non_null(strstr(cause, "cannot write"));

    snprintf(f->m.vault, sizeof f->m.vault, "../evil");
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "vault: expected"));
    f->m = saved;
    snprintf(f->m.key, sizeof f->m.key, "a.b");
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "key: expected"));
    f->m = saved;
    snprintf(f->m.vault_uri, sizeof f->m.vault_uri, "https://kv\"x");
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "vault_uri"));
    f->m = saved;
    f->m.created = 0;
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "created"));
    f->m = saved;
    f->m.nversions = 0;
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "versions"));
    f->m = saved;
    f->versions[1].fingerprint[0] = '\0';
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "versions[1].fingerprint"));
    fill_meta(f);
    f->versions[0].created = 0;
    assert_int_equal(bkfile_write(f->dir, &f->m, blob, 10, &path, &cause), -1);
    assert_non_null(strstr(cause, "versions[0].created"));
    fill_meta(f);
    assert_null(path);
    assert_int_equal(support_tmpdir_count(f->dir), 1);
    free(cause);
}

static void touch(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    assert_int_equal(support_tmpdir_write(p, "", 0, 0600), 0);
    free(p);
}

static void test_list(void **state)
{
    struct fixture *f = *state;
    char **paths = NULL, *cause = NULL, *none = xasprintf("%s/none", f->dir);
    size_t n = 9;
    assert_int_equal(bkfile_list(none, &paths, &n, &cause), 0);
    assert_int_equal(n, 0);
    assert_null(paths);

    f->m.created = T0 + 3600;
    char *newer = NULL;
    assert_int_equal(bkfile_write(f->dir, &f->m, f->blob, 10, &newer, NULL), 0);
    touch(f->dir, "kv-a.k.20200101T000000Z.tdkb.json");
    touch(f->dir, "copied by hand.tdkb.json");
    touch(f->dir, ".kv-a.k.20300101T000000Z.tdkb.json.0a1b2c3d");
    touch(f->dir, "kv-a.k.20300101T000000Z.tdkb.json.bak");
    touch(f->dir, "notes.txt");
    char *sub = xasprintf("%s/dir.tdkb.json", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);

    assert_int_equal(bkfile_list(f->dir, &paths, &n, &cause), 0);
    assert_int_equal(n, 4);
    char *old = xasprintf("%s/kv-a.k.20200101T000000Z.tdkb.json", f->dir);
    char *hand = xasprintf("%s/copied by hand.tdkb.json", f->dir);
    assert_string_equal(paths[0], newer);
    assert_string_equal(paths[1], f->path);
    assert_string_equal(paths[2], old);
    assert_string_equal(paths[3], hand);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    assert_int_equal(bkfile_list(NULL, &paths, &n, &cause), -1);
    free(hand);
    free(old);
    free(sub);
    free(newer);
    free(none);
    free(cause);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canonical_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_special_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
