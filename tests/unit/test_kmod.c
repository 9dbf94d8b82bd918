// SPDX-License-Identifier: MIT
/*
 * test_kmod.c - module names, the modules.dep walk (dependencies first),
 * modules.builtin, and kmod_load's answers on a fake modules directory.
 * Nothing here may reach finit_module(2): every module file named in the
 * fake directory is missing or the module is only "built in".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmod.h"
#include "log.h"

static const char DEP[] = "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko "
			  "kernel/net/core/failover.ko\n"
			  "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
			  "kernel/net/core/failover.ko:\n"
			  "kernel/a/top.ko: kernel/a/mid.ko kernel/a/leaf.ko kernel/a/other.ko\n"
			  "kernel/a/mid.ko: kernel/a/leaf.ko\n"
			  "kernel/a/leaf.ko:\n"
			  "kernel/a/other.ko: kernel/a/leaf.ko\n"
			  "kernel/a/nucleus-dash_name.ko:\n"
			  "kernel/a/orphan_user.ko: kernel/a/no_line.ko\n"
			  "kernel/a/cyc1.ko: kernel/a/cyc2.ko\n"
			  "kernel/a/cyc2.ko: kernel/a/cyc1.ko\n"
			  "kernel/a/xz.ko.xz:\n"
			  "kernel/a/last.ko: kernel/a/leaf.ko"; /* no final newline */

static const char BUILTIN[] = "kernel/fs/ext4/ext4.ko\n"
			      "kernel/drivers/char/nucleus-fake-console.ko\n"
			      "kernel/drivers/block/nucleus_fake_blk.ko";

/* Index of @path in @v, or -1. */
static int pos(char **v, const char *path)
{
	for (int i = 0; v[i]; i++)
		if (!strcmp(v[i], path))
			return i;
	return -1;
}

static void test_names(void **state)
{
	char b[64];

	(void)state;
	kmod_name_norm(b, "foo-bar_baz-", sizeof(b));
	assert_string_equal(b, "foo_bar_baz_");
	kmod_name_norm(b, "abcdef", 4);
	assert_string_equal(b, "abc");
	kmod_path_name(b, "kernel/drivers/net/virtio_net.ko", 32, sizeof(b));
	assert_string_equal(b, "virtio_net");
	kmod_path_name(b, "kernel/net/nf-tables.ko.xz", 26, sizeof(b));
	assert_string_equal(b, "nf_tables");
	kmod_path_name(b, "x.ko", 4, sizeof(b));
	assert_string_equal(b, "x");
	/* only @len bytes count: a path span inside a line */
	kmod_path_name(b, "kernel/a/top.ko: kernel/a/mid.ko", 15, sizeof(b));
	assert_string_equal(b, "top");
}

static void test_deps_chain(void **state)
{
	char **v;

	(void)state;
	assert_int_equal(kmod_deps(DEP, "virtio_net", &v), 0);
	assert_string_equal(v[0], "kernel/net/core/failover.ko");
	assert_string_equal(v[1], "kernel/drivers/net/net_failover.ko");
	assert_string_equal(v[2], "kernel/drivers/net/virtio_net.ko");
	assert_null(v[3]);
	free(v);
	/* '-' and '_' are the same name */
	assert_int_equal(kmod_deps(DEP, "virtio-net", &v), 0);
	assert_string_equal(v[2], "kernel/drivers/net/virtio_net.ko");
	free(v);
}

/* Each module after everything it needs, each once, the asked one last. */
static void test_deps_diamond(void **state)
{
	char **v;

	(void)state;
	assert_int_equal(kmod_deps(DEP, "top", &v), 0);
	assert_int_equal(pos(v, "kernel/a/leaf.ko"), 0);
	assert_true(pos(v, "kernel/a/mid.ko") > 0);
	assert_true(pos(v, "kernel/a/other.ko") > 0);
	assert_int_equal(pos(v, "kernel/a/top.ko"), 3);
	assert_null(v[4]);
	free(v);
}

static void test_deps_edges(void **state)
{
	char **v = (char **)1;

	(void)state;
	assert_int_equal(kmod_deps(DEP, "leaf", &v), 0);
	assert_string_equal(v[0], "kernel/a/leaf.ko");
	assert_null(v[1]);
	free(v);
	assert_int_equal(kmod_deps(DEP, "nucleus_dash-name", &v), 0);
	assert_string_equal(v[0], "kernel/a/nucleus-dash_name.ko");
	free(v);
	/* a dependency without a line of its own is still loaded first */
	assert_int_equal(kmod_deps(DEP, "orphan_user", &v), 0);
	assert_string_equal(v[0], "kernel/a/no_line.ko");
	assert_string_equal(v[1], "kernel/a/orphan_user.ko");
	free(v);
	assert_int_equal(kmod_deps(DEP, "xz", &v), 0);
	assert_string_equal(v[0], "kernel/a/xz.ko.xz");
	free(v);
	assert_int_equal(kmod_deps(DEP, "last", &v), 0);
	assert_string_equal(v[0], "kernel/a/leaf.ko");
	assert_string_equal(v[1], "kernel/a/last.ko");
	free(v);
	/* no prefix matches, no matches on dependency columns */
	assert_int_equal(kmod_deps(DEP, "virtio", &v), -ENOENT);
	assert_null(v);
	assert_int_equal(kmod_deps(DEP, "no_line", &v), -ENOENT);
	assert_int_equal(kmod_deps(DEP, "", &v), -ENOENT);
	assert_int_equal(kmod_deps("", "leaf", &v), -ENOENT);
	assert_int_equal(kmod_deps(DEP, "cyc1", &v), -ELOOP);
	assert_null(v);
}

static void test_builtin(void **state)
{
	(void)state;
	assert_true(kmod_builtin(BUILTIN, "ext4"));
	assert_true(kmod_builtin(BUILTIN, "nucleus_fake_console"));
	assert_true(kmod_builtin(BUILTIN, "nucleus-fake-blk"));
	assert_false(kmod_builtin(BUILTIN, "ext"));
	assert_false(kmod_builtin(BUILTIN, "fs"));
	assert_false(kmod_builtin("", "ext4"));
}

/* ---- kmod_load on a fake modules directory ---- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int fake_dir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_kmod.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* Invented names: none is in /sys/module, no file exists to load. */
	write_file("modules.dep", "kernel/x/nucleus_fake_top.ko: kernel/x/nucleus_fake_dep.ko\n"
				  "kernel/x/nucleus_fake_dep.ko:\n");
	write_file("modules.builtin", BUILTIN);
	return 0;
}

static int fake_dir_teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/modules.builtin", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_load_builtin(void **state)
{
	struct nerr e = {0};

	(void)state;
	assert_int_equal(kmod_load("nucleus-fake-console", dir, &e), 0);
	assert_int_equal(kmod_load("nucleus_fake_blk", dir, &e), 0);
	assert_int_equal(e.err, 0);
}

static void test_load_missing(void **state)
{
	struct nerr e = {0};
	char want[200];

	(void)state;
	assert_int_equal(kmod_load("nucleus-fake-missing", dir, &e), -ENOENT);
	assert_string_equal(e.step, "modules");
	assert_int_equal(e.err, ENOENT);
	snprintf(want, sizeof(want),
		 "nucleus-fake-missing: not found in %s/modules.dep or modules.builtin", dir);
	assert_string_equal(e.what, want);
}

/* The first file of the walk is the dependency; its error names both. */
static void test_load_missing_file(void **state)
{
	struct nerr e = {0};
	char want[200];

	(void)state;
	assert_int_equal(kmod_load("nucleus_fake_top", dir, &e), -ENOENT);
	snprintf(want, sizeof(want), "nucleus_fake_top: %s/%s: No such file or directory", dir,
		 "kernel/x/nucleus_fake_dep.ko");
	assert_string_equal(e.what, want);
}

static void test_load_no_lists(void **state)
{
	struct nerr e = {0};

	(void)state;
	assert_int_equal(kmod_load("nucleus_fake_top", "/nonexistent/nucleus", &e), -ENOENT);
	assert_string_equal(e.what, "nucleus_fake_top: not found in "
				    "/nonexistent/nucleus/modules.dep or modules.builtin");
}

static void test_load_all_first_error(void **state)
{
	char *names[] = {"nucleus_fake_blk", "nucleus_fake_a", "nucleus_fake_b", NULL};
	char *none[] = {NULL};
	struct nerr e = {0};
	char logged[1024];
	int p[2];
	ssize_t n;

	(void)state;
	/* every failure is logged, the first one is returned */
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	log_open(p[1]);
	assert_int_equal(kmod_load_all(names, dir, &e), -ENOENT);
	log_open(2);
	n = read(p[0], logged, sizeof(logged) - 1);
	close(p[0]);
	close(p[1]);
	assert_true(n > 0);
	logged[n] = '\0';
	assert_non_null(strstr(logged, "modules: nucleus_fake_a: not found"));
	assert_non_null(strstr(logged, "modules: nucleus_fake_b: not found"));
	assert_null(strstr(logged, "nucleus_fake_blk"));
	assert_non_null(strstr(e.what, "nucleus_fake_a: not found"));
	assert_int_equal(kmod_load_all(none, dir, &e), 0);
	assert_int_equal(kmod_load_all(NULL, dir, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),	      cmocka_unit_test(test_deps_chain),
		cmocka_unit_test(test_deps_diamond),  cmocka_unit_test(test_deps_edges),
		cmocka_unit_test(test_builtin),	      cmocka_unit_test(test_load_builtin),
		cmocka_unit_test(test_load_missing),  cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_no_lists), cmocka_unit_test(test_load_all_first_error),
	};

	/* One fake modules directory for the whole group. */
	return cmocka_run_group_tests(tests, fake_dir_setup, fake_dir_teardown);
}
