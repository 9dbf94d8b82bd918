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
 * on the same socket ("W taken written dropped sent remote_dropped", within
 * LOGD_TELL_MS) for status.
 *
 * It also appends the bytes of each `stdout = file:PATH` output to PATH,
 * as they came (WIRE_RAW), rotated the same way into PATH.1 ... PATH.N.
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

/* A file records or a file: output's bytes go to; its buffer holds one datagram's worth. */
struct logfile {
	char *path;  /* "NAME.log" under log_dir, or a file: output's absolute path */
	int at;	     /* log_dir's fd, or AT_FDCWD */
	bool raw;    /* a file: output */
	bool at_bol; /* what it holds ends with a whole line */
	int fd;
	uint64_t size;	   /* written and buffered */
	bool dirty;	   /* written since the last fsync */
	struct strbuf out; /* what this datagram brought, written together */
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
	uint64_t taken, written, dropped, told[5];
};

size_t logd_pack(const struct record *rec, char *buf, size_t size)
{
	struct logd_wire w = {.mono_us = rec->mono_us,
			      .wall_us = rec->wall_us,
			      .stream = (uint8_t)rec->stream,
			      .prio = (uint8_t)rec->prio};
	size_t sl = strlen(rec->source);

	if (sl > LOGD_SRC_MAX || sizeof(w) + sl + rec->len > size)
		return 0;
	w.srclen = (uint16_t)sl;
	memcpy(buf, &w, sizeof(w));
	memcpy(buf + sizeof(w), rec->source, sl);
	memcpy(buf + sizeof(w) + sl, rec->line, rec->len);
	return sizeof(w) + sl + rec->len;
}

size_t logd_pack_raw(const char *path, const char *data, size_t n, char *buf, size_t size)
{
	struct record rec = {
		.source = path, .stream = (enum rec_stream)WIRE_RAW, .line = data, .len = n};

	return logd_pack(&rec, buf, size);
}

int logd_unpack(const char *buf, size_t n, struct record *rec, char *src, size_t srcsize)
{
	struct logd_wire w;

	if (n < sizeof(w))
		return -EINVAL;
	memcpy(&w, buf, sizeof(w));
	if (sizeof(w) + w.srclen > n || w.srclen >= srcsize ||
	    (w.stream > REC_KERNEL && w.stream != WIRE_RAW))
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
	if (!n || n > 64 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    s[i]))
			return false;
	return true;
}

static int file_open(struct logfile *f)
{
	struct stat st;

	/* log_dir's own files are never followed out of it; a file: output is
	 * the host path the manifest names, as the service would have opened it */
	f->fd = openat(f->at, f->path,
		       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
			       (f->raw ? 0 : O_NOFOLLOW),
		       f->raw ? 0644 : 0640);
	if (f->fd < 0)
		return -errno;
	f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

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

/* PATH.(k) -> .(k+1) from the oldest kept down, PATH -> PATH.1, a new PATH. */
static int file_rotate(struct logd *d, struct logfile *f)
{
	static char from[LOGD_SRC_MAX + 16], to[LOGD_SRC_MAX + 16];

	file_flush(d, f);
	if (f->fd >= 0) {
		fsync(f->fd);
		close(f->fd);
		f->fd = -1;
	}
	for (unsigned k = d->max_files; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.%u", f->path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", f->path, k);
		renameat(f->at, from, f->at, to);
	}
	snprintf(to, sizeof(to), "%s.1", f->path);
	if (d->max_files)
		renameat(f->at, f->path, f->at, to);
	else
		unlinkat(f->at, f->path, 0);
	f->dirty = false;
	return file_open(f);
}

/* The file of @path (a source's NAME.log, or a file: output): opened on its first use. */
static struct logfile *file_of(struct logd *d, const char *path, bool raw)
{
	struct logfile *f;

	for (int i = 0; i < d->nfiles; i++)
		if (d->files[i].raw == raw && !strcmp(d->files[i].path, path))
			return &d->files[i];
	if (d->nfiles == LOGD_MAX_SOURCES)
		return NULL;
	f = &d->files[d->nfiles];
	*f = (struct logfile){.path = strdup(path),
			      .at = raw ? AT_FDCWD : d->dir,
			      .raw = raw,
			      .at_bol = true,
			      .fd = -1};
	if (!f->path || file_open(f)) {
		free(f->path);
		f->path = NULL;
		return NULL;
	}
	d->nfiles++;
	return f;
}

static void file_append(struct logd *d, struct logfile *f, const char *buf, size_t n)
{
	sb_add(&f->out, buf, n);
	if (f->out.oom) {
		d->dropped++;
		f->out.oom = false;
		return;
	}
	f->size += n;
	f->nout++;
	f->at_bol = buf[n - 1] == '\n';
}

/* Appends @n bytes to @f's buffer, rotating first when they would take it past
 * log_max_size (a file that is empty takes them however many). */
static void file_add(struct logd *d, struct logfile *f, const char *buf, size_t n)
{
	if (f->size && f->size + n > d->max_size && file_rotate(d, f)) {
		d->dropped++;
		return;
	}
	file_append(d, f, buf, n);
}

/* One record into its file: a text line, as `nucleusctl logs` prints it. */
static void keep_file(struct logd *d, const struct record *rec)
{
	static struct strbuf sb; /* one line's text, its memory kept from record to record */
	char path[96];
	struct logfile *f;

	if (!name_ok(rec->source, strlen(rec->source))) {
		d->dropped++;
		return;
	}
	snprintf(path, sizeof(path), "%s.log", rec->source);
	sb.len = 0;
	sb.oom = false;
	record_text(rec, &sb);
	if (sb.oom || !(f = file_of(d, path, false))) {
		d->dropped++;
		return;
	}
	file_add(d, f, sb.buf, sb.len);
}

/*
 * A file: output's bytes, as they came. A file is rotated where a line ends:
 * after the last whole line that still fits log_max_size, or, when the file
 * holds the start of a line that does not, once that line has ended. So a
 * file passes the size only by a line longer than the room left in it.
 */
static void keep_raw(struct logd *d, const struct record *rec)
{
	struct logfile *f = file_of(d, rec->source, true);
	const char *p = rec->line, *nl;
	size_t n = rec->len, take;

	if (!f) {
		d->dropped++;
		return;
	}
	while (n) {
		size_t room = f->size < d->max_size ? d->max_size - f->size : 0;

		if (n <= room) {
			file_append(d, f, p, n);
			return;
		}
		nl = room ? memrchr(p, '\n', room) : NULL;
		if (!nl && f->size && f->at_bol) {
			if (file_rotate(d, f)) {
				d->dropped++;
				return;
			}
			continue;
		}
		if (!nl)
			nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) + 1 : n;
		file_append(d, f, p, take);
		p += take;
		n -= take;
		if (n && file_rotate(d, f)) {
			d->dropped++;
			return;
		}
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
		static char src[LOGD_SRC_MAX + 1];
		uint32_t len;

		memcpy(&len, msg, sizeof(len));
		msg += sizeof(len);
		n -= sizeof(len);
		if (len > n || logd_unpack(msg, len, &rec, src, sizeof(src))) {
			d->dropped++;
			return;
		}
		d->taken++;
		if (rec.stream == (enum rec_stream)WIRE_RAW) {
			keep_raw(d, &rec);
		} else {
			if (d->dir >= 0)
				keep_file(d, &rec);
			if (d->shipping)
				remote_add(&d->remote, &rec);
		}
		msg += len;
		n -= len;
	}
	flush_all(d);
}

static bool untold(const struct logd *d)
{
	uint64_t now[5] = {d->taken, d->written, d->dropped, d->remote.sent, d->remote.dropped};

	return memcmp(now, d->told, sizeof(now)) != 0;
}

/* The counts, to PID 1 (status), when they changed since they were last told. */
static void tell(struct logd *d, int sock)
{
	uint64_t now[5] = {d->taken, d->written, d->dropped, d->remote.sent, d->remote.dropped};
	char msg[128];
	int n;

	if (!untold(d))
		return;
	n = snprintf(msg, sizeof(msg), "W %llu %llu %llu %llu %llu", (unsigned long long)now[0],
		     (unsigned long long)now[1], (unsigned long long)now[2],
		     (unsigned long long)now[3], (unsigned long long)now[4]);
	if (send(sock, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
		memcpy(d->told, now, sizeof(now));
}

static void sync_all(struct logd *d, int sock)
{
	flush_all(d);
	for (int i = 0; i < d->nfiles; i++)
		if (d->files[i].dirty && d->files[i].fd >= 0) {
			fsync(d->files[i].fd);
			d->files[i].dirty = false;
		}
	tell(d, sock);
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
	uint64_t next_sync = now_ms() + LOGD_SYNC_MS, told_at = 0;

	while (!term) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = -1}};
		uint64_t now = now_ms();
		int wait = now >= next_sync ? 0 : (int)(next_sync - now), r;
		int rw = d->shipping ? remote_poll(&d->remote, &p[1], now) : -1;
		ssize_t n;

		if (rw >= 0 && rw < wait)
			wait = rw;
		/* what was taken is told within LOGD_TELL_MS, not at the next sync */
		if (untold(d)) {
			int left = now >= told_at + LOGD_TELL_MS
					   ? 0
					   : (int)(told_at + LOGD_TELL_MS - now);

			if (left < wait)
				wait = left;
		}
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
		if (untold(d) && now_ms() >= told_at + LOGD_TELL_MS) {
			tell(d, sock);
			told_at = now_ms();
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
	/* without its directory it still writes the file: outputs */
	open_dir(&d, argv[1]);
	if (strcmp(argv[4], "-")) {
		r = remote_init(&d.remote, argv[4], argv[5]);
		if (r)
			fprintf(stderr, "nucleus-logd: log_remote %s: %s; records are not sent\n",
				argv[4], strerror(-r));
		d.shipping = !r;
	}
	return serve(&d, 0);
}
