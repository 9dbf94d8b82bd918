/* SPDX-License-Identifier: MIT */
/*
 * records.h - one record per captured line: when (monotonic and wall
 * clock), whose (a service, or the pseudo-services `nucleus` for PID 1's
 * own messages and `kernel` for /dev/kmsg), which stream, what priority.
 *
 * Each source keeps its records in a ring of its own, a byte buffer that
 * drops its oldest whole records to make room (allocated on the first
 * record). One sequence number orders the records of every ring, so
 * `nucleusctl logs` interleaves services in the order their lines came.
 * Followers (`logs -f`) are handed each record as it is made; like the
 * event bus, they must not block.
 */
#ifndef NUCLEUS_RECORDS_H
#define NUCLEUS_RECORDS_H

#include "nucleus.h"

#include <stddef.h>
#include <stdint.h>

enum rec_stream { REC_STDOUT, REC_STDERR, REC_NUCLEUS, REC_KERNEL };

struct record {
	uint64_t seq;	  /* the order of every record, across rings */
	uint64_t mono_us; /* CLOCK_MONOTONIC: since boot */
	uint64_t wall_us; /* CLOCK_REALTIME */
	const char *source;
	enum rec_stream stream;
	int prio; /* syslog priority: 6 stdout, 3 stderr; PID 1's and the kernel's own */
	const char *line;
	size_t len;
};

#define RECRING_DEFAULT (16 * 1024) /* [system] log_ring's default, per service */
#define RECRING_MIN	4096
#define RECRING_MAX	(64u * 1024 * 1024)
#define REC_LINE_MAX	4096 /* a longer line is cut */

struct recring {
	char *buf;
	size_t cap; /* 0: RECRING_DEFAULT */
	size_t head, tail, used;
	uint64_t lines; /* records made */
	uint64_t lost;	/* records it could not keep (no memory) */
};

/* Records are made from here on: PID 1 only (the processes exec'd from our
 * binary, nucleus-ns-init and the helpers, keep none). */
void records_start(void);
/* A new capacity (bytes); what is held goes when it changes. */
void recring_set_size(struct recring *r, size_t cap);
void recring_free(struct recring *r);
/* Makes a record of @line (no newline) in @r and hands it to the followers. */
void records_add(struct recring *r, const char *source, enum rec_stream stream, int prio,
		 const char *line, size_t len);
/* The same for a line said at @mono_us (the kernel's own time of a message). */
void records_add_at(struct recring *r, const char *source, enum rec_stream stream, int prio,
		    uint64_t mono_us, const char *line, size_t len);
typedef void (*record_fn)(void *arg, const struct record *rec);
/* Each record of @r, oldest first, with @source as its source. */
void recring_each(const struct recring *r, const char *source, record_fn fn, void *arg);

/* The followers: at most RECORDS_MAX_LISTENERS. */
#define RECORDS_MAX_LISTENERS 4
int records_listen(record_fn fn, void *arg);
void records_unlisten(record_fn fn, void *arg);

/* PID 1's own messages and the kernel's. */
struct recring *records_nucleus(void);
struct recring *records_kernel(void);

struct strbuf;
/* "2026-12-06T19:56:18.123Z SOURCE: LINE\n" (UTC) */
void record_text(const struct record *rec, struct strbuf *sb);
/* {"time_ms", "time", "service", "stream", "priority", "line"}\n */
void record_json(const struct record *rec, struct strbuf *sb);
const char *rec_stream_name(enum rec_stream s);
/* "2026-12-06T19:56:18.123Z" of a wall-clock time in microseconds. */
void record_time(uint64_t wall_us, char *out, size_t size);

#endif
