// SPDX-License-Identifier: MIT
/*
 * ctl_exec.c - `nucleusctl exec [-t] NAME -- CMD ARGS`: CMD runs inside the
 * running service NAME exactly as its exec probes run (spawn_inside: a
 * fresh nucleus-run joins its namespaces, root, cgroup, identity, limits,
 * capabilities and filter), with its stdio relayed over the session.
 *
 * The relay is bounded both ways: output is read only while the link's
 * queue is below LINK_OUT_SOFT (a client that does not read stalls its
 * command, not PID 1), and stdin is taken only as far as the credit the
 * session gave (F_CREDIT as the command reads it). With -t the command
 * gets a terminal made inside the service; its master comes back over a
 * socket. The exit code is the command's (128+N for signal N), or 125 when
 * it could not be started there.
 */
#include "ctl_int.h"
#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXEC_GRACE_MS 500 /* after the command ended: output still on its way */
#define EXEC_MAX_ENV  16

struct ctl_exec {
	struct ctl_chan *ch;
	pid_t pid;
	int report_fd;
	int in_fd, out_fd, err_fd; /* with a terminal: in and out are its master */
	int console_fd;		   /* a terminal's master arrives here */
	bool tty;
	struct strbuf in; /* stdin not yet written, from inoff */
	size_t inoff;
	uint32_t owed; /* stdin written, not yet credited back */
	bool in_eof, in_watched, paused, reaped, failed;
	int status;
	struct spawn_report rep;
	unsigned short rows, cols;
	struct timer grace;
};

static void close_watched(int *fd)
{
	if (*fd < 0)
		return;
	loop_del_fd(ctl_sup->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void exec_free(struct ctl_exec *ex)
{
	loop_cancel(ctl_sup->loop, &ex->grace);
	close_watched(&ex->report_fd);
	close_watched(&ex->in_fd);
	close_watched(&ex->out_fd);
	close_watched(&ex->err_fd);
	close_watched(&ex->console_fd);
	sb_free(&ex->in);
	if (ex->ch)
		ex->ch->exec = NULL;
	free(ex);
}

static void read_report(struct ctl_exec *ex)
{
	if (ex->report_fd >= 0 && spawn_read_report(ex->report_fd, &ex->rep) == 1)
		ex->failed = true;
}

static void finish(struct ctl_exec *ex)
{
	struct ctl_chan *ch = ex->ch;
	int st = ex->status, code;

	read_report(ex);
	if (ex->failed) {
		char msg[300];
		int n = snprintf(msg, sizeof(msg), "%s\n", ex->rep.what);

		chan_write(ch, F_ERR, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		code = 125;
	} else {
		code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	ex->ch = NULL;
	ch->exec = NULL;
	exec_free(ex);
	chan_exit(ch, code);
}

static void on_grace(struct loop *l, void *arg)
{
	(void)l;
	finish(arg);
}

/* Done once the command is reaped and its output has ended (or had its grace). */
static void maybe_finish(struct ctl_exec *ex)
{
	if (!ex->reaped)
		return;
	if (ex->out_fd < 0 && ex->err_fd < 0)
		finish(ex);
	else if (!timer_armed(&ex->grace))
		loop_at(ctl_sup->loop, &ex->grace, now_ms() + EXEC_GRACE_MS, on_grace, ex);
}

static void on_reaped(void *arg, pid_t pid, int status)
{
	struct ctl_exec *ex = arg;

	(void)pid;
	ex->reaped = true;
	ex->status = status;
	maybe_finish(ex);
}

/* ---- output ---- */

static void pause_output(struct ctl_exec *ex, bool pause)
{
	ex->paused = pause;
	if (ex->out_fd >= 0)
		loop_mod_fd(ctl_sup->loop, ex->out_fd, pause ? 0 : EPOLLIN);
	if (ex->err_fd >= 0)
		loop_mod_fd(ctl_sup->loop, ex->err_fd, pause ? 0 : EPOLLIN);
}

static void on_output(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct ctl_exec *ex = arg;
	bool err = fd == ex->err_fd;
	char buf[16384];
	ssize_t n;

	(void)l;
	(void)ev;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* EOF; a terminal says EIO once no one holds its other end */
		close_watched(err ? &ex->err_fd : &ex->out_fd);
		if (ex->tty)
			close_watched(&ex->in_fd);
		maybe_finish(ex);
		return;
	}
	chan_write(ex->ch, err ? F_ERR : F_OUT, buf, (size_t)n);
	if (link_queued(ex->ch->link) >= LINK_OUT_SOFT)
		pause_output(ex, true);
}

void exec_drained(struct ctl_chan *ch)
{
	if (ch->exec && ch->exec->paused)
		pause_output(ch->exec, false);
}

/* ---- input ---- */

static void credit(struct ctl_exec *ex, bool now)
{
	unsigned char v[4];

	if (!ex->owed || (!now && ex->owed < EXEC_CREDIT / 4))
		return;
	frame_put_u32(v, ex->owed);
	if (!link_send(ex->ch->link, F_CREDIT, ex->ch->id, v, sizeof(v)))
		ex->owed = 0;
}

static void stdin_flush(struct ctl_exec *ex);

static void on_stdin(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)fd;
	(void)ev;
	stdin_flush(arg);
}

static void stdin_flush(struct ctl_exec *ex)
{
	while (ex->in_fd >= 0 && ex->inoff < ex->in.len) {
		ssize_t w = write(ex->in_fd, ex->in.buf + ex->inoff, ex->in.len - ex->inoff);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!ex->in_watched)
				ex->in_watched = !loop_add_fd(ctl_sup->loop, ex->in_fd, EPOLLOUT,
							      on_stdin, ex);
			return;
		}
		if (w < 0) { /* the command closed its stdin: what is left is lost */
			ex->owed += (uint32_t)(ex->in.len - ex->inoff);
			ex->inoff = ex->in.len;
			break;
		}
		ex->inoff += (size_t)w;
		ex->owed += (uint32_t)w;
	}
	if (ex->in_watched)
		loop_del_fd(ctl_sup->loop, ex->in_fd);
	ex->in_watched = false;
	if (ex->inoff == ex->in.len)
		ex->in.len = ex->inoff = 0;
	credit(ex, ex->in.len == 0);
	/* a terminal has no end of input of its own; a pipe closes */
	if (ex->in_eof && !ex->tty && !ex->in.len && ex->in_fd >= 0) {
		close(ex->in_fd);
		ex->in_fd = -1;
	}
}

static void set_winsize(struct ctl_exec *ex)
{
	struct winsize ws = {.ws_row = ex->rows, .ws_col = ex->cols};

	if (ex->tty && ex->out_fd >= 0 && ws.ws_row && ws.ws_col)
		ioctl(ex->out_fd, TIOCSWINSZ, &ws);
}

void exec_input(struct ctl_chan *ch, const struct frame *f)
{
	struct ctl_exec *ex = ch->exec;

	if (!ex)
		return;
	if (f->type == F_IN && !f->len) {
		ex->in_eof = true;
	} else if (f->type == F_IN) {
		/* beyond the credit given: a client that does not follow the protocol */
		if (ex->in.len - ex->inoff + f->len > 2 * EXEC_CREDIT)
			return;
		sb_add(&ex->in, (const char *)f->data, f->len);
	} else if (f->type == F_WINCH && f->len >= 4) {
		ex->rows = (unsigned short)(f->data[0] | f->data[1] << 8);
		ex->cols = (unsigned short)(f->data[2] | f->data[3] << 8);
		set_winsize(ex);
		return;
	} else if (f->type == F_SIGNAL && f->len >= 4) {
		int sig = (int)frame_u32(f->data);

		if (sig > 0 && sig < 65 && !ex->reaped)
			kill(ex->pid, sig);
		return;
	}
	if (ex->in_fd >= 0)
		stdin_flush(ex);
}

/* ---- the terminal's master, from the runner ---- */

static void on_console(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct ctl_exec *ex = arg;
	int master = fd_recv(fd);

	(void)ev;
	close_watched(&ex->console_fd);
	if (master < 0)
		return; /* the runner failed first: its report says why */
	fcntl(master, F_SETFL, O_NONBLOCK);
	ex->out_fd = master;
	/* a second descriptor of it, so stdin has a registration of its own */
	ex->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	if (loop_add_fd(l, master, ex->paused ? 0 : EPOLLIN, on_output, ex))
		close_watched(&ex->out_fd);
	set_winsize(ex);
	stdin_flush(ex);
}

static void on_report(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct ctl_exec *ex = arg;
	int r = spawn_read_report(fd, &ex->rep);

	(void)l;
	(void)ev;
	if (r == -EAGAIN)
		return;
	ex->failed = r == 1;
	close_watched(&ex->report_fd);
}

/* ---- the start ---- */

struct exec_req {
	bool tty;
	char *env[EXEC_MAX_ENV + 1];
	int nenv;
	const char *name;
	char **argv;
	unsigned short rows, cols;
};

/* exec [-t] [-e K=V]... [--rows N --cols N] NAME [--] CMD ARGS... */
static const char *parse_req(char **w, int n, struct exec_req *rq)
{
	int i = 1;

	for (; i < n && w[i][0] == '-' && strcmp(w[i], "--"); i++) {
		if (!strcmp(w[i], "-t"))
			rq->tty = true;
		else if (!strcmp(w[i], "-e") && i + 1 < n && strchr(w[i + 1], '=') &&
			 w[i + 1][0] != '=' && rq->nenv < EXEC_MAX_ENV)
			rq->env[rq->nenv++] = w[++i];
		else if ((!strcmp(w[i], "--rows") || !strcmp(w[i], "--cols")) && i + 1 < n) {
			unsigned short *v = w[i][2] == 'r' ? &rq->rows : &rq->cols;

			*v = (unsigned short)strtoul(w[++i], NULL, 10);
		} else
			return "usage: exec [-t] [-e KEY=VALUE]... NAME -- CMD [ARGS...]";
	}
	if (i >= n)
		return "usage: exec [-t] [-e KEY=VALUE]... NAME -- CMD [ARGS...]";
	rq->name = w[i++];
	if (i < n && !strcmp(w[i], "--"))
		i++;
	if (i >= n)
		return "usage: exec [-t] [-e KEY=VALUE]... NAME -- CMD [ARGS...] (no command "
		       "given)";
	rq->argv = &w[i];
	return NULL;
}

/* Where the command stands in: the service must be running. */
static const char *exec_target(const struct exec_req *rq, struct service **svc)
{
	static char why[160];

	if (!ctl_sup->m->sys.exec)
		return "exec: refused ([system] exec = no)";
	*svc = sup_find(ctl_sup, rq->name);
	if (!*svc || (*svc)->removed) {
		snprintf(why, sizeof(why), "exec: no service named '%s'", rq->name);
		return why;
	}
	if ((*svc)->pid <= 0 || !(*svc)->spawned ||
	    ((*svc)->state != ST_STARTING && (*svc)->state != ST_READY)) {
		snprintf(why, sizeof(why), "exec: %s is not running (%s)", rq->name,
			 svc_state_name((*svc)->state));
		return why;
	}
	return NULL;
}

/* The pipes (or the console socket) of the command; the child's ends in @child. */
static int exec_fds(struct ctl_exec *ex, int child[3], int *console)
{
	int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}}, sp[2];

	if (ex->tty) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			return -errno;
		ex->console_fd = sp[0];
		*console = sp[1];
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		if (pipe2(p[i], O_CLOEXEC) < 0) {
			int err = errno;

			for (int k = 0; k < i; k++) {
				close(p[k][0]);
				close(p[k][1]);
			}
			return -err;
		}
	}
	ex->in_fd = p[0][1];
	child[0] = p[0][0];
	ex->out_fd = p[1][0];
	child[1] = p[1][1];
	ex->err_fd = p[2][0];
	child[2] = p[2][1];
	fcntl(ex->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(ex->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(ex->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int exec_watch(struct ctl_exec *ex)
{
	struct loop *l = ctl_sup->loop;

	if ((ex->out_fd >= 0 && loop_add_fd(l, ex->out_fd, EPOLLIN, on_output, ex)) ||
	    (ex->err_fd >= 0 && loop_add_fd(l, ex->err_fd, EPOLLIN, on_output, ex)) ||
	    (ex->console_fd >= 0 && loop_add_fd(l, ex->console_fd, EPOLLIN, on_console, ex)) ||
	    loop_add_fd(l, ex->report_fd, EPOLLIN, on_report, ex) ||
	    sup_child_add(ctl_sup, ex->pid, on_reaped, ex))
		return -ENOMEM;
	return 0;
}

static struct ctl_exec *exec_new(const struct exec_req *rq)
{
	struct ctl_exec *ex = calloc(1, sizeof(*ex));

	if (!ex)
		return NULL;
	ex->report_fd = ex->in_fd = ex->out_fd = ex->err_fd = ex->console_fd = -1;
	ex->tty = rq->tty;
	ex->rows = rq->rows;
	ex->cols = rq->cols;
	sb_init(&ex->in);
	timer_init(&ex->grace);
	return ex;
}

static void exec_refuse(struct ctl_chan *ch, const char *why, int code)
{
	chan_write(ch, F_ERR, why, strlen(why));
	chan_write(ch, F_ERR, "\n", 1);
	chan_exit(ch, code);
}

static pid_t exec_spawn(struct ctl_exec *ex, struct service *svc, const struct exec_req *rq,
			struct nerr *e)
{
	int child[3] = {-1, -1, -1}, console = -1, r = exec_fds(ex, child, &console);
	struct inside_io in = {.console = console,
			       .rows = rq->rows,
			       .cols = rq->cols,
			       .env = rq->env,
			       .step = "exec"};
	struct spawn_io io = {.log_fd = -1, .err_fd = -1, .console_fd = -1, .ready_fd = -1};
	pid_t pid;

	if (r)
		return nerr_set(e, "exec", -r, "pipes: %s", strerror(-r));
	memcpy(in.stdio, child, sizeof(child));
	svc_spawn_io(svc, &io);
	pid = spawn_inside(svc->conf, &io, svc->pid, rq->argv, &in, &ex->report_fd, e);
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0)
			close(child[i]);
	if (console >= 0)
		close(console);
	return pid;
}

void exec_open(struct ctl_chan *ch, char **w, int n)
{
	struct exec_req rq = {0};
	struct service *svc = NULL;
	struct ctl_exec *ex;
	struct nerr e = {0};
	const char *why = parse_req(w, n, &rq);

	if (why || (why = exec_target(&rq, &svc))) {
		exec_refuse(ch, why, !strncmp(why, "usage", 5) ? 2 : 125);
		return;
	}
	ex = exec_new(&rq);
	if (!ex) {
		exec_refuse(ch, "exec: out of memory", 125);
		return;
	}
	ex->pid = exec_spawn(ex, svc, &rq, &e);
	if (ex->pid < 0 || exec_watch(ex)) {
		char msg[300];

		if (ex->pid > 0) {
			kill(ex->pid, SIGKILL);
			sup_child_del(ctl_sup, ex->pid);
		}
		snprintf(msg, sizeof(msg), "exec: %s: %s", e.step ? e.step : "exec",
			 e.what[0] ? e.what : "out of memory");
		exec_free(ex);
		exec_refuse(ch, msg, 125);
		return;
	}
	ex->ch = ch;
	ch->kind = CH_EXEC;
	ch->exec = ex;
	log_debug("exec in %s: %s (pid %d)", svc->conf->name, rq.argv[0], (int)ex->pid);
}

void exec_abandon(struct ctl_chan *ch)
{
	struct ctl_exec *ex = ch->exec;

	if (!ex)
		return;
	/* the client is gone: so is its command (its runner's death kills it) */
	if (!ex->reaped) {
		kill(ex->pid, SIGKILL);
		sup_child_del(ctl_sup, ex->pid);
	}
	ex->ch = NULL;
	ch->exec = NULL;
	exec_free(ex);
}
