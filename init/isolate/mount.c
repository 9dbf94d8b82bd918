// SPDX-License-Identifier: MIT
/*
 * mount.c - the private root of an isolated service.
 *
 * Built on an empty directory of the host (RUNTIME_DIR/root) inside the
 * child's own mount namespace, after / was made private so nothing leaks
 * back: a tmpfs root with the system directories bound read-only, nosuid,
 * nodev (symlinks of merged-/usr hosts copied as symlinks), /dev with six
 * device nodes bound from the host, devpts and shm, a fresh /proc masked
 * the way the OCI runtime spec masks it, a read-only /sys, private /tmp
 * and /run, then volumes and secrets. Then pivot_root(".", ".") and a
 * lazy unmount of the old root, as runc does. Every flag asked for is
 * written down and checked again in /proc/self/mountinfo at the end: a
 * remount that silently did not take fails the start.
 */
#include "isolate/mount.h"
#include "isolate/hide.h"
#include "isolate/path.h"
#include "isolate/secrets.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct attr {
	uint64_t set, clr, propagation, userns_fd;
};

const char *mnt_path(const struct mnt_plan *p, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", p->newroot, strcmp(rel, "/") ? rel : "");
	return buf;
}

#define R mnt_path

void mnt_expect_size(struct mnt_plan *p, const char *path, unsigned long flags, uint64_t size)
{
	if (p->nexp >= MNT_MAX_EXPECT)
		return;
	snprintf(p->exp[p->nexp].path, sizeof(p->exp[0].path), "%s", path);
	p->exp[p->nexp].size = size;
	p->exp[p->nexp++].flags = flags;
}

void mnt_expect(struct mnt_plan *p, const char *path, unsigned long flags)
{
	mnt_expect_size(p, path, flags, 0);
}

/*
 * tmpfs is half of RAM unless told otherwise, and what a service writes
 * there stays until its namespace is gone: every private tmpfs gets a size,
 * and as many inodes as one per KiB of it (at least 1024), since inodes
 * are memory too.
 */
void mnt_tmpfs_data(char *buf, size_t n, const char *mode, uint64_t size)
{
	uint64_t inodes = size / 1024 < 1024 ? 1024 : size / 1024;

	snprintf(buf, n, "mode=%s,size=%llu,nr_inodes=%llu", mode, (unsigned long long)size,
		 (unsigned long long)inodes);
}

static int do_mount(const char *step, const char *src, const char *dst, const char *type,
		    unsigned long flags, const char *data, struct nerr *e)
{
	if (mount(src, dst, type, flags, data) < 0)
		return nerr_set(e, step, errno, "mount %s on %s: %s",
				type ? type : (src ? src : "(none)"), dst, strerror(errno));
	return 0;
}

/*
 * Adds flags to the mount at @path (and below it with @rec) without
 * touching the others: mount_setattr(2) keeps flags that are locked in a
 * user namespace, where a bind remount that forgot one would fail.
 */
int mnt_flags(const char *step, const char *path, unsigned long flags, bool rec, struct nerr *e)
{
	struct attr a = {0};

	if (flags & MS_RDONLY)
		a.set |= 0x1; /* MOUNT_ATTR_RDONLY */
	if (flags & MS_NOSUID)
		a.set |= 0x2;
	if (flags & MS_NODEV)
		a.set |= 0x4;
	if (flags & MS_NOEXEC)
		a.set |= 0x8;
	if (syscall(SYS_mount_setattr, AT_FDCWD, path, rec ? AT_RECURSIVE : 0, &a, sizeof(a)) == 0)
		return 0;
	if (errno == ENOSYS && mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
		return 0;
	return nerr_set(e, step, errno, "remount %s%s%s%s%s: %s", path,
			flags & MS_RDONLY ? " ro" : "", flags & MS_NOSUID ? " nosuid" : "",
			flags & MS_NODEV ? " nodev" : "", flags & MS_NOEXEC ? " noexec" : "",
			strerror(errno));
}

static int make_dir(const char *step, const char *path, mode_t mode, struct nerr *e)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return nerr_set(e, step, errno, "mkdir %s: %s", path, strerror(errno));
	return 0;
}

static int make_file(const char *step, const char *path, struct nerr *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return nerr_set(e, step, errno, "create %s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

/* A tmpfs of @size bytes at @rel of the new root, created if missing. */
static int tmpfs_at(struct mnt_plan *p, const char *step, const char *rel, unsigned long flags,
		    const char *mode, uint64_t size, struct nerr *e)
{
	char path[4096], data[128];

	R(p, rel, path, sizeof(path));
	mnt_tmpfs_data(data, sizeof(data), mode, size);
	if (make_dir(step, path, 0755, e) || do_mount(step, "tmpfs", path, "tmpfs", flags, data, e))
		return -EIO;
	mnt_expect_size(p, rel, flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), size);
	return 0;
}

/* ---- the root ---- */

static int root_host_dirs(struct mnt_plan *p, struct nerr *e)
{
	static const char *const dirs[] = {"/bin",   "/sbin",	"/lib", "/lib64",
					   "/lib32", "/libx32", "/usr", "/etc"};
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV;
	char path[4096], target[4096];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct stat st;
		ssize_t n;
		int r;

		if (lstat(dirs[i], &st) < 0)
			continue; /* not on this host */
		R(p, dirs[i], path, sizeof(path));
		if (S_ISLNK(st.st_mode)) {
			/* merged /usr: /bin -> usr/bin stays a link into our /usr */
			n = readlink(dirs[i], target, sizeof(target) - 1);
			if (n < 0)
				return nerr_set(e, "root", errno, "readlink %s: %s", dirs[i],
						strerror(errno));
			target[n] = '\0';
			if (symlink(target, path) < 0)
				return nerr_set(e, "root", errno, "symlink %s: %s", path,
						strerror(errno));
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (make_dir("root", path, 0755, e))
			return -EIO;
		r = strcmp(dirs[i], "/etc") ? 1 : hide_bind_etc(p, path, e);
		if (r < 0 ||
		    (r > 0 && (do_mount("root", dirs[i], path, NULL, MS_BIND | MS_REC, NULL, e) ||
			       mnt_flags("root", path, ro, true, e))))
			return -EIO;
		mnt_expect(p, dirs[i], ro);
	}
	return 0;
}

static bool root_is_host(const struct svc_conf *c)
{
	return !c->root || !strcmp(c->root, "host");
}

/*
 * The root's own flags: host directories are never a source of devices or
 * setuid binaries; a `root = DIR` image is never one of devices, and of
 * setuid binaries only where no_new_privileges = no lets them work at all.
 */
static unsigned long root_flags(const struct svc_conf *c)
{
	if (root_is_host(c))
		return MS_RDONLY | MS_NOSUID | MS_NODEV;
	return MS_RDONLY | MS_NODEV | (c->no_new_privileges ? MS_NOSUID : 0);
}

/* root = DIR: a directory once its symlinks are resolved, and not a refused one. */
static int root_dir(struct mnt_plan *p, struct nerr *e)
{
	const char *dir = p->c->root, *bad;
	char fdp[64];
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return nerr_set(e, "root", errno, "%s: %s", dir,
				errno == ENOTDIR ? "not a directory" : strerror(errno));
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
	r = path_of_fd(fd, p->root_buf, sizeof(p->root_buf));
	if (r) {
		close(fd);
		return nerr_set(e, "root", -r, "%s: %s", dir, strerror(-r));
	}
	p->root_real = p->root_buf;
	if ((bad = volume_source_refused(p->root_buf))) {
		close(fd);
		return nerr_set(e, "root", EPERM, "%s: resolves to %s, under the refused %s", dir,
				p->root_buf, bad);
	}
	/* the directory checked is the one bound: through its fd */
	r = do_mount("root", fdp, p->newroot, NULL, MS_BIND, NULL, e);
	close(fd);
	return r;
}

/* Mounts the new root on p->newroot and enters it: "." from here on. */
static int make_root(struct mnt_plan *p, struct nerr *e)
{
	if (!root_is_host(p->c)) {
		if (root_dir(p, e))
			return -EIO;
	} else {
		/* uid=0 is the namespace's root: ours once we become it */
		if (do_mount("root", "tmpfs", p->newroot, "tmpfs", MS_NOSUID | MS_NODEV,
			     "mode=0755,size=1m,uid=0,gid=0", e))
			return -EIO;
	}
	mnt_expect(p, "/", root_flags(p->c));
	if (chdir(p->newroot) < 0)
		return nerr_set(e, "root", errno, "chdir %s: %s", p->newroot, strerror(errno));
	p->newroot = ".";
	return 0;
}

/* ---- /dev ---- */

static int make_dev(struct mnt_plan *p, struct nerr *e)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	static const char *const links[][2] = {{"fd", "/proc/self/fd"},
					       {"stdin", "/proc/self/fd/0"},
					       {"stdout", "/proc/self/fd/1"},
					       {"stderr", "/proc/self/fd/2"},
					       {"ptmx", "pts/ptmx"}};
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char path[4096], host[64];

	if (tmpfs_at(p, "dev", "/dev", fl, "0755", 64 * 1024, e))
		return -EIO;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		if (access(host, F_OK) < 0 && !strcmp(nodes[i], "tty"))
			continue; /* no controlling-terminal device on this host */
		R(p, host, path, sizeof(path));
		if (make_file("dev", path, e) ||
		    do_mount("dev", host, path, NULL, MS_BIND, NULL, e) ||
		    mnt_flags("dev", path, MS_NOSUID | MS_NOEXEC, false, e))
			return -EIO;
		mnt_expect(p, host, MS_NOSUID | MS_NOEXEC);
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		snprintf(host, sizeof(host), "/dev/%s", links[i][0]);
		if (symlink(links[i][1], R(p, host, path, sizeof(path))) < 0)
			return nerr_set(e, "dev", errno, "symlink %s: %s", path, strerror(errno));
	}
	if (tmpfs_at(p, "dev", "/dev/shm", fl, "1777", p->c->shm_size, e))
		return -EIO;
	R(p, "/dev/pts", path, sizeof(path));
	if (make_dir("dev", path, 0755, e) ||
	    do_mount("dev", "devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620", e))
		return -EIO;
	mnt_expect(p, "/dev/pts", MS_NOSUID | MS_NOEXEC);
	return 0;
}

/* ---- /proc and /sys ---- */

static int mask_proc(struct mnt_plan *p, struct nerr *e)
{
	static const char *const files[] = {"kcore",	     "kallsyms",      "keys",
					    "sysrq-trigger", "timer_list",    "timer_stats",
					    "sched_debug",   "kpagecount",    "kpageflags",
					    "kpagecgroup",   "latency_stats", "config.gz"};
	static const char *const dirs[] = {"acpi", "scsi", "asound"};
	static const char *const ro[] = {"bus", "fs", "irq", "sys"};
	char path[4096], rel[64], null[4096];

	R(p, "/dev/null", null, sizeof(null));
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(rel, sizeof(rel), "/proc/%s", files[i]);
		if (access(R(p, rel, path, sizeof(path)), F_OK) < 0)
			continue;
		if (do_mount("proc", null, path, NULL, MS_BIND, NULL, e) ||
		    mnt_flags("proc", path, MS_RDONLY | MS_NOSUID | MS_NOEXEC, false, e))
			return -EIO;
		mnt_expect(p, rel, MS_RDONLY);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(rel, sizeof(rel), "/proc/%s", dirs[i]);
		if (access(R(p, rel, path, sizeof(path)), F_OK) < 0)
			continue;
		if (do_mount("proc", "tmpfs", path, "tmpfs",
			     MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555", e))
			return -EIO;
		mnt_expect(p, rel, MS_RDONLY);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++) {
		snprintf(rel, sizeof(rel), "/proc/%s", ro[i]);
		if (access(R(p, rel, path, sizeof(path)), F_OK) < 0)
			continue;
		if (do_mount("proc", path, path, NULL, MS_BIND | MS_REC, NULL, e) ||
		    mnt_flags("proc", path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true, e))
			return -EIO;
		mnt_expect(p, rel, MS_RDONLY);
	}
	return 0;
}

static int make_proc_sys(struct mnt_plan *p, struct nerr *e)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char path[4096];

	R(p, "/proc", path, sizeof(path));
	if (make_dir("proc", path, 0555, e) ||
	    do_mount("proc", "proc", path, "proc", fl, p->id->uid ? "hidepid=2" : NULL, e))
		return -EIO;
	mnt_expect(p, "/proc", fl);
	if (mask_proc(p, e))
		return -EIO;
	R(p, "/sys", path, sizeof(path));
	if (make_dir("sys", path, 0555, e))
		return -EIO;
	if (mount("sysfs", path, "sysfs", fl | MS_RDONLY, NULL) < 0) {
		/* a user namespace without its own network may not mount sysfs */
		if (errno != EPERM)
			return nerr_set(e, "sys", errno, "mount sysfs on %s: %s", path,
					strerror(errno));
		if (do_mount("sys", "/sys", path, NULL, MS_BIND | MS_REC, NULL, e) ||
		    mnt_flags("sys", path, fl | MS_RDONLY, true, e))
			return -EIO;
	}
	mnt_expect(p, "/sys", fl | MS_RDONLY);
	R(p, "/sys/firmware", path, sizeof(path));
	if (access(path, F_OK) == 0 &&
	    do_mount("sys", "tmpfs", path, "tmpfs", fl | MS_RDONLY, "size=4k,mode=0555", e))
		return -EIO;
	return 0;
}

/* ---- /tmp, /run ---- */

static int resolv_conf(struct mnt_plan *p, struct nerr *e);

static int make_tmp_run(struct mnt_plan *p, struct nerr *e)
{
	char path[4096], src[64];

	if (tmpfs_at(p, "tmp", "/tmp", MS_NOSUID | MS_NODEV, "1777", p->c->tmp_size, e) ||
	    tmpfs_at(p, "run", "/run", MS_NOSUID | MS_NODEV, "0755", p->c->run_size, e))
		return -EIO;
	if (p->dns && p->dns[0] && resolv_conf(p, e))
		return -EIO;
	if (p->notify_fd < 0)
		return 0;
	/* sd_notify: the supervisor's socket, bound into the private /run */
	snprintf(src, sizeof(src), "/proc/self/fd/%d", p->notify_fd);
	if (make_dir("run", R(p, "/run/nucleus", path, sizeof(path)), 0755, e) ||
	    make_file("run", R(p, MNT_NOTIFY_SOCKET, path, sizeof(path)), e) ||
	    do_mount("run", src, path, NULL, MS_BIND, NULL, e) ||
	    mnt_flags("run", path, MS_NOSUID | MS_NODEV | MS_NOEXEC, false, e))
		return -EIO;
	return 0;
}

/*
 * A bridged service's /etc/resolv.conf names the [interface] nameservers:
 * a file of the private /run bound over it, or, when the root's
 * resolv.conf is a link into /run, the file it points at.
 */
static int resolv_conf(struct mnt_plan *p, struct nerr *e)
{
	char path[4096], target[512], text[1024];
	const char *file = NULL;
	struct stat st;
	size_t o = 0;
	ssize_t n;
	int fd;

	for (int i = 0; p->dns[i] && o < sizeof(text) - 64; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "nameserver %s\n", p->dns[i]);
	if (lstat(R(p, "/etc/resolv.conf", path, sizeof(path)), &st) < 0)
		return 0; /* the root has none: nothing to point anywhere */
	if (S_ISLNK(st.st_mode)) {
		char raw[512];

		n = readlink(path, raw, sizeof(raw) - 1);
		if (n <= 0)
			return 0;
		raw[n] = '\0';
		/* "../run/systemd/resolve/stub-resolv.conf" is relative to /etc */
		snprintf(path, sizeof(path), "%s%s", raw[0] == '/' ? "" : "/etc/", raw);
		if (path_norm(path, target, sizeof(target)) || strncmp(target, "/run/", 5))
			return 0;
		file = target;
	}
	if (!file)
		file = "/run/nucleus/resolv.conf";
	R(p, file, path, sizeof(path));
	*strrchr(path, '/') = '\0';
	n = mkdir_p(path, 0755);
	if (n < 0)
		return nerr_set(e, "network", (int)-n, "resolv.conf: mkdir %s: %s", path,
				strerror((int)-n));
	fd = open(R(p, file, path, sizeof(path)), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, o) != (ssize_t)o) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return nerr_set(e, "network", err, "resolv.conf: %s: %s", file, strerror(err));
	}
	close(fd);
	if (file == target)
		return 0;
	{
		char dst[4096];

		R(p, "/etc/resolv.conf", dst, sizeof(dst));
		if (do_mount("network", path, dst, NULL, MS_BIND, NULL, e) ||
		    mnt_flags("network", dst, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, false,
			      e))
			return -EIO;
	}
	return 0;
}

/* ---- volumes ---- */

/* Opens a bind volume's source and checks where it really is. */
static int volume_open(const char *src, struct mnt_src *v, struct nerr *e)
{
	char real[4096];
	const char *bad;
	struct stat st;
	int r;

	v->fd = open(src, O_PATH | O_CLOEXEC);
	if (v->fd < 0)
		return nerr_set(e, "volumes", errno, "%s: %s", src, strerror(errno));
	if ((r = path_of_fd(v->fd, real, sizeof(real))) || (fstat(v->fd, &st) < 0 && (r = -errno)))
		return nerr_set(e, "volumes", -r, "%s: %s", src, strerror(-r));
	/* the contract's refusals again, now that symlinks and .. are resolved */
	if ((bad = volume_source_refused(real)))
		return nerr_set(e, "volumes", EPERM, "%s: resolves to %s, under the refused %s",
				src, real, bad);
	v->isdir = S_ISDIR(st.st_mode);
	return 0;
}

static int volume_bind(struct mnt_plan *p, int rootfd, const struct mnt_src *v, const char *src,
		       const char *dst, bool rw, struct nerr *e)
{
	char fdp[64], dfdp[64], path[4096];
	int dfd, r;

	dfd = path_make_beneath(rootfd, dst, !v->isdir);
	if (dfd < 0)
		return nerr_set(e, "volumes", -dfd, "%s: %s", dst,
				dfd == -ELOOP ? "a symlink in the path" : strerror(-dfd));
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", v->fd);
	snprintf(dfdp, sizeof(dfdp), "/proc/self/fd/%d", dfd);
	if (mount(fdp, dfdp, NULL, MS_BIND | MS_REC, NULL) < 0) {
		r = nerr_set(e, "volumes", errno, "bind %s on %s: %s", src, dst, strerror(errno));
	} else {
		unsigned long fl = MS_NOSUID | MS_NODEV | (rw ? 0 : MS_RDONLY);

		r = mnt_flags("volumes", R(p, dst, path, sizeof(path)), fl, true, e);
		if (!r)
			mnt_expect(p, dst, fl);
	}
	close(dfd);
	return r;
}

static int volume_tmpfs(struct mnt_plan *p, int rootfd, const char *dst, const char *size,
			struct nerr *e)
{
	char data[128], path[4096];
	uint64_t bytes = p->c->tmp_size;
	int dfd;

	if (size && (parse_size(size, &bytes) || !bytes))
		return nerr_set(e, "volumes", EINVAL, "tmpfs:%s: bad size %s", dst, size);
	dfd = path_make_beneath(rootfd, dst, false);
	if (dfd < 0)
		return nerr_set(e, "volumes", -dfd, "%s: %s", dst,
				dfd == -ELOOP ? "a symlink in the path" : strerror(-dfd));
	close(dfd);
	mnt_tmpfs_data(data, sizeof(data), "1777", bytes);
	if (do_mount("volumes", "tmpfs", R(p, dst, path, sizeof(path)), "tmpfs",
		     MS_NOSUID | MS_NODEV, data, e))
		return -EIO;
	mnt_expect_size(p, dst, MS_NOSUID | MS_NODEV, bytes);
	return 0;
}

/* SRC, DEST (normalised) and the options of one volume item. */
static int volume_item(const char *in, char *item, size_t size, char **src, char *dst, size_t dsize,
		       char **opt, struct nerr *e)
{
	char *d;

	snprintf(item, size, "%s", in);
	*src = item;
	d = strchr(item, ':');
	if (!d)
		return nerr_set(e, "volumes", EINVAL, "%s: expected SRC:DEST", item);
	*d++ = '\0';
	*opt = strchr(d, ':');
	if (*opt)
		*(*opt)++ = '\0';
	if (path_norm(d, dst, dsize) || volume_dest_refused(dst))
		return nerr_set(e, "volumes", EPERM, "%s: destination refused", d);
	return 0;
}

static int open_volumes(struct mnt_plan *p, struct nerr *e)
{
	char **vols = p->c->volumes;

	for (int i = 0; vols && vols[i]; i++) {
		char item[4096], dst[4096], *src, *opt;

		if (i == MNT_MAX_VOLUMES)
			return nerr_set(e, "volumes", E2BIG, "more than %d volumes",
					MNT_MAX_VOLUMES);
		if (volume_item(vols[i], item, sizeof(item), &src, dst, sizeof(dst), &opt, e))
			return -EINVAL;
		if (strcmp(src, "tmpfs") && volume_open(src, &p->vol[i], e))
			return -EIO;
	}
	return 0;
}

static int make_volumes(struct mnt_plan *p, struct nerr *e)
{
	int rootfd, r = 0;

	if (!p->c->volumes)
		return 0;
	rootfd = open(p->newroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return nerr_set(e, "volumes", errno, "the new root: %s", strerror(errno));
	for (int i = 0; !r && p->c->volumes[i]; i++) {
		char item[4096], dst[4096], *src, *opt;
		struct volume_opts vo;
		const char *why;

		r = volume_item(p->c->volumes[i], item, sizeof(item), &src, dst, sizeof(dst), &opt,
				e);
		if (r)
			break;
		if (!strcmp(src, "tmpfs"))
			r = volume_tmpfs(p, rootfd, dst, opt, e);
		else if (volume_opts_parse(opt, &vo, &why))
			r = nerr_set(e, "volumes", EINVAL, "%s:%s:%s: %s", src, dst, opt, why);
		else
			r = volume_bind(p, rootfd, &p->vol[i], src, dst, vo.rw, e);
	}
	close(rootfd);
	return r;
}

/* ---- pivot ---- */

/*
 * The initramfs (rootfs) cannot be pivoted away from: pivot_root(2) wants
 * the current root to be a mount with a parent. A recursive bind of / onto
 * the new root's directory, entered, is such a mount; pivot_root from
 * there then detaches it like any other old root.
 */
static int rootfs_prepare(struct mnt_plan *p, struct nerr *e)
{
	if (do_mount("pivot_root", "/", p->newroot, NULL, MS_BIND | MS_REC, NULL, e))
		return -EIO;
	if (chroot(p->newroot) < 0 || chdir("/") < 0)
		return nerr_set(e, "pivot_root", errno, "entering the bind of the initramfs: %s",
				strerror(errno));
	return 0;
}

static int do_pivot(struct mnt_plan *p, struct nerr *e)
{
	if (chdir(p->newroot) < 0)
		return nerr_set(e, "pivot_root", errno, "chdir %s: %s", p->newroot,
				strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return nerr_set(e, "pivot_root", errno, "pivot_root %s: %s", p->newroot,
				strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		return nerr_set(e, "pivot_root", errno, "detaching the old root: %s",
				strerror(errno));
	if (chdir("/") < 0)
		return nerr_set(e, "pivot_root", errno, "chdir /: %s", strerror(errno));
	return 0;
}

static void close_sources(struct mnt_plan *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->vol); i++)
		if (p->vol[i].fd >= 0)
			close(p->vol[i].fd);
	for (size_t i = 0; i < ARRAY_SIZE(p->sec); i++)
		if (p->sec[i].fd >= 0)
			close(p->sec[i].fd);
	if (p->notify_fd >= 0)
		close(p->notify_fd);
	p->notify_fd = -1;
}

int mnt_prepare(struct mnt_plan *p, struct nerr *e)
{
	p->nexp = 0;
	p->notify_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(p->vol); i++)
		p->vol[i].fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(p->sec); i++)
		p->sec[i].fd = -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return nerr_set(e, "mount", errno, "making / private: %s", strerror(errno));
	if (p->rootfs && rootfs_prepare(p, e))
		return -EIO;
	if (p->notify_socket) {
		p->notify_fd = open(p->notify_socket, O_PATH | O_CLOEXEC);
		if (p->notify_fd < 0)
			return nerr_set(e, "run", errno, "%s: %s", p->notify_socket,
					strerror(errno));
	}
	if (open_volumes(p, e) || secrets_open(p, e))
		return -EIO;
	return make_root(p, e);
}

int mnt_build(struct mnt_plan *p, struct nerr *e)
{
	char path[4096];
	int r = 0;

	if (root_is_host(p->c))
		r = root_host_dirs(p, e);
	if (!r && (make_dev(p, e) || hide_mount(p, e) || make_proc_sys(p, e) ||
		   make_tmp_run(p, e) || make_volumes(p, e) || secrets_setup(p, e)))
		r = -EIO;
	close_sources(p);
	if (r)
		return r;
	/* the last writes are done: /dev and the root itself go read-only */
	if (mnt_flags("dev", R(p, "/dev", path, sizeof(path)), MS_RDONLY, false, e) ||
	    mnt_flags("root", p->newroot, root_flags(p->c), false, e))
		return -EIO;
	mnt_expect(p, "/dev", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	if (do_pivot(p, e))
		return -EIO;
	return mnt_verify(p, e);
}

/* ---- mountinfo ---- */

void mnt_unescape(char *s)
{
	char *o = s;

	for (char *i = s; *i; i++) {
		if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7' &&
		    i[3] >= '0' && i[3] <= '7') {
			*o++ = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
			i += 3;
		} else {
			*o++ = *i;
		}
	}
	*o = '\0';
}

unsigned long mnt_opts_flags(const char *opts)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} known[] = {{"ro", MS_RDONLY},
		     {"nosuid", MS_NOSUID},
		     {"nodev", MS_NODEV},
		     {"noexec", MS_NOEXEC}};
	unsigned long f = 0;

	while (*opts) {
		size_t n = strcspn(opts, ",");

		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			if (strlen(known[i].name) == n && !strncmp(opts, known[i].name, n))
				f |= known[i].flag;
		opts += n;
		if (*opts == ',')
			opts++;
	}
	return f;
}

uint64_t mnt_opts_size(const char *opts)
{
	while (opts && *opts) {
		size_t n = strcspn(opts, ",");

		if (!strncmp(opts, "size=", 5)) {
			char *end;
			uint64_t v = strtoull(opts + 5, &end, 10);

			if (*end == 'k')
				v <<= 10;
			else if (*end == 'm')
				v <<= 20;
			else if (*end == 'g')
				v <<= 30;
			return v;
		}
		opts += n;
		if (*opts == ',')
			opts++;
	}
	return 0;
}

/*
 * Fields 5 and 6 of a mountinfo line, mount point and per-mount options,
 * and, with @super, the super block's options after the " - " separator.
 */
static bool parse_line(char *line, char **point, char **opts, char **super)
{
	char *save = NULL, *f = strtok_r(line, " ", &save);

	for (int i = 1; f && i < 6; i++) {
		f = strtok_r(NULL, " ", &save);
		if (i == 4)
			*point = f;
	}
	*opts = f;
	if (!*point || !*opts)
		return false;
	mnt_unescape(*point);
	if (super) {
		*super = NULL;
		while ((f = strtok_r(NULL, " ", &save)) && strcmp(f, "-"))
			;
		/* fstype, source, then the options */
		if (f && strtok_r(NULL, " ", &save) && strtok_r(NULL, " ", &save))
			*super = strtok_r(NULL, " \n", &save);
	}
	return true;
}

/*
 * A tmpfs of @size bytes reports its size in KiB, rounded up to pages, and
 * not at all when it is tmpfs's default (half of the memory).
 */
static bool size_is(uint64_t have, uint64_t want)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), pages = (want + page - 1) / page;
	struct sysinfo si;

	if (!have && sysinfo(&si) == 0)
		return pages == (uint64_t)si.totalram * si.mem_unit / page / 2;
	return have == pages * page;
}

int mnt_verify(const struct mnt_plan *p, struct nerr *e)
{
	unsigned long have[MNT_MAX_EXPECT] = {0};
	uint64_t size[MNT_MAX_EXPECT] = {0};
	bool seen[MNT_MAX_EXPECT] = {false};
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	if (!fp)
		return nerr_set(e, "mountinfo", errno, "/proc/self/mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		char *point = NULL, *opts = NULL, *super = NULL;

		if (!parse_line(line, &point, &opts, &super))
			continue;
		/* the last line of a mount point is the mount on top */
		for (int i = 0; i < p->nexp; i++) {
			if (!strcmp(point, p->exp[i].path)) {
				seen[i] = true;
				have[i] = mnt_opts_flags(opts);
				size[i] = mnt_opts_size(super);
			}
		}
	}
	fclose(fp);
	for (int i = 0; i < p->nexp; i++) {
		unsigned long miss = p->exp[i].flags & ~have[i];

		if (!seen[i])
			return nerr_set(e, "mountinfo", ENOENT, "%s: not mounted", p->exp[i].path);
		if (miss)
			return nerr_set(e, "mountinfo", EPERM, "%s: mounted without%s%s%s%s",
					p->exp[i].path, miss & MS_RDONLY ? " ro" : "",
					miss & MS_NOSUID ? " nosuid" : "",
					miss & MS_NODEV ? " nodev" : "",
					miss & MS_NOEXEC ? " noexec" : "");
		if (p->exp[i].size && !size_is(size[i], p->exp[i].size))
			return nerr_set(e, "mountinfo", EPERM,
					"%s: a tmpfs of %llu bytes, not the %llu asked for",
					p->exp[i].path, (unsigned long long)size[i],
					(unsigned long long)p->exp[i].size);
	}
	return 0;
}

bool mnt_root_is_rootfs(void)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool rootfs = false;

	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		char copy[4096], *point = NULL, *opts = NULL, *dash;

		snprintf(copy, sizeof(copy), "%s", line);
		if (!parse_line(copy, &point, &opts, NULL) || strcmp(point, "/"))
			continue;
		dash = strstr(line, " - ");
		rootfs = dash && !strncmp(dash + 3, "rootfs ", 7);
	}
	fclose(fp);
	return rootfs;
}
