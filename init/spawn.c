// SPDX-License-Identifier: MIT
/*
 * spawn.c - the child's side of starting a service.
 *
 * The child is cloned straight into the service's namespaces. Order (each
 * step names itself in the report): the user namespace's id map, session,
 * stdio, identity lookup, environment, no_new_privs, the private root
 * (isolate/mount.c: root, /dev, /proc, /tmp, /run, volumes, secrets,
 * pivot_root, mountinfo check), loopback, hostname; then, with a PID
 * namespace, a fork: the first process stays as the namespace's init and
 * the service goes on with signals, rlimits, oom_score_adj, capabilities
 * and identity, workdir, fds, seccomp, exec. Everything after fork runs in
 * the child, which only _exits.
 */
#include "spawn.h"
#include "isolate/caps.h"
#include "isolate/cgroup.h"
#include "isolate/mount.h"
#include "isolate/ns.h"
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
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

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
	int r;

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
		snprintf(buf, sizeof(buf), "%d", c->oom_score_adj);
		r = write_text(AT_FDCWD, "/proc/self/oom_score_adj", buf);
		if (r < 0)
			return nerr_set(e, "oom_score_adj", -r, "/proc/self/oom_score_adj: %s",
					strerror(-r));
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
static int notify_env(const struct spawn_io *io, bool private_root, char ***envp, struct nerr *e)
{
	int n = strv_len(*envp);
	const char *sock = private_root ? MNT_NOTIFY_SOCKET : io->notify_socket;

	if ((io->notify_socket && env_setf(envp, &n, "NOTIFY_SOCKET=%s", sock)) ||
	    (io->watchdog_usec &&
	     (env_setf(envp, &n, "WATCHDOG_USEC=%llu", (unsigned long long)io->watchdog_usec) ||
	      env_setf(envp, &n, "WATCHDOG_PID=%d", (int)getpid()))))
		return nerr_set(e, "env", ENOMEM, "out of memory");
	return 0;
}

/* Everything the child works from, decided before or after fork. */
struct child {
	const struct svc_conf *c;
	const struct spawn_io *io;
	unsigned long flags; /* CLONE_NEW* */
	struct ident id;
	uint64_t caps;
	char **envp;
	int report_fd, status_fd, sync_fd;
};

static const char *root_prefix(const struct svc_conf *c)
{
	return c->isolate && c->root && strcmp(c->root, "host") ? c->root : "";
}

/*
 * Steps 1-9 of the order, in the namespaces: identity looked up in
 * the service's root, environment, no_new_privs, the private root, the
 * network and the hostname. Runs in the process that becomes PID 1 of the
 * service's PID namespace when it has one.
 */
static int setup_namespaces(struct child *ch, struct nerr *e)
{
	const struct svc_conf *c = ch->c;
	struct mnt_plan *plan = NULL;
	int r;

	if (ch->sync_fd >= 0) {
		char b;

		/* the supervisor writes our id maps (or moves us into our cgroup),
		 * then closes its end */
		while (read(ch->sync_fd, &b, 1) < 0 && errno == EINTR)
			;
		close(ch->sync_fd);
	}
	/*
	 * Until ns_become_root() below we are still the host's root to the
	 * host's files: everything read from the host is opened first.
	 */
	if (setsid() < 0)
		return nerr_set(e, "setsid", errno, "setsid: %s", strerror(errno));
	r = setup_stdio(c, ch->io, e);
	if (!r)
		r = ident_resolve(root_prefix(c), c->user, c->groups, &ch->id, e);
	if (!r)
		r = spawn_build_env(c, ch->id.home, &ch->envp, e);
	if (!r && c->isolate)
		r = caps_mask(c, &ch->caps, e);
	if (r)
		return r;
	if (c->isolate && c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return nerr_set(e, "no_new_privileges", errno, "prctl: %s", strerror(errno));
	if (ch->flags & CLONE_NEWNS) {
		plan = calloc(1, sizeof(*plan));
		if (!plan)
			return nerr_set(e, "mount", ENOMEM, "out of memory");
		plan->c = c;
		plan->id = &ch->id;
		plan->newroot = ch->io->newroot;
		plan->rootfs = ch->io->rootfs;
		plan->notify_socket = ch->io->notify_socket;
		plan->dns = ch->io->net ? ch->io->dns : NULL;
		r = mnt_prepare(plan, e);
		if (r)
			return r;
	}
	if ((ch->flags & CLONE_NEWUSER) && ns_become_root(e))
		return -EPERM;
	if (plan && mnt_build(plan, e))
		return -EIO;
	if ((ch->flags & CLONE_NEWNET) && c->network == NET_NONE && ns_loopback_up(e))
		return -EIO;
	if (ch->io->net && net_bridge_inside(ch->io->net, e))
		return -EIO;
	if ((ch->flags & CLONE_NEWUTS) && ns_hostname(c, e))
		return -EIO;
	return 0;
}

/* Steps 9-12 in the service's own process: limits, identity, fds, seccomp. */
static int setup_process(struct child *ch, struct nerr *e)
{
	const struct svc_conf *c = ch->c;
	const struct spawn_io *io = ch->io;
	int r;

	/* without no_new_privs a filter loads only while CAP_SYS_ADMIN is held */
	bool early_sc = c->isolate && io->seccomp && !c->no_new_privileges;

	spawn_reset_signals();
	r = notify_env(io, ch->flags & CLONE_NEWNS, &ch->envp, e);
	if (!r)
		r = setup_limits(c, e);
	if (!r && early_sc)
		r = sc_load(io->seccomp, e);
	if (!r)
		r = c->isolate ? caps_apply(ch->caps, &ch->id, e) : setup_identity(&ch->id, e);
	if (r)
		return r;
	if (chdir(c->workdir ? c->workdir : "/") < 0)
		return nerr_set(e, "workdir", errno, "%s: %s", c->workdir ? c->workdir : "/",
				strerror(errno));
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
	/* last: the filter must allow only what exec and the service need */
	if (c->isolate && io->seccomp && !early_sc)
		return sc_load(io->seccomp, e);
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

static void __attribute__((noreturn)) child_fail(struct child *ch, struct nerr *e, int code)
{
	child_report(ch->report_fd, e, code);
	_exit(code);
}

/*
 * The service's process: exec, or report why not. With a PID namespace
 * the process that arrives here first forks the service and stays behind
 * as the namespace's init, holding nothing of the host.
 */
static void __attribute__((noreturn)) child_main(struct child *ch)
{
	struct nerr e = {0};
	int err, code;

	if (setup_namespaces(ch, &e))
		child_fail(ch, &e, 126);
	if (ch->flags & CLONE_NEWPID) {
		pid_t svc = fork();

		if (svc < 0) {
			nerr_set(&e, "spawn", errno, "fork in the PID namespace: %s",
				 strerror(errno));
			child_fail(ch, &e, 126);
		}
		if (svc > 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);

			/* keep only the status pipe; the report pipe's EOF means exec */
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			if (dup2(ch->status_fd, 3) == 3)
				syscall(SYS_close_range, 4U, ~0U, 0U);
			caps_ns_init(&e);
			ns_init_run(svc, 3);
		}
		close(ch->status_fd);
	}
	if (setup_process(ch, &e))
		child_fail(ch, &e, 126);
	environ = ch->envp;
	execvp(ch->c->argv[0], ch->c->argv);
	err = errno;
	code = (err == ENOENT || err == ENOTDIR) ? 127 : 126;
	nerr_set(&e, "exec", err, "%s: %s", ch->c->argv[0], strerror(err));
	child_fail(ch, &e, code);
}

/* The bridge and the veth pair, through an fd of the child's network namespace. */
static int bridge_attach(const struct net_plan *net, pid_t pid, struct nerr *e)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nerr_set(e, "network", errno, "%s: %s", path, strerror(errno));
	r = net_bridge_attach(net, pid, fd, e);
	close(fd);
	return r;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

int spawn_service(const struct svc_conf *c, const struct spawn_io *io, struct spawn_out *out,
		  struct nerr *e)
{
	struct child ch = {.c = c, .io = io, .flags = ns_clone_flags(c)};
	int rep[2] = {-1, -1}, st[2] = {-1, -1}, sy[2] = {-1, -1};
	static bool no_clone3;
	/* without clone3 the parent moves the child: it waits until that is done */
	bool cg_later = io->cgroup_fd >= 0 && no_clone3;
	pid_t pid;

	if (pipe2(rep, O_CLOEXEC) < 0 || ((ch.flags & CLONE_NEWPID) && pipe2(st, O_CLOEXEC) < 0) ||
	    (((ch.flags & CLONE_NEWUSER) || cg_later || io->net) && pipe2(sy, O_CLOEXEC) < 0)) {
		int err = errno;

		close_pair(rep);
		close_pair(st);
		close_pair(sy);
		return nerr_set(e, "spawn", err, "pipe: %s", strerror(err));
	}
	pid = -ENOSYS;
	if (io->cgroup_fd >= 0 && !no_clone3) {
		pid = ns_clone(ch.flags, io->cgroup_fd);
		if (pid == -ENOSYS || pid == -E2BIG) {
			no_clone3 = true;
			cg_later = true;
			if (sy[0] < 0 && pipe2(sy, O_CLOEXEC) < 0)
				pid = -errno;
		}
	}
	if (pid == -ENOSYS || pid == -E2BIG)
		pid = ch.flags ? ns_clone(ch.flags, -1) : fork();
	if (pid == 0) {
		close(rep[0]);
		if (st[0] >= 0)
			close(st[0]);
		if (sy[1] >= 0)
			close(sy[1]);
		ch.report_fd = rep[1];
		ch.status_fd = st[1];
		ch.sync_fd = sy[0];
		child_main(&ch);
	}
	if (pid < 0 && pid != -1)
		errno = -pid;
	if (pid < 0)
		pid = -errno;
	close(rep[1]);
	if (st[1] >= 0)
		close(st[1]);
	if (sy[0] >= 0)
		close(sy[0]);
	if (pid > 0 && (ch.flags & CLONE_NEWUSER) && ns_write_maps(pid, io->uid_base, e) < 0) {
		kill(pid, SIGKILL);
		pid = -e->err;
	}
	if (pid > 0 && io->net && bridge_attach(io->net, pid, e) < 0) {
		kill(pid, SIGKILL);
		pid = -e->err;
	}
	if (pid > 0 && cg_later && cg_enter(io->cgroup_fd, pid) < 0) {
		int err = errno;

		kill(pid, SIGKILL);
		pid = -nerr_set(e, "cgroup", err, "cgroup.procs: %s", strerror(err));
	}
	if (sy[1] >= 0)
		close(sy[1]);
	if (pid < 0) {
		int err = -pid;

		close(rep[0]);
		if (st[0] >= 0)
			close(st[0]);
		if (!e->what[0])
			nerr_set(e, "spawn", err, "clone: %s", strerror(err));
		return -err;
	}
	fcntl(rep[0], F_SETFL, O_NONBLOCK);
	out->pid = pid;
	out->report_fd = rep[0];
	out->status_fd = st[0];
	if (st[0] >= 0)
		fcntl(st[0], F_SETFL, O_NONBLOCK);
	return 0;
}

int spawn_read_status(int fd, int *status)
{
	int st;

	if (fd < 0 || read(fd, &st, sizeof(st)) != (ssize_t)sizeof(st))
		return 0;
	*status = st;
	return 1;
}

/*
 * The probe's process, in the service's namespaces: the same identity,
 * capabilities and filter as the service itself, output to /dev/null.
 */
static void __attribute__((noreturn)) probe_main(struct child *ch, char *const *argv)
{
	struct nerr e = {0};
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (ch->c->isolate && ch->c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(126);
	if (setup_process(ch, &e))
		_exit(126);
	environ = ch->envp;
	execvp(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

pid_t spawn_probe(const struct svc_conf *c, const struct spawn_io *io, pid_t target,
		  char *const *argv, struct nerr *e)
{
	pid_t pid = fork();

	if (pid < 0)
		return nerr_set(e, "probe", errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct svc_conf quiet = *c;
		struct spawn_io pio = *io;
		struct child ch = {.c = &quiet, .io = &pio, .flags = ns_clone_flags(c)};
		struct nerr ce = {0};
		int st;

		quiet.out.kind = OUT_NULL;
		quiet.err.kind = OUT_NULL;
		pio.ready_fd = -1;
		pio.notify_socket = NULL;
		pio.watchdog_usec = 0;
		/* in the service's cgroup: its limits count the probe too */
		if (io->cgroup_fd >= 0)
			cg_enter(io->cgroup_fd, 0);
		/* what is read from the host's files, before its root is left */
		if (setsid() < 0 ||
		    ident_resolve(root_prefix(c), c->user, c->groups, &ch.id, &ce) ||
		    spawn_build_env(c, ch.id.home, &ch.envp, &ce) ||
		    (c->isolate && caps_mask(c, &ch.caps, &ce)) ||
		    (ch.flags && ns_join(c, target, &ce)))
			_exit(126);
		if (!(ch.flags & CLONE_NEWPID))
			probe_main(&ch, argv);
		/* inside the PID namespace only a child is; wait for it */
		pid_t p = fork();

		if (p < 0)
			_exit(126);
		if (p == 0)
			probe_main(&ch, argv);
		spawn_reset_signals();
		while (waitpid(p, &st, 0) < 0)
			if (errno != EINTR)
				_exit(126);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
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
