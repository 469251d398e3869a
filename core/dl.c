#include "core/dl.h"

#include <dlfcn.h>
#include <stdio.h>

bool dl_load(const char *const *sonames, const struct dl_symbol *symbols, char *why,
             size_t why_size)
{
        if (symbols[0].name && *symbols[0].address)
                return true; /* loaded before */
        void *handle = NULL;
        const char *last_error = "no library name given";
        for (size_t i = 0; sonames[i] && !handle; i++) {
                /* RTLD_LAZY, as a program linked with the library binds it: RTLD_NOW would also
                 * bind every call between libcurl's ~30 dependencies that is never made (14% of
                 * the http check's instructions); the symbols used here are checked below. */
                handle = dlopen(sonames[i], RTLD_LAZY | RTLD_LOCAL);
                if (!handle)
                        last_error = dlerror();
        }
        if (!handle) {
                snprintf(why, why_size, "%s", last_error ? last_error : "dlopen failed");
                return false;
        }
        for (size_t i = 0; symbols[i].name; i++) {
                void *address = dlsym(handle, symbols[i].name);
                if (!address) {
                        snprintf(why, why_size, "%s lacks %s", sonames[0], symbols[i].name);
                        for (size_t j = 0; j < i; j++)
                                *symbols[j].address = NULL;
                        dlclose(handle);
                        return false;
                }
                *symbols[i].address = address;
        }
        return true;
}
