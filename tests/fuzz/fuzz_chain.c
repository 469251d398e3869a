/*
 * `preflight run FILE --dry-run` end to end (core/chain.c): the file is read, split into lines
 * of words, and every line is parsed as the check it names with the defaults before it, as a
 * real run does before running anything. Whatever the file holds, the answer is 0 (valid) or 6
 * (a chain-file error), never a crash, a leak, or another code.
 *
 * Files with options that read files (FUZZ_OPENS_FILES) or with paths under /proc/ or /dev/ are
 * left out: a fuzzer must not open whatever path it invents (a FIFO would block it).
 */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/exitcodes.h"

static char path[] = "/tmp/preflight-fuzz-chain.XXXXXX";
static int fd = -1;

static void remove_file(void)
{
        unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        fd = mkstemp(path);
        if (fd < 0 || fchmod(fd, 0600) != 0 || atexit(remove_file) != 0)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const opens_files[] = {FUZZ_OPENS_FILES, "/proc/", "/dev/", NULL};
        if (fuzz_holds_any(data, size, opens_files))
                return 0;
        if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                abort();
        char dry_run[] = "--dry-run", quiet[] = "--quiet";
        char *argv[] = {dry_run, quiet, path, NULL};
        int r = chain_main(3, argv);
        FUZZ_REQUIRE(r == PF_OK || r == PF_CHAIN, "preflight run --dry-run gave %d", r);
        return 0;
}
