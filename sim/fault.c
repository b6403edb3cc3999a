#include "fault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "faultstate.h"
#include "sim.h"
#include "simclock.h"
#include "slog.h"
#include "world.h"
#include "xmem.h"

static const char *const kind_names[FAULT_KIND_COUNT] = {
    "refused",   "blackhole",   "latency",    "tls",        "reset",
    "slow",      "throttle",    "error",      "malformed",  "truncated",
    "oversized", "key-disable", "key-expire", "key-delete", "vault-delete",
    "revoke",    "rbac-flip",   "pe-state",   "read-only",
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault **faults;
static size_t nfaults;
static unsigned next_id = 1;
static atomic_int active; /* nfaults, readable without the lock */
static atomic_bool released;
static struct sim *the_sim;

void fault_init(struct sim *sim)
{
    the_sim = sim;
}

static void fault_free(struct fault *f)
{
    faultstate_free_undo(f);
    cJSON_Delete(f->spec);
    free(f);
}

void fault_shutdown(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults; i++)
        fault_free(faults[i]);
    free(faults);
    faults = NULL;
    nfaults = 0;
    atomic_store(&active, 0);
    pthread_mutex_unlock(&lock);
}

static bool network_or_service(enum fault_kind k)
{
    return k <= FAULT_OVERSIZED;
}

/* "vault:NAME[@VIEW]", "arm", "login", "imds", "listener:https|imds". */
static int parse_target(const char *text, struct fault *f, char **cause)
{
    if (strncmp(text, "vault:", 6) == 0) {
        const char *at = strchr(text + 6, '@');
        size_t n = at ? (size_t)(at - text - 6) : strlen(text + 6);
        if (n == 0 || n >= sizeof f->name)
            goto bad;
        if (at && (at[1] == '\0' || strlen(at + 1) >= sizeof f->view))
            goto bad; /* "vault:X@" must name a view: never widen a typo to everyone */
        f->target = TARGET_VAULT;
        memcpy(f->name, text + 6, n);
        f->name[n] = '\0';
        snprintf(f->view, sizeof f->view, "%s", at ? at + 1 : "");
        return 0;
    }
    if (strcmp(text, "arm") == 0 || strcmp(text, "login") == 0 || strcmp(text, "imds") == 0) {
        f->target = TARGET_SERVICE;
        snprintf(f->name, sizeof f->name, "%s", text);
        return 0;
    }
    if (strcmp(text, "listener:https") == 0 || strcmp(text, "listener:imds") == 0) {
        f->target = TARGET_LISTENER;
        snprintf(f->name, sizeof f->name, "%s", text + 9);
        return 0;
    }
bad:
    xcause(cause, "target must be vault:NAME, vault:NAME@console, vault:NAME@REGION, arm, "
                  "login, imds, listener:https or listener:imds");
    return -1;
}

/*
 * The parameters each kind takes, beyond "kind", "target" and
 * "duration_seconds". Anything else is refused: a misspelt or mistyped
 * parameter would otherwise inject something other than what was asked.
 */
static const char *const kind_params[FAULT_KIND_COUNT][4] = {
    [FAULT_LATENCY] = {"ms", "jitter_ms"},
    [FAULT_SLOW] = {"bytes_per_second"},
    [FAULT_THROTTLE] = {"rate", "retry_after"},
    [FAULT_ERROR] = {"rate", "status", "retry_after"},
    [FAULT_MALFORMED] = {"rate"},
    [FAULT_TRUNCATED] = {"rate"},
    [FAULT_OVERSIZED] = {"bytes"},
    [FAULT_KEY_DISABLE] = {"vault", "key", "version"},
    [FAULT_KEY_EXPIRE] = {"vault", "key", "version"},
    [FAULT_KEY_DELETE] = {"vault", "key"},
    [FAULT_VAULT_DELETE] = {"vault"},
    [FAULT_REVOKE] = {"vault", "principal"},
    [FAULT_RBAC_FLIP] = {"vault"},
    [FAULT_PE_STATE] = {"pe", "status"},
    [FAULT_READ_ONLY] = {"vault"},
};

static bool network_or_service(enum fault_kind k);

/* Every member is known to the kind and of the right type (numbers for network/service). */
static int check_fields(const cJSON *spec, enum fault_kind k, char **cause)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, spec)
    {
        const char *name = item->string;
        bool known = strcmp(name, "kind") == 0 || strcmp(name, "duration_seconds") == 0 ||
                     (strcmp(name, "target") == 0 && network_or_service(k));
        for (size_t i = 0; i < 4 && kind_params[k][i] && !known; i++)
            known = strcmp(kind_params[k][i], name) == 0;
        if (!known) {
            xcause(cause, "a %s fault has no parameter \"%s\"", kind_names[k], name);
            return -1;
        }
        bool number =
            strcmp(name, "duration_seconds") == 0 ||
            (network_or_service(k) && strcmp(name, "target") != 0 && strcmp(name, "kind") != 0);
        if (number ? !cJSON_IsNumber(item) : !cJSON_IsString(item)) {
            xcause(cause, "\"%s\" must be a %s", name, number ? "number" : "string");
            return -1;
        }
    }
    return 0;
}

/* A vault target names a vault of the world, and its view "console" or one of its regions. */
static int check_vault_target(const struct fault *f, char **cause)
{
    struct world *w = the_sim ? the_sim->world : NULL;
    if (w == NULL || f->target != TARGET_VAULT)
        return 0;
    world_rdlock(w);
    bool vault = world_vault(w, f->name) != NULL;
    bool view = f->view[0] == '\0' || strcasecmp(f->view, "console") == 0 ||
                world_region(w, f->view) != NULL;
    world_unlock(w);
    if (!vault)
        xcause(cause, "no vault '%s'", f->name);
    else if (!view)
        xcause(cause, "'%s' is neither \"console\" nor a region of the scenario", f->view);
    return vault && view ? 0 : -1;
}

static double num(const cJSON *spec, const char *name, double dflt)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(spec, name);
    return cJSON_IsNumber(item) ? item->valuedouble : dflt;
}

static const char *str(const cJSON *spec, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(spec, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool within(double v, double lo, double hi)
{
    return v >= lo && v <= hi; /* false for NaN too */
}

static int parse_params(const cJSON *spec, struct fault *f, char **cause)
{
    double ms = num(spec, "ms", 1000), jitter = num(spec, "jitter_ms", 0);
    double rate = num(spec, "rate", 1.0), status = num(spec, "status", 503);
    double retry = num(spec, "retry_after", 1), bytes = num(spec, "bytes", 64.0 * 1024 * 1024);
    double bps = num(spec, "bytes_per_second", 64);
    /* Check ranges before converting: a double out of an int's range is undefined. */
    bool ok = within(ms, 0, 600000) && within(jitter, 0, 600000) && within(rate, 0, 1) &&
              within(status, 400, 599) && within(retry, 0, 3600) &&
              within(bytes, 0, 1024.0 * 1024 * 1024) && within(bps, 1, 1e9);
    if (ok) {
        f->ms = (int)ms;
        f->jitter_ms = (int)jitter;
        f->rate = rate;
        f->status = (int)status;
        f->retry_after = (int)retry;
        f->bytes = (long)bytes;
        f->bps = (long)bps;
    }
    if (!ok) {
        xcause(cause, "a parameter is out of range (ms and jitter_ms 0..600000, rate 0..1, "
                      "status 400..599, retry_after 0..3600, bytes up to 1 GiB, "
                      "bytes_per_second >= 1)");
        return -1;
    }
    if (f->kind == FAULT_TLS && (f->target != TARGET_LISTENER || strcmp(f->name, "https") != 0)) {
        xcause(cause, "tls faults apply to a whole listener (target listener:https)");
        return -1;
    }
    if (f->kind == FAULT_REFUSED && f->target == TARGET_LISTENER && strcmp(f->name, "https") &&
        strcmp(f->name, "imds")) {
        xcause(cause, "unknown listener");
        return -1;
    }
    return 0;
}

static bool random_hit(double rate)
{
    if (rate >= 1.0)
        return true;
    unsigned int r;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        return false;
    return (double)r / 4294967296.0 < rate;
}

cJSON *fault_add(const cJSON *spec, char **cause)
{
    const char *kind = str(spec, "kind"), *target = str(spec, "target");
    struct fault *f = xcalloc(1, sizeof *f);
    int k = 0;
    while (kind && k < FAULT_KIND_COUNT && strcmp(kind_names[k], kind) != 0)
        k++;
    if (kind == NULL || k == FAULT_KIND_COUNT) {
        xcause(cause, "unknown fault kind '%s'", kind ? kind : "");
        free(f);
        return NULL;
    }
    f->kind = (enum fault_kind)k;
    if (check_fields(spec, f->kind, cause) < 0) {
        free(f);
        return NULL;
    }
    double duration = num(spec, "duration_seconds", 0);
    if (duration < 0 || duration > 86400 * 7) {
        xcause(cause, "duration_seconds must be 0..604800 (0: until cleared)");
        free(f);
        return NULL;
    }
    if (network_or_service(f->kind)) {
        if (target == NULL || parse_target(target, f, cause) < 0 ||
            check_vault_target(f, cause) < 0 || parse_params(spec, f, cause) < 0) {
            if (target == NULL)
                xcause(cause, "a %s fault needs a target", kind);
            free(f);
            return NULL;
        }
    } else if (faultstate_apply(the_sim, spec, f, cause) < 0) {
        free(f);
        return NULL;
    }
    f->expires_ms = duration > 0 ? simclock_mono_ms() + (int64_t)(duration * 1000) : 0;
    f->spec = cJSON_Duplicate(spec, 1);
    pthread_mutex_lock(&lock);
    snprintf(f->id, sizeof f->id, "f%u", next_id++);
    faults = xrealloc(faults, nfaults + 1, sizeof *faults);
    faults[nfaults++] = f;
    atomic_store(&active, (int)nfaults);
    cJSON *out = cJSON_Duplicate(f->spec, 1);
    cJSON_AddStringToObject(out, "id", f->id);
    pthread_mutex_unlock(&lock);
    slog(SLOG_INFO, "fault %s added: %s %s", f->id, kind, target ? target : "");
    return out;
}

/* Faults that move a vault's grants (revoke, rbac-flip, vault-delete) collide with each other. */
static bool moves_grants(enum fault_kind k)
{
    return k == FAULT_REVOKE || k == FAULT_RBAC_FLIP || k == FAULT_VAULT_DELETE;
}

static bool same_thing(const struct fault *a, const struct fault *b)
{
    if (a->kind == FAULT_PE_STATE || b->kind == FAULT_PE_STATE)
        return a->kind == b->kind && strcasecmp(a->pe, b->pe) == 0;
    if (strcasecmp(a->vault, b->vault) != 0)
        return false;
    if (moves_grants(a->kind) && moves_grants(b->kind))
        return true;
    return a->kind == b->kind && strcasecmp(a->key, b->key) == 0 &&
           strcasecmp(a->version, b->version) == 0;
}

void fault_state_conflict(const struct fault *candidate, char out[16])
{
    out[0] = '\0';
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults && !out[0]; i++) {
        if (!network_or_service(faults[i]->kind) && same_thing(faults[i], candidate))
            snprintf(out, 16, "%s", faults[i]->id);
    }
    pthread_mutex_unlock(&lock);
}

/* Removes faults[i] (lock held) and returns it for the caller to undo and free. */
static struct fault *take(size_t i)
{
    struct fault *f = faults[i];
    memmove(&faults[i], &faults[i + 1], (nfaults - i - 1) * sizeof *faults);
    nfaults--;
    atomic_store(&active, (int)nfaults);
    return f;
}

static void finish(struct fault *f, const char *why)
{
    if (!network_or_service(f->kind))
        faultstate_undo(the_sim, f);
    slog(SLOG_INFO, "fault %s %s", f->id, why);
    fault_free(f);
}

int fault_clear(const char *id)
{
    struct fault *found = NULL;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults && !found; i++) {
        if (strcmp(faults[i]->id, id) == 0)
            found = take(i);
    }
    pthread_mutex_unlock(&lock);
    if (found == NULL)
        return -1;
    finish(found, "cleared");
    return 0;
}

void fault_clear_all(void)
{
    for (;;) {
        pthread_mutex_lock(&lock);
        struct fault *f = nfaults ? take(nfaults - 1) : NULL;
        pthread_mutex_unlock(&lock);
        if (f == NULL)
            return;
        finish(f, "cleared");
    }
}

void fault_release_all(void)
{
    atomic_store(&released, true);
    fault_clear_all();
}

bool fault_released(void)
{
    return atomic_load(&released);
}

void fault_expire(void)
{
    int64_t now = simclock_mono_ms();
    for (;;) {
        struct fault *f = NULL;
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < nfaults && !f; i++) {
            if (faults[i]->expires_ms && faults[i]->expires_ms <= now)
                f = take(i);
        }
        pthread_mutex_unlock(&lock);
        if (f == NULL)
            return;
        finish(f, "expired");
    }
}

cJSON *fault_list(void)
{
    cJSON *list = cJSON_CreateArray();
    int64_t now = simclock_mono_ms();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults; i++) {
        cJSON *item = cJSON_Duplicate(faults[i]->spec, 1);
        cJSON_AddStringToObject(item, "id", faults[i]->id);
        if (faults[i]->expires_ms)
            cJSON_AddNumberToObject(item, "expires_in_seconds",
                                    (double)(faults[i]->expires_ms - now) / 1000.0);
        cJSON_AddItemToArray(list, item);
    }
    pthread_mutex_unlock(&lock);
    return list;
}

/* Does fault f apply to an HTTP request for service/name on listener? (lock held) */
static bool matches_request(const struct fault *f, const char *listener, const char *service,
                            const char *name)
{
    switch (f->target) {
    case TARGET_LISTENER:
        return strcmp(f->name, listener) == 0;
    case TARGET_SERVICE:
        return strcmp(f->name, service) == 0;
    case TARGET_VAULT:
        return strcmp(service, "vault") == 0 && name && strcasecmp(f->name, name) == 0 &&
               (f->view[0] == '\0' || strcasecmp(f->view, "console") == 0);
    }
    return false;
}

static void add_action(const struct fault *f, struct fault_action *a)
{
    switch (f->kind) {
    case FAULT_REFUSED:
        a->drop = true;
        break;
    case FAULT_BLACKHOLE:
        a->blackhole = true;
        break;
    case FAULT_LATENCY: {
        unsigned int r = 0;
        RAND_bytes((unsigned char *)&r, sizeof r);
        a->delay_ms +=
            f->ms + (f->jitter_ms ? (int)(r % (unsigned)(2 * f->jitter_ms + 1)) - f->jitter_ms : 0);
        if (a->delay_ms < 0)
            a->delay_ms = 0;
        break;
    }
    case FAULT_RESET:
        a->reset = true;
        break;
    case FAULT_SLOW:
        a->slow_bps = f->bps;
        break;
    case FAULT_THROTTLE:
        if (random_hit(f->rate)) {
            a->status = 429;
            a->retry_after = f->retry_after;
        }
        break;
    case FAULT_ERROR:
        if (random_hit(f->rate)) {
            a->status = f->status;
            a->retry_after = f->status == 503 ? f->retry_after : 0;
        }
        break;
    case FAULT_MALFORMED:
        a->malformed |= random_hit(f->rate);
        break;
    case FAULT_TRUNCATED:
        a->truncated |= random_hit(f->rate);
        break;
    case FAULT_OVERSIZED:
        a->oversized = f->bytes;
        break;
    default: /* TLS is a listener matter; state faults are not per request */
        break;
    }
}

void fault_for_request(const char *listener, const char *service, const char *name,
                       struct fault_action *out)
{
    memset(out, 0, sizeof *out);
    if (atomic_load(&active) == 0)
        return;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults; i++) {
        if (network_or_service(faults[i]->kind) &&
            matches_request(faults[i], listener, service, name))
            add_action(faults[i], out);
    }
    pthread_mutex_unlock(&lock);
}

bool fault_still_active(const char *listener, const char *service, const char *name)
{
    bool found = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults && !found; i++)
        found = faults[i]->kind == FAULT_BLACKHOLE &&
                matches_request(faults[i], listener, service, name);
    pthread_mutex_unlock(&lock);
    return found;
}

bool fault_vault_outage(const char *vault, const char *region)
{
    bool out = false;
    if (atomic_load(&active) == 0)
        return false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults && !out; i++) {
        const struct fault *f = faults[i];
        if (f->target != TARGET_VAULT || strcasecmp(f->name, vault) != 0 ||
            (f->view[0] && strcasecmp(f->view, region) != 0))
            continue;
        switch (f->kind) {
        case FAULT_REFUSED:
        case FAULT_BLACKHOLE:
        case FAULT_RESET:
            out = true;
            break;
        case FAULT_LATENCY:
            out = f->ms >= 30000; /* beyond any client timeout */
            break;
        case FAULT_THROTTLE:
        case FAULT_ERROR:
            out = random_hit(f->rate);
            break;
        default:
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return out;
}

bool fault_listener(const char *listener, enum fault_kind kind)
{
    bool found = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfaults && !found; i++)
        found = faults[i]->kind == kind && faults[i]->target == TARGET_LISTENER &&
                strcmp(faults[i]->name, listener) == 0;
    pthread_mutex_unlock(&lock);
    return found;
}
