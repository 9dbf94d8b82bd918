// SPDX-License-Identifier: MIT
/*
 * logship.c - PID 1's side of [system] log_dir: it starts nucleus-logd
 * once the directory's mount is there, hands it what the rings already
 * hold, then every record as it is made, with send(MSG_DONTWAIT): a writer
 * that falls behind costs records (counted), never PID 1's time. A writer
 * that dies is started again a second later. At shutdown it gets SIGTERM
 * with everything else, takes what was sent and fsyncs before it ends.
 */
#include "logd_int.h"
#include "inside.h"
#include "log.h"
#include "loop.h"
#include "service.h"
#include "svc_internal.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
	pid_t pid;
	int fd;
	bool listening, history_sent;
	struct timer retry;
	bool blocked;	 /* the socket is full: the batch waits, the pipes are not read */
	bool dir_failed; /* log_dir's mount failed: the writer keeps the file: outputs only */
	uint64_t sent, dropped, taken, written, write_dropped, remote_sent, remote_dropped;
} ship = {.fd = -1, .retry = {.idx = -1}};

/*
 * Records are batched: a round of the loop (one read of a service's pipe is
 * up to 16 KiB of lines) goes to the writer in sends of up to LOGD_BATCH,
 * not one each. Records wait here while the writer is behind; what one
 * read already held when that began fits in SPILL_MAX, which only PID 1's
 * own records can pass (dropped and counted then).
 */
#define SPILL_MAX (4u << 20)
static struct strbuf batch; /* records, each after its u32 length */
static uint64_t batch_n;

/*
 * A writer behind (the socket is full) is waited for, not dropped from: the
 * batch stays, PID 1 stops reading the services' pipes (they block in their
 * writes, as under s6-log) until the socket takes it. A writer that cannot
 * write (a full disk) still takes records and drops them itself, so it never
 * holds a service for long; one that ends lets the pipes go on at once.
 */
static struct supervisor *ship_sup;

bool logship_blocked(void)
{
	return ship.blocked;
}

bool logship_takes_raw(void)
{
	return ship.fd >= 0 && !ship.blocked;
}

static void set_blocked(bool on)
{
	if (ship.blocked == on)
		return;
	ship.blocked = on;
	if (ship.fd >= 0)
		loop_mod_fd(ship_sup->loop, ship.fd, on ? EPOLLIN | EPOLLOUT : EPOLLIN);
	if (!on)
		svc_output_resume(ship_sup);
}

/* From @off, the records that fit one datagram: its end; their count in @n. */
static size_t chunk_end(size_t off, uint64_t *n)
{
	size_t end = off;

	*n = 0;
	while (end < batch.len) {
		uint32_t len;

		memcpy(&len, batch.buf + end, sizeof(len));
		if (end > off && end - off + sizeof(len) + len > LOGD_BATCH)
			break;
		end += sizeof(len) + len;
		(*n)++;
	}
	return end;
}

void logship_flush(void)
{
	size_t off = 0;

	while (off < batch.len && !ship.blocked) {
		uint64_t n;
		size_t end = chunk_end(off, &n);

		if (ship.fd >= 0 &&
		    send(ship.fd, batch.buf + off, end - off, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			ship.sent += n;
		} else if (ship.fd >= 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			set_blocked(true);
			break;
		} else {
			ship.dropped += n;
		}
		batch_n -= n;
		off = end;
	}
	if (off) {
		memmove(batch.buf, batch.buf + off, batch.len - off);
		batch.len -= off;
	}
}

static void batch_add(const char *wire, uint32_t n)
{
	size_t at;

	if (!n || batch.len + sizeof(n) + n > SPILL_MAX) {
		ship.dropped++;
		return;
	}
	at = batch.len;
	sb_add(&batch, (const char *)&n, sizeof(n));
	sb_add(&batch, wire, n);
	if (batch.oom) {
		batch.len = at; /* the records before it stay whole */
		batch.oom = false;
		ship.dropped++;
		return;
	}
	batch_n++;
	if (batch.len >= LOGD_BATCH && !ship.blocked)
		logship_flush();
}

static void ship_one(void *arg, const struct record *rec)
{
	static char wire[LOGD_MSG_MAX];

	(void)arg;
	if (ship.fd < 0) {
		ship.dropped += ship.pid > 0 || ship.history_sent;
		return;
	}
	batch_add(wire, (uint32_t)logd_pack(rec, wire, sizeof(wire)));
}

void logship_raw(const char *path, const char *data, size_t n)
{
	static char wire[LOGD_MSG_MAX];

	if (ship.fd < 0) {
		ship.dropped++;
		return;
	}
	batch_add(wire, (uint32_t)logd_pack_raw(path, data, n, wire, sizeof(wire)));
}

static void on_report(struct loop *l, int fd, uint32_t ev, void *arg)
{
	char msg[120], *end;
	ssize_t n;

	(void)l;
	(void)arg;
	if ((ev & EPOLLOUT) && ship.blocked) {
		ship.blocked = false;
		logship_flush();
		if (!ship.blocked) {
			loop_mod_fd(ship_sup->loop, fd, EPOLLIN);
			svc_output_resume(ship_sup);
		}
	}
	while ((n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT)) > 0) {
		msg[n] = '\0';
		if (msg[0] != 'W' || msg[1] != ' ')
			continue;
		unsigned long long v[5];
		int k;

		end = msg + 1;
		for (k = 0; k < 5 && *end == ' '; k++)
			v[k] = strtoull(end + 1, &end, 10);
		if (k < 5 || *end)
			continue;
		ship.taken = v[0];
		ship.written = v[1];
		ship.write_dropped = v[2];
		ship.remote_sent = v[3];
		ship.remote_dropped = v[4];
	}
}

static void ship_close(struct loop *l)
{
	if (ship.fd < 0)
		return;
	set_blocked(false);
	logship_flush();
	loop_del_fd(l, ship.fd);
	close(ship.fd);
	ship.fd = -1;
	/* what it did not take is lost with it */
	ship.dropped += batch_n;
	batch.len = 0;
	batch_n = 0;
}

static void start_writer(struct supervisor *s);

static void on_retry(struct loop *l, void *arg)
{
	(void)l;
	start_writer(arg);
}

static void on_writer_exit(void *arg, pid_t pid, int status)
{
	struct supervisor *s = arg;

	(void)pid;
	ship_close(s->loop);
	ship.pid = 0;
	if (s->shutting_down)
		return;
	log_warn("%s ended (status %d); started again in 1s", LOGD_NAME, status);
	loop_at(s->loop, &ship.retry, now_ms() + 1000, on_retry, s);
}

static pid_t writer_spawn(struct supervisor *s, int sock)
{
	const struct sys_conf *sys = &s->m->sys;
	char size[24], files[12], dash[] = "-";
	char *argv[] = {LOGD_NAME,
			sys->log_dir && !ship.dir_failed ? sys->log_dir : dash,
			size,
			files,
			sys->log_remote ? sys->log_remote : dash,
			sys->log_remote_json ? "json" : "syslog",
			NULL};
	int self = inside_self_fd(), console = log_console_fd();
	sigset_t none;
	pid_t pid;

	snprintf(size, sizeof(size), "%llu", (unsigned long long)sys->log_max_size);
	snprintf(files, sizeof(files), "%u", sys->log_max_files);
	sigemptyset(&none);
	pid = vfork();
	if (pid == 0) {
		dup2(sock, 0);
		if (console != 1)
			dup2(console, 1);
		if (console != 2)
			dup2(console, 2);
		sigprocmask(SIG_SETMASK, &none, NULL);
		inside_exec(self, argv);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

/* "records kept in DIR and sent", "file: outputs written", ... */
static const char *writer_duty(const struct supervisor *s)
{
	static char what[160];
	const char *dir = ship.dir_failed ? NULL : s->m->sys.log_dir;
	bool remote = s->m->sys.log_remote != NULL;

	snprintf(what, sizeof(what), "%s%.100s%s%s%s", dir ? "records kept in " : "",
		 dir ? dir : "", dir && remote ? " and " : "", remote ? "records sent" : "",
		 dir || remote ? "" : "file: outputs written");
	return what;
}

static void send_history(struct supervisor *s)
{
	recring_each(records_nucleus(), "nucleus", ship_one, NULL);
	recring_each(records_kernel(), "kernel", ship_one, NULL);
	for (int i = 0; i < s->nsvc; i++)
		recring_each(&s->svcs[i]->rec, s->svcs[i]->conf->name, ship_one, NULL);
	ship.history_sent = true;
	logship_flush();
}

static void start_writer(struct supervisor *s)
{
	int sv[2], buf = LOGD_SNDBUF;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("log_dir: socketpair: %s", strerror(errno));
		return;
	}
	/* root may go past net.core.wmem_max: a burst waits in the kernel, not dropped */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	pid = writer_spawn(s, sv[1]);
	close(sv[1]);
	if (pid < 0 || sup_child_add(s, pid, on_writer_exit, s)) {
		log_err("log_dir: cannot start %s: %s", LOGD_NAME,
			strerror(pid < 0 ? (int)-pid : ENOMEM));
		close(sv[0]);
		return;
	}
	ship.pid = pid;
	ship.fd = sv[0];
	ship_sup = s;
	if (loop_add_fd(s->loop, ship.fd, EPOLLIN, on_report, NULL))
		log_warn("log_dir: the writer's counts will not be heard");
	if (!ship.listening && records_listen(ship_one, NULL) == 0)
		ship.listening = true;
	if (!ship.history_sent)
		send_history(s);
	svc_output_resume(s); /* file: outputs wait for a writer */
	log_info("%s by %s (pid %d)", writer_duty(s), LOGD_NAME, (int)pid);
}

/* A `stdout = file:` or `stderr = file:` output: its bytes go through the writer. */
static bool has_file_output(const struct supervisor *s)
{
	for (int i = 0; i < s->nsvc; i++)
		if (s->svcs[i]->conf->out.kind == OUT_FILE ||
		    s->svcs[i]->conf->err.kind == OUT_FILE)
			return true;
	return false;
}

static bool writer_wanted(const struct supervisor *s)
{
	return s->m->sys.log_dir || s->m->sys.log_remote || has_file_output(s);
}

void logship_check(struct supervisor *s)
{
	const struct path_gate *g = NULL;

	if (ship.pid > 0 || timer_armed(&ship.retry) || s->shutting_down || !writer_wanted(s))
		return;
	/* log_dir's mount, while it is not there (or failed) */
	if (s->m->sys.log_dir && !ship.dir_failed)
		g = sup_gate_of(s, s->m->sys.log_dir, strlen(s->m->sys.log_dir));
	if (g && g->failed) {
		log_err("log_dir %s: %s failed; records are not kept on disk", s->m->sys.log_dir,
			g->label);
		ship.dir_failed = true;
		g = NULL;
		if (!s->m->sys.log_remote && !has_file_output(s))
			return;
	}
	if (!g)
		start_writer(s);
}

void logship_status_json(struct supervisor *s, struct strbuf *sb)
{
	const struct sys_conf *sys = &s->m->sys;

	sb_puts(sb, ", \"log_dir\": ");
	if (sys->log_dir) {
		sb_puts(sb, "{\"dir\": ");
		sb_json_str(sb, sys->log_dir);
		sb_printf(sb, ", \"written\": %llu, \"write_dropped\": %llu}",
			  (unsigned long long)ship.written, (unsigned long long)ship.write_dropped);
	} else {
		sb_puts(sb, "null");
	}
	sb_puts(sb, ", \"log_remote\": ");
	if (sys->log_remote) {
		sb_puts(sb, "{\"url\": ");
		sb_json_str(sb, sys->log_remote);
		sb_printf(sb, ", \"sent\": %llu, \"dropped\": %llu}",
			  (unsigned long long)ship.remote_sent,
			  (unsigned long long)ship.remote_dropped);
	} else {
		sb_puts(sb, "null");
	}
	sb_puts(sb, ", \"log_writer\": ");
	if (!writer_wanted(s)) {
		sb_puts(sb, "null");
		return;
	}
	sb_puts(sb, "{\"pid\": ");
	if (ship.pid > 0)
		sb_printf(sb, "%d", (int)ship.pid);
	else
		sb_puts(sb, "null");
	sb_printf(sb, ", \"handed\": %llu, \"taken\": %llu, \"dropped\": %llu}",
		  (unsigned long long)ship.sent, (unsigned long long)ship.taken,
		  (unsigned long long)ship.dropped);
}
