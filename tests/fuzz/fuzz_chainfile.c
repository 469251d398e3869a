/*
 * The chain-file grammar (core/chainfile.c) on any bytes: quotes, escapes, continuations,
 * comments and ${...} in every combination, NUL bytes and unterminated everything. A file
 * either parses into lines of words that respect the bounds, or fails with code 6, a line
 * number inside the file and a message that is one safe line.
 */
#include "tests/fuzz/fuzz.h"

#include "core/chainfile.h"
#include "core/exitcodes.h"

/* A fixed environment: some names set, some empty, one large, the rest unset. */
static const char *lookup(const char *name, void *ctx)
{
        (void)ctx;
        if (strcmp(name, "EMPTY") == 0)
                return "";
        if (strcmp(name, "BIG") == 0) {
                static char big[40 * 1024];
                if (!big[0])
                        memset(big, 'b', sizeof(big) - 1);
                return big;
        }
        if (strcmp(name, "QUOTES") == 0)
                return "'\"\\ $x ${y} #z\n";
        if (name[0] >= 'a' && name[0] <= 'm')
                return name; /* set: its own name */
        return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct chainfile file;
        struct chainfile_error err;
        const char *text = (const char *)data;
        unsigned physical_lines = 1;
        for (size_t i = 0; i < size; i++)
                physical_lines += data[i] == '\n';

        int r = chainfile_parse(text, size, lookup, NULL, &file, &err);
        if (r != PF_OK) {
                FUZZ_REQUIRE(r == PF_CHAIN, "code %d (%s)", r, err.msg);
                FUZZ_REQUIRE(err.line <= physical_lines, "error on line %u of %u", err.line,
                             physical_lines);
                FUZZ_REQUIRE_MESSAGE(err.msg);
                FUZZ_REQUIRE(file.n_lines == 0 && file.lines == NULL, "lines left on failure");
                return 0;
        }
        FUZZ_REQUIRE(file.n_lines <= CHAINFILE_MAX_LINES, "%u lines", file.n_lines);
        unsigned previous = 0;
        for (unsigned i = 0; i < file.n_lines; i++) {
                const struct chainfile_line *line = &file.lines[i];
                FUZZ_REQUIRE(line->number > previous && line->number <= physical_lines,
                             "line %u after line %u, of %u", line->number, previous,
                             physical_lines);
                previous = line->number;
                FUZZ_REQUIRE(line->n_words >= 1 && line->n_words <= CHAINFILE_MAX_WORDS, "%u words",
                             line->n_words);
                FUZZ_REQUIRE(line->words[line->n_words] == NULL, "words not NULL-terminated");
                size_t bytes = 0;
                for (unsigned w = 0; w < line->n_words; w++) {
                        FUZZ_REQUIRE(line->words[w] == line->text + bytes, "word %u misplaced", w);
                        bytes += strlen(line->words[w]) + 1;
                }
                FUZZ_REQUIRE(bytes <= CHAINFILE_MAX_LINE_BYTES, "a line of %zu bytes", bytes);
        }
        chainfile_release(&file);
        return 0;
}
