// SPDX-License-Identifier: MIT
/*
 * test_owner.c - owned state directories: the options of a bind volume
 * (ro, rw, owner, owner=USER[:GROUP]) and the chown walk below a source
 * (lchown, no symbolic link followed, bounded depth; needs root).
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

#include "isolate/owner.h"
#include "manifest.h"

static void opts_ok(const char *in, bool rw, bool owner, const char *user, const char *group)
{
	struct volume_opts o;
	const char *why = "unset";

	if (volume_opts_parse(in, &o, &why))
		fail_msg("volume_opts_parse(\"%s\") refused: %s", in ? in : "(null)", why);
	assert_int_equal(o.rw, rw);
	assert_int_equal(o.owner, owner);
	assert_string_equal(o.user, user);
	assert_string_equal(o.group, group);
}

static void test_volume_opts(void **state)
{
	static const char *const bad[] = {
		"",
		"rx",
		"ro,rw",
		"rw,ro",
		"rw,rw",
		"owner,owner",
		"owner=",
		"owner=a b",
		"owner=:adm",
		"owner=x:",
		"owner=x:y:z",
		"rw,",
		",rw",
		"rw,,owner",
		"Owner",
		"owner=a/b",
		"ownerx",
		"owner=nobody,owner",
		"owner=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 33 */,
	};
	struct volume_opts o;
	const char *why;

	(void)state;
	opts_ok(NULL, false, false, "", "");
	opts_ok("ro", false, false, "", "");
	opts_ok("rw", true, false, "", "");
	/* owner alone is writable; the order does not matter */
	opts_ok("owner", true, true, "", "");
	opts_ok("rw,owner", true, true, "", "");
	opts_ok("owner,rw", true, true, "", "");
	opts_ok("rw,owner=nobody", true, true, "nobody", "");
	opts_ok("owner=nobody:nogroup,rw", true, true, "nobody", "nogroup");
	opts_ok("owner=65534:100", true, true, "65534", "100");
	opts_ok("owner=www-data", true, true, "www-data", "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (volume_opts_parse(bad[i], &o, &why) != -EINVAL)
			fail_msg("volume_opts_parse(\"%s\") accepted", bad[i]);
		assert_non_null(why);
	}
	/* owner with ro says why */
	assert_int_equal(volume_opts_parse("ro,owner", &o, &why), -EINVAL);
	assert_non_null(strstr(why, "not with ro"));
	assert_int_equal(volume_opts_parse("owner=nobody,ro", &o, &why), -EINVAL);
	assert_non_null(strstr(why, "not with ro"));
}

static void owned_by(const char *dir, const char *rel, uid_t u, gid_t g)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", dir, rel);
	assert_int_equal(lstat(p, &st), 0);
	if (st.st_uid != u || st.st_gid != g)
		fail_msg("%s: %u:%u, not %u:%u", p, (unsigned)st.st_uid, (unsigned)st.st_gid,
			 (unsigned)u, (unsigned)g);
}

static void sh(const char *fmt, const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
}

static int own_path(const char *path, uid_t u, gid_t g, struct nerr *e)
{
	int fd = open(path, O_PATH | O_CLOEXEC), r;

	assert_true(fd >= 0);
	r = own_tree(fd, path, u, g, e);
	close(fd);
	return r;
}

static void test_own_tree(void **state)
{
	char dir[] = "/tmp/test-owner.XXXXXX", src[64], deep[1024];
	struct nerr e = {0};
	size_t n;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	sh("mkdir -p %s/s/a/b %s/out && touch %s/s/a/b/f %s/out/t", dir);
	sh("ln -s %s/out %s/s/dl && ln -s %s/out/t %s/s/fl", dir);
	snprintf(src, sizeof(src), "%s/s", dir);
	assert_int_equal(own_path(src, 1234, 4321, &e), 0);
	owned_by(dir, "/s", 1234, 4321);
	owned_by(dir, "/s/a/b/f", 1234, 4321);
	owned_by(dir, "/s/dl", 1234, 4321); /* the link itself */
	owned_by(dir, "/out", 0, 0);	    /* never what it points at */
	owned_by(dir, "/out/t", 0, 0);
	/* already theirs: only the source itself */
	sh("touch %s/s/new", dir);
	assert_int_equal(own_path(src, 1234, 4321, &e), 0);
	owned_by(dir, "/s/new", 0, 0);
	/* OWN_MAX_DEPTH levels below the source are walked; one more is an
	 * error naming the path, not a silent stop */
	snprintf(src, sizeof(src), "%s/d", dir);
	n = (size_t)snprintf(deep, sizeof(deep), "%s", src);
	for (int i = 0; i < OWN_MAX_DEPTH; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "/x");
	sh("mkdir -p %s", deep);
	assert_int_equal(own_path(src, 1234, 4321, &e), 0);
	owned_by(deep, "", 1234, 4321);
	snprintf(deep + n, sizeof(deep) - n, "/x");
	sh("mkdir %s", deep);
	sh("chown -R 0:0 %s", src);
	assert_int_equal(own_path(src, 1234, 4321, &e), -ELOOP);
	/* a long path is shortened at its start */
	assert_non_null(strstr(e.what, "chown ..."));
	assert_non_null(strstr(e.what, deep + strlen(deep) - 100));
	assert_non_null(strstr(e.what, ": deeper than 128 levels"));
	sh("rm -rf %s", dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volume_opts),
		cmocka_unit_test(test_own_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
