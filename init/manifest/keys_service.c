// SPDX-License-Identifier: MIT
/*
 * keys_service.c - [service.NAME]: the process, order, restart and
 * readiness keys, the key table (the isolation keys are in
 * keys_isolation.c), the defaults, the cross-key rules and the loading of
 * one service section.
 */
#include "manifest/internal.h"
#include "isolate/caps.h"

#include <stdio.h>
#include <stdlib.h>

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
static int v_user(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	(void)L;
	if (!mf_valid_ident(v, n) || (colon && !mf_valid_ident(colon + 1, strlen(colon + 1)))) {
		*why = "expected NAME or UID, optionally :GROUP or :GID";
		return -EINVAL;
	}
	return mf_put_str(&c->user, v);
}

static bool group_item(const char *s)
{
	return mf_valid_ident(s, strlen(s));
}

static int v_groups(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_put_list_of(&c->groups, v, group_item, "expected group names or GIDs", why);
}

FIELD_KEY(v_workdir, mf_abs_path, workdir)
FIELD_KEY(v_log_ring, mf_ring_size, log_ring)

FIELD_KEY(v_env_file, mf_abs_path, env_file)

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
	else if (!strncmp(v, "file:", 5) && mf_valid_abs_path(v + 5)) {
		o->kind = OUT_FILE;
		return mf_put_str(&o->path, v + 5);
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
	return mf_put_list_of(dst, v, valid_name, "expected service names ([A-Za-z0-9_.-]{1,64})",
			      why);
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

FIELD_KEY(v_critical, mf_bool, critical)

FIELD_KEY(v_isolate, mf_bool, isolate)

FIELD_KEY(v_nnp, mf_bool, no_new_privileges)

static int v_on_critical(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_power(&c->on_critical, v, false, why);
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
	{"log_ring", v_log_ring, 0, false},
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
	{"no_new_privileges", v_nnp, SET_NO_NEW_PRIVS, false},
};

static const struct key_table svc_table = {svc_keys, ARRAY_SIZE(svc_keys), &mf_isolation_keys};

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
	c->memlock = 64 * 1024;
	c->landlock = LANDLOCK_AUTO;
	c->seccomp_log = true;
	c->tmp_size = 64ull << 20;
	c->run_size = 16ull << 20;
	c->shm_size = 64ull << 20;
}

/* Cross-key rules of one service's isolation. */
static int isolation_rules(struct loader *L, struct raw_section *s, struct svc_conf *c)
{
	const char *who = c->name;
	int e = 0;

	if (!c->isolate && (c->set & (SET_NAMESPACES | SET_NETWORK | SET_ROOT | SET_VOLUMES |
				      SET_SECRETS | SET_HOSTNAME | SET_SECCOMP | SET_CAPABILITIES |
				      SET_TMPFS_SIZE | SET_LANDLOCK))) {
		mf_err(L, mf_key_line(s, "isolate"),
		       "%s: isolate = no runs in the host's namespaces; namespaces, network, root, "
		       "volumes, secrets, hostname, capabilities, seccomp, landlock, tmp_size, "
		       "run_size and shm_size do not apply",
		       who);
		e++;
	}
	if (c->isolate && !(c->namespaces & NS_MOUNT) &&
	    (c->landlock == LANDLOCK_YES || c->landlock_rw || c->landlock_ro)) {
		mf_err(L, mf_key_line(s, "landlock"),
		       "%s: landlock needs the mount namespace (its rules are on the service's "
		       "root)",
		       who);
		e++;
	}
	if (c->network != NET_HOST)
		c->namespaces |= NS_NET;
	if ((c->set & (SET_ADDRESS | SET_SUBNET | SET_PUBLISH | SET_BRIDGE)) &&
	    c->network != NET_BRIDGE) {
		mf_err(L, s->line, "%s: bridge, address, subnet and publish need network = bridge",
		       who);
		e++;
	}
	if ((c->set & SET_EGRESS) && c->network == NET_HOST) {
		mf_err(L, mf_key_line(s, "egress"), "%s: egress needs network = bridge or none",
		       who);
		e++;
	}
	if ((c->set & SET_HOSTNAME) && !(c->namespaces & NS_UTS)) {
		mf_err(L, mf_key_line(s, "hostname"), "%s: hostname needs the uts namespace", who);
		e++;
	}
	if ((c->set & (SET_VOLUMES | SET_SECRETS | SET_ROOT | SET_TMPFS_SIZE)) &&
	    !(c->namespaces & NS_MOUNT)) {
		mf_err(L, s->line,
		       "%s: root, volumes, secrets, tmp_size, run_size and shm_size need the mount "
		       "namespace",
		       who);
		e++;
	}
	return e;
}

/* Cross-key rules of one service. */
static int svc_rules(struct loader *L, struct raw_section *s, struct svc_conf *c)
{
	const char *who = c->name;
	int e = 0;

	if (!c->argv && !mf_has_key(s, "exec")) {
		mf_err(L, s->line, "%s: exec is required", who);
		e++;
	}
	if (c->restart_delay_max_ms < c->restart_delay_ms) {
		mf_err(L, mf_key_line(s, "restart_delay_max"),
		       "%s: restart_delay_max is shorter than restart_delay", who);
		e++;
	}
	if (c->watchdog_ms && c->ready.kind != PROBE_NOTIFY) {
		mf_err(L, mf_key_line(s, "watchdog"), "%s: watchdog needs ready = notify", who);
		e++;
	}
	if (c->ready_timeout_ms == 0) {
		mf_err(L, mf_key_line(s, "ready_timeout"), "%s: ready_timeout must be positive",
		       who);
		e++;
	}
	if (c->health.kind != PROBE_NONE && c->health_interval_ms == 0) {
		mf_err(L, mf_key_line(s, "health_interval"), "%s: health_interval must be positive",
		       who);
		e++;
	}
	if (c->type == SVC_ONESHOT && c->ready.kind != PROBE_NONE) {
		mf_err(L, mf_key_line(s, "ready"),
		       "%s: a oneshot is ready when it exits successfully; "
		       "ready does not apply",
		       who);
		e++;
	}
	if (c->type == SVC_ONESHOT && c->health.kind != PROBE_NONE) {
		mf_err(L, mf_key_line(s, "health"), "%s: a oneshot has no health probe", who);
		e++;
	}
	if (c->ready.kind == PROBE_FD && c->ready.fd < 3) {
		mf_err(L, mf_key_line(s, "ready"), "%s: ready fd must be 3 or higher", who);
		e++;
	}
	return e + isolation_rules(L, s, c);
}

static bool runs_as_root(const struct svc_conf *c)
{
	const char *u = c->user;

	return !u || !strcmp(u, "root") || !strcmp(u, "0") || !strncmp(u, "root:", 5) ||
	       !strncmp(u, "0:", 2);
}

/*
 * What is valid but gives isolation away: warnings (--check prints them,
 * --check --strict fails on them). The capabilities that reach past the
 * service's own namespaces: loading code into the kernel, raw devices,
 * tracing, reading any file, the host's network configuration, BPF.
 */
static void policy_warnings(struct loader *L, struct raw_section *s, const struct svc_conf *c)
{
	static const char *const dangerous[] = {"SYS_ADMIN", "SYS_PTRACE",	"SYS_MODULE",
						"SYS_RAWIO", "DAC_READ_SEARCH", "NET_ADMIN",
						"BPF",	     "PERFMON",		"SYS_BOOT"};
	const char *who = c->name;

	if (!c->isolate) {
		if (runs_as_root(c))
			mf_warn(L, mf_key_line(s, "isolate"),
				"%s: isolate = no as root: the service runs in the host's "
				"namespaces "
				"with every capability",
				who);
		return;
	}
	for (char **cap = c->capabilities; cap && *cap; cap++)
		for (size_t k = 0; k < ARRAY_SIZE(dangerous); k++)
			if (caps_from_name(*cap) == caps_from_name(dangerous[k]))
				mf_warn(L, mf_key_line(s, "capabilities"),
					"%s: capabilities keeps %s, which reaches past the "
					"service's "
					"own namespaces",
					who, dangerous[k]);
	if (c->seccomp && (!strcmp(c->seccomp, "none") || !strcmp(c->seccomp, "learn")))
		mf_warn(L, mf_key_line(s, "seccomp"),
			"%s: seccomp = %s: every system call is allowed", who, c->seccomp);
	if (!c->no_new_privileges)
		mf_warn(L, mf_key_line(s, "no_new_privileges"),
			"%s: no_new_privileges = no: a set-user-ID program can gain privileges",
			who);
	if (runs_as_root(c) && !(c->namespaces & NS_USER) && c->network == NET_HOST)
		mf_warn(L, mf_key_line(s, "network"),
			"%s: root without a user namespace in the host's network (network = host): "
			"its capabilities apply to the host's interfaces and ports",
			who);
}

void mf_load_service(struct loader *L, struct raw_section *s)
{
	struct svc_conf *c, **nv;
	const char *name = s->name + strlen("service.");
	int e;

	if (!valid_name(name)) {
		mf_err(L, s->line, "[%s]: service name must match [A-Za-z0-9_.-]{1,64}", s->name);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		L->oom = true;
		return;
	}
	strlcpy_n(c->name, name, sizeof(c->name));
	c->line = s->line;
	c->digest = mf_digest_section(s);
	svc_defaults(c);
	e = mf_apply_keys(L, s, &svc_table, c, &c->set, name);
	e += svc_rules(L, s, c);
	if (e || s->bad || L->oom) {
		svc_conf_free(c);
		s->bad = true;
		return;
	}
	nv = mf_realloc(L, L->m->svcs, sizeof(*nv) * (size_t)(L->m->nsvc + 1));
	if (!nv) {
		svc_conf_free(c);
		return;
	}
	L->m->svcs = nv;
	nv[L->m->nsvc++] = c;
	policy_warnings(L, s, c);
}
