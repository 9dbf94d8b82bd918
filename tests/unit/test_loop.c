// SPDX-License-Identifier: MIT
/*
 * test_loop.c - the event loop: the timer heap behind one timerfd, and fd
 * registrations, including deletions from inside a batch of events.
 *
 * Every test arms an alarm: a loop that never wakes up fails the test by
 * SIGALRM instead of hanging the suite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

#define MAXREC 512

static int fired[MAXREC];
static int nfired;

struct tctx {
	struct loop *l;
	struct timer t;
	int id;
	struct tctx *other; /* cancelled, or re-armed, by this one's callback */
	int rearm_left;
};

static int setup(void **state)
{
	struct loop *l = loop_new();

	if (!l)
		return -1;
	nfired = 0;
	alarm(10);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	alarm(0);
	loop_free(*state);
	return 0;
}

static void on_timer(struct loop *l, void *arg)
{
	struct tctx *c = arg;

	(void)l;
	if (nfired < MAXREC)
		fired[nfired++] = c->id;
}

/* Runs rounds until n callbacks were recorded (the alarm guards a hang). */
static void run_until(struct loop *l, int n)
{
	while (nfired < n)
		assert_int_equal(loop_run_once(l), 0);
}

static void test_timers_fire_in_order(void **state)
{
	struct loop *l = *state;
	struct tctx c[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
	uint64_t t0 = now_ms();

	for (int i = 0; i < 3; i++)
		timer_init(&c[i].t);
	assert_int_equal(loop_at(l, &c[0].t, t0 + 30, on_timer, &c[0]), 0);
	assert_int_equal(loop_at(l, &c[1].t, t0 + 10, on_timer, &c[1]), 0);
	assert_int_equal(loop_at(l, &c[2].t, t0 + 20, on_timer, &c[2]), 0);
	assert_true(timer_armed(&c[0].t));
	run_until(l, 3);
	assert_int_equal(fired[0], 2);
	assert_int_equal(fired[1], 3);
	assert_int_equal(fired[2], 1);
	/* not early */
	assert_true(now_ms() >= t0 + 30);
	for (int i = 0; i < 3; i++)
		assert_false(timer_armed(&c[i].t));
}

static void test_timer_cancel(void **state)
{
	struct loop *l = *state;
	struct tctx a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
	uint64_t t0 = now_ms();

	timer_init(&a.t);
	timer_init(&b.t);
	timer_init(&c.t);
	loop_at(l, &a.t, t0 + 5, on_timer, &a);
	loop_at(l, &b.t, t0 + 10, on_timer, &b);
	loop_at(l, &c.t, t0 + 15, on_timer, &c);
	loop_cancel(l, &a.t);
	assert_false(timer_armed(&a.t));
	loop_cancel(l, &a.t); /* twice is harmless */
	run_until(l, 1);
	assert_int_equal(fired[0], 2);
	loop_cancel(l, &c.t);
	/* c is gone: a fresh guard timer fires and nothing else does */
	struct tctx g = {.id = 9};

	timer_init(&g.t);
	loop_at(l, &g.t, now_ms() + 25, on_timer, &g);
	run_until(l, 2);
	assert_int_equal(fired[1], 9);
	assert_int_equal(nfired, 2);
}

static void test_timer_rearm(void **state)
{
	struct loop *l = *state;
	struct tctx a = {.id = 1}, g = {.id = 2};
	uint64_t t0 = now_ms();

	timer_init(&a.t);
	timer_init(&g.t);
	/* earlier: fires once, at the new time */
	loop_at(l, &a.t, t0 + 500, on_timer, &a);
	loop_at(l, &a.t, t0 + 5, on_timer, &a);
	run_until(l, 1);
	assert_true(now_ms() < t0 + 400);
	assert_false(timer_armed(&a.t));

	/* later: does not fire at the old time */
	t0 = now_ms();
	loop_at(l, &a.t, t0 + 5, on_timer, &a);
	loop_at(l, &a.t, t0 + 40, on_timer, &a);
	loop_at(l, &g.t, t0 + 20, on_timer, &g);
	run_until(l, 2);
	assert_int_equal(fired[1], 2); /* the guard at +20 before a at +40 */
	run_until(l, 3);
	assert_int_equal(fired[2], 1);
	assert_true(now_ms() >= t0 + 40);
	/* nothing else was pending */
	loop_at(l, &g.t, now_ms() + 10, on_timer, &g);
	run_until(l, 4);
	assert_int_equal(nfired, 4);
	assert_int_equal(fired[3], 2);
}

static void cancel_other(struct loop *l, void *arg)
{
	struct tctx *c = arg;

	on_timer(l, arg);
	loop_cancel(l, &c->other->t);
}

/* Two timers due in the same round: the first cancels the second. */
static void test_cancel_inside_batch(void **state)
{
	struct loop *l = *state;
	struct tctx a = {.id = 1}, b = {.id = 2}, g = {.id = 3};
	uint64_t when = now_ms() + 5;

	a.other = &b;
	b.other = &a;
	timer_init(&a.t);
	timer_init(&b.t);
	timer_init(&g.t);
	loop_at(l, &a.t, when, cancel_other, &a);
	loop_at(l, &b.t, when, cancel_other, &b);
	run_until(l, 1);
	loop_at(l, &g.t, now_ms() + 20, on_timer, &g);
	run_until(l, 2);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[1], 3);
}

static void rearm_self(struct loop *l, void *arg)
{
	struct tctx *c = arg;

	on_timer(l, arg);
	if (c->rearm_left-- > 0)
		loop_at(l, &c->t, now_ms() + 3, rearm_self, c);
}

static void test_rearm_from_callback(void **state)
{
	struct loop *l = *state;
	struct tctx a = {.id = 7, .rearm_left = 3};

	timer_init(&a.t);
	loop_at(l, &a.t, now_ms() + 2, rearm_self, &a);
	run_until(l, 4);
	assert_false(timer_armed(&a.t));
	for (int i = 0; i < 4; i++)
		assert_int_equal(fired[i], 7);
}

/* Deadlines already past all fire in the next round, earliest first. */
static void test_heap_order_many(void **state)
{
	struct loop *l = *state;
	enum { N = 300 };
	static struct tctx c[N];
	uint64_t base = now_ms() - 2000;
	int expect = 0, prev = -1;

	for (int i = 0; i < N; i++) {
		/* a permutation of 0..N-1 */
		c[i].id = (i * 7919) % N;
		timer_init(&c[i].t);
		assert_int_equal(loop_at(l, &c[i].t, base + (uint64_t)c[i].id, on_timer, &c[i]), 0);
	}
	/* cancel every id divisible by 3, and move every id ending in 5 */
	for (int i = 0; i < N; i++) {
		if (c[i].id % 3 == 0)
			loop_cancel(l, &c[i].t);
		else if (c[i].id % 10 == 5)
			loop_at(l, &c[i].t, base + (uint64_t)c[i].id, on_timer, &c[i]);
	}
	for (int i = 0; i < N; i++)
		expect += c[i].id % 3 != 0;
	assert_int_equal(loop_run_once(l), 0);
	assert_int_equal(nfired, expect);
	for (int i = 0; i < nfired; i++) {
		assert_true(fired[i] > prev);
		assert_true(fired[i] % 3 != 0);
		prev = fired[i];
	}
}

/* ---- fds ---- */

struct fctx {
	struct loop *l;
	int fd;
	int calls;
	uint32_t events;
	struct fctx *victim; /* registration this one deletes */
	int newfd;	     /* re-registered in place of the victim */
};

static int fd_calls_total;

static void on_fd(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct fctx *c = arg;
	char buf[16];

	(void)l;
	assert_int_equal(fd, c->fd);
	c->calls++;
	c->events = ev;
	fd_calls_total++;
	if (read(fd, buf, sizeof(buf)) < 0) {
		/* drained already */
	}
}

static void test_fd_add_del(void **state)
{
	struct loop *l = *state;
	int p[2];
	struct fctx c = {0};
	struct tctx g = {.id = 1};

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	c.fd = p[0];
	fd_calls_total = 0;
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_fd, &c), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l), 0);
	assert_int_equal(c.calls, 1);
	assert_true(c.events & EPOLLIN);

	/* deleted: data waiting on the pipe no longer calls it */
	loop_del_fd(l, p[0]);
	loop_del_fd(l, p[0]); /* twice is harmless */
	assert_int_equal(write(p[1], "y", 1), 1);
	timer_init(&g.t);
	loop_at(l, &g.t, now_ms() + 15, on_timer, &g);
	run_until(l, 1);
	assert_int_equal(c.calls, 1);

	/* added again, it works again (the byte is still there) */
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_fd, &c), 0);
	assert_int_equal(loop_run_once(l), 0);
	assert_int_equal(c.calls, 2);

	/* loop_mod_fd: no interest in input means no call */
	assert_int_equal(loop_mod_fd(l, p[0], 0), 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	loop_at(l, &g.t, now_ms() + 15, on_timer, &g);
	run_until(l, 2);
	assert_int_equal(c.calls, 2);
	loop_del_fd(l, p[0]);

	assert_int_equal(loop_add_fd(l, -1, EPOLLIN, on_fd, &c), -EBADF);
	assert_int_equal(loop_mod_fd(l, p[0], EPOLLIN), -EBADF);
	assert_int_equal(loop_mod_fd(l, 100000, EPOLLIN), -EBADF);
	close(p[0]);
	close(p[1]);
	/* a closed fd cannot be added */
	assert_true(loop_add_fd(l, p[0], EPOLLIN, on_fd, &c) < 0);
}

static void on_fd_delete_victim(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct fctx *c = arg;

	on_fd(l, fd, ev, arg);
	loop_del_fd(l, c->victim->fd);
}

/* Both pipes are readable in one batch; whichever runs first deletes the other. */
static void test_delete_inside_batch(void **state)
{
	struct loop *l = *state;
	int a[2], b[2];
	struct fctx ca = {0}, cb = {0};

	assert_int_equal(pipe2(a, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC | O_NONBLOCK), 0);
	ca.fd = a[0];
	cb.fd = b[0];
	ca.victim = &cb;
	cb.victim = &ca;
	fd_calls_total = 0;
	assert_int_equal(loop_add_fd(l, a[0], EPOLLIN, on_fd_delete_victim, &ca), 0);
	assert_int_equal(loop_add_fd(l, b[0], EPOLLIN, on_fd_delete_victim, &cb), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l), 0);
	assert_int_equal(fd_calls_total, 1);
	assert_int_equal(ca.calls + cb.calls, 1);
	loop_del_fd(l, a[0]);
	loop_del_fd(l, b[0]);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static struct fctx *replacement;

static void on_fd_replace_victim(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct fctx *c = arg;
	int p[2];

	on_fd(l, fd, ev, arg);
	/* delete the victim, close it, and register a new fd under the same number */
	loop_del_fd(l, c->victim->fd);
	close(c->victim->fd);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	if (p[0] != c->victim->fd) {
		assert_int_equal(dup3(p[0], c->victim->fd, O_CLOEXEC), c->victim->fd);
		close(p[0]);
	}
	c->newfd = p[1];
	replacement->fd = c->victim->fd;
	assert_int_equal(loop_add_fd(l, c->victim->fd, EPOLLIN, on_fd, replacement), 0);
	/* make the new registration readable too: only a new event may call it */
	assert_int_equal(write(p[1], "n", 1), 1);
}

/*
 * The stale event of a deleted registration must not reach a new one that
 * reuses the fd number within the same batch.
 */
static void test_reused_fd_inside_batch(void **state)
{
	struct loop *l = *state;
	int a[2], b[2];
	struct fctx ca = {0}, cb = {0}, cr = {0};

	assert_int_equal(pipe2(a, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC | O_NONBLOCK), 0);
	ca.fd = a[0];
	cb.fd = b[0];
	ca.victim = &cb;
	cb.victim = &ca;
	replacement = &cr;
	fd_calls_total = 0;
	assert_int_equal(loop_add_fd(l, a[0], EPOLLIN, on_fd_replace_victim, &ca), 0);
	assert_int_equal(loop_add_fd(l, b[0], EPOLLIN, on_fd_replace_victim, &cb), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l), 0);
	/* one of a/b ran; neither the victim nor its replacement ran in this batch */
	assert_int_equal(ca.calls + cb.calls, 1);
	assert_int_equal(cr.calls, 0);
	/* the next round serves the replacement's own event */
	assert_int_equal(loop_run_once(l), 0);
	assert_int_equal(cr.calls, 1);
	assert_int_equal(ca.calls + cb.calls, 1);
	loop_del_fd(l, a[0]);
	loop_del_fd(l, b[0]);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(ca.newfd ? ca.newfd : cb.newfd);
}

static void test_wakeups_counted(void **state)
{
	struct loop *l = *state;
	struct tctx a = {.id = 1};
	uint64_t w0 = loop_wakeups(l);

	timer_init(&a.t);
	loop_at(l, &a.t, now_ms() + 2, on_timer, &a);
	run_until(l, 1);
	assert_true(loop_wakeups(l) > w0);
	/* a timer at time 0 is not "disarmed": it still fires */
	loop_at(l, &a.t, 0, on_timer, &a);
	run_until(l, 2);
	assert_int_equal(fired[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timers_fire_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_rearm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_inside_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heap_order_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_add_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_inside_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_fd_inside_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wakeups_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
