/*
 * tdectl rotate — the TDE protector rotation wizard without the screen:
 * --plan prints the plan (with the REST calls of every step) and what would
 * refuse it; --apply runs it with progress on stderr and the journal and
 * audit log written; --resume and --rollback continue a journaled run;
 * --transcript exports one as Markdown and JSONL. Exit status: 0 done,
 * 1 refused before any change, 2 failed during apply, 3 usage or setup,
 * 4 a verification failed (docs/wizards.md).
 */
#ifndef TDECTL_CLI_ROTATECMD_H
#define TDECTL_CLI_ROTATECMD_H

int rotatecmd_main(int argc, char **argv);

#endif
