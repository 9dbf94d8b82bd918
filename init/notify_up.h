/* SPDX-License-Identifier: MIT */
/*
 * notify_up.h - sd_notify to whoever started nucleus-init (NOTIFY_SOCKET):
 * READY=1, STATUS=, STOPPING=1. Not as PID 1 of a machine, where the same
 * milestones go to the host over the control port as events.
 */
#ifndef NUCLEUS_NOTIFY_UP_H
#define NUCLEUS_NOTIFY_UP_H

#include "service.h"

void notify_up_open(struct supervisor *s);
/* The STATUS= text: "3 services: 2 ready, 1 failed" (exposed for unit tests). */
void notify_up_summary(struct supervisor *s, char *buf, size_t size);

#endif
