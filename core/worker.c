#include "core/worker.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

struct worker_job {
        pthread_mutex_t lock;
        pthread_cond_t done_cond;
        unsigned refs;
        bool done;  /* work returned; also read without the lock while spinning */
        bool taken; /* the caller copied the result out: nothing to discard */
        void (*work)(void *data);
        void (*discard)(void *data);
        max_align_t data[];
};

/* Drops one reference; the caller holds the lock, which this releases. */
static void job_release_locked(struct worker_job *job)
{
        bool last = --job->refs == 0;
        pthread_mutex_unlock(&job->lock);
        if (!last)
                return;
        if (job->done && !job->taken && job->discard)
                job->discard(job->data);
        pthread_cond_destroy(&job->done_cond);
        pthread_mutex_destroy(&job->lock);
        free(job);
}

static void *work_on_thread(void *arg)
{
        struct worker_job *job = arg;
        job->work(job->data);
        pthread_mutex_lock(&job->lock);
        __atomic_store_n(&job->done, true, __ATOMIC_RELEASE);
        pthread_cond_signal(&job->done_cond);
        job_release_locked(job);
        return NULL;
}

static struct worker_job *job_create(const struct worker_task *task, const void *data)
{
        struct worker_job *job = calloc(1, sizeof(*job) + task->size);
        if (!job)
                return NULL;
        pthread_condattr_t attr;
        if (pthread_condattr_init(&attr) != 0) {
                free(job);
                return NULL;
        }
        /* The deadline is on CLOCK_MONOTONIC: a clock step must not stretch or cut the wait. */
        bool ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
                  pthread_cond_init(&job->done_cond, &attr) == 0;
        pthread_condattr_destroy(&attr);
        if (!ok) {
                free(job);
                return NULL;
        }
        if (pthread_mutex_init(&job->lock, NULL) != 0) {
                pthread_cond_destroy(&job->done_cond);
                free(job);
                return NULL;
        }
        job->refs = 2;
        job->work = task->work;
        job->discard = task->discard;
        memcpy(job->data, data, task->size);
        return job;
}

/* Every signal blocked on the thread, so signals (the backstop's SIGALRM, a SIGTERM from
 * systemd) keep going to the thread that handles them. Joinable: joined when it answered in
 * time, detached when given up. */
static int job_start(struct worker_job *job, size_t stack_size, pthread_t *thread)
{
        pthread_attr_t attr;
        int rc = pthread_attr_init(&attr);
        if (rc != 0)
                return rc;
        if (stack_size)
                rc = pthread_attr_setstacksize(&attr, stack_size);
        if (rc == 0) {
                sigset_t all, old;
                sigfillset(&all);
                pthread_sigmask(SIG_SETMASK, &all, &old);
                rc = pthread_create(thread, &attr, work_on_thread, job);
                pthread_sigmask(SIG_SETMASK, &old, NULL);
        }
        pthread_attr_destroy(&attr);
        return rc;
}

enum worker_outcome worker_run(const struct worker_task *task, void *data, uint64_t deadline_us,
                               int *error)
{
        struct worker_job *job = job_create(task, data);
        if (!job) {
                *error = ENOMEM;
                return WORKER_FAILED;
        }
        pthread_t thread;
        int rc = job_start(job, task->stack_size, &thread);
        if (rc != 0) {
                job->refs = 1;
                pthread_mutex_lock(&job->lock);
                job_release_locked(job);
                *error = rc;
                return WORKER_FAILED;
        }
        uint64_t spin_until = clock_now_us() + task->spin_us;
        while (!__atomic_load_n(&job->done, __ATOMIC_ACQUIRE) && clock_now_us() < spin_until)
                sched_yield();
        struct timespec until = {.tv_sec = (time_t)(deadline_us / 1000000ULL),
                                 .tv_nsec = (long)(deadline_us % 1000000ULL) * 1000L};
        pthread_mutex_lock(&job->lock);
        while (!job->done) {
                if (deadline_us == 0)
                        pthread_cond_wait(&job->done_cond, &job->lock);
                else if (pthread_cond_timedwait(&job->done_cond, &job->lock, &until) == ETIMEDOUT)
                        break;
        }
        bool answered = job->done;
        if (answered) {
                memcpy(data, job->data, task->size);
                job->taken = true;
        }
        job_release_locked(job);
        if (answered) {
                (void)pthread_join(thread, NULL); /* it is returning: microseconds */
                return WORKER_DONE;
        }
        /* The thread is left blocked in the kernel; it frees the job when it returns. */
        (void)pthread_detach(thread);
        return WORKER_ABANDONED;
}
