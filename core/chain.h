/* `preflight run FILE|NAME|-`: chain files (README.md, "Chains"). */
#ifndef PREFLIGHT_CHAIN_H
#define PREFLIGHT_CHAIN_H

/* The words after "run". Returns the exit code. */
int chain_main(int argc, char **argv);

#endif
