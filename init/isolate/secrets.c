// SPDX-License-Identifier: MIT
/*
 * secrets.c - copies of secret files in the service's own memory.
 *
 * A bind mount would hand the service the host's inode: writable through
 * another path, visible to later changes, and a way to learn where the
 * host keeps it. So each source is opened with O_NOFOLLOW (a symlink is
 * refused, not followed), must be a regular file, and is copied into a
 * tmpfs that belongs to the service user, mode 0700, noexec; the copy
 * buffer is zeroed after use and the tmpfs is made read-only.
 */
#include "isolate/secrets.h"
#include "isolate/path.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int secret_dest(const char *dest, char *out, size_t size)
{
	const char *d = dest;
	size_t n = strlen(SECRETS_DIR);

	if (!strncmp(d, SECRETS_DIR, n) && d[n] == '/')
		d += n;
	if (path_norm(d, out, size))
		return -ENAMETOOLONG;
	return strcmp(out, "/") ? 0 : -EINVAL;
}

/* SRC:DEST[:MODE] -> an open source and where it goes. */
static int secret_open(const char *item, struct mnt_src *s, struct nerr *e)
{
	char buf[4096], *src = buf, *dst, *mode;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", item);
	dst = strchr(buf, ':');
	if (!dst)
		return nerr_set(e, "secrets", EINVAL, "%s: expected SRC:DEST[:MODE]", item);
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	s->mode = mode ? (mode_t)strtoul(mode, NULL, 8) : 0400;
	if (secret_dest(dst, s->dest, sizeof(s->dest)))
		return nerr_set(e, "secrets", EINVAL, "%s: bad destination", dst);
	s->fd = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (s->fd < 0)
		return nerr_set(e, "secrets", errno, "%s: %s", src,
				errno == ELOOP ? "is a symlink (refused)" : strerror(errno));
	if (fstat(s->fd, &st) < 0)
		return nerr_set(e, "secrets", errno, "%s: %s", src, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return nerr_set(e, "secrets", EINVAL, "%s: not a regular file (refused)", src);
	s->size = st.st_size;
	return 0;
}

static int copy_fd(int in, int out)
{
	char buf[16384];
	ssize_t n;
	int r = 0;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				r = -errno;
				goto out;
			}
			off += w;
		}
	}
out:
	explicit_bzero(buf, sizeof(buf));
	return r;
}

static int secret_write(int dirfd, const struct mnt_src *s, const struct ident *id, struct nerr *e)
{
	char parent[512], *slash;
	int pfd, fd, r;

	snprintf(parent, sizeof(parent), "%s", s->dest);
	slash = strrchr(parent, '/');
	*slash = '\0';
	pfd = path_make_beneath(dirfd, parent[0] ? parent : "/", false);
	if (pfd < 0)
		return nerr_set(e, "secrets", -pfd, "%s%s: %s", SECRETS_DIR, parent,
				strerror(-pfd));
	if (parent[0] && (fchownat(pfd, "", id->uid, id->gid, AT_EMPTY_PATH) < 0)) {
		close(pfd);
		return nerr_set(e, "secrets", errno, "%s%s: chown: %s", SECRETS_DIR, parent,
				strerror(errno));
	}
	fd = openat(pfd, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(pfd);
	if (fd < 0)
		return nerr_set(e, "secrets", errno, "%s%s: %s", SECRETS_DIR, s->dest,
				strerror(errno));
	r = copy_fd(s->fd, fd);
	if (!r && (fchown(fd, id->uid, id->gid) < 0 || fchmod(fd, s->mode) < 0))
		r = -errno;
	close(fd);
	if (r)
		return nerr_set(e, "secrets", -r, "%s%s: %s", SECRETS_DIR, s->dest, strerror(-r));
	return 0;
}

static int secrets_mount(struct mnt_plan *p, const struct mnt_src *s, int n, struct nerr *e)
{
	char path[4096], data[128];
	unsigned long long bytes = 65536;

	for (int i = 0; i < n; i++)
		bytes += (unsigned long long)s[i].size + 4096;
	snprintf(path, sizeof(path), "%s%s", p->newroot, SECRETS_DIR);
	snprintf(data, sizeof(data), "mode=0700,uid=%u,gid=%u,size=%llu", (unsigned)p->id->uid,
		 (unsigned)p->id->gid, bytes);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return nerr_set(e, "secrets", errno, "mkdir %s: %s", path, strerror(errno));
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0)
		return nerr_set(e, "secrets", errno, "mount tmpfs on %s: %s", path,
				strerror(errno));
	return 0;
}

int secrets_open(struct mnt_plan *p, struct nerr *e)
{
	p->nsec = 0;
	for (int i = 0; p->c->secrets && p->c->secrets[i]; i++) {
		if (i == MNT_MAX_SECRETS)
			return nerr_set(e, "secrets", E2BIG, "more than %d secrets",
					MNT_MAX_SECRETS);
		p->nsec = i + 1;
		if (secret_open(p->c->secrets[i], &p->sec[i], e))
			return -EIO;
	}
	return 0;
}

int secrets_setup(struct mnt_plan *p, struct nerr *e)
{
	char path[4096];
	int r, dirfd;

	if (!p->nsec)
		return 0;
	r = secrets_mount(p, p->sec, p->nsec, e);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s%s", p->newroot, SECRETS_DIR);
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return nerr_set(e, "secrets", errno, "%s: %s", SECRETS_DIR, strerror(errno));
	for (int i = 0; !r && i < p->nsec; i++)
		r = secret_write(dirfd, &p->sec[i], p->id, e);
	close(dirfd);
	if (!r &&
	    mount(NULL, path, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		r = nerr_set(e, "secrets", errno, "remount %s ro: %s", SECRETS_DIR,
			     strerror(errno));
	if (!r)
		mnt_expect(p, SECRETS_DIR, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	return r;
}
