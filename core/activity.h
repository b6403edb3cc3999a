/*
 * activity — the command log: every REST call tdectl made (one entry per
 * attempt, as the transport's log hook reports it) and every note a front end
 * or wizard adds ("refresh requested", "practice drill started"), in a ring of
 * bounded size, so a console left running for days keeps a constant footprint.
 *
 * What is kept of a call: time, method, URL without query, HTTP status or
 * error, latency, attempt, and the ids support asks for (x-ms-request-id,
 * x-ms-client-request-id, x-ms-correlation-request-id). Never a header value
 * or a body: the transport gives none (http.h), so no secret can get here.
 *
 * Counters (by status class, throttled answers) cover every call since
 * creation, including those the ring has since dropped; activity_dropped says
 * how many entries fell out of the ring.
 *
 * Ownership: struct activity is opaque (create/destroy) and owns copies of
 * every string. activity_get's pointer is borrowed until the next add or
 * destroy. No errors: a full ring drops its oldest entry.
 */
#ifndef TDECTL_ACTIVITY_H
#define TDECTL_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct http_log_entry;

enum activity_kind { ACTIVITY_CALL, ACTIVITY_NOTE };

struct activity_entry {
    enum activity_kind kind;
    int64_t at_ms; /* wall clock */
    /* ACTIVITY_CALL */
    char *method;
    char *url; /* without the query string */
    long status;
    enum core_err err;
    int64_t latency_ms;
    unsigned attempt;
    int64_t retry_in_ms; /* -1: final attempt */
    char *request_id;
    char *client_request_id;
    char *correlation_id;
    /* ACTIVITY_NOTE: what and a one-line text */
    char *text;
};

struct activity_counts {
    uint64_t calls;     /* attempts seen */
    uint64_t ok;        /* 2xx */
    uint64_t client;    /* 4xx other than 429 */
    uint64_t throttled; /* 429 */
    uint64_t server;    /* 5xx */
    uint64_t failed;    /* no answer (network, timeout, refused) */
    int64_t last_throttled_ms;
};

struct activity *activity_create(size_t capacity);
void activity_destroy(struct activity *a);

/* The http_log_fn for http_set_log (arg: the activity); stamps the wall clock. */
void activity_http_hook(const struct http_log_entry *e, void *arg);
void activity_add_call(struct activity *a, int64_t at_ms, const struct http_log_entry *e);
void activity_add_note(struct activity *a, int64_t at_ms, const char *text);

/* Entries held, oldest first: index 0 .. activity_count - 1. */
size_t activity_count(const struct activity *a);
const struct activity_entry *activity_get(const struct activity *a, size_t i);
uint64_t activity_dropped(const struct activity *a);
/* Moves on every add (front ends redraw when it changed). */
uint64_t activity_generation(const struct activity *a);
struct activity_counts activity_counts(const struct activity *a);
/* 429 answers from host (as in the URL, case-insensitive) among the entries held since since_ms. */
size_t activity_throttled_since(const struct activity *a, const char *host, int64_t since_ms);

#endif
