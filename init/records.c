// SPDX-License-Identifier: MIT
/*
 * records.c - the records of captured lines (records.h): rings of packed
 * records, the followers, the text and JSON forms.
 */
#include "records.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a ring holds before each line's bytes. */
struct rec_hdr {
	uint64_t seq, mono_us, wall_us;
	uint32_t len;
	uint8_t stream, prio;
	uint16_t pad;
};

static uint64_t next_seq = 1;
static struct recring nucleus_ring = {.cap = 64 * 1024}, kernel_ring = {.cap = 64 * 1024};
static struct {
	record_fn fn;
	void *arg;
} listeners[RECORDS_MAX_LISTENERS];
static bool dispatching;
static bool started;

void records_start(void)
{
	started = true;
}

struct recring *records_nucleus(void)
{
	return &nucleus_ring;
}

struct recring *records_kernel(void)
{
	return &kernel_ring;
}

static size_t ring_cap(const struct recring *r)
{
	return r->cap ? r->cap : RECRING_DEFAULT;
}

void recring_free(struct recring *r)
{
	size_t cap = r->cap;
	uint64_t lines = r->lines, lost = r->lost;

	free(r->buf);
	memset(r, 0, sizeof(*r));
	r->cap = cap;
	r->lines = lines;
	r->lost = lost;
}

void recring_set_size(struct recring *r, size_t cap)
{
	if (cap == ring_cap(r))
		return;
	free(r->buf);
	r->buf = NULL;
	r->head = r->tail = r->used = 0;
	r->cap = cap;
}

static void ring_put(struct recring *r, const void *p, size_t n)
{
	size_t cap = ring_cap(r), first = cap - r->head < n ? cap - r->head : n;

	memcpy(r->buf + r->head, p, first);
	memcpy(r->buf, (const char *)p + first, n - first);
	r->head = (r->head + n) % cap;
}

static void ring_get(const struct recring *r, size_t off, void *p, size_t n)
{
	size_t cap = ring_cap(r), first = cap - off < n ? cap - off : n;

	memcpy(p, r->buf + off, first);
	memcpy((char *)p + first, r->buf, n - first);
}

static void ring_drop_oldest(struct recring *r)
{
	struct rec_hdr h;
	size_t n;

	ring_get(r, r->tail, &h, sizeof(h));
	n = sizeof(h) + h.len;
	r->tail = (r->tail + n) % ring_cap(r);
	r->used -= n;
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void records_add(struct recring *r, const char *source, enum rec_stream stream, int prio,
		 const char *line, size_t len)
{
	records_add_at(r, source, stream, prio, clock_us(CLOCK_MONOTONIC), line, len);
}

void records_add_at(struct recring *r, const char *source, enum rec_stream stream, int prio,
		    uint64_t mono_us, const char *line, size_t len)
{
	size_t cap = ring_cap(r);
	uint64_t now = clock_us(CLOCK_MONOTONIC), wall = clock_us(CLOCK_REALTIME);
	struct rec_hdr h = {.seq = next_seq++,
			    .mono_us = mono_us,
			    .wall_us = wall - (now > mono_us ? now - mono_us : 0),
			    .stream = (uint8_t)stream,
			    .prio = (uint8_t)prio};
	struct record rec;

	if (!started)
		return;
	if (len > REC_LINE_MAX)
		len = REC_LINE_MAX;
	if (len > cap - sizeof(h))
		len = cap - sizeof(h);
	h.len = (uint32_t)len;
	r->lines++;
	if (!r->buf)
		r->buf = malloc(cap);
	if (!r->buf) {
		r->lost++;
	} else {
		while (cap - r->used < sizeof(h) + len)
			ring_drop_oldest(r);
		ring_put(r, &h, sizeof(h));
		ring_put(r, line, len);
		r->used += sizeof(h) + len;
	}
	/* a follower's own trouble logged from inside it is kept, not handed round again */
	if (dispatching)
		return;
	rec = (struct record){h.seq, h.mono_us, h.wall_us, source, stream, prio, line, len};
	dispatching = true;
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++)
		if (listeners[i].fn)
			listeners[i].fn(listeners[i].arg, &rec);
	dispatching = false;
}

void recring_each(const struct recring *r, const char *source, record_fn fn, void *arg)
{
	char line[REC_LINE_MAX];
	size_t off = r->tail, left = r->used;

	while (r->buf && left >= sizeof(struct rec_hdr)) {
		struct rec_hdr h;
		struct record rec;

		ring_get(r, off, &h, sizeof(h));
		ring_get(r, (off + sizeof(h)) % ring_cap(r), line, h.len);
		rec = (struct record){h.seq,	h.mono_us, h.wall_us, source,
				      h.stream, h.prio,	   line,      h.len};
		fn(arg, &rec);
		off = (off + sizeof(h) + h.len) % ring_cap(r);
		left -= sizeof(h) + h.len;
	}
}

int records_listen(record_fn fn, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++)
		if (!listeners[i].fn) {
			listeners[i].fn = fn;
			listeners[i].arg = arg;
			return 0;
		}
	return -ENOSPC;
}

void records_unlisten(record_fn fn, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++)
		if (listeners[i].fn == fn && listeners[i].arg == arg)
			listeners[i].fn = NULL;
}

const char *rec_stream_name(enum rec_stream s)
{
	static const char *const names[] = {"stdout", "stderr", "nucleus", "kernel"};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

void record_time(uint64_t wall_us, char *out, size_t size)
{
	/* the date and time of the last second seen: most records share one */
	static time_t last = -1;
	static char ymdhms[24];
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;

	if (t != last) {
		if (!gmtime_r(&t, &tm)) {
			snprintf(out, size, "?");
			return;
		}
		snprintf(ymdhms, sizeof(ymdhms), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		last = t;
	}
	snprintf(out, size, "%s.%03uZ", ymdhms, (unsigned)(wall_us / 1000 % 1000));
}

void record_text(const struct record *rec, struct strbuf *sb)
{
	char when[40];

	record_time(rec->wall_us, when, sizeof(when));
	sb_printf(sb, "%s %s: ", when, rec->source);
	/* a raw control character is not the terminal's business */
	for (size_t i = 0, from = 0; i <= rec->len; i++) {
		unsigned char c = i < rec->len ? (unsigned char)rec->line[i] : '\n';

		if (i < rec->len && (c >= 0x20 || c == '\t'))
			continue;
		sb_add(sb, rec->line + from, i - from);
		if (i < rec->len)
			sb_printf(sb, "\\x%02x", c);
		from = i + 1;
	}
	sb_puts(sb, "\n");
}

void record_json(const struct record *rec, struct strbuf *sb)
{
	char when[40], *line = malloc(rec->len + 1);

	record_time(rec->wall_us, when, sizeof(when));
	sb_printf(sb, "{\"time_ms\": %llu, \"time\": \"%s\", \"service\": ",
		  (unsigned long long)(rec->mono_us / 1000), when);
	sb_json_str(sb, rec->source);
	sb_printf(sb, ", \"stream\": \"%s\", \"priority\": %d, \"line\": ",
		  rec_stream_name(rec->stream), rec->prio);
	if (line) {
		memcpy(line, rec->line, rec->len);
		line[rec->len] = '\0';
	}
	sb_json_str(sb, line ? line : "");
	free(line);
	sb_puts(sb, "}\n");
}
