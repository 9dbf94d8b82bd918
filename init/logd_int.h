/* SPDX-License-Identifier: MIT */
/*
 * logd_int.h - what logd.c (the files, the loop) and logd_remote.c (the
 * shipping) of nucleus-logd share, and the wire format PID 1 uses
 * (logship.c): a struct logd_wire, the source's name, the line.
 */
#ifndef NUCLEUS_LOGD_INT_H
#define NUCLEUS_LOGD_INT_H

#include "logd.h"

#include <poll.h>
#include <sys/socket.h>

struct logd_wire {
	uint64_t mono_us, wall_us;
	uint8_t stream, prio;
	uint16_t srclen;
	uint8_t pad[4];
};

/*
 * A `stdout = file:PATH` output is not split into records on its way to the
 * file: its bytes go as they were read, in a wire message whose stream is
 * WIRE_RAW and whose source is PATH, and are appended to PATH as they are.
 */
#define WIRE_RAW 7

/* @rec as one datagram into @buf: its length, or 0 when it does not fit. */
size_t logd_pack(const struct record *rec, char *buf, size_t size);
/* @n bytes of the output written to @path, the same way. */
size_t logd_pack_raw(const char *path, const char *data, size_t n, char *buf, size_t size);
/* The other way; @rec points into @buf and @src (LOGD_SRC_MAX + 1 bytes); a raw
 * message has stream WIRE_RAW and its path as source. 0, or -EINVAL. */
int logd_unpack(const char *buf, size_t n, struct record *rec, char *src, size_t srcsize);

struct qmsg {
	char *buf;
	size_t len;
};

struct remote {
	int fd;
	bool tcp, json, connected;
	struct sockaddr_storage sa;
	socklen_t salen;
	char hostname[65];
	struct qmsg *q; /* TCP: the messages not sent yet, oldest at qhead */
	size_t qhead, qn, qbytes, qoff;
	uint64_t next_try_ms, backoff_ms;
	uint64_t sent, dropped;
};

/* "udp://HOST:PORT" or "tcp://HOST:PORT", "syslog" or "json". 0, or -errno. */
int remote_init(struct remote *r, const char *url, const char *format);
void remote_add(struct remote *r, const struct record *rec);
/* What to poll for TCP in @p; a timeout in ms until the next connect, or -1. */
int remote_poll(struct remote *r, struct pollfd *p, uint64_t now);
void remote_io(struct remote *r, short revents, uint64_t now);

#endif
