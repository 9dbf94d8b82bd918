/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the one event loop: epoll over registered fds, and timer
 * deadlines kept in a min-heap behind a single timerfd. Nothing else in
 * nucleus-init knows epoll. With nothing scheduled the loop sleeps in
 * epoll_wait without a timeout: an idle PID 1 never wakes up.
 */
#ifndef NUCLEUS_LOOP_H
#define NUCLEUS_LOOP_H

#include "nucleus.h"

struct loop;
typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);

/*
 * struct timer - embedded in its owner; armed while ->idx >= 0.
 * Initialise with timer_init() before first use.
 */
struct timer {
	uint64_t when_ms;
	int idx;
	loop_timer_fn fn;
	void *arg;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
void loop_del_fd(struct loop *l, int fd);

static inline void timer_init(struct timer *t)
{
	t->idx = -1;
}
static inline bool timer_armed(const struct timer *t)
{
	return t->idx >= 0;
}
/* (Re)arms t for the absolute monotonic time when_ms. */
int loop_at(struct loop *l, struct timer *t, uint64_t when_ms, loop_timer_fn fn, void *arg);
void loop_cancel(struct loop *l, struct timer *t);

/* Runs one round: waits, then dispatches fds and due timers. */
int loop_run_once(struct loop *l);
/* Number of times epoll_wait returned; for the idle benchmark. */
uint64_t loop_wakeups(const struct loop *l);

#endif
