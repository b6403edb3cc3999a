#include "fmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

char *fmt_age(char *buf, size_t size, int64_t ms)
{
    if (ms < 0) {
        snprintf(buf, size, "-");
        return buf;
    }
    int64_t s = ms / 1000;
    if (s < 60)
        snprintf(buf, size, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, size, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(buf, size, "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, size, "%lldd %02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    return buf;
}

char *fmt_countdown(char *buf, size_t size, int64_t ms)
{
    int64_t s = ms > 0 ? (ms + 999) / 1000 : 0;
    if (s >= 3600)
        snprintf(buf, size, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s % 3600 / 60),
                 (long long)(s % 60));
    else
        snprintf(buf, size, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
    return buf;
}

char *fmt_time(char *buf, size_t size, int64_t wall_ms)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (wall_ms <= 0 || gmtime_r(&t, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%d %H:%MZ", &tm) == 0)
        snprintf(buf, size, "-");
    return buf;
}

char *fmt_date(char *buf, size_t size, int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (unix_s <= 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, size, "-");
    return buf;
}

char *fmt_short(char *buf, size_t size, const char *id, size_t n)
{
    if (id == NULL || id[0] == '\0')
        snprintf(buf, size, "-");
    else if (strlen(id) <= n)
        snprintf(buf, size, "%s", id);
    else
        snprintf(buf, size, "%.*s", (int)n, id); /* like a short git hash */
    return buf;
}
