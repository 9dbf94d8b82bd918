// SPDX-License-Identifier: MIT
/*
 * control.c - the control socket server, inside the loop.
 *
 * Clients are few and short-lived: read one line, act, answer, close. start,
 * stop and restart answer once the service has settled (ready, exited,
 * stopped or failed) unless --no-block is given. A client that has not
 * sent a whole request within CONTROL_IDLE_MS is closed, and when every
 * slot is taken the oldest client gives its slot to the new one (an idle
 * one first): a few silent connections never lock nucleusctl out.
 */
#include "control.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 32

struct client {
	int fd;
	uint64_t since;	   /* accepted, ms */
	struct timer idle; /* until the whole request is in */
	char in[512];
	size_t inlen;
	struct strbuf out;
	size_t outoff;
	struct service *wait_svc;
	int wait_kind;
	bool used;
};

static struct supervisor *the_sup;
static struct client clients[MAX_CLIENTS];
static int listen_fd = -1;
static char sock_path[128];

static void client_close(struct client *c)
{
	loop_cancel(the_sup->loop, &c->idle);
	loop_del_fd(the_sup->loop, c->fd);
	close(c->fd);
	sb_free(&c->out);
	memset(c, 0, sizeof(*c));
	timer_init(&c->idle);
}

static void client_flush(struct client *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->outoff, c->out.len - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN) {
				loop_mod_fd(the_sup->loop, c->fd, EPOLLOUT);
				return;
			}
			break;
		}
		c->outoff += (size_t)n;
	}
	client_close(c);
}

/* The answer: exit code line, then the body. */
static void client_reply(struct client *c, int code, struct strbuf *body)
{
	sb_printf(&c->out, "%d\n", code);
	if (body->len)
		sb_add(&c->out, body->buf, body->len);
	if (c->out.oom) {
		sb_free(&c->out);
		sb_puts(&c->out, "1\nout of memory\n");
	}
	client_flush(c);
}

static bool settled(const struct service *svc, int kind, int *code)
{
	switch (kind) {
	case WAIT_START:
		*code = svc->state == ST_FAILED ? 1 : 0;
		return svc->state == ST_READY || svc->state == ST_EXITED ||
		       svc->state == ST_FAILED || (svc->state == ST_STOPPED && !svc->want_up) ||
		       (svc->state == ST_STOPPED && svc->dep_blocked) || svc->removed;
	case WAIT_STOP:
		*code = 0;
		return svc->state == ST_STOPPED || svc->state == ST_EXITED ||
		       svc->state == ST_FAILED || svc->removed;
	default:
		*code = 0;
		return true;
	}
}

static void answer_wait(struct client *c, struct service *svc, int code)
{
	struct strbuf body;

	sb_init(&body);
	sb_printf(&body, "%s: %s%s%s\n", svc->conf->name, svc_state_name(svc->state),
		  svc->error[0] ? ": " : "", svc->error);
	c->wait_svc = NULL;
	client_reply(c, code, &body);
	sb_free(&body);
}

/* Every state change: the clients waiting for this service may be answered. */
static void on_change(void *arg, struct service *svc)
{
	(void)arg;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		int code;

		if (c->used && c->wait_svc == svc && settled(svc, c->wait_kind, &code))
			answer_wait(c, svc, code);
	}
}

static int usage(struct strbuf *out, const char *msg)
{
	sb_printf(out, "%s\n", msg);
	return 2;
}

static int cmd_status(struct supervisor *s, char **w, int n, struct strbuf *out)
{
	bool json = false;
	struct service *only = NULL;

	for (int i = 1; i < n; i++) {
		if (!strcmp(w[i], "--json"))
			json = true;
		else if (!only && w[i][0] != '-' && (only = sup_find(s, w[i])))
			;
		else {
			sb_printf(out, "status: no service named '%s'\n", w[i]);
			return 1;
		}
	}
	if (json)
		sup_status_json(s, only, out);
	else
		sup_status_table(s, only, out);
	return 0;
}

int control_exec(struct supervisor *s, char *line, struct strbuf *out, struct service **wait_svc,
		 int *wait_kind)
{
	char *w[8], *save = NULL;
	int n = 0;
	bool no_block = false;

	*wait_svc = NULL;
	*wait_kind = WAIT_NONE;
	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (!strcmp(t, "--no-block"))
			no_block = true;
		else
			w[n++] = t;
	}
	if (n == 0)
		return usage(out, "empty command");
	if (!strcmp(w[0], "status"))
		return cmd_status(s, w, n, out);
	if (!strcmp(w[0], "reload"))
		return sup_reload(s, out) ? 1 : 0;
	if (!strcmp(w[0], "poweroff") || !strcmp(w[0], "reboot") || !strcmp(w[0], "halt")) {
		enum power_action a = w[0][0] == 'p'   ? POWER_POWEROFF
				      : w[0][0] == 'r' ? POWER_REBOOT
						       : POWER_HALT;

		sb_printf(out, "%s: shutting down\n", w[0]);
		sup_shutdown(s, a, "requested over the control socket");
		return 0;
	}
	if (!strcmp(w[0], "start") || !strcmp(w[0], "stop") || !strcmp(w[0], "restart") ||
	    !strcmp(w[0], "logs")) {
		struct service *svc;
		int r;

		if (n != 2)
			return usage(out, "usage: start|stop|restart|logs NAME");
		svc = sup_find(s, w[1]);
		if (!svc || svc->removed) {
			sb_printf(out, "%s: no service named '%s'\n", w[0], w[1]);
			return 1;
		}
		if (w[0][0] == 'l') {
			logring_dump(&svc->ring, out);
			return 0;
		}
		if (!strcmp(w[0], "start"))
			r = svc_cmd_start(svc);
		else if (!strcmp(w[0], "stop"))
			r = svc_cmd_stop(svc);
		else
			r = svc_cmd_restart(svc);
		if (r) {
			sb_printf(out, "%s %s: %s\n", w[0], w[1], strerror(-r));
			return 1;
		}
		if (no_block) {
			sb_printf(out, "%s: %s\n", w[1], svc_state_name(svc->state));
			return 0;
		}
		*wait_svc = svc;
		*wait_kind = !strcmp(w[0], "stop") ? WAIT_STOP : WAIT_START;
		return 0;
	}
	if (!strcmp(w[0], "version")) {
		sb_puts(out, "nucleus-init " NUCLEUS_VERSION "\n");
		return 0;
	}
	sb_printf(out, "unknown command '%s'\n", w[0]);
	return 2;
}

static void client_line(struct client *c)
{
	struct strbuf body;
	struct service *svc;
	int kind, code;

	loop_cancel(the_sup->loop, &c->idle);
	sb_init(&body);
	code = control_exec(the_sup, c->in, &body, &svc, &kind);
	if (svc) {
		int sc;

		sb_free(&body);
		c->wait_svc = svc;
		c->wait_kind = kind;
		loop_mod_fd(the_sup->loop, c->fd, 0);
		if (settled(svc, kind, &sc))
			answer_wait(c, svc, sc);
		return;
	}
	client_reply(c, code, &body);
	sb_free(&body);
}

static void on_client(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct client *c = arg;
	ssize_t n;
	char *nl;

	(void)l;
	(void)fd;
	if (ev & EPOLLOUT) {
		client_flush(c);
		return;
	}
	if (c->wait_svc) {
		/* a waiting client hung up */
		if (ev & (EPOLLHUP | EPOLLERR))
			client_close(c);
		return;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	nl = strchr(c->in, '\n');
	if (!nl && c->inlen < sizeof(c->in) - 1)
		return;
	if (nl)
		*nl = '\0';
	client_line(c);
}

static void on_idle(struct loop *l, void *arg)
{
	struct client *c = arg;

	(void)l;
	log_debug("control client closed: no whole request within %dms", CONTROL_IDLE_MS);
	client_close(c);
}

/* A free slot, or the oldest client's: one still sending its request first. */
static struct client *slot(void)
{
	struct client *old = NULL, *oldest_idle = NULL;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (!c->used)
			return c;
		if (!old || c->since < old->since)
			old = c;
		if (!c->wait_svc && c->outoff == 0 && !c->out.len &&
		    (!oldest_idle || c->since < oldest_idle->since))
			oldest_idle = c;
	}
	old = oldest_idle ? oldest_idle : old;
	log_warn("control socket: %d clients; the oldest gives its slot to a new one", MAX_CLIENTS);
	client_close(old);
	return old;
}

static void on_accept(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)ev;
	(void)arg;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct client *c;

		if (cfd < 0)
			return;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			close(cfd);
			continue;
		}
		c = slot();
		if (loop_add_fd(l, cfd, EPOLLIN, on_client, c)) {
			static const char busy[] = "1\ncannot watch the control client\n";

			if (send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			}
			close(cfd);
			continue;
		}
		c->used = true;
		c->fd = cfd;
		c->since = now_ms();
		timer_init(&c->idle);
		loop_at(l, &c->idle, c->since + CONTROL_IDLE_MS, on_idle, c);
	}
}

int control_open(struct supervisor *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	the_sup = s;
	int r = mkdir_p(s->runtime_dir, 0755);

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
	mode_t old = umask(0077);

	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	umask(old);
	if (r < 0 || listen(fd, 16) < 0 || loop_add_fd(s->loop, fd, EPOLLIN, on_accept, NULL)) {
		log_err("control socket %s: %s", sock_path, strerror(errno));
		close(fd);
		return -errno;
	}
	listen_fd = fd;
	sup_watch(s, on_change, NULL);
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
