/*
 * fuzz_headers — an answer's header block as libcurl hands it over: the input
 * is split into lines, each given to core/httpresp.h httpresp_on_header in a
 * buffer of its exact size (no NUL), up to the first empty line; what follows
 * is the body (httpresp_on_body). Then httpresp_settle, the checks tdectl
 * makes on a nextLink / Location / Azure-AsyncOperation URL
 * (azure_same_authority), the challenge in WWW-Authenticate, and
 * core/retry.h's Retry-After readers on every header value.
 */
#include <stdlib.h>
#include <string.h>

#include "azure.h"
#include "challenge.h"
#include "fuzzsupport.h"
#include "httpresp.h"
#include "retry.h"
#include "xmem.h"

#define NOW_MS   1764460800000LL /* 2025-11-30T00:00:00Z */
#define DAY_MS   86400000LL
#define FUZZ_CAP 4096 /* small, so the size limits are reached too */

static void retry_values(const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return;
    char *value = xstrndup(colon + 1, len - (size_t)(colon + 1 - line));
    int64_t s = retry_after_parse(value, NOW_MS), ms = retry_after_ms_parse(value);
    if (s < -1 || s > DAY_MS || ms < -1)
        abort(); /* retry.h: -1 or a delay, clamped to a day */
    free(value);
}

static void clean_header(const char *v)
{
    for (; v && *v; v++) {
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            abort(); /* httpresp.h: header values lose their control characters */
    }
}

static void urls(const struct http_result *res)
{
    static const char *const bases[] = {"https://management.azure.com/subscriptions/s",
                                        "https://kv.vault.localhost:8443/keys"};
    const char *mine[] = {res->location, res->azure_async_operation, res->content_type};
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
        clean_header(mine[i]);
        for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
            (void)azure_same_authority(mine[i], bases[b]);
        (void)azure_same_authority(mine[i], mine[(i + 1) % 3]);
    }
    clean_header(res->request_id);
    clean_header(res->www_authenticate);
    if (res->www_authenticate) {
        struct challenge c;
        char *cause = NULL;
        memset(&c, 0, sizeof c);
        fuzz_check_cause(challenge_parse(res->www_authenticate, &c, &cause), &cause);
        challenge_cleanup(&c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct httpresp r;
    httpresp_init(&r, FUZZ_CAP, xstrdup("00000000-0000-0000-0000-000000000000"));
    size_t off = 0;
    bool body = false;
    while (off < size && !r.over_limit) {
        const uint8_t *nl = body ? NULL : memchr(data + off, '\n', size - off);
        size_t end = nl ? (size_t)(nl - data) + 1 : size;
        char *piece = xmalloc(end - off ? end - off : 1);
        memcpy(piece, data + off, end - off);
        if (body)
            (void)httpresp_on_body(piece, 1, end - off, &r);
        else {
            if (httpresp_on_header(piece, 1, end - off, &r) == end - off)
                retry_values(piece, end - off);
            body = end - off <= 2 && (piece[0] == '\n' || piece[0] == '\r');
        }
        free(piece);
        off = end;
    }
    httpresp_settle(&r);
    if (r.res.retry_after_ms < -1)
        abort();
    urls(&r.res);
    size_t blen = 0;
    free(httpresp_take_body(&r.res, &blen));
    httpresp_cleanup(&r);
    return 0;
}
