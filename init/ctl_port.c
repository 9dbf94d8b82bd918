// SPDX-License-Identifier: MIT
/*
 * ctl_port.c - the control port: a virtio-serial port found by its name
 * under /sys/class/virtio-ports (the host names it on the qemu command
 * line), served with the control protocol like control.sock.
 *
 * The port can appear after stage 1 (its driver loads by coldplug, its name
 * arrives as a change uevent), so this is tried at the end of stage 1 and
 * on every virtio-ports uevent. Its host end comes and goes: ctl_link.c
 * reads it edge-triggered (a port without a host polls readable forever).
 */
#include "ctl_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define PORTS_DIR "/sys/class/virtio-ports"

static const char *port_name(const struct supervisor *s)
{
	const char *name =
		s->m && s->m->sys.control_port ? s->m->sys.control_port : DEFAULT_CONTROL_PORT;

	return strcmp(name, "none") ? name : NULL;
}

/* The device (vportNpM) whose name attribute is @name, into @dev. */
static bool find_port(const char *name, char *dev, size_t size)
{
	DIR *d = opendir(PORTS_DIR);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[300], got[128];
		int fd;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PORTS_DIR "/%s/name", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, got, sizeof(got) - 1);
		close(fd);
		if (n <= 0)
			continue;
		got[n] = '\0';
		got[strcspn(got, "\n")] = '\0';
		if (!strcmp(got, name)) {
			snprintf(dev, size, "/dev/%s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* A fresh nucleus-init says so first: a host end that outlived the last one forgets it. */
static void port_hello(struct ctl_link *lk)
{
	unsigned char v[8];
	uint64_t id = link_instance();

	for (int i = 0; i < 8; i++)
		v[i] = (unsigned char)(id >> (8 * i));
	sb_add(&lk->out, (const char *)frame_sync, sizeof(frame_sync));
	link_send(lk, F_HELLO, 0, v, sizeof(v));
}

void control_port_scan(struct supervisor *s)
{
	const char *name = port_name(s);
	char dev[300];
	struct ctl_link *lk;
	int fd;

	if (s->mode != MODE_MACHINE || !name || link_port() || !ctl_sup)
		return;
	if (!find_port(name, dev, sizeof(dev)))
		return;
	fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_warn("control port %s: %s: %s", name, dev, strerror(errno));
		return;
	}
	lk = link_new(fd, true);
	if (!lk) {
		log_warn("control port %s: %s: cannot watch it", name, dev);
		return;
	}
	port_hello(lk);
	log_info("control port %s on %s", name, dev);
}
