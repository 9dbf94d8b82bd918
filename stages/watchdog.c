// SPDX-License-Identifier: MIT
/*
 * watchdog.c - the Linux watchdog API (Documentation/watchdog/watchdog-api.rst).
 */
#include "watchdog.h"
#include "log.h"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define WDOG_DEFAULT_DEV "/dev/watchdog"

unsigned wdog_timeout_for(unsigned interval_s)
{
	unsigned i = interval_s ? interval_s : 1;

	if (i > 0x7fffffffu / 2)
		return 0x7fffffffu;
	return 2 * i > i + 5 ? 2 * i : i + 5;
}

int wdog_open(const char *dev, unsigned interval_s, struct nerr *e)
{
	int want = (int)wdog_timeout_for(interval_s), got = want;
	int fd;

	if (!dev)
		dev = WDOG_DEFAULT_DEV;
	fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return nerr_set(e, "watchdog", errno, "%s: %s", dev, strerror(errno));
	/* The driver may round the value; it writes back what it took. */
	if (ioctl(fd, WDIOC_SETTIMEOUT, &got) < 0) {
		log_warn("watchdog %s: timeout %ds: %s", dev, want, strerror(errno));
		if (ioctl(fd, WDIOC_GETTIMEOUT, &got) < 0)
			got = 0;
	}
	if (got > 0 && (unsigned)got <= interval_s)
		log_warn("watchdog %s: timeout %ds is not longer than the interval %us", dev, got,
			 interval_s);
	wdog_ping(fd);
	log_info("watchdog %s: timeout %ds, ping every %us", dev, got, interval_s);
	return fd;
}

void wdog_ping(int fd)
{
	int dummy = 0;

	if (ioctl(fd, WDIOC_KEEPALIVE, &dummy) < 0 && write(fd, "\0", 1) < 0)
		log_warn("watchdog: ping: %s", strerror(errno));
}

void wdog_close(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "V", 1) != 1)
		log_warn("watchdog: magic close: %s", strerror(errno));
	close(fd);
}
