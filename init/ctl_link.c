// SPDX-License-Identifier: MIT
/*
 * ctl_link.c - the byte streams of the control protocol: control.sock and
 * its clients, and the control port. Frames in, frames out, nothing else:
 * what a frame means is control.c's business.
 *
 * Every stream is read edge-triggered and written from a bounded queue, so
 * a peer that sends garbage, stops reading or vanishes costs its own
 * sessions, never the loop. A control.sock client that has not opened a
 * session within CONTROL_IDLE_MS is closed, and when every slot is taken
 * the oldest client gives its slot to the new one (an idle one first).
 */
#include "ctl_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS    32
#define READS_PER_WAKE 8 /* then the rest waits a round: one peer cannot hog the loop */
/*
 * virtio-serial tells "no host" (read 0) from a flag the guest driver sets in
 * a work queue, after the data of a host that already came back may have been
 * read: only an end that is still gone this much later ends the sessions.
 */
#define PORT_AWAY_GRACE_MS 300

struct supervisor *ctl_sup;
static struct ctl_link *clients[MAX_CLIENTS];
static struct ctl_link *port_link;
static int listen_fd = -1;
static char sock_path[128];
static uint64_t instance;

static void on_link(struct loop *l, int fd, uint32_t ev, void *arg);
static void on_resume(struct loop *l, void *arg);

uint64_t link_instance(void)
{
	while (!instance &&
	       getrandom(&instance, sizeof(instance), GRND_NONBLOCK) != sizeof(instance))
		instance = now_us() ^
			   ((uint64_t)getpid() << 40); /* no entropy yet: still unique enough */
	return instance;
}

struct ctl_link *link_port(void)
{
	return port_link;
}

size_t link_queued(const struct ctl_link *lk)
{
	return lk->out.len - lk->outoff;
}

static void on_idle(struct loop *l, void *arg)
{
	struct ctl_link *lk = arg;

	(void)l;
	log_debug("control client closed: no session opened within %dms", CONTROL_IDLE_MS);
	link_close(lk);
}

struct ctl_link *link_new(int fd, bool port)
{
	struct ctl_link *lk = calloc(1, sizeof(*lk));

	if (lk)
		lk->nchans = port ? PORT_CHANS : LINK_CHANS;
	if (lk)
		lk->chans = calloc((size_t)lk->nchans, sizeof(*lk->chans));
	if (!lk || !lk->chans ||
	    loop_add_fd(ctl_sup->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, on_link,
			lk)) {
		if (lk)
			free(lk->chans);
		free(lk);
		close(fd);
		return NULL;
	}
	lk->fd = fd;
	lk->port = port;
	lk->since = now_ms();
	frame_dec_init(&lk->dec);
	sb_init(&lk->out);
	timer_init(&lk->idle);
	timer_init(&lk->resume);
	if (!port)
		loop_at(ctl_sup->loop, &lk->idle, lk->since + CONTROL_IDLE_MS, on_idle, lk);
	else
		port_link = lk;
	return lk;
}

void chan_free(struct ctl_chan *ch)
{
	struct ctl_link *lk = ch->link;
	bool any = false;

	memset(ch, 0, sizeof(*ch));
	ch->link = lk;
	for (int i = 0; i < lk->nchans; i++)
		any |= lk->chans[i].kind != CH_FREE;
	/* a client with nothing open goes after a while */
	if (!any && !lk->port && !lk->dead)
		loop_at(ctl_sup->loop, &lk->idle, now_ms() + CONTROL_IDLE_MS, on_idle, lk);
}

static void abandon_all(struct ctl_link *lk)
{
	for (int i = 0; i < lk->nchans; i++) {
		struct ctl_chan *ch = &lk->chans[i];

		if (ch->kind != CH_FREE) {
			ctl_abandon(ch);
			chan_free(ch);
		}
	}
}

void link_reset(struct ctl_link *lk)
{
	abandon_all(lk);
	frame_dec_reset(&lk->dec);
	sb_free(&lk->out);
	lk->outoff = 0;
}

void link_close(struct ctl_link *lk)
{
	lk->dead = true;
	abandon_all(lk);
	loop_cancel(ctl_sup->loop, &lk->idle);
	loop_cancel(ctl_sup->loop, &lk->resume);
	loop_del_fd(ctl_sup->loop, lk->fd);
	close(lk->fd);
	frame_dec_free(&lk->dec);
	sb_free(&lk->out);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] == lk)
			clients[i] = NULL;
	if (port_link == lk)
		port_link = NULL;
	free(lk->chans);
	free(lk);
}

/* ---- output ---- */

static void tell_drained(struct ctl_link *lk)
{
	for (int i = 0; i < lk->nchans && !lk->dead; i++)
		if (lk->chans[i].kind != CH_FREE)
			ctl_drained(&lk->chans[i]);
}

/* Writes what the peer takes now. 0, or -1 when the peer is gone for good. */
static int link_flush(struct ctl_link *lk)
{
	bool was_full = link_queued(lk) >= LINK_OUT_SOFT;

	while (link_queued(lk)) {
		const char *p = lk->out.buf + lk->outoff;
		size_t n = link_queued(lk);
		ssize_t w = lk->port ? write(lk->fd, p, n)
				     : send(lk->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			return -1;
		lk->outoff += (size_t)w;
	}
	if (!link_queued(lk) && lk->out.cap > LINK_OUT_SOFT) {
		/* a burst is over: the port lives as long as PID 1, its buffer need not */
		sb_free(&lk->out);
		lk->outoff = 0;
	} else if (!link_queued(lk)) {
		lk->out.len = lk->outoff = 0;
	} else if (lk->outoff > lk->out.len / 2) {
		memmove(lk->out.buf, lk->out.buf + lk->outoff, link_queued(lk));
		lk->out.len -= lk->outoff;
		lk->outoff = 0;
	}
	if (was_full && link_queued(lk) < LINK_OUT_SOFT)
		tell_drained(lk);
	return 0;
}

int link_send(struct ctl_link *lk, enum frame_type t, uint32_t chan, const void *data, size_t len)
{
	unsigned char hdr[FRAME_HDR];

	if (lk->dead || len > FRAME_MAX || link_queued(lk) + FRAME_HDR + len > LINK_OUT_HARD)
		return -ENOBUFS;
	frame_header(hdr, t, chan, (uint32_t)len);
	sb_add(&lk->out, (const char *)hdr, sizeof(hdr));
	if (len)
		sb_add(&lk->out, data, len);
	if (lk->out.oom) {
		/* what was queued is cut somewhere: the peer resyncs on the next SYNC */
		sb_free(&lk->out);
		lk->outoff = 0;
		return -ENOMEM;
	}
	/* a socket's peer is gone when it fails; the port's peer comes back */
	if (link_flush(lk) < 0 && !lk->port) {
		/* closed in a round of its own: the caller may still hold a session */
		lk->dead = true;
		loop_at(ctl_sup->loop, &lk->resume, now_ms(), on_resume, lk);
	}
	return 0;
}

void chan_write(struct ctl_chan *ch, enum frame_type t, const char *s, size_t n)
{
	while (n) {
		size_t k = n < FRAME_MAX ? n : FRAME_MAX;

		if (link_send(ch->link, t, ch->id, s, k))
			return;
		s += k;
		n -= k;
	}
}

void chan_exit(struct ctl_chan *ch, int code)
{
	unsigned char v[4];

	frame_put_u32(v, (uint32_t)code);
	link_send(ch->link, F_EXIT, ch->id, v, sizeof(v));
	chan_free(ch);
}

/* ---- input ---- */

static struct ctl_chan *chan_find(struct ctl_link *lk, uint32_t id)
{
	for (int i = 0; i < lk->nchans; i++)
		if (lk->chans[i].kind != CH_FREE && lk->chans[i].id == id)
			return &lk->chans[i];
	return NULL;
}

/* An F_OPEN: its words (each NUL-terminated) on a free slot. */
static void open_chan(struct ctl_link *lk, const struct frame *f)
{
	struct ctl_chan *ch = NULL;
	char buf[FRAME_MAX + 1], *w[CTL_MAX_WORDS + 1];
	size_t o = 0;
	int n = 0;

	if (chan_find(lk, f->chan))
		return; /* a client's mistake: the open session goes on */
	for (int i = 0; i < lk->nchans && !ch; i++)
		if (lk->chans[i].kind == CH_FREE)
			ch = &lk->chans[i];
	if (!ch) {
		static const char full[] = "too many sessions on this connection\n";
		struct ctl_chan tmp = {.link = lk, .id = f->chan};

		chan_write(&tmp, F_ERR, full, sizeof(full) - 1);
		link_send(lk, F_EXIT, f->chan, (const unsigned char[]){3, 0, 0, 0}, 4);
		return;
	}
	memcpy(buf, f->data ? (const char *)f->data : "", f->len);
	buf[f->len] = '\0';
	for (; o < f->len && n < CTL_MAX_WORDS; o += strlen(buf + o) + 1)
		w[n++] = buf + o;
	w[n] = NULL;
	loop_cancel(ctl_sup->loop, &lk->idle);
	ch->link = lk;
	ch->id = f->chan;
	ch->kind = CH_SETTLE; /* taken; ctl_open sets what it becomes */
	if (o < f->len) {     /* cut short, it would do something else: refused */
		static const char many[] = "too many words (at most 256)\n";

		chan_write(ch, F_ERR, many, sizeof(many) - 1);
		chan_exit(ch, 2);
		return;
	}
	ctl_open(ch, w, n);
}

static void on_frame(void *arg, const struct frame *f)
{
	struct ctl_link *lk = arg;
	struct ctl_chan *ch;
	unsigned char v[8];

	if (lk->dead)
		return;
	if (!f) { /* a new peer: the old one's sessions are over */
		log_debug("control %s: a new peer (SYNC)", lk->port ? "port" : "client");
		abandon_all(lk);
		return;
	}
	lk->frames_in++;
	switch (f->type) {
	case F_HELLO:
		for (int i = 0; i < 8; i++)
			v[i] = (unsigned char)(link_instance() >> (8 * i));
		link_send(lk, F_HELLO, f->chan, v, sizeof(v));
		break;
	case F_OPEN:
		open_chan(lk, f);
		break;
	case F_CLOSE:
		if ((ch = chan_find(lk, f->chan))) {
			ctl_abandon(ch);
			chan_free(ch);
		}
		break;
	case F_IN:
	case F_WINCH:
	case F_SIGNAL:
		if ((ch = chan_find(lk, f->chan)) && ch->kind == CH_EXEC)
			exec_input(ch, f);
		break;
	default: /* the server's own kinds, from a confused peer */
		break;
	}
}

/*
 * The port read 0: nobody on the host end, or a host that came back and whose
 * coming the driver has not noted yet. An edge wakes us when one comes; a new
 * host starts with FRAME_SYNC, which ends the old one's sessions anyway.
 */
static void port_away(struct ctl_link *lk)
{
	uint64_t now = now_ms();

	if (!lk->away_since)
		lk->away_since = now;
	if (now - lk->away_since < PORT_AWAY_GRACE_MS) {
		loop_at(ctl_sup->loop, &lk->resume, lk->away_since + PORT_AWAY_GRACE_MS, on_resume,
			lk);
		return;
	}
	lk->away_since = 0;
	if (link_queued(lk) || lk->dec.hlen)
		log_debug("control port: the host went away");
	link_reset(lk);
}

/* Reads what is there, a few chunks at a time. */
static void link_read(struct ctl_link *lk)
{
	char buf[16384];

	for (int i = 0; i < READS_PER_WAKE && !lk->dead; i++) {
		ssize_t n = read(lk->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			lk->away_since = 0;
			return;
		}
		if (n == 0 && lk->port) {
			port_away(lk);
			return;
		}
		lk->away_since = 0;
		if (n <= 0) {
			lk->dead = true;
			return;
		}
		frame_feed(&lk->dec, buf, (size_t)n, on_frame, lk);
	}
	/* more may be waiting, and an edge will not say so again */
	loop_at(ctl_sup->loop, &lk->resume, now_ms(), on_resume, lk);
}

static void link_wake(struct ctl_link *lk)
{
	if (link_flush(lk) < 0 && !lk->port)
		lk->dead = true;
	if (!lk->dead)
		link_read(lk);
	if (lk->dead)
		link_close(lk);
}

static void on_resume(struct loop *l, void *arg)
{
	(void)l;
	link_wake(arg);
}

static void on_link(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)fd;
	(void)ev;
	link_wake(arg);
}

void links_foreach(void (*fn)(struct ctl_chan *ch, void *arg), void *arg)
{
	struct ctl_link *all[MAX_CLIENTS + 1];
	int n = 0;

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i])
			all[n++] = clients[i];
	if (port_link)
		all[n++] = port_link;
	for (int k = 0; k < n; k++) {
		struct ctl_link *lk = all[k];

		for (int i = 0; i < lk->nchans && !lk->dead; i++)
			if (lk->chans[i].kind != CH_FREE)
				fn(&lk->chans[i], arg);
		if (lk->dead)
			link_close(lk);
	}
}

/* ---- control.sock ---- */

static bool link_idle(const struct ctl_link *lk)
{
	for (int i = 0; i < lk->nchans; i++)
		if (lk->chans[i].kind != CH_FREE)
			return false;
	return true;
}

/* A free slot, or the oldest client's: one without a session first. */
static int client_slot(void)
{
	int old = -1, oldest_idle = -1;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct ctl_link *c = clients[i];

		if (!c)
			return i;
		if (old < 0 || c->since < clients[old]->since)
			old = i;
		if (link_idle(c) && (oldest_idle < 0 || c->since < clients[oldest_idle]->since))
			oldest_idle = i;
	}
	old = oldest_idle >= 0 ? oldest_idle : old;
	log_warn("control socket: %d clients; the oldest gives its slot to a new one", MAX_CLIENTS);
	link_close(clients[old]);
	return old;
}

static void on_accept(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)ev;
	(void)arg;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), slot;
		struct ucred cr;
		socklen_t len = sizeof(cr);

		if (cfd < 0)
			return;
		/* root only: the control protocol starts, stops and runs commands in services */
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			close(cfd);
			continue;
		}
		slot = client_slot();
		clients[slot] = link_new(cfd, false);
	}
}

int control_open(struct supervisor *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;
	mode_t old;

	ctl_sup = s;
	r = mkdir_p(s->runtime_dir, 0755);
	if (r) {
		log_err("runtime dir %s: %s", s->runtime_dir, strerror(-r));
		return r;
	}
	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/control.sock", s->runtime_dir) >=
	    sizeof(sa.sun_path)) {
		log_err("control socket path %s/control.sock is too long", s->runtime_dir);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sock_path);
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0 || loop_add_fd(s->loop, fd, EPOLLIN, on_accept, NULL)) {
		r = -errno;
		log_err("control socket %s: %s", sock_path, strerror(-r));
		close(fd);
		return r;
	}
	listen_fd = fd;
	ctl_watch(s);
	log_debug("control socket %s", sock_path);
	return 0;
}

void control_close(struct supervisor *s)
{
	if (listen_fd < 0)
		return;
	loop_del_fd(s->loop, listen_fd);
	close(listen_fd);
	listen_fd = -1;
	unlink(sock_path);
}
