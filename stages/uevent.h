/* SPDX-License-Identifier: MIT */
/*
 * uevent.h - the kernel's device events (NETLINK_KOBJECT_UEVENT), as PID 1
 * of a machine hears them: a device added, removed, changed. Only the
 * kernel's own messages are taken (sender port 0, group 1).
 */
#ifndef NUCLEUS_UEVENT_H
#define NUCLEUS_UEVENT_H

#include "nucleus.h"

struct uevent {
	const char *action;    /* "add", "remove", "change", "bind", ... */
	const char *devpath;   /* "/devices/pci0000:00/..." */
	const char *subsystem; /* "net", "block", "virtio", ...; "" if none */
	const char *modalias;  /* what to load for it, or NULL */
	const char *interface; /* net: the interface's name, or NULL */
	const char *devname;   /* "vda" (relative to /dev), or NULL */
};

/*
 * uevent_parse - one datagram of the kernel ("ACTION@DEVPATH\0KEY=VALUE\0...",
 * @n bytes, NUL-terminated by the caller) into @ev, pointing into @buf.
 * 0, or -EINVAL for anything else (a libudev message, garbage).
 */
int uevent_parse(const char *buf, size_t n, struct uevent *ev);

/* The socket, non-blocking, with a receive buffer for boot-time bursts. */
int uevent_open(void);

/*
 * uevent_read - the next event the kernel sent on @fd into @buf (@size
 * bytes) and @ev: 1 one event, 0 none waiting, -ENOBUFS when events were
 * lost (the queue overflowed: a scan of /sys must make up for them).
 * Messages not from the kernel are skipped.
 */
int uevent_read(int fd, char *buf, size_t size, struct uevent *ev);

#endif
