#include "support_azdata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "azerr.h"
#include "xmem.h"

static const char *shared = ".";

void support_azdata_init(const char *shared_dir)
{
    shared = shared_dir;
}

char *support_azdata_path(const char *rel)
{
    return xasprintf("%s/%s", shared, rel);
}

char *support_azdata_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t used = 0, cap = 0, got;
    do {
        if (used + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = xrealloc(buf, cap, 1);
        }
        got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
    } while (got > 0);
    fclose(f);
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_into(const char *rel, char ***files, size_t *n)
{
    char *dir = support_azdata_path(rel);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = xasprintf("%s/%s", rel, de->d_name);
        char *full = support_azdata_path(sub);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            list_into(sub, files, n);
            free(sub);
        } else if (strlen(sub) > 5 && strcmp(sub + strlen(sub) - 5, ".json") == 0) {
            *files = xrealloc(*files, *n + 1, sizeof **files);
            (*files)[(*n)++] = sub;
        } else {
            free(sub);
        }
        free(full);
    }
    closedir(d);
    free(dir);
}

char **support_azdata_list(const char *rel, size_t *n)
{
    char **files = NULL;
    *n = 0;
    list_into(rel, &files, n);
    if (*n)
        qsort(files, *n, sizeof *files, cmp_str);
    return files;
}

void support_azdata_list_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

static cJSON *load(const char *rel)
{
    char *path = support_azdata_path(rel);
    size_t len = 0;
    char *text = support_azdata_read(path, &len);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (root == NULL)
        fail_msg("%s is not JSON", path);
    free(text);
    free(path);
    return root;
}

size_t support_azdata_responses(const char *rel, support_azdata_response_fn fn, void *arg)
{
    cJSON *root = load(rel);
    const cJSON *responses = cJSON_GetObjectItemCaseSensitive(root, "responses"), *r;
    size_t count = 0;
    cJSON_ArrayForEach(r, responses)
    {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(r, "body");
        char *text = body ? cJSON_PrintUnformatted(body) : NULL;
        fn(rel, r->string, text, text ? strlen(text) : 0, arg);
        cJSON_free(text);
        count++;
    }
    cJSON_Delete(root);
    return count;
}

char *support_azdata_parameter(const char *rel, const char *name)
{
    cJSON *root = load(rel);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
    char *out = NULL;
    if (cJSON_IsString(v))
        out = xstrdup(v->valuestring);
    else if (v) {
        char *t = cJSON_PrintUnformatted(v);
        out = xstrdup(t);
        cJSON_free(t);
    }
    cJSON_Delete(root);
    return out;
}

size_t support_azdata_entries(const char *rel, support_azdata_entry_fn fn, void *arg)
{
    cJSON *root = load(rel);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "Entries"), *e;
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "Variables");
    size_t count = 0;
    cJSON_ArrayForEach(e, entries)
    {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, "ResponseBody");
        char *text = body && !cJSON_IsNull(body) ? cJSON_PrintUnformatted(body) : NULL;
        struct support_azdata_entry entry = {
            .file = rel,
            .method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "RequestMethod")),
            .uri = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "RequestUri")),
            .status = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "StatusCode")),
            .body = text,
            .len = text ? strlen(text) : 0,
            .vault_url =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(vars, "AZURE_KEYVAULT_URL")),
        };
        if (entry.method == NULL || entry.uri == NULL)
            fail_msg("%s: entry %zu lacks RequestMethod/RequestUri", rel, count);
        fn(&entry, arg);
        cJSON_free(text);
        count++;
    }
    cJSON_Delete(root);
    return count;
}

struct walk_ctx {
    const struct support_azdata_check *table;
    size_t n;
    struct support_azdata_counts *counts;
};

static const struct support_azdata_check *find_check(const struct walk_ctx *w, const char *file)
{
    const char *rel = file + strlen("azure-examples/");
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(rel, w->table[i].file) == 0)
            return &w->table[i];
    }
    return NULL;
}

static void walk_response(const char *file, const char *status, const char *body, size_t len,
                          void *arg)
{
    struct walk_ctx *w = arg;
    bool is_default = strcmp(status, "default") == 0;
    long code = is_default ? 500 : strtol(status, NULL, 10);
    if (is_default || code >= 400) {
        struct az_error e;
        az_error_parse(code, body, len, &e);
        if (e.code == NULL || e.code[0] == '\0')
            fail_msg("%s %s: no error code", file, status);
        az_error_cleanup(&e);
        w->counts->errors++;
        return;
    }
    if (body == NULL) {
        w->counts->empty++;
        return;
    }
    const struct support_azdata_check *c = find_check(w, file);
    if (c->check == NULL)
        fail_msg("%s %s: a body but no parser", file, status);
    c->check(file, status, body, len);
    w->counts->parsed++;
}

void support_azdata_walk(const char *folder, const struct support_azdata_check *table, size_t n,
                         struct support_azdata_counts *counts)
{
    struct walk_ctx w = {table, n, counts};
    char *rel = xasprintf("azure-examples/%s", folder);
    size_t nfiles;
    char **files = support_azdata_list(rel, &nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        if (find_check(&w, files[i]) == NULL)
            fail_msg("%s: no parser chosen for this file", files[i]);
        if (support_azdata_responses(files[i], walk_response, &w) == 0)
            fail_msg("%s: no responses", files[i]);
    }
    counts->files += nfiles;
    support_azdata_list_free(files, nfiles);
    free(rel);
}

/* The index-th node of the tree in pre-order (the root is 0), with its parent. */
static cJSON *nth_node(cJSON *node, cJSON *parent, size_t *index, cJSON **parent_out)
{
    if (*index == 0) {
        *parent_out = parent;
        return node;
    }
    (*index)--;
    cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        cJSON *found = nth_node(child, node, index, parent_out);
        if (found)
            return found;
    }
    return NULL;
}

static cJSON *replacement(int kind)
{
    switch (kind) {
    case 0:
        return cJSON_CreateNull();
    case 1:
        return cJSON_CreateNumber(0);
    case 2:
        return cJSON_CreateNumber(1.5);
    case 3:
        return cJSON_CreateNumber(-1e300);
    case 4:
        return cJSON_CreateString("");
    case 5:
        return cJSON_CreateString("x");
    case 6:
        return cJSON_CreateTrue();
    case 7:
        return cJSON_CreateArray();
    default:
        return cJSON_CreateObject();
    }
}

size_t support_azdata_mutants(const char *body, size_t len, size_t max_nodes,
                              support_azdata_mutant_fn fn, void *arg)
{
    size_t count = 0;
    for (size_t i = 1; i <= max_nodes; i++) {
        bool found = false;
        for (int kind = 0; kind < 9; kind++) {
            cJSON *root = cJSON_ParseWithLength(body, len), *parent = NULL;
            size_t index = i;
            cJSON *node = root ? nth_node(root, NULL, &index, &parent) : NULL;
            if (node == NULL || parent == NULL) {
                cJSON_Delete(root);
                break;
            }
            found = true;
            cJSON *with = replacement(kind);
            if (node->string) /* an object member keeps its name (cJSON frees it with free()) */
                with->string = xstrdup(node->string);
            cJSON_ReplaceItemViaPointer(parent, node, with);
            char *text = cJSON_PrintUnformatted(root);
            fn(text, strlen(text), arg);
            cJSON_free(text);
            cJSON_Delete(root);
            count++;
        }
        if (!found)
            break;
    }
    for (size_t cut = 0; cut < 16 && len > 0; cut++) {
        fn(body, len * cut / 16, arg);
        count++;
    }
    return count;
}
