/* SPDX-License-Identifier: MIT */
/*
 * nucleus.h - small things every module of nucleus-init uses.
 */
#ifndef NUCLEUS_H
#define NUCLEUS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#ifndef NUCLEUS_VERSION
#define NUCLEUS_VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED	      __attribute__((unused))
#define PRINTF(a, b)  __attribute__((format(printf, a, b)))

#define DEFAULT_MANIFEST    "/etc/nucleus/manifest.ini"
#define DEFAULT_RUNTIME_DIR "/run/nucleus"

/* Milliseconds on the monotonic clock; never goes backwards. */
static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * struct nerr - an error with its context, for the modules where the errno
 * alone says too little: the step, the errno, the object it was about.
 */
struct nerr {
	const char *step; /* e.g. "volumes", "exec", "netlink" */
	int err;	  /* positive errno, 0 if none */
	char what[240];	  /* "mount /srv/data on /data: No such file or directory" */
};

int nerr_set(struct nerr *e, const char *step, int err, const char *fmt, ...) PRINTF(4, 5);

#endif
