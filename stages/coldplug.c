// SPDX-License-Identifier: MIT
/*
 * coldplug.c - what mdev -s and udevadm trigger do for modules, from PID 1
 * in stage 1: read every device's modalias, load the modules whose
 * modules.alias pattern matches it, and repeat for the devices those modules
 * create (a PCI virtio driver brings virtio devices, whose drivers bring a
 * disk or a network link).
 *
 * New devices are heard on the uevent socket, opened before the first scan:
 * the kernel sends their events while finit_module() runs, so when it
 * returns they are queued. Only when the queue overflowed is /sys scanned
 * again.
 */
#include "coldplug.h"
#include "log.h"
#include "uevent.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

struct coldplug {
	struct kmod_ctx *k;
	struct strset seen; /* modaliases already looked up */
	struct coldplug_stats *st;
	const char *modalias; /* the one being loaded, for messages */
};

static void load_matched(void *arg, const char *module)
{
	struct coldplug *cp = arg;
	struct nerr e = {0};
	uint64_t t0 = now_us();

	if (kmod_ctx_load(cp->k, module, &e))
		log_warn("coldplug: %s (device %s)", e.what, cp->modalias);
	cp->st->load_us += now_us() - t0;
}

/* 1 when @modalias was new (its modules were loaded), else 0. */
static int consider(struct coldplug *cp, const char *modalias)
{
	int r = strset_add(&cp->seen, modalias);

	if (r <= 0)
		return 0;
	cp->st->devices++;
	cp->modalias = modalias;
	r = kmod_ctx_lookup(cp->k, modalias, load_matched, cp);
	if (r < 0) {
		log_warn("coldplug: modules.alias: %s", strerror(-r));
		return 0;
	}
	return 1;
}

/* The modalias of device @name of the bus directory @dfd, or "". */
static void read_modalias(int dfd, const char *name, char *buf, size_t size)
{
	char path[300];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/modalias", name);
	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
}

/* One pass over /sys/bus/\*\/devices; the count of new modaliases. */
static int scan_sysfs(struct coldplug *cp)
{
	DIR *buses = opendir("/sys/bus");
	struct dirent *b;
	int fresh = 0;

	if (!buses) {
		log_warn("coldplug: /sys/bus: %s", strerror(errno));
		return 0;
	}
	while ((b = readdir(buses))) {
		char path[300], alias[512];
		struct dirent *d;
		DIR *devs;
		int fd;

		if (b->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/devices", b->d_name);
		fd = openat(dirfd(buses), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		devs = fd >= 0 ? fdopendir(fd) : NULL;
		if (!devs) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((d = readdir(devs))) {
			if (d->d_name[0] == '.')
				continue;
			read_modalias(dirfd(devs), d->d_name, alias, sizeof(alias));
			if (alias[0])
				fresh += consider(cp, alias);
		}
		closedir(devs);
	}
	closedir(buses);
	return fresh;
}

/* The queued uevents: new modaliases among them, or -ENOBUFS (lost some). */
static int drain(struct coldplug *cp, int fd)
{
	char buf[8192];
	struct uevent ev;
	int r, fresh = 0;

	while ((r = uevent_read(fd, buf, sizeof(buf), &ev)) == 1)
		if (ev.modalias && !strcmp(ev.action, "add"))
			fresh += consider(cp, ev.modalias);
	return r < 0 ? r : fresh;
}

static void count_insert(void *arg, const char *module)
{
	if (strset_add(arg, module) < 0)
		log_warn("coldplug: out of memory noting module %s", module);
}

void coldplug_run(struct kmod_ctx *k, int uevent_fd, struct strset *loaded,
		  struct coldplug_stats *st)
{
	struct coldplug cp = {.k = k, .st = st};
	int fresh;

	memset(st, 0, sizeof(*st));
	if (loaded)
		kmod_on_insert(k, count_insert, loaded);
	fresh = scan_sysfs(&cp);
	/* a bounded number of rounds: each is a level of buses behind buses */
	for (int round = 0; fresh > 0 && round < 16; round++) {
		fresh = uevent_fd >= 0 ? drain(&cp, uevent_fd) : -ENOBUFS;
		if (fresh == -ENOBUFS)
			fresh = scan_sysfs(&cp);
	}
	if (loaded)
		kmod_on_insert(k, NULL, NULL);
	strset_free(&cp.seen);
}
