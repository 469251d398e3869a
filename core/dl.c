#include "core/dl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/exitcodes.h"

/* glibc's message when the file named in dlopen() itself is not found is "NAME: cannot open
 * shared object file: No such file or directory". A missing dependency gives the same words
 * with the dependency's name, and a library that cannot be mapped other words: those are
 * installed libraries that cannot be loaded. preflight never calls setlocale(), so the loader
 * speaks English. */
static bool names_absent_file(const char *message, const char *soname)
{
        static const char absent[] = ": cannot open shared object file: No such file or directory";
        size_t len = strlen(soname);
        return strncmp(message, soname, len) == 0 && strcmp(message + len, absent) == 0;
}

int dl_load(const char *const *sonames, const struct dl_symbol *symbols, char *why, size_t why_size)
{
        if (symbols[0].name && *symbols[0].address)
                return PF_OK; /* loaded before */
        void *handle = NULL;
        bool all_absent = true;
        const char *unusable = NULL; /* the loader's words for an installed one, if any */
        char first_error[512] = "no library name given";
        for (size_t i = 0; sonames[i] && !handle; i++) {
                /* RTLD_LAZY, as a program linked with the library binds it: RTLD_NOW would also
                 * bind every call between libcurl's ~30 dependencies that is never made (14% of
                 * the http check's instructions); the symbols used here are checked below. */
                handle = dlopen(sonames[i], RTLD_LAZY | RTLD_LOCAL);
                if (handle)
                        break;
                const char *error = dlerror();
                if (!error)
                        error = "dlopen failed";
                if (i == 0)
                        snprintf(first_error, sizeof(first_error), "%s", error);
                if (!names_absent_file(error, sonames[i]) && all_absent) {
                        all_absent = false;
                        snprintf(first_error, sizeof(first_error), "%s", error);
                        unusable = first_error;
                }
        }
        if (!handle) {
                snprintf(why, why_size, "%s", unusable ? unusable : first_error);
                return all_absent ? PF_NO_LIBRARY : PF_INTERNAL;
        }
        for (size_t i = 0; symbols[i].name; i++) {
                void *address = dlsym(handle, symbols[i].name);
                if (!address) {
                        snprintf(why, why_size, "%s lacks %s", sonames[0], symbols[i].name);
                        for (size_t j = 0; j < i; j++)
                                *symbols[j].address = NULL;
                        dlclose(handle);
                        return PF_INTERNAL;
                }
                *symbols[i].address = address;
        }
        return PF_OK;
}
