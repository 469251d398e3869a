/*
 * --as-unit's words (unit/as_unit/args.c): byte 0 says whether the words are run's (odd) or a
 * check's, the rest are words separated by NUL bytes, as argv gives them. Wherever --as-unit is
 * found, the command handed to the transient unit is the words without it, in order, with "--"
 * refused; a service name that is taken is one systemd takes (at most 255 bytes, its bytes only,
 * ending in .service); a refused one gets one safe line; the transient unit's name is always a
 * plain service name; the manager's refusal is read without overrunning.
 */
#include "tests/fuzz/fuzz.h"

#include "core/exitcodes.h"
#include "core/invocation.h"
#include "unit/as_unit/args.h"

#define MAX_WORDS 64

static bool unit_name_bytes(const char *name, bool escapes)
{
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || strchr(":-_.", *c) ||
                      (escapes && strchr("\\@", *c))))
                        return false;
        return true;
}

static bool ends_with_service(const char *name)
{
        size_t len = strlen(name);
        return len > 8 && strcmp(name + len - 8, ".service") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        bool is_run = data[0] & 1;
        char *text = malloc(size);
        if (!text)
                abort();
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        char *words[MAX_WORDS + 1];
        int argc = 0;
        for (char *w = text; argc < MAX_WORDS && w <= text + size - 2 && size > 1;) {
                words[argc++] = w;
                w += strlen(w) + 1;
        }
        words[argc] = NULL;

        const struct check_option *const tables[2] = {is_run ? NULL : invocation_common_options(),
                                                      NULL};
        int at = -1, n = 0;
        const char *unit = NULL;
        if (as_unit_find(argc, words, tables, &at, &n, &unit)) {
                FUZZ_REQUIRE(at >= 0 && at < argc && (n == 1 || n == 2) && at + n <= argc,
                             "at %d, %d words of %d", at, n, argc);
                FUZZ_REQUIRE(strncmp(words[at], "--as-unit", 9) == 0, "found at '%s'", words[at]);
                for (int i = 0; i < at; i++)
                        FUZZ_REQUIRE(strcmp(words[i], "--") != 0, "found after '--'");
                char service[AS_UNIT_NAME_SIZE];
                struct pf_error err = {0};
                if (unit && as_unit_service_name(unit, service, &err) == PF_OK) {
                        FUZZ_REQUIRE(strlen(service) < AS_UNIT_NAME_SIZE &&
                                         unit_name_bytes(service, true) &&
                                         ends_with_service(service),
                                     "service name '%s'", service);
                        char transient[AS_UNIT_NAME_SIZE];
                        as_unit_transient_name(service, "0123abcd", transient);
                        FUZZ_REQUIRE(strlen(transient) < AS_UNIT_NAME_SIZE &&
                                         unit_name_bytes(transient, false) &&
                                         strncmp(transient, "preflight-as-", 13) == 0 &&
                                         ends_with_service(transient),
                                     "transient name '%s'", transient);
                } else if (unit) {
                        FUZZ_REQUIRE_MESSAGE(err.msg);
                }
                struct as_unit_command cmd;
                int r = as_unit_command("/p", is_run ? "run" : "port", is_run, argc, words, at, n,
                                        "/cwd", "conf", &cmd, &err);
                bool dashes = false;
                for (int i = 0; i < argc; i++)
                        dashes |= strcmp(words[i], "--") == 0;
                if (dashes) {
                        FUZZ_REQUIRE(r == PF_USAGE, "-- COMMAND not refused");
                        FUZZ_REQUIRE_MESSAGE(err.msg);
                } else {
                        FUZZ_REQUIRE(r == PF_OK, "refused without '--': %s", err.msg);
                        int k = 2;
                        for (int i = 0; i < argc; i++) {
                                if (i >= at && i < at + n)
                                        continue;
                                FUZZ_REQUIRE(cmd.argv[k] != NULL, "word %d missing", i);
                                bool source = cmd.source && cmd.argv[k] == cmd.source;
                                FUZZ_REQUIRE(source || cmd.argv[k] == words[i],
                                             "word %d is not '%s'", i, words[i]);
                                FUZZ_REQUIRE(!source || strcmp(cmd.source, "-") == 0 ||
                                                 cmd.source[0] == '/',
                                             "source '%s' is not absolute", cmd.source);
                                k++;
                        }
                        FUZZ_REQUIRE(cmd.argv[k] == NULL, "more words than given");
                        as_unit_command_release(&cmd);
                }
        }
        char name[16];
        (void)as_unit_refused_property("org.freedesktop.DBus.Error.PropertyReadOnly", text, name,
                                       sizeof(name));
        free(text);
        return 0;
}
