// SPDX-License-Identifier: MIT
/*
 * spawn.c - the child's side of starting a service.
 *
 * The child is cloned straight into the service's namespaces. Order (each
 * step names itself in the report): the user namespace's id map (and the
 * owner helper's word, see own_helper()), session, stdio, identity lookup,
 * environment, no_new_privs, owned volume sources (isolate/owner.c), the
 * private root (isolate/mount.c: root, /dev, /proc, /tmp, /run, volumes,
 * secrets, pivot_root, mountinfo check), loopback, hostname; then, with a PID
 * namespace, a fork: the first process stays as the namespace's init and
 * the service goes on with signals, rlimits, oom_score_adj, capabilities
 * and identity, workdir, fds, seccomp, exec. Everything after fork runs in
 * the child, which only _exits.
 */
#include "spawn.h"
#include "inside.h"
#include "isolate/caps.h"
#include "isolate/cgroup.h"
#include "isolate/landlock.h"
#include "isolate/mount.h"
#include "isolate/ns.h"
#include "isolate/owner.h"
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
		fd = target == 1 ? io->log_fd : io->err_fd;
		break;
	case OUT_CONSOLE:
		fd = io->console_fd;
		break;
	case OUT_NULL:
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		break;
	case OUT_FILE:
		/* nucleus-logd appends to it (rotated); opened here so that a path
		 * that cannot be is the start's error, as it would be for the service */
		fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd >= 0) {
			close(fd);
			fd = target == 1 ? io->log_fd : io->err_fd;
		}
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

static int set_rlimit(int which, uint64_t v, const char *key, const char *name, struct nerr *e)
{
	struct rlimit rl = {.rlim_cur = v, .rlim_max = v};

	if (setrlimit(which, &rl) < 0)
		return nerr_set(e, key, errno, "%s %llu: %s", name, (unsigned long long)v,
				strerror(errno));
	return 0;
}

static int setup_limits(const struct svc_conf *c, struct nerr *e)
{
	int r = set_rlimit(RLIMIT_NOFILE, c->nofile, "nofile", "RLIMIT_NOFILE", e);

	if (!r && c->nproc)
		r = set_rlimit(RLIMIT_NPROC, c->nproc, "nproc", "RLIMIT_NPROC", e);
	if (!r && c->memlock)
		r = set_rlimit(RLIMIT_MEMLOCK, c->memlock, "memlock", "RLIMIT_MEMLOCK", e);
	return r;
}

/* oom_score_adj of the calling process: the probe's, a fork of PID 1 with its privileges. */
int spawn_oom_adj(const struct svc_conf *c, struct nerr *e)
{
	char buf[16];
	int r;

	if (!(c->set & SET_OOM_SCORE_ADJ))
		return 0;
	snprintf(buf, sizeof(buf), "%d", c->oom_score_adj);
	r = write_text(AT_FDCWD, "/proc/self/oom_score_adj", buf);
	if (r < 0)
		return nerr_set(e, "oom_score_adj", -r, "/proc/self/oom_score_adj: %s",
				strerror(-r));
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

int spawn_notify_owner(const struct svc_conf *c, const char *path, uid_t uid_base, struct nerr *e)
{
	struct ident id;

	if (ident_resolve(root_prefix(c), c->user, c->groups, &id, e))
		return -e->err; /* the child fails the same way, and says so */
	if (fchownat(AT_FDCWD, path, uid_base + id.uid, uid_base + id.gid, AT_SYMLINK_NOFOLLOW) < 0)
		return nerr_set(e, "notify", errno, "chown %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Waits until the supervisor wrote our id maps (or moved us into our
 * cgroup) and closed its end of the sync pipe. With owner volumes in a user
 * namespace, own_helper() holds it too and reports once, err 0 when done.
 */
static int sync_wait(struct child *ch, struct nerr *e)
{
	bool helper = (ch->flags & CLONE_NEWUSER) && own_wanted(ch->c), got = false;
	struct spawn_report rep = {0};
	ssize_t n;

	for (;;) {
		n = read(ch->sync_fd, &rep, sizeof(rep));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rep) || rep.err)
			break;
		got = true;
	}
	close(ch->sync_fd);
	if (n == (ssize_t)sizeof(rep))
		return nerr_set(e, "volumes", rep.err, "%.*s", (int)sizeof(rep.what) - 1, rep.what);
	if (helper && !got)
		return nerr_set(e, "volumes", EIO, "the owner helper ended without a report");
	return 0;
}

/*
 * What is done as the host's root, before the namespace's own root (in a
 * user namespace) takes over: everything read from the host is opened here.
 */
static int setup_host_side(struct child *ch, struct nerr *e)
{
	const struct svc_conf *c = ch->c;
	int r;

	if (ch->sync_fd >= 0 && sync_wait(ch, e))
		return -EIO;
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
	return 0;
}

/*
 * Steps 1-9 of the order: identity looked up in the service's root,
 * environment, no_new_privs, the private root, the network and the
 * hostname. Runs in the process that becomes PID 1 of the service's PID
 * namespace when it has one.
 */
static int setup_namespaces(struct child *ch, struct nerr *e)
{
	const struct svc_conf *c = ch->c;
	struct mnt_plan *plan = NULL;

	if (setup_host_side(ch, e))
		return -EIO;
	/* with a user namespace, own_helper() did it before we got here */
	if ((ch->flags & CLONE_NEWNS) && !(ch->flags & CLONE_NEWUSER) &&
	    own_volumes(c, root_prefix(c), &ch->id, 0, e))
		return -EIO;
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
		plan->hide = ch->io->hide;
		plan->caps = ch->caps;
		plan->userns = ch->flags & CLONE_NEWUSER;
		if (mnt_prepare(plan, e))
			return -EIO;
	}
	if ((ch->flags & CLONE_NEWUSER) && ns_become_root(e))
		return -EPERM;
	if (plan && mnt_build(plan, e))
		return -EIO;
	/* the root is final: Landlock on it, before the identity and the filter */
	if (plan &&
	    (c->landlock == LANDLOCK_YES || (c->landlock == LANDLOCK_AUTO && landlock_abi())) &&
	    landlock_apply(plan, inside_self_fd(), e))
		return -EIO;
	if ((ch->flags & CLONE_NEWNET) && c->network == NET_NONE && ns_loopback_up(e))
		return -EIO;
	if (ch->io->net && net_bridge_inside(ch->io->net, e))
		return -EIO;
	if ((ch->flags & CLONE_NEWUTS) && ns_hostname(c, e))
		return -EIO;
	return 0;
}

int spawn_finish(const struct svc_conf *c, const struct spawn_io *io, const struct ident *id,
		 uint64_t caps, char ***envp, unsigned long flags, unsigned opts, struct nerr *e)
{
	/* without no_new_privs a filter loads only while CAP_SYS_ADMIN is held */
	bool early_sc = c->isolate && io->seccomp && !c->no_new_privileges;
	int r;

	spawn_reset_signals();
	r = notify_env(io, flags & CLONE_NEWNS, envp, e);
	if (!r)
		r = setup_limits(c, e);
	if (!r && early_sc)
		r = sc_load(io->seccomp, e);
	if (!r)
		r = c->isolate ? caps_apply(caps, id, e) : setup_identity(id, e);
	if (r)
		return r;
	/* after the identity change, which clears it, and before the filter */
	if ((opts & SPAWN_PDEATHSIG) && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return nerr_set(e, "spawn", errno, "PR_SET_PDEATHSIG: %s", strerror(errno));
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
 * The process that stays behind as PID 1 of the service's namespace,
 * after it forked the service: a fresh exec of our binary as
 * "nucleus-ns-init NAME", holding nothing of PID 1's memory, with only
 * CAP_KILL. It gets the status pipe as fd 3 and the service's pid through
 * a pipe at fd 4; it closes fd 7 once named, which lets the service go on.
 * If that exec fails, the report says so.
 */
static void __attribute__((noreturn)) become_ns_init(struct child *ch, pid_t svc, int ready)
{
	char *argv[] = {NS_INIT_NAME, (char *)ch->c->name, NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), pp[2], r;
	struct nerr e = {0};

	if (null < 0 || pipe2(pp, O_CLOEXEC) < 0 ||
	    write(pp[1], &svc, sizeof(svc)) != (ssize_t)sizeof(svc)) {
		nerr_set(&e, NS_INIT_NAME, errno, "its pipes: %s", strerror(errno));
		child_fail(ch, &e, 126);
	}
	close(pp[1]);
	{
		int fds[] = {null,	    null, null, ch->status_fd, pp[0], inside_self_fd(),
			     ch->report_fd, ready};

		r = fds_arrange(fds, (int)ARRAY_SIZE(fds));
	}
	if (r < 0) {
		nerr_set(&e, NS_INIT_NAME, -r, "its fds: %s", strerror(-r));
		child_report(6, &e, 126);
		_exit(126);
	}
	/* the binary and the report pipe go at exec: its EOF means exec */
	fcntl(5, F_SETFD, FD_CLOEXEC);
	fcntl(6, F_SETFD, FD_CLOEXEC);
	if (caps_ns_init(&e) == 0) {
		r = inside_exec(5, argv);
		nerr_set(&e, NS_INIT_NAME, -r, "exec: %s", strerror(-r));
	}
	child_report(6, &e, 126);
	_exit(126);
}

/*
 * Until the namespace's init is nucleus-ns-init (exec'd, named), the
 * service waits: before that its PID 1 is a fork of ours, whose command
 * line (and name) it would see.
 */
static void wait_ns_init(int ready[2])
{
	char c;

	close(ready[1]);
	while (read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
}

/*
 * The service's process: exec, or report why not. With a PID namespace
 * the process that arrives here first forks the service and stays behind
 * as the namespace's init.
 */
static void __attribute__((noreturn)) child_main(struct child *ch)
{
	struct nerr e = {0};
	int err, code;

	/* until exec we hold PID 1's memory: nobody may read it (ptrace, /proc) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setup_namespaces(ch, &e))
		child_fail(ch, &e, 126);
	if (ch->flags & CLONE_NEWPID) {
		int ready[2];
		pid_t svc;

		if (pipe2(ready, O_CLOEXEC) < 0) {
			nerr_set(&e, "spawn", errno, "pipe: %s", strerror(errno));
			child_fail(ch, &e, 126);
		}
		svc = fork();

		if (svc < 0) {
			nerr_set(&e, "spawn", errno, "fork in the PID namespace: %s",
				 strerror(errno));
			child_fail(ch, &e, 126);
		}
		if (svc > 0) {
			close(ready[0]);
			become_ns_init(ch, svc, ready[1]);
		}
		close(ch->status_fd);
		wait_ns_init(ready);
	}
	if (spawn_finish(ch->c, ch->io, &ch->id, ch->caps, &ch->envp, ch->flags, 0, &e))
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

/*
 * The parent's side once the child exists: its id maps, its veth pair, its
 * cgroup without clone3; the child waits on the sync pipe until then.
 * Returns @pid, or -errno with @e after killing the child.
 */
static pid_t parent_setup(const struct child *ch, pid_t pid, bool cg_later, struct nerr *e)
{
	const struct spawn_io *io = ch->io;
	char path[64], buf[16];
	int r;

	/* from here: lowering it needs CAP_SYS_RESOURCE, which a user namespace's root has not */
	if (pid > 0 && (ch->c->set & SET_OOM_SCORE_ADJ)) {
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
		snprintf(buf, sizeof(buf), "%d", ch->c->oom_score_adj);
		r = write_text(AT_FDCWD, path, buf);
		if (r < 0) {
			kill(pid, SIGKILL);
			pid = nerr_set(e, "oom_score_adj", -r, "%s: %s", path, strerror(-r));
		}
	}
	if (pid > 0 && (ch->flags & CLONE_NEWUSER) && ns_write_maps(pid, io->uid_base, e) < 0) {
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
		pid = nerr_set(e, "cgroup", err, "cgroup.procs: %s", strerror(err));
	}
	return pid;
}

/*
 * The root of a user namespace may not chown the host's files: for owner
 * volumes a fork of ours does it on the host's side, holding a copy of
 * @sync_wr, which the child reads to its end before it goes on, and writing
 * one report there (err 0: done) before it exits. PID 1 never waits for it;
 * it is reaped like any child nobody claims.
 */
static void own_helper(const struct svc_conf *c, const struct spawn_io *io, int sync_wr)
{
	struct spawn_report r = {.code = 126};
	struct nerr e = {0};
	pid_t pid = fork();
	ssize_t n;

	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		/* nothing of PID 1's stays open here but the pipe to the child */
		if (dup2(sync_wr, 3) == 3) {
			sync_wr = 3;
			syscall(SYS_close_range, 4U, ~0U, 0U);
		}
		if (own_volumes(c, root_prefix(c), NULL, io->uid_base, &e) < 0 && !e.err)
			e.err = EIO;
	} else if (pid < 0) {
		nerr_set(&e, "volumes", errno, "fork of the owner helper: %s", strerror(errno));
	} else {
		return;
	}
	r.err = e.err;
	snprintf(r.what, sizeof(r.what), "%s", e.what);
	/* one write below PIPE_BUF, into an empty pipe: it never blocks */
	n = write(sync_wr, &r, sizeof(r));
	(void)n;
	if (pid == 0)
		_exit(r.err ? 1 : 0);
}

/* clone3 into the cgroup where there is one and the kernel has it, else clone. */
static pid_t clone_child(const struct child *ch, int sy[2], bool *cg_later)
{
	static bool no_clone3;
	pid_t pid = -ENOSYS;

	*cg_later = ch->io->cgroup_fd >= 0 && no_clone3;
	if (*cg_later && sy[0] < 0 && pipe2(sy, O_CLOEXEC) < 0)
		return -errno;
	if (ch->io->cgroup_fd >= 0 && !no_clone3) {
		pid = ns_clone(ch->flags, ch->io->cgroup_fd);
		if (pid == -ENOSYS || pid == -E2BIG) {
			/* without clone3 the parent moves the child: it waits until then */
			no_clone3 = true;
			*cg_later = true;
			if (sy[0] < 0 && pipe2(sy, O_CLOEXEC) < 0)
				return -errno;
		}
	}
	if (pid == -ENOSYS || pid == -E2BIG)
		pid = ch->flags ? ns_clone(ch->flags, -1) : fork();
	if (pid == -1)
		pid = -errno;
	return pid;
}

int spawn_service(const struct svc_conf *c, const struct spawn_io *io, struct spawn_out *out,
		  struct nerr *e)
{
	struct child ch = {.c = c, .io = io, .flags = ns_clone_flags(c)};
	int rep[2] = {-1, -1}, st[2] = {-1, -1}, sy[2] = {-1, -1};
	bool cg_later;
	pid_t pid;

	if ((ch.flags & CLONE_NEWPID) && inside_self_fd() < 0)
		return nerr_set(e, "spawn", EBADF,
				"%s needs our own binary, which is not open (%s)", NS_INIT_NAME,
				inside_why());
	if (pipe2(rep, O_CLOEXEC) < 0 || ((ch.flags & CLONE_NEWPID) && pipe2(st, O_CLOEXEC) < 0) ||
	    (((ch.flags & CLONE_NEWUSER) || io->net || (c->set & SET_OOM_SCORE_ADJ)) &&
	     pipe2(sy, O_CLOEXEC) < 0)) {
		int err = errno;

		close_pair(rep);
		close_pair(st);
		close_pair(sy);
		return nerr_set(e, "spawn", err, "pipe: %s", strerror(err));
	}
	pid = clone_child(&ch, sy, &cg_later);
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
	close(rep[1]);
	if (st[1] >= 0)
		close(st[1]);
	if (sy[0] >= 0)
		close(sy[0]);
	pid = parent_setup(&ch, pid, cg_later, e);
	if (pid > 0 && (ch.flags & CLONE_NEWUSER) && own_wanted(c))
		own_helper(c, io, sy[1]);
	if (sy[1] >= 0)
		close(sy[1]);
	if (pid < 0) {
		close(rep[0]);
		if (st[0] >= 0)
			close(st[0]);
		if (!e->what[0])
			nerr_set(e, "spawn", -pid, "clone: %s", strerror(-pid));
		return pid;
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

/* The plan of what runs inside: the service's identity, limits and filter, and @argv. */
static int inside_plan(const struct svc_conf *c, const struct spawn_io *io, char *const *argv,
		       const struct inside_io *in, struct nerr *e)
{
	struct run_plan rp = {.argv = (char **)argv};
	int r, n;

	if (ident_resolve(root_prefix(c), c->user, c->groups, &rp.f.id, e) ||
	    spawn_build_env(c, rp.f.id.home, &rp.envp, e) ||
	    (c->isolate && caps_mask(c, &rp.f.caps, e)))
		return -1;
	n = strv_len(rp.envp);
	for (int i = 0; in->env && in->env[i]; i++)
		if (env_set(&rp.envp, &n, in->env[i]))
			return nerr_set(e, "env", ENOMEM, "out of memory");
	strlcpy_n(rp.f.name, c->name, sizeof(rp.f.name));
	rp.f.nsflags = ns_clone_flags(c);
	rp.f.isolate = c->isolate;
	rp.f.no_new_privs = c->no_new_privileges;
	rp.f.nofile = c->nofile;
	rp.f.nproc = c->nproc;
	rp.f.memlock = c->memlock;
	rp.f.tty = in->console >= 0;
	rp.f.rows = in->rows;
	rp.f.cols = in->cols;
	rp.workdir = c->workdir;
	if (c->isolate && io->seccomp)
		rp.seccomp = *io->seccomp;
	r = run_plan_write(&rp, e);
	free(rp.envp);
	return r;
}

/*
 * The runner's fds: stdio 0-2, plan 3, pidfd 4, report 5, our binary 6,
 * console 7, the service's root 8 (/dev/null where there is none).
 */
static int inside_fds(const struct inside_io *in, int null, int plan, int pidfd, int report,
		      int rootfd)
{
	int fds[9];

	for (int i = 0; i < 3; i++)
		fds[i] = in->stdio[i] >= 0 ? in->stdio[i] : null;
	fds[3] = plan;
	fds[4] = pidfd >= 0 ? pidfd : null;
	fds[5] = report;
	fds[6] = inside_self_fd();
	fds[7] = in->console >= 0 ? in->console : null;
	fds[8] = rootfd >= 0 ? rootfd : null;
	return fds_arrange(fds, (int)ARRAY_SIZE(fds));
}

/*
 * The first process of what runs inside, a fork of PID 1: it reads what
 * only the host has (the user database of the service's root, env_file)
 * and execs nucleus-run with the plan in a memfd, the service's pidfd, the
 * report pipe and its stdio. It is not in the service's PID namespace,
 * never takes the service's identity, and is not dumpable while it holds
 * PID 1's memory.
 */
static void __attribute__((noreturn))
inside_child(const struct svc_conf *c, const struct spawn_io *io, int pidfd, int rootfd, int report,
	     char *const *argv, const struct inside_io *in)
{
	char *rargv[] = {RUNNER_NAME, (char *)c->name, NULL};
	struct nerr e = {0};
	int plan, null, r;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* in the service's cgroup: its limits count what runs inside too */
	if (io->cgroup_fd >= 0)
		cg_enter(io->cgroup_fd, 0);
	if (setsid() < 0)
		nerr_set(&e, in->step, errno, "setsid: %s", strerror(errno));
	else if (!spawn_oom_adj(c, &e) && (plan = inside_plan(c, io, argv, in, &e)) >= 0) {
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			r = inside_fds(in, null, plan, pidfd, report, rootfd);
			if (r == 0) {
				report = 5;
				fcntl(6, F_SETFD, FD_CLOEXEC);
				r = inside_exec(6, rargv);
			}
			nerr_set(&e, RUNNER_NAME, -r, "exec: %s", strerror(-r));
		} else {
			nerr_set(&e, in->step, errno, "/dev/null: %s", strerror(errno));
		}
	}
	child_report(report, &e, 126);
	_exit(126);
}

pid_t spawn_inside(const struct svc_conf *c, const struct spawn_io *io, pid_t target,
		   char *const *argv, const struct inside_io *in, int *report_fd, struct nerr *e)
{
	int pidfd = -1, rootfd = -1, rep[2];
	pid_t pid;

	*report_fd = -1;
	if (inside_self_fd() < 0)
		return nerr_set(e, in->step, EBADF,
				"%s needs our own binary, which is not open (%s)", RUNNER_NAME,
				inside_why());
	/* opened here, while @target is our unreaped child: it is that process */
	if (ns_clone_flags(c)) {
		pidfd = ns_pidfd(target);
		if (pidfd < 0)
			return nerr_set(e, in->step, -pidfd, "pidfd_open %d: %s", (int)target,
					strerror(-pidfd));
	}
	/*
	 * Joining its mount namespace gives that namespace's root, which on an
	 * initramfs is not the root the service was moved into: its own is
	 * entered after the join.
	 */
	if (ns_clone_flags(c) & CLONE_NEWNS) {
		char path[48];

		snprintf(path, sizeof(path), "/proc/%d/root", (int)target);
		rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			int err = errno;

			close(pidfd);
			return nerr_set(e, in->step, err, "%s: %s", path, strerror(err));
		}
	}
	if (pipe2(rep, O_CLOEXEC) < 0) {
		int err = errno;

		if (pidfd >= 0)
			close(pidfd);
		if (rootfd >= 0)
			close(rootfd);
		return nerr_set(e, in->step, err, "pipe: %s", strerror(err));
	}
	pid = fork();
	if (pid == 0) {
		close(rep[0]);
		inside_child(c, io, pidfd, rootfd, rep[1], argv, in);
	}
	if (pid < 0) {
		nerr_set(e, in->step, errno, "fork: %s", strerror(errno));
		close(rep[0]);
	} else {
		fcntl(rep[0], F_SETFL, O_NONBLOCK);
		*report_fd = rep[0];
	}
	close(rep[1]);
	if (pidfd >= 0)
		close(pidfd);
	if (rootfd >= 0)
		close(rootfd);
	return pid;
}

pid_t spawn_probe(const struct svc_conf *c, const struct spawn_io *io, pid_t target,
		  char *const *argv, int *report_fd, struct nerr *e)
{
	static const struct inside_io quiet = {
		.stdio = {-1, -1, -1}, .console = -1, .step = "probe"};

	return spawn_inside(c, io, target, argv, &quiet, report_fd, e);
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
