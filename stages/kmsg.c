// SPDX-License-Identifier: MIT
/*
 * kmsg.c - /dev/kmsg read into the `kernel` records. Each read(2) returns
 * one record; EPIPE says the kernel's buffer wrapped past us (we go on from
 * the oldest it still has); EAGAIN that there is no more for now.
 */
#include "kmsg.h"
#include "log.h"
#include "loop.h"
#include "records.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define KMSG_READS_PER_WAKE 64 /* a burst of the kernel does not hold the loop */

int kmsg_parse(const char *buf, size_t n, int *prio, uint64_t *usec, const char **text, size_t *len)
{
	const char *semi = memchr(buf, ';', n), *nl;
	char head[64], *p, *end;
	unsigned long v;

	if (!semi || (size_t)(semi - buf) >= sizeof(head))
		return -EINVAL;
	memcpy(head, buf, (size_t)(semi - buf));
	head[semi - buf] = '\0';
	v = strtoul(head, &end, 10);
	if (end == head || *end != ',')
		return -EINVAL;
	*prio = (int)(v & 7);
	p = end + 1;
	strtoull(p, &end, 10); /* the sequence number */
	if (end == p || *end != ',')
		return -EINVAL;
	p = end + 1;
	*usec = strtoull(p, &end, 10);
	if (end == p || *end != ',')
		return -EINVAL;
	*text = semi + 1;
	nl = memchr(*text, '\n', n - (size_t)(*text - buf));
	*len = nl ? (size_t)(nl - *text) : n - (size_t)(*text - buf);
	return 0;
}

static void kmsg_read(int fd)
{
	char buf[8192];

	for (int i = 0; i < KMSG_READS_PER_WAKE; i++) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		const char *text;
		uint64_t usec;
		size_t len;
		int prio;

		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue;
		if (n <= 0)
			return;
		buf[n] = '\0';
		if (kmsg_parse(buf, (size_t)n, &prio, &usec, &text, &len) == 0)
			records_add_at(records_kernel(), "kernel", REC_KERNEL, prio, usec, text,
				       len);
	}
}

static void on_kmsg(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)ev;
	(void)arg;
	kmsg_read(fd);
}

int kmsg_follow(struct loop *l)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* the boot's messages: as many as the loop's rounds take, then the rest as they come */
	kmsg_read(fd);
	if (loop_add_fd(l, fd, EPOLLIN, on_kmsg, NULL)) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}
