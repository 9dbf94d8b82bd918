// SPDX-License-Identifier: MIT
/*
 * test_service.c - the arithmetic of the restart policy: exponential
 * back-off with its reset rule, the start limit window, and which exits
 * a policy restarts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "service.h"

#define EXITED(code) ((code) << 8)
#define KILLED(sig)  (sig)

/* ---- back-off ---- */

static void test_backoff_doubles_to_ceiling(void **state)
{
	static const uint64_t want[] = {100,  200,   400,   800,   1600,  3200,
					6400, 12800, 25600, 30000, 30000, 30000};
	uint64_t cur = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t d = backoff_step(&cur, 100, 30000, 0);

		if (d != want[i])
			fail_msg("restart %zu: delay %llu, want %llu", i, (unsigned long long)d,
				 (unsigned long long)want[i]);
	}
	assert_true(cur == 30000);
}

static void test_backoff_ceiling_not_power_of_two(void **state)
{
	uint64_t cur = 0;

	(void)state;
	assert_true(backoff_step(&cur, 100, 250, 0) == 100);
	assert_true(backoff_step(&cur, 100, 250, 0) == 200);
	assert_true(backoff_step(&cur, 100, 250, 0) == 250);
	assert_true(backoff_step(&cur, 100, 250, 0) == 250);
}

static void test_backoff_first_equals_max(void **state)
{
	uint64_t cur = 0;

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_true(backoff_step(&cur, 1000, 1000, 0) == 1000);
	/* a first delay above the ceiling is held to the ceiling */
	cur = 0;
	assert_true(backoff_step(&cur, 5000, 2000, 0) == 2000);
	assert_true(backoff_step(&cur, 5000, 2000, 0) == 2000);
}

static void test_backoff_zero_delay(void **state)
{
	uint64_t cur = 0;

	(void)state;
	/* restart_delay = 0: restarts at once, every time */
	for (int i = 0; i < 5; i++)
		assert_true(backoff_step(&cur, 0, 30000, 0) == 0);
}

static void test_backoff_reset_after_long_run(void **state)
{
	uint64_t cur = 0;

	(void)state;
	assert_true(backoff_step(&cur, 100, 30000, 0) == 100);
	assert_true(backoff_step(&cur, 100, 30000, 0) == 200);
	assert_true(backoff_step(&cur, 100, 30000, 0) == 400);
	assert_true(cur == 400); /* the delay used last */
	/* a run shorter than 10x the delay used last keeps doubling */
	assert_true(backoff_step(&cur, 100, 30000, 3999) == 800);
	assert_true(cur == 800);
	/* a run of 10x the delay used last (800 ms -> 8 s) resets it */
	assert_true(backoff_step(&cur, 100, 30000, 8000) == 100);
	assert_true(cur == 100);
	/* and doubling starts again from the first delay */
	assert_true(backoff_step(&cur, 100, 30000, 0) == 200);
	assert_true(backoff_step(&cur, 100, 30000, 0) == 400);
	/* a very long run resets too, even at the ceiling */
	cur = 30000;
	assert_true(backoff_step(&cur, 100, 30000, 3600000) == 100);
}

static void test_backoff_at_ceiling_needs_long_run(void **state)
{
	uint64_t cur = 30000;

	(void)state;
	/* at the ceiling, a 1 minute run is not 10x 30 s: no reset */
	assert_true(backoff_step(&cur, 100, 30000, 60000) == 30000);
	assert_true(backoff_step(&cur, 100, 30000, 299999) == 30000);
	assert_true(backoff_step(&cur, 100, 30000, 300000) == 100);
}

static void test_backoff_no_overflow(void **state)
{
	uint64_t cur, max = UINT64_MAX / 2 + 10;

	(void)state;
	/* doubling near the top of the range must not wrap to a small delay */
	cur = UINT64_MAX / 4;
	assert_true(backoff_step(&cur, 1, max, 0) == UINT64_MAX / 4 * 2);
	assert_true(backoff_step(&cur, 1, max, 0) == max);
	assert_true(backoff_step(&cur, 1, max, 0) == max);
	/* 10x a huge delay does not wrap either: no reset */
	assert_true(backoff_step(&cur, 1, max, UINT64_MAX) == max);
}

/* ---- start limit ---- */

static void test_start_limit_basic(void **state)
{
	uint64_t starts[START_HISTORY] = {0};
	const uint64_t now = 1000000;

	(void)state;
	/* 4 starts in the last minute, limit 5: not hit */
	for (unsigned i = 0; i < 4; i++)
		starts[i] = now - 1000 * i;
	assert_false(start_limit_hit(starts, 4, 5, 60000, now));
	/* the fifth start inside the window hits it */
	starts[4] = now - 59999;
	assert_true(start_limit_hit(starts, 5, 5, 60000, now));
	/* no starts at all */
	assert_false(start_limit_hit(starts, 0, 1, 60000, now));
	/* limit 1: one start is enough */
	assert_true(start_limit_hit(starts, 1, 1, 60000, now));
}

static void test_start_limit_window_edges(void **state)
{
	uint64_t starts[START_HISTORY] = {0};
	const uint64_t now = 500000, window = 60000;

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		starts[i] = now - i;
	/* the window is (now - window, now]: a start exactly window ago is out */
	starts[4] = now - window;
	assert_false(start_limit_hit(starts, 5, 5, window, now));
	starts[4] = now - window + 1;
	assert_true(start_limit_hit(starts, 5, 5, window, now));
	starts[4] = now - window - 1;
	assert_false(start_limit_hit(starts, 5, 5, window, now));
	/* a start at this very millisecond counts */
	starts[4] = now;
	assert_true(start_limit_hit(starts, 5, 5, window, now));
	/* old starts, however many, do not count */
	for (unsigned i = 0; i < START_HISTORY; i++)
		starts[i] = now - window - 1000 - i;
	assert_false(start_limit_hit(starts, START_HISTORY, 1, window, now));
}

/* Records starts as the supervisor does: a ring of START_HISTORY entries. */
static void record(uint64_t *starts, unsigned *n, uint64_t t)
{
	starts[(*n)++ % START_HISTORY] = t;
}

static void test_start_limit_history_wrap(void **state)
{
	uint64_t starts[START_HISTORY];
	unsigned n = 0;
	const uint64_t window = 60000;
	uint64_t now = 10000000;

	(void)state;
	/* a long stable history of old starts, then a burst of recent ones */
	for (unsigned i = 0; i < 100; i++)
		record(starts, &n, now - 3600000 + i);
	assert_false(start_limit_hit(starts, n, 5, window, now));
	for (unsigned i = 0; i < 4; i++)
		record(starts, &n, now - 100 + i);
	assert_false(start_limit_hit(starts, n, 5, window, now));
	record(starts, &n, now);
	assert_true(start_limit_hit(starts, n, 5, window, now));
	/* time passes: the burst leaves the window */
	assert_false(start_limit_hit(starts, n, 5, window, now + window));
	assert_true(start_limit_hit(starts, n, 5, window, now + window - 101));
}

static void test_start_limit_full_history(void **state)
{
	uint64_t starts[START_HISTORY];
	unsigned n = 0;
	const uint64_t now = 10000000;

	(void)state;
	/* START_HISTORY recent starts, limit START_HISTORY: hit */
	for (unsigned i = 0; i < 3 * START_HISTORY; i++)
		record(starts, &n, now - 3 * START_HISTORY + i);
	assert_true(start_limit_hit(starts, n, START_HISTORY, 60000, now));
	assert_true(start_limit_hit(starts, n, 5, 60000, now));
}

/*
 * The contract: "at most N starts in the interval". The manifest accepts
 * N up to 100000; a limit above what the history holds must still end in
 * `failed` once N starts happened within the window.
 */
static void test_start_limit_above_history(void **state)
{
	uint64_t starts[START_HISTORY];
	unsigned n = 0;
	const unsigned limit = 100;
	const uint64_t now = 10000000;
	bool hit = false;

	(void)state;
	for (unsigned i = 0; i < 200 && !hit; i++) {
		record(starts, &n, now - 200 + i);
		hit = start_limit_hit(starts, n, limit, 60000, now);
	}
	if (!hit)
		fail_msg("start_limit = %u/60s: %u starts within a second never hit the limit",
			 limit, n);
	assert_int_equal(n, limit);
}

/* ---- restart policy ---- */

struct rcase {
	enum restart_policy p;
	enum svc_type t;
	int status;
	bool want;
};

static void test_restart_wanted(void **state)
{
	static const struct rcase cases[] = {
		/* always: longrun restarts whatever happened */
		{RESTART_ALWAYS, SVC_LONGRUN, EXITED(0), true},
		{RESTART_ALWAYS, SVC_LONGRUN, EXITED(1), true},
		{RESTART_ALWAYS, SVC_LONGRUN, EXITED(255), true},
		{RESTART_ALWAYS, SVC_LONGRUN, KILLED(SIGKILL), true},
		{RESTART_ALWAYS, SVC_LONGRUN, KILLED(SIGTERM), true},
		/* always: a oneshot that succeeded is done */
		{RESTART_ALWAYS, SVC_ONESHOT, EXITED(0), false},
		{RESTART_ALWAYS, SVC_ONESHOT, EXITED(2), true},
		{RESTART_ALWAYS, SVC_ONESHOT, KILLED(SIGSEGV), true},
		/* on-failure: non-zero exit or signal */
		{RESTART_ON_FAILURE, SVC_LONGRUN, EXITED(0), false},
		{RESTART_ON_FAILURE, SVC_LONGRUN, EXITED(1), true},
		{RESTART_ON_FAILURE, SVC_LONGRUN, EXITED(127), true},
		{RESTART_ON_FAILURE, SVC_LONGRUN, KILLED(SIGKILL), true},
		{RESTART_ON_FAILURE, SVC_LONGRUN, KILLED(SIGTERM), true},
		{RESTART_ON_FAILURE, SVC_LONGRUN, KILLED(SIGSEGV) | 0x80, true}, /* core */
		{RESTART_ON_FAILURE, SVC_ONESHOT, EXITED(0), false},
		{RESTART_ON_FAILURE, SVC_ONESHOT, EXITED(3), true},
		{RESTART_ON_FAILURE, SVC_ONESHOT, KILLED(SIGINT), true},
		/* never */
		{RESTART_NEVER, SVC_LONGRUN, EXITED(0), false},
		{RESTART_NEVER, SVC_LONGRUN, EXITED(1), false},
		{RESTART_NEVER, SVC_LONGRUN, KILLED(SIGKILL), false},
		{RESTART_NEVER, SVC_ONESHOT, EXITED(0), false},
		{RESTART_NEVER, SVC_ONESHOT, EXITED(1), false},
		{RESTART_NEVER, SVC_ONESHOT, KILLED(SIGKILL), false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct rcase *c = &cases[i];

		if (restart_wanted(c->p, c->t, c->status) != c->want)
			fail_msg("case %zu: policy %d type %d status 0x%x: want %s", i, c->p, c->t,
				 c->status, c->want ? "restart" : "no restart");
	}
}

static void test_status_macros_sane(void **state)
{
	(void)state;
	/* the hand-made statuses above mean what they say */
	assert_true(WIFEXITED(EXITED(3)) && WEXITSTATUS(EXITED(3)) == 3);
	assert_true(WIFSIGNALED(KILLED(SIGKILL)) && WTERMSIG(KILLED(SIGKILL)) == SIGKILL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(svc_state_name(ST_STOPPED), "stopped");
	assert_string_equal(svc_state_name(ST_WAITING), "waiting");
	assert_string_equal(svc_state_name(ST_STARTING), "starting");
	assert_string_equal(svc_state_name(ST_READY), "ready");
	assert_string_equal(svc_state_name(ST_STOPPING), "stopping");
	assert_string_equal(svc_state_name(ST_BACKOFF), "backoff");
	assert_string_equal(svc_state_name(ST_EXITED), "exited");
	assert_string_equal(svc_state_name(ST_FAILED), "failed");
	assert_string_equal(health_name(HEALTH_HEALTHY), "healthy");
	assert_string_equal(health_name(HEALTH_UNHEALTHY), "unhealthy");
	assert_string_equal(health_name(HEALTH_UNKNOWN), "unknown");
	assert_string_equal(power_action_name(POWER_REBOOT), "reboot");
	assert_string_equal(power_action_name(POWER_POWEROFF), "poweroff");
	assert_string_equal(power_action_name(POWER_HALT), "halt");
	assert_string_equal(power_action_name(POWER_STAY), "stay");
}

/* ---- dependency gates ---- */

/*
 * A supervisor assembled by hand, with boot_stopped set: a service whose
 * dependencies are satisfied goes down the start path, which then stops at
 * once instead of forking. That path clears dep_blocked; a start refused by
 * a dependency sets it.
 */
struct gates {
	struct supervisor sup;
	struct manifest *m;
	struct loop *l;
};

static struct gates *gates_new(const char *text)
{
	struct gates *g = calloc(1, sizeof(*g));
	int err = 0;

	assert_non_null(g);
	g->m = manifest_load_string(text, "gates.ini", NULL, NULL, &err);
	assert_non_null(g->m);
	assert_int_equal(g->m->nerrors, 0);
	g->l = loop_new();
	assert_non_null(g->l);
	sup_init(&g->sup, g->l, MODE_SUBREAPER);
	g->sup.m = g->m;
	g->sup.boot_stopped = true;
	g->sup.svcs = calloc((size_t)g->m->nsvc, sizeof(struct service *));
	for (int i = 0; i < g->m->nsvc; i++) {
		struct service *svc = calloc(1, sizeof(*svc));

		svc->sup = &g->sup;
		svc->conf = g->m->svcs[i];
		svc->state = ST_STOPPED;
		svc->report_fd = svc->out[0].rd = svc->out[0].wr = svc->out[1].rd = svc->out[1].wr =
			-1;
		timer_init(&svc->timer);
		g->sup.svcs[g->sup.nsvc++] = svc;
	}
	return g;
}

static void gates_free(struct gates *g)
{
	for (int i = 0; i < g->sup.nsvc; i++) {
		free(g->sup.svcs[i]->status_text);
		free(g->sup.svcs[i]);
	}
	free(g->sup.svcs);
	manifest_free(g->m);
	loop_free(g->l);
	free(g);
}

static const char gates_text[] = "[service.base]\nexec = /bin/base\n"
				 "[service.after]\nexec = /bin/a\nafter = base\n"
				 "[service.req]\nexec = /bin/r\nrequires = base\n";

static void test_deps_wait_for_starting(void **state)
{
	struct gates *g = gates_new(gates_text);
	struct service *base = sup_find(&g->sup, "base"), *a = sup_find(&g->sup, "after"),
		       *r = sup_find(&g->sup, "req");

	(void)state;
	log_open(-1);
	/* the dependency is on its way up: both wait */
	base->state = ST_STARTING;
	base->want_up = true;
	svc_handle(a, EV_START);
	svc_handle(r, EV_START);
	assert_int_equal(a->state, ST_WAITING);
	assert_int_equal(r->state, ST_WAITING);
	assert_true(a->want_up);

	/* it is ready: both go on to start */
	base->state = ST_READY;
	svc_handle(a, EV_DEP_CHANGE);
	svc_handle(r, EV_DEP_CHANGE);
	assert_int_equal(a->state, ST_STOPPED); /* start path, stopped by boot_stopped */
	assert_false(a->dep_blocked);
	assert_int_equal(r->state, ST_STOPPED);
	assert_false(r->dep_blocked);
	gates_free(g);
}

static void test_deps_oneshot_exited_satisfies(void **state)
{
	struct gates *g = gates_new(gates_text);
	struct service *base = sup_find(&g->sup, "base"), *r = sup_find(&g->sup, "req");

	(void)state;
	log_open(-1);
	base->state = ST_EXITED;
	svc_handle(r, EV_START);
	assert_int_equal(r->state, ST_STOPPED);
	assert_false(r->dep_blocked);
	assert_int_equal(r->error[0], '\0');
	gates_free(g);
}

static void test_deps_required_failed(void **state)
{
	struct gates *g = gates_new(gates_text);
	struct service *base = sup_find(&g->sup, "base"), *r = sup_find(&g->sup, "req");

	(void)state;
	log_open(-1);
	base->state = ST_STARTING;
	base->want_up = true;
	svc_handle(r, EV_START);
	assert_int_equal(r->state, ST_WAITING);
	base->state = ST_FAILED;
	svc_handle(r, EV_DEP_CHANGE);
	assert_int_equal(r->state, ST_FAILED);
	assert_true(r->dep_blocked);
	assert_string_equal(r->error, "dependency base failed");
	gates_free(g);
}

static void test_deps_required_stopped(void **state)
{
	struct gates *g = gates_new(gates_text);
	struct service *a = sup_find(&g->sup, "after"), *r = sup_find(&g->sup, "req");

	(void)state;
	log_open(-1);
	/* base is stopped and not wanted: after only orders, requires needs it */
	svc_handle(a, EV_START);
	assert_int_equal(a->state, ST_STOPPED);
	assert_false(a->dep_blocked);
	svc_handle(r, EV_START);
	assert_int_equal(r->state, ST_STOPPED);
	assert_true(r->dep_blocked);
	assert_true(r->want_up);
	gates_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_ceiling),
		cmocka_unit_test(test_backoff_ceiling_not_power_of_two),
		cmocka_unit_test(test_backoff_first_equals_max),
		cmocka_unit_test(test_backoff_zero_delay),
		cmocka_unit_test(test_backoff_reset_after_long_run),
		cmocka_unit_test(test_backoff_at_ceiling_needs_long_run),
		cmocka_unit_test(test_backoff_no_overflow),
		cmocka_unit_test(test_start_limit_basic),
		cmocka_unit_test(test_start_limit_window_edges),
		cmocka_unit_test(test_start_limit_history_wrap),
		cmocka_unit_test(test_start_limit_full_history),
		cmocka_unit_test(test_start_limit_above_history),
		cmocka_unit_test(test_restart_wanted),
		cmocka_unit_test(test_status_macros_sane),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_deps_wait_for_starting),
		cmocka_unit_test(test_deps_oneshot_exited_satisfies),
		cmocka_unit_test(test_deps_required_failed),
		cmocka_unit_test(test_deps_required_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
