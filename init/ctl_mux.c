// SPDX-License-Identifier: MIT
/*
 * ctl_mux.c - `nucleusctl mux PORT_SOCKET LISTEN_SOCKET`, on the host: a
 * guest's control port has one host end (qemu's socket takes one client at
 * a time), so a follower of `events` would lock every other client out.
 * The mux holds that one connection and gives every client of
 * LISTEN_SOCKET its own sessions on it, renumbering their channels.
 *
 * A client that goes away has its sessions closed in the guest (F_CLOSE);
 * one that does not read what comes for it is dropped past MUX_CLIENT_MAX
 * bytes; a new nucleus-init in the guest (its HELLO names another
 * instance) ends every session it cannot know. The mux exits when the
 * guest's end closes (qemu exited).
 */
#include "control.h"
#include "frame.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MUX_CLIENTS    64
#define MUX_CLIENT_MAX (4 * 1024 * 1024)
#define MUX_MAPS       1024

struct mux_client {
	int fd;
	struct frame_dec dec;
	struct strbuf out;
	size_t outoff;
};

struct mux_map {
	int client; /* index, -1: free */
	uint32_t chan, global;
};

struct mux {
	int port, listen;
	struct frame_dec dec;
	struct strbuf out; /* to the port */
	size_t outoff;
	struct mux_client clients[MUX_CLIENTS];
	struct mux_map maps[MUX_MAPS];
	uint32_t next_global;
	uint64_t instance;
	int cur; /* the client whose frame is being read */
};

static void queue(struct strbuf *sb, enum frame_type t, uint32_t chan, const void *d, size_t n)
{
	unsigned char hdr[FRAME_HDR];

	frame_header(hdr, t, chan, (uint32_t)n);
	sb_add(sb, (const char *)hdr, sizeof(hdr));
	if (n)
		sb_add(sb, d, n);
}

static struct mux_map *map_find(struct mux *m, int client, uint32_t chan, uint32_t global)
{
	for (int i = 0; i < MUX_MAPS; i++) {
		struct mux_map *mp = &m->maps[i];

		if (mp->client >= 0 &&
		    (client < 0 ? mp->global == global : mp->client == client && mp->chan == chan))
			return mp;
	}
	return NULL;
}

static struct mux_map *map_new(struct mux *m, int client, uint32_t chan)
{
	for (int i = 0; i < MUX_MAPS; i++) {
		struct mux_map *mp = &m->maps[i];

		if (mp->client < 0) {
			do
				m->next_global++;
			while (!m->next_global || map_find(m, -1, 0, m->next_global));
			*mp = (struct mux_map){client, chan, m->next_global};
			return mp;
		}
	}
	return NULL;
}

/* The guest forgets a client's sessions; each is closed there. */
static void client_close_maps(struct mux *m, int client)
{
	for (int i = 0; i < MUX_MAPS; i++) {
		if (m->maps[i].client == client) {
			queue(&m->out, F_CLOSE, m->maps[i].global, NULL, 0);
			m->maps[i].client = -1;
		}
	}
}

static void client_drop(struct mux *m, int i)
{
	struct mux_client *c = &m->clients[i];

	client_close_maps(m, i);
	close(c->fd);
	frame_dec_free(&c->dec);
	sb_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* A frame from client m->cur: renumbered, to the guest. */
static void from_client(void *arg, const struct frame *f)
{
	struct mux *m = arg;
	struct mux_map *mp;

	if (!f) { /* the client started over: its sessions are over */
		client_close_maps(m, m->cur);
		return;
	}
	mp = map_find(m, m->cur, f->chan, 0);
	if (f->type == F_OPEN || f->type == F_HELLO) {
		if (!mp && !(mp = map_new(m, m->cur, f->chan)))
			return;
	} else if (!mp) {
		return;
	}
	queue(&m->out, f->type, mp->global, f->data, f->len);
	if (f->type == F_CLOSE)
		mp->client = -1;
}

/* Every session of the guest that was: its client hears it ended. */
static void guest_restarted(struct mux *m)
{
	static const char msg[] = "nucleusctl mux: nucleus-init in the guest started anew\n";

	for (int i = 0; i < MUX_MAPS; i++) {
		struct mux_map *mp = &m->maps[i];

		if (mp->client < 0)
			continue;
		queue(&m->clients[mp->client].out, F_ERR, mp->chan, msg, sizeof(msg) - 1);
		queue(&m->clients[mp->client].out, F_EXIT, mp->chan,
		      (const unsigned char[]){3, 0, 0, 0}, 4);
		mp->client = -1;
	}
}

/* A frame from the guest: to the client that owns its channel. */
static void from_port(void *arg, const struct frame *f)
{
	struct mux *m = arg;
	struct mux_map *mp;

	if (!f)
		return;
	if (f->type == F_HELLO && f->chan == 0 && f->len >= 8) {
		uint64_t id = 0;

		for (int i = 0; i < 8; i++)
			id |= (uint64_t)f->data[i] << (8 * i);
		if (m->instance && id != m->instance)
			guest_restarted(m);
		m->instance = id;
		return;
	}
	mp = map_find(m, -1, 0, f->chan);
	if (!mp)
		return;
	queue(&m->clients[mp->client].out, f->type, mp->chan, f->data, f->len);
	if (f->type == F_EXIT || f->type == F_HELLO)
		mp->client = -1;
}

/* Writes what @fd takes now; -1 when it is gone. */
static int flush(int fd, struct strbuf *sb, size_t *off)
{
	while (*off < sb->len) {
		ssize_t w = send(fd, sb->buf + *off, sb->len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			return -1;
		*off += (size_t)w;
	}
	if (*off == sb->len)
		sb->len = *off = 0;
	return sb->oom ? -1 : 0;
}

static int mux_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	/* qemu may not have made its socket yet */
	for (int tries = 0; tries < 100; tries++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		usleep(100000);
	}
	return -1;
}

static int mux_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;
	int r;

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	unlink(path);
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void mux_accept(struct mux *m)
{
	int fd = accept4(m->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < MUX_CLIENTS; i++) {
		if (m->clients[i].fd < 0) {
			m->clients[i].fd = fd;
			frame_dec_init(&m->clients[i].dec);
			sb_init(&m->clients[i].out);
			return;
		}
	}
	close(fd); /* full: the client sees the connection end */
}

static void client_read(struct mux *m, int i)
{
	char buf[65536];
	ssize_t n = read(m->clients[i].fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(m, i);
		return;
	}
	m->cur = i;
	frame_feed(&m->clients[i].dec, buf, (size_t)n, from_client, m);
}

/* One round of poll over the port, the listener and the clients; -1: the guest is gone. */
static int mux_round(struct mux *m)
{
	struct pollfd p[2 + MUX_CLIENTS];
	char buf[65536];

	p[0] = (struct pollfd){m->port, POLLIN | (m->out.len > m->outoff ? POLLOUT : 0), 0};
	p[1] = (struct pollfd){m->listen, POLLIN, 0};
	for (int i = 0; i < MUX_CLIENTS; i++) {
		struct mux_client *c = &m->clients[i];

		p[2 + i] =
			(struct pollfd){c->fd, POLLIN | (c->out.len > c->outoff ? POLLOUT : 0), 0};
	}
	if (poll(p, 2 + MUX_CLIENTS, -1) < 0)
		return errno == EINTR ? 0 : -1;
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = read(m->port, buf, sizeof(buf));

		if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
			return -1;
		if (n > 0)
			frame_feed(&m->dec, buf, (size_t)n, from_port, m);
	}
	if (p[1].revents & POLLIN)
		mux_accept(m);
	for (int i = 0; i < MUX_CLIENTS; i++)
		if (m->clients[i].fd >= 0 && (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR)))
			client_read(m, i);
	for (int i = 0; i < MUX_CLIENTS; i++) {
		struct mux_client *c = &m->clients[i];

		if (c->fd >= 0 && (flush(c->fd, &c->out, &c->outoff) < 0 ||
				   c->out.len - c->outoff > MUX_CLIENT_MAX))
			client_drop(m, i);
	}
	return flush(m->port, &m->out, &m->outoff);
}

int ctl_mux_main(int argc, char **argv)
{
	static struct mux m;

	if (argc != 3) {
		fprintf(stderr, "usage: nucleusctl mux PORT_SOCKET LISTEN_SOCKET\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	m.port = mux_connect(argv[1]);
	if (m.port < 0) {
		fprintf(stderr, "nucleusctl mux: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	m.listen = mux_listen(argv[2]);
	if (m.listen < 0) {
		fprintf(stderr, "nucleusctl mux: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (int i = 0; i < MUX_CLIENTS; i++)
		m.clients[i].fd = -1;
	for (int i = 0; i < MUX_MAPS; i++)
		m.maps[i].client = -1;
	frame_dec_init(&m.dec);
	sb_init(&m.out);
	/* whatever an earlier host end left half-sent, the guest drops */
	sb_add(&m.out, (const char *)frame_sync, sizeof(frame_sync));
	while (mux_round(&m) == 0)
		;
	unlink(argv[2]);
	return 0;
}
