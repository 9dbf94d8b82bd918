/* SPDX-License-Identifier: MIT */
/*
 * log.h - nucleus-init's own messages (console, or /dev/kmsg until the
 * console is usable) and the captured output of services (a ring a service).
 */
#ifndef NUCLEUS_LOG_H
#define NUCLEUS_LOG_H

#include "nucleus.h"
#include "util.h"
#include <syslog.h>

void log_open(int console_fd);
void log_use_kmsg(bool on);
/* Which of our messages are made (they are records: records.h)... */
void log_set_level(int level);
/* ...and which records reach the console ([system] console_level). */
void log_set_console_level(int level);
bool log_to_console(int level);
int log_level_parse(const char *s);
/* The fd service output marked `console` goes to, and our own messages. */
int log_console_fd(void);

struct loop;
/* Our writes never block the loop: to /dev/console on a machine, else stderr (log.c). */
void log_console_async(struct loop *l, bool machine);
/* Before reboot(2): everything still buffered goes out, blocking. */
void log_console_sync(void);
/* Before exit (not a machine): what still goes out without blocking. */
void log_console_last(void);
/* A whole line (or lines) to the console. */
void log_console_write(const char *buf, size_t n);

void log_msg(int level, const char *fmt, ...) PRINTF(2, 3);
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * struct logring - the recent output of one service, whole lines, oldest
 * dropped first. The buffer is allocated on first use.
 */
#define LOGRING_SIZE 8192
struct logring {
	char *buf;
	size_t head; /* next write position */
	size_t len;  /* bytes held, <= LOGRING_SIZE */
};

void logring_add(struct logring *r, const char *line, size_t n);
void logring_dump(const struct logring *r, struct strbuf *sb);
void logring_free(struct logring *r);

/*
 * struct linebuf - splits a byte stream into lines for one service's pipe.
 * A line longer than the buffer is cut and emitted in pieces.
 */
#define LINEBUF_SIZE 1024
struct linebuf {
	char buf[LINEBUF_SIZE];
	size_t len;
};

typedef void (*line_fn)(void *arg, const char *line, size_t n);
void linebuf_feed(struct linebuf *lb, const char *data, size_t n, line_fn fn, void *arg);
void linebuf_flush(struct linebuf *lb, line_fn fn, void *arg);

#endif
