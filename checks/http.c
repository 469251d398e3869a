/* PLACEHOLDER: replaced by the real http check. */
#include "core/check.h"
static void run(const void *config, const char *target, const struct attempt *a, struct check_result *res)
{
        (void)config; (void)target; (void)a;
        result_set(res, PF_INTERNAL, "not built yet");
}
const struct check check_http = {
        .name = "http", .summary = "not built yet", .usage = "ARGS", .min_targets = 0, .max_targets = 8,
        .timeout_code = 1, .inverted_code = 1, .run = run,
};
