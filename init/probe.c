// SPDX-License-Identifier: MIT
/*
 * probe.c - readiness (notify, fd:N, tcp, http, exec), health checks with
 * Kubernetes-like counting, the sd_notify watchdog, and the notify socket.
 */
#include "probe.h"
#include "service.h"
#include "spawn.h"

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

static struct supervisor *the_sup;
static int notify_fd = -1;
static char npath[128];

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

void notify_parse(const char *msg, size_t len, struct notify_msg *out)
{
	const char *p = msg, *end = msg + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

#define IS(k) (n >= sizeof(k) - 1 && !memcmp(p, k, sizeof(k) - 1))
		if (n == 7 && IS("READY=1"))
			out->ready = true;
		else if (n == 10 && IS("STOPPING=1"))
			out->stopping = true;
		else if (n == 11 && IS("RELOADING=1"))
			out->reloading = true;
		else if (n == 10 && IS("WATCHDOG=1"))
			out->watchdog = true;
		else if (IS("STATUS=")) {
			size_t k =
				n - 7 < sizeof(out->status) - 1 ? n - 7 : sizeof(out->status) - 1;

			memcpy(out->status, p + 7, k);
			out->status[k] = '\0';
			out->has_status = true;
		} else if (IS("MAINPID=")) {
			char num[16];
			size_t k = n - 8;
			uint64_t v;

			if (k > 0 && k < sizeof(num)) {
				memcpy(num, p + 8, k);
				num[k] = '\0';
				if (!parse_uint(num, 0x3fffffff, &v) && v > 1) {
					out->mainpid = (long)v;
					out->has_mainpid = true;
				}
			}
		}
#undef IS
		p += n + 1;
	}
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

void probe_init(struct prober *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->ready_rd = -1;
	timer_init(&p->next);
	timer_init(&p->deadline);
	timer_init(&p->wdog);
}

static const struct probe *cur_probe(struct service *svc)
{
	return svc->probe.health ? &svc->conf->health : &svc->conf->ready;
}

static void end_attempt(struct service *svc)
{
	struct prober *p = &svc->probe;
	struct loop *l = svc->sup->loop;

	loop_cancel(l, &p->deadline);
	if (p->fd >= 0) {
		loop_del_fd(l, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	if (p->pid > 0) {
		/* reaped by the SIGCHLD drain like any orphan */
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		p->pid = 0;
	}
	p->len = p->sent = 0;
}

static void attempt(struct service *svc);

static void on_next(struct loop *l, void *arg)
{
	(void)l;
	attempt(arg);
}

static void unhealthy(struct service *svc, const char *why)
{
	if (svc->health == HEALTH_UNHEALTHY)
		return;
	svc->health = HEALTH_UNHEALTHY;
	svc_unhealthy(svc, why);
}

static void result(struct service *svc, bool ok, const char *why)
{
	struct prober *p = &svc->probe;
	const struct svc_conf *c = svc->conf;
	uint64_t now = now_ms();

	end_attempt(svc);
	if (!p->health) {
		if (svc->state != ST_STARTING)
			return;
		if (ok) {
			svc_handle(svc, EV_READY);
			return;
		}
		log_debug("%s: not ready yet: %s", c->name, why);
		loop_at(svc->sup->loop, &p->next,
			now + (c->ready.kind == PROBE_EXEC ? READY_RETRY_EXEC_MS
							   : READY_RETRY_NET_MS),
			on_next, svc);
		return;
	}
	if (svc->state != ST_READY)
		return;
	switch (health_account(&p->fails, ok, now - p->ready_ms < c->health_start_period_ms,
			       c->health_retries)) {
	case 1:
		if (svc->health == HEALTH_UNHEALTHY)
			log_info("%s: healthy again", c->name);
		svc->health = HEALTH_HEALTHY;
		break;
	case -1:
		unhealthy(svc, why);
		break;
	default:
		log_debug("%s: health check failed (%u/%u): %s", c->name, p->fails,
			  c->health_retries, why);
	}
	if (svc->state == ST_READY)
		loop_at(svc->sup->loop, &p->next, now + c->health_interval_ms, on_next, svc);
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
static int probe_socket(struct service *svc, int family)
{
	static int self_ns = -1;
	int fd, err;

	if (svc->netns_fd < 0)
		return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (self_ns < 0)
		self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_ns < 0)
		return -1;
	if (setns(svc->netns_fd, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	err = errno;
	if (setns(self_ns, CLONE_NEWNET) < 0)
		log_err("cannot return to PID 1's own network namespace: %s", strerror(errno));
	errno = err;
	return fd;
}

static void http_send(struct service *svc)
{
	const struct probe *pr = cur_probe(svc);
	struct prober *p = &svc->probe;
	char req[600];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: nucleus-init\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 pr->path, pr->host, (unsigned)pr->port);
	ssize_t w = send(p->fd, req + p->sent, (size_t)n - p->sent, MSG_NOSIGNAL);

	if (w < 0) {
		if (errno != EAGAIN)
			result(svc, false, strerror(errno));
		return;
	}
	p->sent += (size_t)w;
	if (p->sent == (size_t)n)
		loop_mod_fd(svc->sup->loop, p->fd, EPOLLIN);
}

static void http_read(struct service *svc)
{
	struct prober *p = &svc->probe;
	ssize_t n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len, 0);
	int code;
	char why[64];

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		result(svc, false, n ? strerror(errno) : "connection closed before a status line");
		return;
	}
	p->len += (size_t)n;
	code = http_status_parse(p->buf, p->len);
	if (code == 0)
		return;
	snprintf(why, sizeof(why), code < 0 ? "malformed HTTP answer" : "HTTP status %d", code);
	result(svc, code >= 200 && code < 400, why);
}

static void on_sock(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct service *svc = arg;
	struct prober *p = &svc->probe;
	int err = 0;
	socklen_t el = sizeof(err);

	(void)l;
	if (p->sent == 0 && p->len == 0 && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			result(svc, false, strerror(err));
			return;
		}
		if (cur_probe(svc)->kind == PROBE_TCP) {
			result(svc, true, "connected");
			return;
		}
	}
	if (ev & EPOLLOUT)
		http_send(svc);
	else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		http_read(svc);
}

static void attempt_net(struct service *svc, const struct probe *pr)
{
	struct prober *p = &svc->probe;
	struct sockaddr_storage ss;
	socklen_t len;
	char why[128];
	int r = resolve(pr->host, pr->port, &ss, &len);

	if (r) {
		snprintf(why, sizeof(why), "%s: cannot resolve (literal, localhost or /etc/hosts)",
			 pr->host);
		result(svc, false, why);
		return;
	}
	p->fd = probe_socket(svc, ss.ss_family);
	if (p->fd < 0) {
		result(svc, false, strerror(errno));
		return;
	}
	if (connect(p->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "connect %s:%u: %s", pr->host, (unsigned)pr->port,
			 strerror(errno));
		result(svc, false, why);
		return;
	}
	if (loop_add_fd(svc->sup->loop, p->fd, EPOLLOUT, on_sock, svc)) {
		result(svc, false, "cannot watch the probe socket");
		return;
	}
}

static void attempt(struct service *svc)
{
	struct prober *p = &svc->probe;
	const struct probe *pr = cur_probe(svc);
	struct nerr e = {0};

	end_attempt(svc);
	loop_at(svc->sup->loop, &p->deadline, now_ms() + svc->conf->health_timeout_ms, on_deadline,
		svc);
	switch (pr->kind) {
	case PROBE_TCP:
	case PROBE_HTTP:
		attempt_net(svc, pr);
		break;
	case PROBE_EXEC: {
		struct spawn_io io = {.log_fd = -1, .console_fd = -1, .ready_fd = -1};

		svc_spawn_io(svc, &io);
		p->pid = spawn_probe(svc->conf, &io, svc->pid, pr->argv, &e);
		if (p->pid < 0) {
			p->pid = 0;
			result(svc, false, e.what);
		}
		break;
	}
	default:
		loop_cancel(svc->sup->loop, &p->deadline);
		break;
	}
}

bool probe_reaped(struct supervisor *s, pid_t pid, int st)
{
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];
		char why[48];

		if (svc->probe.pid != pid)
			continue;
		svc->probe.pid = 0;
		if (WIFEXITED(st))
			snprintf(why, sizeof(why), "exec probe exited with status %d",
				 WEXITSTATUS(st));
		else
			snprintf(why, sizeof(why), "exec probe killed by %s",
				 signal_name(WTERMSIG(st)));
		result(svc, WIFEXITED(st) && WEXITSTATUS(st) == 0, why);
		return true;
	}
	return false;
}

/* ---- fd:N ---- */

static void close_ready_pipe(struct service *svc)
{
	if (svc->probe.ready_rd < 0)
		return;
	loop_del_fd(svc->sup->loop, svc->probe.ready_rd);
	close(svc->probe.ready_rd);
	svc->probe.ready_rd = -1;
}

static void on_ready_pipe(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct service *svc = arg;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)l;
	(void)ev;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0 && !memchr(buf, '\n', (size_t)n))
		return;
	/* a newline means ready; EOF without one means it never will say so */
	close_ready_pipe(svc);
	if (n > 0)
		svc_handle(svc, EV_READY);
}

int probe_fd_pipe(struct service *svc, int *wr)
{
	int p[2];

	close_ready_pipe(svc);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	fcntl(p[1], F_SETFL, 0);
	if (loop_add_fd(svc->sup->loop, p[0], EPOLLIN, on_ready_pipe, svc)) {
		close(p[0]);
		close(p[1]);
		return -ENOMEM;
	}
	svc->probe.ready_rd = p[0];
	*wr = p[1];
	return 0;
}

/* ---- lifecycle ---- */

void probe_ready_begin(struct service *svc)
{
	switch (svc->conf->ready.kind) {
	case PROBE_TCP:
	case PROBE_HTTP:
	case PROBE_EXEC:
		svc->probe.health = false;
		attempt(svc);
		break;
	default:
		break; /* none is handled by the caller; notify and fd wait for the service */
	}
}

static void on_wdog(struct loop *l, void *arg)
{
	struct service *svc = arg;
	char why[64];

	(void)l;
	snprintf(why, sizeof(why), "no WATCHDOG=1 within %llums",
		 (unsigned long long)svc->conf->watchdog_ms);
	unhealthy(svc, why);
}

void probe_health_begin(struct service *svc)
{
	struct prober *p = &svc->probe;
	const struct svc_conf *c = svc->conf;
	uint64_t now = now_ms();

	end_attempt(svc);
	loop_cancel(svc->sup->loop, &p->next);
	close_ready_pipe(svc);
	p->ready_ms = now;
	p->fails = 0;
	p->health = true;
	if (c->health.kind != PROBE_NONE)
		loop_at(svc->sup->loop, &p->next, now + c->health_interval_ms, on_next, svc);
	if (c->watchdog_ms)
		loop_at(svc->sup->loop, &p->wdog, now + c->watchdog_ms, on_wdog, svc);
}

void probe_stop(struct service *svc)
{
	struct loop *l = svc->sup->loop;

	end_attempt(svc);
	loop_cancel(l, &svc->probe.next);
	loop_cancel(l, &svc->probe.wdog);
	close_ready_pipe(svc);
}

/* ---- sd_notify ---- */

const char *notify_path(void)
{
	return notify_fd >= 0 ? npath : NULL;
}

/* The session of a pid, from /proc/PID/stat (field 6). */
static pid_t session_of(pid_t pid)
{
	char path[32], buf[512], *p;
	int fd, sid = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %d", &sid) != 1)
		return -1;
	return sid;
}

/*
 * The service a sender belongs to: its main process, or a process in the
 * session the service's first process opened (every run starts with setsid).
 */
static struct service *owner_of(struct supervisor *s, pid_t pid)
{
	pid_t sid = session_of(pid);

	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];

		if (svc->pid <= 0)
			continue;
		if (pid == svc->pid || (sid > 0 && sid == svc->sid))
			return svc;
	}
	return NULL;
}

static void apply_notify(struct service *svc, const struct notify_msg *m, pid_t sender)
{
	const struct svc_conf *c = svc->conf;

	if (m->has_status) {
		free(svc->status_text);
		svc->status_text = m->status[0] ? strdup(m->status) : NULL;
	}
	/* in a PID namespace of its own the number means nothing here: the
	 * namespace's init stays the main process and forwards signals */
	if (m->has_mainpid && !svc->ns_init && owner_of(svc->sup, (pid_t)m->mainpid) == svc) {
		log_debug("%s: main pid %d -> %ld (from %d)", c->name, (int)svc->pid, m->mainpid,
			  (int)sender);
		svc->pid = (pid_t)m->mainpid;
	}
	if (m->watchdog && timer_armed(&svc->probe.wdog))
		loop_at(svc->sup->loop, &svc->probe.wdog, now_ms() + c->watchdog_ms, on_wdog, svc);
	if (m->stopping)
		log_info("%s: stopping (STOPPING=1)", c->name);
	if (m->reloading)
		log_info("%s: reloading (RELOADING=1)", c->name);
	if (m->ready && c->ready.kind == PROBE_NOTIFY && svc->state == ST_STARTING)
		svc_handle(svc, EV_READY);
}

static void on_notify(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct supervisor *s = arg;

	(void)l;
	(void)ev;
	for (int i = 0; i < 16; i++) {
		char buf[4096];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
		} cm;
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = &cm,
				    .msg_controllen = sizeof(cm)};
		struct ucred *cred = NULL;
		struct notify_msg m;
		struct service *svc;
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
				cred = (struct ucred *)CMSG_DATA(c);
			else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				/* fd store is not supported: do not leak what was passed */
				int *fds = (int *)CMSG_DATA(c);
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

				for (size_t j = 0; j < k; j++)
					close(fds[j]);
			}
		}
		if ((size_t)n >= sizeof(buf))
			continue; /* larger than any valid message */
		if (!cred || cred->pid <= 0 || !(svc = owner_of(s, cred->pid))) {
			log_warn("notify message from pid %d dropped: not a process of a service",
				 cred ? (int)cred->pid : -1);
			continue;
		}
		notify_parse(buf, (size_t)n, &m);
		apply_notify(svc, &m, cred->pid);
	}
}

int notify_open(struct supervisor *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int one = 1, fd;

	the_sup = s;
	if ((size_t)snprintf(npath, sizeof(npath), "%s/notify.sock", s->runtime_dir) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, npath);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(npath);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    loop_add_fd(s->loop, fd, EPOLLIN, on_notify, s)) {
		int e = errno;

		log_err("notify socket %s: %s", npath, strerror(e));
		close(fd);
		return -e;
	}
	/* any service user may send; the sender's credentials decide */
	chmod(npath, 0666);
	notify_fd = fd;
	return 0;
}
