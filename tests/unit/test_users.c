// SPDX-License-Identifier: MIT
/*
 * test_users.c - user and group resolution from a root's /etc/passwd and
 * /etc/group, without NSS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "users.h"
#include "util.h"

static char root[64], bare[64];

static const char passwd_text[] = "root:x:0:0:root:/root:/bin/sh\n"
				  "# a comment line\n"
				  "broken line without fields\n"
				  "weird:x:notanumber:1::/nonexistent:/bin/false\n"
				  "alice:x:1000:1000:Alice A:/home/alice:/bin/sh\n"
				  "bob:x:1001:100::/home/bob:/bin/false\n"
				  "carol:x:1002:1002::/srv/carol:\n"
				  "dup:x:2000:2000::/first:/bin/sh\n"
				  "dup:x:2001:2001::/second:/bin/sh\n";

static const char group_text[] = "root:x:0:\n"
				 "users:x:100:alice,bob\n"
				 "alice:x:1000:\n"
				 "wheel:x:10:alice\n"
				 "docker:x:999:bob,alice,carol\n"
				 "audio:x:29:\n"
				 "nomembers:x:500\n"
				 "bad:x:abc:alice\n"
				 "carol:x:1002:\n";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int setup(void **state)
{
	char etc[128];

	(void)state;
	strcpy(root, "/tmp/nucleus-users-XXXXXX");
	strcpy(bare, "/tmp/nucleus-bare-XXXXXX");
	if (!mkdtemp(root) || !mkdtemp(bare))
		return -1;
	snprintf(etc, sizeof(etc), "%s/etc", root);
	if (mkdir(etc, 0755))
		return -1;
	write_file(etc, "passwd", passwd_text);
	write_file(etc, "group", group_text);
	return 0;
}

static int teardown(void **state)
{
	char p[256];

	(void)state;
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc/group", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc", root);
	rmdir(p);
	rmdir(root);
	rmdir(bare);
	return 0;
}

static bool has_group(const struct ident *id, gid_t g)
{
	for (int i = 0; i < id->ngroups; i++)
		if (id->groups[i] == g)
			return true;
	return false;
}

static void test_passwd_lookup(void **state)
{
	char path[256], name[64], home[256];
	uid_t u = 77;
	gid_t g = 77;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	assert_int_equal(
		passwd_lookup(path, "alice", -1, name, sizeof(name), &u, &g, home, sizeof(home)),
		0);
	assert_int_equal(u, 1000);
	assert_int_equal(g, 1000);
	assert_string_equal(name, "alice");
	assert_string_equal(home, "/home/alice");

	/* by uid */
	assert_int_equal(
		passwd_lookup(path, NULL, 1001, name, sizeof(name), &u, &g, home, sizeof(home)), 0);
	assert_string_equal(name, "bob");
	assert_int_equal(g, 100);
	assert_string_equal(home, "/home/bob");

	/* the first entry wins */
	assert_int_equal(passwd_lookup(path, "dup", -1, NULL, 0, &u, &g, home, sizeof(home)), 0);
	assert_int_equal(u, 2000);
	assert_string_equal(home, "/first");

	/* unknown, and lines that are not entries */
	u = 77;
	assert_int_equal(passwd_lookup(path, "nobody", -1, NULL, 0, &u, &g, NULL, 0), -ENOENT);
	assert_int_equal(u, 77);
	assert_int_equal(passwd_lookup(path, "weird", -1, NULL, 0, &u, &g, NULL, 0), -ENOENT);
	assert_int_equal(
		passwd_lookup(path, "broken line without fields", -1, NULL, 0, &u, &g, NULL, 0),
		-ENOENT);
	assert_int_equal(passwd_lookup(path, NULL, 4242, NULL, 0, &u, &g, NULL, 0), -ENOENT);
	/* a name is not matched by prefix */
	assert_int_equal(passwd_lookup(path, "ali", -1, NULL, 0, &u, &g, NULL, 0), -ENOENT);
	/* a missing file */
	snprintf(path, sizeof(path), "%s/etc/passwd", bare);
	assert_int_equal(passwd_lookup(path, "root", -1, NULL, 0, &u, &g, NULL, 0), -ENOENT);
}

static void test_group_lookup(void **state)
{
	char path[256];
	gid_t g = 5;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/group", root);
	assert_int_equal(group_lookup(path, "wheel", -1, &g), 0);
	assert_int_equal(g, 10);
	assert_int_equal(group_lookup(path, "nomembers", -1, &g), 0); /* 3 fields are enough */
	assert_int_equal(g, 500);
	assert_int_equal(group_lookup(path, NULL, 999, &g), 0);
	g = 5;
	assert_int_equal(group_lookup(path, "bad", -1, &g), -ENOENT);
	assert_int_equal(group_lookup(path, "wheels", -1, &g), -ENOENT);
	assert_int_equal(group_lookup(path, NULL, 12345, &g), -ENOENT);
	assert_int_equal(g, 5);
}

static void test_resolve_by_name(void **state)
{
	struct ident id;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(ident_resolve(root, "alice", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 1000);
	assert_string_equal(id.name, "alice");
	assert_string_equal(id.home, "/home/alice");
	/* membership groups from /etc/group: users, wheel, docker */
	assert_int_equal(id.ngroups, 3);
	assert_true(has_group(&id, 100));
	assert_true(has_group(&id, 10));
	assert_true(has_group(&id, 999));
	assert_false(has_group(&id, 29));

	assert_int_equal(ident_resolve(root, "bob", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 1001);
	assert_int_equal(id.gid, 100);
	assert_int_equal(id.ngroups, 2);
	assert_true(has_group(&id, 100));
	assert_true(has_group(&id, 999));

	/* root: no memberships listed */
	assert_int_equal(ident_resolve(root, "root", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 0);
	assert_int_equal(id.gid, 0);
	assert_string_equal(id.home, "/root");
	assert_int_equal(id.ngroups, 0);
}

static void test_resolve_numeric(void **state)
{
	struct ident id;
	struct nerr e = {0};

	(void)state;
	/* a uid with an entry takes its group, name, home and memberships */
	assert_int_equal(ident_resolve(root, "1000", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 1000);
	assert_string_equal(id.name, "alice");
	assert_string_equal(id.home, "/home/alice");
	assert_int_equal(id.ngroups, 3);

	/* a uid without an entry: gid = uid, home /, no groups */
	assert_int_equal(ident_resolve(root, "4242", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 4242);
	assert_int_equal(id.gid, 4242);
	assert_string_equal(id.home, "/");
	assert_int_equal(id.ngroups, 0);

	/* numeric user and group, no files at all */
	assert_int_equal(ident_resolve(bare, "65534:65533", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 65534);
	assert_int_equal(id.gid, 65533);
	assert_int_equal(id.ngroups, 0);
}

static void test_resolve_user_group(void **state)
{
	struct ident id;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(ident_resolve(root, "alice:audio", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 29);
	assert_true(has_group(&id, 10)); /* memberships still apply */

	assert_int_equal(ident_resolve(root, "alice:5000", NULL, &id, &e), 0);
	assert_int_equal(id.gid, 5000);

	assert_int_equal(ident_resolve(root, "1001:wheel", NULL, &id, &e), 0);
	assert_int_equal(id.uid, 1001);
	assert_int_equal(id.gid, 10);
}

static void test_resolve_extra_groups(void **state)
{
	char *extra[] = {"audio", "77", "wheel", NULL};
	struct ident id;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(ident_resolve(root, "bob", extra, &id, &e), 0);
	assert_true(has_group(&id, 29));
	assert_true(has_group(&id, 77));
	assert_true(has_group(&id, 10));
	assert_true(has_group(&id, 100));
	assert_true(has_group(&id, 999));
	assert_int_equal(id.ngroups, 5);

	/* an extra group already among the memberships is not listed twice */
	char *dup[] = {"docker", "999", NULL};

	assert_int_equal(ident_resolve(root, "carol", dup, &id, &e), 0);
	assert_int_equal(id.ngroups, 1);
	assert_int_equal(id.groups[0], 999);
	assert_string_equal(id.home, "/srv/carol");
}

static void test_resolve_errors(void **state)
{
	struct ident id;
	struct nerr e;
	char *bad_extra[] = {"audio", "nosuchgroup", NULL};

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(ident_resolve(root, "mallory", NULL, &id, &e), -ENOENT);
	assert_string_equal(e.step, "user");
	assert_int_equal(e.err, ENOENT);
	assert_non_null(strstr(e.what, "mallory"));

	memset(&e, 0, sizeof(e));
	assert_int_equal(ident_resolve(root, "alice:nosuchgroup", NULL, &id, &e), -ENOENT);
	assert_string_equal(e.step, "user");
	assert_non_null(strstr(e.what, "nosuchgroup"));

	memset(&e, 0, sizeof(e));
	assert_int_equal(ident_resolve(root, "alice", bad_extra, &id, &e), -ENOENT);
	assert_string_equal(e.step, "groups");
	assert_non_null(strstr(e.what, "nosuchgroup"));

	/* a name needs a passwd file */
	memset(&e, 0, sizeof(e));
	assert_true(ident_resolve(bare, "alice", NULL, &id, &e) < 0);
	assert_string_equal(e.step, "user");
}

static void test_resolve_too_many_groups(void **state)
{
	char *extra[MAX_GROUPS + 2], bufs[MAX_GROUPS + 1][16];
	struct ident id;
	struct nerr e = {0};

	(void)state;
	for (int i = 0; i <= MAX_GROUPS; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "%d", 20000 + i);
		extra[i] = bufs[i];
	}
	extra[MAX_GROUPS + 1] = NULL;
	assert_int_equal(ident_resolve(root, "4242", extra, &id, &e), -E2BIG);
	assert_string_equal(e.step, "groups");
	extra[MAX_GROUPS] = NULL;
	assert_int_equal(ident_resolve(root, "4242", extra, &id, &e), 0);
	assert_int_equal(id.ngroups, MAX_GROUPS);
}

/*
 * The default user is root (NULL spec). A service root without an
 * /etc/passwd (a minimal image, a scratch container root) must still run
 * services as root: uid 0 needs no lookup.
 */
static void test_resolve_default_root_without_passwd(void **state)
{
	struct ident id;
	struct nerr e = {0};
	int r;

	(void)state;
	r = ident_resolve(bare, NULL, NULL, &id, &e);
	if (r)
		fail_msg("default user (root) without %s/etc/passwd: %s: %s", bare,
			 e.step ? e.step : "?", e.what);
	assert_int_equal(id.uid, 0);
	assert_int_equal(id.gid, 0);
	assert_int_equal(id.ngroups, 0);
}

static void test_resolve_default_root(void **state)
{
	struct ident id;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(ident_resolve(root, NULL, NULL, &id, &e), 0);
	assert_int_equal(id.uid, 0);
	assert_int_equal(id.gid, 0);
	assert_string_equal(id.name, "root");
	assert_string_equal(id.home, "/root");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd_lookup),
		cmocka_unit_test(test_group_lookup),
		cmocka_unit_test(test_resolve_by_name),
		cmocka_unit_test(test_resolve_numeric),
		cmocka_unit_test(test_resolve_user_group),
		cmocka_unit_test(test_resolve_extra_groups),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_resolve_too_many_groups),
		cmocka_unit_test(test_resolve_default_root),
		cmocka_unit_test(test_resolve_default_root_without_passwd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
