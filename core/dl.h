/* Optional libraries (hiredis, libcurl, PCRE2) are loaded with dlopen() only by the checks that
 * need them, so the binary starts as fast as one that cannot speak to Redis or HTTP, and a host
 * without them still runs every other check. */
#ifndef PREFLIGHT_DL_H
#define PREFLIGHT_DL_H

#include <stddef.h>

struct dl_symbol {
        const char *name;
        void **address; /* where to store the function's address */
};

/*
 * Opens the first soname that loads and resolves every symbol (a NULL-terminated list each).
 * Once loaded, the library stays loaded for the life of the process and later calls return
 * PF_OK at once. Otherwise why holds the loader's own words, and the code says which failure it
 * was: PF_NO_LIBRARY when no soname's file is installed (the fix is a package), PF_INTERNAL when
 * one is installed but cannot be used (out of address space under LimitAS= or ulimit -v, a
 * dependency missing or broken, a symbol missing): installing the package again fixes nothing.
 */
int dl_load(const char *const *sonames, const struct dl_symbol *symbols, char *why,
            size_t why_size);

#endif
