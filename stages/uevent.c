// SPDX-License-Identifier: MIT
/*
 * uevent.c - the kernel's uevent netlink socket: open, read, parse.
 */
#include "uevent.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

int uevent_parse(const char *buf, size_t n, struct uevent *ev)
{
	const char *at = memchr(buf, '@', n), *end = buf + n;

	memset(ev, 0, sizeof(ev[0]));
	ev->subsystem = "";
	/* "ACTION@DEVPATH" first; libudev's own messages start "libudev" */
	if (!at || at == buf || !memchr(buf, '\0', n) || !strncmp(buf, "libudev", 7))
		return -EINVAL;
	for (const char *p = buf + strlen(buf) + 1; p < end; p += strlen(p) + 1) {
		if (!memchr(p, '\0', (size_t)(end - p)))
			return -EINVAL;
		if (!strncmp(p, "ACTION=", 7))
			ev->action = p + 7;
		else if (!strncmp(p, "DEVPATH=", 8))
			ev->devpath = p + 8;
		else if (!strncmp(p, "SUBSYSTEM=", 10))
			ev->subsystem = p + 10;
		else if (!strncmp(p, "MODALIAS=", 9))
			ev->modalias = p + 9;
		else if (!strncmp(p, "INTERFACE=", 10))
			ev->interface = p + 10;
		else if (!strncmp(p, "DEVNAME=", 8))
			ev->devname = p + 8;
	}
	return ev->action && ev->devpath ? 0 : -EINVAL;
}

int uevent_open(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);
	int size = 4 << 20;

	if (fd < 0)
		return -errno;
	/* a boot's burst of events must not overflow it; root may go past rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int uevent_read(int fd, char *buf, size_t size, struct uevent *ev)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = {buf, size - 1};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOBUFS ? -ENOBUFS : 0;
		}
		buf[n] = '\0';
		/* only the kernel speaks with port 0 */
		if (from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
			continue;
		if (uevent_parse(buf, (size_t)n + 1, ev) == 0)
			return 1;
	}
}
