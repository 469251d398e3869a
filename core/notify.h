/* Progress for systemd: STATUS= over the sd_notify datagram protocol, when NOTIFY_SOCKET is set.
 * preflight never sends READY=1: readiness is the service's to announce. */
#ifndef PREFLIGHT_NOTIFY_H
#define PREFLIGHT_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* "STATUS=preflight: waiting for redis 127.0.0.1:6379, attempt 4, 1.2s of 30s". */
void notify_waiting(const char *check, const char *target, unsigned attempt, uint64_t spent_us,
                    uint64_t timeout_us);

/* "STATUS=": the wait is over, leave the line to the service. */
void notify_clear(void);

/* Sends one datagram; false when NOTIFY_SOCKET is unset or the send failed. */
bool notify_send(const char *message);

#endif
