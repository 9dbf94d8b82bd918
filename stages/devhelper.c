// SPDX-License-Identifier: MIT
/*
 * devhelper.c - mounting a [mount.NAME] once its device is there (stage 1
 * calls it directly; later the nucleus-devices helper does, since a dead
 * disk may block a mount or a read of its superblock for minutes), the
 * helper itself, and the modprobe the kernel runs.
 */
#include "devhelper.h"
#include "blkid.h"
#include "coldplug.h"
#include "log.h"
#include "stages.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLANK_BYTES (1 << 20) /* every signature mkfs, LVM, LUKS or a partition table writes */
#define MKE2FS	    "/sbin/mke2fs"

/* Whether /proc/filesystems lists @type (a module may provide it first). */
static bool fs_known(const char *type)
{
	char buf[4096], want[80];
	int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return true; /* cannot tell: let mount(2) say */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "\t%s\n", type);
	return strstr(buf, want) != NULL;
}

static bool is_dev_path(const char *what)
{
	return !strncmp(what, "/dev/", 5);
}

/* 1: the first MiB of @dev is all zeros; 0: it holds something; <0: -errno. */
static int dev_blank(const char *dev)
{
	char *buf = malloc(65536);
	int fd = open(dev, O_RDONLY | O_CLOEXEC), r = 1;
	size_t off = 0;

	if (fd < 0 || !buf) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while (off < BLANK_BYTES && r == 1) {
		ssize_t n = pread(fd, buf, 65536, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && r == 1; i++)
			r = buf[i] ? 0 : 1;
		off += (size_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

/* mke2fs -t TYPE -L NAME DEV, waited for: 0, or an error in @e. */
static int run_mke2fs(const struct mount_conf *mc, const char *dev, struct nerr *e)
{
	char label[17];
	char *argv[] = {MKE2FS, "-q", "-t", mc->mkfs, "-L", label, (char *)dev, NULL};
	char *envp[] = {"PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL};
	int st = 0;
	pid_t pid;

	snprintf(label, sizeof(label), "%s", mc->name);
	pid = fork();
	if (pid < 0)
		return nerr_set(e, "mkfs", errno, "mkfs %s: fork: %s", dev, strerror(errno));
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(2, 1); /* the helper's stdout is its answer pipe */
		execve(argv[0], argv, envp);
		fprintf(stderr, "nucleus-init: [mount.%s]: %s: %s\n", mc->name, MKE2FS,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return nerr_set(e, "mkfs", 0, "mkfs %s on %s: %s %s", mc->mkfs, dev, MKE2FS,
				WIFEXITED(st) ? "failed" : "was killed");
	return 0;
}

/* mkfs = TYPE: a device that holds nothing gets a file system; one with data never. */
static int mkfs_if_blank(const struct mount_conf *mc, const char *dev, struct nerr *e)
{
	int r = dev_blank(dev);

	if (r < 0)
		return nerr_set(e, "mkfs", -r, "mkfs: read %s: %s", dev, strerror(-r));
	if (!r)
		return 0;
	log_info("[mount.%s]: %s is blank (its first MiB is zeros): making %s", mc->name, dev,
		 mc->mkfs);
	r = run_mke2fs(mc, dev, e);
	if (!r)
		log_info("[mount.%s]: made %s on %s, label %.16s", mc->name, mc->mkfs, dev,
			 mc->name);
	return r;
}

int devmount_try(const struct mount_conf *mc, struct kmod_ctx *k, char *dev, size_t size,
		 struct nerr *e)
{
	char data[1024], fsmod[80];
	unsigned long fl;
	int r;

	if (blkid_is_spec(mc->what)) {
		if (blkid_find(mc->what, dev, size))
			return 1;
	} else {
		snprintf(dev, size, "%s", mc->what);
		if (is_dev_path(mc->what) && access(mc->what, F_OK) < 0 && errno == ENOENT)
			return 1;
	}
	if (k && !fs_known(mc->type)) {
		struct nerr me = {0};

		snprintf(fsmod, sizeof(fsmod), "fs-%s", mc->type);
		if (kmod_ctx_load(k, fsmod, &me))
			log_debug("[mount.%s]: %s", mc->name, me.what);
	}
	if (mc->mkfs && (r = mkfs_if_blank(mc, dev, e)))
		return r;
	r = mount_options_parse(mc->options, &fl, data, sizeof(data));
	if (r)
		return nerr_set(e, "options", -r, "options %s: %s", mc->options, strerror(-r));
	r = mkdir_p(mc->where, 0755);
	if (r)
		return nerr_set(e, "mkdir", -r, "mkdir %s: %s", mc->where, strerror(-r));
	/* a device by label is its /dev path; anything else goes to mount(2) whole */
	if (mount(blkid_is_spec(mc->what) ? dev : mc->what, mc->where, mc->type, fl,
		  data[0] ? data : NULL) < 0)
		return nerr_set(e, "mount", errno, "mount %s%s%s%s on %s (%s): %s", mc->what,
				strcmp(dev, mc->what) ? " (" : "", strcmp(dev, mc->what) ? dev : "",
				strcmp(dev, mc->what) ? ")" : "", mc->where, mc->type,
				strerror(errno));
	return 0;
}

/* ---- the helper ---- */

/* Tabs and newlines would break the line protocol: blanks instead. */
static const char *flat(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	return s;
}

static void say_inserted(void *arg, const char *module)
{
	(void)arg;
	printf("L\t%s\n", module);
	fflush(stdout);
}

static void count_match(void *arg, const char *module)
{
	(void)module;
	(*(int *)arg)++;
}

/* A modalias no module claims (a built-in driver, or none) is not an error. */
static void helper_load(struct kmod_ctx *k, const char *name)
{
	struct nerr e = {0};
	int matches = 0;

	if (!k || kmod_ctx_lookup(k, name, count_match, &matches) <= 0)
		return;
	if (kmod_ctx_load(k, name, &e)) {
		printf("E\t%s\t%d\t%s\n", name, e.err, flat(e.what));
		fflush(stdout);
	}
}

static void helper_mount(struct kmod_ctx *k, char **a)
{
	struct mount_conf mc = {
		.what = a[1], .where = a[2], .type = a[3], .options = a[4], .mkfs = a[5]};
	struct nerr e = {0};
	char dev[256];
	int r;

	snprintf(mc.name, sizeof(mc.name), "%s", a[6]);
	if (!*mc.options)
		mc.options = NULL;
	if (!*mc.mkfs)
		mc.mkfs = NULL;
	r = devmount_try(&mc, k, dev, sizeof(dev), &e);
	if (r == 0)
		printf("M\t%s\t%s\n", a[0], flat(dev));
	else if (r == 1)
		printf("A\t%s\n", a[0]);
	else
		printf("F\t%s\t%d\t%s\n", a[0], e.err, flat(e.what));
	fflush(stdout);
}

int devhelper_main(int argc, char **argv)
{
	struct nerr e = {0};
	struct kmod_ctx *k = kmod_open(NULL, &e);

	if (k)
		kmod_on_insert(k, say_inserted, NULL);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			helper_load(k, argv[++i]);
		} else if (!strcmp(argv[i], "-s")) {
			struct coldplug_stats st;

			if (k)
				coldplug_run(k, -1, NULL, &st);
		} else if (!strcmp(argv[i], "-m") && i + 7 < argc) {
			helper_mount(k, argv + i + 1);
			i += 7;
		} else {
			fprintf(stderr, "%s: unknown argument '%s'\n", DEVHELPER_NAME, argv[i]);
			kmod_close(k);
			return 2;
		}
	}
	kmod_close(k);
	printf("D\n"); /* all done: PID 1 need not hand any of it out again */
	fflush(stdout);
	return 0;
}

/* ---- modprobe ---- */

int modprobe_main(int argc, char **argv)
{
	bool quiet = false, all = false, verbose = false;
	struct kmod_ctx *k;
	struct nerr e = {0};
	int i, rc = 0;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'q')
				quiet = true;
			else if (*o == 'a')
				all = true;
			else if (*o == 'v')
				verbose = true;
			else if (*o != 'b' && *o != 's') {
				fprintf(stderr, "modprobe: option -%c is not supported\n", *o);
				return 2;
			}
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: modprobe [-q] [-a] [-v] [--] NAME [NAME...]\n");
		return 2;
	}
	k = kmod_open(NULL, &e);
	if (!k) {
		if (!quiet)
			fprintf(stderr, "modprobe: %s\n", e.what);
		return 1;
	}
	/* without -a the words after the name are its parameters: not supported, ignored */
	for (int last = all ? argc : i + 1; i < last; i++) {
		if (kmod_ctx_load(k, argv[i], &e)) {
			if (!quiet)
				fprintf(stderr, "modprobe: %s\n", e.what);
			rc = 1;
		} else if (verbose) {
			fprintf(stderr, "modprobe: %s loaded\n", argv[i]);
		}
	}
	kmod_close(k);
	return rc;
}
