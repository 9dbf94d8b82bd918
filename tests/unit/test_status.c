// SPDX-License-Identifier: MIT
/*
 * test_status.c - `nucleusctl status --json` and the human table, built from
 * a supervisor assembled by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "service.h"
#include "util.h"

struct fixture {
	struct supervisor sup;
	struct manifest *m;
	struct service *svc[3];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int err = 0;

	if (!f)
		return -1;
	/* landlock = no: its ABI would be this kernel's */
	f->m = manifest_load_string("[service.web]\nexec = /bin/httpd\nlandlock = no\n"
				    "[service.db]\nexec = /bin/db\nlandlock = no\n"
				    "[service.job]\nexec = /bin/job\ntype = oneshot\nlandlock = no\n",
				    "status.ini", NULL, NULL, &err);
	if (!f->m || f->m->nsvc != 3 || f->m->nerrors)
		return -1;
	sup_init(&f->sup, NULL, MODE_SUBREAPER);
	f->sup.m = f->m;
	f->sup.svcs = calloc(3, sizeof(struct service *));
	for (int i = 0; i < 3; i++) {
		struct service *s = calloc(1, sizeof(*s));

		s->sup = &f->sup;
		s->conf = f->m->svcs[i];
		s->state = ST_STOPPED;
		s->report_fd = s->out[0].rd = s->out[0].wr = s->out[1].rd = s->out[1].wr = -1;
		s->status_fd = s->netns_fd = -1;
		s->cg_fd = s->cg_events_fd = s->cg_mem_fd = -1;
		timer_init(&s->timer);
		f->svc[i] = s;
		f->sup.svcs[i] = s;
	}
	f->sup.nsvc = 3;
	f->sup.start_ms = now_ms();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++) {
		free(f->svc[i]->status_text);
		free(f->svc[i]);
	}
	free(f->sup.svcs);
	manifest_free(f->m); /* owns the confs */
	free(f);
	return 0;
}

/*
 * Checks the object opens with "uptime_ms": N (a small number here) and
 * returns the text from ", "services": [" on; keys added between them are
 * allowed by the contract.
 */
static const char *skip_uptime(const char *json)
{
	const char *pre = "{\"uptime_ms\": ", *svcs;
	char *end;
	unsigned long long up;

	if (strncmp(json, pre, strlen(pre)))
		fail_msg("status JSON does not start with '%s': %s", pre, json);
	up = strtoull(json + strlen(pre), &end, 10);
	if (end == json + strlen(pre))
		fail_msg("uptime_ms is not a number: %s", json);
	assert_true(up < 10000);
	assert_int_equal(*end, ',');
	svcs = strstr(end, ", \"services\": [");
	if (!svcs)
		fail_msg("no services array: %s", json);
	return svcs;
}

static void test_json_exact(void **state)
{
	struct fixture *f = *state;
	struct service *web = f->svc[0], *db = f->svc[1], *job = f->svc[2];
	struct strbuf sb;
	const char *rest;

	web->state = ST_READY;
	web->pid = 42;
	web->restarts = 0;
	web->probe.health = HEALTH_HEALTHY;
	web->since_ms = 980;
	web->status_text = strdup("serving \"all\" requests");

	db->state = ST_FAILED;
	db->pid = 0;
	db->restarts = 5;
	db->has_status = true;
	db->last_status = SIGKILL; /* killed by SIGKILL */
	db->probe.health = HEALTH_UNHEALTHY;
	db->since_ms = 12345;
	snprintf(db->error, sizeof(db->error),
		 "volumes: \"/srv/data\": No such file\nor directory\\");

	job->state = ST_EXITED;
	job->has_status = true;
	job->last_status = 3 << 8; /* exit 3 */
	job->since_ms = 0;

	sb_init(&sb);
	sup_status_json(&f->sup, NULL, &sb);
	assert_false(sb.oom);
	rest = skip_uptime(sb.buf);
	assert_string_equal(
		rest,
		", \"services\": [\n"
		"  {\"name\": \"web\", \"state\": \"ready\", \"pid\": 42, \"restarts\": 0, "
		"\"exit_status\": null, \"health\": \"healthy\", \"since_ms\": 980, "
		"\"status_text\": \"serving \\\"all\\\" requests\", \"error\": null, "
		"\"memory_current\": null, \"memory_peak\": null, \"oom_kills\": null, "
		"\"cpu_usage_us\": null, \"tasks\": null, \"address\": null, \"log_lines\": 0, "
		"\"log_lost\": 0, \"landlock\": null, \"seccomp_denials\": null},\n"
		"  {\"name\": \"db\", \"state\": \"failed\", \"pid\": null, \"restarts\": 5, "
		"\"exit_status\": \"SIGKILL\", \"health\": \"unhealthy\", \"since_ms\": 12345, "
		"\"status_text\": null, "
		"\"error\": \"volumes: \\\"/srv/data\\\": No such file\\nor directory\\\\\", "
		"\"memory_current\": null, \"memory_peak\": null, \"oom_kills\": null, "
		"\"cpu_usage_us\": null, \"tasks\": null, \"address\": null, \"log_lines\": 0, "
		"\"log_lost\": 0, \"landlock\": null, \"seccomp_denials\": null},\n"
		"  {\"name\": \"job\", \"state\": \"exited\", \"pid\": null, \"restarts\": 0, "
		"\"exit_status\": 3, \"health\": \"unknown\", \"since_ms\": 0, "
		"\"status_text\": null, \"error\": null, \"memory_current\": null, "
		"\"memory_peak\": null, \"oom_kills\": null, \"cpu_usage_us\": null, \"tasks\": "
		"null, \"address\": null, \"log_lines\": 0, \"log_lost\": 0, \"landlock\": null, \"seccomp_denials\": null}]}\n");
	sb_free(&sb);
}

static void test_json_only_one(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb;
	const char *rest;

	f->svc[1]->state = ST_BACKOFF;
	f->svc[1]->has_status = true;
	f->svc[1]->last_status = 1 << 8;
	f->svc[1]->restarts = 2;
	f->svc[1]->since_ms = 7;
	sb_init(&sb);
	sup_status_json(&f->sup, f->svc[1], &sb);
	rest = skip_uptime(sb.buf);
	assert_string_equal(rest,
			    ", \"services\": [\n"
			    "  {\"name\": \"db\", \"state\": \"backoff\", \"pid\": null, "
			    "\"restarts\": 2, \"exit_status\": 1, \"health\": \"unknown\", "
			    "\"since_ms\": 7, \"status_text\": null, \"error\": null, "
			    "\"memory_current\": null, \"memory_peak\": null, \"oom_kills\": null, "
			    "\"cpu_usage_us\": null, \"tasks\": null, \"address\": null, "
			    "\"log_lines\": 0, \"log_lost\": 0, \"landlock\": null, \"seccomp_denials\": null}]}\n");
	sb_free(&sb);
}

static void test_json_every_state_and_signal(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum svc_state st;
		const char *name;
	} states[] = {{ST_STOPPED, "stopped"}, {ST_WAITING, "waiting"},	  {ST_STARTING, "starting"},
		      {ST_READY, "ready"},     {ST_STOPPING, "stopping"}, {ST_BACKOFF, "backoff"},
		      {ST_EXITED, "exited"},   {ST_FAILED, "failed"}};
	static const struct {
		int status;
		const char *json;
	} exits[] = {{0, "0"},
		     {255 << 8, "255"},
		     {SIGTERM, "\"SIGTERM\""},
		     {SIGSEGV | 0x80, "\"SIGSEGV\""}, /* with a core dump */
		     {SIGHUP, "\"SIGHUP\""}};
	struct strbuf sb;

	for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
		char want[64];

		f->svc[0]->state = states[i].st;
		sb_init(&sb);
		sup_status_json(&f->sup, f->svc[0], &sb);
		snprintf(want, sizeof(want), "\"state\": \"%s\",", states[i].name);
		if (!strstr(sb.buf, want))
			fail_msg("no %s in %s", want, sb.buf);
		sb_free(&sb);
	}
	f->svc[0]->has_status = true;
	for (size_t i = 0; i < ARRAY_SIZE(exits); i++) {
		char want[64];

		f->svc[0]->last_status = exits[i].status;
		sb_init(&sb);
		sup_status_json(&f->sup, f->svc[0], &sb);
		snprintf(want, sizeof(want), "\"exit_status\": %s,", exits[i].json);
		if (!strstr(sb.buf, want))
			fail_msg("no %s in %s", want, sb.buf);
		sb_free(&sb);
	}
}

static void test_json_no_services(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb;
	int n = f->sup.nsvc;

	f->sup.nsvc = 0;
	sb_init(&sb);
	sup_status_json(&f->sup, NULL, &sb);
	assert_string_equal(skip_uptime(sb.buf), ", \"services\": []}\n");
	sb_free(&sb);
	f->sup.nsvc = n;
}

static void test_json_control_chars_in_error(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb;

	snprintf(f->svc[2]->error, sizeof(f->svc[2]->error), "a\tb\rc\x01");
	sb_init(&sb);
	sup_status_json(&f->sup, f->svc[2], &sb);
	if (!strstr(sb.buf, "\"error\": \"a\\tb\\rc\\u0001\", "))
		fail_msg("error not escaped: %s", sb.buf);
	/* no raw control character anywhere but the final newline */
	for (size_t i = 0; i + 1 < sb.len; i++)
		if ((unsigned char)sb.buf[i] < 0x20 && sb.buf[i] != '\n')
			fail_msg("raw control character at %zu: %s", i, sb.buf);
	sb_free(&sb);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_table(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb;
	char *head, *line2, *line3, *line4;

	f->svc[0]->state = ST_READY;
	f->svc[0]->pid = 4242;
	f->svc[0]->probe.health = HEALTH_HEALTHY;
	f->svc[1]->state = ST_FAILED;
	f->svc[1]->restarts = 5;
	f->svc[1]->has_status = true;
	f->svc[1]->last_status = SIGKILL;
	snprintf(f->svc[1]->error, sizeof(f->svc[1]->error), "start limit hit");
	f->svc[2]->state = ST_EXITED;
	f->svc[2]->has_status = true;
	f->svc[2]->last_status = 0;

	sb_init(&sb);
	sup_status_table(&f->sup, NULL, &sb);
	/* the header names the columns; a summary may come before it */
	head = !strncmp(sb.buf, "NAME ", 5) ? sb.buf : strstr(sb.buf, "\nNAME ");
	if (!head)
		fail_msg("no header line: %s", sb.buf);
	head += *head == '\n';
	assert_int_equal(count_lines(head), 4);
	for (const char *col = "STATE\0PID\0RESTARTS\0EXIT\0HEALTH\0ERROR\0"; *col;
	     col += strlen(col) + 1) {
		char *nl = strchr(head, '\n');
		char *hit = strstr(head, col);

		if (!hit || hit > nl)
			fail_msg("header lacks %s: %s", col, sb.buf);
	}
	line2 = strchr(head, '\n') + 1;
	line3 = strchr(line2, '\n') + 1;
	line4 = strchr(line3, '\n') + 1;
	/* one row per service, in order, with its values */
	assert_int_equal(strncmp(line2, "web ", 4), 0);
	assert_non_null(strstr(line2, "ready"));
	assert_non_null(strstr(line2, "4242"));
	assert_non_null(strstr(line2, "healthy"));
	assert_int_equal(strncmp(line3, "db ", 3), 0);
	assert_non_null(strstr(line3, "failed"));
	assert_non_null(strstr(line3, "SIGKILL"));
	assert_true(strstr(line3, "start limit hit") < line4);
	assert_non_null(strstr(line3, "start limit hit"));
	assert_int_equal(strncmp(line4, "job ", 4), 0);
	assert_non_null(strstr(line4, "exited"));
	sb_free(&sb);

	/* only one service: the header and its row */
	sb_init(&sb);
	sup_status_table(&f->sup, f->svc[1], &sb);
	head = !strncmp(sb.buf, "NAME ", 5) ? sb.buf : strstr(sb.buf, "\nNAME ");
	assert_non_null(head);
	head += *head == '\n';
	assert_int_equal(count_lines(head), 2);
	assert_non_null(strstr(head, "\ndb "));
	assert_null(strstr(sb.buf, "web"));
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_only_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_every_state_and_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_no_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_control_chars_in_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
