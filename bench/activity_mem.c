/*
 * activity_mem — the console's command log at its plateau: the heap it holds
 * as calls are added, until and well past the console's ring of 5,000 entries
 * (tui/appsetup.c ACTIVITY_ENTRIES). Each call is shaped like a sweep's: an
 * ARM URL of a managed instance's databases or a Key Vault key's versions, and
 * the three ids Azure returns. Prints one line per step: calls added, entries
 * kept, heap in use (glibc mallinfo2) and bytes per kept entry.
 *
 *   build/bench/activity_mem [CAPACITY]     (default 5000)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "http.h"

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void add_calls(struct activity *a, size_t from, size_t to)
{
    char url[320], rid[48], crid[48], corr[48];
    for (size_t i = from; i < to; i++) {
        if (i % 3 == 0)
            snprintf(url, sizeof url,
                     "https://management.azure.com/subscriptions/"
                     "558aba93-77f9-4064-aa55-4db325ca1cbf/resourceGroups/rg-sql-prod-eastus2/"
                     "providers/Microsoft.Sql/managedInstances/sqlmi-prod-%04zu/databases",
                     i % 1000);
        else
            snprintf(url, sizeof url,
                     "https://kv-tde-%04zu.vault.azure.net/keys/tde-protector-2025/versions",
                     i % 1000);
        snprintf(rid, sizeof rid, "%08x-7a83-47e8-8813-24aad2a010b6", (unsigned)i);
        snprintf(crid, sizeof crid, "%08x-de98-40fa-bd61-11aa22bb33cc", (unsigned)i);
        snprintf(corr, sizeof corr, "%08x-93de-4ea6-8fad-64ddee55ff66", (unsigned)i);
        struct http_log_entry e = {.method = "GET",
                                   .url = url,
                                   .status = i % 50 ? 200 : 429,
                                   .request_id = rid,
                                   .client_request_id = crid,
                                   .correlation_id = corr,
                                   .attempt = 1,
                                   .elapsed_ms = 12,
                                   .retry_in_ms = -1};
        activity_add_call(a, 1764460800000 + (int64_t)i * 100, &e);
    }
}

int main(int argc, char **argv)
{
    size_t capacity = argc > 1 ? strtoul(argv[1], NULL, 10) : 5000;
    if (capacity == 0) {
        fprintf(stderr, "usage: activity_mem [CAPACITY > 0]\n");
        return 2;
    }
    size_t base = heap_in_use();
    struct activity *a = activity_create(capacity);
    size_t steps[] = {
        0, capacity / 10, capacity / 2, capacity, 2 * capacity, 5 * capacity, 20 * capacity};
    size_t done = 0;
    printf("%10s %8s %12s %10s\n", "calls", "kept", "heap bytes", "per entry");
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        add_calls(a, done, steps[s]);
        done = steps[s];
        size_t kept = activity_count(a), used = heap_in_use() - base;
        printf("%10zu %8zu %12zu %10.0f\n", done, kept, used,
               kept ? (double)used / (double)kept : 0.0);
    }
    activity_destroy(a);
    return 0;
}
