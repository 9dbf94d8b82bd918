// SPDX-License-Identifier: MIT
/*
 * logd.c - nucleus-logd, the writer of [system] log_dir and the shipper of
 * log_remote (logd_remote.c): a fresh exec of our binary that PID 1 hands
 * every record to (a datagram each, logd_int.h) and that keeps them in
 * DIR/SOURCE.log, one text line each, rotated by size into SOURCE.log.1 ...
 * SOURCE.log.N, fsynced every LOGD_SYNC_MS and when it ends. A disk that is
 * slow or full, or a remote that is away, holds this process, never PID 1
 * (whose sends do not wait: it counts what the socket would not take); what
 * cannot be written or sent is counted here, and the counts go back to PID 1
 * on the same socket ("W written dropped sent remote_dropped") for status.
 *
 *   nucleus-logd DIR|- MAX_SIZE MAX_FILES REMOTE|- FORMAT   (fd 0: the socket)
 */
#include "logd_int.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOGD_MAX_SOURCES 256

struct logfile {
	char name[72];
	int fd;
	uint64_t size;	   /* written and buffered */
	bool dirty;	   /* written since the last fsync */
	struct strbuf out; /* records of this datagram, written together */
	uint64_t nout;
};

struct logd {
	int dir; /* -1: no log_dir */
	struct remote remote;
	bool shipping;
	uint64_t max_size;
	unsigned max_files;
	struct logfile files[LOGD_MAX_SOURCES];
	int nfiles;
	uint64_t written, dropped, told[4];
};

size_t logd_pack(const struct record *rec, char *buf, size_t size)
{
	struct logd_wire w = {.mono_us = rec->mono_us,
			      .wall_us = rec->wall_us,
			      .stream = (uint8_t)rec->stream,
			      .prio = (uint8_t)rec->prio};
	size_t sl = strlen(rec->source);

	if (sl > 255 || sizeof(w) + sl + rec->len > size)
		return 0;
	w.srclen = (uint8_t)sl;
	memcpy(buf, &w, sizeof(w));
	memcpy(buf + sizeof(w), rec->source, sl);
	memcpy(buf + sizeof(w) + sl, rec->line, rec->len);
	return sizeof(w) + sl + rec->len;
}

int logd_unpack(const char *buf, size_t n, struct record *rec, char *src, size_t srcsize)
{
	struct logd_wire w;

	if (n < sizeof(w))
		return -EINVAL;
	memcpy(&w, buf, sizeof(w));
	if (sizeof(w) + w.srclen > n || w.srclen >= srcsize || w.stream > REC_KERNEL)
		return -EINVAL;
	memcpy(src, buf + sizeof(w), w.srclen);
	src[w.srclen] = '\0';
	*rec = (struct record){.mono_us = w.mono_us,
			       .wall_us = w.wall_us,
			       .source = src,
			       .stream = w.stream,
			       .prio = w.prio,
			       .line = buf + sizeof(w) + w.srclen,
			       .len = n - sizeof(w) - w.srclen};
	return 0;
}

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

static bool name_ok(const char *s, size_t n)
{
	if (!n || n >= sizeof(((struct logfile *)0)->name) - 8 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    s[i]))
			return false;
	return true;
}

static int file_open(struct logd *d, struct logfile *f)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "%s.log", f->name);
	f->fd = openat(d->dir, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (f->fd < 0)
		return -errno;
	f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* NAME.log.(k) -> .(k+1) from the oldest kept down, NAME.log -> .1, a new NAME.log. */
/* What is buffered goes out in one write(2); a full disk costs those records. */
static void file_flush(struct logd *d, struct logfile *f)
{
	if (!f->nout)
		return;
	if (f->fd >= 0 && write(f->fd, f->out.buf, f->out.len) == (ssize_t)f->out.len) {
		d->written += f->nout;
		f->dirty = true;
	} else {
		d->dropped += f->nout;
	}
	f->out.len = 0;
	f->nout = 0;
}

static int file_rotate(struct logd *d, struct logfile *f)
{
	char from[96], to[96];

	file_flush(d, f);
	if (f->fd >= 0) {
		fsync(f->fd);
		close(f->fd);
		f->fd = -1;
	}
	for (unsigned k = d->max_files; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.log.%u", f->name, k - 1);
		snprintf(to, sizeof(to), "%s.log.%u", f->name, k);
		renameat(d->dir, from, d->dir, to);
	}
	snprintf(from, sizeof(from), "%s.log", f->name);
	snprintf(to, sizeof(to), "%s.log.1", f->name);
	if (d->max_files)
		renameat(d->dir, from, d->dir, to);
	else
		unlinkat(d->dir, from, 0);
	f->dirty = false;
	return file_open(d, f);
}

static struct logfile *file_of(struct logd *d, const char *name, size_t n)
{
	struct logfile *f;

	for (int i = 0; i < d->nfiles; i++)
		if (strlen(d->files[i].name) == n && !memcmp(d->files[i].name, name, n))
			return &d->files[i];
	if (d->nfiles == LOGD_MAX_SOURCES)
		return NULL;
	f = &d->files[d->nfiles++];
	memcpy(f->name, name, n);
	f->name[n] = '\0';
	f->fd = -1;
	return f;
}

/* One record into its file: a text line, as `nucleusctl logs` prints it. */
static void keep_file(struct logd *d, const struct record *rec)
{
	static struct strbuf sb; /* one line's text, its memory kept from record to record */
	struct logfile *f;

	if (!name_ok(rec->source, strlen(rec->source)) ||
	    !(f = file_of(d, rec->source, strlen(rec->source)))) {
		d->dropped++;
		return;
	}
	sb.len = 0;
	sb.oom = false;
	record_text(rec, &sb);
	if (sb.oom || (f->fd < 0 && file_open(d, f)) ||
	    (f->size && f->size + sb.len > d->max_size && file_rotate(d, f))) {
		d->dropped++;
		return;
	}
	sb_add(&f->out, sb.buf, sb.len);
	if (f->out.oom) {
		d->dropped++;
		f->out.oom = false;
	} else {
		f->size += sb.len;
		f->nout++;
	}
}

static void flush_all(struct logd *d)
{
	for (int i = 0; i < d->nfiles; i++)
		file_flush(d, &d->files[i]);
}

/* One datagram: records, each after its u32 length. */
static void keep(struct logd *d, const char *msg, size_t n)
{
	while (n >= sizeof(uint32_t)) {
		struct record rec;
		char src[256];
		uint32_t len;

		memcpy(&len, msg, sizeof(len));
		msg += sizeof(len);
		n -= sizeof(len);
		if (len > n || logd_unpack(msg, len, &rec, src, sizeof(src))) {
			d->dropped++;
			return;
		}
		if (d->dir >= 0)
			keep_file(d, &rec);
		if (d->shipping)
			remote_add(&d->remote, &rec);
		msg += len;
		n -= len;
	}
	flush_all(d);
}

static void sync_all(struct logd *d, int sock)
{
	char msg[96];
	int n;

	flush_all(d);
	for (int i = 0; i < d->nfiles; i++)
		if (d->files[i].dirty && d->files[i].fd >= 0) {
			fsync(d->files[i].fd);
			d->files[i].dirty = false;
		}
	uint64_t now[4] = {d->written, d->dropped, d->remote.sent, d->remote.dropped};

	if (!memcmp(now, d->told, sizeof(now)))
		return;
	n = snprintf(msg, sizeof(msg), "W %llu %llu %llu %llu", (unsigned long long)now[0],
		     (unsigned long long)now[1], (unsigned long long)now[2],
		     (unsigned long long)now[3]);
	if (send(sock, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
		memcpy(d->told, now, sizeof(now));
}

/* Everything already sent: taken without waiting (the end, or SIGTERM). */
static void drain(struct logd *d, int sock, char *buf, size_t size)
{
	ssize_t n;

	while ((n = recv(sock, buf, size, MSG_DONTWAIT)) > 0)
		keep(d, buf, (size_t)n);
}

static int serve(struct logd *d, int sock)
{
	static char buf[LOGD_BATCH];
	uint64_t next_sync = now_ms() + LOGD_SYNC_MS;

	while (!term) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = -1}};
		uint64_t now = now_ms();
		int wait = now >= next_sync ? 0 : (int)(next_sync - now), r;
		int rw = d->shipping ? remote_poll(&d->remote, &p[1], now) : -1;
		ssize_t n;

		if (rw >= 0 && rw < wait)
			wait = rw;
		r = poll(p, 2, wait);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[0].revents) {
			n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				break; /* PID 1 closed its end */
			if (n > 0)
				keep(d, buf, (size_t)n);
		}
		if (r > 0 && p[1].fd >= 0 && p[1].revents)
			remote_io(&d->remote, p[1].revents, now_ms());
		if (now_ms() >= next_sync) {
			sync_all(d, sock);
			next_sync = now_ms() + LOGD_SYNC_MS;
		}
	}
	drain(d, sock, buf, sizeof(buf));
	sync_all(d, sock);
	return 0;
}

static int open_dir(struct logd *d, const char *dir)
{
	int r;

	d->dir = -1;
	if (!strcmp(dir, "-"))
		return 0;
	r = mkdir_p(dir, 0750);
	if (r < 0)
		fprintf(stderr, "nucleus-logd: mkdir %s: %s\n", dir, strerror(-r));
	d->dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dir < 0) {
		fprintf(stderr, "nucleus-logd: log_dir %s: %s; records are not kept on disk\n", dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

int logd_main(int argc, char **argv)
{
	static struct logd d;
	struct sigaction sa = {.sa_handler = on_term};
	sigset_t none;
	int r;

	if (argc != 6) {
		fprintf(stderr,
			"usage: %s DIR|- MAX_SIZE MAX_FILES REMOTE|- FORMAT (fd 0: the socket)\n",
			argv[0]);
		return 2;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.max_size = strtoull(argv[2], NULL, 10);
	d.max_files = (unsigned)strtoul(argv[3], NULL, 10);
	if (open_dir(&d, argv[1]) && !strcmp(argv[4], "-"))
		return 1;
	if (strcmp(argv[4], "-")) {
		r = remote_init(&d.remote, argv[4], argv[5]);
		if (r)
			fprintf(stderr, "nucleus-logd: log_remote %s: %s; records are not sent\n",
				argv[4], strerror(-r));
		d.shipping = !r;
	}
	return serve(&d, 0);
}
