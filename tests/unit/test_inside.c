// SPDX-License-Identifier: MIT
/*
 * test_inside.c - what nucleus-run is handed: the plan written to a memfd
 * reads back the same, a damaged plan is refused, and fds_arrange puts fds
 * where the processes inside services expect them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inside.h"

static struct sock_filter prog[3] = {{0x20, 0, 0, 4}, {0x15, 0, 1, 0xc000003e}, {0x06, 0, 0, 0}};

static void fill(struct run_plan *p)
{
	static char *env[] = {"PATH=/bin", "TOKEN=x y z", "EMPTY=", NULL};
	static char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};

	memset(p, 0, sizeof(*p));
	strcpy(p->f.name, "web");
	p->f.nsflags = CLONE_NEWNS | CLONE_NEWPID;
	p->f.isolate = true;
	p->f.no_new_privs = true;
	p->f.has_oom = true;
	p->f.oom_score_adj = -17;
	p->f.nofile = 1024;
	p->f.nproc = 7;
	p->f.memlock = 65536;
	p->f.caps = 1ull << 10;
	p->f.id.uid = 65534;
	p->f.id.gid = 65534;
	p->f.id.ngroups = 2;
	p->f.id.groups[0] = 5;
	p->f.id.groups[1] = 6;
	strcpy(p->f.id.home, "/nonexistent");
	strcpy(p->f.id.name, "nobody");
	p->workdir = "/srv";
	p->envp = env;
	p->argv = argv;
	p->seccomp.len = 3;
	p->seccomp.filter = prog;
}

static void test_plan_roundtrip(void **state)
{
	struct run_plan in, out;
	struct nerr e = {0};
	int fd;

	(void)state;
	fill(&in);
	fd = run_plan_write(&in, &e);
	assert_true(fd >= 0);
	/* sealed: nobody writes to it after us */
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(run_plan_read(fd, &out), 0);
	close(fd);
	assert_string_equal(out.f.name, "web");
	assert_true(out.f.nsflags == (CLONE_NEWNS | CLONE_NEWPID));
	assert_true(out.f.isolate && out.f.no_new_privs && out.f.has_oom);
	assert_int_equal(out.f.oom_score_adj, -17);
	assert_true(out.f.nofile == 1024 && out.f.nproc == 7 && out.f.memlock == 65536);
	assert_true(out.f.caps == 1ull << 10);
	assert_int_equal(out.f.id.uid, 65534);
	assert_int_equal(out.f.id.ngroups, 2);
	assert_int_equal(out.f.id.groups[1], 6);
	assert_string_equal(out.f.id.home, "/nonexistent");
	assert_string_equal(out.workdir, "/srv");
	assert_string_equal(out.envp[1], "TOKEN=x y z");
	assert_string_equal(out.envp[2], "EMPTY=");
	assert_null(out.envp[3]);
	assert_string_equal(out.argv[2], "exit 3");
	assert_null(out.argv[3]);
	assert_int_equal(out.seccomp.len, 3);
	assert_memory_equal(out.seccomp.filter, prog, sizeof(prog));
	run_plan_free(&out);
	/* no workdir, no filter */
	in.workdir = NULL;
	in.seccomp.len = 0;
	in.seccomp.filter = NULL;
	fd = run_plan_write(&in, &e);
	assert_int_equal(run_plan_read(fd, &out), 0);
	close(fd);
	assert_null(out.workdir);
	assert_int_equal(out.seccomp.len, 0);
	assert_string_equal(out.envp[0], "PATH=/bin");
	run_plan_free(&out);
}

/* Any byte changed or cut, the plan is refused or reads back whole: never garbage. */
static void test_plan_damaged(void **state)
{
	struct run_plan in, out;
	struct nerr e = {0};
	char buf[8192], path[] = "/tmp/nucleus-plan-XXXXXX";
	int fd = -1, len;

	(void)state;
	fill(&in);
	fd = run_plan_write(&in, &e);
	len = (int)read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(len > 100);
	for (int cut = 0; cut < len; cut += 7) {
		int tf = mkstemp(path);

		assert_true(tf >= 0);
		unlink(path);
		strcpy(path, "/tmp/nucleus-plan-XXXXXX");
		assert_int_equal(write(tf, buf, (size_t)cut), cut);
		lseek(tf, 0, SEEK_SET);
		assert_int_not_equal(run_plan_read(tf, &out), 0);
		close(tf);
	}
	/* a string with its NUL gone: the counts no longer match */
	for (int i = len - 1; i > 0; i--) {
		if (buf[i] == '\0' && i > len - 40) {
			int tf = mkstemp(path);

			unlink(path);
			strcpy(path, "/tmp/nucleus-plan-XXXXXX");
			buf[i] = 'x';
			assert_int_equal(write(tf, buf, (size_t)len), len);
			lseek(tf, 0, SEEK_SET);
			if (run_plan_read(tf, &out) == 0) {
				for (int k = 0; out.argv[k]; k++)
					assert_true(strlen(out.argv[k]) < 64);
				run_plan_free(&out);
			}
			close(tf);
			buf[i] = '\0';
		}
	}
}

static void test_fds_arrange(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	if (pid == 0) {
		int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int b = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		int c = dup(a);
		/* b wanted at 0 and 2, a at 1: crossing places */
		int want[] = {b, a, b, c};
		struct stat s0, s1, sz, sn;

		if (fds_arrange(want, 4) < 0)
			_exit(1);
		if (fstat(0, &s0) || fstat(1, &s1) || stat("/dev/zero", &sz) ||
		    stat("/dev/null", &sn))
			_exit(2);
		if (s0.st_rdev != sz.st_rdev || s1.st_rdev != sn.st_rdev)
			_exit(3);
		/* nothing above the last one is left open */
		if (fcntl(4, F_GETFD) != -1 || fcntl(a > 4 ? a : 9, F_GETFD) != -1)
			_exit(4);
		/* the placed ones do not close at exec */
		if (fcntl(3, F_GETFD) != 0)
			_exit(5);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_roundtrip),
		cmocka_unit_test(test_plan_damaged),
		cmocka_unit_test(test_fds_arrange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
