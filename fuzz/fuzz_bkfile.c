/*
 * fuzz_bkfile — a key backup file's text (core/bkfile.h bkfile_parse, what
 * bkfile_read runs on the file): every member checked, the blob decoded and
 * matched against its SHA-256, the canonical text against its own.
 */
#include <stdlib.h>
#include <string.h>

#include "bkfile.h"
#include "fuzzsupport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bkfile_meta m;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    int rc = bkfile_parse((const char *)data, size, "fuzz.tdkb.json", &m, &blob, &len, &cause);
    fuzz_check_cause(rc, &cause);
    if (rc == 0 && (m.nversions == 0 || m.nversions > BKFILE_MAX_VERSIONS || m.created <= 0))
        abort(); /* bkfile.h: 1..BKFILE_MAX_VERSIONS versions, a creation time */
    if (rc < 0 && (blob || len || m.versions))
        abort(); /* nothing left behind on failure */
    bkfile_blob_free(blob, len);
    bkfile_meta_cleanup(&m);
    return 0;
}
