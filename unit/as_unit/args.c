/* --as-unit's command-line words (args.h): found, checked, rewritten. */
#include "unit/as_unit/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

static const struct check_option *find_long(const struct check_option *const tables[2],
                                            const char *name, size_t len)
{
        for (unsigned t = 0; t < 2; t++)
                for (unsigned i = 0; tables && tables[t] && tables[t][i].long_name; i++)
                        if (strlen(tables[t][i].long_name) == len &&
                            strncmp(tables[t][i].long_name, name, len) == 0)
                                return &tables[t][i];
        return NULL;
}

static const struct check_option *find_short(const struct check_option *const tables[2], char c)
{
        for (unsigned t = 0; t < 2; t++)
                for (unsigned i = 0; tables && tables[t] && tables[t][i].long_name; i++)
                        if (tables[t][i].short_name == c)
                                return &tables[t][i];
        return NULL;
}

/* Whether the word at i is an option whose value is the next word (as core/options.c reads it). */
static bool value_follows(const struct check_option *const tables[2], const char *word)
{
        if (word[0] != '-' || word[1] == '\0')
                return false;
        if (word[1] == '-') {
                if (strchr(word, '='))
                        return false;
                const struct check_option *opt = find_long(tables, word + 2, strlen(word + 2));
                return opt && opt->value_name;
        }
        /* A cluster: -wq, -t5s, -wt 5s. The first option that takes a value ends it. */
        for (const char *c = word + 1; *c; c++) {
                const struct check_option *opt = find_short(tables, *c);
                if (!opt)
                        return false;
                if (opt->value_name)
                        return c[1] == '\0';
        }
        return false;
}

bool as_unit_find(int argc, char **argv, const struct check_option *const tables[2], int *at,
                  int *n_words, const char **unit)
{
        for (int i = 0; i < argc; i++) {
                const char *word = argv[i];
                if (strcmp(word, "--") == 0)
                        return false;
                if (strcmp(word, "--as-unit") == 0) {
                        *at = i;
                        bool has_value = i + 1 < argc && strcmp(argv[i + 1], "--") != 0;
                        *n_words = has_value ? 2 : 1;
                        *unit = has_value ? argv[i + 1] : NULL;
                        return true;
                }
                if (strncmp(word, "--as-unit=", 10) == 0) {
                        *at = i;
                        *n_words = 1;
                        *unit = word + 10;
                        return true;
                }
                /* As core/options.c: "--" is never an option's value, it ends the options. */
                if (value_follows(tables, word) && i + 1 < argc && strcmp(argv[i + 1], "--") != 0)
                        i++;
        }
        return false;
}

static bool unit_name_byte(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
}

int as_unit_service_name(const char *name, char out[AS_UNIT_NAME_SIZE], struct pf_error *err)
{
        char q[QUOTE_BUF];
        static const char suffix[] = ".service";
        size_t len = strlen(name);
        if (len == 0)
                return pf_error_set(err, "--as-unit: an empty UNIT name");
        for (size_t i = 0; i < len; i++)
                if (!unit_name_byte(name[i]))
                        return pf_error_set(err,
                                            "--as-unit: '%s' is not a unit name (letters, digits "
                                            "and :-_.\\@ only)",
                                            text_quote(name, q, sizeof(q)));
        const char *dot = strrchr(name, '.');
        bool has_suffix = dot && strcmp(dot, suffix) == 0;
        if (dot && !has_suffix && strchr(dot, '@') == NULL && dot != name) {
                /* foo.socket, foo.timer: the checks run as a service's ExecStartPre= does. */
                return pf_error_set(err,
                                    "--as-unit: '%s' is not a service: the checks run as a "
                                    "service's ExecStartPre= would (give NAME or NAME.service)",
                                    text_quote(name, q, sizeof(q)));
        }
        size_t full = has_suffix ? len : len + sizeof(suffix) - 1;
        if (full >= AS_UNIT_NAME_SIZE || (has_suffix && len == sizeof(suffix) - 1))
                return pf_error_set(err, "--as-unit: '%s' is not a unit name (%s)",
                                    text_quote(name, q, sizeof(q)),
                                    full >= AS_UNIT_NAME_SIZE ? "longer than 255 bytes"
                                                              : "nothing before .service");
        snprintf(out, AS_UNIT_NAME_SIZE, "%s%s", name, has_suffix ? "" : suffix);
        return PF_OK;
}

void as_unit_transient_name(const char *service, const char *suffix, char out[AS_UNIT_NAME_SIZE])
{
        static const char prefix[] = "preflight-as-";
        char base[128];
        size_t n = 0, len = strlen(service);
        if (len > 8 && strcmp(service + len - 8, ".service") == 0)
                len -= 8;
        /* Room for the prefix, the suffix and ".service" within 255 bytes, whatever was given. */
        for (size_t i = 0; i < len && n + 1 < sizeof(base); i++) {
                char c = service[i];
                bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == ':' || c == '-' || c == '_' || c == '.';
                base[n++] = keep ? c : '_';
        }
        base[n] = '\0';
        snprintf(out, AS_UNIT_NAME_SIZE, "%s%s-%.32s.service", prefix, base, suffix);
}

/* path made absolute against dir (which is absolute): malloc'd, or NULL. */
static char *absolute(const char *dir, const char *path)
{
        if (path[0] == '/')
                return strdup(path);
        size_t size = strlen(dir) + strlen(path) + 2;
        char *out = malloc(size);
        if (out)
                snprintf(out, size, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
                         path);
        return out;
}

/* The FILE|NAME|- of run as the unit is to read it. */
static char *source_for_unit(const char *source, const char *cwd, const char *config_dir)
{
        if (strcmp(source, "-") == 0)
                return strdup(source);
        if (strchr(source, '/'))
                return absolute(cwd, source);
        char *dir = absolute(cwd, config_dir);
        if (!dir)
                return NULL;
        size_t size = strlen(dir) + strlen(source) + sizeof("/.conf");
        char *out = malloc(size);
        if (out)
                snprintf(out, size, "%s/%s.conf", dir, source);
        free(dir);
        return out;
}

int as_unit_command(const char *exe, const char *verb, bool is_run, int argc, char **argv, int at,
                    int n_words, const char *cwd, const char *config_dir,
                    struct as_unit_command *out, struct pf_error *err)
{
        *out = (struct as_unit_command){0};
        for (int i = 0; i < argc; i++)
                if (strcmp(argv[i], "--") == 0)
                        return pf_error_set(err,
                                            "--as-unit: -- COMMAND has no place here: the "
                                            "wrapper belongs in the unit itself (ExecStart=... "
                                            "run FILE -- COMMAND); --as-unit runs the checks "
                                            "only");
        out->argv = calloc((size_t)argc + 3, sizeof(char *));
        if (!out->argv)
                return PF_INTERNAL;
        size_t n = 0;
        out->argv[n++] = (char *)exe;
        out->argv[n++] = (char *)verb;
        bool source_done = !is_run;
        for (int i = 0; i < argc; i++) {
                if (i >= at && i < at + n_words)
                        continue;
                const char *word = argv[i];
                if (!source_done && (word[0] != '-' || strcmp(word, "-") == 0)) {
                        source_done = true;
                        out->source = source_for_unit(word, cwd, config_dir);
                        if (!out->source) {
                                as_unit_command_release(out);
                                return PF_INTERNAL;
                        }
                        word = out->source;
                }
                out->argv[n++] = (char *)word;
        }
        out->argv[n] = NULL;
        return PF_OK;
}

void as_unit_command_release(struct as_unit_command *cmd)
{
        free(cmd->argv);
        free(cmd->source);
        *cmd = (struct as_unit_command){0};
}

bool as_unit_refused_property(const char *error_name, const char *error_message, char *out,
                              size_t out_size)
{
        static const char read_only[] = "org.freedesktop.DBus.Error.PropertyReadOnly";
        static const char lead[] = "Cannot set property ";
        if (!error_name || !error_message || strcmp(error_name, read_only) != 0 || out_size == 0)
                return false;
        if (strncmp(error_message, lead, sizeof(lead) - 1) != 0)
                return false;
        const char *name = error_message + sizeof(lead) - 1;
        size_t len = 0;
        while (name[len] && name[len] != ',' && name[len] != ' ' && name[len] != '.')
                len++;
        if (len == 0 || len >= out_size)
                return false;
        memcpy(out, name, len);
        out[len] = '\0';
        return true;
}
