/*
 * watch — `tdectl watch --metrics ADDR:PORT`: headless monitoring. It keeps
 * the estate swept at the configuration's cadences (as the console does),
 * evaluates the health rules when the model moved (at a sweep's end, at a
 * scrape) and at least every 30 s (time alone moves some findings), and
 * serves GET /metrics (Prometheus text, core/metrics.h) and GET /healthz on
 * the one address given (default 127.0.0.1:9464).
 *
 * One loop, one thread (DESIGN.md): libmicrohttpd runs without threads of
 * its own, in its external epoll mode; core's loop watches its epoll
 * descriptor and arms a timer from MHD_get_timeout, so a scrape is answered
 * on the loop's thread, rendered from the model with nothing to lock.
 *
 * It never writes to Azure (the transport runs read-only whatever the
 * configuration says) and reads and writes no snapshot: its first answer
 * comes from its own first sweep. SIGTERM or SIGINT end it cleanly.
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start (the
 * configuration, the address in use, ...), 2 for a usage error (an unknown
 * option, an address that is not numeric IPv4 or [IPv6] with a port).
 */
#ifndef TDECTL_WATCH_H
#define TDECTL_WATCH_H

/* argv[0] is "watch". Returns the exit status. */
int watch_main(int argc, char **argv);

#endif
