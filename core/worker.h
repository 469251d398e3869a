/*
 * Work that may block in the kernel past any deadline — getaddrinfo() on a silent name server,
 * stat() under a hung network filesystem — runs on a thread the caller can give up on: the
 * caller returns at its deadline and the thread goes on; whichever of the two lets go last frees
 * the job. The thread works on its own copy of the task's data, so an abandoned one touches
 * nothing the caller frees.
 */
#ifndef PREFLIGHT_WORKER_H
#define PREFLIGHT_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct worker_task {
        void (*work)(void *data); /* on the thread, every signal blocked */
        /* Optional: frees what work left in data when the caller gave up (a late answer). */
        void (*discard)(void *data);
        size_t size;       /* bytes of data */
        size_t stack_size; /* 0: the default */
        /* Yield to the thread this long before sleeping: a task that takes microseconds is
         * back sooner than a wake-up through the scheduler (0: sleep at once). */
        uint64_t spin_us;
};

enum worker_outcome {
        WORKER_DONE,      /* data holds what work made of it */
        WORKER_ABANDONED, /* the deadline came first; data is as it was */
        WORKER_FAILED,    /* no thread or no memory: *error says why (an errno value) */
};

/* Runs task->work on a copy of data and waits until deadline_us (CLOCK_MONOTONIC, 0: no
 * deadline). A thread that answered is joined before this returns, so none is left running
 * when the process exits. */
enum worker_outcome worker_run(const struct worker_task *task, void *data, uint64_t deadline_us,
                               int *error);

#endif
