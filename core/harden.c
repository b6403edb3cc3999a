#include "harden.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "xmem.h"

int harden_process(char **cause)
{
    struct rlimit off = {.rlim_cur = 0, .rlim_max = 0};
    if (setrlimit(RLIMIT_CORE, &off) != 0) {
        xcause(cause, "cannot turn core dumps off (RLIMIT_CORE): %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        xcause(cause, "cannot make the process non-dumpable (PR_SET_DUMPABLE): %s",
               strerror(errno));
        return -1;
    }
    umask(077);
    return 0;
}
