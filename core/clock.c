#include "core/clock.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "core/span.h"

uint64_t clock_now_us(void)
{
        struct timespec ts;
        /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

uint64_t deadline_after(uint64_t span_us)
{
        if (span_us == SPAN_INFINITY)
                return 0;
        uint64_t now = clock_now_us();
        return span_us > UINT64_MAX - 1 - now ? UINT64_MAX - 1 : now + span_us;
}

int deadline_remaining_ms(uint64_t deadline_us)
{
        if (deadline_us == 0)
                return -1;
        uint64_t now = clock_now_us();
        if (now >= deadline_us)
                return 0;
        uint64_t ms = (deadline_us - now + 999) / 1000;
        return ms > INT_MAX ? INT_MAX : (int)ms;
}

bool deadline_passed(uint64_t deadline_us)
{
        return deadline_us != 0 && clock_now_us() >= deadline_us;
}

void sleep_until_deadline(uint64_t span_us, uint64_t deadline_us)
{
        uint64_t now = clock_now_us();
        if (deadline_us != 0) {
                if (now >= deadline_us)
                        return;
                if (span_us > deadline_us - now)
                        span_us = deadline_us - now;
        }
        uint64_t until = now + span_us;
        struct timespec ts = {.tv_sec = (time_t)(until / 1000000ULL),
                              .tv_nsec = (long)(until % 1000000ULL) * 1000L};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

int poll_until(int fd, short events, uint64_t deadline_us)
{
        struct pollfd pfd = {.fd = fd, .events = events};
        for (;;) {
                int ms = deadline_remaining_ms(deadline_us);
                if (ms == 0)
                        return 0;
                int ready = poll(&pfd, 1, ms);
                if (ready >= 0)
                        return ready;
                if (errno != EINTR)
                        return -errno;
        }
}

void clock_format_seconds(uint64_t us, char *buf, size_t size)
{
        uint64_t tenths = (us + 50000ULL) / 100000ULL;
        snprintf(buf, size, "%llu.%llus", (unsigned long long)(tenths / 10),
                 (unsigned long long)(tenths % 10));
}
