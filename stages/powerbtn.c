// SPDX-License-Identifier: MIT
/*
 * powerbtn.c - finds the power button among the input devices and reads
 * its presses. The devices are told apart by their name and by the keys
 * they report, not by their number, which depends on probe order.
 */
#include "powerbtn.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define NLONGS(n)     (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/* A device that has no key bitmap at all (old kernels) is given the benefit of the doubt. */
static bool has_key_power(int fd)
{
	unsigned long keys[NLONGS(KEY_MAX + 1)] = {0};

	if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keys)), keys) < 0)
		return true;
	return keys[KEY_POWER / BITS_PER_LONG] & (1UL << (KEY_POWER % BITS_PER_LONG));
}

/* Opens /dev/input/@ent when it is a power button; -1 otherwise. */
static int open_if_button(const char *ent)
{
	char path[300], name[64] = "";
	int fd;

	if (strncmp(ent, "event", 5))
		return -1;
	snprintf(path, sizeof(path), "/dev/input/%s", ent);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name) < 0 || strcmp(name, POWERBTN_NAME) ||
	    !has_key_power(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

int powerbtn_open_all(int *fds, int max)
{
	DIR *d = opendir("/dev/input");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		int fd = open_if_button(de->d_name);

		if (fd >= 0)
			fds[n++] = fd;
	}
	closedir(d);
	return n;
}

bool powerbtn_read(int fd)
{
	struct input_event ev[16];
	bool pressed = false;

	/* Bounded, so a chattering device cannot hold the loop: the rest waits a round. */
	for (int round = 0; round < 64; round++) {
		ssize_t n = read(fd, ev, sizeof(ev));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(ev[0]))
			return pressed; /* EAGAIN: drained; or an error or EOF */
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
			if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
				pressed = true;
	}
	return pressed;
}
