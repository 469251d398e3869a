#include "core/backstop.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/nagios.h"

static char backstop_message[160];
static size_t backstop_message_len;
static volatile sig_atomic_t backstop_code = 1;
static int backstop_fd = 2;

/* Only async-signal-safe calls here: write and _exit. */
static void backstop_fire(int sig)
{
        (void)sig;
        ssize_t ignored = write(backstop_fd, backstop_message, backstop_message_len);
        (void)ignored;
        _exit(backstop_code);
}

void backstop_arm(uint64_t deadline_us, const char *check_name, int exit_code)
{
        if (deadline_us == 0)
                return;
        /* Under --format nagios the last word is the plugin's: a status line on stdout. */
        bool plugin = nagios_active();
        int n = snprintf(backstop_message, sizeof(backstop_message),
                         plugin ? "PREFLIGHT CRITICAL - %s still running past its deadline; "
                                  "stopped [%d]\n"
                                : "FAIL %s still running past its deadline; stopped [%d]\n",
                         check_name, exit_code);
        backstop_fd = plugin ? 1 : 2;
        backstop_message_len = n < 0 ? 0
                               : (size_t)n < sizeof(backstop_message)
                                   ? (size_t)n
                                   : sizeof(backstop_message) - 1;
        backstop_code = plugin ? NAGIOS_CRITICAL : exit_code;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = backstop_fire;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) != 0)
                return;
        uint64_t now = clock_now_us();
        uint64_t in = deadline_us > now ? deadline_us - now : 0;
        in += BACKSTOP_GRACE_US;
        struct itimerval it = {.it_value = {.tv_sec = (time_t)(in / 1000000ULL),
                                            .tv_usec = (suseconds_t)(in % 1000000ULL)}};
        (void)setitimer(ITIMER_REAL, &it, NULL);
}

void backstop_disarm(void)
{
        struct itimerval off = {0};
        (void)setitimer(ITIMER_REAL, &off, NULL);
        (void)signal(SIGALRM, SIG_DFL);
}
