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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
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
	char name[65];
	uint8_t isolate, no_new_privs, has_oom;
	int32_t oom_score_adj;
	uint64_t nsflags, nofile, nproc, memlock, caps;
	struct ident id;
	uint32_t has_workdir, nenv, nargv, strings, nfilter;
};

static void add_str(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s) + 1);
}

int run_plan_write(const struct run_plan *p, struct nerr *e)
{
	struct plan_hdr h = {.magic = PLAN_MAGIC};
	struct strbuf sb;
	int fd;

	sb_init(&sb);
	strlcpy_n(h.name, p->name, sizeof(h.name));
	h.isolate = p->isolate;
	h.no_new_privs = p->no_new_privs;
	h.has_oom = p->has_oom;
	h.oom_score_adj = p->oom_score_adj;
	h.nsflags = p->nsflags;
	h.nofile = p->nofile;
	h.nproc = p->nproc;
	h.memlock = p->memlock;
	h.caps = p->caps;
	h.id = p->id;
	h.has_workdir = p->workdir != NULL;
	if (p->workdir)
		add_str(&sb, p->workdir);
	for (h.nenv = 0; p->envp && p->envp[h.nenv]; h.nenv++)
		add_str(&sb, p->envp[h.nenv]);
	for (h.nargv = 0; p->argv && p->argv[h.nargv]; h.nargv++)
		add_str(&sb, p->argv[h.nargv]);
	h.strings = (uint32_t)sb.len;
	h.nfilter = p->seccomp.len;
	h.size = (uint32_t)(sizeof(h) + sb.len + h.nfilter * sizeof(struct sock_filter));
	fd = (int)syscall(SYS_memfd_create, "nucleus-run-plan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (sb.oom || h.size > PLAN_MAX || fd < 0 || write(fd, &h, sizeof(h)) != sizeof(h) ||
	    (sb.len && write(fd, sb.buf, sb.len) != (ssize_t)sb.len) ||
	    (h.nfilter && write(fd, p->seccomp.filter, h.nfilter * sizeof(struct sock_filter)) !=
				  (ssize_t)(h.nfilter * sizeof(struct sock_filter)))) {
		int err = sb.oom ? ENOMEM : h.size > PLAN_MAX ? E2BIG : errno;

		sb_free(&sb);
		if (fd >= 0)
			close(fd);
		return nerr_set(e, "probe", err, "the plan for nucleus-run: %s", strerror(err));
	}
	sb_free(&sb);
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return lseek(fd, 0, SEEK_SET) == 0 ? fd : -errno;
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

int run_plan_read(int fd, struct run_plan *p)
{
	struct plan_hdr h;
	char *buf, *pos, *end;
	size_t flen;

	memset(p, 0, sizeof(*p));
	if (read_all(fd, &h, sizeof(h)) || h.magic != PLAN_MAGIC || h.size > PLAN_MAX ||
	    h.nfilter > BPF_MAXINSNS || h.id.ngroups < 0 || h.id.ngroups > MAX_GROUPS)
		return -EINVAL;
	flen = (size_t)h.nfilter * sizeof(struct sock_filter);
	if (h.size != sizeof(h) + h.strings + flen)
		return -EINVAL;
	buf = malloc((size_t)h.strings + flen + 1);
	if (!buf)
		return -ENOMEM;
	if (read_all(fd, buf, (size_t)h.strings + flen)) {
		free(buf);
		return -EIO;
	}
	pos = buf;
	end = buf + h.strings;
	h.name[sizeof(h.name) - 1] = '\0';
	h.id.home[sizeof(h.id.home) - 1] = '\0';
	h.id.name[sizeof(h.id.name) - 1] = '\0';
	strlcpy_n(p->name, h.name, sizeof(p->name));
	p->isolate = h.isolate;
	p->no_new_privs = h.no_new_privs;
	p->has_oom = h.has_oom;
	p->oom_score_adj = h.oom_score_adj;
	p->nsflags = (unsigned long)h.nsflags;
	p->nofile = h.nofile;
	p->nproc = h.nproc;
	p->memlock = h.memlock;
	p->caps = h.caps;
	p->id = h.id;
	if (h.has_workdir) {
		char **w = take_strings(&pos, end, 1);

		p->workdir = w ? w[0] : NULL;
		free(w);
	}
	p->envp = take_strings(&pos, end, h.nenv);
	p->argv = take_strings(&pos, end, h.nargv);
	if ((h.has_workdir && !p->workdir) || !p->envp || !p->argv || !h.nargv || pos != end) {
		free(p->envp);
		free(p->argv);
		free(buf);
		memset(p, 0, sizeof(*p));
		return -EINVAL;
	}
	p->seccomp.len = (unsigned short)h.nfilter;
	p->seccomp.filter = h.nfilter ? (struct sock_filter *)(void *)end : NULL;
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
	strlcpy_n(c->name, p->name, sizeof(c->name));
	c->isolate = p->isolate;
	c->no_new_privileges = p->no_new_privs;
	c->nofile = p->nofile;
	c->nproc = p->nproc;
	c->memlock = p->memlock;
	c->oom_score_adj = p->oom_score_adj;
	if (p->has_oom)
		c->set |= SET_OOM_SCORE_ADJ;
	c->workdir = p->workdir;
}

static void __attribute__((noreturn)) run_command(const struct run_plan *p)
{
	struct svc_conf c;
	struct spawn_io io = {.log_fd = -1, .console_fd = -1, .ready_fd = -1, .cgroup_fd = -1};
	struct nerr e = {0};
	char **envp = p->envp;

	plan_conf(p, &c);
	io.seccomp = p->seccomp.len ? &p->seccomp : NULL;
	/* gone with the runner (which PID 1 kills at the probe's deadline); set
	 * again after the identity change, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (p->isolate && p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(126);
	if (spawn_finish(&c, &io, &p->id, p->caps, &envp, p->nsflags, &e))
		_exit(126);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1 && (p->nsflags & CLONE_NEWPID))
		_exit(126); /* the runner is gone already: PID 1 of the namespace took us */
	environ = envp;
	execvp(p->argv[0], p->argv);
	_exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

int runner_main(int argc, char **argv)
{
	struct run_plan p;
	struct nerr e = {0};
	pid_t child;
	int st;

	(void)argc;
	(void)argv;
	prctl(PR_SET_NAME, RUNNER_NAME, 0, 0, 0);
	if (run_plan_read(3, &p))
		_exit(126);
	close(3);
	if (p.nsflags && ns_enter(4, p.nsflags, &e))
		_exit(126);
	close(4);
	if (!(p.nsflags & CLONE_NEWPID))
		run_command(&p);
	/* setns moved our children into the PID namespace, not us */
	child = fork();
	if (child < 0)
		_exit(126);
	if (child == 0)
		run_command(&p);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}
