// SPDX-License-Identifier: MIT
/*
 * log.c - messages of nucleus-init itself and the captured service output.
 *
 * Writes are single write(2) calls of whole lines so that lines of services
 * and of PID 1 never interleave mid-line on the console.
 */
#include "log.h"
#include "loop.h"
#include "records.h"

#include <sys/epoll.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int console_fd = 2;

/*
 * The console of a machine is often a serial port: 115200 baud is about
 * 11 KiB/s, so a blocking write of one line can hold PID 1 for milliseconds,
 * and a chatty service could stall supervision; outside a machine our
 * stderr may be a container's log pipe that nobody reads. So our writes go
 * to a non-blocking description of our own (of /dev/console, or of stderr
 * reopened through /proc/self/fd/2: O_NONBLOCK on the shared one would
 * surprise every other holder); what does not fit waits in a buffer that
 * the loop drains when the other side can take more, and what does not fit
 * there is counted and reported once it drains.
 */
#define PENDING_MAX 65536
static int async_fd = -1;
static bool async_sock; /* a socket: send(MSG_DONTWAIT) instead */
static bool async_gone; /* the reader went away (EPIPE...): nothing goes there any more */
static struct loop *async_loop;
static char *pending;
static size_t npending;
static uint64_t dropped;
static bool watching;
static int kmsg_fd = -1;
static int cur_level = LOG_INFO;
static int console_level = LOG_INFO;

void log_open(int fd)
{
	console_fd = fd;
}

void log_use_kmsg(bool on)
{
	if (on && kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	else if (!on && kmsg_fd >= 0) {
		close(kmsg_fd);
		kmsg_fd = -1;
	}
}

void log_set_level(int level)
{
	cur_level = level;
}

void log_set_console_level(int level)
{
	console_level = level;
}

bool log_to_console(int level)
{
	return level <= console_level;
}

int log_console_fd(void)
{
	return console_fd;
}

int log_level_parse(const char *s)
{
	if (!strcmp(s, "error"))
		return LOG_ERR;
	if (!strcmp(s, "warn"))
		return LOG_WARNING;
	if (!strcmp(s, "info"))
		return LOG_INFO;
	if (!strcmp(s, "debug"))
		return LOG_DEBUG;
	return -1;
}

static void async_flush(struct loop *l, int fd, uint32_t ev, void *arg);
static void async_watch(bool on);

/*
 * One write; an error other than "not now" means the other side is gone
 * for good (a closed pipe, a hung-up terminal): everything pending is
 * counted as dropped and nothing is watched or written there any more,
 * or epoll would report the error at once, forever.
 */
static ssize_t out_write(int fd, const char *buf, size_t n)
{
	ssize_t w = async_sock ? send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write(fd, buf, n);

	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		async_gone = true;
		dropped += npending;
		npending = 0;
		async_watch(false);
	}
	return w;
}

static void async_watch(bool on)
{
	if (on == watching || !async_loop)
		return;
	if (on)
		watching = loop_add_fd(async_loop, async_fd, EPOLLOUT, async_flush, NULL) == 0;
	else {
		loop_del_fd(async_loop, async_fd);
		watching = false;
	}
}

static void async_flush(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)ev;
	(void)arg;
	while (!async_gone) {
		ssize_t n;

		/* once all before it is out, the note of what was lost goes the same way */
		if (!npending && dropped) {
			npending = (size_t)snprintf(pending, PENDING_MAX,
						    "nucleus-init: [%llu bytes of log dropped]\n",
						    (unsigned long long)dropped);
			dropped = 0;
		}
		if (!npending)
			break;
		n = out_write(fd, pending, npending);
		if (n <= 0)
			break;
		memmove(pending, pending + n, npending - (size_t)n);
		npending -= (size_t)n;
	}
	async_watch(npending > 0);
}

/*
 * A non-blocking description of our own of stderr: a pipe or a terminal is
 * opened again; a socket cannot be and is written with MSG_DONTWAIT; a
 * regular file never holds a writer back, and stays as it is (-1).
 */
static int own_stderr(void)
{
	struct stat st;

	if (fstat(2, &st) < 0 || S_ISREG(st.st_mode))
		return -1;
	if (S_ISSOCK(st.st_mode)) {
		async_sock = true;
		return fcntl(2, F_DUPFD_CLOEXEC, 3);
	}
	return open("/proc/self/fd/2", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
}

void log_console_async(struct loop *l, bool machine)
{
	async_fd = machine ? open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
			   : own_stderr();
	if (async_fd < 0) {
		async_sock = false;
		return;
	}
	pending = malloc(PENDING_MAX);
	if (!pending) {
		close(async_fd);
		async_fd = -1;
		return;
	}
	async_loop = l;
}

void log_console_sync(void)
{
	if (async_fd < 0)
		return;
	async_watch(false);
	fcntl(async_fd, F_SETFL, 0);
	async_flush(NULL, async_fd, 0, NULL);
	close(async_fd);
	async_fd = -1;
}

void log_console_last(void)
{
	if (async_fd < 0)
		return;
	async_watch(false);
	async_flush(NULL, async_fd, 0, NULL);
}

void log_console_write(const char *buf, size_t n)
{
	ssize_t w = 0;

	if (async_fd < 0) {
		if (console_fd >= 0 && write(console_fd, buf, n) < 0) {
			/* nowhere left to say it */
		}
		return;
	}
	if (async_gone) {
		dropped += n;
		return;
	}
	if (!npending) {
		w = out_write(async_fd, buf, n);
		if (w < 0 && async_gone) {
			dropped += n;
			return;
		}
		if (w < 0)
			w = 0;
	}
	if ((size_t)w == n)
		return;
	if (npending + n - (size_t)w > PENDING_MAX) {
		dropped += n - (size_t)w;
		return;
	}
	memcpy(pending + npending, buf + w, n - (size_t)w);
	npending += n - (size_t)w;
	async_watch(true);
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	const char *tag = level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "";
	int n, k = 0;
	va_list ap;

	if (level > cur_level)
		return;
	if (kmsg_fd >= 0)
		k = snprintf(buf, sizeof(buf), "<%d>", level);
	n = k + snprintf(buf + k, sizeof(buf) - (size_t)k, "nucleus-init: %s", tag);
	va_start(ap, fmt);
	if (n < (int)sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	/* the record holds the message as said: no "nucleus-init: " prefix */
	{
		int at = k + (int)strlen("nucleus-init: ");

		records_add(records_nucleus(), "nucleus", REC_NUCLEUS, level, buf + at,
			    (size_t)(n - at));
	}
	buf[n++] = '\n';
	if (level > console_level)
		return;
	if (kmsg_fd >= 0) {
		if (write(kmsg_fd, buf, (size_t)n - 1) >= 0)
			return;
	}
	log_console_write(buf + k, (size_t)(n - k));
}

void logring_add(struct logring *r, const char *line, size_t n)
{
	if (!r->buf) {
		r->buf = malloc(LOGRING_SIZE);
		if (!r->buf)
			return;
	}
	if (n >= LOGRING_SIZE)
		n = LOGRING_SIZE - 1;
	for (size_t i = 0; i <= n; i++) {
		r->buf[r->head] = i < n ? line[i] : '\n';
		r->head = (r->head + 1) % LOGRING_SIZE;
	}
	r->len += n + 1;
	if (r->len > LOGRING_SIZE)
		r->len = LOGRING_SIZE;
}

void logring_dump(const struct logring *r, struct strbuf *sb)
{
	size_t start, skip = 0;

	if (!r->buf || !r->len)
		return;
	start = (r->head + LOGRING_SIZE - r->len) % LOGRING_SIZE;
	/* When the ring has wrapped, the oldest line is partial: skip it. */
	if (r->len == LOGRING_SIZE) {
		while (skip < r->len && r->buf[(start + skip) % LOGRING_SIZE] != '\n')
			skip++;
		skip++;
	}
	for (size_t i = skip; i < r->len; i++) {
		char c = r->buf[(start + i) % LOGRING_SIZE];

		sb_add(sb, &c, 1);
	}
}

void logring_free(struct logring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void linebuf_feed(struct linebuf *lb, const char *data, size_t n, line_fn fn, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			fn(arg, lb->buf, lb->len);
			lb->len = 0;
			continue;
		}
		if (lb->len == sizeof(lb->buf)) {
			fn(arg, lb->buf, lb->len);
			lb->len = 0;
		}
		lb->buf[lb->len++] = data[i];
	}
}

void linebuf_flush(struct linebuf *lb, line_fn fn, void *arg)
{
	if (lb->len)
		fn(arg, lb->buf, lb->len);
	lb->len = 0;
}
