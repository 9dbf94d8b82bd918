// SPDX-License-Identifier: MIT
/*
 * policy-cost.c - what issue 16's two additions to a start cost, measured
 * where a start pays them: in a freshly forked child, N times.
 *
 *   landlock: nucleus-init's own landlock_apply() (init/isolate/landlock.c)
 *             with the rules of a default service's root (/, /dev, /tmp,
 *             /run, /dev/shm, as mount.c notes them), against a child
 *             that does nothing;
 *   seccomp_log: loading an allow-all filter with SECCOMP_FILTER_FLAG_LOG,
 *             against loading it without.
 *
 * Prints microseconds per child, as the median of ROUNDS rounds of N forks.
 * Asserts nothing; exits non-zero only when a child fails (no Landlock, no
 * seccomp), so a figure is never that of a step that did not run.
 */
#include "isolate/landlock.h"
#include "isolate/mount.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7

static struct mnt_plan plan;

/* As mount.c notes a mount point and its flags. */
static void expect(const char *path, unsigned long flags)
{
	snprintf(plan.exp[plan.nexp].path, sizeof(plan.exp[0].path), "%s", path);
	plan.exp[plan.nexp++].flags = flags;
}

static double now_us_f(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

enum step { NOTHING, LANDLOCK, FILTER, FILTER_LOG };

static int child(enum step s)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fp = {.len = 1, .filter = &allow};
	struct nerr e = {0};

	switch (s) {
	case NOTHING:
		return 0;
	case LANDLOCK:
		return landlock_apply(&plan, -1, &e) ? 1 : 0;
	case FILTER:
	case FILTER_LOG:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			return 1;
		return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			       s == FILTER_LOG ? SECCOMP_FILTER_FLAG_LOG : 0, &fp)
			       ? 1
			       : 0;
	}
	return 1;
}

/* Microseconds per fork + step + exit + wait. */
static double round_of(enum step s, int n)
{
	double t0 = now_us_f();

	for (int i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0)
			_exit(child(s));
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "policy-cost: step %d failed in the child\n", (int)s);
			exit(1);
		}
	}
	return (now_us_f() - t0) / n;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const rw[] = {"/tmp", "/run", "/dev/shm"};
	double v[4][ROUNDS];
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	struct svc_conf c = {.isolate = true, .landlock = LANDLOCK_YES};

	plan.c = &c;
	expect("/", MS_RDONLY | MS_NODEV);
	expect("/usr", MS_RDONLY | MS_NOSUID | MS_NODEV);
	expect("/dev", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	expect("/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++)
		expect(rw[i], MS_NOSUID | MS_NODEV);
	if (!landlock_abi()) {
		fprintf(stderr, "policy-cost: this kernel has no Landlock\n");
		return 1;
	}
	/* rotating order, so drift hurts all alike */
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < 4; k++) {
			int s = (k + r) % 4;

			v[s][r] = round_of((enum step)s, n);
		}
	for (int s = 0; s < 4; s++)
		qsort(v[s], ROUNDS, sizeof(double), by_value);
	printf("landlock_apply (a default root's rules, ABI %d), us per start   %.1f\n",
	       landlock_abi(), v[LANDLOCK][ROUNDS / 2] - v[NOTHING][ROUNDS / 2]);
	printf("SECCOMP_FILTER_FLAG_LOG at load, us per start                   %.1f\n",
	       v[FILTER_LOG][ROUNDS / 2] - v[FILTER][ROUNDS / 2]);
	printf("  (fork + exit + wait alone: %.1f us; %d forks a round, median of %d rounds)\n",
	       v[NOTHING][ROUNDS / 2], n, ROUNDS);
	return 0;
}
