// SPDX-License-Identifier: MIT
/*
 * svc_output.c - a service's captured output: one pipe for stdout and one
 * for stderr, made at its first start and held by PID 1 until the service
 * is removed, so every run writes into the same ones and nothing written
 * before a crash or a SIGKILL is lost (what is in the pipe is read after).
 * Each line becomes a record (records.h) and, prefixed with the name, a
 * console line. A `file:PATH` output has its pipe too, but is not
 * captured: its bytes go to nucleus-logd (logship.c) as they are, to be
 * appended to PATH with rotation.
 */
#include "svc_internal.h"
#include "log.h"
#include "spawn.h"
#include "logd.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>

static void emit(struct service *svc, enum rec_stream stream, const char *line, size_t n)
{
	char buf[LINEBUF_SIZE + 80];
	int k = snprintf(buf, sizeof(buf), "%s: ", svc->conf->name);

	int prio = stream == REC_STDERR ? LOG_ERR : LOG_INFO;

	records_add(&svc->rec, svc->conf->name, stream, prio, line, n);
	if (k < 0 || (size_t)k >= sizeof(buf) - n - 1 || !log_to_console(prio))
		return;
	memcpy(buf + k, line, n);
	buf[k + (int)n] = '\n';
	log_console_write(buf, (size_t)k + n + 1);
}

static void emit_out(void *arg, const char *line, size_t n)
{
	emit(arg, REC_STDOUT, line, n);
}

static void emit_err(void *arg, const char *line, size_t n)
{
	emit(arg, REC_STDERR, line, n);
}

static struct svc_pipe *pipe_of(struct service *svc, int fd)
{
	return svc->out[0].rd == fd ? &svc->out[0] : &svc->out[1];
}

/* The output's file: PATH, or NULL when its lines go to the console. */
static const char *file_of(const struct service *svc, const struct svc_pipe *p)
{
	const struct output *o = p == &svc->out[0] ? &svc->conf->out : &svc->conf->err;

	return o->kind == OUT_FILE ? o->path : NULL;
}

static void on_output(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct service *svc = arg;
	struct svc_pipe *p = pipe_of(svc, fd);
	const char *file = file_of(svc, p);
	char buf[REC_LINE_MAX];

	(void)ev;
	/* A few reads per wakeup keep one chatty service from starving the loop. */
	for (int i = 0; i < 4; i++) {
		ssize_t n;

		/* the log writer is behind (or, for a file, not there yet): the
		 * service waits in its write, as a pipe makes it */
		if (logship_blocked() || (file && !logship_takes_raw())) {
			p->paused = true;
			loop_mod_fd(l, fd, 0);
			return;
		}
		n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		if (file)
			logship_raw(file, buf, (size_t)n);
		else
			linebuf_feed(&p->lb, buf, (size_t)n,
				     p == &svc->out[0] ? emit_out : emit_err, svc);
	}
}

void svc_output_drain(struct service *svc)
{
	for (int i = 0; i < 2; i++) {
		if (svc->out[i].rd < 0)
			continue;
		on_output(svc->sup->loop, svc->out[i].rd, EPOLLIN, svc);
		linebuf_flush(&svc->out[i].lb, i ? emit_err : emit_out, svc);
	}
}

static int pipe_open(struct service *svc, struct svc_pipe *p)
{
	int fds[2];

	if (p->rd >= 0)
		return 0;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/* The child's end blocks: a service writing faster than we read waits. */
	fcntl(fds[1], F_SETFL, 0);
	if (loop_add_fd(svc->sup->loop, fds[0], EPOLLIN, on_output, svc)) {
		close(fds[0]);
		close(fds[1]);
		return -ENOMEM;
	}
	p->rd = fds[0];
	p->wr = fds[1];
	return 0;
}

void svc_output_open(struct service *svc, struct spawn_io *io)
{
	const struct svc_conf *c = svc->conf;
	int r;

	recring_set_size(&svc->rec, c->log_ring ? c->log_ring : svc->sup->m->sys.log_ring);
	if (c->out.kind == OUT_LOG || c->out.kind == OUT_FILE) {
		r = pipe_open(svc, &svc->out[0]);
		if (r)
			log_warn("%s: stdout pipe: %s", c->name, strerror(-r));
		io->log_fd = svc->out[0].wr;
	}
	if (c->err.kind == OUT_LOG || c->err.kind == OUT_FILE) {
		r = pipe_open(svc, &svc->out[1]);
		if (r)
			log_warn("%s: stderr pipe: %s", c->name, strerror(-r));
		io->err_fd = svc->out[1].wr;
	}
}

void svc_output_resume(struct supervisor *s)
{
	for (int i = 0; i < s->nsvc; i++)
		for (int k = 0; k < 2; k++) {
			struct svc_pipe *p = &s->svcs[i]->out[k];

			if (p->paused && p->rd >= 0)
				loop_mod_fd(s->loop, p->rd, EPOLLIN);
			p->paused = false;
		}
}

void svc_output_close(struct service *svc)
{
	for (int i = 0; i < 2; i++) {
		if (svc->out[i].rd < 0)
			continue;
		loop_del_fd(svc->sup->loop, svc->out[i].rd);
		close_fd(&svc->out[i].rd);
		close_fd(&svc->out[i].wr);
	}
	recring_free(&svc->rec);
}
