// SPDX-License-Identifier: MIT
/*
 * logd.c - nucleus-logd, the writer of [system] log_dir: a fresh exec of
 * our binary that PID 1 hands every record to (a datagram each, "SOURCE\n"
 * then the record's text line) and that keeps them in DIR/SOURCE.log,
 * rotated by size into SOURCE.log.1 ... SOURCE.log.N, fsynced every
 * LOGD_SYNC_MS and when it ends. A disk that is slow or full holds this
 * process, never PID 1 (whose sends do not wait: it counts what the socket
 * would not take); what cannot be written is counted here. Both counts go
 * back to PID 1 on the same socket ("W written dropped") for its status.
 *
 *   nucleus-logd DIR MAX_SIZE MAX_FILES    (fd 0: the socket)
 */
#include "logd.h"
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
	uint64_t size;
	bool dirty;
};

struct logd {
	int dir;
	uint64_t max_size;
	unsigned max_files;
	struct logfile files[LOGD_MAX_SOURCES];
	int nfiles;
	uint64_t written, dropped, told_written, told_dropped;
};

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
static int file_rotate(struct logd *d, struct logfile *f)
{
	char from[96], to[96];

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

static void keep(struct logd *d, const char *msg, size_t n)
{
	const char *nl = memchr(msg, '\n', n);
	struct logfile *f;
	size_t len;

	if (!nl || !name_ok(msg, (size_t)(nl - msg)) ||
	    !(f = file_of(d, msg, (size_t)(nl - msg)))) {
		d->dropped++;
		return;
	}
	len = n - (size_t)(nl + 1 - msg);
	if ((f->fd < 0 && file_open(d, f)) ||
	    (f->size && f->size + len > d->max_size && file_rotate(d, f))) {
		d->dropped++;
		return;
	}
	if (write(f->fd, nl + 1, len) != (ssize_t)len) {
		d->dropped++; /* a full disk: the record goes, the next one is tried */
		return;
	}
	f->size += len;
	f->dirty = true;
	d->written++;
}

static void sync_all(struct logd *d, int sock)
{
	char msg[64];
	int n;

	for (int i = 0; i < d->nfiles; i++)
		if (d->files[i].dirty && d->files[i].fd >= 0) {
			fsync(d->files[i].fd);
			d->files[i].dirty = false;
		}
	if (d->written == d->told_written && d->dropped == d->told_dropped)
		return;
	n = snprintf(msg, sizeof(msg), "W %llu %llu", (unsigned long long)d->written,
		     (unsigned long long)d->dropped);
	if (send(sock, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n) {
		d->told_written = d->written;
		d->told_dropped = d->dropped;
	}
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
	static char buf[LOGD_MSG_MAX];
	uint64_t next_sync = now_ms() + LOGD_SYNC_MS;

	while (!term) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		uint64_t now = now_ms();
		int r = poll(&p, 1, now >= next_sync ? 0 : (int)(next_sync - now));
		ssize_t n;

		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				break; /* PID 1 closed its end */
			if (n > 0)
				keep(d, buf, (size_t)n);
		}
		if (now_ms() >= next_sync) {
			sync_all(d, sock);
			next_sync = now_ms() + LOGD_SYNC_MS;
		}
	}
	drain(d, sock, buf, sizeof(buf));
	sync_all(d, sock);
	return 0;
}

int logd_main(int argc, char **argv)
{
	struct logd d = {0};
	struct sigaction sa = {.sa_handler = on_term};
	sigset_t none;
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DIR MAX_SIZE MAX_FILES (fd 0: the socket)\n", argv[0]);
		return 2;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.max_size = strtoull(argv[2], NULL, 10);
	d.max_files = (unsigned)strtoul(argv[3], NULL, 10);
	r = mkdir_p(argv[1], 0750);
	if (r < 0)
		fprintf(stderr, "nucleus-logd: mkdir %s: %s\n", argv[1], strerror(-r));
	d.dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.dir < 0) {
		fprintf(stderr, "nucleus-logd: log_dir %s: %s; records are not kept on disk\n",
			argv[1], strerror(errno));
		return 1;
	}
	return serve(&d, 0);
}
