// SPDX-License-Identifier: MIT
/*
 * test_frame.c - the control protocol's frame reader (every way a stream can
 * be cut, garbage, a new peer's SYNC anywhere) and the event lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "events.h"
#include "frame.h"
#include "util.h"

#define MAXF 64

struct got {
	int n, syncs;
	struct {
		enum frame_type type;
		uint32_t chan, len;
		char data[FRAME_MAX + 1];
	} f[MAXF];
	int order[MAXF * 2]; /* -1 a SYNC, else the frame's index */
	int norder;
};

static void collect(void *arg, const struct frame *f)
{
	struct got *g = arg;

	if (!f) {
		g->syncs++;
		g->order[g->norder++] = -1;
		return;
	}
	assert_true(g->n < MAXF);
	g->f[g->n].type = f->type;
	g->f[g->n].chan = f->chan;
	g->f[g->n].len = f->len;
	if (f->len)
		memcpy(g->f[g->n].data, f->data, f->len);
	g->f[g->n].data[f->len] = '\0';
	g->order[g->norder++] = g->n++;
}

/* A frame's bytes into @out; its length. */
static size_t put(unsigned char *out, enum frame_type t, uint32_t chan, const char *data)
{
	size_t n = data ? strlen(data) : 0;

	frame_header(out, t, chan, (uint32_t)n);
	if (n)
		memcpy(out + FRAME_HDR, data, n);
	return FRAME_HDR + n;
}

/* Feeds @buf in pieces of @step bytes (the last may be shorter). */
static void feed_steps(struct frame_dec *d, const unsigned char *buf, size_t n, size_t step,
		       struct got *g)
{
	for (size_t o = 0; o < n; o += step)
		frame_feed(d, buf + o, n - o < step ? n - o : step, collect, g);
}

static void test_whole_and_cut(void **state)
{
	unsigned char buf[256];
	size_t n = 0;

	(void)state;
	n += put(buf + n, F_OPEN, 1, "status\0");
	n += put(buf + n, F_IN, 7, NULL);
	n += put(buf + n, F_OUT, 0xdeadbeef, "hello, world");
	/* every way to cut it gives the same three frames */
	for (size_t step = 1; step <= n; step++) {
		struct frame_dec d;
		struct got *g = calloc(1, sizeof(*g));

		frame_dec_init(&d);
		feed_steps(&d, buf, n, step, g);
		assert_int_equal(g->n, 3);
		assert_int_equal(g->syncs, 0);
		assert_int_equal(g->f[0].type, F_OPEN);
		assert_int_equal(g->f[0].chan, 1);
		assert_string_equal(g->f[0].data, "status");
		assert_int_equal(g->f[1].type, F_IN);
		assert_int_equal(g->f[1].len, 0);
		assert_int_equal(g->f[2].chan, 0xdeadbeef);
		assert_string_equal(g->f[2].data, "hello, world");
		assert_null(d.buf);
		frame_dec_free(&d);
		free(g);
	}
}

/* Garbage before, between and after frames is skipped, not mistaken for them. */
static void test_garbage_skipped(void **state)
{
	static const char *const junk[] = {
		"xyz",	  "N",	      "NNF",
		"NF\x63", "\xff\xff", "NF\x02\x00\x01\x00\x00\x00\xff\xff\xff\x7f"};
	unsigned char buf[512];

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(junk); k++) {
		struct frame_dec d;
		struct got *g = calloc(1, sizeof(*g));
		size_t n = 0, jl = k == ARRAY_SIZE(junk) - 1 ? 12 : strlen(junk[k]);

		memcpy(buf + n, junk[k], jl);
		n += jl;
		n += put(buf + n, F_OPEN, 2, "version");
		memcpy(buf + n, junk[k], jl);
		n += jl;
		n += put(buf + n, F_CLOSE, 2, NULL);
		frame_dec_init(&d);
		for (size_t step = 1; step <= n; step++) {
			memset(g, 0, sizeof(*g));
			frame_dec_reset(&d);
			d.tlen = 0;
			feed_steps(&d, buf, n, step, g);
			assert_int_equal(g->n, 2);
			assert_int_equal(g->f[0].type, F_OPEN);
			assert_string_equal(g->f[0].data, "version");
			assert_int_equal(g->f[1].type, F_CLOSE);
		}
		assert_true(d.skipped > 0);
		frame_dec_free(&d);
		free(g);
	}
}

/*
 * A new peer's SYNC drops a half-read frame wherever it comes, even inside
 * a payload that claimed many more bytes, and even cut across reads.
 */
static void test_sync_drops_half_frame(void **state)
{
	unsigned char buf[256];
	size_t n = 0, half;

	(void)state;
	/* half of a frame that announces 1000 bytes */
	frame_header(buf, F_IN, 5, 1000);
	memcpy(buf + FRAME_HDR, "abcdef", 6);
	half = n = FRAME_HDR + 6;
	memcpy(buf + n, frame_sync, sizeof(frame_sync));
	n += sizeof(frame_sync);
	n += put(buf + n, F_OPEN, 1, "status");
	for (size_t step = 1; step <= n; step++) {
		struct frame_dec d;
		struct got *g = calloc(1, sizeof(*g));

		frame_dec_init(&d);
		feed_steps(&d, buf, n, step, g);
		assert_int_equal(g->syncs, 1);
		assert_int_equal(g->n, 1);
		assert_int_equal(g->order[0], -1);
		assert_string_equal(g->f[0].data, "status");
		frame_dec_free(&d);
		free(g);
	}
	(void)half;
}

/* A SYNC is a SYNC once: the bytes after it do not find it again. */
static void test_sync_once(void **state)
{
	unsigned char buf[128];
	size_t n = 0;
	struct frame_dec d;
	struct got *g = calloc(1, sizeof(*g));

	(void)state;
	memcpy(buf, frame_sync, sizeof(frame_sync));
	n = sizeof(frame_sync);
	n += put(buf + n, F_HELLO, 0, NULL);
	frame_dec_init(&d);
	frame_feed(&d, buf, sizeof(frame_sync), collect, g);
	frame_feed(&d, buf + sizeof(frame_sync), n - sizeof(frame_sync), collect, g);
	frame_feed(&d, "x", 1, collect, g);
	assert_int_equal(g->syncs, 1);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->f[0].type, F_HELLO);
	frame_dec_free(&d);
	free(g);
}

/* The largest payload passes; one byte more is no header at all. */
static void test_max_len(void **state)
{
	size_t n = FRAME_HDR + FRAME_MAX;
	unsigned char *buf = malloc(n + FRAME_HDR + 4);
	struct frame_dec d;
	struct got *g = calloc(1, sizeof(*g));

	(void)state;
	frame_header(buf, F_OUT, 3, FRAME_MAX);
	memset(buf + FRAME_HDR, 'a', FRAME_MAX);
	frame_dec_init(&d);
	feed_steps(&d, buf, n, 4096, g);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->f[0].len, FRAME_MAX);
	frame_header(buf, F_OUT, 3, FRAME_MAX + 1);
	frame_feed(&d, buf, FRAME_HDR, collect, g);
	assert_int_equal(g->n, 1);
	assert_int_equal(d.hlen, 0); /* nothing in it looked like a header */
	frame_dec_free(&d);
	free(buf);
	free(g);
}

/* ---- events ---- */

static void test_event_json(void **state)
{
	struct strbuf sb;
	struct event ev = {.kind = EVENT_STATE,
			   .time_ms = 42,
			   .service = "web",
			   .from = "ready",
			   .to = "backoff",
			   .has_exit = true,
			   .exit_status = 9 /* killed by SIGKILL */};

	(void)state;
	sb_init(&sb);
	event_json(&ev, &sb);
	assert_string_equal(sb.buf, "{\"time_ms\": 42, \"event\": \"state\", \"service\": \"web\", "
				    "\"from\": \"ready\", \"to\": \"backoff\", \"exit_status\": "
				    "\"SIGKILL\"}");
	sb_free(&sb);
	sb_init(&sb);
	ev = (struct event){.kind = EVENT_STATE,
			    .time_ms = 7,
			    .service = "a\"b",
			    .from = "starting",
			    .to = "exited",
			    .has_exit = true,
			    .exit_status = 3 << 8};
	event_json(&ev, &sb);
	assert_non_null(strstr(sb.buf, "\"service\": \"a\\\"b\""));
	assert_non_null(strstr(sb.buf, "\"exit_status\": 3}"));
	sb_free(&sb);
	sb_init(&sb);
	ev = (struct event){.kind = EVENT_SHUTDOWN,
			    .time_ms = 1,
			    .action = "poweroff",
			    .reason = "power button"};
	event_json(&ev, &sb);
	assert_string_equal(sb.buf, "{\"time_ms\": 1, \"event\": \"shutdown\", \"action\": "
				    "\"poweroff\", \"reason\": \"power button\"}");
	sb_free(&sb);
}

static int seen;
static char last[256];

static void listener(void *arg, const struct event *ev, const char *json, size_t len)
{
	(void)arg;
	(void)ev;
	seen++;
	snprintf(last, sizeof(last), "%.*s", (int)len, json);
}

static int replayed;
static void count_replay(void *arg, const char *json, size_t len)
{
	(void)arg;
	(void)len;
	if (strstr(json, "\"boot\""))
		replayed++;
}

/* Listeners hear each event once; the last EVENTS_KEPT are kept for a replay. */
static void test_bus(void **state)
{
	(void)state;
	assert_int_equal(events_listen(listener, NULL), 0);
	for (int i = 0; i < EVENTS_KEPT + 10; i++)
		events_emit(&(struct event){.kind = EVENT_BOOT, .stage = "settled"});
	assert_int_equal(seen, EVENTS_KEPT + 10);
	assert_non_null(strstr(last, "\"stage\": \"settled\""));
	events_replay(count_replay, NULL);
	assert_int_equal(replayed, EVENTS_KEPT);
	events_unlisten(listener, NULL);
	events_emit(&(struct event){.kind = EVENT_BOOT, .stage = "stage1"});
	assert_int_equal(seen, EVENTS_KEPT + 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_cut),
		cmocka_unit_test(test_garbage_skipped),
		cmocka_unit_test(test_sync_drops_half_frame),
		cmocka_unit_test(test_sync_once),
		cmocka_unit_test(test_max_len),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
