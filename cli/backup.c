#include "backup.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkfile.h"
#include "clisession.h"
#include "config.h"
#include "engine.h"
#include "http.h"
#include "keybackup.h"
#include "loop.h"
#include "session.h"
#include "transcript.h"
#include "xmem.h"

#define DEFAULT_TIMEOUT_S 120
#define MAX_KEYS          64
#define MAX_REASON        1000

struct bk_opts {
    const char *cmd; /* "backup" or "restore" */
    const char *config;
    bool read_only, json;
    long timeout_s;
    const char *vault;
    const char *keys[MAX_KEYS];
    size_t nkeys;
    const char *group, *out, *verify;
    bool list;
    const char *file, *reason;
    bool plan, apply, test;
};

struct runner {
    const struct bk_opts *o;
    struct keybackup *kb;
    enum keybackup_how how;
    bool done, plan_shown;
};

static void usage_backup(FILE *out)
{
    fputs("usage: tdectl backup --vault V --key K [--key K ...] [--out DIR] [--json]\n"
          "       tdectl backup --group NAME [--out DIR] [--json]\n"
          "       tdectl backup --verify FILE [--json]\n"
          "       tdectl backup --list [--out DIR] [--json]\n"
          "  Key Vault backups (every version of a key) written as files (0600) in\n"
          "  $XDG_STATE_HOME/tdectl/backups, each read back and verified\n"
          "  --vault V --key K  these keys of vault V\n"
          "  --group NAME       every key the failover group's two instances have registered\n"
          "  --verify FILE      check a backup file (hashes, format) and describe it\n"
          "  --list             the backup files in the folder, each verified\n"
          "  --out DIR          the folder (default the state folder's backups/)\n"
          "  --config FILE      the configuration file (as for the console)\n"
          "  --read-only        read-only mode (a backup is then refused: it is a POST)\n"
          "  --timeout S        how long the first sweep of the estate may take (default 120)\n"
          "  exit status: 0 done, 1 refused, 2 failed, 3 usage or setup error,\n"
          "               4 a file that does not verify\n",
          out);
}

static void usage_restore(FILE *out)
{
    fputs("usage: tdectl restore --file F --vault V --plan [--json]\n"
          "       tdectl restore --file F --vault V --apply --reason TEXT [--test] [--json]\n"
          "  restores a backup file into a vault of the same subscription and geography,\n"
          "  checking every constraint before any change, then compares the fingerprints\n"
          "  --plan           the plan and the constraint checks; changes nothing\n"
          "  --apply          restore (needs write mode and --reason)\n"
          "  --test           a restore test into a scratch vault (implies --apply); the\n"
          "                   copy stays there: tdectl never deletes\n"
          "  --reason TEXT    why, kept in the journal and the audit log\n"
          "  --config FILE, --read-only, --timeout S   as for tdectl backup\n"
          "  exit status: 0 done, 1 refused before any change, 2 failed while running,\n"
          "               3 usage or setup error, 4 verification failed\n",
          out);
}

static int bad(const struct bk_opts *o, const char *msg)
{
    fprintf(stderr, "tdectl %s: %s\n", o->cmd, msg);
    (strcmp(o->cmd, "backup") == 0 ? usage_backup : usage_restore)(stderr);
    return -1;
}

enum { O_VERIFY = 256, O_LIST, O_OUT, O_PLAN, O_APPLY, O_TEST, O_REASON, O_FILE, O_GROUP };

static const struct option long_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"config", required_argument, NULL, 'c'},
    {"read-only", no_argument, NULL, 'R'},
    {"timeout", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {"vault", required_argument, NULL, 'v'},
    {"key", required_argument, NULL, 'k'},
    {"group", required_argument, NULL, O_GROUP},
    {"out", required_argument, NULL, O_OUT},
    {"verify", required_argument, NULL, O_VERIFY},
    {"list", no_argument, NULL, O_LIST},
    {"file", required_argument, NULL, O_FILE},
    {"plan", no_argument, NULL, O_PLAN},
    {"apply", no_argument, NULL, O_APPLY},
    {"test", no_argument, NULL, O_TEST},
    {"reason", required_argument, NULL, O_REASON},
    {NULL, 0, NULL, 0},
};

/* One option into o; -1 on a bad value. */
static int take(struct bk_opts *o, int c)
{
    char *end;
    switch (c) {
    case 'j':
        o->json = true;
        return 0;
    case 'c':
        o->config = optarg;
        return 0;
    case 'R':
        o->read_only = true;
        return 0;
    case 'v':
        o->vault = optarg;
        return 0;
    case O_GROUP:
        o->group = optarg;
        return 0;
    case O_OUT:
        o->out = optarg;
        return 0;
    case O_VERIFY:
        o->verify = optarg;
        return 0;
    case O_LIST:
        o->list = true;
        return 0;
    case O_FILE:
        o->file = optarg;
        return 0;
    case O_PLAN:
        o->plan = true;
        return 0;
    case O_APPLY:
        o->apply = true;
        return 0;
    case O_TEST:
        o->test = true;
        return 0;
    case O_REASON:
        o->reason = optarg;
        return 0;
    case 'k':
        if (o->nkeys == MAX_KEYS)
            return bad(o, "at most 64 --key");
        o->keys[o->nkeys++] = optarg;
        return 0;
    case 't':
        o->timeout_s = strtol(optarg, &end, 10);
        if (*end || o->timeout_s < 1 || o->timeout_s > 3600)
            return bad(o, "--timeout takes 1 to 3600 seconds");
        return 0;
    default:
        return bad(o, "unknown option");
    }
}

/* -1 on a usage error (printed), 1 for --help, else 0. */
static int parse(int argc, char **argv, struct bk_opts *o)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (c == 'h') {
            (strcmp(o->cmd, "backup") == 0 ? usage_backup : usage_restore)(stdout);
            return 1;
        }
        if (c == '?' || take(o, c) < 0)
            return c == '?' ? bad(o, "unknown option or missing value") : -1;
    }
    if (optind < argc)
        return bad(o, "unexpected argument");
    if (o->timeout_s == 0)
        o->timeout_s = DEFAULT_TIMEOUT_S;
    return 0;
}

static int check_backup_opts(const struct bk_opts *o)
{
    int modes = (o->vault || o->nkeys) + (o->group != NULL) + (o->verify != NULL) + o->list;
    if (o->file || o->plan || o->apply || o->test || o->reason)
        return bad(o, "--file, --plan, --apply, --test and --reason belong to tdectl restore");
    if (modes != 1)
        return bad(o, "give one of --vault with --key, --group, --verify or --list");
    if ((o->vault || o->nkeys) && (!o->vault || !o->nkeys))
        return bad(o, "--vault and --key go together");
    if (o->verify && o->out)
        return bad(o, "--out does not go with --verify");
    return 0;
}

static int check_restore_opts(struct bk_opts *o)
{
    if (o->nkeys || o->group || o->out || o->verify || o->list)
        return bad(o, "--key, --group, --out, --verify and --list belong to tdectl backup");
    if (!o->file || !o->vault)
        return bad(o, "--file and --vault are needed");
    if (o->plan == (o->apply || o->test))
        return bad(o, "give --plan, or --apply (or --test) with --reason");
    if (!o->plan && (!o->reason || !o->reason[0]))
        return bad(o, "a restore needs --reason TEXT (kept in the journal and the audit log)");
    if (o->reason && strlen(o->reason) > MAX_REASON)
        return bad(o, "--reason is at most 1000 characters");
    return 0;
}

/* -- results ----------------------------------------------------------------------------------- */

static void print_json(cJSON *j)
{
    char *text = cJSON_Print(j);
    puts(text ? text : "{}");
    free(text);
    cJSON_Delete(j);
}

/* A refusal before any run (bad file, unknown group): stderr, and stdout for --json. */
static int early(const struct bk_opts *o, int code, const char *kind, const char *why)
{
    fprintf(stderr, "tdectl %s: %s\n", o->cmd, why);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "schema", "tdectl.keybackup-run/v1");
        cJSON_AddStringToObject(j, "kind", kind);
        cJSON_AddStringToObject(j, "result",
                                code == BACKUP_EXIT_UNVERIFIED ? "unverified"
                                : code == BACKUP_EXIT_USAGE    ? "error"
                                                               : "refused");
        cJSON_AddNumberToObject(j, "exit_code", code);
        cJSON_AddStringToObject(j, "detail", why);
        cJSON_AddBoolToObject(j, "changed_azure", false);
        print_json(j);
    }
    return code;
}

static int exit_code(enum keybackup_result r)
{
    switch (r) {
    case KEYBACKUP_DONE:
        return BACKUP_EXIT_OK;
    case KEYBACKUP_REFUSED:
        return BACKUP_EXIT_REFUSED;
    case KEYBACKUP_FAILED:
        return BACKUP_EXIT_FAILED;
    case KEYBACKUP_UNVERIFIED:
        return BACKUP_EXIT_UNVERIFIED;
    }
    return BACKUP_EXIT_FAILED;
}

/* -- files: verify and list (no session) ------------------------------------------------------- */

static int verify_file(const struct bk_opts *o)
{
    struct bkfile_meta m = {0};
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    if (bkfile_read(o->verify, &m, &blob, &len, &cause) < 0) {
        int rc = early(o, BACKUP_EXIT_UNVERIFIED, "verify", cause ? cause : "does not verify");
        free(cause);
        return rc;
    }
    bkfile_blob_free(blob, len);
    if (o->json) {
        print_json(keybackup_describe_json(o->verify, &m, len));
    } else {
        char *text = keybackup_describe_text(o->verify, &m, len);
        fputs(text, stdout);
        free(text);
    }
    bkfile_meta_cleanup(&m);
    return BACKUP_EXIT_OK;
}

/* --out, else the state folder's backups/ (heap; NULL without a home). */
static char *backup_dir(const struct bk_opts *o, const char *state)
{
    if (o->out)
        return xstrdup(o->out);
    if (state)
        return xasprintf("%s/backups", state);
    char *s = config_state_dir();
    char *dir = s ? xasprintf("%s/backups", s) : NULL;
    free(s);
    return dir;
}

/* One listed file: a line or a JSON item; false when it does not verify. */
static bool list_one(const char *path, cJSON *arr)
{
    struct bkfile_meta m = {0};
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    bool ok = bkfile_read(path, &m, &blob, &len, &cause) == 0;
    bkfile_blob_free(blob, len);
    if (arr) {
        cJSON *j = ok ? keybackup_describe_json(path, &m, len) : cJSON_CreateObject();
        if (!ok) {
            cJSON_AddStringToObject(j, "file", path);
            cJSON_AddBoolToObject(j, "verified", false);
            cJSON_AddStringToObject(j, "error", cause ? cause : "does not verify");
        }
        cJSON_AddItemToArray(arr, j);
    } else if (ok) {
        printf("ok    %-24s %-32s %zu version%s  %s\n", m.vault, m.key, m.nversions,
               m.nversions == 1 ? " " : "s", path);
    } else {
        printf("BAD   %s: %s\n", path, cause ? cause : "does not verify");
    }
    free(cause);
    bkfile_meta_cleanup(&m);
    return ok;
}

static int list_files(const struct bk_opts *o)
{
    char *dir = backup_dir(o, NULL), *cause = NULL;
    char **paths = NULL;
    size_t n = 0;
    if (dir == NULL || bkfile_list(dir, &paths, &n, &cause) < 0) {
        int rc = early(o, BACKUP_EXIT_USAGE, "list", cause ? cause : "no state folder (no home)");
        free(cause);
        free(dir);
        return rc;
    }
    cJSON *doc = o->json ? cJSON_CreateObject() : NULL;
    cJSON *arr = doc ? cJSON_AddArrayToObject(doc, "files") : NULL;
    if (doc) {
        cJSON_AddStringToObject(doc, "schema", "tdectl.keybackup-list/v1");
        cJSON_AddStringToObject(doc, "dir", dir);
    } else {
        printf("%zu backup file%s in %s\n", n, n == 1 ? "" : "s", dir);
    }
    size_t badn = 0;
    for (size_t i = 0; i < n; i++) {
        badn += !list_one(paths[i], arr);
        free(paths[i]);
    }
    free(paths);
    if (doc)
        print_json(doc);
    free(dir);
    return badn ? BACKUP_EXIT_UNVERIFIED : BACKUP_EXIT_OK;
}

/* -- the wizard -------------------------------------------------------------------------------- */

static void on_event(const struct wizard_event *ev, void *arg)
{
    struct runner *r = arg;
    const struct wizard *w = keybackup_wizard(r->kb);
    const char *cmd = r->o->cmd;
    if (!r->plan_shown && w->nsteps > 0 && r->how != KEYBACKUP_PLAN) {
        char *plan = wizard_plan_text(w);
        fprintf(stderr, "tdectl %s: the plan\n%s", cmd, plan);
        free(plan);
        r->plan_shown = true;
    }
    const struct wizard_step *s = ev->index < w->nsteps ? &w->steps[ev->index] : NULL;
    switch (ev->kind) {
    case WIZARD_EV_STEP:
        if (s && s->state == WIZARD_RUNNING)
            fprintf(stderr, "tdectl %s: step %zu/%zu: %s\n", cmd, ev->index + 1, w->nsteps,
                    s->title);
        else if (s)
            fprintf(stderr, "tdectl %s: step %zu/%zu %s: %s\n", cmd, ev->index + 1, w->nsteps,
                    wizard_state_name(s->state), ev->text);
        break;
    case WIZARD_EV_CHECK:
        fprintf(stderr, "  check %s\n", ev->text);
        break;
    case WIZARD_EV_CALL:
        fprintf(stderr, "  call  %s\n", ev->text);
        break;
    case WIZARD_EV_NOTE:
        fprintf(stderr, "  note  %s\n", ev->text);
        break;
    case WIZARD_EV_END:
        fprintf(stderr, "tdectl %s: %s\n", cmd, keybackup_result_name(keybackup_result(r->kb)));
        break;
    }
}

static void on_done(struct keybackup *kb, enum keybackup_result result, void *arg)
{
    (void)kb;
    (void)result;
    ((struct runner *)arg)->done = true;
}

/* One full sweep first: the wizard reads the model (vaults, keys, registered keys). */
static void sweep(const struct bk_opts *o, struct session *s)
{
    bool done = clisession_sweep(s, o->timeout_s * 1000);
    fprintf(stderr, "tdectl %s: %s\n", o->cmd,
            done ? "the estate was read"
                 : "the estate was not read in time: going on with what was");
}

/* The selection; -1 after printing why (the exit status in *rc). */
static int choose(struct runner *r, int *rc)
{
    const struct bk_opts *o = r->o;
    char *cause = NULL;
    int bad_rc = BACKUP_EXIT_USAGE;
    bool ok = true;
    if (o->file) {
        ok = keybackup_restore_file(r->kb, o->file, o->vault, &cause) == 0;
        bad_rc = exit_code(keybackup_result(r->kb));
    } else if (o->group) {
        ok = keybackup_select_group(r->kb, o->group, &cause) == 0;
        bad_rc = BACKUP_EXIT_REFUSED;
    } else {
        for (size_t i = 0; ok && i < o->nkeys; i++)
            ok = keybackup_select(r->kb, o->vault, o->keys[i], &cause) == 0;
    }
    if (!ok)
        *rc = early(o, bad_rc, o->file ? "restore" : "backup", cause ? cause : "refused");
    free(cause);
    return ok ? 0 : -1;
}

/* The run's transcript for a change ticket (core/transcript): its Markdown path (heap), or NULL. */
static char *write_transcript(const struct runner *r, const char *state)
{
    const char *journal = keybackup_wizard(r->kb)->journal_path;
    char *dir = xasprintf("%s/transcripts", state), *md = NULL, *cause = NULL;
    if (journal && transcript_export(journal, dir, &md, NULL, &cause) < 0)
        fprintf(stderr, "tdectl %s: no transcript: %s\n", r->o->cmd, cause ? cause : "?");
    free(cause);
    free(dir);
    return md;
}

static int print_result(const struct runner *r, const char *state)
{
    char *md = write_transcript(r, state);
    if (r->o->json) {
        cJSON *j = keybackup_json(r->kb);
        if (md)
            cJSON_AddStringToObject(j, "transcript", md);
        print_json(j);
    } else {
        char *text = keybackup_text(r->kb);
        fputs(text, stdout);
        if (md)
            printf("transcript: %s\n", md);
        free(text);
    }
    free(md);
    int rc = exit_code(keybackup_result(r->kb));
    return fflush(stdout) == 0 ? rc : BACKUP_EXIT_FAILED;
}

static const char *principal(const struct config *c)
{
    return c->client_id ? c->client_id : getenv("AZURE_CLIENT_ID");
}

static int run_wizard(const struct bk_opts *o, struct clisession *cs, const char *state)
{
    struct runner r = {.o = o,
                       .how = o->plan   ? KEYBACKUP_PLAN
                              : o->test ? KEYBACKUP_TEST
                                        : KEYBACKUP_APPLY};
    struct session *s = cs->s;
    char *bdir = backup_dir(o, state);
    char *jdir = xasprintf("%s/wizards", state); /* beside tdectl rotate's journals */
    char *audit = xasprintf("%s/audit.jsonl", state);
    struct keybackup_options ko = {.az = session_azure(s),
                                   .engine = session_engine(s),
                                   .loop = session_loop(s),
                                   .read_only = http_read_only(session_http(s)),
                                   .backup_dir = bdir,
                                   .journal_dir = jdir,
                                   .audit_path = audit,
                                   .principal = principal(&cs->cfg),
                                   .on_event = on_event,
                                   .event_arg = &r,
                                   .on_done = on_done,
                                   .done_arg = &r};
    r.kb = keybackup_create(&ko);
    int rc;
    if (choose(&r, &rc) == 0) {
        keybackup_start(r.kb, r.how, o->reason);
        while (!r.done)
            loop_run_once(session_loop(s), -1);
        rc = print_result(&r, state);
    }
    keybackup_destroy(r.kb);
    free(bdir);
    free(jdir);
    free(audit);
    return rc;
}

/* Configuration, session, state folder, the sweep, the wizard. */
static int with_session(const struct bk_opts *o)
{
    struct clisession_options co = {.config_path = o->config, .read_only = o->read_only};
    struct clisession cs;
    char *cause = NULL, *state = NULL;
    int rc = BACKUP_EXIT_USAGE;
    if (clisession_open(&cs, &co, &cause) < 0 ||
        (state = config_ensure_state_dir(&cause)) == NULL) {
        fprintf(stderr, "tdectl %s: %s\n", o->cmd, cause ? cause : "cannot start");
        goto out;
    }
    sweep(o, cs.s);
    rc = run_wizard(o, &cs, state);
out:
    free(cause);
    free(state);
    clisession_cleanup(&cs);
    return rc;
}

int backup_main(int argc, char **argv)
{
    struct bk_opts o = {.cmd = "backup"};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? BACKUP_EXIT_OK : BACKUP_EXIT_USAGE;
    if (check_backup_opts(&o) < 0)
        return BACKUP_EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    if (o.verify)
        return verify_file(&o);
    if (o.list)
        return list_files(&o);
    return with_session(&o);
}

int backup_restore_main(int argc, char **argv)
{
    struct bk_opts o = {.cmd = "restore"};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? BACKUP_EXIT_OK : BACKUP_EXIT_USAGE;
    if (check_restore_opts(&o) < 0)
        return BACKUP_EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    /* A file that does not verify is refused before signing in: no call at all. */
    struct bkfile_meta m = {0};
    unsigned char *blob = NULL;
    size_t len = 0;
    char *cause = NULL;
    if (bkfile_read(o.file, &m, &blob, &len, &cause) < 0) {
        rc = early(&o, BACKUP_EXIT_UNVERIFIED, "restore", cause ? cause : "does not verify");
        free(cause);
        return rc;
    }
    bkfile_blob_free(blob, len);
    bkfile_meta_cleanup(&m);
    return with_session(&o);
}
