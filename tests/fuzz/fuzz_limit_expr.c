/*
 * The limit check's expressions (checks/limit.c): never a crash or an overflow; a refusal is one
 * safe line; what an accepted expression shows parses back to the same expression.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        struct limit_expr expr, again;
        struct pf_error err = {0};
        if (limit_parse_expr(text, &expr, &err) != PF_OK) {
                FUZZ_REQUIRE_MESSAGE(err.msg);
                free(text);
                return 0;
        }
        char shown[TARGET_SHOWN_SIZE];
        limit_format_expr(&expr, shown, sizeof(shown));
        FUZZ_REQUIRE(fuzz_safe_line(shown), "shown '%s'", shown);
        FUZZ_REQUIRE(limit_parse_expr(shown, &again, &err) == PF_OK, "'%s' shows as '%s': %s", text,
                     shown, err.msg);
        FUZZ_REQUIRE(again.limit == expr.limit && again.op == expr.op && again.value == expr.value,
                     "'%s' shows as '%s', which reads otherwise", text, shown);
        /* Every comparison holds at its own bound. */
        FUZZ_REQUIRE(limit_holds(&expr, expr.value), "'%s' fails at its own value", shown);
        free(text);
        return 0;
}
