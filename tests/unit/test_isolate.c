// SPDX-License-Identifier: MIT
/*
 * test_isolate.c - the pure parts of isolation: path normalisation and the
 * refused volume paths, the symlink-free walk below a root, secret
 * destinations, mountinfo option parsing, capability masks, namespace
 * flags and user-namespace id slots, and the embedded seccomp filter.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isolate/caps.h"
#include "isolate/cgroup.h"
#include "isolate/hide.h"
#include "isolate/mount.h"
#include "isolate/ns.h"
#include "isolate/path.h"
#include "isolate/seccomp.h"
#include "isolate/secrets.h"
#include "manifest.h"

static void test_path_norm(void **state)
{
	static const char *const cases[][2] = {
		{"/", "/"},
		{"", "/"},
		{"/a/b", "/a/b"},
		{"/a//b/", "/a/b"},
		{"/a/./b/.", "/a/b"},
		{"/a/b/../c", "/a/c"},
		{"/../../etc", "/etc"},
		{"/tmp/../etc/passwd", "/etc/passwd"},
		{"/a/b/../../..", "/"},
		{"relative/x", "/relative/x"},
		{"/a/..b/c", "/a/..b/c"},
		{"/a/.../c", "/a/.../c"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(path_norm(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
	}
	assert_int_equal(path_norm("/abcdefgh", out, 6), -ENAMETOOLONG);
}

static void test_path_under(void **state)
{
	(void)state;
	assert_true(path_under("/etc", "/etc"));
	assert_true(path_under("/etc/x", "/etc"));
	assert_false(path_under("/etcx", "/etc"));
	assert_false(path_under("/et", "/etc"));
	assert_true(path_under("/anything", "/"));
}

/* The contract's refusals, also through "..", repeated slashes and ".". */
static void test_refused_lists(void **state)
{
	static const char *const bad_src[] = {
		"/",	   "/proc",    "/proc/1/root",	 "/sys/x", "/dev",	   "/boot/efi",
		"/etc",	   "/etc/ssl", "/root",		 "/run",   "/run/nucleus", "/tmp/../etc",
		"//etc//", "/./proc",  "/srv/../../root"};
	static const char *const ok_src[] = {"/srv/data", "/var/lib/x",	  "/tmp",   "/etcetera",
					     "/home/u",	  "/data/../srv", "/rundir"};
	static const char *const bad_dst[] = {
		"/",	    "/bin",    "/bin/x", "/dev",	 "/etc/a",	   "/lib",
		"/proc/x",  "/sys",    "/usr",	 "/run/secrets", "/run/secrets/x", "/opt/../usr/x",
		"/sbin",    "/sbin/x", "/lib64", "/lib32/y",	 "/libx32",	   "/boot",
		"/boot/efi"};
	static const char *const ok_dst[] = {"/data",	 "/run/x",   "/tmp/y", "/srv",
					     "/var/lib", "/library", "/sbin2"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_src); i++)
		assert_non_null(volume_source_refused(bad_src[i]));
	for (size_t i = 0; i < ARRAY_SIZE(ok_src); i++)
		assert_null(volume_source_refused(ok_src[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bad_dst); i++)
		assert_non_null(volume_dest_refused(bad_dst[i]));
	for (size_t i = 0; i < ARRAY_SIZE(ok_dst); i++)
		assert_null(volume_dest_refused(ok_dst[i]));
	assert_string_equal(volume_source_refused("/tmp/../etc/shadow"), "/etc");
}

static void test_path_make_beneath(void **state)
{
	char dir[] = "/tmp/nuc-unit-XXXXXX", p[256];
	int root, fd;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	/* directories are created as needed */
	fd = path_make_beneath(root, "/a/b/c", false);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* a file as the last component */
	fd = path_make_beneath(root, "/a/f", true);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/a/f", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a symlink anywhere on the way is refused, nothing is created past it */
	snprintf(p, sizeof(p), "%s/a/l", dir);
	assert_int_equal(symlink("/etc", p), 0);
	assert_int_equal(path_make_beneath(root, "/a/l/x", false), -ELOOP);
	assert_int_equal(path_make_beneath(root, "/a/l", false), -ELOOP);
	assert_int_equal(access("/etc/x", F_OK), -1);
	/* a file where a directory is needed */
	assert_int_equal(path_make_beneath(root, "/a/f/x", false), -ENOTDIR);
	close(root);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

static void test_secret_dest(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(secret_dest("db", out, sizeof(out)), 0);
	assert_string_equal(out, "/db");
	assert_int_equal(secret_dest("/run/secrets/app/key", out, sizeof(out)), 0);
	assert_string_equal(out, "/app/key");
	assert_int_equal(secret_dest("/x/y", out, sizeof(out)), 0);
	assert_string_equal(out, "/x/y");
	assert_int_equal(secret_dest("a/../../b", out, sizeof(out)), 0);
	assert_string_equal(out, "/b");
	assert_int_equal(secret_dest("/run/secrets/", out, sizeof(out)), -EINVAL);
	assert_int_equal(secret_dest(".", out, sizeof(out)), -EINVAL);
}

static void test_mountinfo_opts(void **state)
{
	char s[] = "/a\\040b\\134c\\011";

	(void)state;
	assert_int_equal(mnt_opts_flags("ro,nosuid,nodev,noexec,relatime"),
			 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	assert_int_equal(mnt_opts_flags("rw,relatime"), 0);
	assert_int_equal(mnt_opts_flags("rw,nosuid"), MS_NOSUID);
	/* "ro" only as a whole option */
	assert_int_equal(mnt_opts_flags("rootcontext=x,nodevx"), 0);
	mnt_unescape(s);
	assert_string_equal(s, "/a b\\c\t");
}

static void test_caps_mask(void **state)
{
	char *caps[] = {"NET_BIND_SERVICE", "cap_chown", "CAP_KILL", NULL};
	char *bad[] = {"NET_BIND_SERVICE", "FLY", NULL};
	struct svc_conf c = {.capabilities = caps};
	struct nerr e = {0};
	uint64_t m;

	(void)state;
	assert_int_equal(caps_mask(&c, &m, &e), 0);
	assert_int_equal(m, (1ull << 10) | (1ull << 0) | (1ull << 5));
	c.capabilities = NULL;
	assert_int_equal(caps_mask(&c, &m, &e), 0);
	assert_int_equal(m, 0);
	c.capabilities = bad;
	assert_int_equal(caps_mask(&c, &m, &e), -EINVAL);
	assert_string_equal(e.what, "FLY: unknown capability");
}

static void test_ns_flags(void **state)
{
	struct svc_conf c = {.isolate = true, .namespaces = NS_MOUNT | NS_PID | NS_IPC | NS_UTS};

	(void)state;
	assert_int_equal(ns_clone_flags(&c),
			 CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS);
	c.namespaces |= NS_NET | NS_USER | NS_CGROUP;
	assert_int_equal(ns_clone_flags(&c), CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
						     CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWUSER |
						     CLONE_NEWCGROUP);
	c.isolate = false;
	assert_int_equal(ns_clone_flags(&c), 0);
}

/* Host id ranges: 65536 ids from slot << 16, never slot 0 (the host's own ids). */
static void test_uid_slots(void **state)
{
	static const char *const names[] = {"web", "db", "a", "b", "worker-1", "x.y"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		unsigned s = ns_uid_slot_hash(names[i]);

		assert_true(s >= 1 && s <= NS_UID_SLOTS);
		assert_int_equal(s, ns_uid_slot_hash(names[i]));
		assert_true(((uint64_t)s << 16) + NS_UID_RANGE <= 0x7fffffffu);
	}
	assert_int_not_equal(ns_uid_slot_hash("web"), ns_uid_slot_hash("db"));
}

/* The filter embedded at build time is exactly what libseccomp builds now. */
static void test_embedded_filter(void **state)
{
	struct svc_conf c = {0};
	struct sc_prog built, embedded;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(sc_build_default(&built, &e), 0);
	assert_int_equal(sc_compile(&c, &embedded, &e), 0);
	assert_true(built.len > 100);
	assert_int_equal(built.len, embedded.len);
	assert_memory_equal(built.filter, embedded.filter, built.len * sizeof(*built.filter));
	sc_prog_free(&built);
	sc_prog_free(&embedded);
}

/* Flat-keyed cgroup files: memory.events, cgroup.events, cpu.stat. */
static void test_cg_read_key(void **state)
{
	char path[] = "/tmp/nuc-unit-cg-XXXXXX";
	const char text[] = "low 0\nhigh 3\nmax 12\noom 2\noom_kill 7\noom_group_kill 0\n";
	int fd = mkstemp(path);
	uint64_t v = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	assert_int_equal(cg_read_key(fd, "oom_kill", &v), 0);
	assert_int_equal(v, 7);
	/* a key is matched whole: "oom" is not "oom_kill" and vice versa */
	assert_int_equal(cg_read_key(fd, "oom", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(cg_read_key(fd, "max", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(cg_read_key(fd, "populated", &v), -ENOENT);
	assert_int_equal(cg_read_key(fd, "oom_g", &v), -ENOENT);
	close(fd);
	unlink(path);
}

static void test_cg_limit_key(void **state)
{
	struct svc_conf c = {0};

	(void)state;
	assert_null(cg_limit_key(&c));
	c.set = SET_PIDS_MAX;
	assert_string_equal(cg_limit_key(&c), "pids_max");
	c.set |= SET_MEMORY_MAX;
	assert_string_equal(cg_limit_key(&c), "memory_max");
	c.set = SET_IO_WEIGHT | SET_NPROC;
	assert_string_equal(cg_limit_key(&c), "io_weight");
	/* nproc and nofile are rlimits, not cgroup limits */
	c.set = SET_NPROC | SET_OOM_SCORE_ADJ;
	assert_null(cg_limit_key(&c));
}

/* The walk finds what others may not read, does not enter closed directories
 * and never follows a symlink. */
static void test_hide_walk(void **state)
{
	char dir[] = "/tmp/nucleus-hide-XXXXXX", p[512];
	struct hide_set h = {.idmap_fd = -1};
	bool found[4] = {false};
	static const char *const names[] = {"/closed", "/sub/closed", "/cdir", "/ocdir"};

	(void)state;
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
#define MK(rel, mode, isdir)                                                                       \
	do {                                                                                       \
		snprintf(p, sizeof(p), "%s%s", dir, rel);                                          \
		if (isdir)                                                                         \
			assert_int_equal(mkdir(p, 0755), 0);                                       \
		else                                                                               \
			close(open(p, O_CREAT | O_WRONLY, 0644));                                  \
		assert_int_equal(chmod(p, mode), 0);                                               \
	} while (0)
	MK("/open", 0644, false);
	MK("/closed", 0600, false);
	MK("/sub", 0755, true);
	MK("/sub/open", 0444, false);
	MK("/sub/closed", 0640, false);
	MK("/cdir", 0700, true);  /* closed: listed, not entered */
	MK("/ocdir", 0751, true); /* searchable but not readable by others: closed */
	MK("/opendir", 0755, true);
	snprintf(p, sizeof(p), "%s/cdir/inside", dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink("/etc/shadow", p), 0);
	assert_int_equal(hide_walk(dir, &h, -1), 0);
	assert_int_equal(h.nclosed, 4);
	for (int i = 0; i < h.nclosed; i++) {
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			snprintf(p, sizeof(p), "%s%s", dir, names[k]);
			if (!strcmp(h.closed[i].path, p))
				found[k] = true;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(names); k++)
		if (!found[k])
			fail_msg("%s not listed", names[k]);
	hide_free_closed(&h);
	assert_int_equal(h.nclosed, 0);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
#undef MK
}

static void test_mnt_sizes(void **state)
{
	char data[128];

	(void)state;
	assert_true(mnt_opts_size("rw,size=65536k,nr_inodes=65536") == 64ull << 20);
	assert_true(mnt_opts_size("rw,nr_inodes=5,size=2m") == 2ull << 20);
	assert_true(mnt_opts_size("size=4096") == 4096);
	assert_true(mnt_opts_size("rw,mode=755") == 0);
	assert_true(mnt_opts_size(NULL) == 0);
	mnt_tmpfs_data(data, sizeof(data), "1777", 64ull << 20);
	assert_string_equal(data, "mode=1777,size=67108864,nr_inodes=65536");
	mnt_tmpfs_data(data, sizeof(data), "0755", 4096);
	assert_string_equal(data, "mode=0755,size=4096,nr_inodes=1024");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_norm),     cmocka_unit_test(test_path_under),
		cmocka_unit_test(test_refused_lists), cmocka_unit_test(test_path_make_beneath),
		cmocka_unit_test(test_secret_dest),   cmocka_unit_test(test_mountinfo_opts),
		cmocka_unit_test(test_caps_mask),     cmocka_unit_test(test_ns_flags),
		cmocka_unit_test(test_uid_slots),     cmocka_unit_test(test_embedded_filter),
		cmocka_unit_test(test_cg_read_key),   cmocka_unit_test(test_cg_limit_key),
		cmocka_unit_test(test_hide_walk),     cmocka_unit_test(test_mnt_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
