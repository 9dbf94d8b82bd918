// SPDX-License-Identifier: MIT
/*
 * owner.c - owned state directories: a bind volume's `owner` option.
 *
 * Like systemd's StateDirectory=, the source is made the service's before
 * the bind, so a service that runs as its own user needs no chown oneshot
 * holding CAP_CHOWN: created when missing (0750), then chowned, itself at
 * every start and what is below it only when it belonged to somebody else
 * (a tree that is already the user's is not walked again). The walk
 * lchowns through O_PATH fds opened with openat2(RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_XDEV): never through a symbolic link, never into another
 * mount, and no deeper than OWN_MAX_DEPTH. It runs in the service's setup
 * child before its capabilities go or, when the service has a user
 * namespace (whose root may not chown the host's files), in a helper forked
 * for it on the host's side: never in PID 1, which must not wait on a tree.
 */
#include "isolate/owner.h"
#include "isolate/path.h"
#include "isolate/ns.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define OWN_RESOLVE_NO_XDEV	0x01
#define OWN_RESOLVE_NO_SYMLINKS 0x04

/* struct open_how of linux/openat2.h (5.6) */
struct own_how {
	uint64_t flags, mode, resolve;
};

struct walk {
	uid_t uid;
	gid_t gid;
	dev_t dev;
	struct nerr *e;
	char path[4096]; /* of the entry at hand, for errors */
};

/* A long path's end, what fits an error: "..." and its last 160 bytes. */
static const char *path_end(const char *p, const char **dots)
{
	size_t n = strlen(p);

	*dots = n > 160 ? "..." : "";
	return n > 160 ? p + n - 160 : p;
}

static int walk_fail(struct walk *w, int err, const char *what)
{
	const char *dots, *end = path_end(w->path, &dots);

	return nerr_set(w->e, "volumes", err, "%s %s%s: %s", what, dots, end, strerror(err));
}

/*
 * @name below @dfd as an O_PATH fd of its own (of the link for a symbolic
 * link), or -EXDEV when it is another mount (or on another device).
 */
static int open_entry(int dfd, const char *name, dev_t dev)
{
	static bool no_openat2;
	struct own_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
			      .resolve = OWN_RESOLVE_NO_XDEV | OWN_RESOLVE_NO_SYMLINKS};
	struct stat st;
	int fd = -1;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, dfd, name, &how, sizeof(how));
		if (fd < 0 && errno != ENOSYS)
			return -errno;
		no_openat2 = fd < 0;
	}
	if (fd < 0 && (fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	/* without openat2 a mount of another device is still told apart */
	if (fstat(fd, &st) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	if (st.st_dev != dev) {
		close(fd);
		return -EXDEV;
	}
	return fd;
}

static int walk_dir(struct walk *w, int fd, int depth);

/* One entry below a directory: chowned, and walked when a directory. */
static int walk_entry(struct walk *w, int dfd, const char *name, int depth)
{
	struct stat st;
	int fd = open_entry(dfd, name, w->dev), dir;

	if (fd == -EXDEV)
		return 0; /* a mount on the tree is not the tree's to change */
	if (fd < 0)
		return walk_fail(w, -fd, "open");
	if (fstat(fd, &st) < 0 ||
	    fchownat(fd, "", w->uid, w->gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;

		close(fd);
		return walk_fail(w, err, "chown");
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return 0;
	}
	dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (dir < 0)
		return walk_fail(w, errno, "open");
	return walk_dir(w, dir, depth + 1);
}

/* The entries of the directory @fd (read, then closed) at w->path, @depth below the source. */
static int walk_dir(struct walk *w, int fd, int depth)
{
	size_t len = strlen(w->path);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (depth > OWN_MAX_DEPTH) {
		const char *dots, *end = path_end(w->path, &dots);

		close(fd);
		return nerr_set(w->e, "volumes", ELOOP, "chown %s%s: deeper than %d levels", dots,
				end, OWN_MAX_DEPTH);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return walk_fail(w, errno, "read");
	}
	while (!r) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			r = errno ? walk_fail(w, errno, "read") : 0;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + 1 + strlen(de->d_name) >= sizeof(w->path)) {
			r = walk_fail(w, ENAMETOOLONG, "chown");
			break;
		}
		snprintf(w->path + len, sizeof(w->path) - len, "/%s", de->d_name);
		r = walk_entry(w, dirfd(d), de->d_name, depth);
		w->path[len] = '\0';
	}
	closedir(d);
	return r;
}

int own_tree(int fd, const char *path, uid_t uid, gid_t gid, struct nerr *e)
{
	struct walk w = {.uid = uid, .gid = gid, .e = e};
	struct stat st;
	int dir;

	snprintf(w.path, sizeof(w.path), "%s", path);
	if (fstat(fd, &st) < 0)
		return walk_fail(&w, errno, "stat");
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return walk_fail(&w, errno, "chown");
	if (!S_ISDIR(st.st_mode) || (st.st_uid == uid && st.st_gid == gid))
		return 0;
	w.dev = st.st_dev;
	dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return walk_fail(&w, errno, "open");
	return walk_dir(&w, dir, 0);
}

/* The real path of @fd; "/" when it cannot be told, which is refused. */
static void real_path(int fd, char *real, size_t size)
{
	if (path_of_fd(fd, real, size))
		snprintf(real, size, "/");
}

/* The directory just made: 0750 whatever the umask. */
static int chmod_made(int pfd, const char *name, const char *src, struct nerr *e)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;

	if (fd < 0 || fchmod(fd, 0750) < 0)
		r = nerr_set(e, "volumes", errno, "chmod %s: %s", src, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * A missing source made: a directory of 0750 in its existing parent, once
 * the parent's real path with the new name is not a refused source.
 */
static int make_source(const char *src, struct nerr *e)
{
	char parent[4096], real[4096], *slash;
	const char *name, *bad;
	int pfd, r = 0;

	snprintf(parent, sizeof(parent), "%s", src);
	slash = strrchr(parent, '/');
	name = slash ? slash + 1 : "";
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return nerr_set(e, "volumes", ENOENT, "%s: %s", src, strerror(ENOENT));
	*slash = '\0';
	pfd = open(*parent ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return nerr_set(e, "volumes", errno, "%s: %s", src, strerror(errno));
	real_path(pfd, real, sizeof(real) - 256);
	snprintf(real + strlen(real), 256, "%s%s", strcmp(real, "/") ? "/" : "", name);
	if ((bad = volume_source_refused(real)))
		r = nerr_set(e, "volumes", EPERM, "%s: resolves to %s, under the refused %s", src,
			     real, bad);
	else if (mkdirat(pfd, name, 0750) < 0)
		r = errno == EEXIST
			    ? 0
			    : nerr_set(e, "volumes", errno, "mkdir %s: %s", src, strerror(errno));
	else
		r = chmod_made(pfd, name, src, e);
	close(pfd);
	return r;
}

/* The source, made when missing, as an O_PATH fd; never a refused one. */
static int open_source(const char *src, struct nerr *e)
{
	char real[4096];
	const char *bad;
	int fd = open(src, O_PATH | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (make_source(src, e))
			return -e->err;
		fd = open(src, O_PATH | O_CLOEXEC);
	}
	if (fd < 0)
		return nerr_set(e, "volumes", errno, "%s: %s", src, strerror(errno));
	real_path(fd, real, sizeof(real));
	if ((bad = volume_source_refused(real))) {
		close(fd);
		return nerr_set(e, "volumes", EPERM, "%s: resolves to %s, under the refused %s",
				src, real, bad);
	}
	return fd;
}

/* Where the ids are looked up and how they map to the host. */
struct own_ctx {
	const struct svc_conf *c;
	const char *root;
	const struct ident *id;
	uid_t base;
};

/* The host ids of a volume's owner: its USER[:GROUP], or the service's own. */
static int owner_ids(const struct own_ctx *x, const struct volume_opts *vo, const char *item,
		     uid_t *uid, gid_t *gid, struct nerr *e)
{
	struct nerr sub = {0};
	struct ident oid;
	const struct ident *id = x->id;
	char spec[72];

	if (vo->user[0] || !id) {
		snprintf(spec, sizeof(spec), "%s%s%s", vo->user, vo->group[0] ? ":" : "",
			 vo->group);
		if (ident_resolve(x->root, vo->user[0] ? spec : x->c->user,
				  vo->user[0] ? NULL : x->c->groups, &oid, &sub))
			return nerr_set(e, "volumes", sub.err, "%s: %s", item, sub.what);
		id = &oid;
	}
	if (x->base && (id->uid >= NS_UID_RANGE || id->gid >= NS_UID_RANGE))
		return nerr_set(e, "volumes", EINVAL,
				"%s: owner %u:%u has no id in the user namespace (0 to %u)", item,
				(unsigned)id->uid, (unsigned)id->gid, NS_UID_RANGE - 1);
	*uid = x->base + id->uid;
	*gid = x->base + id->gid;
	return 0;
}

/* SRC and the options of one volume item; false for a tmpfs or a malformed one. */
static bool bind_item(const char *in, char *buf, size_t size, char **src, struct volume_opts *vo)
{
	char *dst, *opt;
	const char *why;

	snprintf(buf, size, "%s", in);
	*src = buf;
	dst = strchr(buf, ':');
	if (!dst || !strncmp(buf, "tmpfs:", 6))
		return false;
	*dst++ = '\0';
	opt = strchr(dst, ':');
	return !volume_opts_parse(opt ? opt + 1 : NULL, vo, &why);
}

bool own_wanted(const struct svc_conf *c)
{
	for (int i = 0; c->volumes && c->volumes[i]; i++) {
		char buf[4096], *src;
		struct volume_opts vo;

		if (bind_item(c->volumes[i], buf, sizeof(buf), &src, &vo) && vo.owner)
			return true;
	}
	return false;
}

int own_volumes(const struct svc_conf *c, const char *root, const struct ident *id, uid_t base,
		struct nerr *e)
{
	const struct own_ctx x = {.c = c, .root = root, .id = id, .base = base};

	for (int i = 0; c->volumes && c->volumes[i]; i++) {
		char buf[4096], *src;
		struct volume_opts vo;
		uid_t uid = 0;
		gid_t gid = 0;
		int fd, r;

		if (!bind_item(c->volumes[i], buf, sizeof(buf), &src, &vo) || !vo.owner)
			continue;
		if (owner_ids(&x, &vo, c->volumes[i], &uid, &gid, e))
			return -e->err;
		fd = open_source(src, e);
		if (fd < 0)
			return -e->err;
		r = own_tree(fd, src, uid, gid, e);
		close(fd);
		if (r)
			return r;
	}
	return 0;
}
