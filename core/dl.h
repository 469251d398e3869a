/* Optional libraries (hiredis, libcurl) are loaded with dlopen() only by the checks that need
 * them, so the binary starts as fast as one that cannot speak to Redis or HTTP, and a host
 * without them still runs every other check. */
#ifndef PREFLIGHT_DL_H
#define PREFLIGHT_DL_H

#include <stdbool.h>
#include <stddef.h>

struct dl_symbol {
        const char *name;
        void **address; /* where to store the function's address */
};

/*
 * Opens the first soname that loads and resolves every symbol (a NULL-terminated list each).
 * Once loaded, the library stays loaded for the life of the process and later calls return
 * true at once. On failure, why names the library and the first problem.
 */
bool dl_load(const char *const *sonames, const struct dl_symbol *symbols, char *why,
             size_t why_size);

#endif
