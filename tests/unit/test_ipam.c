// SPDX-License-Identifier: MIT
/*
 * test_ipam.c - address allocation of bridged services: subnets, the
 * gateway, deterministic picks, collisions, fixed addresses, persistence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/ipam.h"

static uint32_t ip(const char *s)
{
	unsigned a, b, c, d;

	assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	return a << 24 | b << 16 | c << 8 | d;
}

static void test_subnet(void **state)
{
	struct ipam_net n;
	char buf[16];

	(void)state;
	assert_int_equal(ipam_parse_subnet("10.88.0.0/16", &n), 0);
	assert_int_equal(n.prefix, 16);
	assert_string_equal(ipam_str(n.net, buf), "10.88.0.0");
	assert_string_equal(ipam_str(ipam_gateway(&n), buf), "10.88.0.1");
	/* host bits are dropped */
	assert_int_equal(ipam_parse_subnet("192.168.7.77/24", &n), 0);
	assert_string_equal(ipam_str(n.net, buf), "192.168.7.0");
	assert_int_equal(ipam_parse_subnet("10.0.0.0", &n), -EINVAL);
	assert_int_equal(ipam_parse_subnet("10.0.0.0/31", &n), -EINVAL);
	assert_int_equal(ipam_parse_subnet("10.0.0.0/7", &n), -EINVAL);
	assert_int_equal(ipam_parse_subnet("fd00::/64", &n), -EINVAL);
}

/* A /29 has 5 hosts: .2 to .6 (.1 is the gateway, .7 the broadcast). */
static void test_pick_fills_and_refuses(void **state)
{
	struct ipam_net n;
	uint32_t taken[8], a;
	int nt = 0;

	(void)state;
	assert_int_equal(ipam_parse_subnet("10.1.2.0/29", &n), 0);
	for (int i = 0; i < 5; i++) {
		char name[8];

		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(ipam_pick(&n, name, 0, 0, taken, nt, &a), 0);
		assert_true(a >= ip("10.1.2.2") && a <= ip("10.1.2.6"));
		for (int k = 0; k < nt; k++)
			assert_int_not_equal(taken[k], a);
		taken[nt++] = a;
	}
	assert_int_equal(ipam_pick(&n, "more", 0, 0, taken, nt, &a), -ENOSPC);
}

static void test_pick_deterministic_and_prev(void **state)
{
	struct ipam_net n;
	uint32_t a, b, taken[1];

	(void)state;
	assert_int_equal(ipam_parse_subnet("10.88.0.0/16", &n), 0);
	assert_int_equal(ipam_pick(&n, "web", 0, 0, NULL, 0, &a), 0);
	assert_int_equal(ipam_pick(&n, "web", 0, 0, NULL, 0, &b), 0);
	assert_int_equal(a, b);
	/* taken: the next free one */
	taken[0] = a;
	assert_int_equal(ipam_pick(&n, "web", 0, 0, taken, 1, &b), 0);
	assert_int_not_equal(a, b);
	/* a remembered address wins while it is free */
	assert_int_equal(ipam_pick(&n, "web", 0, ip("10.88.9.9"), NULL, 0, &b), 0);
	assert_int_equal(b, ip("10.88.9.9"));
	taken[0] = ip("10.88.9.9");
	assert_int_equal(ipam_pick(&n, "web", 0, ip("10.88.9.9"), taken, 1, &b), 0);
	assert_int_not_equal(b, ip("10.88.9.9"));
}

static void test_pick_fixed(void **state)
{
	struct ipam_net n;
	uint32_t a, taken[1] = {0};

	(void)state;
	assert_int_equal(ipam_parse_subnet("10.88.0.0/16", &n), 0);
	assert_int_equal(ipam_pick(&n, "x", ip("10.88.1.2"), 0, NULL, 0, &a), 0);
	assert_int_equal(a, ip("10.88.1.2"));
	taken[0] = ip("10.88.1.2");
	assert_int_equal(ipam_pick(&n, "x", ip("10.88.1.2"), 0, taken, 1, &a), -EADDRINUSE);
	/* the gateway, the network, the broadcast and outside addresses are not hosts */
	assert_int_equal(ipam_pick(&n, "x", ip("10.88.0.1"), 0, NULL, 0, &a), -EINVAL);
	assert_int_equal(ipam_pick(&n, "x", ip("10.88.0.0"), 0, NULL, 0, &a), -EINVAL);
	assert_int_equal(ipam_pick(&n, "x", ip("10.88.255.255"), 0, NULL, 0, &a), -EINVAL);
	assert_int_equal(ipam_pick(&n, "x", ip("10.89.0.5"), 0, NULL, 0, &a), -EINVAL);
}

static void test_persist(void **state)
{
	char dir[] = "/tmp/nuc-unit-ipam-XXXXXX", sub[64];
	uint32_t a = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/ipam", dir);
	assert_int_equal(ipam_load(sub, "web", &a), -ENOENT);
	assert_int_equal(ipam_save(sub, "web", ip("10.88.4.5")), 0);
	assert_int_equal(ipam_load(sub, "web", &a), 0);
	assert_int_equal(a, ip("10.88.4.5"));
	ipam_forget(sub, "web");
	assert_int_equal(ipam_load(sub, "web", &a), -ENOENT);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subnet),
		cmocka_unit_test(test_pick_fills_and_refuses),
		cmocka_unit_test(test_pick_deterministic_and_prev),
		cmocka_unit_test(test_pick_fixed),
		cmocka_unit_test(test_persist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
