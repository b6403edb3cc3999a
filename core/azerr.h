/*
 * azerr — what an Azure error answer says, in one shape for every service.
 *
 * Shapes understood (reference/azure-protocol.md sections 1 and 2):
 *   ARM        {"error":{"code","message","target"?,"details"?:[...]}}
 *   Key Vault  {"error":{"code","message","innererror"?:{"code","innererror"?:...}}}
 *   Entra/IMDS {"error":"invalid_client","error_description":"..."}
 *   bare       {"code","message"} (some ARM operation bodies)
 * and anything else (an empty body, HTML from a gateway, JSON without an
 * error) falls back to code "HTTP <status>" and the status's reason phrase.
 *
 * inner is the deepest Key Vault innererror.code (ForbiddenByFirewall,
 * KeyDisabled, ...), or for ARM the first details[].code that differs from
 * code; it tells the on-call person whether to fix permissions or the network.
 *
 * Every string is sanitised for a terminal: control characters and invalid
 * UTF-8 become spaces / '?', and each is capped (message at
 * AZERR_MESSAGE_MAX bytes, the others at AZERR_CODE_MAX), cut on a character
 * boundary. Parsing never fails: the struct always holds a non-empty code and
 * a message (possibly ""). Owned by the caller's struct; az_error_cleanup
 * frees the strings and zeroes it.
 */
#ifndef TDECTL_AZERR_H
#define TDECTL_AZERR_H

#include <stddef.h>

#define AZERR_MESSAGE_MAX 512
#define AZERR_CODE_MAX    128

struct cJSON;

struct az_error {
    char *code;    /* never NULL after a parse */
    char *message; /* never NULL after a parse, may be "" */
    char *inner;   /* NULL when none */
    char *target;  /* NULL when none */
};

/* Reads an error body of len bytes (body may be NULL) answered with HTTP status. */
void az_error_parse(long status, const char *body, size_t len, struct az_error *out);
/*
 * Reads an error object that sits inside another document (the "error" of an
 * Azure-AsyncOperation status body): err is the object holding code/message.
 * A NULL or malformed err falls back as az_error_parse does.
 */
void az_error_from_json(long status, const struct cJSON *err, struct az_error *out);
/* "Code (Inner): message", "Code: message" or "Code" (heap). */
char *az_error_text(const struct az_error *e);
void az_error_cleanup(struct az_error *e);
/* The reason phrase of an HTTP status ("Not Found"), "Unknown Status" when unknown. */
const char *az_error_reason(long status);

#endif
