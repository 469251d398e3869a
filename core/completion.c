/* `preflight completion bash|zsh|fish`: see core/completion.h. */
#include "core/completion.h"

#include <stdbool.h>
#include <string.h>

#include "core/chain.h"
#include "core/check.h"
#include "core/exitcodes.h"
#include "core/invocation.h"
#include "core/report.h"
#include "core/text.h"
#include "unit/why/why.h"

/* Spans offered after --timeout, --interval: examples, any span is taken. */
#define SPAN_WORDS "500ms 1s 5s 10s 30s 1min 5min"

/* One command or check as completion sees it: its options (own, then shared, then --as-unit),
 * what its arguments are, and whether "-- COMMAND" may follow. */
struct context {
        const char *name;
        const char *summary;
        const struct check_option *tables[3];
        const struct check_completion *completion;
        const char *arguments; /* "@KIND", words, or NULL for none */
        bool wraps;
        bool check;
};

#define MAX_CONTEXTS 64

static const struct check_completion no_completion[] = {{NULL, NULL}};

/* The values of core's own options (the shared ones, run's, why's) where value_name says too
 * little, as a check's completion table gives them for its options. */
static const struct check_completion core_completion[] = {
    {"format", "human json nagios"},
    {NULL, NULL},
};

/* The words after "preflight": every check, then the commands with a summary (and --help,
 * --version, the two spellings people type). */
static size_t contexts(const struct command *commands, struct context *out)
{
        size_t n = 0;
        const struct check_option *common = invocation_common_options();
        const struct check_option *as_unit = invocation_as_unit_options();
        for (size_t i = 0; pf_checks[i] && n < MAX_CONTEXTS; i++) {
                const struct check *c = pf_checks[i];
                const struct check_completion *cc = c->completion ? c->completion : no_completion;
                const char *arguments = NULL;
                for (size_t k = 0; cc[k].words; k++)
                        if (!cc[k].option)
                                arguments = cc[k].words;
                out[n++] = (struct context){
                    c->name, c->summary, {c->options, common, as_unit}, cc, arguments, true, true};
        }
        for (const struct command *c = commands; c->name && n < MAX_CONTEXTS; c++) {
                if (!c->summary)
                        continue;
                struct context x = {c->name, c->summary, {NULL, NULL, NULL}, no_completion, NULL,
                                    false,   false};
                if (strcmp(c->name, "run") == 0) {
                        x.tables[0] = chain_run_options();
                        x.tables[1] = as_unit;
                        x.arguments = "@chain";
                        x.wraps = true;
                } else if (strcmp(c->name, "why") == 0) {
                        x.tables[0] = why_option_table();
                        x.arguments = "@unit";
                } else if (strcmp(c->name, "explain") == 0) {
                        x.arguments = "@exitcode";
                }
                out[n++] = x;
        }
        return n;
}

/* What an option's value is: the check's own words, or what its value_name says. */
static const char *value_words(const struct context *x, const struct check_option *o)
{
        static const struct {
                const char *value_name, *words;
        } kinds[] = {
            {"FILE", "@file"}, {"PATH", "@file"},    {"DIR", "@dir"},
            {"USER", "@user"}, {"GROUP", "@group"},  {"USER[:GROUP]", "@owner"},
            {"UNIT", "@unit"}, {"SPAN", SPAN_WORDS},
        };
        if (!o->value_name)
                return NULL;
        for (size_t k = 0; x->completion[k].words; k++)
                if (x->completion[k].option && strcmp(x->completion[k].option, o->long_name) == 0)
                        return x->completion[k].words;
        for (size_t k = 0; core_completion[k].words; k++)
                if (strcmp(core_completion[k].option, o->long_name) == 0)
                        return core_completion[k].words;
        /* --as-unit takes the unit whose settings a check borrows: a service. */
        if (strcmp(o->long_name, "as-unit") == 0)
                return "@service";
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
                if (strcmp(o->value_name, kinds[k].value_name) == 0)
                        return kinds[k].words;
        return "@none";
}

void completion_put_sh(FILE *out, const char *s)
{
        fputc('\'', out);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", out);
                else
                        fputc(*s, out);
        fputc('\'', out);
}

void completion_put_fish(FILE *out, const char *s)
{
        fputc('\'', out);
        for (; *s; s++) {
                if (*s == '\'' || *s == '\\')
                        fputc('\\', out);
                fputc(*s, out);
        }
        fputc('\'', out);
}

void completion_put_zsh(FILE *out, const char *s)
{
        for (; *s; s++) {
                if (*s == '\'')
                        fputs("'\\''", out);
                else {
                        if (strchr("\\[]:", *s))
                                fputc('\\', out);
                        fputc(*s, out);
                }
        }
}

/* A name fit for a shell function's: "exit-codes" -> "exit_codes". */
static void put_ident(FILE *out, const char *name)
{
        for (; *name; name++)
                fputc((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') ? *name
                                                                                       : '_',
                      out);
}

/* ---- bash ------------------------------------------------------------------------------------ */

static const char bash_head[] =
    "# bash completion for preflight(1) and its preflight-CHECK links      -*- shell-script -*-\n"
    "# Generated by `preflight completion bash` from the binary's own tables: do not edit.\n\n"
    "# Unit names for `why`: the loaded units and the unit files, of the user's manager when\n"
    "# --user is among the words.\n"
    "_preflight_units()\n"
    "{\n"
    "    local scope=\n"
    "    [[ \" ${words[*]} \" == *\" --user \"* ]] && scope=--user\n"
    "    {\n"
    "        systemctl $scope list-units --all --plain --no-legend --no-pager 2>/dev/null\n"
    "        systemctl $scope list-unit-files --no-legend --no-pager 2>/dev/null\n"
    "    } | awk '{print $1}' | sort -u\n"
    "}\n\n"
    "# Services for --as-unit: the system manager's for root, the user manager's for anyone\n"
    "# else (as preflight itself chooses).\n"
    "_preflight_services()\n"
    "{\n"
    "    local scope=\n"
    "    ((EUID == 0)) || scope=--user\n"
    "    {\n"
    "        systemctl $scope list-units --type=service --all --plain --no-legend --no-pager "
    "2>/dev/null\n"
    "        systemctl $scope list-unit-files --type=service --no-legend --no-pager 2>/dev/null\n"
    "    } | awk '$1 !~ /@\\.service$/ {print $1}' | sort -u\n"
    "}\n\n"
    "# Chain names: NAME for $PREFLIGHT_CONFIG_DIR/NAME.conf (/etc/preflight by default).\n"
    "_preflight_chains()\n"
    "{\n"
    "    local f\n"
    "    for f in \"${PREFLIGHT_CONFIG_DIR:-/etc/preflight}\"/*.conf; do\n"
    "        [[ -e $f ]] || continue\n"
    "        f=${f##*/}\n"
    "        printf '%s\\n' \"${f%.conf}\"\n"
    "    done\n"
    "}\n\n"
    "_preflight_sysctl_keys()\n"
    "{\n"
    "    sysctl -aN 2>/dev/null ||\n"
    "        (cd /proc/sys 2>/dev/null && find . -type f 2>/dev/null | sed 's|^\\./||; s|/|.|g')\n"
    "}\n\n"
    "# Offers what $1 says: @KIND, or the words themselves.\n"
    "_preflight_offer()\n"
    "{\n"
    "    local w\n"
    "    case $1 in\n"
    "        @none) ;;\n"
    "        @file) _filedir ;;\n"
    "        @dir) _filedir -d ;;\n"
    "        @user) COMPREPLY=($(compgen -u -- \"$cur\")) ;;\n"
    "        @group) COMPREPLY=($(compgen -g -- \"$cur\")) ;;\n"
    "        @owner)\n"
    "            # USER, then USER:GROUP once a ':' is typed.\n"
    "            if [[ $cur == *:* ]]; then\n"
    "                COMPREPLY=($(compgen -g -P \"${cur%%:*}:\" -- \"${cur#*:}\"))\n"
    "            else\n"
    "                COMPREPLY=($(compgen -u -- \"$cur\"))\n"
    "            fi\n"
    "            ;;\n"
    "        @unit) COMPREPLY=($(compgen -W \"$(_preflight_units)\" -- \"$cur\")) ;;\n"
    "        @service) COMPREPLY=($(compgen -W \"$(_preflight_services)\" -- \"$cur\")) ;;\n"
    "        @chain)\n"
    "            _filedir conf\n"
    "            COMPREPLY+=($(compgen -W \"$(_preflight_chains) -\" -- \"$cur\"))\n"
    "            ;;\n"
    "        @command) COMPREPLY=($(compgen -c -- \"$cur\")) ;;\n"
    "        @host) COMPREPLY=($(compgen -A hostname -- \"$cur\")) ;;\n"
    "        @sysctl) COMPREPLY=($(compgen -W \"$(_preflight_sysctl_keys)\" -- \"$cur\")) ;;\n"
    "        *)\n"
    "            COMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
    "            # A word that goes on (http://, nofile>=) takes no space after it.\n"
    "            for w in \"${COMPREPLY[@]}\"; do\n"
    "                [[ $w == *[/:=] ]] && compopt -o nospace 2>/dev/null\n"
    "            done\n"
    "            ;;\n"
    "    esac\n"
    "}\n\n";

static const char bash_main[] =
    "_preflight()\n"
    "{\n"
    "    local cur prev words cword split\n"
    "    _init_completion -s || return\n"
    "    local name=${words[0]##*/} cmd first=2 i opts= args= value= wraps=\n"
    "    # Called as preflight-CHECK: the check is in the name.\n"
    "    if [[ $name == preflight-?* ]]; then\n"
    "        cmd=${name#preflight-} first=1\n"
    "    elif ((cword == 1)); then\n"
    "        COMPREPLY=($(compgen -W \"$_preflight_commands\" -- \"$cur\"))\n"
    "        return\n"
    "    else\n"
    "        cmd=${words[1]}\n"
    "    fi\n"
    "    if [[ $first == 1 ]] && ! _preflight_is_check \"$cmd\"; then\n"
    "        return\n"
    "    fi\n"
    "    _preflight_for_${cmd//-/_} 2>/dev/null || return\n"
    "    if [[ -n $wraps ]]; then\n"
    "        for ((i = first; i < cword; i++)); do\n"
    "            if [[ ${words[i]} == -- ]]; then\n"
    "                _command_offset $((i + 1))\n"
    "                return\n"
    "            fi\n"
    "        done\n"
    "    fi\n"
    "    if [[ -n $value ]]; then\n"
    "        _preflight_offer \"$value\"\n"
    "        return\n"
    "    fi\n"
    "    # --FLAG=...: a flag takes no value.\n"
    "    [[ $split == true ]] && return\n"
    "    if [[ $cur == -* ]]; then\n"
    "        COMPREPLY=($(compgen -W \"$opts${wraps:+ --}\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    _preflight_offer \"$args\"\n"
    "}\n";

static void bash_option_names(FILE *out, const struct context *x)
{
        bool first = true;
        for (size_t t = 0; t < 3; t++)
                for (size_t i = 0; x->tables[t] && x->tables[t][i].long_name; i++) {
                        const struct check_option *o = &x->tables[t][i];
                        fprintf(out, "%s--%s", first ? "" : " ", o->long_name);
                        if (o->short_name)
                                fprintf(out, " -%c", o->short_name);
                        first = false;
                }
}

static void bash_context(FILE *out, const struct context *x)
{
        fputs("_preflight_for_", out);
        put_ident(out, x->name);
        fputs("()\n{\n    opts='", out);
        bash_option_names(out, x);
        fputs("'\n", out);
        if (x->arguments && strcmp(x->arguments, "@exitcode") == 0) {
                size_t count;
                const struct pf_code_info *codes = pf_code_table(&count);
                fputs("    args='", out);
                for (size_t i = 0; i < count; i++)
                        fprintf(out, "%s%d", i ? " " : "", codes[i].code);
                fputs("'\n", out);
        } else if (x->arguments) {
                fputs("    args=", out);
                completion_put_sh(out, x->arguments);
                fputc('\n', out);
        }
        if (x->wraps)
                fputs("    wraps=1\n", out);
        fputs("    case $prev in\n", out);
        for (size_t t = 0; t < 3; t++)
                for (size_t i = 0; x->tables[t] && x->tables[t][i].long_name; i++) {
                        const struct check_option *o = &x->tables[t][i];
                        const char *w = value_words(x, o);
                        if (!w)
                                continue;
                        fprintf(out, "        --%s", o->long_name);
                        if (o->short_name)
                                fprintf(out, " | -%c", o->short_name);
                        fputs(") value=", out);
                        completion_put_sh(out, w);
                        fputs(" ;;\n", out);
                }
        fputs("    esac\n}\n\n", out);
}

static void print_bash(FILE *out, const struct context *xs, size_t n)
{
        fputs(bash_head, out);
        for (size_t i = 0; i < n; i++)
                bash_context(out, &xs[i]);
        fputs("# The words after preflight.\n_preflight_commands='", out);
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%s ", xs[i].name);
        fputs("--help --version'\n\n_preflight_is_check()\n{\n    case $1 in\n        ", out);
        for (size_t i = 0, k = 0; i < n; i++)
                if (xs[i].check)
                        fprintf(out, "%s%s", k++ ? " | " : "", xs[i].name);
        fputs(") return 0 ;;\n    esac\n    return 1\n}\n\n", out);
        fputs(bash_main, out);
        fputs("complete -F _preflight preflight", out);
        for (size_t i = 0; i < n; i++)
                if (xs[i].check)
                        fprintf(out, " preflight-%s", xs[i].name);
        fputs("\n\n# ex: filetype=sh\n", out);
}

/* ---- zsh ------------------------------------------------------------------------------------- */

static const char zsh_helpers[] =
    "# Offers what $1 says: @KIND, or the words themselves.\n"
    "_preflight_offer() {\n"
    "  local w\n"
    "  local -a ws\n"
    "  case $1 in\n"
    "    @none) _message value ;;\n"
    "    @file) _files ;;\n"
    "    @dir) _files -/ ;;\n"
    "    @user) _users ;;\n"
    "    @group) _groups ;;\n"
    "    @owner) if compset -P '*:'; then _groups; else _users -qS:; fi ;;\n"
    "    @unit)\n"
    "      local scope=\n"
    "      (( ${words[(I)--user]} )) && scope=--user\n"
    "      ws=(${(f)\"$({ systemctl $scope list-units --all --plain --no-legend --no-pager\n"
    "        systemctl $scope list-unit-files --no-legend --no-pager; } 2>/dev/null |\n"
    "        awk '{print $1}' | sort -u)\"})\n"
    "      compadd -a ws ;;\n"
    "    @service)\n"
    "      local scope=\n"
    "      (( EUID == 0 )) || scope=--user\n"
    "      ws=(${(f)\"$({ systemctl $scope list-units --type=service --all --plain --no-legend "
    "--no-pager\n"
    "        systemctl $scope list-unit-files --type=service --no-legend --no-pager; } "
    "2>/dev/null |\n"
    "        awk '$1 !~ /@\\.service$/ {print $1}' | sort -u)\"})\n"
    "      compadd -a ws ;;\n"
    "    @chain)\n"
    "      ws=(${PREFLIGHT_CONFIG_DIR:-/etc/preflight}/*.conf(N:t:r))\n"
    "      compadd -a ws\n"
    "      compadd -- -\n"
    "      _files ;;\n"
    "    @command) _command_names -e ;;\n"
    "    @host) _hosts ;;\n"
    "    @sysctl)\n"
    "      ws=(${(f)\"$(sysctl -aN 2>/dev/null)\"})\n"
    "      compadd -a ws ;;\n"
    "    *)\n"
    "      # A word that goes on (http://, nofile>=) takes no space after it.\n"
    "      for w in ${=1}; do\n"
    "        if [[ $w == *[/:=] ]]; then compadd -S '' -- $w; else compadd -- $w; fi\n"
    "      done ;;\n"
    "  esac\n"
    "}\n\n"
    "# After \"--\": the command's own completion.\n"
    "_preflight_wrapped() {\n"
    "  local i=${words[(i)--]}\n"
    "  (( i < CURRENT )) || return 1\n"
    "  shift $i words\n"
    "  (( CURRENT -= i ))\n"
    "  _normal\n"
    "  return 0\n"
    "}\n\n";

/* w as one double-quoted argument of _preflight_offer, inside the spec's single quotes. */
static void zsh_words(FILE *out, const char *w)
{
        fputc('"', out);
        for (; *w; w++) {
                if (strchr("\"\\$`", *w))
                        fputc('\\', out);
                if (*w == '\'')
                        fputs("'\\''", out);
                else
                        fputc(*w, out);
        }
        fputc('"', out);
}

/* s in single quotes, for a _describe "name:description" (whose name has no ':'). */
static void zsh_described(FILE *out, const char *name, const char *description)
{
        fprintf(out, "    '%s:", name);
        for (; *description; description++)
                if (*description == '\'')
                        fputs("'\\''", out);
                else
                        fputc(*description, out);
        fputs("'\n", out);
}

static void zsh_option(FILE *out, const struct context *x, const struct check_option *o)
{
        const char *w = value_words(x, o);
        /* Every option may come again (--member, --header are repeatable; the rest just
         * take the last), so none is left out of the offer once given. */
        fputs("    '*'", out);
        if (o->short_name)
                fprintf(out, "{-%c%s,--%s%s}", o->short_name, w ? "+" : "", o->long_name,
                        w ? "=" : "");
        else
                fprintf(out, "--%s%s", o->long_name, w ? "=" : "");
        fputs("'[", out);
        completion_put_zsh(out, o->help);
        fputc(']', out);
        if (w) {
                fputc(':', out);
                completion_put_zsh(out, o->value_name);
                /* {...}: run as it is, without the compadd options _arguments would put
                 * after a command's first word. */
                fputs(":{_preflight_offer ", out);
                zsh_words(out, w);
                fputc('}', out);
        }
        fputs("' \\\n", out);
}

static void zsh_context(FILE *out, const struct context *x)
{
        size_t count;
        const struct pf_code_info *codes = pf_code_table(&count);
        bool exitcode = x->arguments && strcmp(x->arguments, "@exitcode") == 0;
        fputs("_preflight_for_", out);
        put_ident(out, x->name);
        fputs("() {\n", out);
        if (x->wraps)
                fputs("  _preflight_wrapped && return\n", out);
        if (exitcode) {
                fputs("  local -a codes\n  codes=(\n", out);
                for (size_t i = 0; i < count; i++) {
                        char tag[16];
                        snprintf(tag, sizeof(tag), "%d", codes[i].code);
                        zsh_described(out, tag, codes[i].meaning);
                }
                fputs("  )\n", out);
        }
        fputs("  _arguments -s -S : \\\n", out);
        for (size_t t = 0; t < 3; t++)
                for (size_t i = 0; x->tables[t] && x->tables[t][i].long_name; i++)
                        zsh_option(out, x, &x->tables[t][i]);
        if (exitcode) {
                fputs("    '1:exit status:{_describe -t codes \"exit status\" codes}'\n", out);
        } else if (x->arguments) {
                /* run and why take one argument; a check as many as it lists. */
                fputs(x->check ? "    '*:" : "    '1:", out);
                completion_put_zsh(out, x->check ? "target" : x->arguments + 1);
                fputs(":{_preflight_offer ", out);
                zsh_words(out, x->arguments);
                fputs("}'\n", out);
        } else {
                fputs("    ': :'\n", out);
        }
        fputs("}\n\n", out);
}

static void print_zsh(FILE *out, const struct context *xs, size_t n)
{
        fputs("#compdef preflight", out);
        for (size_t i = 0; i < n; i++)
                if (xs[i].check)
                        fprintf(out, " preflight-%s", xs[i].name);
        fputs("\n# zsh completion for preflight(1) and its preflight-CHECK links.\n"
              "# Generated by `preflight completion zsh` from the binary's own tables: do not "
              "edit.\n\n",
              out);
        fputs(zsh_helpers, out);
        for (size_t i = 0; i < n; i++)
                zsh_context(out, &xs[i]);
        fputs("_preflight_commands() {\n  local -a checks commands\n  checks=(\n", out);
        for (size_t i = 0; i < n; i++)
                if (xs[i].check)
                        zsh_described(out, xs[i].name, xs[i].summary);
        fputs("  )\n  commands=(\n", out);
        for (size_t i = 0; i < n; i++)
                if (!xs[i].check)
                        zsh_described(out, xs[i].name, xs[i].summary);
        fputs("    '--help:the usage, the checks and the commands'\n"
              "    '--version:the version'\n  )\n"
              "  local ret=1\n"
              "  _describe -t checks check checks && ret=0\n"
              "  _describe -t commands command commands && ret=0\n"
              "  return ret\n}\n\n",
              out);
        fputs("_preflight() {\n  local cmd=${words[1]:t}\n"
              "  # Called as preflight-CHECK: the check is in the name.\n"
              "  if [[ $cmd == preflight-?* ]]; then\n"
              "    cmd=${cmd#preflight-}\n"
              "  elif (( CURRENT == 2 )); then\n"
              "    _preflight_commands\n    return\n"
              "  else\n"
              "    cmd=$words[2]\n    shift words\n    (( CURRENT-- ))\n"
              "  fi\n"
              "  case $cmd in\n",
              out);
        for (size_t i = 0; i < n; i++) {
                fprintf(out, "    %s) _preflight_for_", xs[i].name);
                put_ident(out, xs[i].name);
                fputs(" ;;\n", out);
        }
        fputs("  esac\n}\n\n_preflight \"$@\"\n", out);
}

/* ---- fish ------------------------------------------------------------------------------------ */

static const char fish_helpers[] =
    "# The check or command being completed; nothing before one is given.\n"
    "function __preflight_cmd\n"
    "    set -l tokens (commandline -opc)\n"
    "    set -l name (string replace -r '.*/' '' -- $tokens[1])\n"
    "    if string match -q -- 'preflight-?*' $name\n"
    "        string replace -- preflight- '' $name\n"
    "    else if set -q tokens[2]\n"
    "        echo -- $tokens[2]\n"
    "    end\n"
    "end\n\n"
    "# True while completing the words of CMD, before any \"--\".\n"
    "function __preflight_is\n"
    "    set -l cmd (__preflight_cmd)\n"
    "    test \"$cmd\" = \"$argv[1]\"; or return 1\n"
    "    set -l tokens (commandline -opc)\n"
    "    not contains -- -- $tokens[2..-1]\n"
    "end\n\n"
    "function __preflight_needs_cmd\n"
    "    set -l tokens (commandline -opc)\n"
    "    test (count $tokens) -eq 1; and test (string replace -r '.*/' '' -- $tokens[1]) = "
    "preflight\n"
    "end\n\n"
    "# After \"--\": the command's own completion.\n"
    "function __preflight_after_dashdash\n"
    "    set -l tokens (commandline -opc)\n"
    "    contains -- -- $tokens[2..-1]\n"
    "end\n\n"
    "function __preflight_wrapped\n"
    "    set -l tokens (commandline -opc)\n"
    "    set -l i (contains -i -- -- $tokens)\n"
    "    set -l rest $tokens[(math $i + 1)..-1] (commandline -ct)\n"
    "    complete -C \"$rest\"\n"
    "end\n\n"
    "function __preflight_units\n"
    "    set -l scope\n"
    "    contains -- --user (commandline -opc); and set scope --user\n"
    "    begin\n"
    "        systemctl $scope list-units --all --plain --no-legend --no-pager 2>/dev/null\n"
    "        systemctl $scope list-unit-files --no-legend --no-pager 2>/dev/null\n"
    "    end | awk '{print $1}' | sort -u\n"
    "end\n\n"
    "function __preflight_services\n"
    "    set -l scope\n"
    "    test (id -u) -eq 0; or set scope --user\n"
    "    begin\n"
    "        systemctl $scope list-units --type=service --all --plain --no-legend --no-pager "
    "2>/dev/null\n"
    "        systemctl $scope list-unit-files --type=service --no-legend --no-pager "
    "2>/dev/null\n"
    "    end | awk '$1 !~ /@\\.service$/ {print $1}' | sort -u\n"
    "end\n\n"
    "function __preflight_chains\n"
    "    set -l dir /etc/preflight\n"
    "    set -q PREFLIGHT_CONFIG_DIR; and set dir $PREFLIGHT_CONFIG_DIR\n"
    "    for f in $dir/*.conf\n"
    "        string replace -r '^.*/(.*)\\.conf$' '$1' -- $f\n"
    "    end\n"
    "    echo -\n"
    "end\n\n"
    "function __preflight_owner\n"
    "    set -l cur (commandline -ct)\n"
    "    if string match -q -- '*:*' $cur\n"
    "        set -l user (string split -m1 : -- $cur)[1]\n"
    "        for g in (__fish_complete_groups)\n"
    "            echo $user:$g\n"
    "        end\n"
    "    else\n"
    "        __fish_complete_users\n"
    "    end\n"
    "end\n\n"
    "function __preflight_sysctl\n"
    "    sysctl -aN 2>/dev/null\n"
    "end\n\n";

/* Words for complete -a, which fish reads as a command line would be read: each character fish
 * gives a meaning (nofile>= is no redirection) escaped, then the whole single-quoted. */
static void fish_words(FILE *out, const char *w)
{
        fputc('\'', out);
        for (; *w; w++) {
                if (strchr("<>|&;()$*?~#[]{}\"'\\%^!", *w))
                        fputs("\\\\", out);
                if (*w == '\'' || *w == '\\')
                        fputc('\\', out);
                fputc(*w, out);
        }
        fputc('\'', out);
}

/* The complete(1) arguments that offer w, an option's value (option) or the arguments: fish's
 * -x (no files, a value) and -r (a value) only mean so beside -l/-s, so the arguments take -f
 * (no files) or -F (files). */
static void fish_offer(FILE *out, const char *w, bool option)
{
        static const struct {
                const char *kind;
                bool files;
                const char *words;
        } kinds[] = {
            {"@none", false, NULL},
            {"@file", true, NULL},
            {"@dir", false, "(__fish_complete_directories (commandline -ct))"},
            {"@user", false, "(__fish_complete_users)"},
            {"@group", false, "(__fish_complete_groups)"},
            {"@owner", false, "(__preflight_owner)"},
            {"@unit", false, "(__preflight_units)"},
            {"@service", false, "(__preflight_services)"},
            {"@chain", true, "(__preflight_chains)"},
            {"@command", false, "(__fish_complete_command)"},
            {"@host", false, "(__fish_print_hostnames)"},
            {"@sysctl", false, "(__preflight_sysctl)"},
        };
        bool files = false;
        const char *words = w;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
                if (strcmp(w, kinds[k].kind) == 0) {
                        files = kinds[k].files;
                        words = kinds[k].words;
                }
        if (option)
                fputs(files ? " -r -F" : " -x", out);
        else
                fputs(files ? " -F" : " -f", out);
        if (words) {
                fputs(" -a ", out);
                if (words == w)
                        fish_words(out, words);
                else
                        completion_put_fish(out, words);
        }
}

static void fish_context(FILE *out, const struct context *x)
{
        const char *indent = x->check ? "    " : "";
        const char *cmd = x->check ? "$c" : "preflight";
        char cond[96];
        snprintf(cond, sizeof(cond), "__preflight_is %s", x->name);
        fprintf(out, "# %s\n", x->name);
        if (x->check)
                fprintf(out, "for c in preflight preflight-%s\n", x->name);
        for (size_t t = 0; t < 3; t++)
                for (size_t i = 0; x->tables[t] && x->tables[t][i].long_name; i++) {
                        const struct check_option *o = &x->tables[t][i];
                        const char *w = value_words(x, o);
                        fprintf(out, "%scomplete -c %s -n ", indent, cmd);
                        completion_put_fish(out, cond);
                        fprintf(out, " -l %s", o->long_name);
                        if (o->short_name)
                                fprintf(out, " -s %c", o->short_name);
                        if (w)
                                fish_offer(out, w, true);
                        fputs(" -d ", out);
                        completion_put_fish(out, o->help);
                        fputc('\n', out);
                }
        if (x->arguments && strcmp(x->arguments, "@exitcode") == 0) {
                size_t count;
                const struct pf_code_info *codes = pf_code_table(&count);
                for (size_t i = 0; i < count; i++) {
                        fprintf(out, "%scomplete -c %s -n ", indent, cmd);
                        completion_put_fish(out, cond);
                        fprintf(out, " -f -a %d -d ", codes[i].code);
                        completion_put_fish(out, codes[i].meaning);
                        fputc('\n', out);
                }
        } else {
                fprintf(out, "%scomplete -c %s -n ", indent, cmd);
                completion_put_fish(out, cond);
                fish_offer(out, x->arguments ? x->arguments : "@none", false);
                fputc('\n', out);
        }
        if (x->wraps) {
                fprintf(out,
                        "%scomplete -c %s -n __preflight_after_dashdash -x -a "
                        "'(__preflight_wrapped)'\n",
                        indent, cmd);
        }
        if (x->check)
                fputs("end\n", out);
        fputc('\n', out);
}

static void print_fish(FILE *out, const struct context *xs, size_t n)
{
        fputs("# fish completion for preflight(1) and its preflight-CHECK links.\n"
              "# Generated by `preflight completion fish` from the binary's own tables: do not "
              "edit.\n\n",
              out);
        fputs(fish_helpers, out);
        fputs("complete -c preflight -n __preflight_needs_cmd -f\n", out);
        for (size_t i = 0; i < n; i++) {
                fprintf(out, "complete -c preflight -n __preflight_needs_cmd -a %s -d ",
                        xs[i].name);
                completion_put_fish(out, xs[i].summary);
                fputc('\n', out);
        }
        fputs("complete -c preflight -n __preflight_needs_cmd -a --help -d 'the usage, the checks "
              "and the commands'\n"
              "complete -c preflight -n __preflight_needs_cmd -a --version -d 'the version'\n\n",
              out);
        for (size_t i = 0; i < n; i++)
                fish_context(out, &xs[i]);
}

/* ---- the command ----------------------------------------------------------------------------- */

int completion_main(int argc, char **argv, const struct command *commands)
{
        static const struct {
                const char *name;
                void (*print)(FILE *out, const struct context *xs, size_t n);
        } shells[] = {{"bash", print_bash}, {"zsh", print_zsh}, {"fish", print_fish}};
        char q[QUOTE_BUF];
        if (argc == 0) {
                report_error("completion", "needs a shell: bash, zsh or fish "
                                           "(preflight completion bash prints bash's script)");
                return PF_USAGE;
        }
        if (argc > 1) {
                report_error("completion", "takes one shell, got '%s' too",
                             text_quote(argv[1], q, sizeof(q)));
                return PF_USAGE;
        }
        for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
                if (strcmp(argv[0], shells[i].name) != 0)
                        continue;
                struct context xs[MAX_CONTEXTS];
                size_t n = contexts(commands, xs);
                shells[i].print(stdout, xs, n);
                if (fflush(stdout) != 0 || ferror(stdout)) {
                        report_error("completion", "cannot write the script to stdout");
                        return PF_INTERNAL;
                }
                return PF_OK;
        }
        report_error("completion", "'%s' is not a shell completion is made for (bash, zsh or fish)",
                     text_quote(argv[0], q, sizeof(q)));
        return PF_USAGE;
}
