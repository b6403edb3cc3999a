#include "oplock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloud.h"
#include "json.h"
#include "xmem.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, three bytes */

/* A raw value longer than this cannot come from Azure (256 characters of at most 4 bytes). */
#define RAW_MAX 1024

/* RFC 3339 needs a four-digit year: expiries stop before 10000-01-01. */
#define EXPIRES_END INT64_C(253402300800)

enum tag { TAG_OWNER, TAG_RUN, TAG_REASON, TAG_EXPIRES, TAG_OP, TAG_COUNT };

static const char *const tag_names[TAG_COUNT] = {
    OPLOCK_TAG_OWNER, OPLOCK_TAG_RUN, OPLOCK_TAG_REASON, OPLOCK_TAG_EXPIRES, OPLOCK_TAG_OP};

const char *oplock_state_name(enum oplock_state state)
{
    switch (state) {
    case OPLOCK_FREE:
        return "free";
    case OPLOCK_OURS:
        return "ours";
    case OPLOCK_HELD:
        return "held";
    case OPLOCK_EXPIRED:
        return "expired";
    }
    return "?";
}

/* -- values ----------------------------------------------------------------------------------- */

/* Bytes of the UTF-8 character at s (1..4) and its code point; 0 when the bytes are no UTF-8. */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
    static const struct {
        unsigned char mask, lead, bits;
        uint32_t min;
    } forms[] = {{0xe0, 0xc0, 0x1f, 0x80}, {0xf0, 0xe0, 0x0f, 0x800}, {0xf8, 0xf0, 0x07, 0x10000}};
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t f = 0;
    while (f < 3 && (s[0] & forms[f].mask) != forms[f].lead)
        f++;
    if (f == 3)
        return 0;
    size_t n = f + 2;
    uint32_t v = s[0] & forms[f].bits, min = forms[f].min;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* the terminating NUL stops here too */
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* What a terminal must not be given: C0, DEL, C1, line separators, bidirectional overrides. */
static bool unsafe(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *oplock_sanitize(const char *value, size_t max)
{
    if (value == NULL)
        return xstrdup("");
    /* Every replacement is no longer than what it replaces. */
    char *clean = xmalloc(strlen(value) + 1);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p;) {
        uint32_t cp;
        size_t k = utf8_char(p, &cp);
        if (k == 0) {
            clean[n++] = '?';
            p++;
            continue;
        }
        if (unsafe(cp)) {
            clean[n++] = ' ';
        } else {
            memcpy(clean + n, p, k);
            n += k;
        }
        p += k;
    }
    size_t start = 0;
    while (start < n && clean[start] == ' ')
        start++;
    while (n > start && clean[n - 1] == ' ')
        n--;
    char *out;
    /* cppcheck-suppress knownConditionTrueFalse ; false when the value is longer than max */
    if (n - start <= max) {
        out = xstrndup(clean + start, n - start);
    } else {
        bool mark = max >= sizeof ELLIPSIS - 1;
        size_t cut = mark ? max - (sizeof ELLIPSIS - 1) : max;
        while (cut > 0 && ((unsigned char)clean[start + cut] & 0xc0) == 0x80)
            cut--; /* never split a character */
        while (cut > 0 && clean[start + cut - 1] == ' ')
            cut--;
        out = xasprintf("%.*s%s", (int)cut, clean + start, mark ? ELLIPSIS : "");
    }
    free(clean);
    return out;
}

/* A fixed-size field of a caller's struct, sanitized (it may lack its NUL). */
static char *field_text(const char *field, size_t size, size_t max)
{
    char *raw = xstrndup(field, size - 1);
    char *s = oplock_sanitize(raw, max);
    free(raw);
    return s;
}

/* Copies value sanitized into dst of size bytes (max size - 1). */
static void field_set(char *dst, size_t size, const char *value)
{
    char *s = oplock_sanitize(value, size - 1);
    memcpy(dst, s, strlen(s) + 1);
    free(s);
}

bool oplock_run_valid(const char *run)
{
    if (run == NULL || run[0] == '\0' || strlen(run) > OPLOCK_RUN_MAX)
        return false;
    char *s = oplock_sanitize(run, OPLOCK_RUN_MAX);
    bool same = strcmp(s, run) == 0;
    free(s);
    return same;
}

static void utc_text(int64_t t, bool rfc3339, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t < 0 || t >= EXPIRES_END || gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, size, "@%lld", (long long)t);
        return;
    }
    if (rfc3339)
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        snprintf(buf, size, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* -- parse, judge, describe ------------------------------------------------------------------- */

/* The tag named name (case-insensitive, as ARM compares them), or NULL; -1 when it is unusable. */
static int find_tag(const cJSON *tags, const char *name, const cJSON **out, char **cause)
{
    *out = NULL;
    for (const cJSON *t = tags->child; t; t = t->next) {
        if (t->string == NULL || strcasecmp(t->string, name) != 0)
            continue;
        if (*out) {
            xcause(cause, "%s appears twice", name);
        } else if (!cJSON_IsString(t) || t->valuestring == NULL) {
            xcause(cause, "%s is not a string", name);
        } else if (strlen(t->valuestring) > RAW_MAX) {
            xcause(cause, "%s is longer than a tag value can be", name);
        } else {
            *out = t;
            continue;
        }
        *out = NULL;
        return -1;
    }
    return 0;
}

static const char *tag_value(const cJSON *t)
{
    return t ? t->valuestring : "";
}

int oplock_parse(const cJSON *tags, struct oplock *out, char **cause)
{
    memset(out, 0, sizeof *out);
    if (tags == NULL || cJSON_IsNull(tags))
        return 0;
    if (!cJSON_IsObject(tags)) {
        xcause(cause, "the tags are not a JSON object");
        return -1;
    }
    const cJSON *t[TAG_COUNT];
    bool bad = false;
    for (size_t i = 0; i < TAG_COUNT; i++) {
        if (find_tag(tags, tag_names[i], &t[i], bad ? NULL : cause) < 0)
            bad = true;
    }
    field_set(out->owner, sizeof out->owner, tag_value(t[TAG_OWNER]));
    field_set(out->reason, sizeof out->reason, tag_value(t[TAG_REASON]));
    field_set(out->op, sizeof out->op, tag_value(t[TAG_OP]));
    if (bad)
        return -1;
    const char *expires = tag_value(t[TAG_EXPIRES]), *run = tag_value(t[TAG_RUN]);
    if (out->owner[0] == '\0' && expires[0] == '\0') {
        memset(out, 0, sizeof *out); /* a stray run, reason or op is no lock */
        return 0;
    }
    if (out->owner[0] == '\0') {
        xcause(cause, "%s is missing or empty", OPLOCK_TAG_OWNER);
        return -1;
    }
    if (expires[0] == '\0') {
        xcause(cause, "%s is missing or empty", OPLOCK_TAG_EXPIRES);
        return -1;
    }
    if (json_parse_iso8601(expires, &out->expires) < 0) {
        xcause(cause, "%s is not an RFC 3339 time", OPLOCK_TAG_EXPIRES);
        return -1;
    }
    if (run[0] && !oplock_run_valid(run)) {
        xcause(cause, "%s is not a run id (1 to %d bytes, no control characters)", OPLOCK_TAG_RUN,
               OPLOCK_RUN_MAX);
        return -1;
    }
    memcpy(out->run, run, strlen(run) + 1);
    return 1;
}

enum oplock_state oplock_judge(int present, const struct oplock *l, const char *run, int64_t now)
{
    if (present == 0)
        return OPLOCK_FREE;
    if (present < 0 || l == NULL)
        return OPLOCK_HELD; /* never steal a lock you cannot read */
    if (run && run[0] && strncmp(l->run, run, sizeof l->run) == 0)
        return OPLOCK_OURS;
    if (l->expires <= now)
        return OPLOCK_EXPIRED;
    return OPLOCK_HELD;
}

/* "under a minute", "42 min", "2 h 5 min", "3 days" for s >= 0 seconds. */
static char *span_text(int64_t s)
{
    if (s < 60)
        return xstrdup("under a minute");
    if (s < 3600)
        return xasprintf("%lld min", (long long)(s / 60));
    if (s < 48 * 3600) {
        long long h = s / 3600, m = s % 3600 / 60;
        return m ? xasprintf("%lld h %lld min", h, m) : xasprintf("%lld h", h);
    }
    return xasprintf("%lld days", (long long)(s / 86400));
}

/* " for \"op: reason\"", " for \"op\"", " for \"reason\"" or "". */
static char *purpose_text(const struct oplock *l)
{
    char *op = field_text(l->op, sizeof l->op, OPLOCK_OP_MAX);
    char *reason = field_text(l->reason, sizeof l->reason, OPLOCK_REASON_MAX);
    char *out;
    if (op[0] && reason[0])
        out = xasprintf(" for \"%s: %s\"", op, reason);
    else if (op[0] || reason[0])
        out = xasprintf(" for \"%s\"", op[0] ? op : reason);
    else
        out = xstrdup("");
    free(op);
    free(reason);
    return out;
}

char *oplock_describe(const struct oplock *l, int64_t now)
{
    if (l == NULL)
        return xstrdup("not locked");
    char *owner = field_text(l->owner, sizeof l->owner, OPLOCK_OWNER_MAX);
    char *purpose = purpose_text(l);
    char until[64];
    utc_text(l->expires, false, until, sizeof until);
    /* Both ends clamped to what an RFC 3339 time can say: the difference cannot overflow. */
    int64_t e = l->expires < 0 ? 0 : l->expires > EXPIRES_END ? EXPIRES_END : l->expires;
    int64_t n = now < 0 ? 0 : now > EXPIRES_END ? EXPIRES_END : now;
    char *span = span_text(e > n ? e - n : n - e);
    char *out = xasprintf(e > n ? "held by %s%s until %s (in %s)"
                                : "held by %s%s until %s (expired %s ago)",
                          owner[0] ? owner : "someone", purpose, until, span);
    free(span);
    free(purpose);
    free(owner);
    return out;
}

/* -- request bodies --------------------------------------------------------------------------- */

static char *body_text(cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (text == NULL)
        abort(); /* cJSON only fails on allocation */
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

/* {"operation":op,"properties":{"tags":{}}} and its tags object in *tags. */
static cJSON *patch_new(const char *op, cJSON **tags)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "operation", op);
    *tags = cJSON_AddObjectToObject(cJSON_AddObjectToObject(j, "properties"), "tags");
    return j;
}

char *oplock_merge_body(const struct oplock *want, char **cause)
{
    if (want == NULL) {
        xcause(cause, "no lock to take");
        return NULL;
    }
    char *owner = field_text(want->owner, sizeof want->owner, OPLOCK_OWNER_MAX);
    char *run = xstrndup(want->run, sizeof want->run - 1);
    char *reason = field_text(want->reason, sizeof want->reason, OPLOCK_REASON_MAX);
    char *op = field_text(want->op, sizeof want->op, OPLOCK_OP_MAX);
    char *body = NULL;
    char expires[64];
    if (owner[0] == '\0') {
        xcause(cause, "the lock needs an owner");
    } else if (!oplock_run_valid(run)) {
        xcause(cause, "the lock needs a run id (1 to %d bytes, no control characters)",
               OPLOCK_RUN_MAX);
    } else if (want->expires <= 0 || want->expires >= EXPIRES_END) {
        xcause(cause, "the lock needs an expiry");
    } else {
        utc_text(want->expires, true, expires, sizeof expires);
        cJSON *tags;
        cJSON *j = patch_new("Merge", &tags);
        cJSON_AddStringToObject(tags, OPLOCK_TAG_OWNER, owner);
        cJSON_AddStringToObject(tags, OPLOCK_TAG_RUN, run);
        cJSON_AddStringToObject(tags, OPLOCK_TAG_REASON, reason);
        cJSON_AddStringToObject(tags, OPLOCK_TAG_EXPIRES, expires);
        cJSON_AddStringToObject(tags, OPLOCK_TAG_OP, op);
        body = body_text(j);
    }
    free(owner);
    free(run);
    free(reason);
    free(op);
    return body;
}

/*
 * Delete of the lock's tags by the names and values read: where ARM matches
 * values, a lock someone else wrote since the read stays.
 */
static char *delete_body(const cJSON *read)
{
    cJSON *tags;
    cJSON *j = patch_new("Delete", &tags);
    for (const cJSON *t = read ? read->child : NULL; t; t = t->next) {
        for (size_t i = 0; i < TAG_COUNT && t->string && cJSON_IsString(t); i++) {
            if (strcasecmp(t->string, tag_names[i]) == 0)
                cJSON_AddStringToObject(tags, t->string, t->valuestring);
        }
    }
    return body_text(j);
}

/* -- the calls -------------------------------------------------------------------------------- */

enum chain_kind { CHAIN_READ, CHAIN_ACQUIRE, CHAIN_RELEASE };
enum chain_step { STEP_READ, STEP_WRITE, STEP_CHECK };

/*
 * A handle of our own: an az_call lives for one request, and azure.h offers no
 * call that spans several, so cancelling goes through oplock_cancel.
 */
struct oplock_call {
    struct azure *az;
    struct az_call *inner; /* the request running now: there always is one */
    enum chain_kind kind;
    enum chain_step step;
    char *url;
    char *run;   /* whose point of view ("": nobody's) */
    char *merge; /* acquire: the PATCH body */
    int64_t now;
    enum oplock_state state; /* of the last read: HELD until one succeeds */
    struct oplock lock;
    bool have_lock;
    oplock_fn fn;
    void *arg;
};

static void call_free(struct oplock_call *c)
{
    free(c->url);
    free(c->run);
    free(c->merge);
    free(c);
}

static void on_cancelled(void *arg)
{
    call_free(arg);
}

static void finish(struct oplock_call *c, enum core_err err, const char *cause)
{
    oplock_fn fn = c->fn;
    void *arg = c->arg;
    enum oplock_state state = c->state;
    struct oplock lock = c->lock;
    bool have = c->have_lock;
    call_free(c);
    fn(err, state, have ? &lock : NULL, cause, arg);
}

static void on_reply(const struct az_reply *r, void *arg);

/* A GET of the tags (body NULL) or a PATCH of them. */
static void send_step(struct oplock_call *c, enum chain_step step, const char *body)
{
    c->step = step;
    if (body == NULL)
        c->inner = azure_send(c->az, AZ_ARM, "GET", c->url, NULL, false, on_reply, c);
    else /* 200 at once; should ARM answer 202 some day, the LRO follows it */
        c->inner = azure_lro(c->az, "PATCH", c->url, body, 0, on_reply, c);
    azure_on_cancel(c->inner, on_cancelled, c);
}

/* The tags of a Tags API body (properties.tags, NULL when absent); -1 when its shape is wrong. */
static int tags_of(const cJSON *root, const cJSON **tags, char **cause)
{
    *tags = NULL;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "properties");
    if (p == NULL || cJSON_IsNull(p))
        return 0;
    if (!cJSON_IsObject(p)) {
        xcause(cause, "properties is not an object");
        return -1;
    }
    *tags = cJSON_GetObjectItemCaseSensitive(p, "tags");
    return 0;
}

static char *held_cause(const struct oplock *partial, const char *cause)
{
    return xasprintf("the lock tags%s%s cannot be read (%s): counted as held and never "
                     "overwritten; remove the tdectl-lock-* tags by hand once nobody holds it",
                     partial->owner[0] ? " of " : "", partial->owner, cause ? cause : "malformed");
}

/* An answer carrying tags: judge them, then write, or report. */
static void judge_reply(struct oplock_call *c, const struct az_reply *r)
{
    char *cause = NULL, *why = NULL, *body = NULL;
    const cJSON *tags = NULL;
    int present;
    cJSON *root = json_parse_object(r->body, r->len, &cause);
    if (root == NULL) {
        why = xasprintf("the Tags API's answer: %s", cause ? cause : "unreadable");
        finish(c, CORE_ERR_PARSE, why);
        goto out;
    }
    present = tags_of(root, &tags, &cause) < 0 ? -1 : oplock_parse(tags, &c->lock, &cause);
    c->have_lock = present > 0;
    c->state = oplock_judge(present, &c->lock, c->run, c->now);
    if (present < 0)
        why = held_cause(&c->lock, cause);
    if (c->step == STEP_READ && c->kind == CHAIN_ACQUIRE && c->state != OPLOCK_HELD)
        body = xstrdup(c->merge);
    else if (c->step == STEP_READ && c->kind == CHAIN_RELEASE && c->state == OPLOCK_OURS)
        body = delete_body(tags);
    if (body)
        send_step(c, STEP_WRITE, body);
    else
        finish(c, CORE_OK, why);
out:
    cJSON_Delete(root);
    free(body);
    free(why);
    free(cause);
}

static void on_reply(const struct az_reply *r, void *arg)
{
    struct oplock_call *c = arg;
    c->inner = NULL;
    if (r->st.err != CORE_OK) {
        finish(c, r->st.err, r->st.error ? r->st.error : core_err_name(r->st.err));
    } else if (c->kind == CHAIN_ACQUIRE && c->step == STEP_WRITE) {
        send_step(c, STEP_CHECK, NULL); /* the last writer wins: read who that was */
    } else if (c->kind == CHAIN_RELEASE && c->step == STEP_WRITE && r->len == 0) {
        c->state = OPLOCK_FREE;
        c->have_lock = false;
        finish(c, CORE_OK, NULL);
    } else {
        judge_reply(c, r);
    }
}

/* An ARM id that can go into a URL as it is. */
static bool resource_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n <= 15 || n > 1024 || strncasecmp(id, "/subscriptions/", 15) != 0 || id[n - 1] == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (*p <= ' ' || *p == 0x7f || strchr("?#%\"\\", *p))
            return false;
    }
    return true;
}

static struct oplock_call *call_new(struct azure *az, enum chain_kind kind, const char *run,
                                    int64_t now, oplock_fn fn, void *arg)
{
    struct oplock_call *c = xcalloc(1, sizeof *c);
    c->az = az;
    c->kind = kind;
    c->run = xstrndup(run ? run : "", RAW_MAX);
    c->now = now;
    c->state = OPLOCK_HELD;
    c->fn = fn;
    c->arg = arg;
    return c;
}

/* Starts the chain with its first read, or fails it from the loop when bad says why. */
static struct oplock_call *call_start(struct oplock_call *c, const char *instance_id,
                                      const char *bad)
{
    if (bad == NULL && !resource_id_valid(instance_id))
        bad = "the instance is no ARM resource id";
    if (bad) {
        c->inner = azure_fail(c->az, CORE_ERR_CONFIG, bad, on_reply, c);
        azure_on_cancel(c->inner, on_cancelled, c);
        return c;
    }
    c->url = xasprintf("%s%s/providers/Microsoft.Resources/tags/default?api-version=%s",
                       azure_cloud(c->az)->arm_endpoint, instance_id, OPLOCK_API);
    send_step(c, STEP_READ, NULL);
    return c;
}

struct oplock_call *oplock_read(struct azure *az, const char *instance_id, const char *run,
                                int64_t now, oplock_fn fn, void *arg)
{
    return call_start(call_new(az, CHAIN_READ, run, now, fn, arg), instance_id, NULL);
}

struct oplock_call *oplock_acquire(struct azure *az, const char *instance_id,
                                   const struct oplock *want, int64_t now, oplock_fn fn, void *arg)
{
    char *run = want ? xstrndup(want->run, sizeof want->run - 1) : NULL;
    struct oplock_call *c = call_new(az, CHAIN_ACQUIRE, run, now, fn, arg);
    char *cause = NULL;
    c->merge = oplock_merge_body(want, &cause);
    const char *bad = c->merge == NULL       ? cause
                      : want->expires <= now ? "the lock's expiry is not in the future"
                                             : NULL;
    call_start(c, instance_id, bad);
    free(cause);
    free(run);
    return c;
}

struct oplock_call *oplock_release(struct azure *az, const char *instance_id, const char *run,
                                   int64_t now, oplock_fn fn, void *arg)
{
    return call_start(call_new(az, CHAIN_RELEASE, run, now, fn, arg), instance_id, NULL);
}

void oplock_cancel(struct oplock_call *call)
{
    if (call)
        azure_cancel(call->inner); /* its cancel hook frees call */
}
