// SPDX-License-Identifier: MIT
/*
 * test_rootfs.c - the two tree walks of [system] root: the image's /var
 * copied into its tmpfs (modes, owners, symlinks, a 0500 directory that
 * still gets its entries, nothing from another file system) and the
 * initramfs emptied without crossing into a mount (needs root: a mount
 * namespace of its own for the tmpfs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rootfs.h"

static char dir[] = "/tmp/nucleus-rootfs-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void sh(const char *fmt, const char *a)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, a, a, a, a, a, a, a);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
}

static void want(const char *path, mode_t type, mode_t perm, uid_t uid, gid_t gid)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("%s: %m", path);
	assert_int_equal(st.st_mode & S_IFMT, type);
	if (type != S_IFLNK)
		assert_int_equal(st.st_mode & 07777, perm);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

static void test_copy_tree(void **state)
{
	char src[128], dst[128], path[256], target[64];
	struct nerr e = {0};
	int s, d;
	ssize_t n;

	(void)state;
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	sh("mkdir -p %s/src/lib/redis %s/src/ro %s/dst && echo state >%s/src/lib/redis/dump && "
	   "chown 101:102 %s/src/lib/redis %s/src/lib/redis/dump && chmod 0750 %s/src/lib/redis && "
	   "chmod 0640 %s/src/lib/redis/dump",
	   dir);
	sh("ln -s ../lib/redis %s/src/ro/link && chown -h 7:8 %s/src/ro/link && "
	   "echo x >%s/src/ro/file && chmod 1755 %s/src/lib && chmod 0500 %s/src/ro && "
	   "mkfifo %s/src/fifo",
	   dir);
	s = open(src, O_RDONLY | O_DIRECTORY);
	d = open(dst, O_RDONLY | O_DIRECTORY);
	assert_true(s >= 0 && d >= 0);
	assert_int_equal(rootfs_copy_tree(s, d, &e), 0);
	close(s);
	close(d);
	snprintf(path, sizeof(path), "%s/lib", dst);
	want(path, S_IFDIR, 01755, 0, 0);
	snprintf(path, sizeof(path), "%s/lib/redis", dst);
	want(path, S_IFDIR, 0750, 101, 102);
	snprintf(path, sizeof(path), "%s/lib/redis/dump", dst);
	want(path, S_IFREG, 0640, 101, 102);
	sh("grep -qx state %s/dst/lib/redis/dump", dir);
	/* a 0500 directory got its file before its mode was set */
	snprintf(path, sizeof(path), "%s/ro", dst);
	want(path, S_IFDIR, 0500, 0, 0);
	snprintf(path, sizeof(path), "%s/ro/file", dst);
	want(path, S_IFREG, 0644, 0, 0);
	snprintf(path, sizeof(path), "%s/ro/link", dst);
	want(path, S_IFLNK, 0, 7, 8);
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "../lib/redis");
	/* a fifo is not worth keeping */
	snprintf(path, sizeof(path), "%s/fifo", dst);
	assert_int_equal(access(path, F_OK), -1);
	/* an entry already in the way is an error that names it */
	s = open(src, O_RDONLY | O_DIRECTORY);
	d = open(dst, O_RDONLY | O_DIRECTORY);
	assert_int_not_equal(rootfs_copy_tree(s, d, &e), 0);
	assert_non_null(strstr(e.what, "File exists"));
	close(s);
	close(d);
}

/* In a mount namespace of its own: a tmpfs in the tree, then both walks. */
static int mounts_child(void)
{
	char path[256];
	struct nerr e = {0};
	int fd, kept, s, d;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 10;
	snprintf(path, sizeof(path), "%s/m/a/mnt", dir);
	if (mount("tmpfs", path, "tmpfs", 0, NULL) < 0)
		return 11;
	snprintf(path, sizeof(path), "%s/m/a/mnt/kept", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return 12;
	close(fd);
	/* the copy leaves the mount out */
	snprintf(path, sizeof(path), "%s/m", dir);
	s = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "%s/c", dir);
	d = open(path, O_RDONLY | O_DIRECTORY);
	if (s < 0 || d < 0 || rootfs_copy_tree(s, d, &e))
		return 13;
	snprintf(path, sizeof(path), "%s/c/a/mnt", dir);
	if (access(path, F_OK) == 0)
		return 14;
	snprintf(path, sizeof(path), "%s/c/a/b/f", dir);
	if (access(path, F_OK) < 0)
		return 15;
	/* emptying stops at the mount: it and what is in it stay */
	kept = rootfs_empty(s);
	snprintf(path, sizeof(path), "%s/m/a/mnt/kept", dir);
	if (access(path, F_OK) < 0)
		return 16;
	snprintf(path, sizeof(path), "%s/m/a/b", dir);
	if (access(path, F_OK) == 0)
		return 17;
	/* a/mnt stays, and so does a, which holds it */
	if (kept != 2)
		return 18;
	umount2(path, MNT_DETACH);
	return 0;
}

static void test_mounts_left_alone(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	sh("mkdir -p %s/m/a/mnt %s/m/a/b/c %s/c && echo f >%s/m/a/b/f && ln -s /etc/passwd "
	   "%s/m/a/link && touch %s/m/top",
	   dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mounts_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fail_msg("the walks in a mount namespace: step %d failed", WEXITSTATUS(status));
	/* and the host's /etc/passwd, which a symlink pointed at, is there */
	assert_int_equal(access("/etc/passwd", F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_tree),
		cmocka_unit_test(test_mounts_left_alone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
