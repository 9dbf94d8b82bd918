// SPDX-License-Identifier: MIT
/*
 * test_nft.c - the nftables ruleset of bridged services, as text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "net/nft.h"

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing \"%s\" in:\n%s", line, text);
}

static void test_empty_removes_the_table(void **state)
{
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	assert_int_equal(nft_render(NULL, 0, NULL, &sb), 0);
	assert_string_equal(sb.buf, "table inet nucleus\ndelete table inet nucleus\n");
	sb_free(&sb);
}

static void test_publish_egress_masquerade(void **state)
{
	char *pub[] = {"8080:80", "5353:53/udp", NULL};
	char *egr[] = {"192.0.2.0/24:443", "198.51.100.7/32", NULL};
	char *none[] = {"none", NULL};
	char *dns[] = {"10.0.2.3", "fd00::53", NULL};
	struct nft_svc s[3] = {
		{.name = "web", .bridge = "nucleus0", .addr = 0x0a580005, .publish = pub},
		{.name = "api", .bridge = "nucleus0", .addr = 0x0a580006, .egress = egr},
		{.name = "jail", .bridge = "br1", .addr = 0x0a590002, .egress = none},
	};
	struct strbuf sb;

	(void)state;
	ipam_parse_subnet("10.88.0.0/16", &s[0].net);
	ipam_parse_subnet("10.88.0.0/16", &s[1].net);
	ipam_parse_subnet("10.89.0.0/24", &s[2].net);
	sb_init(&sb);
	assert_int_equal(nft_render(s, 3, dns, &sb), 0);
	/* replaced whole, in one transaction */
	assert_true(!strncmp(
		sb.buf, "table inet nucleus\ndelete table inet nucleus\ntable inet nucleus {", 60));
	has(sb.buf, "fib daddr type local tcp dport 8080 dnat ip to 10.88.0.5:80");
	has(sb.buf, "fib daddr type local udp dport 5353 dnat ip to 10.88.0.5:53");
	/* one masquerade per bridge and subnet */
	has(sb.buf, "ip saddr 10.88.0.0/16 oifname != \"nucleus0\" masquerade");
	has(sb.buf, "ip saddr 10.89.0.0/24 oifname != \"br1\" masquerade");
	assert_null(strstr(strstr(sb.buf, "10.88.0.0/16 oifname") + 1, "10.88.0.0/16 oifname"));
	/* egress: replies, DNS (IPv4 servers), the list, then drop */
	has(sb.buf, "ip saddr 10.88.0.6 ct state established,related accept");
	has(sb.buf,
	    "ip saddr 10.88.0.6 ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 accept");
	has(sb.buf, "ip saddr 10.88.0.6 ip daddr 192.0.2.0/24 meta l4proto { tcp, udp } th dport "
		    "443 accept");
	has(sb.buf, "ip saddr 10.88.0.6 ip daddr 198.51.100.7/32 accept");
	has(sb.buf, "ip saddr 10.88.0.6 drop");
	has(sb.buf, "ip saddr 10.89.0.2 drop");
	assert_null(strstr(sb.buf, "fd00::53"));
	/* no egress key: no rule for that service at all */
	assert_null(strstr(sb.buf, "ip saddr 10.88.0.5 "));
	assert_true(nft_required(s, 3));
	assert_false(nft_required(s + 1, 0));
	sb_free(&sb);
}

/* Issue 16: publish on one address, egress by protocol, logged drops. */
static void test_address_proto_log(void **state)
{
	char *pub[] = {"192.0.2.1:8080:80", "10.0.2.15:5353:53/udp", NULL};
	char *egr[] = {"192.0.2.0/24:443/tcp", "198.51.100.7/32/udp", "203.0.113.0/24:53", NULL};
	struct nft_svc s[2] = {
		{.name = "web", .bridge = "nucleus0", .addr = 0x0a580005, .publish = pub},
		{.name = "api", .bridge = "nucleus0", .addr = 0x0a580006, .egress = egr,
		 .egress_log = true},
	};
	struct strbuf sb;

	(void)state;
	ipam_parse_subnet("10.88.0.0/16", &s[0].net);
	ipam_parse_subnet("10.88.0.0/16", &s[1].net);
	sb_init(&sb);
	assert_int_equal(nft_render(s, 2, NULL, &sb), 0);
	has(sb.buf, "ip daddr 192.0.2.1 tcp dport 8080 dnat ip to 10.88.0.5:80");
	has(sb.buf, "ip daddr 10.0.2.15 udp dport 5353 dnat ip to 10.88.0.5:53");
	assert_null(strstr(sb.buf, "fib daddr type local"));
	has(sb.buf, "ip saddr 10.88.0.6 ip daddr 192.0.2.0/24 tcp dport 443 accept");
	has(sb.buf, "ip saddr 10.88.0.6 ip daddr 198.51.100.7/32 meta l4proto udp accept");
	has(sb.buf, "ip saddr 10.88.0.6 ip daddr 203.0.113.0/24 meta l4proto { tcp, udp } th dport "
		    "53 accept");
	/* the log rule comes right before the drop, limited, the service in its prefix */
	has(sb.buf, "ip saddr 10.88.0.6 limit rate 5/second burst 10 packets log prefix "
		    "\"nucleus egress api: \" level info\n\t\tip saddr 10.88.0.6 drop");
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_removes_the_table),
		cmocka_unit_test(test_publish_egress_masquerade),
		cmocka_unit_test(test_address_proto_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
