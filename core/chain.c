/* PLACEHOLDER until the chains work lands: replaced by the real chain runner. */
#include "core/chain.h"
#include "core/exitcodes.h"
#include "core/report.h"

int chain_main(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        report_error("run", "chain files are not built yet");
        return PF_USAGE;
}
