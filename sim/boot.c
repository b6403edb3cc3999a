#include "boot.h"
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jwt.h"
#include "persist.h"
#include "scenario.h"
#include "sim.h"
#include "simclock.h"
#include "slog.h"
#include "tls.h"
#include "world.h"
#include "xmem.h"

static struct world *load_world(const struct boot_options *o, bool *from_state, char **cause)
{
    *from_state = false;
    if (o->state_dir) {
        bool missing = false;
        size_t len = 0;
        char *why = NULL;
        char *text = persist_read(o->state_dir, "state.json", &len, &missing, &why);
        if (text) {
            struct world *w = scenario_load_text(text, len, o->state_dir, &why);
            OPENSSL_cleanse(text, len);
            free(text);
            if (w == NULL) {
                xcause(cause, "%s/state.json is damaged and was left untouched: %s", o->state_dir,
                       why);
                free(why);
                return NULL;
            }
            *from_state = true;
            /* Simulated time never runs backwards across a restart (--time-scale). */
            if (w->clock_now > simclock_now()) {
                slog(SLOG_INFO, "clock resumes at the saved simulated time (+%lld s)",
                     (long long)(w->clock_now - simclock_now()));
                simclock_advance(w->clock_now - simclock_now());
            }
            return w;
        }
        if (!missing) {
            xcause(cause, "%s", why);
            free(why);
            return NULL;
        }
        free(why);
    }
    if (o->scenario == NULL || strcmp(o->scenario, "demo") == 0)
        return scenario_load_text(azsim_demo_scenario, azsim_demo_scenario_len, NULL, cause);
    return scenario_load_file(o->scenario, cause);
}

/* A secret file of the state folder, made on first start. */
static char *state_secret(const char *dir, const char *name, char *(*make)(size_t *len),
                          size_t *len, char **cause)
{
    bool missing = false;
    char *why = NULL;
    char *data = persist_read(dir, name, len, &missing, &why);
    if (data || !missing) {
        if (!data)
            xcause(cause, "%s", why);
        free(why);
        return data;
    }
    free(why);
    data = make(len);
    if (persist_write(dir, name, data, *len, cause) < 0) {
        OPENSSL_cleanse(data, *len);
        free(data);
        return NULL;
    }
    return data;
}

static char *make_master(size_t *len)
{
    unsigned char raw[SIM_MASTER_LEN];
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort();
    char *hex = xmalloc(2 * sizeof raw + 2);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    hex[2 * sizeof raw] = '\n';
    hex[2 * sizeof raw + 1] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    *len = 2 * sizeof raw + 1;
    return hex;
}

static char *make_signing_key(size_t *len)
{
    struct jwt_signer *s = jwt_signer_generate(NULL);
    if (s == NULL)
        abort();
    char *pem = jwt_signer_key_pem(s);
    jwt_signer_destroy(s);
    *len = strlen(pem);
    return pem;
}

static int parse_master(const char *hex, unsigned char out[SIM_MASTER_LEN])
{
    for (size_t i = 0; i < SIM_MASTER_LEN; i++) {
        unsigned v;
        /* NOLINTNEXTLINE(cert-err34-c): two hex digits cannot overflow */
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

static int load_secrets(struct sim *sim, const char *dir, char **cause)
{
    size_t len = 0;
    if (dir == NULL) {
        if (RAND_bytes(sim->master, SIM_MASTER_LEN) != 1)
            abort();
        sim->signer = jwt_signer_generate(cause);
        return sim->signer ? 0 : -1;
    }
    char *hex = state_secret(dir, "master.key", make_master, &len, cause);
    if (hex == NULL)
        return -1;
    int rc = len >= 2 * SIM_MASTER_LEN ? parse_master(hex, sim->master) : -1;
    OPENSSL_cleanse(hex, len);
    free(hex);
    if (rc < 0) {
        xcause(cause, "%s/master.key is damaged", dir);
        return -1;
    }
    char *pem = state_secret(dir, "signing-key.pem", make_signing_key, &len, cause);
    if (pem == NULL)
        return -1;
    sim->signer = jwt_signer_load(pem, cause);
    secret_free_str(pem);
    return sim->signer ? 0 : -1;
}

int boot_world(struct sim *sim, const struct boot_options *o, struct boot_tls *tls, char **cause)
{
    if (o->state_dir && persist_prepare_dir(o->state_dir, cause) < 0)
        return -1;
    sim->world = load_world(o, &tls->from_state, cause);
    if (sim->world == NULL)
        return -1;
    if (load_secrets(sim, o->state_dir, cause) < 0)
        return -1;
    if (o->state_dir && !tls->from_state && persist_save_world(o->state_dir, sim->world, cause) < 0)
        return -1;
    return 0;
}

static struct tls_ca *load_ca(const char *dir, char **cause)
{
    if (dir == NULL)
        return tls_ca_generate("azsim local CA", cause);
    bool missing = false;
    size_t len;
    char *why = NULL;
    char *cert = persist_read(dir, "ca.pem", &len, &missing, &why);
    char *key = cert ? persist_read(dir, "ca-key.pem", &len, &missing, &why) : NULL;
    free(why);
    struct tls_ca *ca = NULL;
    if (cert && key) {
        ca = tls_ca_load(cert, key, cause);
    } else if (cert == NULL || missing) {
        ca = tls_ca_generate("azsim local CA", cause);
        char *c = ca ? tls_ca_cert_pem(ca) : NULL, *k = ca ? tls_ca_key_pem(ca) : NULL;
        if (ca && (persist_write(dir, "ca.pem", c, strlen(c), cause) < 0 ||
                   persist_write(dir, "ca-key.pem", k, strlen(k), cause) < 0)) {
            tls_ca_destroy(ca);
            ca = NULL;
        }
        free(c);
        secret_free_str(k);
    }
    free(cert);
    secret_free_str(key);
    return ca;
}

static int write_ca_file(const char *path, const char *pem, char **cause)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f && fputs(pem, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0) {
        fclose(f);
        f = NULL;
        rc = rename(tmp, path);
    }
    if (f)
        fclose(f);
    if (rc < 0) {
        xcause(cause, "cannot write the CA certificate to %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static char *default_ca_path(const struct boot_options *o)
{
    if (o->ca_out)
        return xstrdup(o->ca_out);
    if (o->state_dir)
        return xasprintf("%s/ca.pem", o->state_dir);
    char tmpl[] = "/tmp/azsim.XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return xstrdup("azsim-ca.pem");
    return xasprintf("%s/ca.pem", tmpl);
}

int boot_tls(struct sim *sim, const struct boot_options *o, struct boot_tls *tls, char **cause)
{
    size_t len;
    if (o->tls_cert || o->tls_key) {
        if (!o->tls_cert || !o->tls_key) {
            xcause(cause, "--tls-cert and --tls-key go together");
            return -1;
        }
        tls->chain_pem = scenario_read_file(o->tls_cert, 1 << 20, &len, cause);
        tls->key_pem = tls->chain_pem ? scenario_read_file(o->tls_key, 1 << 20, &len, cause) : NULL;
        tls->ca_path = o->tls_ca ? xstrdup(o->tls_ca) : NULL;
        return tls->key_pem ? 0 : -1;
    }
    struct tls_ca *ca = load_ca(o->state_dir, cause);
    if (ca == NULL)
        return -1;
    const char *s = sim->dns_suffix;
    char *names[] = {xstrdup(s), xasprintf("*.vault.%s", s), xasprintf("login.%s", s),
                     xasprintf("management.%s", s), xstrdup("localhost")};
    size_t nnames = strcmp(s, "localhost") == 0 ? 4 : 5;
    int rc = tls_ca_issue_server(ca, (const char *const *)names, nnames, &tls->chain_pem,
                                 &tls->key_pem, cause);
    for (size_t i = 0; i < 5; i++)
        free(names[i]);
    if (rc == 0) {
        char *pem = tls_ca_cert_pem(ca);
        tls->ca_path = default_ca_path(o);
        bool same = o->state_dir && !o->ca_out; /* already in the state folder */
        rc = same ? 0 : write_ca_file(tls->ca_path, pem, cause);
        free(pem);
    }
    tls_ca_destroy(ca);
    return rc;
}

void boot_tls_cleanup(struct boot_tls *tls)
{
    free(tls->chain_pem);
    secret_free_str(tls->key_pem);
    free(tls->ca_path);
    memset(tls, 0, sizeof *tls);
}
