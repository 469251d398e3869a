#include "core/exitcodes.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define PERM PF_KIND_PERMANENT
#define TRANS PF_KIND_TRANSIENT
/* Under --invert: a check's own answer turns into its opposite; the others fail either way. */
#define INVERTIBLE false
#define ALWAYS_FAILS true

static const struct pf_code_info codes[] = {
    {0, "OK", "every check passed", PF_KIND_NONE, INVERTIBLE, "nothing to do"},
    {1, "INTERNAL", "internal error (out of memory, unexpected system failure)", PF_KIND_NONE,
     ALWAYS_FAILS, "read the message before the code; run the check again with --verbose"},
    {2, "USAGE", "usage: unknown check, bad option or argument", PERM, ALWAYS_FAILS,
     "fix the command line; preflight CHECK --help shows what it takes"},
    {4, "UNIT_UNAVAILABLE",
     "why, --as-unit: no such unit, or the service manager cannot be reached", PF_KIND_NONE,
     ALWAYS_FAILS,
     "check the unit's name (systemctl list-units --all); the manager is reached on "
     "/run/systemd/private as root, the system bus otherwise, and --user needs "
     "XDG_RUNTIME_DIR"},
    {5, "NO_LIBRARY",
     "a library this check needs (libcurl, hiredis, PCRE2, MariaDB Connector/C; libsystemd for "
     "why) is not installed",
     PERM, ALWAYS_FAILS,
     "install the package the message names (libcurl4, libhiredis0.14, libpcre2-8-0, "
     "libmariadb3, libsystemd0)"},
    {6, "CHAIN", "chain file: missing, unreadable, syntax error, unsafe owner or mode", PERM,
     ALWAYS_FAILS,
     "fix the file and line the message names; as root the file must be owned by root and "
     "not writable by group or others"},
    {10, "USER_WRONG", "user: running as another user or group", PERM, INVERTIBLE,
     "set User= and Group= (or SupplementaryGroups=) in the unit"},
    {11, "USER_MISSING", "user: the named user or group does not exist", PERM, INVERTIBLE,
     "create the user or group (useradd, or DynamicUser=/sysusers.d), or fix the name"},
    {20, "PORT_IN_USE", "port: in use", TRANS, INVERTIBLE,
     "stop the process the message names, or move one of the services to another port"},
    {21, "PORT_DENIED", "port: free, but this process may not bind it", PERM, INVERTIBLE,
     "give the service CAP_NET_BIND_SERVICE (AmbientCapabilities= in the unit) or use a port "
     "at or above net.ipv4.ip_unprivileged_port_start"},
    {30, "CAP_MISSING", "cap: capability missing", PERM, INVERTIBLE,
     "AmbientCapabilities= (with CapabilityBoundingSet= allowing it) in the unit, or setcap "
     "on the file"},
    {31, "LIMIT_WRONG", "limit: a resource limit is not as required", PERM, INVERTIBLE,
     "set the Limit*= the message names in the unit (LimitNOFILE=65535), or ulimit in a shell"},
    {32, "SYSCTL_WRONG", "sysctl: a kernel setting is not as required, or this kernel lacks it",
     PERM, INVERTIBLE,
     "sysctl -w KEY=VALUE now and a file in /etc/sysctl.d/ to keep it; a missing key may need "
     "its module loaded"},
    {40, "REDIS_UNREACHABLE", "redis: unreachable (refused, unresolvable)", TRANS, INVERTIBLE,
     "start Redis, or fix the host and port; --wait waits for it"},
    {41, "REDIS_TIMEOUT", "redis: timed out", TRANS, INVERTIBLE,
     "Redis or the network is too slow or blocked by a firewall; raise --timeout or look at the "
     "server"},
    {42, "REDIS_NOT_READY", "redis: not ready (LOADING, BUSY, MASTERDOWN, wrong role)", TRANS,
     INVERTIBLE, "wait for Redis to finish loading or for its master (--wait), or fix --role"},
    {43, "REDIS_DENIED", "redis: denied (NOAUTH, WRONGPASS, NOPERM)", PERM, INVERTIBLE,
     "give the right password (REDISCLI_AUTH, --password-file) and user, or fix the ACL"},
    {50, "HTTP_UNREACHABLE", "http: unreachable", TRANS, INVERTIBLE,
     "start the service behind the URL, or fix the host and port; --wait waits for it"},
    {51, "HTTP_TIMEOUT", "http: timed out", TRANS, INVERTIBLE,
     "the service or the network is too slow; raise --timeout or look at the service"},
    {52, "HTTP_STATUS", "http: unexpected status", TRANS, INVERTIBLE,
     "the service answers but is not ready (or --expect-status is wrong)"},
    {53, "HTTP_MISMATCH", "http: body or header mismatch", TRANS, INVERTIBLE,
     "the service answers but not as expected; compare the excerpt in the message"},
    {54, "HTTP_TLS", "http: TLS failure", PERM, INVERTIBLE,
     "fix the certificate chain or give --cacert; --insecure only for testing"},
    {60, "TCP_UNREACHABLE", "tcp: unreachable", TRANS, INVERTIBLE,
     "start the service, or fix the host and port; --wait waits for it"},
    {61, "TCP_TIMEOUT", "tcp: timed out", TRANS, INVERTIBLE,
     "nothing answered in time (a firewall dropping packets, a full accept queue); raise "
     "--timeout or look at the network"},
    {80, "POSTGRES_UNREACHABLE", "postgres: unreachable (refused, unresolvable, closed)", TRANS,
     INVERTIBLE, "start PostgreSQL, or fix the host and port; --wait waits for it"},
    {81, "POSTGRES_TIMEOUT", "postgres: timed out", TRANS, INVERTIBLE,
     "PostgreSQL or the network is too slow or blocked by a firewall; raise --timeout or look "
     "at the server"},
    {82, "POSTGRES_NOT_READY",
     "postgres: not ready (57P03 starting, recovering, shutting down; 53300 too many "
     "connections; wrong role)",
     TRANS, INVERTIBLE, "wait for the server (--wait), raise max_connections, or fix --role"},
    {83, "POSTGRES_DENIED",
     "postgres: denied (28P01 password, 28000 pg_hba.conf or role, 3D000 database, TLS)", PERM,
     INVERTIBLE,
     "fix the password, role, database or pg_hba.conf line the message names, or --sslmode"},
    {90, "MYSQL_UNREACHABLE", "mysql: unreachable (refused, unresolvable, not MySQL)", TRANS,
     INVERTIBLE, "start MySQL or MariaDB, or fix the host and port; --wait waits for it"},
    {91, "MYSQL_TIMEOUT", "mysql: timed out", TRANS, INVERTIBLE,
     "the server, the resolver or the network is too slow; raise --timeout or look at the "
     "server"},
    {92, "MYSQL_NOT_READY", "mysql: not ready (1040, 1053, replica stopped, wrong role)", TRANS,
     INVERTIBLE, "wait for the server or its replication (--wait), or fix --role"},
    {93, "MYSQL_DENIED", "mysql: denied (1045, 1044, 1049, 1130, 1227, TLS)", PERM, INVERTIBLE,
     "give the right user, password (MYSQL_PWD, --password-file) and database, or GRANT what "
     "the message names"},
    {100, "FILE_MISSING", "file: missing (or empty, with --not-empty)", TRANS, INVERTIBLE,
     "create the file or directory, or start what creates it (a socket appears when its "
     "server listens); --wait waits for it"},
    {101, "FILE_WRONG", "file: wrong type, owner or mode (ACL entries counted)", PERM, ALWAYS_FAILS,
     "chown, chmod or setfacl -x as the message says (or tmpfiles.d, "
     "StateDirectory= in the unit)"},
    {102, "FILE_DENIED", "file: not usable by the user (read, write, execute, search)", PERM,
     ALWAYS_FAILS,
     "chmod, chown or setfacl -m u:USER:... on the path or the directory on the way the "
     "message names"},
    {103, "FILE_FILESYSTEM",
     "file: its filesystem is not mounted there, read-only, short of space or inodes, or does "
     "not answer",
     TRANS, ALWAYS_FAILS,
     "mount the filesystem (a mount unit, RequiresMountsFor=), ReadWritePaths= under "
     "ProtectSystem=strict, or free space"},
    {110, "DNS_UNRESOLVED", "dns: does not resolve", TRANS, INVERTIBLE,
     "add the name to DNS or /etc/hosts, or fix the name; getent ahosts NAME shows what this "
     "host resolves, resolvectl status which servers it asks; --wait waits for it"},
    {111, "DNS_TIMEOUT", "dns: timed out", TRANS, INVERTIBLE,
     "no resolver answered in time: check the nameserver lines of /etc/resolv.conf (or "
     "resolvectl status) and that the server is reachable; raise --timeout"},
    {112, "DNS_MISMATCH", "dns: resolves, but not to the expected addresses", TRANS, INVERTIBLE,
     "compare getent ahosts NAME with --expect: fix the DNS record or /etc/hosts line, or "
     "wait for the change to propagate (--wait)"},
    {120, "EXEC_CMD_FAILED", "exec: the command failed (an exit status not expected, a signal)",
     TRANS, INVERTIBLE,
     "run the command by hand as the service's user; the message has its status and the end "
     "of its output"},
    {121, "EXEC_CMD_TIMEOUT", "exec: the command was still running at the deadline (killed)", TRANS,
     INVERTIBLE, "raise --timeout, or find what the command waits for (its stdin is /dev/null)"},
    {122, "EXEC_CMD_MISMATCH", "exec: the command's output lacks the expected text", TRANS,
     INVERTIBLE, "compare the excerpt in the message with --expect-output"},
    {123, "EXEC_CMD_NO_START", "exec: the command could not be started (not found, not executable)",
     PERM, ALWAYS_FAILS,
     "give the command's absolute path, chmod +x it, or give a script its #! line"},
    {126, "EXEC_FAILED", "-- COMMAND could not be executed", PF_KIND_NONE, INVERTIBLE,
     "check the COMMAND's permissions and format (chmod +x, the #! line)"},
    {127, "EXEC_NOT_FOUND", "-- COMMAND not found", PF_KIND_NONE, INVERTIBLE,
     "give the COMMAND's absolute path, as systemd does for ExecStart="},
};

const struct pf_code_info *pf_code_table(size_t *count)
{
        *count = sizeof(codes) / sizeof(codes[0]);
        return codes;
}

const struct pf_code_info *pf_code_lookup(int code)
{
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
                if (codes[i].code == code)
                        return &codes[i];
        return NULL;
}

bool pf_code_survives_invert(int code)
{
        const struct pf_code_info *info = pf_code_lookup(code);
        return !info || info->survives_invert;
}

bool pf_code_is_permanent(int code)
{
        const struct pf_code_info *info = pf_code_lookup(code);
        return info && info->kind == PF_KIND_PERMANENT;
}

void pf_print_exit_codes(FILE *out)
{
        fprintf(out, "%-5s %-18s %-10s %s\n", "CODE", "NAME", "KIND", "MEANING");
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                const struct pf_code_info *c = &codes[i];
                fprintf(out, "%-5d %-18s %-10s %s\n", c->code, c->name,
                        c->kind == PERM    ? "permanent"
                        : c->kind == TRANS ? "transient"
                                           : "",
                        c->meaning);
        }
        fputs("\nStop a restart loop on a permanent misconfiguration (with ExecStart=preflight ... "
              "-- COMMAND):\nRestartPreventExitStatus=",
              out);
        const char *sep = "";
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                if (codes[i].kind == PERM) {
                        fprintf(out, "%s%d", sep, codes[i].code);
                        sep = " ";
                }
        }
        fputc('\n', out);
}

/* LSB init-script codes as systemd names them (status=6/NOTCONFIGURED). */
static const char *const lsb_names[] = {
    [1] = "FAILURE",      [2] = "INVALIDARGUMENT", [3] = "NOTIMPLEMENTED", [4] = "NOPERMISSION",
    [5] = "NOTINSTALLED", [6] = "NOTCONFIGURED",   [7] = "NOTRUNNING",
};
static const char *const lsb_meanings[] = {
    [1] = "generic or unspecified error", [2] = "invalid or excess arguments",
    [3] = "unimplemented feature",        [4] = "user had insufficient privilege",
    [5] = "program is not installed",     [6] = "program is not configured",
    [7] = "program is not running",
};

/* sysexits.h, 64..78. */
static const char *const sysexits[][2] = {
    {"USAGE", "command line usage error"},
    {"DATAERR", "data format error"},
    {"NOINPUT", "cannot open input"},
    {"NOUSER", "addressee unknown"},
    {"NOHOST", "host name unknown"},
    {"UNAVAILABLE", "service unavailable"},
    {"SOFTWARE", "internal software error"},
    {"OSERR", "system error (e.g., can't fork)"},
    {"OSFILE", "critical OS file missing"},
    {"CANTCREAT", "can't create (user) output file"},
    {"IOERR", "input/output error"},
    {"TEMPFAIL", "temporary failure; the user is invited to retry"},
    {"PROTOCOL", "remote error in protocol"},
    {"NOPERM", "permission denied"},
    {"CONFIG", "configuration error"},
};

/* systemd's own codes for a failure while setting up a process, before it ran (exit-status.h
 * of systemd 252). Each names the setting in the unit that could not be applied. */
static const char *const systemd_codes[][2] = {
    {"CHDIR", "could not change to WorkingDirectory="},
    {"NICE", "could not apply Nice="},
    {"FDS", "could not close or set up file descriptors"},
    {"EXEC", "could not execute the command: check the path in ExecStart=/ExecStartPre=, its "
             "x bit, its #! line and that User= may run it"},
    {"MEMORY", "out of memory while setting up the process"},
    {"LIMITS", "could not apply a Limit*= setting"},
    {"OOM_ADJUST", "could not apply OOMScoreAdjust="},
    {"SIGNAL_MASK", "could not set the signal mask"},
    {"STDIN", "could not set up StandardInput="},
    {"STDOUT", "could not set up StandardOutput="},
    {"CHROOT", "could not change to RootDirectory=/RootImage="},
    {"IOPRIO", "could not apply IOSchedulingClass=/IOSchedulingPriority="},
    {"TIMERSLACK", "could not apply TimerSlackNSec="},
    {"SECUREBITS", "could not apply SecureBits="},
    {"SETSCHEDULER", "could not apply CPUSchedulingPolicy="},
    {"CPUAFFINITY", "could not apply CPUAffinity="},
    {"GROUP", "could not resolve or apply Group=/SupplementaryGroups= (does the group exist?)"},
    {"USER", "could not resolve or apply User= (does the user exist?)"},
    {"CAPABILITIES", "could not apply CapabilityBoundingSet=/AmbientCapabilities="},
    {"CGROUP", "could not set up the control group"},
    {"SETSID", "could not create a new session"},
    {"CONFIRM", "execution was refused at the confirmation prompt"},
    {"STDERR", "could not set up StandardError="},
    {NULL, NULL}, /* 223: reserved */
    {"PAM", "could not set up the PAM session (PAMName=)"},
    {"NETWORK", "could not set up PrivateNetwork="},
    {"NAMESPACE", "could not set up the mount namespace (ProtectSystem=, ReadWritePaths=, "
                  "PrivateTmp=...): does every listed path exist?"},
    {"NO_NEW_PRIVILEGES", "could not apply NoNewPrivileges="},
    {"SECCOMP", "could not apply SystemCallFilter= or a related seccomp setting"},
    {"SELINUX_CONTEXT", "could not apply SELinuxContext="},
    {"PERSONALITY", "could not apply Personality="},
    {"APPARMOR", "could not apply AppArmorProfile="},
    {"ADDRESS_FAMILIES", "could not apply RestrictAddressFamilies="},
    {"RUNTIME_DIRECTORY", "could not create RuntimeDirectory="},
    {NULL, NULL}, /* 234: reserved */
    {"CHOWN", "could not change the owner of a socket or directory"},
    {"SMACK_PROCESS_LABEL", "could not apply SmackProcessLabel="},
    {"KEYRING", "could not set up the kernel keyring (KeyringMode=)"},
    {"STATE_DIRECTORY", "could not create StateDirectory="},
    {"CACHE_DIRECTORY", "could not create CacheDirectory="},
    {"LOGS_DIRECTORY", "could not create LogsDirectory="},
    {"CONFIGURATION_DIRECTORY", "could not create ConfigurationDirectory="},
    {"NUMA_POLICY", "could not apply NUMAPolicy=/NUMAMask="},
    {"CREDENTIALS", "could not set up LoadCredential=/SetCredential="},
    {NULL, NULL}, /* 244: unassigned */
    {"BPF", "could not set up a BPF program (IPAddressAllow=, RestrictFileSystems=, ...)"},
};

static void explain_signal(FILE *out, int status)
{
        int sig = status - 128;
        const char *abbrev = sigabbrev_np(sig);
        const char *desc = sigdescr_np(sig);
        if (!abbrev) {
                fprintf(out,
                        "%d: 128+%d, a process killed by signal %d (no such signal on this "
                        "system), or a program that chose to exit with %d.\n",
                        status, sig, sig, status);
                return;
        }
        fprintf(out,
                "%d: 128+%d = SIG%s (%s): the process was killed by this signal, or a shell "
                "or runtime reported it so.\n",
                status, sig, abbrev, desc ? desc : "");
        if (sig == SIGTERM)
                fputs("SIGTERM is what systemd sends to stop a unit. A JVM (and other runtimes) "
                      "exits with 143 when it\nhandles SIGTERM, so a clean stop looks like a "
                      "failure: add SuccessExitStatus=143 to the unit.\n",
                      out);
        else if (sig == SIGKILL)
                fputs("SIGKILL comes from the OOM killer (see journalctl -k), from systemd after "
                      "TimeoutStopSec=, or from kill -9.\n",
                      out);
        else if (sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGILL ||
                 sig == SIGFPE)
                fputs("A crash: coredumpctl list shows the core dump if systemd-coredump is "
                      "installed.\n",
                      out);
        else if (sig == SIGPIPE)
                fputs("The process wrote to a pipe or socket whose reader had gone.\n", out);
        else if (sig == SIGINT)
                fputs("Ctrl-C, or KillSignal=SIGINT.\n", out);
        else if (sig == SIGHUP)
                fputs("A hang-up: the terminal closed, or a reload signal the program did not "
                      "handle.\n",
                      out);
}

bool pf_explain(FILE *out, long status)
{
        if (status < 0 || status > 255)
                return false;
        int s = (int)status;
        const struct pf_code_info *pf = pf_code_lookup(s);
        if (s == 0) {
                fputs("0: success.\n", out);
                return true;
        }
        if (pf && s != 1) {
                fprintf(out, "%d: preflight %s: %s%s.\nWhat to do: %s.\n", s, pf->name, pf->meaning,
                        pf->kind == PERM    ? " (permanent: retrying will not help)"
                        : pf->kind == TRANS ? " (transient: --wait or a restart may fix it)"
                                            : "",
                        pf->advice);
                if (s >= 2 && s <= 7)
                        fprintf(out, "systemctl shows it as status=%d/%s (LSB: %s).\n", s,
                                lsb_names[s], lsb_meanings[s]);
                if (s == 126 || s == 127)
                        fprintf(out, "Shells use %d the same way: %s.\n", s,
                                s == 126 ? "found but not executable" : "command not found");
                return true;
        }
        if (s >= 1 && s <= 7) {
                fprintf(out, "%d: %s (LSB: %s); systemctl shows status=%d/%s.\n", s,
                        s == 1 ? "generic failure" : "an LSB init-script code", lsb_meanings[s], s,
                        lsb_names[s]);
                if (s == 1)
                        fputs("From preflight: an internal error (out of memory, an unexpected "
                              "system failure); the line before\nsays what failed. From other "
                              "programs: look at the unit's journal (journalctl -u UNIT).\n",
                              out);
                return true;
        }
        if (s >= 64 && s <= 78) {
                fprintf(out, "%d: EX_%s (sysexits.h): %s.\n", s, sysexits[s - 64][0],
                        sysexits[s - 64][1]);
                return true;
        }
        if (s >= 200 && s <= 245 && systemd_codes[s - 200][0]) {
                fprintf(out,
                        "%d: systemd %s: %s.\nsystemd failed while setting up the process, "
                        "before the program itself ran; systemctl shows status=%d/%s and "
                        "the journal has the reason (journalctl -u UNIT).\n",
                        s, systemd_codes[s - 200][0], systemd_codes[s - 200][1], s,
                        systemd_codes[s - 200][0]);
                return true;
        }
        if (s == 124 || s == 125) {
                fprintf(out, "%d: %s.\n", s,
                        s == 124 ? "timeout(1): the command timed out"
                                 : "timeout(1) itself failed");
                return true;
        }
        if (s == 255) {
                fputs("255: exit(-1) or an out-of-range exit status; also ssh's code for a "
                      "connection failure.\nsystemd names it EXCEPTION.\n",
                      out);
                return true;
        }
        if (s > 128 && s < 128 + 65) {
                explain_signal(out, s);
                return true;
        }
        fprintf(out,
                "%d: not a code preflight, LSB, sysexits or systemd define; it is the "
                "program's own.\nLook at its documentation and the unit's journal.\n",
                s);
        return true;
}

void pf_explain_brief(int status, bool from_preflight, char *buf, size_t size)
{
        const struct pf_code_info *pf = pf_code_lookup(status);
        if (size == 0)
                return;
        buf[0] = '\0';
        if (status == 0) {
                snprintf(buf, size, "success");
        } else if (status >= 200 && status <= 245 && systemd_codes[status - 200][0]) {
                /* systemd's own, whatever the program: it never ran. */
                snprintf(buf, size, "systemd %s, %s", systemd_codes[status - 200][0],
                         systemd_codes[status - 200][1]);
        } else if (from_preflight && pf && status == 1) {
                snprintf(buf, size, "preflight: internal error");
        } else if (from_preflight && pf) {
                snprintf(buf, size, "preflight %s%s", pf->meaning,
                         pf->kind == PERM    ? ", permanent"
                         : pf->kind == TRANS ? ", transient"
                                             : "");
        } else if (status >= 1 && status <= 7) {
                snprintf(buf, size, "LSB %s, %s", lsb_names[status], lsb_meanings[status]);
        } else if (status >= 64 && status <= 78) {
                snprintf(buf, size, "EX_%s (sysexits.h), %s", sysexits[status - 64][0],
                         sysexits[status - 64][1]);
        } else if (status == 124 || status == 125) {
                snprintf(buf, size, "%s",
                         status == 124 ? "timeout(1): the command timed out"
                                       : "timeout(1) itself failed");
        } else if (status == 126 || status == 127) {
                snprintf(buf, size, "%s",
                         status == 126 ? "found but not executable (as shells say)"
                                       : "command not found (as shells say)");
        } else if (status == 255) {
                snprintf(buf, size, "exit(-1) or an out-of-range status (EXCEPTION)");
        } else if (status > 128 && status < 128 + 65) {
                const char *abbrev = sigabbrev_np(status - 128);
                if (abbrev)
                        snprintf(buf, size, "128+%d, killed by SIG%s", status - 128, abbrev);
                else
                        snprintf(buf, size, "128+%d, no such signal here", status - 128);
        } else {
                snprintf(buf, size, "the program's own code");
        }
}
