/*
 * fuzzsupport — what every libFuzzer target of fuzz/ shares.
 *
 * libFuzzer hands a target bytes that are not NUL-terminated; the parsers
 * that take a C string get a heap copy with a NUL after the bytes (a NUL
 * inside stops them early, as it would in a header or a file name).
 * fuzz_free_cause frees a cause string and checks it is not empty: every
 * failure of the parsers fuzzed here promises one.
 */
#ifndef TDECTL_FUZZSUPPORT_H
#define TDECTL_FUZZSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A heap copy of data with a NUL after size bytes (abort on no memory). */
char *fuzz_text(const uint8_t *data, size_t size);
/* Aborts when rc < 0 and cause is NULL or ""; then frees cause and sets it NULL. */
void fuzz_check_cause(int rc, char **cause);

#endif
