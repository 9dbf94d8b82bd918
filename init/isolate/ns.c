// SPDX-License-Identifier: MIT
/*
 * ns.c - namespaces of a service and the init that runs inside its PID
 * namespace.
 *
 * The service is cloned straight into its namespaces, so the supervisor's
 * child is PID 1 of the new PID namespace. Left bare, a service there
 * would have to reap orphans and would ignore signals it has no handler
 * for; so that first process stays a tiny init (this same binary, forked)
 * and the service runs as its child, as tini does for containers.
 */
#include "isolate/ns.h"
#include "net/iface.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

unsigned long ns_clone_flags(const struct svc_conf *c)
{
	static const struct {
		unsigned bit;
		unsigned long flag;
	} map[] = {{NS_MOUNT, CLONE_NEWNS},	{NS_PID, CLONE_NEWPID}, {NS_IPC, CLONE_NEWIPC},
		   {NS_UTS, CLONE_NEWUTS},	{NS_NET, CLONE_NEWNET}, {NS_USER, CLONE_NEWUSER},
		   {NS_CGROUP, CLONE_NEWCGROUP}};
	unsigned long flags = 0;

	if (!c->isolate)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (c->namespaces & map[i].bit)
			flags |= map[i].flag;
	return flags;
}

pid_t ns_clone(unsigned long flags, int cgroup_fd)
{
	long r;

	if (cgroup_fd >= 0) {
		/* clone3's fields, as linux/sched.h (5.7) has them */
		struct {
			uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
				stack_size, tls, set_tid, set_tid_size, cgroup;
		} args = {.flags = flags | 0x200000000ULL /* CLONE_INTO_CGROUP */,
			  .exit_signal = SIGCHLD,
			  .cgroup = (uint64_t)cgroup_fd};

		r = syscall(SYS_clone3, &args, sizeof(args));
		return r < 0 ? -errno : (pid_t)r;
	}
	/* No new stack: the child runs on a copy of ours, as after fork(). */
	r = syscall(SYS_clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);
	return r < 0 ? -errno : (pid_t)r;
}

unsigned ns_uid_slot_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return 1 + h % NS_UID_SLOTS;
}

int ns_write_maps(pid_t pid, uid_t base, struct nerr *e)
{
	static const char *const files[] = {"uid_map", "gid_map"};
	char path[64], map[64];
	int r;

	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)base, NS_UID_RANGE);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		r = write_text(AT_FDCWD, path, map);
		if (r)
			return nerr_set(e, "user namespace", -r, "%s \"0 %u %u\": %s", path,
					(unsigned)base, NS_UID_RANGE, strerror(-r));
	}
	return 0;
}

int ns_become_root(struct nerr *e)
{
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || setgroups(0, NULL) < 0)
		return nerr_set(e, "user namespace", errno, "becoming its root: %s",
				strerror(errno));
	return 0;
}

int ns_hostname(const struct svc_conf *c, struct nerr *e)
{
	const char *h = c->hostname ? c->hostname : c->name;

	if (sethostname(h, strlen(h)) < 0)
		return nerr_set(e, "hostname", errno, "%s: %s", h, strerror(errno));
	return 0;
}

int ns_loopback_up(struct nerr *e)
{
	int r = iface_loopback_up(e);

	if (r < 0)
		e->step = "network";
	return r;
}

static void reap(pid_t child, int status_fd)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p <= 0)
			return;
		if (p != child)
			continue;
		/* the real status first, then nothing of the service may stay */
		if (write(status_fd, &st, sizeof(st)) != (ssize_t)sizeof(st))
			st = 0;
		kill(-1, SIGKILL);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

void ns_init_run(pid_t child, int status_fd)
{
	sigset_t all;

	/* Signals stay blocked (as inherited): sigwaitinfo takes them all. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_NAME, "nucleus-ns-init", 0, 0, 0);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig == SIGCHLD)
			reap(child, status_fd);
		else if (sig > 0)
			kill(child, sig);
	}
}

int ns_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

int ns_enter(int pidfd, unsigned long flags, struct nerr *e)
{
	if (setns(pidfd, (int)flags) < 0)
		return nerr_set(e, "setns", errno, "into the service's namespaces: %s",
				strerror(errno));
	if ((flags & CLONE_NEWUSER) && ns_become_root(e))
		return -EPERM;
	return 0;
}

int ns_init_main(int argc, char **argv)
{
	sigset_t all;
	pid_t svc;

	(void)argc;
	(void)argv;
	/* what it holds is nobody's business: no ptrace, no /proc/1/mem */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NAME, "nucleus-ns-init", 0, 0, 0);
	/* named and exec'd: the service, waiting on fd 7, may go on */
	close(7);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (read(4, &svc, sizeof(svc)) != (ssize_t)sizeof(svc) || svc <= 0) {
		kill(-1, SIGKILL);
		_exit(126);
	}
	close(4);
	ns_init_run(svc, 3);
}
