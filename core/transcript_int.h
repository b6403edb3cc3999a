/*
 * transcript_int — what transcript.c and transcript_export.c share. Not for
 * use outside them.
 */
#ifndef TDECTL_TRANSCRIPT_INT_H
#define TDECTL_TRANSCRIPT_INT_H

#include <cjson/cJSON.h>

#include "transcript.h"

/*
 * transcript_markdown, with the run id and a note from journal_load (either
 * NULL) when the records come from a file: a rotation's plan record does not
 * name its run. Never NULL (heap).
 */
char *transcript_render(const cJSON *records, const char *run, const char *note);

#endif
