// SPDX-License-Identifier: MIT
/* Unit tests of the probe parsers and the health bookkeeping (issue 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "notify.h"
#include "probe.h"

#define HTTP(s) http_status_parse(s, sizeof(s) - 1)

static void test_http_status(void **state)
{
	(void)state;
	assert_int_equal(HTTP("HTTP/1.1 200 OK\r\n"), 200);
	assert_int_equal(HTTP("HTTP/1.0 302 Found\r\nLocation: /\r\n"), 302);
	assert_int_equal(HTTP("HTTP/1.1 404 Not Found\r\n"), 404);
	assert_int_equal(HTTP("HTTP/1.1 204\r\n"), 204);
	/* incomplete: no newline yet */
	assert_int_equal(HTTP("HTTP/1.1 200 O"), 0);
	assert_int_equal(HTTP(""), 0);
	/* malformed */
	assert_int_equal(HTTP("SSH-2.0-OpenSSH\r\n"), -1);
	assert_int_equal(HTTP("HTTP/2 200 OK\r\n"), -1);
	assert_int_equal(HTTP("HTTP/1.1 2x0 OK\r\n"), -1);
	assert_int_equal(HTTP("HTTP/1.1 20 OK\r\n"), -1);
	assert_int_equal(HTTP("HTTP/1.1 2000 OK\r\n"), -1);
	assert_int_equal(HTTP("HTTP/1.1 099 OK\r\n"), -1);
}

static void test_http_status_long_line(void **state)
{
	char buf[600];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(http_status_parse(buf, sizeof(buf)), -1);
}

static void test_notify_parse(void **state)
{
	struct notify_msg m;
	static const char msg[] = "READY=1\nSTATUS=serving\nMAINPID=4242\nFOO=bar\nWATCHDOG=1";

	(void)state;
	notify_parse(msg, sizeof(msg) - 1, &m);
	assert_true(m.ready);
	assert_true(m.watchdog);
	assert_false(m.stopping);
	assert_false(m.reloading);
	assert_true(m.has_status);
	assert_string_equal(m.status, "serving");
	assert_true(m.has_mainpid);
	assert_int_equal(m.mainpid, 4242);
}

static void test_notify_parse_strict(void **state)
{
	struct notify_msg m;
	static const char msg[] = "READY=10\nREADY=\nXREADY=1\nSTOPPING=1\nRELOADING=1\n"
				  "MAINPID=1\nMAINPID=abc";

	(void)state;
	notify_parse(msg, sizeof(msg) - 1, &m);
	assert_false(m.ready);
	assert_true(m.stopping);
	assert_true(m.reloading);
	assert_false(m.has_mainpid); /* pid 1 and garbage are refused */
	assert_false(m.has_status);
}

static void test_notify_status_empty_and_long(void **state)
{
	struct notify_msg m;
	char big[400];

	(void)state;
	notify_parse("STATUS=", 7, &m);
	assert_true(m.has_status);
	assert_string_equal(m.status, "");
	memcpy(big, "STATUS=", 7);
	memset(big + 7, 'a', sizeof(big) - 7);
	notify_parse(big, sizeof(big), &m);
	assert_int_equal(strlen(m.status), sizeof(m.status) - 1);
}

static void test_health_account(void **state)
{
	unsigned fails = 0;

	(void)state;
	/* retries = 3: the third consecutive failure is unhealthy */
	assert_int_equal(health_account(&fails, false, false, 3), 0);
	assert_int_equal(health_account(&fails, false, false, 3), 0);
	assert_int_equal(health_account(&fails, false, false, 3), -1);
	assert_int_equal(fails, 3);
	/* one success resets */
	assert_int_equal(health_account(&fails, true, false, 3), 1);
	assert_int_equal(fails, 0);
	/* failures in the start period do not count */
	assert_int_equal(health_account(&fails, false, true, 1), 0);
	assert_int_equal(fails, 0);
	assert_int_equal(health_account(&fails, false, false, 1), -1);
	/* a success in between breaks the run */
	fails = 0;
	assert_int_equal(health_account(&fails, false, false, 2), 0);
	assert_int_equal(health_account(&fails, true, false, 2), 1);
	assert_int_equal(health_account(&fails, false, false, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_http_status_long_line),
		cmocka_unit_test(test_notify_parse),
		cmocka_unit_test(test_notify_parse_strict),
		cmocka_unit_test(test_notify_status_empty_and_long),
		cmocka_unit_test(test_health_account),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
