// SPDX-License-Identifier: MIT
/*
 * test_nl.c - the rtnetlink message builder (lengths, alignment, nesting,
 * overflow) and the ADDR/PREFIX parser of [interface.NAME]. The requests
 * themselves run in tests/integration/netlink.bats, in a network namespace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "net/iface.h"
#include "net/nl.h"

static void test_msg_attrs(void **state)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 7};
	struct nl_msg m;
	struct ifinfomsg *h;
	struct rtattr *a;
	int len;

	(void)state;
	h = nl_msg_init(&m, RTM_NEWLINK, NLM_F_CREATE, &ifi, sizeof(ifi));
	assert_non_null(h);
	assert_int_equal(h->ifi_index, 7);
	assert_int_equal(m.h.nlmsg_flags, NLM_F_CREATE | NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(m.h.nlmsg_len, NLMSG_LENGTH(sizeof(ifi)));
	nl_attr_put_str(&m, IFLA_IFNAME, "br0"); /* 4 bytes: padded to 8 */
	nl_attr_put_u32(&m, IFLA_MTU, 9000);
	assert_int_equal(m.h.nlmsg_len, NLMSG_LENGTH(sizeof(ifi)) + 8 + 8);
	assert_false(m.overflow);

	len = (int)IFLA_PAYLOAD(&m.h);
	a = IFLA_RTA(h);
	assert_true(RTA_OK(a, len));
	assert_int_equal(a->rta_type, IFLA_IFNAME);
	assert_string_equal(RTA_DATA(a), "br0");
	a = RTA_NEXT(a, len);
	assert_true(RTA_OK(a, len));
	assert_int_equal(a->rta_type, IFLA_MTU);
	assert_int_equal(*(uint32_t *)RTA_DATA(a), 9000);
	a = RTA_NEXT(a, len);
	assert_false(RTA_OK(a, len));
}

static void test_msg_nest(void **state)
{
	struct ifinfomsg ifi = {0};
	struct nl_msg m;
	struct rtattr *nest, *a;
	int len;

	(void)state;
	nl_msg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nest = nl_nest_start(&m, IFLA_LINKINFO);
	assert_non_null(nest);
	nl_attr_put_str(&m, IFLA_INFO_KIND, "veth");
	nl_nest_end(&m, nest);
	nl_attr_put_u32(&m, IFLA_MTU, 1500);
	assert_int_equal(nest->rta_len, RTA_LENGTH(RTA_SPACE(5)));
	len = (int)RTA_PAYLOAD(nest);
	a = RTA_DATA(nest);
	assert_true(RTA_OK(a, len));
	assert_string_equal(RTA_DATA(a), "veth");
	assert_int_equal(m.h.nlmsg_len, NLMSG_LENGTH(sizeof(ifi)) + RTA_LENGTH(RTA_SPACE(5)) + 8);
}

static void test_msg_overflow(void **state)
{
	static char big[NL_MSG_SIZE];
	struct ifinfomsg ifi = {0};
	struct nl_msg m;
	struct nl n = {.fd = -1};
	uint32_t before;

	(void)state;
	nl_msg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_attr_put(&m, IFLA_IFALIAS, big, NL_MSG_SIZE - 64);
	assert_false(m.overflow);
	before = m.h.nlmsg_len;
	nl_attr_put(&m, IFLA_IFALIAS, big, 64);
	assert_true(m.overflow);
	assert_int_equal(m.h.nlmsg_len, before);
	nl_attr_put_u32(&m, IFLA_MTU, 1); /* ignored from now on */
	assert_int_equal(m.h.nlmsg_len, before);
	assert_null(nl_nest_start(&m, IFLA_LINKINFO));
	/* refused before anything is sent */
	assert_int_equal(nl_request(&n, &m), -EMSGSIZE);
}

static void test_parse_addr(void **state)
{
	unsigned char a[16], want[16];
	int fam, plen;

	(void)state;
	assert_int_equal(iface_parse_addr("10.0.2.15/24", &fam, a, &plen), 0);
	assert_int_equal(fam, AF_INET);
	assert_int_equal(plen, 24);
	inet_pton(AF_INET, "10.0.2.15", want);
	assert_memory_equal(a, want, 4);
	assert_int_equal(iface_parse_addr("fd00::2/64", &fam, a, &plen), 0);
	assert_int_equal(fam, AF_INET6);
	assert_int_equal(plen, 64);
	inet_pton(AF_INET6, "fd00::2", want);
	assert_memory_equal(a, want, 16);
	assert_int_equal(iface_parse_addr("192.168.1.1", &fam, a, &plen), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(iface_parse_addr("::1", &fam, a, &plen), 0);
	assert_int_equal(plen, 128);
	assert_int_equal(iface_parse_addr("10.0.0.1/0", &fam, a, &plen), 0);
	assert_int_equal(plen, 0);

	assert_int_equal(iface_parse_addr("10.0.0.1/33", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("fd00::1/129", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("10.0.0.1/", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("10.0.0.1/x", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("/24", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("eth0/24", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("10.0.0.256/24", &fam, a, &plen), -EINVAL);
	assert_int_equal(iface_parse_addr("", &fam, a, &plen), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_attrs),
		cmocka_unit_test(test_msg_nest),
		cmocka_unit_test(test_msg_overflow),
		cmocka_unit_test(test_parse_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
