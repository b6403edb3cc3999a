#include "ctlclient.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "scenario.h"
#include "xmem.h"

struct conn {
    char *url; /* http://127.0.0.1:PORT */
    char *token;
};

struct buffer {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    struct buffer *b = userdata;
    size_t add = size * n;
    if (b->len + add > (16u << 20))
        return 0; /* refuse absurd answers */
    b->data = xrealloc(b->data, b->len + add + 1, 1);
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static int usage(void)
{
    fputs("usage: azsim fault list\n"
          "       azsim fault add KIND [TARGET] [NAME=VALUE ...]\n"
          "       azsim fault clear ID | --all\n"
          "       azsim clock [advance DURATION]\n"
          "       azsim model\n"
          "options: --ready-file FILE | --control URL --token TOKEN\n"
          "         (or AZSIM_READY_FILE, AZSIM_CONTROL, AZSIM_CONTROL_TOKEN)\n",
          stderr);
    return 2;
}

bool ctlclient_wants(int argc, char **argv)
{
    return argc >= 2 && (strcmp(argv[1], "fault") == 0 || strcmp(argv[1], "clock") == 0 ||
                         strcmp(argv[1], "model") == 0);
}

static int from_ready_file(const char *path, struct conn *c)
{
    size_t len;
    char *why = NULL;
    char *text = scenario_read_file(path, 1 << 20, &len, &why);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(j, "control_port");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "control_token");
    int rc = -1;
    if (cJSON_IsNumber(port) && cJSON_IsString(tok)) {
        c->url = xasprintf("http://127.0.0.1:%d", (int)port->valuedouble);
        c->token = xstrdup(tok->valuestring);
        rc = 0;
    } else {
        fprintf(stderr, "azsim: %s: %s\n", path, why ? why : "no control_port/control_token");
    }
    cJSON_Delete(j);
    free(text);
    free(why);
    return rc;
}

/* Takes the connection options out of argv; what is left is the command. */
static int connection(int *argc, char **argv, struct conn *c)
{
    const char *ready = getenv("AZSIM_READY_FILE"), *url = getenv("AZSIM_CONTROL");
    const char *tok = getenv("AZSIM_CONTROL_TOKEN");
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        bool opt =
            i + 1 < *argc && (strcmp(argv[i], "--ready-file") == 0 ||
                              strcmp(argv[i], "--control") == 0 || strcmp(argv[i], "--token") == 0);
        if (!opt) {
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(argv[i], "--ready-file") == 0)
            ready = argv[i + 1];
        else if (strcmp(argv[i], "--control") == 0)
            url = argv[i + 1];
        else
            tok = argv[i + 1];
        i++;
    }
    *argc = out;
    if (url && tok) {
        c->url = xstrdup(url);
        c->token = xstrdup(tok);
        return 0;
    }
    if (ready)
        return from_ready_file(ready, c);
    fprintf(stderr, "azsim: say where azsim's control interface is (--ready-file FILE)\n");
    return -1;
}

static int request(const struct conn *c, const char *method, const char *path, cJSON *body)
{
    CURL *curl = curl_easy_init();
    struct buffer b = {0};
    char *url = xasprintf("%s%s", c->url, path),
         *auth = xasprintf("Authorization: Bearer %s", c->token);
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    long status = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (text)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    int exit_status = 1;
    if (rc != CURLE_OK) {
        fprintf(stderr, "azsim: %s: %s\n", url, curl_easy_strerror(rc));
    } else {
        cJSON *j = b.data ? cJSON_Parse(b.data) : NULL;
        char *pretty = j ? cJSON_Print(j) : NULL;
        if (pretty)
            printf("%s\n", pretty);
        if (status >= 200 && status < 300)
            exit_status = 0;
        else if (!pretty)
            fprintf(stderr, "azsim: HTTP %ld\n", status);
        free(pretty);
        cJSON_Delete(j);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    free(url);
    free(auth);
    free(text);
    free(b.data);
    return exit_status;
}

/* 90, 90s, 40m, 2h, 1d -> seconds; -1 when malformed. */
static long duration(const char *text)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (end == text || n < 0)
        return -1;
    static const char units[] = "smhd";
    static const long mult[] = {1, 60, 3600, 86400};
    if (*end == '\0')
        return n;
    const char *u = strchr(units, *end);
    return u && end[1] == '\0' ? n * mult[u - units] : -1;
}

static cJSON *fault_spec(int argc, char **argv)
{
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "kind", argv[0]);
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL && i == 1) {
            cJSON_AddStringToObject(spec, "target", argv[i]);
            continue;
        }
        if (eq == NULL || eq == argv[i]) {
            cJSON_Delete(spec);
            return NULL;
        }
        char *name = xstrndup(argv[i], (size_t)(eq - argv[i]));
        char *end;
        double num = strtod(eq + 1, &end);
        if (*end == '\0' && end != eq + 1)
            cJSON_AddNumberToObject(spec, name, num);
        else
            cJSON_AddStringToObject(spec, name, eq + 1);
        free(name);
    }
    return spec;
}

static int run(const struct conn *c, int argc, char **argv)
{
    const char *cmd = argv[1], *sub = argc > 2 ? argv[2] : NULL;
    if (strcmp(cmd, "model") == 0 && argc == 2)
        return request(c, "GET", "/model", NULL);
    if (strcmp(cmd, "clock") == 0 && argc == 2)
        return request(c, "GET", "/clock", NULL);
    if (strcmp(cmd, "clock") == 0 && argc == 4 && strcmp(sub, "advance") == 0) {
        long s = duration(argv[3]);
        if (s < 0)
            return usage();
        cJSON *body = cJSON_CreateObject();
        cJSON_AddNumberToObject(body, "seconds", (double)s);
        int rc = request(c, "POST", "/clock/advance", body);
        cJSON_Delete(body);
        return rc;
    }
    if (strcmp(cmd, "fault") != 0 || sub == NULL)
        return usage();
    if (strcmp(sub, "list") == 0 && argc == 3)
        return request(c, "GET", "/faults", NULL);
    if (strcmp(sub, "clear") == 0 && argc == 4) {
        if (strcmp(argv[3], "--all") == 0)
            return request(c, "DELETE", "/faults", NULL);
        char *path = xasprintf("/faults/%s", argv[3]);
        int rc = request(c, "DELETE", path, NULL);
        free(path);
        return rc;
    }
    if (strcmp(sub, "add") == 0 && argc >= 4) {
        cJSON *spec = fault_spec(argc - 3, argv + 3);
        if (spec == NULL)
            return usage();
        int rc = request(c, "POST", "/faults", spec);
        cJSON_Delete(spec);
        return rc;
    }
    return usage();
}

int ctlclient_main(int argc, char **argv)
{
    struct conn c = {0};
    if (connection(&argc, argv, &c) < 0)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run(&c, argc, argv);
    curl_global_cleanup();
    free(c.url);
    free(c.token);
    return rc;
}
