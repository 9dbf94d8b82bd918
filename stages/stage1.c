// SPDX-License-Identifier: MIT
/*
 * stage1.c - early boot of a real machine: the API file systems, the kernel
 * command line, hostname, sysctls; the drivers, interfaces and mounts
 * through devices.c.
 *
 * Only what is not mounted yet is mounted, so the same code is harmless in
 * an initramfs that already did some of it.
 */
#include "stages.h"
#include "isolate/cgroup.h"
#include "devices.h"
#include "kmsg.h"
#include "powerbtn.h"
#include "rootfs.h"
#include "util.h"
#include "watchdog.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path is a mount point when it sits on another device than its parent. */
static bool is_mountpoint(const char *path)
{
	char parent[4096];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", path);
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static void early_mount(const char *src, const char *dst, const char *type, unsigned long fl,
			const char *data)
{
	if (mkdir_p(dst, 0755) < 0 && errno != EEXIST)
		log_warn("mkdir %s: %s", dst, strerror(errno));
	if (is_mountpoint(dst))
		return;
	if (mount(src, dst, type, fl, data) < 0)
		log_warn("mount %s on %s: %s", type, dst, strerror(errno));
}

/* Every controller cgroup2 offers is enabled for the children of the root. */
static void cgroup_enable_controllers(void)
{
	char buf[512], req[600] = "";
	size_t o = 0;
	char *save = NULL;
	int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		o += (size_t)snprintf(req + o, sizeof(req) - o, "%s+%s", o ? " " : "", t);
	n = write_text(AT_FDCWD, "/sys/fs/cgroup/cgroup.subtree_control", req);
	if (n < 0 && n != -ENOENT)
		log_warn("cgroup.subtree_control '%s': %s", req, strerror((int)-n));
}

static void console_stdio(void)
{
	int fd;

	if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

void stage1_early(void)
{
	const unsigned long nse = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	/* Until /dev/console is known good, messages go to the kernel log. */
	if (fcntl(2, F_GETFD) < 0)
		log_use_kmsg(true);
	early_mount("proc", "/proc", "proc", nse, NULL);
	early_mount("sysfs", "/sys", "sysfs", nse, NULL);
	early_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	log_use_kmsg(fcntl(2, F_GETFD) < 0);
	console_stdio();
	log_use_kmsg(false);
	early_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		    "gid=5,mode=0620,ptmxmode=0666");
	early_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	early_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	/*
	 * Not favordynmods: it costs an RCU grace period at once, and saves
	 * one per migration, of which there is none (PID 1 stays in the root
	 * group, services are cloned into theirs).
	 */
	early_mount("cgroup2", "/sys/fs/cgroup", "cgroup2", nse, "nsdelegate");
	cgroup_enable_controllers();
	if (symlink("/proc/self/fd", "/dev/fd") < 0 && errno != EEXIST)
		log_debug("/dev/fd: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
		char target[32];

		snprintf(target, sizeof(target), "/proc/self/fd/%d", i);
		if (symlink(target, names[i]) < 0 && errno != EEXIST)
			log_debug("%s: %s", names[i], strerror(errno));
	}
}

void stage1_cmdline(char **manifest, bool *debug)
{
	char buf[4096], *save = NULL;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (!strncmp(t, "nucleus.manifest=", 17)) {
			free(*manifest);
			*manifest = strdup(t + 17);
		} else if (!strcmp(t, "nucleus.debug")) {
			*debug = true;
		} else if (!strcmp(t, "nucleus.cgroups=no")) {
			cg_disable("nucleus.cgroups=no on the kernel command line");
		}
	}
}

int mount_options_parse(const char *opts, unsigned long *flags, char *data, size_t datalen)
{
	static const struct {
		const char *name;
		unsigned long set, clear;
	} tab[] = {
		{"defaults", 0, 0},
		{"ro", MS_RDONLY, 0},
		{"rw", 0, MS_RDONLY},
		{"nosuid", MS_NOSUID, 0},
		{"suid", 0, MS_NOSUID},
		{"nodev", MS_NODEV, 0},
		{"dev", 0, MS_NODEV},
		{"noexec", MS_NOEXEC, 0},
		{"exec", 0, MS_NOEXEC},
		{"sync", MS_SYNCHRONOUS, 0},
		{"async", 0, MS_SYNCHRONOUS},
		{"dirsync", MS_DIRSYNC, 0},
		{"noatime", MS_NOATIME, 0},
		{"atime", 0, MS_NOATIME},
		{"nodiratime", MS_NODIRATIME, 0},
		{"diratime", 0, MS_NODIRATIME},
		{"relatime", MS_RELATIME, 0},
		{"norelatime", 0, MS_RELATIME},
		{"strictatime", MS_STRICTATIME, 0},
		{"lazytime", MS_LAZYTIME, 0},
		{"nolazytime", 0, MS_LAZYTIME},
		{"mand", MS_MANDLOCK, 0},
		{"nomand", 0, MS_MANDLOCK},
		{"silent", MS_SILENT, 0},
		{"bind", MS_BIND, 0},
		{"rbind", MS_BIND | MS_REC, 0},
	};
	char buf[1024], *save = NULL;
	size_t o = 0;

	*flags = 0;
	if (datalen)
		data[0] = '\0';
	if (!opts)
		return 0;
	if (strlcpy_n(buf, opts, sizeof(buf)) >= sizeof(buf))
		return -E2BIG;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(tab); k++)
			if (!strcmp(t, tab[k].name))
				break;
		if (k < ARRAY_SIZE(tab)) {
			*flags = (*flags | tab[k].set) & ~tab[k].clear;
			continue;
		}
		int w = snprintf(data + o, datalen - o, "%s%s", o ? "," : "", t);

		if (w < 0 || (size_t)w >= datalen - o)
			return -E2BIG;
		o += (size_t)w;
	}
	return 0;
}

static void apply_sysctl(const struct sysctl_conf *sc)
{
	char path[512];
	size_t o = strlcpy_n(path, "/proc/sys/", sizeof(path));
	bool slashes = strchr(sc->key, '/') != NULL;
	int r;

	for (const char *p = sc->key; *p && o < sizeof(path) - 1; p++)
		path[o++] = (!slashes && *p == '.') ? '/' : *p;
	path[o] = '\0';
	r = write_text(AT_FDCWD, path, sc->value);
	if (r < 0)
		log_err("%s:%d: sysctl %s = %s: %s", "[sysctl]", sc->line, sc->key, sc->value,
			strerror(-r));
	else
		log_debug("sysctl %s = %s", sc->key, sc->value);
}

static void on_powerbtn(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)ev;
	if (powerbtn_read(fd))
		sup_shutdown(arg, POWER_POWEROFF, "power button");
}

static void on_wdog(struct loop *l, void *arg)
{
	struct supervisor *s = arg;

	wdog_ping(s->wdog_fd);
	loop_at(l, &s->wdog_timer, now_ms() + s->wdog_interval_ms, on_wdog, s);
}

void stage1_devices(struct supervisor *s)
{
	int fds[4], n = powerbtn_open_all(fds, (int)ARRAY_SIZE(fds));
	struct nerr e = {0};

	for (int i = 0; i < n; i++)
		if (loop_add_fd(s->loop, fds[i], EPOLLIN, on_powerbtn, s))
			log_warn("power button: cannot watch fd %d", fds[i]);
	log_debug("power button: %d input device%s", n, n == 1 ? "" : "s");
	devices_watch(s);
	n = kmsg_follow(s->loop);
	if (n < 0)
		log_warn("/dev/kmsg: %s: the kernel's messages are not in the records",
			 strerror(-n));
	if (!s->m->sys.watchdog)
		return;
	s->wdog_fd = wdog_open(s->m->sys.watchdog,
			       (unsigned)((s->m->sys.watchdog_interval_ms + 999) / 1000), &e);
	if (s->wdog_fd < 0) {
		log_err("watchdog: %s", e.what);
		return;
	}
	/* the driver's timeout was set for this interval: a reload does not change it */
	s->wdog_interval_ms = s->m->sys.watchdog_interval_ms;
	loop_at(s->loop, &s->wdog_timer, now_ms() + s->wdog_interval_ms, on_wdog, s);
}

int stage1_apply(struct supervisor *s)
{
	struct manifest *m = s->m;
	uint64_t t0;
	int r;

	if (m->sys.hostname && sethostname(m->sys.hostname, strlen(m->sys.hostname)) < 0)
		log_err("hostname %s: %s", m->sys.hostname, strerror(errno));
	/* modules first: interfaces, disks and the power button need their drivers */
	devices_modules(s); /* accounts its own phases */
	t0 = now_us();
	/* the image is the root before anything reads or mounts a path */
	if (m->sys.root) {
		r = rootfs_switch(s);
		t0 = sup_phase(s, BP_ROOT, t0);
		if (r < 0)
			return r;
	}
	for (int i = 0; i < m->nsysctl; i++)
		apply_sysctl(&m->sysctls[i]);
	devices_network(s);
	t0 = sup_phase(s, BP_NETWORK, t0);
	r = devices_mounts(s);
	sup_phase(s, BP_DISKS, t0);
	return r;
}
