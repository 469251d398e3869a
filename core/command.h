/* The commands beside the checks (core/main.c's table), which completion is generated from. */
#ifndef PREFLIGHT_COMMAND_H
#define PREFLIGHT_COMMAND_H

/* One without a summary is not in the usage: another name for the one before it (-h for
 * --help), or `completion`, which packagers call (README.md, Install). */
struct command {
        const char *name;
        const char *summary;
        int (*main)(int argc, char **argv);
};

#endif
