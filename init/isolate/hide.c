// SPDX-License-Identifier: MIT
/*
 * hide.c - the host files a service must not read: PID 1's walk of /etc
 * (kept, and watched with inotify), and the child's masks over them.
 */
#include "isolate/hide.h"
#include "isolate/mount.h"
#include "isolate/path.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HIDE_DIR       "/etc"
#define HIDE_MAX_DEPTH 32
#define WATCH_EVENTS                                                                               \
	(IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |        \
	 IN_MOVE_SELF | IN_DONT_FOLLOW | IN_ONLYDIR)

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define OPEN_TREE_CLONE_	 1
#define AT_RECURSIVE_		 0x8000
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x4
#define MOUNT_ATTR_RDONLY_	 0x1
#define MOUNT_ATTR_NOSUID_	 0x2
#define MOUNT_ATTR_NODEV_	 0x4
#define MOUNT_ATTR_IDMAP_	 0x100000

struct mount_attr_ {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static struct hide_set current = {.idmap_fd = -1};
static bool walked, watching, decided, no_idmap;
static int watch_fd = -1;

/* ---- PID 1: the walk ---- */

static bool closed_to_others(mode_t m)
{
	if (S_ISDIR(m))
		return (m & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH);
	return !(m & S_IROTH);
}

static int add_closed(struct hide_set *h, const char *path, const struct stat *st)
{
	struct hide_entry *v;

	if (h->nclosed >= HIDE_MAX_ENTRIES)
		return -E2BIG;
	v = realloc(h->closed, sizeof(*v) * (size_t)(h->nclosed + 1));
	if (!v)
		return -ENOMEM;
	h->closed = v;
	v[h->nclosed].path = strdup(path);
	if (!v[h->nclosed].path)
		return -ENOMEM;
	v[h->nclosed].uid = st->st_uid;
	v[h->nclosed].gid = st->st_gid;
	v[h->nclosed].mode = st->st_mode;
	h->nclosed++;
	return 0;
}

struct dirent64_raw {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* One entry of the directory at @dfd, whose path is @path[0..len). */
static int walk_entry(int dfd, const char *name, char *path, size_t len, int depth,
		      struct hide_set *h, int wfd);

/*
 * getdents64 with a large buffer and d_type: symlinks (most of /etc/ssl,
 * /etc/alternatives) need no stat at all; this walk runs in PID 1.
 */
static int walk_at(int dfd, char *path, size_t len, int depth, struct hide_set *h, int wfd)
{
	char buf[32768] __attribute__((aligned(8)));
	long n;
	int r = 0;

	if (wfd >= 0 && inotify_add_watch(wfd, path, WATCH_EVENTS) < 0)
		r = -errno;
	while (!r && (n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long o = 0; !r && o < n;) {
			struct dirent64_raw *d = (struct dirent64_raw *)(void *)(buf + o);

			o += d->reclen;
			if (d->type == DT_LNK || !strcmp(d->name, ".") || !strcmp(d->name, ".."))
				continue;
			r = walk_entry(dfd, d->name, path, len, depth, h, wfd);
		}
	}
	close(dfd);
	return r;
}

static int walk_entry(int dfd, const char *name, char *path, size_t len, int depth,
		      struct hide_set *h, int wfd)
{
	size_t n = strlen(name);
	struct stat st;
	int r = 0;

	if (len + 1 + n >= PATH_MAX || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    S_ISLNK(st.st_mode))
		return 0;
	snprintf(path + len, PATH_MAX - len, "/%s", name);
	if (closed_to_others(st.st_mode)) {
		r = add_closed(h, path, &st);
	} else if (S_ISDIR(st.st_mode) && depth < HIDE_MAX_DEPTH) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sub >= 0)
			r = walk_at(sub, path, len + 1 + n, depth + 1, h, wfd);
	}
	path[len] = '\0';
	return r;
}

int hide_walk(const char *dir, struct hide_set *h, int wfd)
{
	char path[PATH_MAX];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(path, sizeof(path), "%s", dir);
	return walk_at(fd, path, strlen(path), 0, h, wfd);
}

void hide_free_closed(struct hide_set *h)
{
	for (int i = 0; i < h->nclosed; i++)
		free(h->closed[i].path);
	free(h->closed);
	h->closed = NULL;
	h->nclosed = 0;
}

/* Did anything change under /etc since the walk? Reads every pending event. */
static bool changed(void)
{
	char buf[4096] __attribute__((aligned(8)));
	bool any = false;

	if (!watching)
		return true;
	while (read(watch_fd, buf, sizeof(buf)) > 0)
		any = true;
	return any;
}

static void rewalk(void)
{
	static bool warned;
	int r;

	hide_free_closed(&current);
	/* never closed: tearing an inotify instance down waits for an RCU
	 * grace period, milliseconds PID 1 would stand still */
	if (watch_fd < 0)
		watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	r = hide_walk(HIDE_DIR, &current, watch_fd);
	watching = watch_fd >= 0 && r != -ENOSPC && r != -EMFILE;
	if (!watching) {
		/* out of watches: the list is still whole, just not watched */
		hide_free_closed(&current);
		r = hide_walk(HIDE_DIR, &current, -1);
	}
	if (r && !warned) {
		log_warn("%s: not every file closed to others could be listed (%s); those left "
			 "out are readable by root services",
			 HIDE_DIR, strerror(-r));
		warned = true;
	} else if (!watching && !warned) {
		log_warn("%s: no inotify watch: it is walked again at every start", HIDE_DIR);
		warned = true;
	}
	walked = true;
}

/*
 * The user namespace of the idmapped /etc: every id but 0 maps to itself,
 * so the host's root (uid 0, gid 0) owns nothing there. A child is cloned
 * into a new user namespace only to give it its maps and an fd; it is
 * killed at once (and reaped like any orphan).
 */
static int idmap_userns(void)
{
	static const char map[] = "1 1 4294967294\n";
	char path[64];
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0L, 0L, 0L, 0L);
	int fd = -1;

	if (pid == 0) {
		for (;;)
			pause();
	}
	if (pid < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%ld/uid_map", pid);
	if (write_text(AT_FDCWD, path, map) == 0) {
		snprintf(path, sizeof(path), "/proc/%ld/gid_map", pid);
		if (write_text(AT_FDCWD, path, map) == 0) {
			snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	kill((pid_t)pid, SIGKILL);
	return fd >= 0 ? fd : -(errno ? errno : EIO);
}

/* A detached idmapped copy of @dir, or -errno. */
static int idmapped_tree(const char *dir, int userns)
{
	struct mount_attr_ a = {.attr_set = MOUNT_ATTR_IDMAP_ | MOUNT_ATTR_RDONLY_ |
					    MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_,
				.userns_fd = (uint64_t)userns};
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, dir,
				OPEN_TREE_CLONE_ | O_CLOEXEC | AT_RECURSIVE_);

	if (tree < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE_, &a, sizeof(a)) <
	    0) {
		int err = errno;

		close(tree);
		return -err;
	}
	return tree;
}

void hide_without_idmap(void)
{
	no_idmap = true;
}

/*
 * Whether /etc's file system may take an idmapped mount at all: the probe
 * costs a clone and a mount, milliseconds on a slow machine, so the file
 * systems known to refuse (an initramfs, squashfs, erofs) are not tried.
 */
static bool may_idmap(void)
{
	struct statfs sf;
	struct utsname u;
	unsigned major = 0, minor = 0;
	char *end;

	if (statfs(HIDE_DIR, &sf) < 0)
		return false;
	switch ((unsigned long)sf.f_type) {
	case 0x858458f6: /* ramfs */
	case 0x73717368: /* squashfs */
	case 0xe0f5e1e2: /* erofs */
		return false;
	case 0x01021994: /* tmpfs: from Linux 6.3 */
		if (uname(&u) < 0)
			return true;
		major = (unsigned)strtoul(u.release, &end, 10);
		minor = *end == '.' ? (unsigned)strtoul(end + 1, NULL, 10) : 0;
		return major > 6 || (major == 6 && minor >= 3);
	default:
		return true; /* ext4, xfs, btrfs and the rest: the probe tells */
	}
}

/* Idmap when this kernel and /etc's file system can, else the walk. */
static void decide(void)
{
	int ns = no_idmap ? -EPERM : !may_idmap() ? -EOPNOTSUPP : idmap_userns();
	int tree = ns >= 0 ? idmapped_tree(HIDE_DIR, ns) : ns;

	decided = true;
	if (tree >= 0) {
		close(tree);
		current.idmap_fd = ns;
		log_debug("%s: idmapped for services (root's files are others')", HIDE_DIR);
		return;
	}
	if (ns >= 0)
		close(ns);
	log_debug("%s: no idmapped mounts here (%s): closed entries are covered", HIDE_DIR,
		  strerror(-tree));
}

const struct hide_set *hide_current(void)
{
	if (!decided)
		decide();
	if (current.idmap_fd < 0 && (!walked || changed())) {
		uint64_t t0 = now_us();

		rewalk();
		log_debug("%s walked: %d entries closed to others, %lluus", HIDE_DIR,
			  current.nclosed, (unsigned long long)(now_us() - t0));
	}
	return &current;
}

void hide_set_always(char **paths)
{
	for (int i = 0; current.always && current.always[i]; i++)
		free(current.always[i]);
	free(current.always);
	current.always = paths;
}

void hide_reset(void)
{
	hide_free_closed(&current);
	hide_set_always(NULL);
	if (watch_fd >= 0)
		close(watch_fd);
	if (current.idmap_fd >= 0)
		close(current.idmap_fd);
	current.idmap_fd = watch_fd = -1;
	walked = watching = decided = false;
}

/* ---- the child: masks ---- */

#define DAC_CAPS ((1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH))

static bool in_group(const struct ident *id, gid_t g)
{
	if (id->gid == g)
		return true;
	for (int i = 0; i < id->ngroups; i++)
		if (id->groups[i] == g)
			return true;
	return false;
}

/* Would this service read @h through the kernel's own checks? */
static bool applies(const struct mnt_plan *p, const struct hide_entry *h)
{
	const struct ident *id = p->id;

	if (p->userns)
		return false; /* host root's files are not the namespace root's */
	if (p->caps & DAC_CAPS)
		return !(h->uid == id->uid && id->uid != 0);
	return (h->uid == 0 && id->uid == 0) || (h->gid == 0 && in_group(id, 0));
}

static int mask_one(struct mnt_plan *p, const char *rel, const char *file, const char *dir,
		    struct nerr *e)
{
	char target[PATH_MAX];
	struct stat st;

	mnt_path(p, rel, target, sizeof(target));
	if (lstat(target, &st) < 0 || S_ISLNK(st.st_mode))
		return 0; /* gone since the walk, or not in this root */
	if (mount(S_ISDIR(st.st_mode) ? dir : file, target, NULL, MS_BIND, NULL) < 0)
		return nerr_set(e, "hide", errno, "cover %s: %s", rel, strerror(errno));
	return mnt_flags("hide", target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, false, e);
}

/* Where host path @path is in this root, or NULL when it is not there. */
static const char *in_root(const struct mnt_plan *p, const char *path)
{
	static const char *const bound[] = {"/bin",   "/sbin",	 "/lib", "/lib64",
					    "/lib32", "/libx32", "/usr", "/etc"};

	if (p->root_real) {
		size_t n = strlen(p->root_real);

		if (!path_under(path, p->root_real))
			return NULL;
		return path[n] ? path + n : "/";
	}
	for (size_t i = 0; i < ARRAY_SIZE(bound); i++)
		if (path_under(path, bound[i]))
			return path;
	return NULL;
}

static int mask_all(struct mnt_plan *p, const char *file, const char *dir, struct nerr *e)
{
	const struct hide_set *h = p->hide;

	for (int i = 0; !p->root_real && h->idmap_fd < 0 && i < h->nclosed; i++)
		if (applies(p, &h->closed[i]) && mask_one(p, h->closed[i].path, file, dir, e))
			return -EIO;
	for (int i = 0; h->always && h->always[i]; i++) {
		const char *rel = in_root(p, h->always[i]);

		if (rel && strcmp(rel, "/") && mask_one(p, rel, file, dir, e))
			return -EIO;
	}
	return 0;
}

int hide_bind_etc(struct mnt_plan *p, const char *target, struct nerr *e)
{
	int tree;

	if (!p->hide || p->hide->idmap_fd < 0 || p->userns)
		return 1;
	tree = idmapped_tree(HIDE_DIR, p->hide->idmap_fd);
	if (tree < 0)
		return nerr_set(e, "root", -tree, "idmapped bind of %s: %s", HIDE_DIR,
				strerror(-tree));
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH_) < 0) {
		int err = errno;

		close(tree);
		return nerr_set(e, "root", err, "idmapped bind of %s on %s: %s", HIDE_DIR, target,
				strerror(err));
	}
	close(tree);
	return 0;
}

int hide_mount(struct mnt_plan *p, struct nerr *e)
{
	char file[PATH_MAX], dir[PATH_MAX];
	int fd, r;

	if (!p->hide)
		return 0;
	/*
	 * The covers, made in our /dev and removed again once bound: for a
	 * file, a device node (0:0) on a nodev mount, which no capability
	 * opens (EACCES), or where mknod is not ours (a user namespace) an
	 * empty 0000 file; for a directory, an empty 0000 one.
	 */
	mnt_path(p, "/dev/.nucleus-hide", file, sizeof(file));
	mnt_path(p, "/dev/.nucleus-hide.d", dir, sizeof(dir));
	if (mknod(file, S_IFCHR, makedev(0, 0)) < 0) {
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
		if (fd >= 0)
			close(fd);
	} else {
		fd = 0;
	}
	if (fd < 0)
		return nerr_set(e, "hide", errno, "cover %s: %s", file, strerror(errno));
	if (mkdir(dir, 0) < 0)
		return nerr_set(e, "hide", errno, "cover %s: %s", dir, strerror(errno));
	r = mask_all(p, file, dir, e);
	unlink(file);
	rmdir(dir);
	return r;
}
