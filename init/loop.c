// SPDX-License-Identifier: MIT
/*
 * loop.c - epoll + one timerfd with a min-heap of deadlines.
 *
 * Registrations are kept in a small table indexed by fd so that a callback
 * may delete any registration, including its own or one still pending in
 * the current batch of events: a deleted entry is recognised by a
 * generation number carried in the epoll data.
 */
#include "loop.h"
#include "log.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct reg {
	loop_fd_fn fn;
	void *arg;
	uint32_t gen;
	bool used;
};

struct loop {
	int ep, tfd;
	struct reg *regs;
	int nregs;
	uint32_t gen;
	struct timer **heap;
	int nheap, capheap;
	uint64_t armed_ms; /* what the timerfd is set to; 0 = disarmed */
	uint64_t wakeups;
};

static void on_timerfd(struct loop *l, int fd, uint32_t ev, void *arg);

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->ep < 0 || l->tfd < 0 || loop_add_fd(l, l->tfd, EPOLLIN, on_timerfd, NULL)) {
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->ep >= 0)
		close(l->ep);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l->regs);
	free(l->heap);
	free(l);
}

static uint64_t pack(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	struct epoll_event ev = {.events = events};

	if (fd < 0)
		return -EBADF;
	if (fd >= l->nregs) {
		int n = fd + 16;
		struct reg *r = realloc(l->regs, sizeof(*r) * (size_t)n);

		if (!r)
			return -ENOMEM;
		memset(r + l->nregs, 0, sizeof(*r) * (size_t)(n - l->nregs));
		l->regs = r;
		l->nregs = n;
	}
	l->regs[fd] = (struct reg){.fn = fn, .arg = arg, .gen = ++l->gen, .used = true};
	ev.data.u64 = pack(fd, l->regs[fd].gen);
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		l->regs[fd].used = false;
		return -e;
	}
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events};

	if (fd < 0 || fd >= l->nregs || !l->regs[fd].used)
		return -EBADF;
	ev.data.u64 = pack(fd, l->regs[fd].gen);
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nregs || !l->regs[fd].used)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->regs[fd].used = false;
}

/* ---- timers: a binary min-heap on when_ms ---- */

static void heap_swap(struct loop *l, int a, int b)
{
	struct timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void heap_up(struct loop *l, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;

		if (l->heap[p]->when_ms <= l->heap[i]->when_ms)
			break;
		heap_swap(l, p, i);
		i = p;
	}
}

static void heap_down(struct loop *l, int i)
{
	for (;;) {
		int c = 2 * i + 1, m = i;

		if (c < l->nheap && l->heap[c]->when_ms < l->heap[m]->when_ms)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->when_ms < l->heap[m]->when_ms)
			m = c + 1;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

static void heap_remove(struct loop *l, struct timer *t)
{
	int i = t->idx, last = l->nheap - 1;

	if (i < 0)
		return;
	if (i != last) {
		heap_swap(l, i, last);
		l->nheap--;
		heap_down(l, i);
		heap_up(l, i);
	} else {
		l->nheap--;
	}
	t->idx = -1;
}

/* Points the timerfd at the earliest deadline, or disarms it. */
static void rearm(struct loop *l)
{
	struct itimerspec its = {0};
	uint64_t when = l->nheap ? l->heap[0]->when_ms : 0;

	if (when == l->armed_ms)
		return;
	if (when) {
		its.it_value.tv_sec = (time_t)(when / 1000);
		its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		l->armed_ms = when;
}

int loop_at(struct loop *l, struct timer *t, uint64_t when_ms, loop_timer_fn fn, void *arg)
{
	if (when_ms == 0)
		when_ms = 1; /* 0 means disarmed to the timerfd */
	if (timer_armed(t))
		heap_remove(l, t);
	if (l->nheap == l->capheap) {
		int n = l->capheap ? l->capheap * 2 : 32;
		struct timer **h = realloc(l->heap, sizeof(*h) * (size_t)n);

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->capheap = n;
	}
	t->when_ms = when_ms;
	t->fn = fn;
	t->arg = arg;
	t->idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->idx);
	rearm(l);
	return 0;
}

void loop_cancel(struct loop *l, struct timer *t)
{
	if (!timer_armed(t))
		return;
	heap_remove(l, t);
	rearm(l);
}

static void on_timerfd(struct loop *l, int fd, uint32_t ev, void *arg)
{
	uint64_t n, now = now_ms();

	(void)ev;
	(void)arg;
	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: a rearm raced the expiry; the heap decides below */
	}
	l->armed_ms = 0;
	while (l->nheap && l->heap[0]->when_ms <= now) {
		struct timer *t = l->heap[0];

		heap_remove(l, t);
		t->fn(l, t->arg);
	}
	rearm(l);
}

int loop_run_once(struct loop *l)
{
	struct epoll_event evs[32];
	int n = epoll_wait(l->ep, evs, (int)ARRAY_SIZE(evs), -1);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->wakeups++;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct reg *r;

		if (fd >= l->nregs)
			continue;
		r = &l->regs[fd];
		if (!r->used || r->gen != gen)
			continue; /* deleted by an earlier callback of this batch */
		r->fn(l, fd, evs[i].events, r->arg);
	}
	return 0;
}

uint64_t loop_wakeups(const struct loop *l)
{
	return l->wakeups;
}
