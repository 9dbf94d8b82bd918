// SPDX-License-Identifier: MIT
/*
 * test_powerbtn.c - reading power button presses (input_events fed through
 * a non-blocking pipe, as evdev would deliver them) and the watchdog
 * timeout rule. No real input or watchdog device is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/input.h>
#include <unistd.h>

#include "powerbtn.h"
#include "watchdog.h"

static void feed(int fd, uint16_t type, uint16_t code, int32_t value)
{
	struct input_event ev = {.type = type, .code = code, .value = value};

	assert_int_equal(write(fd, &ev, sizeof(ev)), sizeof(ev));
}

static void test_read_press(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	/* nothing pending: false, and no blocking */
	assert_false(powerbtn_read(p[0]));
	/* a press with its SYN, then the release */
	feed(p[1], EV_KEY, KEY_POWER, 1);
	feed(p[1], EV_SYN, SYN_REPORT, 0);
	feed(p[1], EV_KEY, KEY_POWER, 0);
	feed(p[1], EV_SYN, SYN_REPORT, 0);
	assert_true(powerbtn_read(p[0]));
	/* drained */
	assert_false(powerbtn_read(p[0]));
	/* a release alone, another key, an autorepeat: no press */
	feed(p[1], EV_KEY, KEY_POWER, 0);
	feed(p[1], EV_KEY, KEY_SLEEP, 1);
	feed(p[1], EV_KEY, KEY_POWER, 2);
	feed(p[1], EV_MSC, KEY_POWER, 1);
	assert_false(powerbtn_read(p[0]));
	/* a press behind many other events is still seen */
	for (int i = 0; i < 40; i++)
		feed(p[1], EV_SYN, SYN_REPORT, 0);
	feed(p[1], EV_KEY, KEY_POWER, 1);
	assert_true(powerbtn_read(p[0]));
	close(p[0]);
	close(p[1]);
}

static void test_open_all_bounds(void **state)
{
	int fds[1];

	(void)state;
	/* max 0 opens nothing, whatever the host has */
	assert_int_equal(powerbtn_open_all(fds, 0), 0);
}

static void test_wdog_timeout(void **state)
{
	(void)state;
	assert_int_equal(wdog_timeout_for(10), 20);
	assert_int_equal(wdog_timeout_for(5), 10);
	assert_int_equal(wdog_timeout_for(4), 9);
	assert_int_equal(wdog_timeout_for(1), 6);
	assert_int_equal(wdog_timeout_for(0), 6);
	assert_int_equal(wdog_timeout_for(60), 120);
	assert_true(wdog_timeout_for(0xffffffffu) > 0);
}

static void test_wdog_open_missing(void **state)
{
	struct nerr e = {0};

	(void)state;
	assert_int_equal(wdog_open("/nonexistent/watchdog", 10, &e), -ENOENT);
	assert_string_equal(e.step, "watchdog");
	assert_string_equal(e.what, "/nonexistent/watchdog: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_press),
		cmocka_unit_test(test_open_all_bounds),
		cmocka_unit_test(test_wdog_timeout),
		cmocka_unit_test(test_wdog_open_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
