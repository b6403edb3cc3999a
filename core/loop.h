/*
 * loop — the one event loop of tdectl (DESIGN.md: one thread, one loop).
 *
 * Built on curl_multi_poll: it waits on libcurl's sockets plus the descriptors
 * front ends add (stdin, a signal self-pipe, a child's pipe) and wakes for the
 * earliest timer. Nothing registered with the loop may block.
 *
 * Ownership: the loop owns the CURLM handle and a CURLSH share (the transport adds its easy
 * handles to it and is told about finished transfers through the done hook).
 * Callbacks run on the loop's thread from loop_run_once; they may add and
 * remove descriptors and timers, including their own.
 */
#ifndef TDECTL_LOOP_H
#define TDECTL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *loop, int fd, short revents, void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);
/* A transfer finished (msg->msg == CURLMSG_DONE). */
typedef void (*loop_done_fn)(struct loop *loop, CURLMsg *msg, void *arg);

/*
 * Fails (NULL, *cause) when libcurl cannot resolve names asynchronously: a
 * blocking resolver would freeze the console on a slow DNS server.
 */
struct loop *loop_create(char **cause);
/*
 * What loop_create checks of libcurl (curl_version_info): 7.85.0 or newer,
 * an asynchronous resolver and TLS. 0, or -1 with *cause naming what is missing.
 */
int loop_check_curl(const curl_version_info_data *info, char **cause);
/* Destroy the transport (http_destroy) first: it owns the easy handles on the multi. */
void loop_destroy(struct loop *loop);

CURLM *loop_multi(struct loop *loop);
/* A share handle (TLS sessions, DNS) for the loop's transfers; NULL if libcurl had none. */
CURLSH *loop_share(struct loop *loop);
void loop_set_done_hook(struct loop *loop, loop_done_fn fn, void *arg);

/*
 * Watches fd for events (POLLIN, POLLOUT). One watch per fd; watching again
 * replaces it. revents may also carry POLLHUP, POLLERR or POLLNVAL: a callback
 * that neither reads nor unwatches such a descriptor runs again every pass.
 */
void loop_watch(struct loop *loop, int fd, short events, loop_fd_fn fn, void *arg);
void loop_unwatch(struct loop *loop, int fd);

/* One-shot timer after delay_ms (>= 0); returns an id > 0. Cancelling a fired id is harmless. */
uint64_t loop_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn fn, void *arg);
void loop_timer_cancel(struct loop *loop, uint64_t id);

/* Monotonic milliseconds, read once per pass (callbacks of one pass agree). */
int64_t loop_now(const struct loop *loop);
/* Wall-clock Unix milliseconds. */
int64_t loop_wall(const struct loop *loop);

/*
 * One pass: waits up to max_wait_ms (shortened by timers and transfers; < 0:
 * no bound of its own), then runs descriptor callbacks, drives libcurl,
 * reports finished transfers and fires due timers. A timer added by a callback
 * fires in a later pass, even with delay 0. Returns the number of callbacks run.
 */
int loop_run_once(struct loop *loop, int max_wait_ms);
/* Runs passes until loop_stop (at once when already stopped: the flag stays set). */
void loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
bool loop_stopped(const struct loop *loop);
/* Interrupts a wait from a callback or another thread (curl_multi_wakeup); so may loop_stop. */
void loop_wake(struct loop *loop);

#endif
