// SPDX-License-Identifier: MIT
/*
 * test_records.c - the record rings: whole records dropped oldest first
 * across the wrap, one order for every ring, followers called once per
 * record and not again for what they add themselves, the text and JSON
 * forms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "kmsg.h"
#include "logd_int.h"
#include "records.h"
#include "util.h"

struct seen {
	uint64_t last_seq;
	int n;
	size_t bytes;
	char first[64], last[64];
};

static void collect(void *arg, const struct record *rec)
{
	struct seen *s = arg;

	assert_true(rec->seq > s->last_seq);
	s->last_seq = rec->seq;
	if (!s->n)
		snprintf(s->first, sizeof(s->first), "%.*s", (int)rec->len, rec->line);
	snprintf(s->last, sizeof(s->last), "%.*s", (int)rec->len, rec->line);
	s->n++;
	s->bytes += rec->len;
}

static void test_wrap_whole_records(void **state)
{
	struct recring r = {0};
	struct seen s = {0};
	char line[80];

	(void)state;
	records_start();
	recring_set_size(&r, RECRING_MIN);
	for (int i = 1; i <= 500; i++) {
		int n = snprintf(line, sizeof(line), "line %d %.*s", i, i % 40,
				 "........................................");

		records_add(&r, "svc", i % 2 ? REC_STDOUT : REC_STDERR, 6, line, (size_t)n);
	}
	recring_each(&r, "svc", collect, &s);
	assert_true(s.n > 10 && s.n < 500);
	assert_true(!strncmp(s.last, "line 500 ", 9));
	/* the oldest kept is whole: it starts where a line starts */
	assert_true(!strncmp(s.first, "line ", 5));
	assert_true(r.used <= RECRING_MIN);
	assert_int_equal(r.lines, 500);
	assert_int_equal(r.lost, 0);
	/* a new size starts empty */
	recring_set_size(&r, 8192);
	memset(&s, 0, sizeof(s));
	recring_each(&r, "svc", collect, &s);
	assert_int_equal(s.n, 0);
	recring_free(&r);
}

static struct recring *loop_ring;
static int calls;

static void follower(void *arg, const struct record *rec)
{
	(void)arg;
	calls++;
	/* what a follower logs itself is kept but not handed round again */
	if (!strcmp(rec->source, "a"))
		records_add(loop_ring, "a", REC_NUCLEUS, 4, "from inside", 11);
}

static void test_followers_and_order(void **state)
{
	struct recring a = {0}, b = {0};
	struct seen sa = {0}, sb = {0};

	(void)state;
	records_start();
	loop_ring = &a;
	assert_int_equal(records_listen(follower, NULL), 0);
	records_add(&a, "a", REC_STDOUT, 6, "one", 3);
	records_add(&b, "b", REC_STDOUT, 6, "two", 3);
	records_add(&a, "a", REC_STDOUT, 6, "three", 5);
	records_unlisten(follower, NULL);
	records_add(&b, "b", REC_STDOUT, 6, "four", 4);
	assert_int_equal(calls, 3);
	recring_each(&a, "a", collect, &sa);
	recring_each(&b, "b", collect, &sb);
	/* a: one, (from inside), three, (from inside); b: two, four */
	assert_int_equal(sa.n, 4);
	assert_int_equal(sb.n, 2);
	assert_string_equal(sb.last, "four");
	/* the sequence orders the two rings: b's "four" came last */
	assert_true(sb.last_seq > sa.last_seq);
	recring_free(&a);
	recring_free(&b);
}

static void test_forms(void **state)
{
	struct record rec = {.seq = 1,
			     .mono_us = 1234567,
			     .wall_us = 1704067200123456ull,
			     .source = "web",
			     .stream = REC_STDERR,
			     .prio = 3,
			     .line = "a \"quoted\"\x1b[31m line",
			     .len = 20};
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	record_text(&rec, &sb);
	assert_string_equal(sb.buf, "2024-01-01T00:00:00.123Z web: a \"quoted\"\\x1b[31m line\n");
	sb_free(&sb);
	sb_init(&sb);
	record_json(&rec, &sb);
	assert_string_equal(sb.buf,
			    "{\"time_ms\": 1234, \"time\": \"2024-01-01T00:00:00.123Z\", "
			    "\"service\": \"web\", \"stream\": \"stderr\", \"priority\": 3, "
			    "\"line\": \"a \\\"quoted\\\"\\u001b[31m line\"}\n");
	sb_free(&sb);
}

static void test_kmsg_parse(void **state)
{
	const char *text;
	uint64_t usec;
	size_t len;
	int prio;
	static const char one[] = "6,339,5140900,-;NET: Registered PF_INET6 protocol family\n"
				  " SUBSYSTEM=net\n DEVICE=+net:lo\n";
	static const char *const bad[] = {"", "abc", "6;x", "6,1;x", "x,1,2,-;y", "6,1,2;y"};

	(void)state;
	assert_int_equal(kmsg_parse(one, strlen(one), &prio, &usec, &text, &len), 0);
	assert_int_equal(prio, 6);
	assert_true(usec == 5140900);
	assert_int_equal(len, strlen("NET: Registered PF_INET6 protocol family"));
	assert_true(!strncmp(text, "NET: Registered PF_INET6 protocol family", len));
	/* the facility (here 3, daemon) is not the priority */
	assert_int_equal(kmsg_parse("27,2,3,-;disk error", 19, &prio, &usec, &text, &len), 0);
	assert_int_equal(prio, 3);
	assert_int_equal(len, 10);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kmsg_parse(bad[i], strlen(bad[i]), &prio, &usec, &text, &len),
				 -EINVAL);
}

/* The wire to nucleus-logd: a record and a file: output's bytes, there and back. */
static void test_wire(void **state)
{
	static char buf[LOGD_MSG_MAX], src[LOGD_SRC_MAX + 1], path[LOGD_SRC_MAX + 1];
	struct record rec = {.mono_us = 5, .wall_us = 7, .source = "web", .stream = REC_STDERR,
			     .prio = 3, .line = "a line", .len = 6},
		      out;
	size_t n = logd_pack(&rec, buf, sizeof(buf));

	(void)state;
	assert_true(n > 0);
	assert_int_equal(logd_unpack(buf, n, &out, src, sizeof(src)), 0);
	assert_string_equal(out.source, "web");
	assert_int_equal(out.stream, REC_STDERR);
	assert_int_equal(out.prio, 3);
	assert_int_equal(out.wall_us, 7);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.line, "a line", 6);
	/* raw bytes to a path longer than a name could be: NULs and no newline kept */
	memset(path, 'p', 300);
	path[0] = '/';
	path[300] = '\0';
	n = logd_pack_raw(path, "x\0y", 3, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(logd_unpack(buf, n, &out, src, sizeof(src)), 0);
	assert_int_equal(out.stream, WIRE_RAW);
	assert_string_equal(out.source, path);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.line, "x\0y", 3);
	/* a source that does not fit the receiver's buffer, a bad stream: refused */
	assert_int_equal(logd_unpack(buf, n, &out, src, 200), -EINVAL);
	buf[16] = 9;
	assert_int_equal(logd_unpack(buf, n, &out, src, sizeof(src)), -EINVAL);
	assert_int_equal(logd_unpack(buf, 10, &out, src, sizeof(src)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_whole_records),
		cmocka_unit_test(test_followers_and_order),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_kmsg_parse),
		cmocka_unit_test(test_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
