#include "clisession.h"

#include <stddef.h>
#include <string.h>

#include "engine.h"
#include "loop.h"
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

static void on_sweep(struct engine *e, enum engine_sweep kind, void *arg)
{
    (void)e;
    if (kind == ENGINE_SWEEP_FULL)
        *(bool *)arg = true;
}

bool clisession_sweep(struct session *s, int64_t timeout_ms)
{
    struct loop *loop = session_loop(s);
    struct engine *e = session_engine(s);
    bool done = false;
    engine_on_sweep(e, on_sweep, &done);
    engine_start(e);
    int64_t deadline = loop_now(loop) + timeout_ms;
    while (!done && loop_now(loop) < deadline)
        loop_run_once(loop,
                      (int)(deadline - loop_now(loop) < 250 ? deadline - loop_now(loop) : 250));
    engine_on_sweep(e, NULL, NULL);
    return done;
}
