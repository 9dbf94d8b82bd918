// SPDX-License-Identifier: MIT
/*
 * probe.c - readiness (fd:N, tcp, http, exec), health checks with
 * Kubernetes-like counting, and the sd_notify watchdog. A prober reports
 * through its owner's probe_ops and never looks at the service itself.
 */
#include "probe.h"
#include "log.h"
#include "spawn.h"
#include "events.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* How soon a readiness probe that failed is tried again. */
#define READY_RETRY_NET_MS  200
#define READY_RETRY_EXEC_MS 500

/* ---- pure parts ---- */

int http_status_parse(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	int code = 0;

	if (!nl)
		return len >= 512 ? -1 : 0;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) || !isdigit((unsigned char)buf[7]) ||
	    buf[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++) {
		if (!isdigit((unsigned char)buf[i]))
			return -1;
		code = code * 10 + (buf[i] - '0');
	}
	if (buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return -1;
	return code >= 100 ? code : -1;
}

int health_account(unsigned *fails, bool ok, bool in_start_period, unsigned retries)
{
	if (ok) {
		*fails = 0;
		return 1;
	}
	if (in_start_period)
		return 0;
	if (++*fails >= retries)
		return -1;
	return 0;
}

/* ---- attempts ---- */

const char *health_name(enum health_state h)
{
	return h == HEALTH_HEALTHY ? "healthy" : h == HEALTH_UNHEALTHY ? "unhealthy" : "unknown";
}

void probe_init(struct prober *p, struct loop *l, const struct probe_ops *ops, void *owner)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->owner = owner;
	p->loop = l;
	p->fd = -1;
	p->ready_rd = -1;
	p->netns_fd = -1;
	p->report_fd = -1;
	timer_init(&p->next);
	timer_init(&p->deadline);
	timer_init(&p->wdog);
}

static const struct probe *cur_probe(const struct prober *p)
{
	return p->phase == PH_HEALTH ? &p->conf->health : &p->conf->ready;
}

static void end_attempt(struct prober *p)
{
	loop_cancel(p->loop, &p->deadline);
	if (p->fd >= 0) {
		loop_del_fd(p->loop, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	if (p->pid > 0) {
		/* reaped by the SIGCHLD drain like any orphan */
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		p->pid = 0;
	}
	if (p->report_fd >= 0) {
		close(p->report_fd);
		p->report_fd = -1;
	}
	p->len = p->sent = 0;
}

static void attempt(struct prober *p);

static void on_next(struct loop *l, void *arg)
{
	(void)l;
	attempt(arg);
}

void probe_set_health(struct prober *p, enum health_state h)
{
	struct event ev = {
		.kind = EVENT_HEALTH, .from = health_name(p->health), .to = health_name(h)};

	if (p->health == h)
		return;
	p->health = h;
	ev.service = p->ops->name(p->owner);
	events_emit(&ev);
}

static void unhealthy(struct prober *p, const char *why)
{
	if (p->health == HEALTH_UNHEALTHY)
		return;
	probe_set_health(p, HEALTH_UNHEALTHY);
	p->ops->unhealthy(p->owner, why);
}

static void ready_result(struct prober *p, bool ok, const char *why)
{
	const struct svc_conf *c = p->conf;

	if (ok) {
		p->ops->ready(p->owner);
		return;
	}
	log_debug("%s: not ready yet: %s", c->name, why);
	loop_at(p->loop, &p->next,
		now_ms() + (c->ready.kind == PROBE_EXEC ? READY_RETRY_EXEC_MS : READY_RETRY_NET_MS),
		on_next, p);
}

static void result(struct prober *p, bool ok, const char *why)
{
	const struct svc_conf *c = p->conf;
	uint64_t now = now_ms();

	end_attempt(p);
	if (p->phase == PH_READY) {
		ready_result(p, ok, why);
		return;
	}
	if (p->phase != PH_HEALTH)
		return;
	switch (health_account(&p->fails, ok, now - p->ready_ms < c->health_start_period_ms,
			       c->health_retries)) {
	case 1:
		if (p->health == HEALTH_UNHEALTHY)
			log_info("%s: healthy again", c->name);
		probe_set_health(p, HEALTH_HEALTHY);
		break;
	case -1:
		unhealthy(p, why);
		break;
	default:
		log_debug("%s: health check failed (%u/%u): %s", c->name, p->fails,
			  c->health_retries, why);
	}
	/* the owner may have stopped us on the way */
	if (p->phase == PH_HEALTH)
		loop_at(p->loop, &p->next, now + c->health_interval_ms, on_next, p);
}

static void on_deadline(struct loop *l, void *arg)
{
	(void)l;
	result(arg, false, "timed out");
}

/* Literal addresses, localhost, or the service's view of /etc/hosts. */
static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char line[512], *save;
	FILE *fp;

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "localhost"))
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	fp = fopen("/etc/hosts", "re");
	if (!fp)
		return -ENOENT;
	while (fgets(line, sizeof(line), fp)) {
		char *addr = strtok_r(line, " \t\r\n", &save), *name;

		if (!addr || *addr == '#')
			continue;
		while ((name = strtok_r(NULL, " \t\r\n", &save)) && *name != '#') {
			if (!strcmp(name, host)) {
				fclose(fp);
				return strcmp(addr, host) ? resolve(addr, port, ss, len) : -ENOENT;
			}
		}
	}
	fclose(fp);
	return -ENOENT;
}
/*
 * The socket a tcp or http probe connects from. It is made where the
 * service's network is: with a network namespace of its own, PID 1 steps
 * into it for the socket() call only (a socket stays in the namespace it
 * was made in) and straight back into its own.
 */
static int probe_socket(const struct prober *p, int family)
{
	static int self_ns = -1;
	int fd, err;

	if (p->netns_fd < 0)
		return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (self_ns < 0)
		self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_ns < 0)
		return -1;
	if (setns(p->netns_fd, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	err = errno;
	if (setns(self_ns, CLONE_NEWNET) < 0)
		log_err("cannot return to PID 1's own network namespace: %s", strerror(errno));
	errno = err;
	return fd;
}

static void http_send(struct prober *p)
{
	const struct probe *pr = cur_probe(p);
	char req[600];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: nucleus-init\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 pr->path, pr->host, (unsigned)pr->port);
	ssize_t w;

	if (n < 0 || (size_t)n >= sizeof(req)) {
		result(p, false, "the request does not fit its buffer");
		return;
	}
	w = send(p->fd, req + p->sent, (size_t)n - p->sent, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno != EAGAIN)
			result(p, false, strerror(errno));
		return;
	}
	p->sent += (size_t)w;
	if (p->sent == (size_t)n)
		loop_mod_fd(p->loop, p->fd, EPOLLIN);
}

static void http_read(struct prober *p)
{
	ssize_t n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len, 0);
	int code;
	char why[64];

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		result(p, false, n ? strerror(errno) : "connection closed before a status line");
		return;
	}
	p->len += (size_t)n;
	code = http_status_parse(p->buf, p->len);
	if (code == 0)
		return;
	snprintf(why, sizeof(why), code < 0 ? "malformed HTTP answer" : "HTTP status %d", code);
	result(p, code >= 200 && code < 400, why);
}

static void on_sock(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct prober *p = arg;
	int err = 0;
	socklen_t el = sizeof(err);

	(void)l;
	if (p->sent == 0 && p->len == 0 && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			result(p, false, strerror(err));
			return;
		}
		if (cur_probe(p)->kind == PROBE_TCP) {
			result(p, true, "connected");
			return;
		}
	}
	if (ev & EPOLLOUT)
		http_send(p);
	else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		http_read(p);
}

static void attempt_net(struct prober *p, const struct probe *pr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[128];
	int r = resolve(pr->host, pr->port, &ss, &len);

	if (r) {
		snprintf(why, sizeof(why), "%s: cannot resolve (literal, localhost or /etc/hosts)",
			 pr->host);
		result(p, false, why);
		return;
	}
	p->fd = probe_socket(p, ss.ss_family);
	if (p->fd < 0) {
		result(p, false, strerror(errno));
		return;
	}
	if (connect(p->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "connect %s:%u: %s", pr->host, (unsigned)pr->port,
			 strerror(errno));
		result(p, false, why);
		return;
	}
	if (loop_add_fd(p->loop, p->fd, EPOLLOUT, on_sock, p))
		result(p, false, "cannot watch the probe socket");
}

static void attempt(struct prober *p)
{
	const struct probe *pr = cur_probe(p);
	struct nerr e = {0};

	end_attempt(p);
	loop_at(p->loop, &p->deadline, now_ms() + p->conf->health_timeout_ms, on_deadline, p);
	switch (pr->kind) {
	case PROBE_TCP:
	case PROBE_HTTP:
		attempt_net(p, pr);
		break;
	case PROBE_EXEC:
		p->pid = p->ops->spawn_exec(p->owner, pr->argv, &p->report_fd, &e);
		if (p->pid <= 0) {
			p->pid = 0;
			result(p, false, e.what[0] ? e.what : "cannot start the exec probe");
		}
		break;
	default:
		loop_cancel(p->loop, &p->deadline);
		break;
	}
}

bool probe_exited(struct prober *p, pid_t pid, int st)
{
	char why[300];

	struct spawn_report r;

	if (p->pid <= 0 || p->pid != pid)
		return false;
	p->pid = 0;
	/* the runner's own failure, when it could not even run the command */
	if (p->report_fd >= 0 && read(p->report_fd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		r.what[sizeof(r.what) - 1] = '\0';
		snprintf(why, sizeof(why), "exec probe: %s", r.what);
	} else if (WIFEXITED(st))
		snprintf(why, sizeof(why), "exec probe exited with status %d", WEXITSTATUS(st));
	else
		snprintf(why, sizeof(why), "exec probe killed by %s", signal_name(WTERMSIG(st)));
	result(p, WIFEXITED(st) && WEXITSTATUS(st) == 0, why);
	return true;
}

/* ---- fd:N ---- */

static void close_ready_pipe(struct prober *p)
{
	if (p->ready_rd < 0)
		return;
	loop_del_fd(p->loop, p->ready_rd);
	close(p->ready_rd);
	p->ready_rd = -1;
}

static void on_ready_pipe(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct prober *p = arg;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)l;
	(void)ev;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0 && !memchr(buf, '\n', (size_t)n))
		return;
	/* a newline means ready; EOF without one means it never will say so */
	close_ready_pipe(p);
	if (n > 0)
		p->ops->ready(p->owner);
}

int probe_fd_pipe(struct prober *p, int *wr)
{
	int fds[2];

	close_ready_pipe(p);
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	fcntl(fds[1], F_SETFL, 0);
	if (loop_add_fd(p->loop, fds[0], EPOLLIN, on_ready_pipe, p)) {
		close(fds[0]);
		close(fds[1]);
		return -ENOMEM;
	}
	p->ready_rd = fds[0];
	*wr = fds[1];
	return 0;
}

/* ---- lifecycle ---- */

void probe_ready_begin(struct prober *p, const struct svc_conf *c)
{
	p->conf = c;
	p->phase = PH_READY;
	switch (c->ready.kind) {
	case PROBE_TCP:
	case PROBE_HTTP:
	case PROBE_EXEC:
		attempt(p);
		break;
	default:
		break; /* none is handled by the caller; notify and fd wait for the service */
	}
}

static void on_wdog(struct loop *l, void *arg)
{
	struct prober *p = arg;
	char why[64];

	(void)l;
	snprintf(why, sizeof(why), "no WATCHDOG=1 within %llums",
		 (unsigned long long)p->conf->watchdog_ms);
	unhealthy(p, why);
}

void probe_health_begin(struct prober *p, const struct svc_conf *c)
{
	uint64_t now = now_ms();

	end_attempt(p);
	loop_cancel(p->loop, &p->next);
	close_ready_pipe(p);
	p->conf = c;
	p->phase = PH_HEALTH;
	p->ready_ms = now;
	p->fails = 0;
	if (c->health.kind != PROBE_NONE)
		loop_at(p->loop, &p->next, now + c->health_interval_ms, on_next, p);
	if (c->watchdog_ms)
		loop_at(p->loop, &p->wdog, now + c->watchdog_ms, on_wdog, p);
}

void probe_watchdog_kick(struct prober *p)
{
	if (timer_armed(&p->wdog))
		loop_at(p->loop, &p->wdog, now_ms() + p->conf->watchdog_ms, on_wdog, p);
}

void probe_stop(struct prober *p)
{
	end_attempt(p);
	loop_cancel(p->loop, &p->next);
	loop_cancel(p->loop, &p->wdog);
	close_ready_pipe(p);
	p->phase = PH_IDLE;
}
