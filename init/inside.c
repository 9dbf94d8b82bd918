// SPDX-License-Identifier: MIT
/*
 * inside.c - our own binary, kept open, exec'd for what runs inside a
 * service's reach; the plan nucleus-run is handed; nucleus-run itself.
 */
#include "inside.h"
#include "isolate/ns.h"
#include "spawn.h"
#include "util.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif

extern char **environ;

static int self_fd = -1;
static char self_why[160] = "not opened yet";

int inside_open_self(bool allow_override)
{
	const char *path = allow_override ? getenv("NUCLEUS_INSIDE_EXE") : NULL;
	int fd;

	if (!path || !*path)
		path = "/proc/self/exe";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		snprintf(self_why, sizeof(self_why), "%s: %s", path, strerror(err));
		return -err;
	}
	if (self_fd >= 0)
		close(self_fd);
	self_fd = fd;
	return 0;
}

int inside_self_fd(void)
{
	return self_fd;
}

const char *inside_why(void)
{
	return self_why;
}

int inside_exec(int fd, char *const argv[])
{
	static char *const empty[] = {NULL};

	syscall(SYS_execveat, fd, "", argv, empty, AT_EMPTY_PATH);
	return -errno;
}

int fds_arrange(const int *src, int n)
{
	int tmp[16];

	if (n > (int)ARRAY_SIZE(tmp))
		return -EINVAL;
	/* first out of the way of every target, then into place */
	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, n);
		if (tmp[i] < 0)
			return -errno;
	}
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], i) < 0)
			return -errno;
	if (syscall(SYS_close_range, (unsigned)n, ~0U, 0U) < 0) {
		for (int fd = n; fd < 1024; fd++)
			close(fd);
	}
	return 0;
}

/* ---- the plan ---- */

#define PLAN_MAGIC 0x6e75706cu /* "nupl" */
#define PLAN_MAX   (1u << 24)

struct plan_hdr {
	uint32_t magic, size;
	struct run_fixed f;
	uint32_t has_workdir, nenv, nargv, strings, nfilter;
};

static void add_str(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s) + 1);
}

/* The strings, padded so that the filter after them is aligned. */
static void plan_strings(const struct run_plan *p, struct plan_hdr *h, struct strbuf *sb)
{
	static const char zeros[8];

	h->has_workdir = p->workdir != NULL;
	if (p->workdir)
		add_str(sb, p->workdir);
	for (h->nenv = 0; p->envp && p->envp[h->nenv]; h->nenv++)
		add_str(sb, p->envp[h->nenv]);
	for (h->nargv = 0; p->argv && p->argv[h->nargv]; h->nargv++)
		add_str(sb, p->argv[h->nargv]);
	if (sb->len % 8)
		sb_add(sb, zeros, 8 - sb->len % 8);
	h->strings = (uint32_t)sb->len;
}

int run_plan_write(const struct run_plan *p, struct nerr *e)
{
	struct plan_hdr h = {.magic = PLAN_MAGIC, .f = p->f};
	size_t flen = (size_t)p->seccomp.len * sizeof(struct sock_filter);
	struct strbuf sb;
	int fd, err = 0;

	sb_init(&sb);
	plan_strings(p, &h, &sb);
	h.nfilter = p->seccomp.len;
	h.size = (uint32_t)(sizeof(h) + sb.len + flen);
	fd = (int)syscall(SYS_memfd_create, "nucleus-run-plan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (sb.oom || sizeof(h) + sb.len + flen > PLAN_MAX)
		err = sb.oom ? ENOMEM : E2BIG;
	else if (fd < 0 || write_all(fd, &h, sizeof(h)) || write_all(fd, sb.buf, sb.len) ||
		 write_all(fd, p->seccomp.filter, flen) ||
		 fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) ||
		 lseek(fd, 0, SEEK_SET) != 0)
		err = errno ? errno : EIO;
	sb_free(&sb);
	if (err) {
		if (fd >= 0)
			close(fd);
		return nerr_set(e, "probe", err, "the plan for nucleus-run: %s", strerror(err));
	}
	return fd;
}

/* @n strings, one after the other in [*pos, end), into a NULL-terminated vector. */
static char **take_strings(char **pos, const char *end, uint32_t n)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));

	for (uint32_t i = 0; v && i < n; i++) {
		char *nul = memchr(*pos, '\0', (size_t)(end - *pos));

		if (!nul) {
			free(v);
			return NULL;
		}
		v[i] = *pos;
		*pos = nul + 1;
	}
	return v;
}

static int read_all(int fd, void *buf, size_t n)
{
	for (size_t o = 0; o < n;) {
		ssize_t r = read(fd, (char *)buf + o, n - o);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		o += (size_t)r;
	}
	return 0;
}

/* What the header promises, checked before anything is allocated from it. */
static bool hdr_sane(const struct plan_hdr *h)
{
	size_t flen = (size_t)h->nfilter * sizeof(struct sock_filter);

	return h->magic == PLAN_MAGIC && h->size <= PLAN_MAX && h->nfilter <= BPF_MAXINSNS &&
	       h->f.id.ngroups >= 0 && h->f.id.ngroups <= MAX_GROUPS && h->strings % 8 == 0 &&
	       h->nenv <= h->strings && h->nargv > 0 && h->nargv <= h->strings &&
	       h->size == sizeof(*h) + h->strings + flen;
}

/* The strings after the header: workdir, environment, argv, then zero padding. */
static int take_all(struct run_plan *p, const struct plan_hdr *h, char *buf)
{
	char *pos = buf, *end = buf + h->strings;

	if (h->has_workdir) {
		char *nul = memchr(pos, '\0', (size_t)(end - pos));

		if (!nul)
			return -EINVAL;
		p->workdir = pos;
		pos = nul + 1;
	}
	p->envp = take_strings(&pos, end, h->nenv);
	p->argv = take_strings(&pos, end, h->nargv);
	if (!p->envp || !p->argv || end - pos >= 8)
		return -EINVAL;
	for (; pos < end; pos++)
		if (*pos)
			return -EINVAL;
	return 0;
}

int run_plan_read(int fd, struct run_plan *p)
{
	struct plan_hdr h;
	size_t flen;
	char *buf;

	memset(p, 0, sizeof(*p));
	if (read_all(fd, &h, sizeof(h)) || !hdr_sane(&h))
		return -EINVAL;
	flen = (size_t)h.nfilter * sizeof(struct sock_filter);
	buf = malloc((size_t)h.strings + flen + 1);
	if (!buf)
		return -ENOMEM;
	if (read_all(fd, buf, (size_t)h.strings + flen) || take_all(p, &h, buf)) {
		free(p->envp);
		free(p->argv);
		free(buf);
		memset(p, 0, sizeof(*p));
		return -EINVAL;
	}
	p->f = h.f;
	p->f.name[sizeof(p->f.name) - 1] = '\0';
	p->f.id.home[sizeof(p->f.id.home) - 1] = '\0';
	p->f.id.name[sizeof(p->f.id.name) - 1] = '\0';
	p->seccomp.len = (unsigned short)h.nfilter;
	/* 8-byte aligned: the strings are padded */
	p->seccomp.filter = h.nfilter ? (struct sock_filter *)(void *)(buf + h.strings) : NULL;
	p->mem = buf;
	return 0;
}

void run_plan_free(struct run_plan *p)
{
	free(p->mem);
	free(p->envp);
	free(p->argv);
	memset(p, 0, sizeof(*p));
}

/* ---- nucleus-run ---- */

/* The conf fields spawn_finish() looks at, from the plan. */
static void plan_conf(const struct run_plan *p, struct svc_conf *c)
{
	memset(c, 0, sizeof(*c));
	strlcpy_n(c->name, p->f.name, sizeof(c->name));
	c->isolate = p->f.isolate;
	c->no_new_privileges = p->f.no_new_privs;
	c->nofile = p->f.nofile;
	c->nproc = p->f.nproc;
	c->memlock = p->f.memlock;
	c->oom_score_adj = p->f.oom_score_adj;
	if (p->f.has_oom)
		c->set |= SET_OOM_SCORE_ADJ;
	c->workdir = p->workdir;
}

/* The one reason nucleus-run could not run the command, to PID 1 (fd 5). */
static void __attribute__((noreturn)) runner_fail(const struct nerr *e, int code)
{
	struct spawn_report r = {.err = e->err, .code = code};

	snprintf(r.what, sizeof(r.what), "%s: %s", e->step ? e->step : RUNNER_NAME, e->what);
	if (write(5, &r, sizeof(r)) < 0) {
		/* PID 1 sees the exit status alone */
	}
	_exit(code);
}

/*
 * The command's terminal, made inside the service (its /dev/pts, so the
 * command sees /dev/pts/N as its tty), owned by the service's user; the
 * master goes back to PID 1, which relays it.
 */
static int console_setup(const struct run_plan *p, struct nerr *e)
{
	/* a client without a terminal of its own gets the classic size */
	struct winsize ws = {.ws_row = p->f.rows ? p->f.rows : 24,
			     .ws_col = p->f.cols ? p->f.cols : 80};
	int master, slave, unlock = 0, r;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return nerr_set(e, "tty", errno, "/dev/ptmx: %s", strerror(errno));
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) < 0) {
		r = errno;
		close(master);
		return nerr_set(e, "tty", r, "a terminal from /dev/ptmx: %s", strerror(r));
	}
	ioctl(master, TIOCSWINSZ, &ws);
	/* the user's own terminal, as login gives it; without it, the terminal still works */
	if (fchown(slave, p->f.id.uid, p->f.id.gid) < 0) {
	}
	r = fd_send(7, master);
	close(master);
	close(7);
	if (r)
		return nerr_set(e, "tty", -r, "handing the terminal over: %s", strerror(-r));
	if (setsid() < 0 && errno != EPERM)
		return nerr_set(e, "tty", errno, "setsid: %s", strerror(errno));
	if (ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
	    dup2(slave, 2) < 0)
		return nerr_set(e, "tty", errno, "the terminal as stdio: %s", strerror(errno));
	if (slave > 2)
		close(slave);
	return 0;
}

static void __attribute__((noreturn)) run_command(const struct run_plan *p)
{
	struct svc_conf c;
	struct spawn_io io = {
		.log_fd = -1, .err_fd = -1, .console_fd = -1, .ready_fd = -1, .cgroup_fd = -1};
	struct nerr e = {0};
	char **envp = p->envp;
	int err;

	if (p->f.tty && console_setup(p, &e))
		runner_fail(&e, 126);
	plan_conf(p, &c);
	io.seccomp = p->seccomp.len ? &p->seccomp : NULL;
	if (p->f.isolate && p->f.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		nerr_set(&e, "no_new_privileges", errno, "prctl: %s", strerror(errno));
		runner_fail(&e, 126);
	}
	/* gone with the runner, which PID 1 kills at the probe's deadline */
	if (spawn_finish(&c, &io, &p->f.id, p->f.caps, &envp, p->f.nsflags, SPAWN_PDEATHSIG, &e))
		runner_fail(&e, 126);
	environ = envp;
	execvp(p->argv[0], p->argv);
	err = errno;
	nerr_set(&e, "exec", err, "%s: %s", p->argv[0], strerror(err));
	runner_fail(&e, err == ENOENT || err == ENOTDIR ? 127 : 126);
}

/*
 * The runner stays outside the service's PID namespace while its command
 * runs inside: the signals PID 1 forwards (nucleusctl exec's Ctrl-C) go on
 * to the command; its status comes back as ours (128+N for signal N).
 */
static int forward_and_wait(pid_t child, const sigset_t *fwd)
{
	for (;;) {
		siginfo_t si;
		int st, sig = sigwaitinfo(fwd, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		while (waitpid(child, &st, WNOHANG) == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

int runner_main(int argc, char **argv)
{
	struct run_plan p;
	struct nerr e = {0};
	sigset_t fwd;
	pid_t child;
	int r;

	(void)argc;
	(void)argv;
	prctl(PR_SET_NAME, RUNNER_NAME, 0, 0, 0);
	/* held from here on, so none is lost; the command resets its mask */
	sigemptyset(&fwd);
	for (int sig = 1; sig < SIGRTMIN; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS &&
		    sig != SIGFPE && sig != SIGILL && sig != SIGTRAP && sig != SIGTTIN &&
		    sig != SIGTTOU && sig != SIGTSTP)
			sigaddset(&fwd, sig);
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	fcntl(5, F_SETFD, FD_CLOEXEC);
	r = run_plan_read(3, &p);
	if (r) {
		nerr_set(&e, RUNNER_NAME, -r, "its plan: %s", strerror(-r));
		runner_fail(&e, 126);
	}
	close(3);
	if (p.f.nsflags && ns_enter(4, p.f.nsflags, &e))
		runner_fail(&e, 126);
	close(4);
	/* the service's own root, which its mount namespace's root may not be */
	if ((p.f.nsflags & CLONE_NEWNS) && (fchdir(8) < 0 || chroot(".") < 0 || chdir("/") < 0)) {
		nerr_set(&e, "root", errno, "entering the service's root: %s", strerror(errno));
		runner_fail(&e, 126);
	}
	close(8);
	if (!p.f.tty)
		close(7);
	if (!(p.f.nsflags & CLONE_NEWPID))
		run_command(&p);
	/* setns moved our children into the PID namespace, not us */
	child = fork();
	if (child < 0) {
		nerr_set(&e, RUNNER_NAME, errno, "fork: %s", strerror(errno));
		runner_fail(&e, 126);
	}
	if (child == 0)
		run_command(&p);
	close(5);
	close(7);
	_exit(forward_and_wait(child, &fwd));
}
