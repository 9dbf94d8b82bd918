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
#include <fnmatch.h>
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
		 "nucleus-fake-missing: not found in %s/modules.dep, modules.builtin or "
		 "modules.alias",
		 dir);
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
	assert_string_equal(e.what,
			    "nucleus_fake_top: not found in "
			    "/nonexistent/nucleus/modules.dep, modules.builtin or modules.alias");
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

/* ---- modules.alias, against the real one of the kernel in build/kernel ---- */

static char *real_aliases(void)
{
	char ver[128] = "", path[512], *text;
	FILE *fp = fopen("build/kernel/VERSION", "re");
	long n;

	if (!fp || !fgets(ver, sizeof(ver), fp))
		fail_msg("build/kernel/VERSION: run make kernel (the alias tests use its "
			 "modules.alias)");
	fclose(fp);
	ver[strcspn(ver, "\n")] = '\0';
	snprintf(path, sizeof(path), "build/kernel/lib/modules/%s/modules.alias", ver);
	fp = fopen(path, "re");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	text[n] = '\0';
	fclose(fp);
	return text;
}

struct hits {
	char mod[16][64];
	int n;
};

static void collect(void *arg, const char *module)
{
	struct hits *h = arg;

	if (h->n < 16)
		snprintf(h->mod[h->n++], sizeof(h->mod[0]), "%s", module);
}

static bool has(const struct hits *h, const char *m)
{
	for (int i = 0; i < h->n; i++)
		if (!strcmp(h->mod[i], m))
			return true;
	return false;
}

/* What the harness's devices say, and what must load for them. */
static void test_aliases_real(void **state)
{
	static const struct {
		const char *modalias, *module;
	} cases[] = {
		{"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", "virtio_pci"},
		{"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio_pci"},
		{"virtio:d00000001v00001AF4", "virtio_net"},
		{"virtio:d00000002v00001AF4", "virtio_blk"},
		{"virtio:d00000003v00001AF4", "virtio_console"},
		{"acpi:LNXPWRBN:", "button"},
		{"input:b0019v0000p0001e0000-e0,1,k74,ramlsfw", "evdev"},
		{"pci:v00008086d000025ABsv00001AF4sd00001100bc08sc80i00", "i6300esb"},
		{"fs-ext4", "ext4"},
		{"fs-vfat", "vfat"},
	};
	char *text = real_aliases();
	struct kmod_aliases a;

	(void)state;
	assert_int_equal(kmod_aliases_parse(text, &a), 0);
	assert_true(a.n > 10000);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hits h = {.n = 0};

		kmod_aliases_match(&a, cases[i].modalias, collect, &h);
		if (!has(&h, cases[i].module))
			fail_msg("%s did not match %s (%d matches)", cases[i].modalias,
				 cases[i].module, h.n);
	}
	{
		struct hits h = {.n = 0};

		assert_int_equal(
			kmod_aliases_match(&a, "nucleus:nothing-asks-for-this", collect, &h), 0);
	}
	kmod_aliases_free(&a);
	free(text);
}

static void brute(const struct kmod_aliases *a, const char *modalias, struct hits *h)
{
	for (int i = 0; i < a->n; i++)
		if (fnmatch(a->v[i].pattern, modalias, 0) == 0 && !has(h, a->v[i].module))
			collect(h, a->v[i].module);
}

/* The prefix index finds exactly what trying every pattern finds. */
static void test_aliases_index_is_exact(void **state)
{
	static const char *const probes[] = {
		"pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80", /* PIIX IDE */
		"pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00",
		"usb:v046Dp0825d0010dcEFdsc02dp01ic0Eisc01ip00in00",
		"cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0002,0003,0004,0005,0006",
		"acpi:PNP0303:",
		"platform:i8042",
		"serio:ty01pr00id00ex00",
		"dmi:bvnSeaBIOS:bvr1.16:bd04/01/2014:svnQEMU:pnStandardPC",
		"of:NfooTbarCvendor,chip",
		"",
	};
	char *text = real_aliases();
	struct kmod_aliases a;

	(void)state;
	assert_int_equal(kmod_aliases_parse(text, &a), 0);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		struct hits fast = {.n = 0}, slow = {.n = 0};

		kmod_aliases_match(&a, probes[i], collect, &fast);
		brute(&a, probes[i], &slow);
		assert_int_equal(fast.n, slow.n);
		for (int k = 0; k < slow.n; k++)
			if (!has(&fast, slow.mod[k]))
				fail_msg("%s: the index missed %s", probes[i], slow.mod[k]);
	}
	kmod_aliases_free(&a);
	free(text);
}

/* Some strings a pattern should and should not match: its wildcards filled in. */
static void fill(const char *pat, const char *with, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = pat; *p && o + 8 < size; p++) {
		if (*p == '*' || *p == '?') {
			o += (size_t)snprintf(out + o, size - o, "%s", *p == '*' ? with : "Z");
		} else if (*p == '[') {
			const char *e = strchr(p + 1, ']');

			out[o++] = p[1] && p[1] != '!' && p[1] != '^' ? p[1] : 'q';
			if (e)
				p = e;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* kmod_glob() says what glibc's fnmatch() says, on every real pattern. */
static void test_glob_is_fnmatch(void **state)
{
	static const char *const odd[][2] = {
		{"[!a]x", "bx"},     {"[!a]x", "ax"}, {"[]]", "]"},   {"[]a]", "a"},
		{"[a-]", "-"},	     {"[a-c]", "b"},  {"[a-c]", "d"}, {"\\*", "*"},
		{"\\*", "x"},	     {"a[", "a["},    {"a[b", "a[b"}, {"*a*b*c", "xaybzc"},
		{"*a*b*c", "xaybz"}, {"", ""},	      {"*", ""},      {"?", ""},
		{"a*", "a"},	     {"[^x]", "y"},   {"[\\]]", "]"}, {"**b", "ab"},
		{"[]-a]", "^"}, {"[]-a]", "-"}, {"a\\", "a\\"}, {"a\\", "a"},
		{"[!]]", "]"}, {"[!]]", "x"},
	};
	char *text = real_aliases();
	struct kmod_aliases a;
	char buf[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++)
		if (kmod_glob(odd[i][0], odd[i][1]) != (fnmatch(odd[i][0], odd[i][1], 0) == 0))
			fail_msg("'%s' against '%s'", odd[i][0], odd[i][1]);
	assert_int_equal(kmod_aliases_parse(text, &a), 0);
	for (int i = 0; i < a.n; i++) {
		static const char *const with[] = {"", "x", "00001AF4", "*:"};

		for (size_t w = 0; w < ARRAY_SIZE(with); w++) {
			fill(a.v[i].pattern, with[w], buf, sizeof(buf));
			if (kmod_glob(a.v[i].pattern, buf) !=
			    (fnmatch(a.v[i].pattern, buf, 0) == 0))
				fail_msg("'%s' against '%s'", a.v[i].pattern, buf);
			buf[strlen(buf) / 2] = '#';
			if (kmod_glob(a.v[i].pattern, buf) !=
			    (fnmatch(a.v[i].pattern, buf, 0) == 0))
				fail_msg("'%s' against '%s'", a.v[i].pattern, buf);
		}
	}
	kmod_aliases_free(&a);
	free(text);
}

/* A module with several matching patterns is called for once. */
static void test_aliases_once_per_module(void **state)
{
	char text[] = "alias virtio:d00000001v* virtio_net\nalias virtio:d0000000*v* virtio_net\n"
		      "alias virtio:* virtio_any\n";
	struct kmod_aliases a;
	struct hits h = {.n = 0};

	(void)state;
	assert_int_equal(kmod_aliases_parse(text, &a), 0);
	assert_int_equal(kmod_aliases_match(&a, "virtio:d00000001v00001AF4", collect, &h), 2);
	assert_int_equal(h.n, 2);
	assert_true(has(&h, "virtio_net") && has(&h, "virtio_any"));
	/* without a callback: only the count */
	assert_int_equal(kmod_aliases_match(&a, "virtio:d00000001v00001AF4", NULL, NULL), 2);
	kmod_aliases_free(&a);
}

static void test_aliases_parse_odd_lines(void **state)
{
	char text[] = "# a comment\n\nalias\nalias onlypattern\nnotalias x y\n"
		      "alias  spaced:*   spaced_mod  \nalias exact exact_mod";
	struct kmod_aliases a;
	struct hits h = {.n = 0};

	(void)state;
	assert_int_equal(kmod_aliases_parse(text, &a), 0);
	assert_int_equal(a.n, 2);
	kmod_aliases_match(&a, "spaced:anything", collect, &h);
	kmod_aliases_match(&a, "exact", collect, &h);
	kmod_aliases_match(&a, "exactly", collect, &h);
	assert_int_equal(h.n, 2);
	assert_true(has(&h, "spaced_mod") && has(&h, "exact_mod"));
	kmod_aliases_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_is_fnmatch),
		cmocka_unit_test(test_aliases_once_per_module),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_deps_chain),
		cmocka_unit_test(test_deps_diamond),
		cmocka_unit_test(test_deps_edges),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_load_builtin),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_no_lists),
		cmocka_unit_test(test_load_all_first_error),
		cmocka_unit_test(test_aliases_real),
		cmocka_unit_test(test_aliases_index_is_exact),
		cmocka_unit_test(test_aliases_parse_odd_lines),
	};

	/* One fake modules directory for the whole group. */
	return cmocka_run_group_tests(tests, fake_dir_setup, fake_dir_teardown);
}
