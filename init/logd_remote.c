// SPDX-License-Identifier: MIT
/*
 * logd_remote.c - [system] log_remote, in nucleus-logd: every record sent
 * off the machine as RFC 5424 syslog (or a JSON line) over UDP, one record
 * a datagram, or TCP, octet-counted (RFC 6587; JSON: newline-delimited).
 * TCP keeps a bounded queue while the peer is away and reconnects with a
 * back-off from 1 s to 30 s; what the queue cannot hold, or a datagram
 * that cannot go, is dropped and counted. Nothing here is PID 1's time.
 */
#include "logd_int.h"
#include "util.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REMOTE_QUEUE_MSGS  4096
#define REMOTE_QUEUE_BYTES (1 << 20)
#define BACKOFF_MIN_MS	   1000
#define BACKOFF_MAX_MS	   30000

int remote_init(struct remote *r, const char *url, const char *format)
{
	char host[256];
	const char *hp, *colon;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&r->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&r->sa;
	uint16_t port;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->json = !strcmp(format, "json");
	if (gethostname(r->hostname, sizeof(r->hostname) - 1) < 0 || !r->hostname[0])
		strcpy(r->hostname, "-");
	if (!strncmp(url, "udp://", 6))
		hp = url + 6;
	else if (!strncmp(url, "tcp://", 6))
		hp = url + 6, r->tcp = true;
	else
		return -EINVAL;
	colon = strrchr(hp, ':');
	if (!colon || (size_t)(colon - hp) >= sizeof(host))
		return -EINVAL;
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	/* [::1]:514 */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	port = (uint16_t)strtoul(colon + 1, NULL, 10);
	/* an address, not a name: no resolver in PID 1's binary, no DNS at boot */
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		r->salen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		r->salen = sizeof(*v6);
	} else {
		return -EINVAL;
	}
	r->q = calloc(REMOTE_QUEUE_MSGS, sizeof(*r->q));
	return r->q ? 0 : -ENOMEM;
}

/* One record as the remote wants it, framed for the stream. */
static char *remote_format(const struct remote *r, const struct record *rec, size_t *len)
{
	struct strbuf msg, out;
	char *p;

	sb_init(&msg);
	if (r->json) {
		record_json(rec, &msg); /* ends with its newline */
	} else {
		/* kernel messages are facility kern (0), the rest daemon (3) */
		int pri = (rec->stream == REC_KERNEL ? 0 : 3 * 8) + (rec->prio & 7);
		char when[40];

		record_time(rec->wall_us, when, sizeof(when));
		sb_printf(&msg, "<%d>1 %s %s %s - %s - ", pri, when, r->hostname, rec->source,
			  rec_stream_name(rec->stream));
		sb_add(&msg, rec->line, rec->len);
	}
	sb_init(&out);
	if (r->tcp && !r->json)
		sb_printf(&out, "%zu ", msg.len);
	sb_add(&out, msg.buf ? msg.buf : "", msg.len);
	sb_free(&msg);
	if (out.oom) {
		sb_free(&out);
		return NULL;
	}
	*len = out.len;
	p = out.buf;
	return p;
}

static void queue_drop_oldest(struct remote *r)
{
	free(r->q[r->qhead].buf);
	r->qbytes -= r->q[r->qhead].len;
	r->qhead = (r->qhead + 1) % REMOTE_QUEUE_MSGS;
	r->qn--;
	r->qoff = 0;
	r->dropped++;
}

void remote_add(struct remote *r, const struct record *rec)
{
	size_t len;
	char *m = remote_format(r, rec, &len);

	if (!m) {
		r->dropped++;
		return;
	}
	if (!r->tcp) {
		if (r->fd < 0) {
			r->fd = socket(r->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				       0);
			if (r->fd >= 0 && connect(r->fd, (struct sockaddr *)&r->sa, r->salen) < 0) {
				close(r->fd);
				r->fd = -1;
			}
		}
		if (r->fd >= 0 && send(r->fd, m, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
			r->sent++;
		else
			r->dropped++;
		free(m);
		return;
	}
	while (r->qn && (r->qn == REMOTE_QUEUE_MSGS || r->qbytes + len > REMOTE_QUEUE_BYTES))
		queue_drop_oldest(r);
	r->q[(r->qhead + r->qn) % REMOTE_QUEUE_MSGS] = (struct qmsg){m, len};
	r->qn++;
	r->qbytes += len;
}

static void tcp_lost(struct remote *r, uint64_t now)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->connected = false;
	r->qoff = 0; /* the message in flight goes again whole */
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
	r->next_try_ms = now + r->backoff_ms;
}

static void tcp_connect(struct remote *r, uint64_t now)
{
	r->fd = socket(r->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		tcp_lost(r, now);
		return;
	}
	if (connect(r->fd, (struct sockaddr *)&r->sa, r->salen) == 0)
		r->connected = true;
	else if (errno != EINPROGRESS)
		tcp_lost(r, now);
}

static void tcp_flush(struct remote *r, uint64_t now)
{
	while (r->qn) {
		struct qmsg *m = &r->q[r->qhead];
		ssize_t n = send(r->fd, m->buf + r->qoff, m->len - r->qoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tcp_lost(r, now);
			return;
		}
		r->qoff += (size_t)n;
		if (r->qoff < m->len)
			return;
		free(m->buf);
		r->qbytes -= m->len;
		r->qhead = (r->qhead + 1) % REMOTE_QUEUE_MSGS;
		r->qn--;
		r->qoff = 0;
		r->sent++;
		r->backoff_ms = 0;
	}
}

int remote_poll(struct remote *r, struct pollfd *p, uint64_t now)
{
	if (!r->tcp || !r->q)
		return -1;
	if (r->fd < 0 && now >= r->next_try_ms)
		tcp_connect(r, now);
	if (r->fd < 0)
		return (int)(r->next_try_ms > now ? r->next_try_ms - now : 0);
	p->fd = r->fd;
	p->events = (short)((!r->connected || r->qn) ? POLLOUT : 0) | POLLIN;
	return -1;
}

void remote_io(struct remote *r, short revents, uint64_t now)
{
	if (r->fd < 0)
		return;
	if (revents & (POLLERR | POLLHUP)) {
		tcp_lost(r, now);
		return;
	}
	if (revents & POLLIN) {
		char sink[256];

		/* a syslog server says nothing; EOF means it went */
		if (recv(r->fd, sink, sizeof(sink), MSG_DONTWAIT) == 0) {
			tcp_lost(r, now);
			return;
		}
	}
	if (!r->connected && (revents & POLLOUT)) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			tcp_lost(r, now);
			return;
		}
		r->connected = true;
	}
	if (r->connected)
		tcp_flush(r, now);
}
