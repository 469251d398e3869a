/*
 * `run --prometheus FILE`: the chain's results as Prometheus text exposition (format 0.0.4),
 * replaced atomically so that node_exporter's textfile collector, which may read at any time,
 * sees the old file or the new one and never part of one.
 */
#include "core/prometheus.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/exitcodes.h"
#include "core/text.h"

/* Room for a shown target escaped: each byte becomes at most 3 (U+FFFD for a stray byte). */
#define LABEL_BUF (TARGET_SHOWN_SIZE * 3 + 1)

void prom_chain_name(const char *source, char *out, size_t size)
{
        if (strcmp(source, "-") == 0) {
                snprintf(out, size, "stdin");
                return;
        }
        const char *base = strrchr(source, '/');
        base = base ? base + 1 : source;
        size_t len = strlen(base);
        /* A NAME has no slash and means NAME.conf; a FILE's .conf is not part of its name. */
        if (strchr(source, '/') && len > 5 && strcmp(base + len - 5, ".conf") == 0)
                len -= 5;
        snprintf(out, size, "%.*s", (int)len, base);
}

void prom_begin(struct prom_run *run, const char *path, const char *source)
{
        *run = (struct prom_run){.path = path, .started_us = clock_now_us()};
        prom_chain_name(source, run->chain, sizeof(run->chain));
}

void prom_add(struct prom_run *run, unsigned line, const struct outcome *o)
{
        if (run->n_rows == run->cap_rows) {
                size_t cap = run->cap_rows ? run->cap_rows * 2 : 16;
                struct prom_row *grown = realloc(run->rows, cap * sizeof(*grown));
                if (!grown) {
                        run->out_of_memory = true;
                        return;
                }
                run->rows = grown;
                run->cap_rows = cap;
        }
        run->rows[run->n_rows++] = (struct prom_row){.line = line, .outcome = *o};
}

void prom_release(struct prom_run *run)
{
        free(run->rows);
        run->rows = NULL;
        run->n_rows = run->cap_rows = 0;
}

void prom_escape_label(const char *text, char *out, size_t size)
{
        const unsigned char *p = (const unsigned char *)text;
        size_t n = 0;
        if (size == 0)
                return;
        while (*p) {
                char piece[4];
                size_t len, skip;
                if (*p == '\\' || *p == '"' || *p == '\n') {
                        piece[0] = '\\';
                        piece[1] = *p == '\n' ? 'n' : (char)*p;
                        len = 2;
                        skip = 1;
                } else if (*p < 0x80) {
                        piece[0] = (char)*p;
                        len = skip = 1;
                } else if ((len = text_utf8_length(p)) > 0) {
                        memcpy(piece, p, len);
                        skip = len;
                } else {
                        /* The format is UTF-8: a stray byte would make node_exporter refuse
                         * the whole file. */
                        memcpy(piece, "\xef\xbf\xbd", 3);
                        len = 3;
                        skip = 1;
                }
                if (n + len >= size)
                        break;
                memcpy(out + n, piece, len);
                n += len;
                p += skip;
        }
        out[n] = '\0';
}

/* A target shown twice on one line (port 80 80) would be a duplicate series, which the
 * format forbids: the first one stands. */
static bool repeats_earlier(const struct prom_run *run, size_t i)
{
        const struct prom_row *row = &run->rows[i];
        for (size_t j = i; j-- > 0 && run->rows[j].line == row->line;)
                if (strcmp(run->rows[j].outcome.result.target, row->outcome.result.target) == 0 &&
                    strcmp(run->rows[j].outcome.check, row->outcome.check) == 0)
                        return true;
        return false;
}

enum family { OK, EXIT_CODE, DURATION };

static const struct {
        const char *name, *help;
} families[] = {
    [OK] = {"preflight_check_ok", "Whether the check of this chain line passed for this "
                                  "target (1) or failed (0)."},
    [EXIT_CODE] = {"preflight_check_exit_code",
                   "The exit code this check's result stands for (0 when it passed; "
                   "preflight exit-codes lists them)."},
    [DURATION] = {"preflight_check_duration_seconds",
                  "Seconds from the start of this chain line to this target's result."},
};

static void write_family_header(FILE *f, const char *name, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

bool prom_format(FILE *f, const struct prom_run *run, int chain_code, double timestamp_s,
                 double duration_s)
{
        char chain[LABEL_BUF];
        prom_escape_label(run->chain, chain, sizeof(chain));
        for (size_t fam = 0; fam < sizeof(families) / sizeof(families[0]); fam++) {
                if (run->n_rows == 0)
                        break;
                write_family_header(f, families[fam].name, families[fam].help);
                for (size_t i = 0; i < run->n_rows; i++) {
                        const struct prom_row *row = &run->rows[i];
                        const struct outcome *o = &row->outcome;
                        if (repeats_earlier(run, i))
                                continue;
                        char check[LABEL_BUF], target[LABEL_BUF];
                        prom_escape_label(o->check, check, sizeof(check));
                        prom_escape_label(o->result.target, target, sizeof(target));
                        fprintf(f, "%s{chain=\"%s\",line=\"%u\",check=\"%s\",target=\"%s\"} ",
                                families[fam].name, chain, row->line, check, target);
                        if (fam == OK)
                                fprintf(f, "%d\n", o->ok ? 1 : 0);
                        else if (fam == EXIT_CODE)
                                fprintf(f, "%d\n", o->code);
                        else
                                fprintf(f, "%.3f\n", (double)o->elapsed_ms / 1000.0);
                }
        }
        write_family_header(f, "preflight_chain_exit_code",
                            "The exit code of the whole chain: its first failing line's, or 6 "
                            "when the chain file could not be used.");
        fprintf(f, "preflight_chain_exit_code{chain=\"%s\"} %d\n", chain, chain_code);
        write_family_header(f, "preflight_chain_duration_seconds",
                            "Seconds the whole chain took to run.");
        fprintf(f, "preflight_chain_duration_seconds{chain=\"%s\"} %.3f\n", chain, duration_s);
        write_family_header(f, "preflight_chain_last_run_timestamp_seconds",
                            "Unix time when the chain last ran (its end).");
        fprintf(f, "preflight_chain_last_run_timestamp_seconds{chain=\"%s\"} %.3f\n", chain,
                timestamp_s);
        return fflush(f) == 0 && !ferror(f);
}

static int write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno;
                if (n == 0)
                        return EIO;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

/* The directory FILE is in, and the temporary name beside it: ".BASE.XXXXXX" does not end in
 * .prom, so the textfile collector never reads it, even while it is being written. */
static int temp_names(const char *path, char **dir, char **temp)
{
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        size_t dir_len = slash ? (size_t)(slash - path) : 0;
        *dir = slash ? (dir_len ? strndup(path, dir_len) : strdup("/")) : strdup(".");
        size_t size = dir_len + strlen(base) + sizeof("/..XXXXXX");
        *temp = malloc(size);
        if (!*dir || !*temp) {
                free(*dir);
                free(*temp);
                *dir = *temp = NULL;
                return ENOMEM;
        }
        snprintf(*temp, size, "%.*s%s.%s.XXXXXX", (int)dir_len, path, slash ? "/" : "", base);
        return 0;
}

/* The steps of the atomic replacement; what failed is named in *step. */
static int replace_file(const char *path, const char *dir, char *temp, const char *data, size_t len,
                        const char **step)
{
        *step = "cannot create a temporary file in its directory";
        int fd = mkstemp(temp);
        if (fd < 0)
                return errno;
        int e = 0;
        /* mkstemp makes 0600, and the umask may say less: node_exporter runs as another user
         * (prometheus) and must read the file. It holds nothing secret. */
        if (fchmod(fd, 0644) != 0) {
                e = errno;
                *step = "cannot set the temporary file's mode";
        } else if ((e = write_all(fd, data, len)) != 0) {
                *step = "cannot write the temporary file";
        } else if (fsync(fd) != 0) {
                e = errno;
                *step = "cannot fsync the temporary file";
        }
        if (close(fd) != 0 && e == 0) {
                e = errno;
                *step = "cannot close the temporary file";
        }
        if (e == 0 && rename(temp, path) != 0) {
                e = errno;
                *step = "cannot rename the temporary file over it";
        }
        if (e != 0) {
                (void)unlink(temp);
                return e;
        }
        /* The rename is durable only once the directory is on disk too. */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0) {
                e = errno;
                *step = "written, but its directory cannot be fsync'ed";
        }
        if (dfd >= 0)
                close(dfd);
        return e;
}

static const int held[] = {SIGTERM, SIGINT, SIGHUP};
static struct sigaction held_old[sizeof(held) / sizeof(held[0])];
static volatile sig_atomic_t held_signal;

static void note_signal(int sig)
{
        held_signal = sig;
}

static void hold_signals(void)
{
        struct sigaction sa = {.sa_handler = note_signal};
        sigemptyset(&sa.sa_mask);
        held_signal = 0;
        for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
                if (sigaction(held[i], &sa, &held_old[i]) != 0)
                        held_old[i].sa_handler = SIG_DFL;
}

static void release_signals(void)
{
        for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
                (void)sigaction(held[i], &held_old[i], NULL);
        if (held_signal)
                (void)raise(held_signal);
}

int prom_write(const struct prom_run *run, int chain_code)
{
        char where[QUOTE_BUF];
        text_quote(run->path, where, sizeof(where));
        if (run->out_of_memory) {
                report_error("run", "--prometheus %s: out of memory; the file is left as it was",
                             where);
                return PF_INTERNAL;
        }
        double duration_s = (double)(clock_now_us() - run->started_us) / 1e6;
        struct timespec now;
        if (clock_gettime(CLOCK_REALTIME, &now) != 0)
                now = (struct timespec){0};
        double timestamp_s = (double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1e3;
        char *data = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&data, &len);
        if (!mem) {
                report_error("run", "--prometheus %s: out of memory; the file is left as it was",
                             where);
                return PF_INTERNAL;
        }
        bool formatted = prom_format(mem, run, chain_code, timestamp_s, duration_s);
        if (fclose(mem) != 0 || !formatted) {
                free(data);
                report_error("run", "--prometheus %s: out of memory; the file is left as it was",
                             where);
                return PF_INTERNAL;
        }
        char *dir = NULL, *temp = NULL;
        int e = temp_names(run->path, &dir, &temp);
        const char *step = "out of memory";
        if (e == 0) {
                /* A SIGTERM (systemctl stop, a timer's unit stopped) between mkstemp() and
                 * rename() would leave the temporary file behind: it waits the few
                 * milliseconds until the file is renamed or removed, then acts as it would
                 * have. A handler rather than a mask alone: a resolver thread given up at its
                 * deadline may still be running, and a signal may be delivered to it. */
                hold_signals();
                e = replace_file(run->path, dir, temp, data, len, &step);
                release_signals();
        }
        free(dir);
        free(temp);
        free(data);
        if (e != 0) {
                report_error("run", "--prometheus %s: %s: %s%s", where, step, strerror(e),
                             strncmp(step, "written", 7) == 0 ? ""
                                                              : "; the file is left as it was");
                return PF_INTERNAL;
        }
        return PF_OK;
}
