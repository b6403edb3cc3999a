/*
 * info — `tdectl info`: every file and folder tdectl uses (config, keymap,
 * theme folders, state folder, snapshot, command history) and whether each is
 * there, every configuration option's value and whether it is the default,
 * and the environment variables it reads (a secret's only as "set"). A
 * configuration that cannot be read is reported with the paths still shown
 * (exit 1); a usage error exits 2.
 */
#ifndef TDECTL_INFO_H
#define TDECTL_INFO_H

/* argv[0] is "info". Returns the exit status. */
int info_main(int argc, char **argv);

#endif
