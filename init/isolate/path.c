// SPDX-License-Identifier: MIT
/*
 * path.c - normalised paths and a symlink-free walk below a root fd.
 */
#include "isolate/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int path_norm(const char *in, char *out, size_t size)
{
	size_t o = 0;
	const char *p = in;

	if (size < 2)
		return -ENAMETOOLONG;
	out[o++] = '/';
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");

		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
		} else {
			if (o + n + 2 > size)
				return -ENAMETOOLONG;
			if (o > 1)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return 0;
}

bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* One step of the walk: open (or create) @name in @dirfd, never through a symlink. */
static int step(int dirfd, const char *name, bool last, bool file)
{
	int fd, flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;

	fd = openat(dirfd, name, flags);
	if (fd < 0 && errno == ENOENT) {
		if (last && file) {
			fd = openat(dirfd, name,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
		} else if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) {
			return -errno;
		}
		if (fd < 0 && last && file && errno != EEXIST)
			return -errno;
		fd = openat(dirfd, name, flags);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	if (S_ISLNK(st.st_mode) || (!last && !S_ISDIR(st.st_mode))) {
		close(fd);
		return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
	}
	return fd;
}

int path_make_beneath(int rootfd, const char *path, bool file)
{
	char name[256];
	const char *p = path;
	int dirfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

	if (dirfd < 0)
		return -errno;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");

		if (n == 0)
			break;
		if (n >= sizeof(name)) {
			close(dirfd);
			return -ENAMETOOLONG;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		while (*p == '/')
			p++;
		int fd = step(dirfd, name, !*p, file);

		close(dirfd);
		if (fd < 0)
			return fd;
		dirfd = fd;
	}
	return dirfd;
}

int path_of_fd(int fd, char *out, size_t size)
{
	char fdp[40];
	ssize_t n;

	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
	n = readlink(fdp, out, size - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

int path_real(const char *path, char *out, size_t size)
{
	int fd = open(path, O_PATH | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = path_of_fd(fd, out, size);
	close(fd);
	return r;
}
