// SPDX-License-Identifier: MIT
/*
 * rootfs.c - [system] root: stage 1 moves from the initramfs into a
 * read-only root image, the way switch_root does, before any service starts.
 *
 * The order keeps a failure harmless for as long as it can: the image is
 * mounted and checked and its /tmp and /var made before anything of the
 * running system moves; a move that fails is undone. Only then is the
 * initramfs emptied (its RAM is not given back otherwise) and the image
 * made the root. PID 1 goes on running the binary it was started from (its
 * fd stays open: inside.c), so nothing is exec'd and nothing is lost.
 */
#include "rootfs.h"
#include "blkid.h"
#include "devhelper.h"
#include "devices_int.h"
#include "kmod.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define SYSROOT	     "/sysroot"
#define ROOT_POLL_MS 20
#define TREE_DEPTH   64
#define RAMFS_MAGIC  0x858458f6
#define TMPFS_MAGIC  0x01021994

/* what the running system keeps across the move (their submounts go along) */
static const char *const moved[] = {"/dev", "/proc", "/sys", "/run"};

/* ---- copying a tree (the image's /var into its tmpfs) ---- */

struct copy_ctx {
	char *buf;
	size_t bufsize;
	dev_t dev;
	struct nerr *e;
};

static int copy_file(struct copy_ctx *c, int src, int dst, const char *name, const struct stat *st)
{
	int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, r = 0;
	ssize_t n;

	if (in < 0)
		return nerr_set(c->e, "copy", errno, "open %s: %s", name, strerror(errno));
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		r = nerr_set(c->e, "copy", errno, "create %s: %s", name, strerror(errno));
		goto out;
	}
	while ((n = read(in, c->buf, c->bufsize)) != 0) {
		int w;

		if (n < 0 && errno == EINTR)
			continue;
		w = n < 0 ? -errno : write_all(out, c->buf, (size_t)n);
		if (w) {
			r = nerr_set(c->e, "copy", -w, "%s %s: %s", n < 0 ? "read" : "write", name,
				     strerror(-w));
			goto out;
		}
	}
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		r = nerr_set(c->e, "copy", errno, "owner and mode of %s: %s", name,
			     strerror(errno));
out:
	close(in);
	if (out >= 0)
		close(out);
	return r;
}

static int copy_dir(struct copy_ctx *c, int src, int dst, int depth);

static int copy_entry(struct copy_ctx *c, int src, int dst, const char *name, int depth)
{
	struct stat st;
	char target[4096];
	ssize_t n;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nerr_set(c->e, "copy", errno, "stat %s: %s", name, strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_file(c, src, dst, name, &st);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return nerr_set(c->e, "copy", errno, "readlink %s: %s", name,
					strerror(errno));
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return nerr_set(c->e, "copy", errno, "symlink %s: %s", name,
					strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode) || st.st_dev != c->dev)
		return 0; /* device nodes, fifos, sockets; another file system */
	if (depth >= TREE_DEPTH)
		return nerr_set(c->e, "copy", ELOOP, "%s: more than %d levels deep", name,
				TREE_DEPTH);
	if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
		return nerr_set(c->e, "copy", errno, "mkdir %s: %s", name, strerror(errno));
	int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = s < 0 || d < 0 ? nerr_set(c->e, "copy", errno, "open %s: %s", name, strerror(errno))
			       : copy_dir(c, s, d, depth + 1);

	/* owner and mode last: a 0500 directory must still take its entries */
	if (!r && (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0))
		r = nerr_set(c->e, "copy", errno, "owner and mode of %s: %s", name,
			     strerror(errno));
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	return r;
}

static int copy_dir(struct copy_ctx *c, int src, int dst, int depth)
{
	/* a description of its own: a dup would share (and move) the caller's offset */
	int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!dir) {
		r = nerr_set(c->e, "copy", errno, "read a directory: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (!r && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = copy_entry(c, src, dst, de->d_name, depth);
	closedir(dir);
	return r;
}

int rootfs_copy_tree(int src, int dst, struct nerr *e)
{
	struct copy_ctx c = {.bufsize = 65536, .e = e};
	struct stat st;
	int r;

	if (fstat(src, &st) < 0)
		return nerr_set(e, "copy", errno, "stat: %s", strerror(errno));
	c.dev = st.st_dev;
	c.buf = malloc(c.bufsize);
	if (!c.buf)
		return nerr_set(e, "copy", ENOMEM, "out of memory");
	r = copy_dir(&c, src, dst, 0);
	free(c.buf);
	return r;
}

/* ---- emptying the initramfs ---- */

static int empty_dir(int dir, dev_t dev, int depth)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), kept = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* a mount point stats as the root of what is mounted there */
		if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev) {
			kept++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = depth < TREE_DEPTH
					  ? openat(dir, de->d_name,
						   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
					  : -1;

			kept += sub < 0 ? 1 : empty_dir(sub, dev, depth + 1);
			if (sub >= 0)
				close(sub);
		}
		if (unlinkat(dir, de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
			kept++;
	}
	closedir(d);
	return kept;
}

int rootfs_empty(int dir)
{
	struct stat st;

	if (fstat(dir, &st) < 0)
		return 1;
	return empty_dir(dir, st.st_dev, 0);
}

/* ---- the switch ---- */

static bool provided(const struct manifest *m, const char *where)
{
	for (int i = 0; i < m->nmount; i++)
		if (!strcmp(m->mounts[i].where, where))
			return true;
	return false;
}

/* Where the root's device is: 0 with @dev, or 1 when it is not there (yet). */
static int root_find(const char *spec, char *dev, size_t size)
{
	if (blkid_is_spec(spec))
		return blkid_find(spec, dev, size) ? 1 : 0;
	snprintf(dev, size, "%s", spec);
	return access(spec, F_OK) ? 1 : 0;
}

/* Nothing runs yet that could use the time: stage 1 waits here, bounded. */
static int root_wait(const char *spec, uint64_t timeout_ms, char *dev, size_t size, struct nerr *e)
{
	uint64_t deadline = now_ms() + timeout_ms;
	bool said = false;

	while (root_find(spec, dev, size)) {
		struct timespec ts = {0, ROOT_POLL_MS * 1000000L};

		if (now_ms() >= deadline)
			return nerr_set(e, "device", ETIMEDOUT,
					"%s did not appear within device_timeout (%llums)", spec,
					(unsigned long long)timeout_ms);
		if (!said)
			log_info("root: %s is not there yet; waiting up to %llums", spec,
				 (unsigned long long)timeout_ms);
		said = true;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* The image's file system type from its superblock, then mounted read-only on SYSROOT. */
static int root_mount(const char *dev, char *type, size_t tsize, struct nerr *e)
{
	struct mount_conf mc = {.name = "root", .where = SYSROOT, .options = "ro"};
	struct blkid_info bi;
	struct kmod_ctx *k;
	struct nerr ke = {0};
	char used[256];
	int fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r;

	if (fd < 0)
		return nerr_set(e, "open", errno, "open %s: %s", dev, strerror(errno));
	r = blkid_probe_fd(fd, &bi);
	close(fd);
	if (r)
		return nerr_set(e, "superblock", ENOENT, "%s holds no file system known here", dev);
	snprintf(type, tsize, "%s", bi.type);
	mc.what = (char *)dev;
	mc.type = type;
	k = kmod_open(NULL, &ke); /* for fs-TYPE; NULL is fine */
	r = devmount_try(&mc, k, used, sizeof(used), e);
	kmod_close(k);
	return r == 1 ? nerr_set(e, "device", ENOENT, "%s went away", dev) : r;
}

/* /tmp and /var of the new root as tmpfs, the image's /var copied in. */
static int root_writable(const struct manifest *m, struct nerr *e)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV;
	int src, dst, r;

	if (!provided(m, "/tmp") && mount("tmpfs", SYSROOT "/tmp", "tmpfs", fl, "mode=1777") < 0)
		return nerr_set(e, "tmpfs", errno, "tmpfs on /tmp: %s", strerror(errno));
	if (provided(m, "/var"))
		return 0;
	src = open(SYSROOT "/var", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src < 0)
		return nerr_set(e, "tmpfs", errno, "the image's /var: %s", strerror(errno));
	if (mount("tmpfs", SYSROOT "/var", "tmpfs", fl, "mode=0755") < 0) {
		r = nerr_set(e, "tmpfs", errno, "tmpfs on /var: %s", strerror(errno));
		close(src);
		return r;
	}
	dst = open(SYSROOT "/var", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dst < 0 ? nerr_set(e, "tmpfs", errno, "/var: %s", strerror(errno))
		    : rootfs_copy_tree(src, dst, e);
	if (r && e->step && !strcmp(e->step, "copy")) {
		char what[sizeof(e->what)];

		snprintf(what, sizeof(what), "%s", e->what);
		nerr_set(e, "copy", e->err, "the image's /var into its tmpfs: %s", what);
	}
	close(src);
	if (dst >= 0)
		close(dst);
	return r;
}

/* Every mount point the move needs is a directory in the image (it is read-only). */
static int root_check(struct nerr *e)
{
	static const char *const dirs[] = {"/dev", "/proc", "/sys", "/run", "/tmp", "/var"};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), SYSROOT "%s", dirs[i]);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			return nerr_set(e, "image", ENOTDIR,
					"the image has no directory %s to mount on", dirs[i]);
	}
	return 0;
}

static int root_move_api(struct nerr *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(moved); i++) {
		char to[64];

		snprintf(to, sizeof(to), SYSROOT "%s", moved[i]);
		if (mount(moved[i], to, NULL, MS_MOVE, NULL) == 0)
			continue;
		nerr_set(e, "move", errno, "move %s into the new root: %s", moved[i],
			 strerror(errno));
		while (i-- > 0) {
			snprintf(to, sizeof(to), SYSROOT "%s", moved[i]);
			if (mount(to, moved[i], NULL, MS_MOVE, NULL) < 0)
				log_err("root: moving %s back: %s", moved[i], strerror(errno));
		}
		return -e->err;
	}
	return 0;
}

static void root_undo(void)
{
	umount2(SYSROOT "/var", MNT_DETACH);
	umount2(SYSROOT "/tmp", MNT_DETACH);
	umount2(SYSROOT, MNT_DETACH);
}

/*
 * SYSROOT becomes "/"; then the initramfs's files go (their RAM with them),
 * reached through @old, its root opened before: nothing else can reach it.
 */
static int root_enter(struct nerr *e)
{
	struct statfs sf;
	int old = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), kept;

	if (chdir(SYSROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0) {
		nerr_set(e, "switch", errno, "move %s onto /: %s", SYSROOT, strerror(errno));
		if (chdir("/") < 0)
			log_warn("root: chdir /: %s", strerror(errno));
		if (old >= 0)
			close(old);
		return -e->err;
	}
	/* the move is done: from here on the image is the root whatever follows */
	if (chroot(".") < 0 || chdir("/") < 0)
		log_err("root: chroot into the moved root: %s", strerror(errno));
	if (old >= 0 && fstatfs(old, &sf) == 0 &&
	    (sf.f_type == (typeof(sf.f_type))RAMFS_MAGIC ||
	     sf.f_type == (typeof(sf.f_type))TMPFS_MAGIC)) {
		kept = rootfs_empty(old);
		if (kept)
			log_debug("root: %d entries of the initramfs stayed", kept);
	}
	if (old >= 0)
		close(old);
	return 0;
}

static void root_move_back(void)
{
	for (size_t i = ARRAY_SIZE(moved); i-- > 0;) {
		char from[64];

		snprintf(from, sizeof(from), SYSROOT "%s", moved[i]);
		if (mount(from, moved[i], NULL, MS_MOVE, NULL) < 0)
			log_err("root: moving %s back: %s", moved[i], strerror(errno));
	}
}

static int root_steps(struct supervisor *s, struct sup_devices *d, struct nerr *e)
{
	const struct sys_conf *sys = &s->m->sys;
	int r;

	r = root_wait(sys->root, sys->device_timeout_ms, d->root_device, sizeof(d->root_device), e);
	if (!r)
		r = root_mount(d->root_device, d->root_type, sizeof(d->root_type), e);
	if (r)
		return r;
	r = root_check(e);
	if (!r)
		r = root_writable(s->m, e);
	if (!r)
		r = root_move_api(e);
	if (!r && (r = root_enter(e)))
		root_move_back();
	if (r)
		root_undo();
	return r;
}

int rootfs_switch(struct supervisor *s)
{
	struct sup_devices *d = s->dev;
	struct nerr e = {0};
	uint64_t t0 = now_us();
	int r;

	if (!d) {
		log_err("root %s: out of memory; boot stopped", s->m->sys.root);
		return -1;
	}
	r = root_steps(s, d, &e);
	d->root_us = now_us() - t0;
	d->root_tried = true;
	if (r) {
		snprintf(d->root_error, sizeof(d->root_error), "%s: %s", e.step, e.what);
		log_err("root %s: %s: %s; boot stopped: no service is started", s->m->sys.root,
			e.step, e.what);
		return -1;
	}
	log_info("root: %s (%s, %s) mounted read-only and moved into in %llu.%llums; /tmp and "
		 "/var %s",
		 s->m->sys.root, d->root_device, d->root_type,
		 (unsigned long long)(d->root_us / 1000),
		 (unsigned long long)(d->root_us % 1000 / 100),
		 provided(s->m, "/tmp") || provided(s->m, "/var") ? "from [mount.*] or tmpfs"
								  : "are tmpfs");
	return 0;
}
