/*
 * config — tdectl's configuration file and the paths tdectl keeps its state in.
 *
 * The file is one JSON object ($XDG_CONFIG_HOME/tdectl/config.json, default
 * ~/.config/tdectl/config.json; TDECTL_CONFIG or an explicit path overrides).
 * Every option is a row of one table (config_options): its dotted name, type,
 * default (as the JSON one would write), range and help. The parser, the
 * defaults, the docs and `tdectl info` all read that table, so they cannot
 * disagree.
 *
 * Strict on purpose: an unknown field, a field given twice, a wrong type or a
 * value out of range is an error naming the field's path
 * ("poll.health_seconds: 5 is out of range (10..3600)"); a typo must never
 * pass silently. A client secret is never accepted in the file (it comes from
 * AZURE_CLIENT_SECRET only). The file decides where tokens are sent, so one
 * that others could write (group- or world-writable, owned by another user,
 * in a directory others can write) is refused, as ssh refuses such files.
 *
 * Ownership: struct config is caller storage (config_init / config_cleanup)
 * and owns every string and list in it. config_load and config_parse replace
 * its contents only on success; on failure it is left as it was and *cause
 * (when cause is not NULL) says why. Errors are always configuration errors
 * (CORE_ERR_CONFIG), so these return 0 or -1.
 */
#ifndef TDECTL_CONFIG_H
#define TDECTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"

/* A config file larger than this is refused (it is a few hundred bytes). */
#define CONFIG_MAX_BYTES (1024 * 1024)

enum config_cloud {
    CONFIG_CLOUD_AZURE, /* "AzureCloud" */
    CONFIG_CLOUD_USGOV, /* "AzureUSGovernment" */
    CONFIG_CLOUD_CHINA, /* "AzureChinaCloud" */
    CONFIG_CLOUD_CUSTOM /* "custom": the endpoints below */
};

/* One failover group to watch, named by where it lives. */
struct config_fog {
    char *subscription; /* GUID */
    char *resource_group;
    char *location; /* the region the group is addressed under */
    char *name;
};

struct config {
    char *origin; /* the file read; NULL when nothing was read (defaults) */

    enum config_cloud cloud;
    char *authority;      /* endpoints.authority (custom cloud) */
    char *arm;            /* endpoints.arm */
    char *vault_resource; /* endpoints.vault_resource */
    char *ca_file;        /* NULL: the system's CAs */

    enum auth_mode auth_mode;
    char *tenant_id; /* NULL: AZURE_TENANT_ID */
    char *client_id; /* NULL: AZURE_CLIENT_ID */
    char *certificate_path;

    char **subscriptions; /* GUIDs */
    size_t nsubscriptions;
    struct config_fog *fogs;
    size_t nfogs;
    bool discover_all_subscriptions;

    bool read_only;
    bool snapshot;

    int64_t poll_structure_s;
    int64_t poll_health_s;
    int64_t poll_probe_s;
    int64_t poll_jitter_percent;
    int64_t poll_max_rpm;

    int64_t http_connect_timeout_ms;
    int64_t http_timeout_ms;
    int64_t http_max_response_bytes;
    int64_t http_max_buffered_bytes;
    int64_t http_per_host;
    int64_t http_retry_budget_ms;

    int64_t *expiry_warn_days; /* sorted, largest first, no duplicates */
    size_t nexpiry_warn_days;

    char *theme;  /* NULL: the console's default */
    char *keymap; /* NULL: the console's default */
    bool mouse;   /* the console takes the mouse */
};

enum config_type {
    CONFIG_BOOL,
    CONFIG_INT,
    CONFIG_CHOICE, /* one of choices, case-insensitive; stored as its index */
    CONFIG_STRING,
    CONFIG_URL,    /* an https URL */
    CONFIG_PATH,   /* absolute, or ~/ for the home directory (expanded) */
    CONFIG_GUID,   /* 8-4-4-4-12 hex */
    CONFIG_TENANT, /* a GUID or a domain name */
    CONFIG_GUID_LIST,
    CONFIG_INT_LIST, /* each element in min..max */
    CONFIG_FOG_LIST, /* objects {subscription, resource_group, location, name} */
};

/* One row of the option table. The table is static: rows live forever. */
struct config_option {
    const char *name; /* dotted path in the file: "poll.health_seconds" */
    enum config_type type;
    const char *def;            /* the default, as JSON ("300", "[90, 30, 7]"); NULL: unset */
    int64_t min, max;           /* integers and each element of an integer list */
    const char *const *choices; /* CONFIG_CHOICE: NULL-terminated, in enum order */
    const char *help;           /* one sentence, for the docs and `tdectl info` */
    size_t offset;              /* where the value lives in struct config */
    size_t count_offset;        /* lists: where the element count lives */
};

/* The option table: *n rows, in the order the docs list them. */
const struct config_option *config_options(size_t *n);
/* A short name for a type: "boolean", "integer", "https URL", ... */
const char *config_type_name(enum config_type type);
/* The accepted values as text: "10..3600", "AzureCloud | custom", "" when any (heap). */
char *config_option_range(const struct config_option *o);
/* The current value of one option in c, as JSON ("60", "null", "[90,30,7]") (heap). */
char *config_value_text(const struct config *c, const struct config_option *o);

/* The defaults (every table default applied). */
void config_init(struct config *c);
void config_cleanup(struct config *c);

/*
 * Reads the config file: explicit_path if not NULL, else $TDECTL_CONFIG if
 * set, else the XDG path. A missing XDG file gives the defaults; a missing
 * explicit or TDECTL_CONFIG file is an error (the operator named it).
 */
int config_load(struct config *c, const char *explicit_path, char **cause);
/* Parses text (len bytes, no NUL needed); origin names it in messages and c->origin. */
int config_parse(struct config *c, const char *text, size_t len, const char *origin, char **cause);

/* The file config_load reads when given no explicit path, into buf; NULL when it cannot tell. */
const char *config_path(char *buf, size_t size);
/*
 * The folder of a config file (keymap.json and themes/ live beside it): of
 * file, or of the default path when file is NULL (heap); NULL when there is none.
 */
char *config_folder(const char *file);
/* The name cloud_find takes for c->cloud ("AzureCloud", ..., "custom"). */
const char *config_cloud_name(enum config_cloud cloud);

/* $XDG_STATE_HOME/tdectl (default ~/.local/state/tdectl) (heap); NULL without a home. */
char *config_state_dir(void);
/*
 * The state directory, created 0700 (with missing parents, also 0700) if it
 * is missing, or tightened to 0700 if it is ours and others can read it
 * (heap); NULL with *cause when that fails.
 */
char *config_ensure_state_dir(char **cause);

#endif
