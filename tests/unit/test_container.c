// SPDX-License-Identifier: MIT
/*
 * test_container.c - container mode's exit code: the child's code, 128+N
 * for a signal, and -e CODE remapping to 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "container.h"

#define EXITED(code) ((code) << 8)

static void test_plain_codes(void **state)
{
	struct container_opts o = {0};

	(void)state;
	assert_int_equal(container_exit_code(&o, EXITED(0)), 0);
	assert_int_equal(container_exit_code(&o, EXITED(1)), 1);
	assert_int_equal(container_exit_code(&o, EXITED(3)), 3);
	assert_int_equal(container_exit_code(&o, EXITED(126)), 126);
	assert_int_equal(container_exit_code(&o, EXITED(127)), 127);
	assert_int_equal(container_exit_code(&o, EXITED(255)), 255);
}

static void test_signals(void **state)
{
	struct container_opts o = {0};

	(void)state;
	assert_int_equal(container_exit_code(&o, SIGKILL), 137);
	assert_int_equal(container_exit_code(&o, SIGTERM), 143);
	assert_int_equal(container_exit_code(&o, SIGINT), 130);
	assert_int_equal(container_exit_code(&o, SIGHUP), 129);
	/* a core dump does not change the code */
	assert_int_equal(container_exit_code(&o, SIGSEGV | 0x80), 139);
	assert_int_equal(container_exit_code(&o, SIGABRT | 0x80), 134);
}

static void test_remap(void **state)
{
	struct container_opts o = {.remap = {3, 143}, .nremap = 2};

	(void)state;
	assert_int_equal(container_exit_code(&o, EXITED(3)), 0);
	assert_int_equal(container_exit_code(&o, SIGTERM), 0); /* 143 is mapped */
	assert_int_equal(container_exit_code(&o, EXITED(4)), 4);
	assert_int_equal(container_exit_code(&o, SIGKILL), 137);
	assert_int_equal(container_exit_code(&o, EXITED(0)), 0);
	/* a code mapped as exit 143 and a real exit 143 are the same number */
	assert_int_equal(container_exit_code(&o, EXITED(143)), 0);
}

static void test_remap_only_listed(void **state)
{
	/* entries beyond nremap are not consulted */
	struct container_opts o = {.remap = {1, 2, 3}, .nremap = 1};

	(void)state;
	assert_int_equal(container_exit_code(&o, EXITED(1)), 0);
	assert_int_equal(container_exit_code(&o, EXITED(2)), 2);
	assert_int_equal(container_exit_code(&o, EXITED(3)), 3);
}

static void test_remap_full_table(void **state)
{
	struct container_opts o = {0};

	(void)state;
	for (int i = 0; i < 16; i++)
		o.remap[i] = 100 + i;
	o.nremap = 16;
	assert_int_equal(container_exit_code(&o, EXITED(100)), 0);
	assert_int_equal(container_exit_code(&o, EXITED(115)), 0);
	assert_int_equal(container_exit_code(&o, EXITED(116)), 116);
	assert_int_equal(container_exit_code(&o, EXITED(99)), 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_codes),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_remap),
		cmocka_unit_test(test_remap_only_listed),
		cmocka_unit_test(test_remap_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
