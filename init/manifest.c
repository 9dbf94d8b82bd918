// SPDX-License-Identifier: MIT
/*
 * manifest.c - INI -> struct manifest.
 *
 * Two passes. inih, fed by our own line reader (which counts lines, since
 * Debian's inih does not hand them to the handler), collects every key of
 * every section with its line. Then each section is validated key by key
 * against the v1 schema. Every error names PATH:LINE; a service with an error
 * is dropped from the result, the others stay.
 */
#include "manifest.h"
#include "isolate/path.h"
#include "util.h"
#include "log.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <ini.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_LINE 4096

struct raw_kv {
	char *key, *value;
	int line;
};

struct raw_section {
	char *name;
	int line;
	struct raw_kv *kv;
	int nkv;
	bool bad;
};

struct loader {
	const char *path;
	manifest_err_fn fn;
	void *arg;
	struct manifest *m;
	/* reader state */
	FILE *fp;
	const char *text;
	int line;
	bool in_bad_line;
	/* sections, in file order */
	struct raw_section *secs;
	int nsec;
	bool oom;
};

static void lerr(struct loader *L, int line, const char *fmt, ...) PRINTF(3, 4);

static void lerr(struct loader *L, int line, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "%s:%d: ", L->path, line);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	L->m->nerrors++;
	if (L->fn)
		L->fn(L->arg, msg);
}

static char *xstrdup(struct loader *L, const char *s)
{
	char *d = strdup(s);

	if (!d)
		L->oom = true;
	return d;
}

static void *xrealloc(struct loader *L, void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		L->oom = true;
	return q;
}

/* ---- pass 1: lines, sections, keys ------------------------------------ */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void begin_section(struct loader *L, const char *name, int line)
{
	struct raw_section *s;

	/*
	 * A repeated section is an error for both; its keys still need a
	 * section of their own so they never land in the one before it.
	 */
	for (int i = 0; name[0] != '\x01' && i < L->nsec; i++) {
		if (!strcmp(L->secs[i].name, name)) {
			lerr(L, line, "[%s] given twice (first at line %d)", name, L->secs[i].line);
			L->secs[i].bad = true;
			name = "\x01duplicate";
			break;
		}
	}
	s = xrealloc(L, L->secs, sizeof(*s) * (size_t)(L->nsec + 1));
	if (!s)
		return;
	L->secs = s;
	s = &L->secs[L->nsec];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(L, name);
	s->line = line;
	if (s->name)
		L->nsec++;
}

/* An error on a line of the current section drops that section. */
static void mark_bad(struct loader *L)
{
	if (L->nsec)
		L->secs[L->nsec - 1].bad = true;
}

/*
 * Looks at one whole line before inih does: it counts lines, opens sections
 * (inih calls no handler for a section without keys), and reports the lines
 * inih would only count as its first error.
 */
static void check_line(struct loader *L, const char *raw, size_t len)
{
	char buf[MAX_LINE];
	char *s;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, raw, len);
	buf[len] = '\0';
	s = trim(buf);
	if (L->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s == '[') {
		char *end = strchr(s, ']');
		const char *rest = end ? trim(end + 1) : NULL;

		if (!end || (*rest && *rest != ';' && *rest != '#')) {
			lerr(L, L->line, "malformed section header '%s'", s);
			begin_section(L, "\x01invalid", L->line);
			return;
		}
		*end = '\0';
		begin_section(L, trim(s + 1), L->line);
		return;
	}
	size_t eq = strcspn(s, "=:");
	if (s[eq] != '=') {
		lerr(L, L->line, "expected 'key = value' or '[section]', got '%s'", s);
		mark_bad(L);
		return;
	}
	if (L->nsec == 0)
		lerr(L, L->line, "key '%.*s' outside of any section", (int)eq, s);
}

static char *reader(char *buf, int num, void *stream)
{
	struct loader *L = stream;
	size_t len = 0;
	bool too_long = false, eof = false;

	/* Read one whole line, however long; keep what fits. */
	for (;;) {
		int c;

		if (L->fp) {
			c = getc(L->fp);
		} else {
			c = *L->text ? (unsigned char)*L->text++ : EOF;
		}
		if (c == EOF) {
			eof = true;
			break;
		}
		if (len + 1 < (size_t)num)
			buf[len++] = (char)c;
		else
			too_long = true;
		if (c == '\n')
			break;
	}
	if (eof && len == 0 && !too_long)
		return NULL;
	buf[len] = '\0';
	L->line++;
	if (too_long) {
		lerr(L, L->line, "line longer than %d characters", num - 2);
		mark_bad(L);
		/* Hand inih an empty line so the rest still parses. */
		strcpy(buf, "\n");
		return buf;
	}
	check_line(L, buf, len);
	return buf;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *L = user;
	struct raw_section *s;
	struct raw_kv *kv;

	/*
	 * Our reader opened the section this key belongs to; inih's copy of
	 * the name is cut at 49 characters, so it is not compared.
	 */
	(void)section;
	if (L->nsec == 0)
		return 1; /* reported by check_line already */
	s = &L->secs[L->nsec - 1];
	kv = xrealloc(L, s->kv, sizeof(*kv) * (size_t)(s->nkv + 1));
	if (!kv)
		return 1;
	s->kv = kv;
	kv = &s->kv[s->nkv];
	kv->key = xstrdup(L, name);
	kv->value = xstrdup(L, value);
	kv->line = L->line;
	if (kv->key && kv->value)
		s->nkv++;
	return 1;
}

/* ---- pass 2: typed values --------------------------------------------- */

/*
 * Each key has a parser: it stores the value or returns a negative errno
 * with *why describing what was expected.
 */
typedef int (*val_fn)(struct loader *L, void *obj, const char *v, const char **why);

struct key_def {
	const char *key;
	val_fn fn;
	uint64_t set; /* SET_* bit for services */
	bool list;    /* may be given more than once: items accumulate */
};

static int put_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* Appends the items of v (blank-separated) to the vector *dst. */
static int put_list(char ***dst, const char *v)
{
	char **items, **nv;
	int n, old = strv_len(*dst);

	if (split_list(v, &items, &n))
		return -ENOMEM;
	nv = realloc(*dst, sizeof(char *) * (size_t)(old + n + 1));
	if (!nv) {
		free(items);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		nv[old + i] = strdup(items[i]);
		if (!nv[old + i]) {
			nv[old + i] = NULL;
			*dst = nv;
			free(items);
			return -ENOMEM;
		}
	}
	nv[old + n] = NULL;
	*dst = nv;
	free(items);
	return 0;
}

static void strv_free(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static bool valid_abs_path(const char *p)
{
	return p[0] == '/' && strlen(p) < 4096;
}

static int valid_ip(const char *s, int *family)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* ADDR/PREFIX with the prefix in range for the family. */
static int valid_cidr(const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	uint64_t pfx;
	int fam;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (valid_ip(addr, &fam))
		return -EINVAL;
	if (parse_uint(slash + 1, fam == AF_INET ? 32 : 128, &pfx))
		return -EINVAL;
	return 0;
}

#define OBJ(T) T *c = obj

/*
 * One accessor per key keeps the table declarative; the typed ones differ
 * only in the parser and the field, so a macro writes them.
 */
#define FIELD_KEY(fn, parse, field)                                                                \
	static int fn(struct loader *L, void *obj, const char *v, const char **why)                \
	{                                                                                          \
		OBJ(struct svc_conf);                                                              \
		(void)L;                                                                           \
		return parse(&c->field, v, why);                                                   \
	}
#define DUR_KEY(fn, field) FIELD_KEY(fn, dur, field)

/* ---- [service.NAME] keys ---- */

static int v_exec(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **argv;
	int argc, r;

	(void)L;
	r = split_words(v, &argv, &argc, why);
	if (r)
		return r;
	if (argc == 0) {
		free(argv);
		*why = "empty command";
		return -EINVAL;
	}
	free(c->argv);
	c->argv = argv;
	return 0;
}

static int v_type(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!strcmp(v, "longrun"))
		c->type = SVC_LONGRUN;
	else if (!strcmp(v, "oneshot"))
		c->type = SVC_ONESHOT;
	else {
		*why = "expected longrun or oneshot";
		return -EINVAL;
	}
	return 0;
}

/* name or uid, optionally :group or :gid */
static bool valid_ident(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(ch == '_' || ch == '-' || ch == '.' || (ch >= '0' && ch <= '9') ||
		      (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch == '$' && i == n - 1)))
			return false;
	}
	return true;
}

static int v_user(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	(void)L;
	if (!valid_ident(v, n) || (colon && !valid_ident(colon + 1, strlen(colon + 1)))) {
		*why = "expected NAME or UID, optionally :GROUP or :GID";
		return -EINVAL;
	}
	return put_str(&c->user, v);
}

static int v_groups(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n, r;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (!valid_ident(items[i], strlen(items[i]))) {
			*why = "expected group names or GIDs";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	r = put_list(&c->groups, v);
	return r;
}

static int v_abs_path(char **dst, const char *v, const char **why)
{
	if (!valid_abs_path(v)) {
		*why = "expected an absolute path";
		return -EINVAL;
	}
	return put_str(dst, v);
}

FIELD_KEY(v_workdir, v_abs_path, workdir)

FIELD_KEY(v_env_file, v_abs_path, env_file)

static bool valid_env_name(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(ch == '_' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z')))
			return false;
	}
	return true;
}

/* Items are split like exec words, so a value may hold blanks: A="x y". */
static int v_env(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **words, **nv;
	int n, old = strv_len(c->env), r;

	(void)L;
	r = split_words(v, &words, &n, why);
	if (r)
		return r;
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');

		if (!eq || !valid_env_name(words[i], (size_t)(eq - words[i]))) {
			*why = "expected KEY=VALUE items with KEY of letters, digits and _";
			free(words);
			return -EINVAL;
		}
	}
	nv = realloc(c->env, sizeof(char *) * (size_t)(old + n + 1));
	if (!nv) {
		free(words);
		return -ENOMEM;
	}
	c->env = nv;
	for (int i = 0; i < n; i++) {
		nv[old + i] = strdup(words[i]);
		nv[old + i + 1] = NULL;
		if (!nv[old + i]) {
			free(words);
			return -ENOMEM;
		}
	}
	nv[old + n] = NULL;
	free(words);
	return 0;
}

static int parse_output(struct output *o, const char *v, const char **why)
{
	if (!strcmp(v, "log"))
		o->kind = OUT_LOG;
	else if (!strcmp(v, "console"))
		o->kind = OUT_CONSOLE;
	else if (!strcmp(v, "null"))
		o->kind = OUT_NULL;
	else if (!strncmp(v, "file:", 5) && valid_abs_path(v + 5)) {
		o->kind = OUT_FILE;
		return put_str(&o->path, v + 5);
	} else {
		*why = "expected log, console, null or file:/ABSOLUTE/PATH";
		return -EINVAL;
	}
	return 0;
}

FIELD_KEY(v_stdout, parse_output, out)

FIELD_KEY(v_stderr, parse_output, err)

static int v_names(char ***dst, const char *v, const char **why)
{
	char **items;
	int n;

	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (!valid_name(items[i])) {
			*why = "expected service names ([A-Za-z0-9_.-]{1,64})";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return put_list(dst, v);
}

FIELD_KEY(v_after, v_names, after)

FIELD_KEY(v_requires, v_names, requires)

static int v_restart(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!strcmp(v, "always"))
		c->restart = RESTART_ALWAYS;
	else if (!strcmp(v, "on-failure"))
		c->restart = RESTART_ON_FAILURE;
	else if (!strcmp(v, "never"))
		c->restart = RESTART_NEVER;
	else {
		*why = "expected always, on-failure or never";
		return -EINVAL;
	}
	return 0;
}

static int dur(uint64_t *dst, const char *v, const char **why)
{
	if (parse_duration(v, dst)) {
		*why = "expected a duration such as 500ms, 10s, 5m, 1h";
		return -EINVAL;
	}
	return 0;
}

DUR_KEY(v_restart_delay, restart_delay_ms)
DUR_KEY(v_restart_delay_max, restart_delay_max_ms)
DUR_KEY(v_stop_timeout, stop_timeout_ms)
DUR_KEY(v_ready_timeout, ready_timeout_ms)
DUR_KEY(v_health_interval, health_interval_ms)
DUR_KEY(v_health_timeout, health_timeout_ms)
DUR_KEY(v_health_start_period, health_start_period_ms)
DUR_KEY(v_watchdog, watchdog_ms)

static int v_start_limit(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_rate(v, &c->start_limit_n, &c->start_limit_ms) || c->start_limit_n > 256) {
		*why = "expected N/DURATION such as 5/60s, N at most 256";
		return -EINVAL;
	}
	return 0;
}

static int v_stop_signal(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_signal(v, &c->stop_signal)) {
		*why = "expected a signal name such as TERM, SIGINT, QUIT";
		return -EINVAL;
	}
	return 0;
}

static int b(bool *dst, const char *v, const char **why)
{
	if (parse_bool(v, dst)) {
		*why = "expected yes/no, true/false or 1/0";
		return -EINVAL;
	}
	return 0;
}

FIELD_KEY(v_critical, b, critical)

FIELD_KEY(v_isolate, b, isolate)

FIELD_KEY(v_nnp, b, no_new_privileges)

static int power(enum power_action *dst, const char *v, bool allow_stay, const char **why)
{
	if (!strcmp(v, "reboot"))
		*dst = POWER_REBOOT;
	else if (!strcmp(v, "poweroff"))
		*dst = POWER_POWEROFF;
	else if (!strcmp(v, "halt"))
		*dst = POWER_HALT;
	else if (allow_stay && !strcmp(v, "stay"))
		*dst = POWER_STAY;
	else {
		*why = allow_stay ? "expected stay, poweroff, reboot or halt"
				  : "expected reboot, poweroff or halt";
		return -EINVAL;
	}
	return 0;
}

const char *power_action_name(enum power_action a)
{
	switch (a) {
	case POWER_STAY:
		return "stay";
	case POWER_POWEROFF:
		return "poweroff";
	case POWER_REBOOT:
		return "reboot";
	case POWER_HALT:
		return "halt";
	default:
		return "none";
	}
}

static int v_on_critical(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return power(&c->on_critical, v, false, why);
}

static int parse_port(const char *s, uint16_t *port)
{
	uint64_t p;

	if (parse_uint(s, 65535, &p) || p == 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* HOST:PORT where HOST may be [v6]. */
static int parse_hostport(const char *s, struct probe *p, const char **rest)
{
	const char *colon, *hs = s, *he;
	char port[8];
	size_t n;
	int fam;

	if (*s == '[') {
		he = strchr(s, ']');
		if (!he || he[1] != ':')
			return -EINVAL;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon)
			return -EINVAL;
		he = colon;
	}
	n = strcspn(colon + 1, "/");
	if (n == 0 || n >= sizeof(port))
		return -EINVAL;
	memcpy(port, colon + 1, n);
	port[n] = '\0';
	if (parse_port(port, &p->port))
		return -EINVAL;
	p->host = strndup(hs, (size_t)(he - hs));
	if (!p->host)
		return -ENOMEM;
	if (!*p->host || (valid_ip(p->host, &fam) && !valid_name(p->host)))
		return -EINVAL;
	*rest = colon + 1 + n;
	return 0;
}

static void probe_free(struct probe *p)
{
	free(p->host);
	free(p->path);
	free(p->argv);
	memset(p, 0, sizeof(*p));
}

int probe_parse(const char *s, bool ready, struct probe *p, const char **why)
{
	const char *rest;
	int r;

	probe_free(p);
	if (!strcmp(s, "none")) {
		p->kind = PROBE_NONE;
		return 0;
	}
	if (ready && !strcmp(s, "notify")) {
		p->kind = PROBE_NOTIFY;
		return 0;
	}
	if (ready && !strncmp(s, "fd:", 3)) {
		uint64_t fd;

		if (parse_uint(s + 3, 1023, &fd) || fd < 3) {
			*why = "fd:N needs N between 3 and 1023";
			return -EINVAL;
		}
		p->kind = PROBE_FD;
		p->fd = (int)fd;
		return 0;
	}
	if (!strncmp(s, "tcp:", 4)) {
		p->kind = PROBE_TCP;
		r = parse_hostport(s + 4, p, &rest);
		if (r || *rest) {
			*why = "expected tcp:HOST:PORT";
			probe_free(p);
			return r ? r : -EINVAL;
		}
		return 0;
	}
	if (!strncmp(s, "http://", 7)) {
		p->kind = PROBE_HTTP;
		r = parse_hostport(s + 7, p, &rest);
		if (r || (*rest && *rest != '/') || strpbrk(rest, " \t\r\n")) {
			*why = "expected http://HOST:PORT/PATH";
			probe_free(p);
			return r ? r : -EINVAL;
		}
		p->path = strdup(*rest ? rest : "/");
		return p->path ? 0 : -ENOMEM;
	}
	if (!strncmp(s, "exec:", 5)) {
		int argc;

		r = split_words(s + 5, &p->argv, &argc, why);
		if (r)
			return r;
		if (argc == 0) {
			*why = "exec: needs a command";
			probe_free(p);
			return -EINVAL;
		}
		p->kind = PROBE_EXEC;
		return 0;
	}
	*why = ready ? "expected none, notify, fd:N, tcp:HOST:PORT, http://HOST:PORT/PATH or "
		       "exec:CMD"
		     : "expected none, tcp:HOST:PORT, http://HOST:PORT/PATH or exec:CMD";
	return -EINVAL;
}

static int v_ready(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return probe_parse(v, true, &c->ready, why);
}

static int v_health(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return probe_parse(v, false, &c->health, why);
}

static int v_health_retries(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	uint64_t n;

	(void)L;
	if (parse_uint(v, 1000, &n) || n == 0) {
		*why = "expected a number from 1 to 1000";
		return -EINVAL;
	}
	c->health_retries = (unsigned)n;
	return 0;
}

static int v_on_unhealthy(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!strcmp(v, "restart"))
		c->on_unhealthy = UNHEALTHY_RESTART;
	else if (!strcmp(v, "stop"))
		c->on_unhealthy = UNHEALTHY_STOP;
	else if (!strcmp(v, "ignore"))
		c->on_unhealthy = UNHEALTHY_IGNORE;
	else {
		*why = "expected restart, stop or ignore";
		return -EINVAL;
	}
	return 0;
}

static int v_namespaces(struct loader *L, void *obj, const char *v, const char **why)
{
	static const struct {
		const char *n;
		unsigned bit;
	} ns[] = {{"mount", NS_MOUNT}, {"pid", NS_PID},	  {"ipc", NS_IPC},	{"uts", NS_UTS},
		  {"net", NS_NET},     {"user", NS_USER}, {"cgroup", NS_CGROUP}};
	OBJ(struct svc_conf);
	char **items;
	int n;
	unsigned bits = 0;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(ns); k++)
			if (!strcmp(items[i], ns[k].n))
				break;
		if (k == ARRAY_SIZE(ns)) {
			*why = "expected items of mount pid ipc uts net user cgroup";
			free(items);
			return -EINVAL;
		}
		bits |= ns[k].bit;
	}
	free(items);
	c->namespaces = bits;
	return 0;
}

static int v_network(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!strcmp(v, "host"))
		c->network = NET_HOST;
	else if (!strcmp(v, "none"))
		c->network = NET_NONE;
	else if (!strcmp(v, "bridge"))
		c->network = NET_BRIDGE;
	else {
		*why = "expected host, none or bridge";
		return -EINVAL;
	}
	return 0;
}

static int v_bridge(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (strlen(v) > 15 || !valid_name(v)) {
		*why = "expected an interface name of at most 15 characters";
		return -EINVAL;
	}
	return put_str(&c->bridge, v);
}

static int v_address(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	unsigned char a[4];

	(void)L;
	if (inet_pton(AF_INET, v, a) != 1) {
		*why = "expected an IPv4 address";
		return -EINVAL;
	}
	return put_str(&c->address, v);
}

static int v_subnet(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	uint64_t pfx;
	const char *slash = strchr(v, '/');

	(void)L;
	if (!slash || strchr(v, ':') || valid_cidr(v) || parse_uint(slash + 1, 30, &pfx) ||
	    pfx < 8) {
		*why = "expected an IPv4 CIDR with a prefix from 8 to 30, e.g. 10.88.0.0/16";
		return -EINVAL;
	}
	return put_str(&c->subnet, v);
}

static int v_publish(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char hp[8], cp[8];
		const char *proto = strchr(items[i], '/');
		const char *colon = strchr(items[i], ':');
		size_t hl = colon ? (size_t)(colon - items[i]) : 0;
		size_t cl =
			colon ? (size_t)((proto ? proto : colon + strlen(colon)) - colon - 1) : 0;
		uint16_t port;

		if (!colon || hl == 0 || hl >= sizeof(hp) || cl == 0 || cl >= sizeof(cp) ||
		    (proto && strcmp(proto, "/tcp") && strcmp(proto, "/udp")))
			goto bad;
		memcpy(hp, items[i], hl);
		hp[hl] = '\0';
		memcpy(cp, colon + 1, cl);
		cp[cl] = '\0';
		if (parse_port(hp, &port) || parse_port(cp, &port))
			goto bad;
	}
	free(items);
	return put_list(&c->publish, v);
bad:
	*why = "expected HOSTPORT:PORT[/tcp|/udp] items";
	free(items);
	return -EINVAL;
}

static int v_egress(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char cidr[64];
		const char *it = items[i];
		const char *colon;
		uint16_t port;

		if (!strcmp(it, "none") && n == 1)
			continue;
		/* CIDR[:PORT]: IPv4 only here, where ':' is unambiguous */
		colon = strchr(it, ':');
		size_t cl = colon ? (size_t)(colon - it) : strlen(it);
		if (cl >= sizeof(cidr))
			goto bad;
		memcpy(cidr, it, cl);
		cidr[cl] = '\0';
		if (!strchr(cidr, '/') || valid_cidr(cidr) ||
		    (colon && parse_port(colon + 1, &port)))
			goto bad;
	}
	free(items);
	return put_list(&c->egress, v);
bad:
	*why = "expected none, or IPv4 CIDR[:PORT] items";
	free(items);
	return -EINVAL;
}

static int v_hostname(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!valid_name(v)) {
		*why = "expected a host name of [A-Za-z0-9_.-], at most 64 characters";
		return -EINVAL;
	}
	return put_str(&c->hostname, v);
}

static int v_root(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (strcmp(v, "host") && !valid_abs_path(v)) {
		*why = "expected host or an absolute directory";
		return -EINVAL;
	}
	return put_str(&c->root, v);
}

/* The contract's refusals, exported for the runtime check after symlinks. */
const char *volume_source_refused(const char *src)
{
	static const char *const sensitive[] = {"/proc", "/sys",  "/dev", "/boot",
						"/etc",	 "/root", "/run"};
	char n[4096];

	if (path_norm(src, n, sizeof(n)))
		return "/";
	if (!strcmp(n, "/"))
		return "/";
	for (size_t i = 0; i < ARRAY_SIZE(sensitive); i++)
		if (path_under(n, sensitive[i]))
			return sensitive[i];
	return NULL;
}

const char *volume_dest_refused(const char *dst)
{
	static const char *const reserved[] = {"/bin",	"/dev", "/etc", "/lib",
					       "/proc", "/sys", "/usr", "/run/secrets"};
	char n[4096];

	if (path_norm(dst, n, sizeof(n)))
		return "/";
	if (!strcmp(n, "/"))
		return "/";
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (path_under(n, reserved[i]))
			return reserved[i];
	return NULL;
}

static int v_volumes(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;
	static char msg[160];

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char *it = items[i], *src = it, *dst, *opt;
		const char *bad;

		dst = strchr(it, ':');
		if (!dst)
			goto bad;
		*dst++ = '\0';
		opt = strchr(dst, ':');
		if (opt)
			*opt++ = '\0';
		if (!valid_abs_path(dst))
			goto bad;
		if (!strcmp(src, "tmpfs")) {
			uint64_t sz;

			if (opt && (parse_size(opt, &sz) || sz == 0))
				goto bad;
		} else {
			if (!valid_abs_path(src) || (opt && strcmp(opt, "ro") && strcmp(opt, "rw")))
				goto bad;
			if ((bad = volume_source_refused(src))) {
				snprintf(msg, sizeof(msg), "source %s is refused (under %s)", src,
					 bad);
				*why = msg;
				free(items);
				return -EPERM;
			}
		}
		if ((bad = volume_dest_refused(dst))) {
			snprintf(msg, sizeof(msg), "destination %s is refused (under %s)", dst,
				 bad);
			*why = msg;
			free(items);
			return -EPERM;
		}
	}
	free(items);
	return put_list(&c->volumes, v);
bad:
	*why = "expected SRC:DEST[:ro|:rw] or tmpfs:DEST[:SIZE] with absolute paths";
	free(items);
	return -EINVAL;
}

static int v_secrets(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char *src = items[i], *dst, *mode;
		uint64_t m;

		dst = strchr(src, ':');
		if (!dst)
			goto bad;
		*dst++ = '\0';
		mode = strchr(dst, ':');
		if (mode)
			*mode++ = '\0';
		if (!valid_abs_path(src) || !*dst || strstr(dst, ".."))
			goto bad;
		if (mode) {
			char *end;

			m = strtoull(mode, &end, 8);
			if (!*mode || *end || m > 07777)
				goto bad;
		}
	}
	free(items);
	return put_list(&c->secrets, v);
bad:
	*why = "expected SRC:DEST[:MODE] items with an absolute SRC and an octal MODE";
	free(items);
	return -EINVAL;
}

static int v_capabilities(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *name = items[i];

		if (!strncasecmp(name, "CAP_", 4))
			name += 4;
		if (capng_name_to_capability(name) < 0) {
			*why = "unknown capability (e.g. NET_BIND_SERVICE, CHOWN)";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return put_list(&c->capabilities, v);
}

static int v_seccomp(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (strcmp(v, "default") && strcmp(v, "none") && !valid_abs_path(v)) {
		*why = "expected default, none or an absolute path to a profile";
		return -EINVAL;
	}
	return put_str(&c->seccomp, v);
}

static int v_seccomp_allow(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (seccomp_syscall_resolve_name(items[i]) == __NR_SCMP_ERROR) {
			*why = "unknown system call name";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return put_list(&c->seccomp_allow, v);
}

static int sz(uint64_t *dst, const char *v, const char **why)
{
	if (parse_size(v, dst) || *dst == 0) {
		*why = "expected a size such as 64M, 1G or a byte count";
		return -EINVAL;
	}
	return 0;
}

FIELD_KEY(v_memory_max, sz, memory_max)

FIELD_KEY(v_memory_high, sz, memory_high)

int parse_cpu_max(const char *s, uint32_t *quota_us, uint32_t *period_us)
{
	uint64_t q, p = 100000;
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '%') {
		char num[16];

		if (n - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (parse_uint(num, 100000, &q) || q == 0)
			return -EINVAL;
		*quota_us = (uint32_t)(q * p / 100);
		*period_us = (uint32_t)p;
		return 0;
	}
	const char *slash = strchr(s, '/');
	char num[16];

	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (parse_uint(num, UINT32_MAX, &q) || parse_uint(slash + 1, 1000000, &p) || q < 1000 ||
	    p < 1000)
		return -EINVAL;
	*quota_us = (uint32_t)q;
	*period_us = (uint32_t)p;
	return 0;
}

static int v_cpu_max(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_cpu_max(v, &c->cpu_quota_us, &c->cpu_period_us)) {
		*why = "expected a percentage of one CPU (50%) or QUOTA/PERIOD in microseconds";
		return -EINVAL;
	}
	return 0;
}

static int v_pids_max(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_uint(v, 4194304, &c->pids_max) || c->pids_max == 0) {
		*why = "expected a number of tasks, at least 1";
		return -EINVAL;
	}
	return 0;
}

static int v_io_weight(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	uint64_t w;

	(void)L;
	if (parse_uint(v, 10000, &w) || w == 0) {
		*why = "expected a weight from 1 to 10000";
		return -EINVAL;
	}
	c->io_weight = (unsigned)w;
	return 0;
}

static int v_nofile(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_uint(v, 1 << 20, &c->nofile) || c->nofile < 3) {
		*why = "expected a number from 3 to 1048576";
		return -EINVAL;
	}
	return 0;
}

static int v_nproc(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_uint(v, 4194304, &c->nproc) || c->nproc == 0) {
		*why = "expected a number of processes, at least 1";
		return -EINVAL;
	}
	return 0;
}

static int v_oom_score_adj(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	long x;

	(void)L;
	if (parse_int(v, -1000, 1000, &x)) {
		*why = "expected a number from -1000 to 1000";
		return -EINVAL;
	}
	c->oom_score_adj = (int)x;
	return 0;
}

static const struct key_def svc_keys[] = {
	{"exec", v_exec, 0, false},
	{"type", v_type, 0, false},
	{"user", v_user, 0, false},
	{"groups", v_groups, 0, true},
	{"workdir", v_workdir, 0, false},
	{"env", v_env, 0, true},
	{"env_file", v_env_file, 0, false},
	{"stdout", v_stdout, 0, false},
	{"stderr", v_stderr, 0, false},
	{"after", v_after, 0, true},
	{"requires", v_requires, 0, true},
	{"restart", v_restart, 0, false},
	{"restart_delay", v_restart_delay, 0, false},
	{"restart_delay_max", v_restart_delay_max, 0, false},
	{"start_limit", v_start_limit, 0, false},
	{"stop_signal", v_stop_signal, 0, false},
	{"stop_timeout", v_stop_timeout, 0, false},
	{"critical", v_critical, 0, false},
	{"on_critical", v_on_critical, 0, false},
	{"ready", v_ready, 0, false},
	{"ready_timeout", v_ready_timeout, 0, false},
	{"health", v_health, SET_HEALTH, false},
	{"health_interval", v_health_interval, 0, false},
	{"health_timeout", v_health_timeout, 0, false},
	{"health_retries", v_health_retries, 0, false},
	{"health_start_period", v_health_start_period, 0, false},
	{"on_unhealthy", v_on_unhealthy, 0, false},
	{"watchdog", v_watchdog, SET_WATCHDOG, false},
	{"isolate", v_isolate, SET_ISOLATE, false},
	{"namespaces", v_namespaces, SET_NAMESPACES, false},
	{"network", v_network, SET_NETWORK, false},
	{"bridge", v_bridge, SET_BRIDGE, false},
	{"address", v_address, SET_ADDRESS, false},
	{"subnet", v_subnet, SET_SUBNET, false},
	{"publish", v_publish, SET_PUBLISH, true},
	{"egress", v_egress, SET_EGRESS, true},
	{"hostname", v_hostname, SET_HOSTNAME, false},
	{"root", v_root, SET_ROOT, false},
	{"volumes", v_volumes, SET_VOLUMES, true},
	{"secrets", v_secrets, SET_SECRETS, true},
	{"capabilities", v_capabilities, SET_CAPABILITIES, true},
	{"no_new_privileges", v_nnp, SET_NO_NEW_PRIVS, false},
	{"seccomp", v_seccomp, SET_SECCOMP, false},
	{"seccomp_allow", v_seccomp_allow, SET_SECCOMP_ALLOW, true},
	{"memory_max", v_memory_max, SET_MEMORY_MAX, false},
	{"memory_high", v_memory_high, SET_MEMORY_HIGH, false},
	{"cpu_max", v_cpu_max, SET_CPU_MAX, false},
	{"pids_max", v_pids_max, SET_PIDS_MAX, false},
	{"io_weight", v_io_weight, SET_IO_WEIGHT, false},
	{"nofile", v_nofile, 0, false},
	{"nproc", v_nproc, SET_NPROC, false},
	{"oom_score_adj", v_oom_score_adj, SET_OOM_SCORE_ADJ, false},
};

/* ---- [system] keys ---- */

static int y_hostname(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (!valid_name(v)) {
		*why = "expected a host name of [A-Za-z0-9_.-], at most 64 characters";
		return -EINVAL;
	}
	return put_str(&c->hostname, v);
}

static int y_modules(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (!valid_name(items[i])) {
			*why = "expected module names";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return put_list(&c->modules, v);
}

static int y_log_level(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	c->log_level = log_level_parse(v);
	if (c->log_level < 0) {
		*why = "expected error, warn, info or debug";
		return -EINVAL;
	}
	return 0;
}

static int y_runtime_dir(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (strlen(v) > 80) {
		*why = "too long for a socket path (at most 80 characters)";
		return -EINVAL;
	}
	return v_abs_path(&c->runtime_dir, v, why);
}

static int y_shutdown_timeout(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return dur(&c->shutdown_timeout_ms, v, why);
}

static int y_on_empty(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return power(&c->on_empty, v, true, why);
}

static int y_watchdog(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return v_abs_path(&c->watchdog, v, why);
}

static int y_watchdog_interval(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (dur(&c->watchdog_interval_ms, v, why))
		return -EINVAL;
	if (c->watchdog_interval_ms < 1000) {
		*why = "must be at least 1s";
		return -EINVAL;
	}
	return 0;
}

static const struct key_def sys_keys[] = {
	{"hostname", y_hostname, 0, false},
	{"modules", y_modules, 0, true},
	{"log_level", y_log_level, 0, false},
	{"runtime_dir", y_runtime_dir, 0, false},
	{"shutdown_timeout", y_shutdown_timeout, 0, false},
	{"on_empty", y_on_empty, 0, false},
	{"watchdog", y_watchdog, 0, false},
	{"watchdog_interval", y_watchdog_interval, 0, false},
};

/* ---- [mount.NAME] keys ---- */

static int m_what(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	(void)why;
	return put_str(&c->what, v);
}

static int m_where(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	return v_abs_path(&c->where, v, why);
}

static int m_type(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	if (strpbrk(v, " \t/")) {
		*why = "expected a file system type such as ext4, tmpfs";
		return -EINVAL;
	}
	return put_str(&c->type, v);
}

static int m_options(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	if (strpbrk(v, " \t")) {
		*why = "expected comma-separated options without blanks";
		return -EINVAL;
	}
	return put_str(&c->options, v);
}

static int m_required(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	return b(&c->required, v, why);
}

static const struct key_def mount_keys[] = {
	{"what", m_what, 0, false},	    {"where", m_where, 0, false},
	{"type", m_type, 0, false},	    {"options", m_options, 0, false},
	{"required", m_required, 0, false},
};

/* ---- [interface.NAME] keys ---- */

static int i_address(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (valid_cidr(items[i])) {
			*why = "expected ADDR/PREFIX items, IPv4 or IPv6";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return put_list(&c->address, v);
}

static int i_gateway(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	int fam;

	(void)L;
	if (valid_ip(v, &fam)) {
		*why = "expected an IPv4 or IPv6 address";
		return -EINVAL;
	}
	return put_str(&c->gateway, v);
}

static int i_mtu(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	uint64_t m;

	(void)L;
	if (parse_uint(v, 65535, &m) || m < 68) {
		*why = "expected an MTU from 68 to 65535";
		return -EINVAL;
	}
	c->mtu = (uint32_t)m;
	return 0;
}

static int i_dns(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	char **items;
	int n, fam;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (valid_ip(items[i], &fam)) {
			*why = "expected IPv4 or IPv6 addresses";
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return put_list(&c->dns, v);
}

static const struct key_def iface_keys[] = {
	{"address", i_address, 0, true},
	{"gateway", i_gateway, 0, false},
	{"mtu", i_mtu, 0, false},
	{"dns", i_dns, 0, true},
};

/* ---- section validation ------------------------------------------------ */

static const char *section_kind(const char *sec)
{
	return !strcmp(sec, "system") ? "[system]" : sec;
}

/*
 * Applies a section's keys through the table. Returns the number of errors.
 * *setbits collects the SET_* bits of the keys that were given.
 */
static int apply_keys(struct loader *L, struct raw_section *s, const struct key_def *defs,
		      size_t ndefs, void *obj, uint64_t *setbits, const char *who)
{
	int errors = 0;

	for (int i = 0; i < s->nkv; i++) {
		struct raw_kv *kv = &s->kv[i];
		const struct key_def *d = NULL;
		const char *why = NULL;
		int r;

		for (size_t k = 0; k < ndefs; k++)
			if (!strcmp(defs[k].key, kv->key))
				d = &defs[k];
		if (!d) {
			lerr(L, kv->line, "%s: unknown key '%s'", who, kv->key);
			errors++;
			continue;
		}
		if (!d->list) {
			for (int j = 0; j < i; j++) {
				if (!strcmp(s->kv[j].key, kv->key)) {
					lerr(L, kv->line, "%s: %s given twice (first at line %d)",
					     who, kv->key, s->kv[j].line);
					errors++;
					goto next;
				}
			}
		}
		if (!*kv->value && strcmp(kv->key, "env")) {
			lerr(L, kv->line, "%s: %s: empty value", who, kv->key);
			errors++;
			continue;
		}
		r = d->fn(L, obj, kv->value, &why);
		if (r == -ENOMEM) {
			L->oom = true;
			return errors + 1;
		}
		if (r) {
			lerr(L, kv->line, "%s: %s: invalid value '%s': %s", who, kv->key, kv->value,
			     why ? why : strerror(-r));
			errors++;
			continue;
		}
		if (setbits)
			*setbits |= d->set;
	next:;
	}
	return errors;
}

static bool has_key(const struct raw_section *s, const char *key)
{
	for (int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			return true;
	return false;
}

static int key_line(const struct raw_section *s, const char *key)
{
	for (int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			return s->kv[i].line;
	return s->line;
}

static uint64_t digest_section(const struct raw_section *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < s->nkv; i++) {
		for (const char *p = s->kv[i].key; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '=') * 1099511628211ULL;
		for (const char *p = s->kv[i].value; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '\n') * 1099511628211ULL;
	}
	return h;
}

static void svc_defaults(struct svc_conf *c)
{
	c->type = SVC_LONGRUN;
	c->restart = RESTART_ON_FAILURE;
	c->restart_delay_ms = 100;
	c->restart_delay_max_ms = 30000;
	c->start_limit_n = 5;
	c->start_limit_ms = 60000;
	c->stop_signal = 15; /* SIGTERM */
	c->stop_timeout_ms = 10000;
	c->on_critical = POWER_REBOOT;
	c->ready_timeout_ms = 30000;
	c->health_interval_ms = 10000;
	c->health_timeout_ms = 2000;
	c->health_retries = 3;
	c->on_unhealthy = UNHEALTHY_RESTART;
	c->isolate = true;
	c->namespaces = NS_MOUNT | NS_PID | NS_IPC | NS_UTS;
	c->network = NET_HOST;
	c->no_new_privileges = true;
	c->nofile = 1024;
}

/* Cross-key rules of one service. */
static int svc_rules(struct loader *L, struct raw_section *s, struct svc_conf *c)
{
	const char *who = c->name;
	int e = 0;

	if (!c->argv && !has_key(s, "exec")) {
		lerr(L, s->line, "%s: exec is required", who);
		e++;
	}
	if (c->restart_delay_max_ms < c->restart_delay_ms) {
		lerr(L, key_line(s, "restart_delay_max"),
		     "%s: restart_delay_max is shorter than restart_delay", who);
		e++;
	}
	if (c->watchdog_ms && c->ready.kind != PROBE_NOTIFY) {
		lerr(L, key_line(s, "watchdog"), "%s: watchdog needs ready = notify", who);
		e++;
	}
	if (c->ready_timeout_ms == 0) {
		lerr(L, key_line(s, "ready_timeout"), "%s: ready_timeout must be positive", who);
		e++;
	}
	if (c->health.kind != PROBE_NONE && c->health_interval_ms == 0) {
		lerr(L, key_line(s, "health_interval"), "%s: health_interval must be positive",
		     who);
		e++;
	}
	if (c->type == SVC_ONESHOT && c->ready.kind != PROBE_NONE) {
		lerr(L, key_line(s, "ready"),
		     "%s: a oneshot is ready when it exits successfully; "
		     "ready does not apply",
		     who);
		e++;
	}
	if (c->type == SVC_ONESHOT && c->health.kind != PROBE_NONE) {
		lerr(L, key_line(s, "health"), "%s: a oneshot has no health probe", who);
		e++;
	}
	if (!c->isolate &&
	    (c->set & (SET_NAMESPACES | SET_NETWORK | SET_ROOT | SET_VOLUMES | SET_SECRETS |
		       SET_HOSTNAME | SET_SECCOMP | SET_CAPABILITIES))) {
		lerr(L, key_line(s, "isolate"),
		     "%s: isolate = no runs in the host's namespaces; namespaces, network, root, "
		     "volumes, secrets, hostname, capabilities and seccomp do not apply",
		     who);
		e++;
	}
	if (c->network != NET_HOST)
		c->namespaces |= NS_NET;
	if ((c->set & (SET_ADDRESS | SET_SUBNET | SET_PUBLISH | SET_BRIDGE)) &&
	    c->network != NET_BRIDGE) {
		lerr(L, s->line, "%s: bridge, address, subnet and publish need network = bridge",
		     who);
		e++;
	}
	if ((c->set & SET_EGRESS) && c->network == NET_HOST) {
		lerr(L, key_line(s, "egress"), "%s: egress needs network = bridge or none", who);
		e++;
	}
	if ((c->set & SET_HOSTNAME) && !(c->namespaces & NS_UTS)) {
		lerr(L, key_line(s, "hostname"), "%s: hostname needs the uts namespace", who);
		e++;
	}
	if ((c->set & (SET_VOLUMES | SET_SECRETS | SET_ROOT)) && !(c->namespaces & NS_MOUNT)) {
		lerr(L, s->line, "%s: root, volumes and secrets need the mount namespace", who);
		e++;
	}
	if (c->ready.kind == PROBE_FD && c->ready.fd < 3) {
		lerr(L, key_line(s, "ready"), "%s: ready fd must be 3 or higher", who);
		e++;
	}
	return e;
}

static void load_service(struct loader *L, struct raw_section *s)
{
	struct svc_conf *c, **nv;
	const char *name = s->name + strlen("service.");
	int e;

	if (!valid_name(name)) {
		lerr(L, s->line, "[%s]: service name must match [A-Za-z0-9_.-]{1,64}", s->name);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		L->oom = true;
		return;
	}
	strlcpy_n(c->name, name, sizeof(c->name));
	c->line = s->line;
	c->digest = digest_section(s);
	svc_defaults(c);
	e = apply_keys(L, s, svc_keys, ARRAY_SIZE(svc_keys), c, &c->set, name);
	e += svc_rules(L, s, c);
	if (e || s->bad || L->oom) {
		svc_conf_free(c);
		s->bad = true;
		return;
	}
	nv = xrealloc(L, L->m->svcs, sizeof(*nv) * (size_t)(L->m->nsvc + 1));
	if (!nv) {
		svc_conf_free(c);
		return;
	}
	L->m->svcs = nv;
	nv[L->m->nsvc++] = c;
}

static void load_system(struct loader *L, struct raw_section *s)
{
	int e = apply_keys(L, s, sys_keys, ARRAY_SIZE(sys_keys), &L->m->sys, NULL, "[system]");

	L->m->sys.line = s->line;
	if (e || s->bad)
		L->m->sys_invalid = true;
}

static void load_sysctl(struct loader *L, struct raw_section *s)
{
	for (int i = 0; i < s->nkv; i++) {
		struct raw_kv *kv = &s->kv[i];
		struct sysctl_conf *n;
		const char *k = kv->key;

		if (!*k || k[0] == '.' || k[0] == '/' || strstr(k, "..") ||
		    strspn(k,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") !=
			    strlen(k)) {
			lerr(L, kv->line, "[sysctl]: invalid sysctl name '%s'", k);
			continue;
		}
		n = xrealloc(L, L->m->sysctls, sizeof(*n) * (size_t)(L->m->nsysctl + 1));
		if (!n)
			return;
		L->m->sysctls = n;
		n = &n[L->m->nsysctl];
		n->key = xstrdup(L, kv->key);
		n->value = xstrdup(L, kv->value);
		n->line = kv->line;
		L->m->nsysctl++;
	}
}

static void load_mount(struct loader *L, struct raw_section *s)
{
	const char *name = s->name + strlen("mount.");
	struct mount_conf mc = {.required = true}, *n;
	int e;

	if (!valid_name(name)) {
		lerr(L, s->line, "[%s]: mount name must match [A-Za-z0-9_.-]{1,64}", s->name);
		return;
	}
	strlcpy_n(mc.name, name, sizeof(mc.name));
	mc.line = s->line;
	e = apply_keys(L, s, mount_keys, ARRAY_SIZE(mount_keys), &mc, NULL, s->name);
	for (const char *req = "what\0where\0type\0"; *req; req += strlen(req) + 1) {
		if (!has_key(s, req)) {
			lerr(L, s->line, "%s: %s is required", s->name, req);
			e++;
		}
	}
	if (e || !(n = xrealloc(L, L->m->mounts, sizeof(*n) * (size_t)(L->m->nmount + 1)))) {
		free(mc.what);
		free(mc.where);
		free(mc.type);
		free(mc.options);
		return;
	}
	L->m->mounts = n;
	n[L->m->nmount++] = mc;
}

static void load_iface(struct loader *L, struct raw_section *s)
{
	const char *name = s->name + strlen("interface.");
	struct iface_conf ic = {0}, *n;
	int e;

	if (!valid_name(name) || strlen(name) > 15) {
		lerr(L, s->line, "[%s]: interface name must be at most 15 of [A-Za-z0-9_.-]",
		     s->name);
		return;
	}
	strlcpy_n(ic.name, name, sizeof(ic.name));
	ic.line = s->line;
	e = apply_keys(L, s, iface_keys, ARRAY_SIZE(iface_keys), &ic, NULL, s->name);
	if (e || !(n = xrealloc(L, L->m->ifaces, sizeof(*n) * (size_t)(L->m->niface + 1)))) {
		strv_free(ic.address);
		strv_free(ic.dns);
		free(ic.gateway);
		return;
	}
	L->m->ifaces = n;
	n[L->m->niface++] = ic;
}

/* ---- references and cycles -------------------------------------------- */

static struct raw_section *raw_service(struct loader *L, const char *name)
{
	char sec[80];

	snprintf(sec, sizeof(sec), "service.%s", name);
	for (int i = 0; i < L->nsec; i++)
		if (!strcmp(L->secs[i].name, sec))
			return &L->secs[i];
	return NULL;
}

static int find_idx(const struct manifest *m, const char *name)
{
	for (int i = 0; i < m->nsvc; i++)
		if (!strcmp(m->svcs[i]->name, name))
			return i;
	return -1;
}

static void drop_service(struct manifest *m, int i)
{
	svc_conf_free(m->svcs[i]);
	memmove(&m->svcs[i], &m->svcs[i + 1], sizeof(m->svcs[0]) * (size_t)(m->nsvc - i - 1));
	m->nsvc--;
}

/*
 * A dependency on a service that does not exist, or that was dropped for
 * its own errors, drops the dependent too; repeat until nothing changes.
 */
static void check_refs(struct loader *L)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (int i = 0; i < L->m->nsvc && !changed; i++) {
			struct svc_conf *c = L->m->svcs[i];
			struct raw_section *rs = raw_service(L, c->name);

			for (int pass = 0; pass < 2 && !changed; pass++) {
				char **deps = pass ? c->requires : c->after;
				const char *key = pass ? "requires" : "after";

				for (int d = 0; deps && deps[d]; d++) {
					const char *why = NULL;

					if (!strcmp(deps[d], c->name))
						why = "itself";
					else if (!raw_service(L, deps[d]))
						why = "a service that does not exist";
					else if (find_idx(L->m, deps[d]) < 0)
						why = "a service that is invalid";
					if (!why)
						continue;
					lerr(L, rs ? key_line(rs, key) : c->line,
					     "%s: %s '%s' names %s", c->name, key, deps[d], why);
					if (rs)
						rs->bad = true;
					drop_service(L->m, i);
					changed = true;
					break;
				}
			}
		}
	}
}

/* Depth-first search; colour 1 = on the stack, 2 = done. */
static int cycle_dfs(struct loader *L, int v, char *colour, int *stack, int depth)
{
	struct svc_conf *c = L->m->svcs[v];

	colour[v] = 1;
	stack[depth] = v;
	for (int pass = 0; pass < 2; pass++) {
		char **deps = pass ? c->requires : c->after;

		for (int d = 0; deps && deps[d]; d++) {
			int w = find_idx(L->m, deps[d]);

			if (w < 0)
				continue;
			if (colour[w] == 1) {
				char path[1024] = "";
				size_t o = 0;
				int k = depth;

				while (k > 0 && stack[k] != w)
					k--;
				for (int j = k; j <= depth; j++)
					o += (size_t)snprintf(
						path + o, o < sizeof(path) ? sizeof(path) - o : 0,
						"%s -> ", L->m->svcs[stack[j]]->name);
				if (o < sizeof(path))
					snprintf(path + o, sizeof(path) - o, "%s",
						 L->m->svcs[w]->name);
				struct raw_section *rs = raw_service(L, c->name);
				lerr(L, rs ? key_line(rs, pass ? "requires" : "after") : c->line,
				     "%s: dependency cycle: %s", c->name, path);
				return w;
			}
			if (colour[w] == 0) {
				int r = cycle_dfs(L, w, colour, stack, depth + 1);

				if (r >= 0)
					return r;
			}
		}
	}
	colour[v] = 2;
	return -1;
}

/* Services on a cycle are dropped; the report names the whole cycle. */
static void check_cycles(struct loader *L)
{
	for (;;) {
		int n = L->m->nsvc, found = -1;
		char *colour = calloc((size_t)n + 1, 1);
		int *stack = calloc((size_t)n + 1, sizeof(int));

		if (!colour || !stack) {
			free(colour);
			free(stack);
			L->oom = true;
			return;
		}
		for (int i = 0; i < n && found < 0; i++)
			if (!colour[i])
				found = cycle_dfs(L, i, colour, stack, 0);
		free(colour);
		free(stack);
		if (found < 0)
			return;
		drop_service(L->m, found);
		check_refs(L);
	}
}

/* ---- entry points ------------------------------------------------------ */

static void sys_defaults(struct sys_conf *s)
{
	s->log_level = 6; /* LOG_INFO */
	s->shutdown_timeout_ms = 10000;
	s->on_empty = POWER_STAY;
	s->watchdog_interval_ms = 10000;
}

static struct manifest *load(struct loader *L, int *err)
{
	int r;

	ini_use_stack = 0;
	ini_max_line = MAX_LINE;
	ini_initial_alloc = MAX_LINE;
	ini_allow_multiline = 0;
	ini_stop_on_first_error = 0;

	L->m = calloc(1, sizeof(*L->m));
	if (!L->m) {
		*err = ENOMEM;
		return NULL;
	}
	L->m->path = strdup(L->path);
	sys_defaults(&L->m->sys);
	r = ini_parse_stream(reader, L, handler, L);
	if (r == -2 || L->oom || !L->m->path)
		goto oom;
	for (int i = 0; i < L->nsec; i++) {
		struct raw_section *s = &L->secs[i];

		if (s->name[0] == '\x01')
			continue; /* malformed header, reported */
		if (!strcmp(s->name, "system"))
			load_system(L, s);
		else if (!strcmp(s->name, "sysctl"))
			load_sysctl(L, s);
		else if (!strncmp(s->name, "service.", 8))
			load_service(L, s);
		else if (!strncmp(s->name, "mount.", 6))
			load_mount(L, s);
		else if (!strncmp(s->name, "interface.", 10))
			load_iface(L, s);
		else
			lerr(L, s->line,
			     "unknown section [%s] (expected system, sysctl, "
			     "service.NAME, mount.NAME or interface.NAME)",
			     section_kind(s->name));
		if (L->oom)
			goto oom;
	}
	check_refs(L);
	check_cycles(L);
	if (L->oom)
		goto oom;
	return L->m;
oom:
	manifest_free(L->m);
	*err = ENOMEM;
	return NULL;
}

static void loader_free(struct loader *L)
{
	for (int i = 0; i < L->nsec; i++) {
		for (int k = 0; k < L->secs[i].nkv; k++) {
			free(L->secs[i].kv[k].key);
			free(L->secs[i].kv[k].value);
		}
		free(L->secs[i].kv);
		free(L->secs[i].name);
	}
	free(L->secs);
}

struct manifest *manifest_load(const char *path, manifest_err_fn fn, void *arg, int *err)
{
	struct loader L = {.path = path, .fn = fn, .arg = arg};
	struct manifest *m;

	L.fp = fopen(path, "re");
	if (!L.fp) {
		*err = errno;
		return NULL;
	}
	m = load(&L, err);
	fclose(L.fp);
	loader_free(&L);
	return m;
}

struct manifest *manifest_load_string(const char *text, const char *path, manifest_err_fn fn,
				      void *arg, int *err)
{
	struct loader L = {.path = path, .fn = fn, .arg = arg, .text = text};
	struct manifest *m = load(&L, err);

	loader_free(&L);
	return m;
}

void svc_conf_free(struct svc_conf *c)
{
	if (!c)
		return;
	free(c->argv);
	free(c->user);
	strv_free(c->groups);
	free(c->workdir);
	strv_free(c->env);
	free(c->env_file);
	free(c->out.path);
	free(c->err.path);
	strv_free(c->after);
	strv_free(c->requires);
	probe_free(&c->ready);
	probe_free(&c->health);
	free(c->bridge);
	free(c->address);
	free(c->subnet);
	free(c->hostname);
	free(c->root);
	free(c->seccomp);
	strv_free(c->publish);
	strv_free(c->egress);
	strv_free(c->volumes);
	strv_free(c->secrets);
	strv_free(c->capabilities);
	strv_free(c->seccomp_allow);
	free(c);
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nsvc; i++)
		svc_conf_free(m->svcs[i]);
	free(m->svcs);
	for (int i = 0; i < m->nsysctl; i++) {
		free(m->sysctls[i].key);
		free(m->sysctls[i].value);
	}
	free(m->sysctls);
	for (int i = 0; i < m->nmount; i++) {
		free(m->mounts[i].what);
		free(m->mounts[i].where);
		free(m->mounts[i].type);
		free(m->mounts[i].options);
	}
	free(m->mounts);
	for (int i = 0; i < m->niface; i++) {
		strv_free(m->ifaces[i].address);
		strv_free(m->ifaces[i].dns);
		free(m->ifaces[i].gateway);
	}
	free(m->ifaces);
	free(m->sys.hostname);
	strv_free(m->sys.modules);
	free(m->sys.runtime_dir);
	free(m->sys.watchdog);
	free(m->path);
	free(m);
}

struct svc_conf *manifest_find(const struct manifest *m, const char *name)
{
	int i = find_idx(m, name);

	return i < 0 ? NULL : m->svcs[i];
}
