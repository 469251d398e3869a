/*
 * The sysctl check's expressions (checks/sysctl.c): never a crash or an overflow; a refusal is
 * one safe line; an accepted key gives a path that stays below /proc/sys (no empty, "." or ".."
 * part, no leading slash); the value is normalized; what is shown parses back to the same
 * expression; and judging any text against it never crashes.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/sysctl.h"

static bool path_stays_below(const char *path)
{
        if (!*path || path[0] == '/')
                return false;
        for (const char *part = path; *part;) {
                size_t len = strcspn(part, "/");
                if (len == 0 || (len == 1 && part[0] == '.') ||
                    (len == 2 && part[0] == '.' && part[1] == '.'))
                        return false;
                part += len;
                if (*part && !*++part)
                        return false; /* a trailing slash */
        }
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        struct sysctl_expr expr, again;
        struct pf_error err = {0};
        if (sysctl_parse_expr(text, &expr, &err) != PF_OK) {
                FUZZ_REQUIRE_MESSAGE(err.msg);
                free(text);
                return 0;
        }
        FUZZ_REQUIRE(path_stays_below(expr.path), "'%s' gives the path '%s'", text, expr.path);
        size_t len = strlen(expr.value);
        FUZZ_REQUIRE(!strchr(expr.value, '\t') && !strstr(expr.value, "  ") &&
                         (len == 0 || (expr.value[0] != ' ' && expr.value[len - 1] != ' ')),
                     "'%s' keeps the value '%s'", text, expr.value);
        static const char *const ops[] = {"=", "!=", ">=", "<="};
        char shown[TARGET_SHOWN_SIZE];
        snprintf(shown, sizeof(shown), "%s%s%s", expr.key, ops[expr.op], expr.value);
        FUZZ_REQUIRE(sysctl_parse_expr(shown, &again, &err) == PF_OK, "'%s' shows as '%s': %s",
                     text, shown, err.msg);
        FUZZ_REQUIRE(again.op == expr.op && strcmp(again.path, expr.path) == 0 &&
                         strcmp(again.value, expr.value) == 0 && again.numeric == expr.numeric,
                     "'%s' shows as '%s', which reads otherwise", text, shown);
        /* A setting that holds the expression's own value satisfies =, >= and <=. */
        enum sysctl_verdict own = sysctl_judge(&expr, expr.value);
        FUZZ_REQUIRE(own == (expr.op == SYSCTL_NOT_EQUAL ? SYSCTL_DIFFERS : SYSCTL_HOLDS),
                     "'%s' judged against its own value: %d", shown, (int)own);
        char now[SYSCTL_READ_MAX];
        if (sysctl_normalize(text, now, sizeof(now)))
                (void)sysctl_judge(&expr, now);
        free(text);
        return 0;
}
