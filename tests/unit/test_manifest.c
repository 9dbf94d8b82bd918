// SPDX-License-Identifier: MIT
/*
 * test_manifest.c - the manifest loader against the contract: every key's
 * validation, every error as "PATH:LINE: message" with the right line,
 * defaults, references and cycles, and the helpers the loader exports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <syslog.h>
#include <unistd.h>

#include "manifest.h"
#include "stages.h"
#include "util.h"

#define PATH	 "test.ini"
#define MAX_MSGS 64

struct cap {
	char *msg[MAX_MSGS];
	int line[MAX_MSGS];
	int n;
};

/* Every message must be exactly "test.ini:LINE: text". */
static void cap_fn(void *arg, const char *msg)
{
	struct cap *c = arg;
	const char *p = msg + strlen(PATH ":");
	char *end;
	long line;

	if (strncmp(msg, PATH ":", strlen(PATH ":")))
		fail_msg("error without the path prefix: '%s'", msg);
	if (!isdigit((unsigned char)*p))
		fail_msg("error without a line number: '%s'", msg);
	line = strtol(p, &end, 10);
	if (line < 1 || strncmp(end, ": ", 2) || !end[2])
		fail_msg("error not shaped PATH:LINE: message: '%s'", msg);
	if (strchr(msg, '\n'))
		fail_msg("error holds a newline: '%s'", msg);
	if (c->n >= MAX_MSGS)
		fail_msg("too many errors");
	c->msg[c->n] = strdup(msg);
	c->line[c->n] = (int)line;
	c->n++;
}

static void cap_free(struct cap *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->msg[i]);
	c->n = 0;
}

static void cap_dump(const struct cap *c)
{
	for (int i = 0; i < c->n; i++)
		print_message("  error: %s\n", c->msg[i]);
}

static struct manifest *load(const char *text, struct cap *c)
{
	int err = 0;
	struct manifest *m;

	memset(c, 0, sizeof(*c));
	m = manifest_load_string(text, PATH, cap_fn, c, &err);
	if (!m)
		fail_msg("manifest_load_string returned NULL (err %d)", err);
	assert_int_equal(m->nerrors, c->n);
	return m;
}

/* A manifest that must load without any error. */
static struct manifest *load_ok(const char *text)
{
	struct cap c;
	struct manifest *m = load(text, &c);

	if (c.n) {
		cap_dump(&c);
		fail_msg("unexpected errors in:\n%s", text);
	}
	return m;
}

static bool has_error(const struct cap *c, int line, const char *needle)
{
	for (int i = 0; i < c->n; i++)
		if (c->line[i] == line && strstr(c->msg[i], needle))
			return true;
	return false;
}

static void want_error(const struct cap *c, int line, const char *needle)
{
	if (!has_error(c, line, needle)) {
		cap_dump(c);
		fail_msg("no error at line %d containing '%s'", line, needle);
	}
}

/* Exactly one error, at @line, containing @needle. */
static struct manifest *load_one_error(const char *text, int line, const char *needle)
{
	struct cap c;
	struct manifest *m = load(text, &c);

	if (c.n != 1) {
		cap_dump(&c);
		fail_msg("%d errors, want exactly 1 (line %d, '%s') in:\n%s", c.n, line, needle,
			 text);
	}
	want_error(&c, line, needle);
	cap_free(&c);
	return m;
}

/* ---- one service key at a known line ---- */

/*
 * Line 1 a comment, 2 blank, 3 [service.a], 4 exec, 5 KEY = VALUE, 6 EXTRA,
 * then a valid [service.b] that must survive whatever happens to a.
 */
static void svc_text(char *buf, size_t n, const char *key, const char *val, const char *extra)
{
	snprintf(buf, n,
		 "; a manifest\n"
		 "\n"
		 "[service.a]\n"
		 "exec = /bin/true\n"
		 "%s = %s\n"
		 "%s\n"
		 "[service.b]\n"
		 "exec = /bin/sleep 1\n",
		 key, val, extra ? extra : "");
}

static void bad_value(const char *key, const char *val, const char *extra)
{
	char text[1024], needle[512];
	struct cap c;
	struct manifest *m;

	svc_text(text, sizeof(text), key, val, extra);
	m = load(text, &c);
	snprintf(needle, sizeof(needle), PATH ":5: a: %s: invalid value '%s': ", key, val);
	if (c.n != 1 || strncmp(c.msg[0], needle, strlen(needle))) {
		cap_dump(&c);
		fail_msg("%s = %s: want exactly one error starting '%s'", key, val, needle);
	}
	if (manifest_find(m, "a"))
		fail_msg("%s = %s: service a kept despite its error", key, val);
	assert_non_null(manifest_find(m, "b"));
	assert_int_equal(m->nsvc, 1);
	cap_free(&c);
	manifest_free(m);
}

static struct manifest *good_value(const char *key, const char *val, const char *extra)
{
	char text[1024];
	struct cap c;
	struct manifest *m;

	svc_text(text, sizeof(text), key, val, extra);
	m = load(text, &c);
	if (c.n) {
		cap_dump(&c);
		fail_msg("%s = %s (%s) refused", key, val, extra ? extra : "");
	}
	assert_int_equal(m->nsvc, 2);
	assert_non_null(manifest_find(m, "a"));
	return m;
}

static void good(const char *key, const char *val, const char *extra)
{
	manifest_free(good_value(key, val, extra));
}

/* ---- tests ---- */

static void test_minimal_and_defaults(void **state)
{
	struct manifest *m = load_ok("[service.web]\nexec = /bin/httpd -f\n");
	struct svc_conf *c;

	(void)state;
	assert_int_equal(m->nsvc, 1);
	assert_false(m->sys_invalid);
	c = manifest_find(m, "web");
	assert_non_null(c);
	assert_string_equal(c->name, "web");
	assert_int_equal(c->line, 1);
	assert_int_equal(strv_len(c->argv), 2);
	assert_string_equal(c->argv[0], "/bin/httpd");
	assert_string_equal(c->argv[1], "-f");
	assert_int_equal(c->type, SVC_LONGRUN);
	assert_null(c->user);
	assert_int_equal(c->out.kind, OUT_LOG);
	assert_int_equal(c->err.kind, OUT_LOG);
	assert_int_equal(c->restart, RESTART_ON_FAILURE);
	assert_true(c->restart_delay_ms == 100);
	assert_true(c->restart_delay_max_ms == 30000);
	assert_int_equal(c->start_limit_n, 5);
	assert_true(c->start_limit_ms == 60000);
	assert_int_equal(c->stop_signal, 15);
	assert_true(c->stop_timeout_ms == 10000);
	assert_false(c->critical);
	assert_int_equal(c->on_critical, POWER_REBOOT);
	assert_int_equal(c->ready.kind, PROBE_NONE);
	assert_true(c->ready_timeout_ms == 30000);
	assert_int_equal(c->health.kind, PROBE_NONE);
	assert_true(c->health_interval_ms == 10000);
	assert_true(c->health_timeout_ms == 2000);
	assert_int_equal(c->health_retries, 3);
	assert_true(c->health_start_period_ms == 0);
	assert_int_equal(c->on_unhealthy, UNHEALTHY_RESTART);
	assert_true(c->watchdog_ms == 0);
	assert_true(c->isolate);
	assert_int_equal(c->namespaces, NS_MOUNT | NS_PID | NS_IPC | NS_UTS);
	assert_int_equal(c->network, NET_HOST);
	assert_true(c->no_new_privileges);
	assert_true(c->nofile == 1024);
	assert_true(c->nproc == 0);
	assert_true(c->memory_max == 0);
	assert_null(c->after);
	assert_null(c->requires);
	assert_true(c->set == 0);

	/* [system] defaults */
	assert_int_equal(m->sys.log_level, LOG_INFO);
	assert_true(m->sys.shutdown_timeout_ms == 10000);
	assert_int_equal(m->sys.on_empty, POWER_STAY);
	assert_true(m->sys.watchdog_interval_ms == 10000);
	assert_true(m->sys.coldplug);
	assert_true(m->sys.device_timeout_ms == 10000);
	assert_null(m->sys.runtime_dir);
	assert_null(m->sys.hostname);
	assert_string_equal(m->path, PATH);
	manifest_free(m);
}

static void test_empty_manifest(void **state)
{
	struct manifest *m = load_ok("");

	(void)state;
	assert_int_equal(m->nsvc, 0);
	assert_false(m->sys_invalid);
	manifest_free(m);
	m = load_ok("; only a comment\n# and another\n\n   \n");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);
}

static void test_full_service(void **state)
{
	struct manifest *m = load_ok("[service.db]\n"
				     "exec = /usr/bin/db --port 5432\n"
				     "type = oneshot\n"
				     "user = 1000:1000\n"
				     "groups = wheel 10\n"
				     "workdir = /srv\n"
				     "env = A=1 'B=two words'\n"
				     "env_file = /etc/db.env\n"
				     "stdout = console\n"
				     "stderr = file:/var/log/db.err\n"
				     "restart = never\n"
				     "restart_delay = 1s\n"
				     "restart_delay_max = 1m\n"
				     "start_limit = 3/10s\n"
				     "stop_signal = SIGINT\n"
				     "stop_timeout = 500ms\n"
				     "critical = yes\n"
				     "on_critical = poweroff\n"
				     "ready_timeout = 1h\n"
				     "nofile = 4096\n"
				     "nproc = 64\n"
				     "oom_score_adj = -500\n"
				     "memory_max = 64M\n"
				     "memory_high = 48M\n"
				     "pids_max = 100\n"
				     "io_weight = 200\n"
				     "cpu_max = 50%\n");
	struct svc_conf *c = manifest_find(m, "db");

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->type, SVC_ONESHOT);
	assert_string_equal(c->user, "1000:1000");
	assert_int_equal(strv_len(c->groups), 2);
	assert_string_equal(c->workdir, "/srv");
	assert_int_equal(strv_len(c->env), 2);
	assert_string_equal(c->env[0], "A=1");
	assert_string_equal(c->env[1], "B=two words");
	assert_string_equal(c->env_file, "/etc/db.env");
	assert_int_equal(c->out.kind, OUT_CONSOLE);
	assert_int_equal(c->err.kind, OUT_FILE);
	assert_string_equal(c->err.path, "/var/log/db.err");
	assert_int_equal(c->restart, RESTART_NEVER);
	assert_true(c->restart_delay_ms == 1000);
	assert_true(c->restart_delay_max_ms == 60000);
	assert_int_equal(c->start_limit_n, 3);
	assert_true(c->start_limit_ms == 10000);
	assert_int_equal(c->stop_signal, 2);
	assert_true(c->stop_timeout_ms == 500);
	assert_true(c->critical);
	assert_int_equal(c->on_critical, POWER_POWEROFF);
	assert_true(c->ready_timeout_ms == 3600000);
	assert_true(c->nofile == 4096);
	assert_true(c->nproc == 64);
	assert_int_equal(c->oom_score_adj, -500);
	assert_true(c->memory_max == 64ULL << 20);
	assert_true(c->memory_high == 48ULL << 20);
	assert_true(c->pids_max == 100);
	assert_int_equal(c->io_weight, 200);
	assert_int_equal(c->cpu_quota_us, 50000);
	assert_int_equal(c->cpu_period_us, 100000);
	assert_true(c->set & SET_MEMORY_MAX);
	assert_true(c->set & SET_CPU_MAX);
	assert_true(c->set & SET_NPROC);
	assert_false(c->set & SET_VOLUMES);
	manifest_free(m);
}

static void test_exec_words_and_comments(void **state)
{
	struct manifest *m;
	struct svc_conf *c;

	(void)state;
	m = load_ok("[service.a]\nexec = /bin/sh -c 'echo \"hi there\"; exit 3'\n");
	c = manifest_find(m, "a");
	assert_int_equal(strv_len(c->argv), 3);
	assert_string_equal(c->argv[2], "echo \"hi there\"; exit 3");
	manifest_free(m);

	/* " ;" starts an inline comment; ";" inside a word does not */
	m = load_ok("[service.a]\nexec = /bin/echo a;b ; the rest is a comment\n");
	c = manifest_find(m, "a");
	assert_int_equal(strv_len(c->argv), 2);
	assert_string_equal(c->argv[1], "a;b");
	manifest_free(m);

	/* comment lines with ; and #, and a comment after a section header */
	m = load_ok("# top\n[service.a] ; trailing\n; note\nexec = /bin/true\n# end\n");
	assert_non_null(manifest_find(m, "a"));
	assert_int_equal(strv_len(manifest_find(m, "a")->argv), 1);
	manifest_free(m);

	/* only " ;" starts a comment: " #" is part of the value */
	m = load_ok("[service.a]\nexec = /bin/echo a #b\n");
	c = manifest_find(m, "a");
	assert_int_equal(strv_len(c->argv), 3);
	assert_string_equal(c->argv[2], "#b");
	manifest_free(m);

	/* a UTF-8 byte order mark before the first section */
	m = load_ok("\xEF\xBB\xBF[service.a]\nexec = /bin/true\n");
	assert_non_null(manifest_find(m, "a"));
	manifest_free(m);

	/* CRLF line endings */
	m = load_ok("[service.a]\r\nexec = /bin/true x\r\nrestart = always\r\n");
	c = manifest_find(m, "a");
	assert_string_equal(c->argv[1], "x");
	assert_int_equal(c->restart, RESTART_ALWAYS);
	manifest_free(m);

	/* blanks around = and the value are not part of it */
	m = load_ok("[service.a]\n   exec=/bin/true   \n\trestart\t=\tnever\t\n");
	c = manifest_find(m, "a");
	assert_string_equal(c->argv[0], "/bin/true");
	assert_int_equal(c->restart, RESTART_NEVER);
	manifest_free(m);
}

static void test_bad_exec(void **state)
{
	static const char *const bad[] = {"'unterminated", "\"unterminated", "ends\\"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char t[256], needle[128];
		struct manifest *m;
		struct cap c;

		snprintf(t, sizeof(t), "[service.b]\nexec = /x\n[service.a]\nexec = %s\n", bad[i]);
		snprintf(needle, sizeof(needle), "a: exec: invalid value '%s': %s", bad[i],
			 i == 2 ? "trailing backslash" : "unterminated");
		m = load(t, &c);
		want_error(&c, 4, needle);
		assert_null(manifest_find(m, "a"));
		assert_non_null(manifest_find(m, "b"));
		cap_free(&c);
		manifest_free(m);
	}
}

/* A required key given with a bad value is reported once: as invalid, not also missing. */
static void test_invalid_required_key_reported_once(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_one_error("[service.a]\nexec = 'x\n", 2, "a: exec: invalid value");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = tmpfs\nwhere = x\ntype = tmpfs\n", 3,
			   "mount.x: where: invalid value");
	assert_int_equal(m->nmount, 0);
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = tmpfs\nwhere = /x\ntype = tmp fs\n", 4,
			   "mount.x: type: invalid value");
	assert_int_equal(m->nmount, 0);
	manifest_free(m);
}

static void test_empty_value(void **state)
{
	struct manifest *m =
		load_one_error("[service.a]\nexec = /bin/true\nrestart =\n", 3, "restart");

	(void)state;
	assert_null(manifest_find(m, "a"));
	manifest_free(m);
	/* an empty env is allowed */
	m = load_ok("[service.a]\nexec = /bin/true\nenv =\n");
	assert_non_null(manifest_find(m, "a"));
	manifest_free(m);
}

static void test_bad_types_and_enums(void **state)
{
	(void)state;
	bad_value("type", "daemon", NULL);
	bad_value("type", "Oneshot", NULL);
	bad_value("restart", "sometimes", NULL);
	bad_value("restart", "on_failure", NULL);
	bad_value("stdout", "syslog", NULL);
	bad_value("stdout", "file:relative/path", NULL);
	bad_value("stderr", "file:", NULL);
	bad_value("on_critical", "stay", NULL);
	bad_value("on_critical", "explode", NULL);
	bad_value("on_unhealthy", "panic", NULL);
	bad_value("network", "bridged", NULL);
	bad_value("namespaces", "mount time", NULL);
	bad_value("seccomp", "strict", NULL);
	bad_value("seccomp", "relative/profile.json", NULL);
	bad_value("root", "relative", NULL);
	bad_value("workdir", "srv", NULL);
	bad_value("env_file", "db.env", NULL);
	bad_value("env", "NOEQUALS", NULL);
	bad_value("env", "1A=x", NULL);
	bad_value("env", "A-B=x", NULL);
	bad_value("env", "=x", NULL);
	bad_value("after", "bad/name", NULL);
	bad_value("requires", "a:b", NULL);
	bad_value("hostname", "bad/host", NULL);
	bad_value("bridge", "averyveryverylongbridge", "network = bridge");
	bad_value("address", "10.0.0.300", "network = bridge");
	bad_value("address", "fd00::1", "network = bridge");
	bad_value("subnet", "10.88.0.0", "network = bridge");
	bad_value("subnet", "10.88.0.0/31", "network = bridge");
	bad_value("subnet", "10.0.0.0/4", "network = bridge");
	bad_value("subnet", "fd00::/64", "network = bridge");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	/* durations */
	bad_value("restart_delay", "10x", NULL);
	bad_value("restart_delay", "-1", NULL);
	bad_value("restart_delay_max", "1.5s", NULL);
	bad_value("stop_timeout", "10 s", NULL);
	bad_value("ready_timeout", "forever", NULL);
	bad_value("health_interval", "5d", NULL);
	bad_value("health_timeout", "s", NULL);
	bad_value("health_start_period", "1e3", NULL);
	bad_value("watchdog", "10sec", "ready = notify");
	/* sizes: K, M, G only */
	bad_value("memory_max", "64k", NULL);
	bad_value("memory_max", "64MB", NULL);
	bad_value("memory_max", "1T", NULL);
	bad_value("memory_max", "0", NULL);
	bad_value("memory_high", "-1M", NULL);
	/* booleans */
	bad_value("critical", "maybe", NULL);
	bad_value("critical", "on", NULL);
	bad_value("isolate", "Yes", NULL);
	bad_value("no_new_privileges", "2", NULL);
	/* signal */
	bad_value("stop_signal", "TERMINATE", NULL);
	bad_value("stop_signal", "0", NULL);
	bad_value("stop_signal", "sigterm", NULL);
	/* rate */
	bad_value("start_limit", "5", NULL);
	bad_value("start_limit", "0/60s", NULL);
	bad_value("start_limit", "5/0s", NULL);
	bad_value("start_limit", "5/60x", NULL);
	/* counts */
	bad_value("health_retries", "0", NULL);
	bad_value("health_retries", "x", NULL);
	bad_value("nofile", "2", NULL);
	bad_value("nofile", "-5", NULL);
	bad_value("nproc", "0", NULL);
	bad_value("pids_max", "0", NULL);
	bad_value("pids_max", "lots", NULL);
	bad_value("io_weight", "0", NULL);
	bad_value("io_weight", "10001", NULL);
	bad_value("oom_score_adj", "1001", NULL);
	bad_value("oom_score_adj", "-1001", NULL);
	bad_value("oom_score_adj", "x", NULL);
	/* cpu_max */
	bad_value("cpu_max", "150", NULL);
	bad_value("cpu_max", "0%", NULL);
	bad_value("cpu_max", "%", NULL);
	bad_value("cpu_max", "50.5%", NULL);
	bad_value("cpu_max", "999/100000", NULL);
	bad_value("cpu_max", "a/b", NULL);
}

static void test_good_values(void **state)
{
	struct manifest *m;
	struct svc_conf *c;

	(void)state;
	good("restart_delay", "0ms", NULL);
	good("stop_signal", "9", NULL);
	good("stop_signal", "QUIT", NULL);
	good("critical", "true", NULL);
	good("isolate", "0", NULL);
	good("memory_max", "1G", NULL);
	good("memory_max", "4096", NULL);
	good("cpu_max", "20000/100000", NULL);
	good("user", "root", NULL);
	good("user", "www-data:www-data", NULL);
	good("user", "alice:100", NULL);
	good("groups", "audio video 44", NULL);
	good("namespaces", "mount pid ipc uts net user cgroup", NULL);
	good("seccomp", "none", NULL);
	good("seccomp", "/etc/nucleus/profile.json", NULL);
	good("root", "host", NULL);
	good("root", "/srv/rootfs", NULL);
	good("hostname", "web-1", NULL);
	good("oom_score_adj", "-1000", NULL);
	good("stdout", "null", NULL);
	good("stdout", "file:/var/log/a.log", NULL);

	m = good_value("network", "none", NULL);
	c = manifest_find(m, "a");
	assert_int_equal(c->network, NET_NONE);
	assert_true(c->namespaces & NS_NET); /* network = none implies net */
	manifest_free(m);

	m = good_value("network", "bridge", "address = 10.88.0.5\nsubnet = 10.88.0.0/16");
	c = manifest_find(m, "a");
	assert_int_equal(c->network, NET_BRIDGE);
	assert_true(c->namespaces & NS_NET);
	assert_string_equal(c->address, "10.88.0.5");
	assert_string_equal(c->subnet, "10.88.0.0/16");
	manifest_free(m);

	m = good_value("namespaces", "pid", NULL);
	assert_int_equal(manifest_find(m, "a")->namespaces, NS_PID);
	manifest_free(m);
}

static void test_user(void **state)
{
	(void)state;
	bad_value("user", "bad@name", NULL);
	bad_value("user", "alice:", NULL);
	bad_value("user", ":wheel", NULL);
	bad_value("user", "a:b:c", NULL);
	bad_value("user", "a b", NULL);
	bad_value("user", "averyveryveryveryveryverylongusername", NULL);
	bad_value("groups", "wheel bad@group", NULL);
}

static void test_probes_in_manifest(void **state)
{
	struct manifest *m;
	struct svc_conf *c;

	(void)state;
	bad_value("ready", "bogus", NULL);
	bad_value("ready", "fd:2", NULL);
	bad_value("ready", "fd:x", NULL);
	bad_value("ready", "fd:1024", NULL);
	bad_value("ready", "tcp:localhost", NULL);
	bad_value("ready", "tcp:localhost:0", NULL);
	bad_value("ready", "tcp:localhost:65536", NULL);
	bad_value("ready", "tcp::80", NULL);
	bad_value("ready", "tcp:bad/host:80", NULL);
	bad_value("ready", "http://localhost", NULL);
	bad_value("ready", "http://localhost:80x/", NULL);
	bad_value("ready", "https://localhost:443/", NULL);
	bad_value("ready", "exec:", NULL);
	bad_value("ready", "exec:'x", NULL);
	bad_value("health", "notify", NULL);
	bad_value("health", "fd:3", NULL);
	bad_value("health", "bogus", NULL);

	m = good_value("ready", "notify", NULL);
	assert_int_equal(manifest_find(m, "a")->ready.kind, PROBE_NOTIFY);
	manifest_free(m);
	m = good_value("ready", "fd:3", NULL);
	c = manifest_find(m, "a");
	assert_int_equal(c->ready.kind, PROBE_FD);
	assert_int_equal(c->ready.fd, 3);
	manifest_free(m);
	m = good_value("health", "tcp:127.0.0.1:8080", NULL);
	c = manifest_find(m, "a");
	assert_int_equal(c->health.kind, PROBE_TCP);
	assert_string_equal(c->health.host, "127.0.0.1");
	assert_int_equal(c->health.port, 8080);
	assert_true(c->set & SET_HEALTH);
	manifest_free(m);
	m = good_value("watchdog", "5s", "ready = notify");
	assert_true(manifest_find(m, "a")->watchdog_ms == 5000);
	manifest_free(m);
}

static void test_probe_parse(void **state)
{
	struct probe p;
	const char *why;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(probe_parse("none", true, &p, &why), 0);
	assert_int_equal(p.kind, PROBE_NONE);

	assert_int_equal(probe_parse("tcp:[::1]:9000", true, &p, &why), 0);
	assert_int_equal(p.kind, PROBE_TCP);
	assert_string_equal(p.host, "::1");
	assert_int_equal(p.port, 9000);

	assert_int_equal(probe_parse("tcp:db.local:5432", false, &p, &why), 0);
	assert_string_equal(p.host, "db.local");
	assert_int_equal(p.port, 5432);

	assert_int_equal(probe_parse("http://127.0.0.1:8080/health?x=1", false, &p, &why), 0);
	assert_int_equal(p.kind, PROBE_HTTP);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(p.port, 8080);
	assert_string_equal(p.path, "/health?x=1");

	assert_int_equal(probe_parse("http://web:80", false, &p, &why), 0);
	assert_string_equal(p.path, "/");
	assert_int_equal(p.port, 80);

	assert_int_equal(probe_parse("http://[fd00::1]:8080/", false, &p, &why), 0);
	assert_string_equal(p.host, "fd00::1");
	assert_string_equal(p.path, "/");

	assert_int_equal(probe_parse("exec:/bin/check --quick 'a b'", false, &p, &why), 0);
	assert_int_equal(p.kind, PROBE_EXEC);
	assert_int_equal(strv_len(p.argv), 3);
	assert_string_equal(p.argv[0], "/bin/check");
	assert_string_equal(p.argv[2], "a b");

	assert_int_equal(probe_parse("fd:1023", true, &p, &why), 0);
	assert_int_equal(p.kind, PROBE_FD);
	assert_int_equal(p.fd, 1023);

	why = NULL;
	assert_int_not_equal(probe_parse("fd:5", false, &p, &why), 0);
	assert_non_null(why);
	why = NULL;
	assert_int_not_equal(probe_parse("http://h:80/a b", false, &p, &why), 0);
	assert_non_null(why);
	why = NULL;
	assert_int_not_equal(probe_parse("tcp:[::1:80", false, &p, &why), 0);
	assert_non_null(why);
	why = NULL;
	assert_int_not_equal(probe_parse("tcp:h:80/x", false, &p, &why), 0);
	assert_non_null(why);
	why = NULL;
	assert_int_not_equal(probe_parse("exec:   ", false, &p, &why), 0);
	assert_non_null(why);
	/* a failed parse leaves nothing allocated behind (ASan checks leaks) */
	assert_int_equal(p.kind, PROBE_NONE);
	assert_null(p.host);
	assert_null(p.argv);
	assert_int_equal(probe_parse("none", false, &p, &why), 0);
}

static void test_cpu_max(void **state)
{
	uint32_t q = 0, p = 0;

	(void)state;
	assert_int_equal(parse_cpu_max("50%", &q, &p), 0);
	assert_int_equal(q, 50000);
	assert_int_equal(p, 100000);
	assert_int_equal(parse_cpu_max("200%", &q, &p), 0);
	assert_int_equal(q, 200000);
	assert_int_equal(p, 100000);
	assert_int_equal(parse_cpu_max("1%", &q, &p), 0);
	assert_int_equal(q, 1000);
	assert_int_equal(parse_cpu_max("25000/50000", &q, &p), 0);
	assert_int_equal(q, 25000);
	assert_int_equal(p, 50000);
	assert_int_equal(parse_cpu_max("1000/1000", &q, &p), 0);
	assert_int_equal(parse_cpu_max("1000/1000000", &q, &p), 0);
	assert_int_equal(p, 1000000);

	static const char *const bad[] = {"",
					  "%",
					  "0%",
					  "-5%",
					  "5.5%",
					  "50",
					  "50 %",
					  "x%",
					  "/100000",
					  "1000/",
					  "999/100000",
					  "1000/999",
					  "1000/1000001",
					  "a/b",
					  "50%%",
					  "1000/100000/1"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		q = p = 7;
		if (parse_cpu_max(bad[i], &q, &p) == 0)
			fail_msg("parse_cpu_max(\"%s\") accepted", bad[i]);
		assert_int_equal(q, 7);
	}
}

static void test_publish_egress(void **state)
{
	struct manifest *m;

	(void)state;
	m = good_value("publish", "8080:80 53:53/udp 443:443/tcp", "network = bridge");
	assert_int_equal(strv_len(manifest_find(m, "a")->publish), 3);
	manifest_free(m);
	bad_value("publish", "8080", "network = bridge");
	bad_value("publish", ":80", "network = bridge");
	bad_value("publish", "8080:", "network = bridge");
	bad_value("publish", "0:80", "network = bridge");
	bad_value("publish", "70000:80", "network = bridge");
	bad_value("publish", "8080:80/sctp", "network = bridge");
	bad_value("publish", "8080:80 x:1", "network = bridge");

	m = good_value("egress", "10.0.0.0/8 192.168.1.0/24:443", "network = bridge");
	assert_int_equal(strv_len(manifest_find(m, "a")->egress), 2);
	manifest_free(m);
	good("egress", "none", "network = none");
	bad_value("egress", "10.0.0.1", "network = none");
	bad_value("egress", "10.0.0.0/33", "network = none");
	bad_value("egress", "10.0.0.0/8:0", "network = none");
	bad_value("egress", "10.0.0.0/8:http", "network = none");
	bad_value("egress", "none 10.0.0.0/8", "network = none");
	bad_value("egress", "anywhere", "network = none");
}

static void test_volumes(void **state)
{
	struct manifest *m;
	static const char *const refused_src[] = {
		"/:/data",	    "/proc:/data",	   "/sys/kernel:/data", "/dev:/data",
		"/boot:/data",	    "/etc:/data",	   "/etc/../etc:/data", "/root/.ssh:/data",
		"/run:/data",	    "/srv/../etc:/data",   "//etc:/data",	"/./etc/ssl:/data",
		"/srv/..:/data:ro", "/a/../../proc:/data",
	};
	static const char *const refused_dst[] = {
		"/srv:/bin",	     "/srv:/dev/x",	    "/srv:/etc", "/srv:/etc/../etc",
		"/srv:/lib",	     "/srv:/proc",	    "/srv:/sys", "/srv:/usr/local",
		"/srv:/run/secrets", "/srv:/run/secrets/k", "/srv:/",	 "tmpfs:/etc",
		"/srv:/data/../usr", "/srv://bin",
	};
	static const char *const malformed[] = {
		"/srv",
		"srv:/data",
		"/srv:data",
		"/srv:/data:rx",
		"tmpfs:/x:0",
		"tmpfs:/x:64k",
		"tmpfs:x",
		"/srv:/data:ro:x",
		"/srv:/data:ro,owner",
		"/srv:/data:owner=",
		"/srv:/data:rw,rw",
		"tmpfs:/x:owner",
		"/srv:/data:owner=a:b:c",
	};

	(void)state;
	m = good_value("volumes", "/srv/data:/data /srv/ro:/ro:ro tmpfs:/cache:64M tmpfs:/t",
		       "volumes = /etcetera:/runner:rw /var/lib/x:/run/other");
	assert_int_equal(strv_len(manifest_find(m, "a")->volumes), 6); /* accumulate */
	assert_true(manifest_find(m, "a")->set & SET_VOLUMES);
	manifest_free(m);
	good("volumes", "/srv/a:/a:rw,owner /srv/b:/b:owner=nobody:nogroup /srv/c:/c:owner=1,rw",
	     NULL);
	bad_value("volumes", "/etc/x:/data:rw,owner", NULL); /* refused as without owner */
	for (size_t i = 0; i < ARRAY_SIZE(refused_src); i++)
		bad_value("volumes", refused_src[i], NULL);
	for (size_t i = 0; i < ARRAY_SIZE(refused_dst); i++)
		bad_value("volumes", refused_dst[i], NULL);
	for (size_t i = 0; i < ARRAY_SIZE(malformed); i++)
		bad_value("volumes", malformed[i], NULL);
}

static void test_volume_refused_helpers(void **state)
{
	(void)state;
	assert_string_equal(volume_source_refused("/"), "/");
	assert_string_equal(volume_source_refused("/etc"), "/etc");
	assert_string_equal(volume_source_refused("/etc/../etc"), "/etc");
	assert_string_equal(volume_source_refused("/etc/"), "/etc");
	assert_string_equal(volume_source_refused("/srv/../proc/1"), "/proc");
	assert_string_equal(volume_source_refused("/.."), "/");
	assert_string_equal(volume_source_refused("/srv/.."), "/");
	assert_string_equal(volume_source_refused("///run//x"), "/run");
	assert_string_equal(volume_source_refused("/root"), "/root");
	assert_string_equal(volume_source_refused("/boot/efi"), "/boot");
	assert_null(volume_source_refused("/srv/data"));
	assert_null(volume_source_refused("/etcetera"));
	assert_null(volume_source_refused("/runner"));
	assert_null(volume_source_refused("/home/etc"));
	assert_null(volume_source_refused("/etc/../srv"));

	assert_string_equal(volume_dest_refused("/"), "/");
	assert_string_equal(volume_dest_refused("/bin"), "/bin");
	assert_string_equal(volume_dest_refused("/usr/local/bin"), "/usr");
	assert_string_equal(volume_dest_refused("/run/secrets"), "/run/secrets");
	assert_string_equal(volume_dest_refused("/run/secrets/../secrets/x"), "/run/secrets");
	assert_string_equal(volume_dest_refused("/data/../etc"), "/etc");
	assert_string_equal(volume_dest_refused("/./lib"), "/lib");
	assert_null(volume_dest_refused("/data"));
	assert_null(volume_dest_refused("/run/other"));
	assert_null(volume_dest_refused("/binaries"));
	assert_null(volume_dest_refused("/run"));
	assert_null(volume_dest_refused("/usr/../data"));
}

static void test_secrets_caps_seccomp(void **state)
{
	struct manifest *m;

	(void)state;
	m = good_value("secrets", "/etc/nucleus/db.pw:db.pw /k:api:0440", NULL);
	assert_int_equal(strv_len(manifest_find(m, "a")->secrets), 2);
	manifest_free(m);
	bad_value("secrets", "rel:db.pw", NULL);
	bad_value("secrets", "/k", NULL);
	bad_value("secrets", "/k:", NULL);
	bad_value("secrets", "/k:../escape", NULL);
	bad_value("secrets", "/k:a:0999", NULL);
	bad_value("secrets", "/k:a:", NULL);
	bad_value("secrets", "/k:a:rw", NULL);

	m = good_value("capabilities", "NET_BIND_SERVICE CAP_CHOWN", "capabilities = KILL");
	assert_int_equal(strv_len(manifest_find(m, "a")->capabilities), 3);
	manifest_free(m);
	bad_value("capabilities", "NET_BIND_SERVICE NOT_A_CAP", NULL);
	bad_value("capabilities", "CAP_", NULL);

	m = good_value("seccomp_allow", "read write mount", "seccomp_allow = ptrace");
	assert_int_equal(strv_len(manifest_find(m, "a")->seccomp_allow), 4);
	manifest_free(m);
	bad_value("seccomp_allow", "read not_a_syscall", NULL);
	bad_value("seccomp_allow", "READ", NULL);
}

static void test_unknown_key(void **state)
{
	struct manifest *m = load_one_error("[service.a]\nexec = /bin/true\nexce = x\n"
					    "[service.b]\nexec = /bin/true\n",
					    3, "unknown key 'exce'");

	(void)state;
	assert_null(manifest_find(m, "a"));
	assert_non_null(manifest_find(m, "b"));
	manifest_free(m);
}

static void test_duplicate_scalar(void **state)
{
	struct manifest *m = load_one_error("[service.a]\nexec = /bin/true\nrestart = always\n"
					    "\nrestart = never\n",
					    5, "given twice (first at line 3)");

	(void)state;
	assert_null(manifest_find(m, "a"));
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /bin/true\nexec = /bin/false\n", 3, "exec");
	assert_null(manifest_find(m, "a"));
	manifest_free(m);
}

static void test_lists_accumulate(void **state)
{
	struct manifest *m = load_ok("[service.x]\nexec = /bin/true\n"
				     "[service.y]\nexec = /bin/true\n"
				     "[service.z]\nexec = /bin/true\n"
				     "after = x\n"
				     "after = y\n"
				     "requires = x\n"
				     "env = A=1\n"
				     "env = B=2 C=3\n"
				     "groups = a\n"
				     "groups = b\n");
	struct svc_conf *c = manifest_find(m, "z");

	(void)state;
	assert_non_null(c);
	assert_int_equal(strv_len(c->after), 2);
	assert_string_equal(c->after[0], "x");
	assert_string_equal(c->after[1], "y");
	assert_int_equal(strv_len(c->requires), 1);
	assert_int_equal(strv_len(c->env), 3);
	assert_string_equal(c->env[2], "C=3");
	assert_int_equal(strv_len(c->groups), 2);
	manifest_free(m);
}

static void test_sections(void **state)
{
	struct manifest *m;
	struct cap c;

	(void)state;
	m = load_one_error("[service.a]\nexec = /bin/true\n\n[bogus]\nx = 1\n", 4,
			   "unknown section");
	assert_non_null(manifest_find(m, "a"));
	manifest_free(m);

	m = load_one_error("[services.a]\nexec = /bin/true\n", 1, "unknown section");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);

	m = load_one_error("[service.]\nexec = /bin/true\n", 1, "service name");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);

	m = load_one_error("[service.bad name]\nexec = /bin/true\n", 1, "service name");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);

	/* a section given twice is an error at the second header */
	m = load("[service.a]\nexec = /bin/true\n[service.b]\nexec = /bin/true\n[service.a]\nexec "
		 "= /bin/false\n",
		 &c);
	want_error(&c, 5, "[service.a] given twice (first at line 1)");
	assert_null(manifest_find(m, "a"));
	assert_non_null(manifest_find(m, "b"));
	cap_free(&c);
	manifest_free(m);
}

static void test_malformed_header(void **state)
{
	struct manifest *m;
	struct svc_conf *s;

	(void)state;
	/* The keys after a broken header belong to no service: not to "ok". */
	m = load_one_error("[service.ok]\nexec = /bin/true\n[service.b\nexec = /bin/false\n", 3,
			   "malformed section header");
	s = manifest_find(m, "ok");
	assert_non_null(s);
	assert_string_equal(s->argv[0], "/bin/true");
	assert_int_equal(m->nsvc, 1);
	manifest_free(m);

	m = load_one_error("[service.ok]\nexec = /bin/true\n[service.b] junk\nexec = /bin/false\n",
			   3, "malformed section header");
	assert_int_equal(m->nsvc, 1);
	assert_string_equal(manifest_find(m, "ok")->argv[0], "/bin/true");
	manifest_free(m);
}

static void test_two_malformed_headers(void **state)
{
	struct cap c;
	struct manifest *m =
		load("[service.a\nexec = /bin/true\n[service.b\nexec = /bin/true\n", &c);

	(void)state;
	want_error(&c, 1, "malformed section header");
	want_error(&c, 3, "malformed section header");
	if (c.n != 2) {
		cap_dump(&c);
		fail_msg("%d errors for two malformed headers, want 2", c.n);
	}
	cap_free(&c);
	manifest_free(m);
}

static void test_line_without_equals(void **state)
{
	struct manifest *m;
	struct cap c;

	(void)state;
	m = load_one_error("[service.b]\nexec = /bin/true\njunk here\n[service.c]\nexec = /x\n", 3,
			   "expected 'key = value'");
	assert_non_null(manifest_find(m, "c"));
	manifest_free(m);

	/* key outside of any section */
	m = load_one_error("exec = /bin/true\n[service.a]\nexec = /bin/true\n", 1,
			   "outside of any section");
	assert_non_null(manifest_find(m, "a"));
	manifest_free(m);

	/* "key: value" is not the contract's syntax: reported at its line only */
	m = load("[service.a]\nexec: /bin/true\n[service.b]\nexec = /bin/true\n", &c);
	want_error(&c, 2, "expected 'key = value'");
	for (int i = 0; i < c.n; i++)
		assert_int_equal(c.line[i], 2);
	assert_non_null(manifest_find(m, "b"));
	cap_free(&c);
	manifest_free(m);
}

/* A malformed line inside a service is an error of that service: it is left out. */
static void test_malformed_line_drops_service(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_one_error("[service.a]\nexec = /bin/true\njunk here\n[service.b]\nexec = /x\n", 3,
			   "expected 'key = value'");
	if (manifest_find(m, "a"))
		fail_msg("service a kept although line 3 of its section is an error");
	assert_non_null(manifest_find(m, "b"));
	manifest_free(m);
	m = load_one_error("[service.a]\nexec: /bin/true\n[service.b]\nexec = /x\n", 2,
			   "expected 'key = value'");
	if (manifest_find(m, "a"))
		fail_msg("service a kept (with 'exec: ...' taken as its exec) despite the error");
	manifest_free(m);
}

/* Line 4 is "exec = /bin/echo xxx..." of exactly @len characters. */
static char *long_line_text(size_t len, int *long_line)
{
	size_t n = len + 256, vlen = len - strlen("exec = /bin/echo ");
	char *t = malloc(n), *p;

	assert_non_null(t);
	p = t + sprintf(t, "[service.b]\nexec = /bin/true\n[service.a]\nexec = /bin/echo ");
	memset(p, 'x', vlen);
	p += vlen;
	strcpy(p, "\nrestart = bogus\n");
	*long_line = 4;
	return t;
}

static void test_long_line(void **state)
{
	struct cap c;
	struct manifest *m;
	int ll;
	char *t;

	(void)state;
	/* within the limit: fine, and the following line keeps its number */
	t = long_line_text(4090, &ll);
	m = load(t, &c);
	if (c.n != 1) {
		cap_dump(&c);
		fail_msg("a 4090 character line: %d errors, want only the restart one", c.n);
	}
	want_error(&c, 5, "restart");
	assert_int_equal(strlen(manifest_find(m, "b")->argv[0]), 9);
	cap_free(&c);
	manifest_free(m);
	free(t);

	/* beyond 4096: an error at that line, the next line still numbered right */
	for (size_t len = 4097; len <= 5000; len += 903) {
		t = long_line_text(len, &ll);
		m = load(t, &c);
		want_error(&c, ll, "line longer than");
		want_error(&c, ll + 1, "restart");
		assert_false(has_error(&c, ll + 2, ""));
		assert_null(manifest_find(m, "a"));
		assert_non_null(manifest_find(m, "b"));
		cap_free(&c);
		manifest_free(m);
		free(t);
	}
	/* a huge line does not break the parse */
	t = long_line_text(100000, &ll);
	m = load(t, &c);
	want_error(&c, ll, "line longer than");
	cap_free(&c);
	manifest_free(m);
	free(t);
}

/* A too-long line inside a service is an error of that service: it is left out. */
static void test_long_line_drops_service(void **state)
{
	struct cap c;
	struct manifest *m;
	char *t = malloc(6000), *p;

	(void)state;
	p = t + sprintf(t, "[service.a]\nexec = /bin/true\nenv = A=");
	memset(p, 'y', 5000);
	strcpy(p + 5000, "\n[service.b]\nexec = /bin/true\n");
	m = load(t, &c);
	want_error(&c, 3, "line longer than");
	assert_int_equal(c.n, 1);
	if (manifest_find(m, "a"))
		fail_msg("service a runs without its too-long env line");
	assert_non_null(manifest_find(m, "b"));
	cap_free(&c);
	manifest_free(m);
	free(t);
}

static void test_missing_exec(void **state)
{
	struct manifest *m = load_one_error("[service.b]\nexec = /bin/true\n\n[service.a]\n"
					    "type = oneshot\n",
					    4, "a: exec is required");

	(void)state;
	assert_null(manifest_find(m, "a"));
	assert_non_null(manifest_find(m, "b"));
	manifest_free(m);

	/* a section without any key */
	m = load_one_error("; x\n[service.empty]\n", 2, "empty: exec is required");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);
}

static void test_cross_key_rules(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_one_error("[service.a]\nexec = /x\nrestart_delay = 10s\nrestart_delay_max = 1s\n",
			   4, "restart_delay_max");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\nwatchdog = 10s\n", 3, "notify");
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\nready_timeout = 0\n", 3, "ready_timeout");
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\ntype = oneshot\nhealth = tcp:h:1\n", 4,
			   "oneshot");
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\nhealth = tcp:h:1\nhealth_interval = 0\n", 4,
			   "health_interval");
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\nisolate = no\nnamespaces = pid\n", 3,
			   "isolate");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\nnamespaces = pid\nhostname = h\n", 4, "uts");
	manifest_free(m);
	m = load_one_error("[service.a]\nexec = /x\negress = none\n", 3, "egress");
	manifest_free(m);
	/* isolate = no with only identity and limits is fine */
	m = load_ok("[service.a]\nexec = /x\nisolate = no\nuser = nobody\nnofile = 10\n");
	assert_false(manifest_find(m, "a")->isolate);
	manifest_free(m);
}

static void test_dependencies(void **state)
{
	struct manifest *m;
	struct cap c;

	(void)state;
	/* unknown dependency: error at the after line, the service is dropped */
	m = load_one_error("[service.a]\nexec = /x\n\nafter = nope\n[service.b]\nexec = /x\n", 4,
			   "a: after 'nope' names a service that does not exist");
	assert_null(manifest_find(m, "a"));
	assert_non_null(manifest_find(m, "b"));
	manifest_free(m);

	m = load_one_error("[service.a]\nexec = /x\nrequires = b nope\n[service.b]\nexec = /x\n", 3,
			   "requires 'nope'");
	assert_null(manifest_find(m, "a"));
	assert_non_null(manifest_find(m, "b"));
	manifest_free(m);

	/* self dependency */
	m = load_one_error("[service.a]\nexec = /x\nafter = a\n", 3, "itself");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);

	/* a dependency declared later in the file is fine */
	m = load_ok("[service.a]\nexec = /x\nrequires = b\n[service.b]\nexec = /x\n");
	assert_int_equal(m->nsvc, 2);
	manifest_free(m);

	/* dependents of an invalid service go too, transitively */
	m = load("[service.base]\nexec = /x\nrestart = bogus\n"
		 "[service.mid]\nexec = /x\nafter = base\n"
		 "[service.top]\nexec = /x\nrequires = mid\n"
		 "[service.other]\nexec = /x\n",
		 &c);
	want_error(&c, 3, "restart");
	want_error(&c, 6, "mid: after 'base' names a service that is invalid");
	want_error(&c, 9, "top: requires 'mid' names a service that is invalid");
	assert_int_equal(c.n, 3);
	assert_int_equal(m->nsvc, 1);
	assert_non_null(manifest_find(m, "other"));
	cap_free(&c);
	manifest_free(m);
}

static void test_cycles(void **state)
{
	struct manifest *m;
	struct cap c;
	bool named = false;

	(void)state;
	m = load("[service.a]\nexec = /x\nafter = b\n"
		 "[service.b]\nexec = /x\nafter = a\n"
		 "[service.c]\nexec = /x\n",
		 &c);
	assert_true(c.n >= 1);
	for (int i = 0; i < c.n; i++) {
		/* every report points at one of the after lines of the cycle */
		if (c.line[i] != 3 && c.line[i] != 6) {
			cap_dump(&c);
			fail_msg("cycle error at line %d", c.line[i]);
		}
		if (strstr(c.msg[i], "dependency cycle") &&
		    (strstr(c.msg[i], "a -> b -> a") || strstr(c.msg[i], "b -> a -> b")))
			named = true;
	}
	if (!named) {
		cap_dump(&c);
		fail_msg("no error names the cycle");
	}
	assert_null(manifest_find(m, "a"));
	assert_null(manifest_find(m, "b"));
	assert_non_null(manifest_find(m, "c"));
	assert_int_equal(m->nsvc, 1);
	cap_free(&c);
	manifest_free(m);

	/* a longer cycle through requires, and a service hanging off it */
	m = load("[service.a]\nexec = /x\nrequires = b\n"
		 "[service.b]\nexec = /x\nafter = c\n"
		 "[service.c]\nexec = /x\nrequires = a\n"
		 "[service.d]\nexec = /x\nafter = c\n"
		 "[service.e]\nexec = /x\n"
		 "[service.f]\nexec = /x\nafter = e\n",
		 &c);
	assert_true(c.n >= 1);
	named = false;
	for (int i = 0; i < c.n; i++)
		if (strstr(c.msg[i], "cycle"))
			named = true;
	assert_true(named);
	assert_int_equal(m->nsvc, 2);
	assert_non_null(manifest_find(m, "e"));
	assert_non_null(manifest_find(m, "f"));
	cap_free(&c);
	manifest_free(m);

	/* a diamond is not a cycle */
	m = load_ok("[service.a]\nexec = /x\nafter = b c\n"
		    "[service.b]\nexec = /x\nafter = d\n"
		    "[service.c]\nexec = /x\nrequires = d\n"
		    "[service.d]\nexec = /x\n");
	assert_int_equal(m->nsvc, 4);
	manifest_free(m);
}

static void test_many_errors_each_line(void **state)
{
	struct cap c;
	struct manifest *m = load("[system]\n"		 /* 1 */
				  "log_level = loud\n"	 /* 2 */
				  "[service.a]\n"	 /* 3 */
				  "exec = /x\n"		 /* 4 */
				  "stop_timeout = 5 s\n" /* 5 */
				  "memory_max = 1k\n"	 /* 6 */
				  "critical = perhaps\n" /* 7 */
				  "\n"			 /* 8 */
				  "[service.b]\n"	 /* 9 */
				  "exec = /x\n"		 /* 10 */
				  "; comment = 1\n"	 /* 11 */
				  "stop_signal = NOPE\n" /* 12 */
				  "[service.c]\n"	 /* 13 */
				  "exec = /x\n",	 /* 14 */
				  &c);

	(void)state;
	want_error(&c, 2, "log_level");
	want_error(&c, 5, "stop_timeout");
	want_error(&c, 6, "memory_max");
	want_error(&c, 7, "critical");
	want_error(&c, 12, "stop_signal");
	assert_int_equal(c.n, 5);
	assert_true(m->sys_invalid);
	assert_int_equal(m->nsvc, 1);
	assert_non_null(manifest_find(m, "c"));
	cap_free(&c);
	manifest_free(m);
}

static void test_system(void **state)
{
	struct manifest *m;
	struct cap c;

	(void)state;
	m = load_ok("[system]\nhostname = box\nmodules = virtio_net e1000\nlog_level = debug\n"
		    "runtime_dir = /run/n\nshutdown_timeout = 30s\non_empty = poweroff\n"
		    "watchdog = /dev/watchdog\nwatchdog_interval = 5s\ncoldplug = no\n"
		    "device_timeout = 90s\nroot = LABEL=root\n");
	assert_false(m->sys_invalid);
	assert_string_equal(m->sys.root, "LABEL=root");
	assert_false(m->sys.coldplug);
	assert_true(m->sys.device_timeout_ms == 90000);
	assert_string_equal(m->sys.hostname, "box");
	assert_int_equal(strv_len(m->sys.modules), 2);
	assert_int_equal(m->sys.log_level, LOG_DEBUG);
	assert_string_equal(m->sys.runtime_dir, "/run/n");
	assert_true(m->sys.shutdown_timeout_ms == 30000);
	assert_int_equal(m->sys.on_empty, POWER_POWEROFF);
	assert_string_equal(m->sys.watchdog, "/dev/watchdog");
	assert_true(m->sys.watchdog_interval_ms == 5000);
	manifest_free(m);

	static const char *const bad[] = {
		"log_level = verbose",
		"on_empty = explode",
		"shutdown_timeout = soon",
		"runtime_dir = run/n",
		"watchdog = dev/watchdog",
		"watchdog_interval = 500ms",
		"hostname = a/b",
		"nonsense = 1",
		"modules = a/b",
		"coldplug = maybe",
		"device_timeout = forever",
		"root = /srv/root",
		"root = LABEL=",
		"root = UUID=not-hex",
		"root = /dev/",
		"root = host",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char t[256];

		snprintf(t, sizeof(t), "# sys\n[system]\n%s\n[service.a]\nexec = /x\n", bad[i]);
		m = load(t, &c);
		if (c.n != 1 || c.line[0] != 3) {
			cap_dump(&c);
			fail_msg("[system] %s: want one error at line 3", bad[i]);
		}
		assert_true(m->sys_invalid);
		/* services are unaffected */
		assert_non_null(manifest_find(m, "a"));
		cap_free(&c);
		manifest_free(m);
	}
	m = load_one_error("[system]\non_empty = stay\non_empty = halt\n", 3, "given twice");
	assert_true(m->sys_invalid);
	manifest_free(m);
	m = load_ok("[system]\non_empty = halt\n");
	assert_int_equal(m->sys.on_empty, POWER_HALT);
	manifest_free(m);
}

static void test_sysctl(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_ok("[sysctl]\nnet.ipv4.ip_forward = 1\nkernel/printk = 4 4 1 7\n"
		    "vm.swappiness=10\n");
	assert_int_equal(m->nsysctl, 3);
	assert_string_equal(m->sysctls[0].key, "net.ipv4.ip_forward");
	assert_string_equal(m->sysctls[0].value, "1");
	assert_int_equal(m->sysctls[0].line, 2);
	assert_string_equal(m->sysctls[1].key, "kernel/printk");
	assert_string_equal(m->sysctls[1].value, "4 4 1 7");
	assert_int_equal(m->sysctls[2].line, 4);
	manifest_free(m);

	/* long names are kept whole */
	m = load_ok(
		"[sysctl]\nnet.netfilter.nf_conntrack_tcp_timeout_established_long_name = 600\n");
	assert_int_equal(m->nsysctl, 1);
	assert_string_equal(m->sysctls[0].key,
			    "net.netfilter.nf_conntrack_tcp_timeout_established_long_name");
	manifest_free(m);

	m = load_one_error("[sysctl]\nnet.ipv4.ip_forward = 1\n../../etc/x = 1\n", 3,
			   "invalid sysctl name");
	assert_int_equal(m->nsysctl, 1);
	manifest_free(m);
	m = load_one_error("[sysctl]\nkernel..x = 1\n", 2, "invalid sysctl name");
	assert_int_equal(m->nsysctl, 0);
	manifest_free(m);
	m = load_one_error("[sysctl]\n/proc/x = 1\n", 2, "invalid sysctl name");
	manifest_free(m);
	m = load_one_error("[sysctl]\nkernel.a*b = 1\n", 2, "invalid sysctl name");
	manifest_free(m);
}

static void test_mount_sections(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_ok("[mount.data]\nwhat = /dev/vdb\nwhere = /data\ntype = ext4\n"
		    "options = noatime,ro,errors=remount-ro\nrequired = no\n"
		    "[mount.tmp]\nwhat = tmpfs\nwhere = /tmp\ntype = tmpfs\n");
	assert_int_equal(m->nmount, 2);
	assert_string_equal(m->mounts[0].name, "data");
	assert_string_equal(m->mounts[0].what, "/dev/vdb");
	assert_string_equal(m->mounts[0].where, "/data");
	assert_string_equal(m->mounts[0].type, "ext4");
	assert_string_equal(m->mounts[0].options, "noatime,ro,errors=remount-ro");
	assert_false(m->mounts[0].required);
	assert_int_equal(m->mounts[0].line, 1);
	assert_true(m->mounts[1].required); /* default yes */
	assert_null(m->mounts[1].options);
	manifest_free(m);

	m = load_one_error("\n[mount.x]\nwhat = tmpfs\ntype = tmpfs\n", 2, "where is required");
	assert_int_equal(m->nmount, 0);
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhere = /x\ntype = tmpfs\n", 1, "what is required");
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = tmpfs\nwhere = /x\n", 1, "type is required");
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = tmpfs\nwhere = /x\ntype = tmpfs\nrequired = sure\n",
			   5, "required");
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = tmpfs\nwhere = /x\ntype = tmpfs\nsize = 1\n", 5,
			   "unknown key 'size'");
	manifest_free(m);
	m = load_one_error("[mount.a/b]\nwhat = tmpfs\nwhere = /x\ntype = tmpfs\n", 1,
			   "mount name");
	manifest_free(m);

	/* where in one spelling: the mounts inside it and its services are found by it */
	m = load_ok("[mount.a]\nwhat = tmpfs\nwhere = //data//www/\ntype = tmpfs\n"
		    "[mount.b]\nwhat = tmpfs\nwhere = /\ntype = tmpfs\n");
	assert_string_equal(m->mounts[0].where, "/data/www");
	assert_string_equal(m->mounts[1].where, "/");
	manifest_free(m);
	for (const char *const *w = (const char *const[]){"/data/../etc", "/data/.", NULL}; *w;
	     w++) {
		char text[128];

		snprintf(text, sizeof(text), "[mount.x]\nwhat = tmpfs\nwhere = %s\ntype = tmpfs\n",
			 *w);
		manifest_free(load_one_error(text, 3, "without . or .."));
	}

	/* by label or UUID, as blkid prints them */
	m = load_ok("[mount.a]\nwhat = LABEL=data disk\nwhere = /a\ntype = ext4\n"
		    "[mount.b]\nwhat = UUID=0b1cb2e4-5f06-4a7b-8c9d-0e1f2a3b4c5d\nwhere = /b\n"
		    "type = ext4\n[mount.c]\nwhat = UUID=1234-ABCD\nwhere = /c\ntype = vfat\n");
	assert_string_equal(m->mounts[0].what, "LABEL=data disk");
	assert_string_equal(m->mounts[2].what, "UUID=1234-ABCD");
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = LABEL=\nwhere = /x\ntype = ext4\n", 2, "LABEL=");
	manifest_free(m);
	m = load_one_error("[mount.x]\nwhat = UUID=not-a-uuid\nwhere = /x\ntype = ext4\n", 2,
			   "UUID=");
	manifest_free(m);
}

static void test_interface_sections(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_ok("[interface.eth0]\naddress = 10.0.0.2/24 fd00::2/64\ngateway = 10.0.0.1\n"
		    "mtu = 1500\ndns = 1.1.1.1 2606:4700::1111\n");
	assert_int_equal(m->niface, 1);
	assert_string_equal(m->ifaces[0].name, "eth0");
	assert_int_equal(strv_len(m->ifaces[0].address), 2);
	assert_string_equal(m->ifaces[0].gateway, "10.0.0.1");
	assert_int_equal(m->ifaces[0].mtu, 1500);
	assert_int_equal(strv_len(m->ifaces[0].dns), 2);
	manifest_free(m);

	static const char *const bad[] = {
		"address = 10.0.0.2",
		"address = 10.0.0.2/33",
		"address = fd00::2/129",
		"address = 300.0.0.1/24",
		"address = 10.0.0.2/",
		"address = host/24",
		"gateway = 10.0.0",
		"gateway = 10.0.0.1/24",
		"mtu = 67",
		"mtu = 65536",
		"mtu = x",
		"dns = one.one.one.one",
		"dns = 1.1.1.1 nope",
		"speed = 1000",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char t[256];
		struct cap c;

		snprintf(t, sizeof(t), "[interface.eth0]\nmtu = 1400\n%s\n", bad[i]);
		m = load(t, &c);
		if (c.n != 1 || c.line[0] != 3) {
			cap_dump(&c);
			fail_msg("[interface.eth0] %s: want one error at line 3", bad[i]);
		}
		assert_int_equal(m->niface, 0);
		cap_free(&c);
		manifest_free(m);
	}
	m = load_one_error("[interface.averyverylongname0]\nmtu = 1500\n", 1, "interface name");
	manifest_free(m);
}

static void test_digest(void **state)
{
	const char *base = "[service.a]\nexec = /bin/x --flag\nrestart = always\n"
			   "[service.b]\nexec = /bin/x --flag\nrestart = always\n";
	struct manifest *m1 = load_ok(base), *m2, *m3, *m4;

	(void)state;
	m2 = load_ok(base);
	/* same sections, same digest; across services with identical bodies too */
	assert_true(manifest_find(m1, "a")->digest == manifest_find(m2, "a")->digest);
	assert_true(manifest_find(m1, "a")->digest == manifest_find(m1, "b")->digest);

	/* a changed value changes it */
	m3 = load_ok("[service.a]\nexec = /bin/x --flag\nrestart = never\n"
		     "[service.b]\nexec = /bin/x --flog\nrestart = always\n");
	assert_true(manifest_find(m1, "a")->digest != manifest_find(m3, "a")->digest);
	assert_true(manifest_find(m1, "b")->digest != manifest_find(m3, "b")->digest);

	/* blanks, comments and line positions are not part of it */
	m4 = load_ok(
		"; new comment\n\n[service.a]\n  exec=/bin/x --flag   ; c\n\nrestart= always\n");
	assert_true(manifest_find(m1, "a")->digest == manifest_find(m4, "a")->digest);
	manifest_free(m1);
	manifest_free(m2);
	manifest_free(m3);
	manifest_free(m4);

	/* an added list item is a change */
	m1 = load_ok("[service.a]\nexec = /x\nenv = A=1\n");
	m2 = load_ok("[service.a]\nexec = /x\nenv = A=1\nenv = B=2\n");
	assert_true(manifest_find(m1, "a")->digest != manifest_find(m2, "a")->digest);
	manifest_free(m1);
	manifest_free(m2);
}

static void test_service_names(void **state)
{
	char t[256], name[70];
	struct manifest *m;
	struct cap c;

	(void)state;
	/* every length the contract allows works, keys included */
	for (int len = 1; len <= 64; len++) {
		memset(name, 'n', (size_t)len);
		name[len] = '\0';
		snprintf(t, sizeof(t), "[service.%s]\nexec = /x\nrestart = never\n", name);
		m = load(t, &c);
		if (c.n || !manifest_find(m, name)) {
			cap_dump(&c);
			fail_msg("a service name of %d characters does not load", len);
		}
		assert_int_equal(manifest_find(m, name)->restart, RESTART_NEVER);
		manifest_free(m);
	}
	name[64] = 'n';
	name[65] = '\0';
	snprintf(t, sizeof(t), "[service.%s]\nexec = /x\n", name);
	m = load_one_error(t, 1, "service name");
	assert_int_equal(m->nsvc, 0);
	manifest_free(m);
	m = load_ok("[service.A-z_0.9]\nexec = /x\n");
	assert_non_null(manifest_find(m, "A-z_0.9"));
	assert_null(manifest_find(m, "a-z_0.9"));
	manifest_free(m);
}

static void cap_any(void *arg, const char *msg)
{
	struct cap *c = arg;
	const char *colon = strchr(msg, ':');

	assert_non_null(colon);
	if (c->n < MAX_MSGS) {
		c->msg[c->n] = strdup(msg);
		c->line[c->n] = atoi(colon + 1);
		c->n++;
	}
}

static void test_manifest_load_file(void **state)
{
	char path[] = "/tmp/nucleus-test-XXXXXX";
	int fd = mkstemp(path), err = 0;
	struct manifest *m;
	struct cap c = {0};
	const char *text = "[service.a]\nexec = /x\nrestart = nah\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	m = manifest_load(path, cap_any, &c, &err);
	assert_non_null(m);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.line[0], 3);
	assert_int_equal(strncmp(c.msg[0], path, strlen(path)), 0);
	assert_int_equal(c.msg[0][strlen(path)], ':');
	cap_free(&c);
	manifest_free(m);
	unlink(path);
	err = 0;
	assert_null(manifest_load(path, NULL, NULL, &err));
	assert_int_equal(err, ENOENT);
}

/* An http probe's path is bounded: the request is built in a fixed buffer. */
static void test_http_path_bound(void **state)
{
	char buf[1024], val[400];
	struct manifest *m;

	(void)state;
	snprintf(val, sizeof(val), "http://127.0.0.1:80/%0256d", 0);
	svc_text(buf, sizeof(buf), "health", val, "");
	m = load_one_error(buf, 5, "a PATH of at most 256 characters");
	manifest_free(m);
	snprintf(val, sizeof(val), "http://127.0.0.1:80/%0255d", 0);
	svc_text(buf, sizeof(buf), "health", val, "");
	m = load_ok(buf);
	manifest_free(m);
}

/* A section given twice is one error, not a second one about a placeholder. */
static void test_duplicate_section_one_error(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_one_error("[service.a]\nexec = /bin/true\n[service.a]\nexec = /bin/false\n", 3,
			   "[service.a] given twice (first at line 1)");
	assert_null(manifest_find(m, "a"));
	manifest_free(m);
	m = load_one_error("[system]\nhostname = a\n[system]\nhostname = b\n", 3,
			   "[system] given twice (first at line 1)");
	manifest_free(m);
}

/* A NUL byte would cut the value silently: an error with its line. */
static void test_nul_byte(void **state)
{
	char path[] = "/tmp/nucleus-test-XXXXXX";
	static const char text[] =
		"[service.b]\nexec = /bin/true\n[service.a]\nexec = /bin/tr\0ue x\n";
	int fd = mkstemp(path), err = 0;
	struct cap c = {0};
	struct manifest *m;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	close(fd);
	m = manifest_load(path, cap_any, &c, &err);
	assert_non_null(m);
	assert_true(c.n >= 1);
	assert_int_equal(c.line[0], 4);
	assert_non_null(strstr(c.msg[0], "NUL byte"));
	assert_null(manifest_find(m, "a"));
	assert_non_null(manifest_find(m, "b"));
	cap_free(&c);
	manifest_free(m);
	unlink(path);
}

/* Durations past a year are refused, and the message names the bound. */
static void test_duration_bound(void **state)
{
	char buf[1024];
	struct manifest *m;

	(void)state;
	svc_text(buf, sizeof(buf), "restart_delay", "9223372036854775807ms", "");
	m = load_one_error(buf, 5, "8760h (365 days)");
	assert_null(manifest_find(m, "a"));
	manifest_free(m);
	svc_text(buf, sizeof(buf), "stop_timeout", "8760h", "");
	m = load_ok(buf);
	assert_true(manifest_find(m, "a")->stop_timeout_ms == 8760ull * 3600 * 1000);
	manifest_free(m);
	m = load_one_error("[system]\nshutdown_timeout = 99999999999h\n", 2, "8760h");
	assert_true(m->sys_invalid);
	manifest_free(m);
}

/* No control character of the manifest reaches the terminal raw. */
static void test_control_chars_escaped(void **state)
{
	struct manifest *m;
	struct cap c;

	(void)state;
	m = load("[service.\x1b[31mred]\nexec = /bin/true\n[service.b]\nexec = /bin/true\n"
		 "user = \x1b]0;pwned\x07\n",
		 &c);
	assert_int_equal(c.n, 2);
	for (int i = 0; i < c.n; i++)
		for (const char *p = c.msg[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fail_msg("raw control character in '%s'", c.msg[i]);
	want_error(&c, 1, "[service.\\x1b[31mred]");
	want_error(&c, 5, "\\x1b]0;pwned\\x07");
	cap_free(&c);
	manifest_free(m);
}

static void test_mount_options_parse(void **state)
{
	unsigned long fl;
	char data[64];

	(void)state;
	assert_int_equal(mount_options_parse(NULL, &fl, data, sizeof(data)), 0);
	assert_true(fl == 0);
	assert_string_equal(data, "");
	assert_int_equal(mount_options_parse("defaults", &fl, data, sizeof(data)), 0);
	assert_true(fl == 0);
	assert_int_equal(mount_options_parse("ro,nosuid,nodev,noexec", &fl, data, sizeof(data)), 0);
	assert_true(fl == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
	assert_string_equal(data, "");
	assert_int_equal(mount_options_parse("ro,rw", &fl, data, sizeof(data)), 0);
	assert_true(fl == 0);
	assert_int_equal(
		mount_options_parse("noatime,size=64m,mode=0755,nosuid", &fl, data, sizeof(data)),
		0);
	assert_true(fl == (MS_NOATIME | MS_NOSUID));
	assert_string_equal(data, "size=64m,mode=0755");
	assert_int_equal(mount_options_parse("rbind", &fl, data, sizeof(data)), 0);
	assert_true(fl == (MS_BIND | MS_REC));
	assert_int_equal(mount_options_parse(",,ro,,", &fl, data, sizeof(data)), 0);
	assert_true(fl == MS_RDONLY);
	assert_int_equal(
		mount_options_parse("relatime,strictatime,lazytime", &fl, data, sizeof(data)), 0);
	assert_true(fl == (MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME));
	/* data that does not fit is an error, not a truncation */
	assert_int_equal(mount_options_parse("a=0123456789,b=0123456789", &fl, data, 16), -E2BIG);
	assert_int_equal(mount_options_parse("a=0123456789", &fl, data, 13), 0);
	assert_string_equal(data, "a=0123456789");
	assert_int_equal(mount_options_parse("a=0123456789", &fl, data, 12), -E2BIG);
}

/* Issue 16: require, on_unmet, landlock, seccomp learn and seccomp_log; warnings. */
static void test_policy_keys(void **state)
{
	struct manifest *m;

	(void)state;
	m = load_ok("[system]\nrequire = cgroup2 lockdown=integrity\nrequire = nftables "
		    "lockdown=confidentiality\non_unmet = stay\n"
		    "[service.a]\nexec = /bin/true\nlandlock = yes\nlandlock_rw = /proc /srv\n"
		    "seccomp = learn\nseccomp_log = no\nuser = nobody\nnetwork = none\n");
	assert_int_equal(m->sys.require, REQ_CGROUP2 | REQ_LOCKDOWN | REQ_NFTABLES);
	assert_int_equal(m->sys.require_lockdown, LOCKDOWN_CONFIDENTIALITY);
	assert_int_equal(m->sys.on_unmet, POWER_STAY);
	assert_int_equal(m->svcs[0]->landlock, LANDLOCK_YES);
	assert_string_equal(m->svcs[0]->landlock_rw[1], "/srv");
	assert_string_equal(m->svcs[0]->seccomp, "learn");
	assert_false(m->svcs[0]->seccomp_log);
	/* learn gives every call away: a warning, the only one */
	assert_int_equal(m->nwarnings, 1);
	assert_non_null(strstr(m->warnings[0], ":9: warning: a: seccomp = learn"));
	manifest_free(m);
	/* the defaults: nothing required, poweroff, Landlock where the kernel has it */
	m = load_ok("[service.a]\nexec = /bin/true\n");
	assert_int_equal(m->sys.require, 0);
	assert_int_equal(m->sys.on_unmet, POWER_POWEROFF);
	assert_int_equal(m->svcs[0]->landlock, LANDLOCK_AUTO);
	assert_true(m->svcs[0]->seccomp_log);
	manifest_free(m);
	/* publish on one address, egress by protocol, egress_log */
	m = load_ok("[service.b]\nexec = /bin/true\nnetwork = bridge\n"
		    "publish = 127.0.0.1:9090:80/udp 8080:80\n"
		    "egress = 10.0.0.0/8:53/udp 192.0.2.0/24/tcp\negress_log = yes\n");
	assert_string_equal(m->svcs[0]->publish[0], "127.0.0.1:9090:80/udp");
	assert_string_equal(m->svcs[0]->egress[1], "192.0.2.0/24/tcp");
	assert_true(m->svcs[0]->egress_log);
	manifest_free(m);
	manifest_free(load_one_error("[service.b]\nexec = /bin/true\nnetwork = bridge\n"
				     "publish = ::1:9090:80\n",
				     4, "ADDR an IPv4 address"));
	manifest_free(load_one_error("[service.b]\nexec = /bin/true\nnetwork = bridge\n"
				     "egress = 10.0.0.0/8:53/sctp\n",
				     4, "CIDR[:PORT][/tcp|/udp]"));
	manifest_free(load_one_error("[system]\nrequire = lockdown\n", 2, "require"));
	manifest_free(load_one_error("[system]\non_unmet = reboot\n", 2, "poweroff or stay"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_empty_manifest),
		cmocka_unit_test(test_full_service),
		cmocka_unit_test(test_exec_words_and_comments),
		cmocka_unit_test(test_bad_exec),
		cmocka_unit_test(test_invalid_required_key_reported_once),
		cmocka_unit_test(test_empty_value),
		cmocka_unit_test(test_bad_types_and_enums),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_probes_in_manifest),
		cmocka_unit_test(test_probe_parse),
		cmocka_unit_test(test_cpu_max),
		cmocka_unit_test(test_publish_egress),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_volume_refused_helpers),
		cmocka_unit_test(test_secrets_caps_seccomp),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_duplicate_scalar),
		cmocka_unit_test(test_lists_accumulate),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_two_malformed_headers),
		cmocka_unit_test(test_line_without_equals),
		cmocka_unit_test(test_malformed_line_drops_service),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_long_line_drops_service),
		cmocka_unit_test(test_missing_exec),
		cmocka_unit_test(test_cross_key_rules),
		cmocka_unit_test(test_dependencies),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_many_errors_each_line),
		cmocka_unit_test(test_system),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_mount_sections),
		cmocka_unit_test(test_interface_sections),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_manifest_load_file),
		cmocka_unit_test(test_mount_options_parse),
		cmocka_unit_test(test_duplicate_section_one_error),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_duration_bound),
		cmocka_unit_test(test_control_chars_escaped),
		cmocka_unit_test(test_http_path_bound),
		cmocka_unit_test(test_policy_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
