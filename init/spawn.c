// SPDX-License-Identifier: MIT
/*
 * spawn.c - the child's side of starting a service.
 *
 * Order (each step names itself in the report): signals, session, stdio,
 * environment, rlimits, oom_score_adj, identity, workdir, no_new_privs,
 * fds, exec. Everything after fork runs in the child, which only _exits.
 */
#include "spawn.h"
#include "users.h"
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

const char *spawn_unsupported(const struct svc_conf *c)
{
	static const struct {
		uint64_t bit;
		const char *key;
	} later[] = {
		{SET_NAMESPACES, "namespaces"},
		{SET_NETWORK, "network"},
		{SET_BRIDGE, "bridge"},
		{SET_ADDRESS, "address"},
		{SET_SUBNET, "subnet"},
		{SET_PUBLISH, "publish"},
		{SET_EGRESS, "egress"},
		{SET_HOSTNAME, "hostname"},
		{SET_ROOT, "root"},
		{SET_VOLUMES, "volumes"},
		{SET_SECRETS, "secrets"},
		{SET_CAPABILITIES, "capabilities"},
		{SET_SECCOMP, "seccomp"},
		{SET_SECCOMP_ALLOW, "seccomp_allow"},
		{SET_MEMORY_MAX, "memory_max"},
		{SET_MEMORY_HIGH, "memory_high"},
		{SET_CPU_MAX, "cpu_max"},
		{SET_PIDS_MAX, "pids_max"},
		{SET_IO_WEIGHT, "io_weight"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if (c->set & later[i].bit)
			return later[i].key;
	return NULL;
}

void spawn_reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* ---- environment ---- */

static int env_set(char ***envp, int *n, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char **v;

	for (int i = 0; i < *n; i++) {
		if (!strncmp((*envp)[i], kv, klen) && (*envp)[i][klen] == '=') {
			(*envp)[i] = (char *)kv;
			return 0;
		}
	}
	v = realloc(*envp, sizeof(char *) * (size_t)(*n + 2));
	if (!v)
		return -ENOMEM;
	v[(*n)++] = (char *)kv;
	v[*n] = NULL;
	*envp = v;
	return 0;
}

/* env_set() of a formatted KEY=VALUE; the string lives until exec. */
static int env_setf(char ***envp, int *n, const char *fmt, ...) PRINTF(3, 4);

static int env_setf(char ***envp, int *n, const char *fmt, ...)
{
	va_list ap;
	char *kv;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&kv, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return env_set(envp, n, kv);
}

/* KEY=VALUE lines; blank lines and # comments skipped; "..." or '...' stripped. */
static int env_file_load(const char *path, char ***envp, int *n, struct nerr *e)
{
	FILE *fp = fopen(path, "re");
	char line[4096];
	int lineno = 0;

	if (!fp)
		return nerr_set(e, "env_file", errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		char *s = line, *eq, *val, *kv;
		size_t vl;

		lineno++;
		s[strcspn(s, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		if (!strncmp(s, "export ", 7))
			s += 7;
		eq = strchr(s, '=');
		if (!eq || eq == s ||
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789_") != (size_t)(eq - s)) {
			fclose(fp);
			return nerr_set(e, "env_file", EINVAL, "%s:%d: expected KEY=VALUE", path,
					lineno);
		}
		val = eq + 1;
		vl = strlen(val);
		if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
			memmove(val, val + 1, vl - 2);
			val[vl - 2] = '\0';
		}
		kv = strdup(s);
		if (!kv || env_set(envp, n, kv)) {
			fclose(fp);
			return nerr_set(e, "env_file", ENOMEM, "%s: out of memory", path);
		}
	}
	fclose(fp);
	return 0;
}

int spawn_build_env(const struct svc_conf *c, const char *home, char ***envp, struct nerr *e)
{
	static char path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	int n = 0, r;

	*envp = NULL;
	if (env_set(envp, &n, path))
		return nerr_set(e, "env", ENOMEM, "out of memory");
	if (env_setf(envp, &n, "HOME=%s", home))
		return nerr_set(e, "env", ENOMEM, "out of memory");
	if (c->env_file) {
		r = env_file_load(c->env_file, envp, &n, e);
		if (r)
			return r;
	}
	for (int i = 0; c->env && c->env[i]; i++)
		if (env_set(envp, &n, c->env[i]))
			return nerr_set(e, "env", ENOMEM, "out of memory");
	return 0;
}

/* ---- the child ---- */

static int open_output(const struct output *o, int target, const struct spawn_io *io,
		       struct nerr *e)
{
	int fd = -1;

	switch (o->kind) {
	case OUT_LOG:
		fd = io->log_fd;
		break;
	case OUT_CONSOLE:
		fd = io->console_fd;
		break;
	case OUT_NULL:
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		break;
	case OUT_FILE:
		fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
		break;
	}
	if (fd < 0)
		return nerr_set(e, target == 1 ? "stdout" : "stderr", errno ? errno : EBADF,
				"%s: %s", o->kind == OUT_FILE ? o->path : "/dev/null",
				strerror(errno));
	if (fd != target && dup2(fd, target) < 0)
		return nerr_set(e, target == 1 ? "stdout" : "stderr", errno, "dup2: %s",
				strerror(errno));
	return 0;
}

static int setup_stdio(const struct svc_conf *c, const struct spawn_io *io, struct nerr *e)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0 || dup2(fd, 0) < 0)
		return nerr_set(e, "stdin", errno, "/dev/null: %s", strerror(errno));
	r = open_output(&c->out, 1, io, e);
	if (!r)
		r = open_output(&c->err, 2, io, e);
	return r;
}

static int setup_limits(const struct svc_conf *c, struct nerr *e)
{
	struct rlimit rl = {.rlim_cur = c->nofile, .rlim_max = c->nofile};
	char buf[16];
	int fd, n;

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return nerr_set(e, "nofile", errno, "RLIMIT_NOFILE %llu: %s",
				(unsigned long long)c->nofile, strerror(errno));
	if (c->nproc) {
		rl.rlim_cur = rl.rlim_max = c->nproc;
		if (setrlimit(RLIMIT_NPROC, &rl) < 0)
			return nerr_set(e, "nproc", errno, "RLIMIT_NPROC %llu: %s",
					(unsigned long long)c->nproc, strerror(errno));
	}
	if (c->set & SET_OOM_SCORE_ADJ) {
		fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		n = snprintf(buf, sizeof(buf), "%d", c->oom_score_adj);
		if (fd < 0 || write(fd, buf, (size_t)n) != n)
			return nerr_set(e, "oom_score_adj", errno, "/proc/self/oom_score_adj: %s",
					strerror(errno));
		close(fd);
	}
	return 0;
}

static int setup_identity(const struct ident *id, struct nerr *e)
{
	if (setgroups((size_t)id->ngroups, id->groups) < 0)
		return nerr_set(e, "groups", errno, "setgroups: %s", strerror(errno));
	if (setgid(id->gid) < 0)
		return nerr_set(e, "user", errno, "setgid %u: %s", (unsigned)id->gid,
				strerror(errno));
	if (setuid(id->uid) < 0)
		return nerr_set(e, "user", errno, "setuid %u: %s", (unsigned)id->uid,
				strerror(errno));
	return 0;
}

/* What the loop-facing side of readiness needs in the child's environment. */
static int notify_env(const struct spawn_io *io, char ***envp, struct nerr *e)
{
	int n = strv_len(*envp);

	if ((io->notify_socket && env_setf(envp, &n, "NOTIFY_SOCKET=%s", io->notify_socket)) ||
	    (io->watchdog_usec &&
	     (env_setf(envp, &n, "WATCHDOG_USEC=%llu", (unsigned long long)io->watchdog_usec) ||
	      env_setf(envp, &n, "WATCHDOG_PID=%d", (int)getpid()))))
		return nerr_set(e, "env", ENOMEM, "out of memory");
	return 0;
}

static int child_setup(const struct svc_conf *c, const struct spawn_io *io, struct nerr *e,
		       char ***envp)
{
	struct ident id;
	int r;

	spawn_reset_signals();
	if (setsid() < 0)
		return nerr_set(e, "setsid", errno, "setsid: %s", strerror(errno));
	r = setup_stdio(c, io, e);
	if (r)
		return r;
	r = ident_resolve("", c->user, c->groups, &id, e);
	if (r)
		return r;
	r = spawn_build_env(c, id.home, envp, e);
	if (!r)
		r = notify_env(io, envp, e);
	if (r)
		return r;
	r = setup_limits(c, e);
	if (r)
		return r;
	r = setup_identity(&id, e);
	if (r)
		return r;
	if (chdir(c->workdir ? c->workdir : "/") < 0)
		return nerr_set(e, "workdir", errno, "%s: %s", c->workdir ? c->workdir : "/",
				strerror(errno));
	if (c->isolate && c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return nerr_set(e, "no_new_privileges", errno, "prctl: %s", strerror(errno));
	/* Everything above 2 closes at exec; the report pipe too. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	/* fd:N readiness: the one descriptor above 2 the service is meant to get */
	if (io->ready_fd >= 0) {
		if (io->ready_fd == io->ready_fdnum)
			r = fcntl(io->ready_fd, F_SETFD, 0);
		else
			r = dup2(io->ready_fd, io->ready_fdnum);
		if (r < 0)
			return nerr_set(e, "ready", errno, "fd %d: %s", io->ready_fdnum,
					strerror(errno));
	}
	return 0;
}

static void child_report(int fd, const struct nerr *e, int code)
{
	struct spawn_report r = {.err = e->err, .code = code};
	ssize_t n;

	snprintf(r.what, sizeof(r.what), "%s: %s", e->step ? e->step : "setup", e->what);
	n = write(fd, &r, sizeof(r));
	(void)n;
}

pid_t spawn_service(const struct svc_conf *c, const struct spawn_io *io, int *report_fd,
		    struct nerr *e)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return nerr_set(e, "spawn", errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		return nerr_set(e, "spawn", err, "fork: %s", strerror(err));
	}
	if (pid == 0) {
		char **envp = NULL;
		struct nerr ce = {0};

		close(p[0]);
		if (child_setup(c, io, &ce, &envp)) {
			child_report(p[1], &ce, 126);
			_exit(126);
		}
		environ = envp;
		execvp(c->argv[0], c->argv);
		int err = errno, code = (err == ENOENT || err == ENOTDIR) ? 127 : 126;

		nerr_set(&ce, "exec", err, "%s: %s", c->argv[0], strerror(err));
		child_report(p[1], &ce, code);
		_exit(code);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*report_fd = p[0];
	return pid;
}

pid_t spawn_probe(const struct svc_conf *c, char *const *argv, struct nerr *e)
{
	pid_t pid = fork();

	if (pid < 0)
		return nerr_set(e, "probe", errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct svc_conf quiet = *c;
		struct spawn_io io = {.log_fd = -1, .console_fd = -1, .ready_fd = -1};
		char **envp = NULL;
		struct nerr ce = {0};

		quiet.out.kind = OUT_NULL;
		quiet.err.kind = OUT_NULL;
		if (child_setup(&quiet, &io, &ce, &envp))
			_exit(126);
		environ = envp;
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	return pid;
}

int spawn_read_report(int fd, struct spawn_report *r)
{
	ssize_t n = read(fd, r, sizeof(*r));

	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : 0;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(*r)) {
		/* A short report: keep what arrived, terminated. */
		memset((char *)r + n, 0, sizeof(*r) - (size_t)n);
	}
	r->what[sizeof(r->what) - 1] = '\0';
	return 1;
}
