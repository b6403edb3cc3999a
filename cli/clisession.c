#include "clisession.h"

#include <stddef.h>
#include <string.h>

#include "session.h"
#include "xmem.h"

int clisession_load(struct clisession *cs, const struct clisession_options *o, char **cause)
{
    memset(cs, 0, sizeof *cs);
    config_init(&cs->cfg);
    cs->inited = true;
    if (config_load(&cs->cfg, o->config_path, cause) < 0)
        return -1;
    cs->loaded = true;
    if (o->read_only)
        cs->cfg.read_only = true; /* whatever the file says */
    return 0;
}

int clisession_start(struct clisession *cs, char **cause)
{
    if (!cs->loaded) {
        xcause(cause, "no configuration loaded");
        return -1;
    }
    struct session_options so = {.no_snapshot = true};
    cs->s = session_create(&cs->cfg, &so, cause);
    return cs->s ? 0 : -1;
}

int clisession_open(struct clisession *cs, const struct clisession_options *o, char **cause)
{
    if (clisession_load(cs, o, cause) < 0)
        return -1;
    return clisession_start(cs, cause);
}

void clisession_cleanup(struct clisession *cs)
{
    session_destroy(cs->s);
    cs->s = NULL;
    if (cs->inited)
        config_cleanup(&cs->cfg);
    cs->inited = cs->loaded = false;
}
