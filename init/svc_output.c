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

/* One read of @p's pipe, into records or to its file: the bytes read, 0 at
 * its end, or -errno (-EAGAIN: nothing more for now). */
static ssize_t take(struct service *svc, struct svc_pipe *p, const char *file)
{
	char buf[REC_LINE_MAX];
	ssize_t n = read(p->rd, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 ? -errno : 0;
	if (file)
		logship_raw(file, buf, (size_t)n);
	else
		linebuf_feed(&p->lb, buf, (size_t)n, p == &svc->out[0] ? emit_out : emit_err, svc);
	return n;
}

static void on_output(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct service *svc = arg;
	struct svc_pipe *p = pipe_of(svc, fd);
	const char *file = file_of(svc, p);

	(void)ev;
	/* A few reads per wakeup keep one chatty service from starving the loop. */
	for (int i = 0; i < 4; i++) {
		/* the log writer is behind (or, for a file, not there yet): the
		 * service waits in its write, as a pipe makes it */
		if (logship_blocked() || (file && !logship_takes_raw())) {
			p->paused = true;
			loop_mod_fd(l, fd, 0);
			return;
		}
		if (take(svc, p, file) <= 0)
			break;
	}
}

/*
 * A run ended: what it left in its pipes is read to the end (a pipe holds at
 * most DRAIN_READS reads; past a writer that is behind, whose batch spills),
 * and only then its last unended line becomes a record. Cut short, a line
 * that was still in the pipe would end up as two records.
 */
#define DRAIN_READS 256

void svc_output_drain(struct service *svc)
{
	for (int i = 0; i < 2; i++) {
		struct svc_pipe *p = &svc->out[i];
		const char *file = file_of(svc, p);
		ssize_t r = 0;

		/* a file's bytes wait in the pipe for a writer that is not there */
		if (p->rd < 0 || (file && !logship_takes_raw()))
			continue;
		for (int k = 0; k < DRAIN_READS && (r = take(svc, p, file)) > 0; k++)
			;
		/* the pipe is empty (or broken; PID 1 blocks its signals, so no
		 * EINTR): what remains of a line is all there is of it */
		if (!file && r <= 0)
			linebuf_flush(&p->lb, i ? emit_err : emit_out, svc);
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
