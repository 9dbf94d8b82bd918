/* SPDX-License-Identifier: MIT */
/*
 * kmsg.h - the kernel's messages (/dev/kmsg) as the records of the
 * pseudo-service `kernel` (records.h): those of the boot at once, then each
 * as it comes, from the loop. PID 1 of a machine only.
 */
#ifndef NUCLEUS_KMSG_H
#define NUCLEUS_KMSG_H

#include "nucleus.h"

#include <stddef.h>

struct loop;

/*
 * kmsg_parse - one record of /dev/kmsg ("PRIO,SEQ,USEC,FLAGS;TEXT\n",
 * continuation lines after it): its priority (the facility dropped), its
 * time in microseconds since boot, and the text up to the first newline.
 * 0, or -EINVAL for anything else.
 */
int kmsg_parse(const char *buf, size_t n, int *prio, uint64_t *usec, const char **text,
	       size_t *len);

/* Reads what the kernel holds, then follows it in @l. 0, or -errno. */
int kmsg_follow(struct loop *l);

#endif
