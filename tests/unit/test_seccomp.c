// SPDX-License-Identifier: MIT
/*
 * test_seccomp.c - the service filter: the lists, the profile parser, the
 * compiled BPF (run through a small classic-BPF interpreter for every name
 * on every x86 ABI), and the filter loaded for real in a forked child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "isolate/seccomp.h"

#define RET_EPERM  (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
#define X32_BIT	   0x40000000U

static const struct abi {
	const char *name;
	uint32_t scmp, audit;
} abis[] = {
	{"x86_64", SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64},
	{"x32", SCMP_ARCH_X32, AUDIT_ARCH_X86_64},
	{"i386", SCMP_ARCH_X86, AUDIT_ARCH_I386},
};

/* ---- a classic BPF interpreter, enough for libseccomp's output ---- */

static uint32_t bpf_run(const struct sc_prog *p, uint32_t arch, int nr, const uint64_t *args)
{
	struct seccomp_data d = {.nr = nr, .arch = arch};
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (int i = 0; args && i < 6; i++)
		d.args[i] = args[i];
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];
		uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? x : k;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(k % 4 == 0 && k < sizeof(d));
			memcpy(&a, (const char *)&d + k, 4);
			break;
		case BPF_LD | BPF_MEM:
			a = mem[k];
			break;
		case BPF_LDX | BPF_MEM:
			x = mem[k];
			break;
		case BPF_ST:
			mem[k] = a;
			break;
		case BPF_STX:
			mem[k] = x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= k;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += a == src ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
			pc += a > src ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += a >= src ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			pc += (a & src) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;
		default:
			fail_msg("BPF opcode %#x at %u not simulated", f->code, pc);
		}
	}
	fail_msg("BPF program fell off its end");
	return 0;
}

/* The verdict for @name on @abi; false when the name does not exist there. */
static bool verdict(const struct sc_prog *p, const struct abi *abi, const char *name,
		    const uint64_t *args, uint32_t *ret)
{
	int nr = seccomp_syscall_resolve_name_arch(abi->scmp, name);

	if (nr < 0) /* absent, or multiplexed through socketcall/ipc on i386 */
		return false;
	*ret = bpf_run(p, abi->audit, nr, args);
	return true;
}

static struct svc_conf conf(const char *seccomp, char **allow)
{
	struct svc_conf c;

	memset(&c, 0, sizeof(c));
	c.seccomp = (char *)seccomp;
	c.seccomp_allow = allow;
	return c;
}

static void compile_ok(const char *seccomp, char **allow, struct sc_prog *p)
{
	struct svc_conf c = conf(seccomp, allow);
	struct nerr e = {0};

	if (sc_compile(&c, p, &e))
		fail_msg("sc_compile(%s): %s: %s", seccomp ? seccomp : "NULL", e.step, e.what);
}

/* ---- the lists ---- */

static void test_allow_names_resolve(void **state)
{
	(void)state;
	for (const char *const *n = sc_default_allow; *n; n++) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(abis); i++)
			found |= seccomp_syscall_resolve_name_arch(abis[i].scmp, *n) >= 0;
		if (!found)
			fail_msg("allow-list name %s exists on no x86 ABI", *n);
		for (const char *const *m = n + 1; *m; m++)
			if (!strcmp(*n, *m))
				fail_msg("%s is in the allow-list twice", *n);
	}
}

static void test_allow_deny_disjoint(void **state)
{
	(void)state;
	for (const char *const *d = sc_default_deny; *d; d++) {
		if (seccomp_syscall_resolve_name(*d) == __NR_SCMP_ERROR)
			fail_msg("deny-list name %s unknown to libseccomp", *d);
		for (const char *const *a = sc_default_allow; *a; a++)
			if (!strcmp(*a, *d))
				fail_msg("%s is in both lists", *d);
	}
}

static void test_default_filter_verdicts(void **state)
{
	static const char *const denied[] = {"mount", "unshare",    "setns",  "ptrace",
					     "bpf",   "kexec_load", "reboot", "io_uring_setup",
					     NULL};
	struct sc_prog p;
	uint32_t ret;
	int checked = 0;

	(void)state;
	compile_ok(NULL, NULL, &p);
	for (size_t i = 0; i < ARRAY_SIZE(abis); i++) {
		for (const char *const *n = sc_default_allow; *n; n++)
			if (verdict(&p, &abis[i], *n, NULL, &ret) && ++checked &&
			    ret != SECCOMP_RET_ALLOW)
				fail_msg("%s on %s: %#x, not allowed", *n, abis[i].name, ret);
		for (const char *const *n = sc_default_deny; *n; n++)
			if (verdict(&p, &abis[i], *n, NULL, &ret) && ret != RET_EPERM)
				fail_msg("%s on %s: %#x, not EPERM", *n, abis[i].name, ret);
		for (const char *const *n = denied; *n; n++) {
			assert_true(verdict(&p, &abis[i], *n, NULL, &ret));
			assert_int_equal(ret, RET_EPERM);
		}
		assert_true(verdict(&p, &abis[i], "clone3", NULL, &ret));
		assert_int_equal(ret, RET_ENOSYS);
	}
	assert_true(checked > 3 * 250);
	sc_prog_free(&p);
}

static void test_default_filter_arguments(void **state)
{
	static const uint64_t ns[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,	   CLONE_NEWUSER,
				      CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME};
	uint64_t args[6] = {0};
	struct sc_prog p;
	uint32_t ret;

	(void)state;
	compile_ok("default", NULL, &p);
	for (size_t i = 0; i < ARRAY_SIZE(abis); i++) {
		args[0] = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
		assert_true(verdict(&p, &abis[i], "clone", args, &ret));
		assert_int_equal(ret, SECCOMP_RET_ALLOW);
		for (size_t j = 0; j < ARRAY_SIZE(ns); j++) {
			args[0] = ns[j] | SIGCHLD;
			assert_true(verdict(&p, &abis[i], "clone", args, &ret));
			assert_int_equal(ret, RET_EPERM);
		}
		for (uint64_t v = 0; v < 0x30000; v++) {
			bool ok = v == 0 || v == 8 || v == 0x20000 || v == 0x20008;

			args[0] = v;
			assert_true(verdict(&p, &abis[i], "personality", args, &ret));
			assert_int_equal(ret, ok ? SECCOMP_RET_ALLOW : RET_EPERM);
		}
		args[0] = 0xffffffff;
		assert_true(verdict(&p, &abis[i], "personality", args, &ret));
		assert_int_equal(ret, SECCOMP_RET_ALLOW);
	}
	sc_prog_free(&p);
}

/* Syscalls newer than libseccomp's table: ENOSYS, so libcs fall back. */
static void test_default_filter_new_syscalls(void **state)
{
	struct sc_prog p;

	(void)state;
	compile_ok(NULL, NULL, &p);
	/* 462 is mseal, 469 file_setattr: both beyond Debian's libseccomp 2.5.4 */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, 469, NULL), RET_ENOSYS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, 462 | X32_BIT, NULL), RET_ENOSYS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_I386, 469, NULL), RET_ENOSYS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, 0x7fffffff, NULL), RET_ENOSYS);
	/* x32's own entry points still go through the filter (readv is 515 there) */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, 515 | X32_BIT, NULL), SECCOMP_RET_ALLOW);
	/* a known but unlisted syscall stays EPERM */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, 139 /* sysfs */, NULL), RET_EPERM);
	/* another architecture cannot reach an x86_64 kernel: no such ABI */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_AARCH64, 0, NULL), RET_ENOSYS);
	sc_prog_free(&p);
}

/* ---- compile ---- */

/* The first build of a seccomp_allow set costs; later ones come from the cache. */
static void test_compile_timing(void **state)
{
	char *allow[] = {"acct", "kcmp", NULL};
	struct sc_prog p, q;
	uint64_t t0 = now_us(), t1, t2;
	int n = 20;

	(void)state;
	compile_ok(NULL, allow, &p);
	t1 = now_us();
	for (int i = 0; i < n; i++) {
		compile_ok(NULL, allow, &q);
		assert_int_equal(q.len, p.len);
		assert_memory_equal(q.filter, p.filter, p.len * sizeof(*p.filter));
		assert_ptr_not_equal(q.filter, p.filter);
		sc_prog_free(&q);
	}
	t2 = now_us();
	fprintf(stderr, "# sc_compile(default): built %llu us, cached %llu us, %u instructions\n",
		(unsigned long long)(t1 - t0), (unsigned long long)((t2 - t1) / n), p.len);
	assert_true(p.len > 100 && p.len <= BPF_MAXINSNS);
	compile_ok(NULL, NULL, &q);
	assert_true(q.len != p.len || memcmp(q.filter, p.filter, p.len * sizeof(*p.filter)));
	sc_prog_free(&q);
	sc_prog_free(&p);
}

static void test_compile_allow_extra(void **state)
{
	char *allow[] = {"mount", "clone3", "personality", NULL};
	uint64_t args[6] = {CLONE_NEWUSER};
	struct sc_prog p;
	uint32_t ret;

	(void)state;
	compile_ok("default", allow, &p);
	for (size_t i = 0; i < ARRAY_SIZE(abis); i++) {
		assert_true(verdict(&p, &abis[i], "mount", NULL, &ret));
		assert_int_equal(ret, SECCOMP_RET_ALLOW);
		assert_true(verdict(&p, &abis[i], "clone3", NULL, &ret));
		assert_int_equal(ret, SECCOMP_RET_ALLOW);
		assert_true(verdict(&p, &abis[i], "umount2", NULL, &ret));
		assert_int_equal(ret, RET_EPERM);
		assert_true(verdict(&p, &abis[i], "clone", args, &ret));
		assert_int_equal(ret, RET_EPERM);
		args[0] = 0x400000; /* ADDR_NO_RANDOMIZE */
		assert_true(verdict(&p, &abis[i], "personality", args, &ret));
		assert_int_equal(ret, SECCOMP_RET_ALLOW);
		args[0] = CLONE_NEWUSER;
	}
	sc_prog_free(&p);
}

/* seccomp = learn: one instruction, every call allowed and logged; no FLAG_LOG needed */
static void test_compile_learn(void **state)
{
	struct svc_conf c = conf("learn", NULL);
	struct sc_prog p = {0};
	struct nerr e = {0};

	(void)state;
	c.seccomp_log = true;
	assert_int_equal(sc_compile(&c, &p, &e), 0);
	assert_int_equal(p.len, 1);
	assert_int_equal(p.filter[0].code, BPF_RET | BPF_K);
	assert_int_equal(p.filter[0].k, SECCOMP_RET_LOG);
	assert_false(p.log);
	sc_prog_free(&p);
	/* the default filter carries seccomp_log */
	c = conf("default", NULL);
	c.seccomp_log = true;
	assert_int_equal(sc_compile(&c, &p, &e), 0);
	assert_true(p.len > 1);
	assert_true(p.log);
	sc_prog_free(&p);
}

static void test_compile_none(void **state)
{
	struct svc_conf c = conf("none", NULL);
	struct sc_prog p = {7, (struct sock_filter *)&p, true};
	struct nerr e = {0};

	(void)state;
	assert_int_equal(sc_compile(&c, &p, &e), 0);
	assert_int_equal(p.len, 0);
	assert_null(p.filter);
	assert_int_equal(sc_load(&p, &e), 0);
	sc_prog_free(&p);
}

static void test_compile_missing_profile(void **state)
{
	struct svc_conf c = conf("/nonexistent/nucleus.profile", NULL);
	struct sc_prog p;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(sc_compile(&c, &p, &e), -ENOENT);
	assert_string_equal(e.step, "seccomp");
	assert_int_equal(e.err, ENOENT);
	assert_string_equal(e.what, "/nonexistent/nucleus.profile: No such file or directory");
	assert_int_equal(p.len, 0);
	assert_null(p.filter);

	c.seccomp = "/tmp";
	assert_int_equal(sc_compile(&c, &p, &e), -EISDIR);
	assert_string_equal(e.what, "/tmp: not a regular file");
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/nucleus-seccomp-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_compile_profile_file(void **state)
{
	char *path = write_tmp("# deny-list\ndefault allow\nmount kill\nptrace\n");
	char *allow[] = {"mount", NULL};
	struct svc_conf c = conf(path, allow);
	struct sc_prog p;
	struct nerr e = {0};

	(void)state;
	assert_int_equal(sc_compile(&c, &p, &e), 0);
	/* seccomp_allow wins over the profile's rule for the same syscall */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(mount), NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(read), NULL), SECCOMP_RET_ALLOW);
	/* default allow: no ENOSYS prefix, new syscalls pass */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, 469, NULL), SECCOMP_RET_ALLOW);
	sc_prog_free(&p);

	c.seccomp_allow = NULL;
	assert_int_equal(sc_compile(&c, &p, &e), 0);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(mount), NULL),
			 SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_I386, 21 /* mount */, NULL),
			 SECCOMP_RET_KILL_PROCESS);
	sc_prog_free(&p);
	unlink(path);
	free(path);
}

/* ---- the profile parser ---- */

static int parse(const char *text, struct sc_prog *p, struct nerr *e)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r, fd;
	off_t size;

	assert_non_null(ctx);
	memset(e, 0, sizeof(*e));
	r = sc_profile_parse(text, "my.profile", ctx, e);
	if (!r && p) {
		fd = memfd_create("t", MFD_CLOEXEC);
		assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
		size = lseek(fd, 0, SEEK_END);
		p->len = (unsigned short)(size / sizeof(struct sock_filter));
		p->filter = malloc((size_t)size);
		assert_int_equal(pread(fd, p->filter, (size_t)size, 0), size);
		close(fd);
	}
	seccomp_release(ctx);
	return r;
}

static void test_profile_good(void **state)
{
	static const char text[] = "# a web server\n"
				   "\n"
				   "read\r\n"
				   "  write   allow   # trailing comment\n"
				   "getpid errno:ENOSYS\n"
				   "getppid errno:enoent\n"
				   "mkdir errno:13\n"
				   "kill kill\n"
				   "uname log\n"
				   "stat64 allow\n"
				   "rmdir errno\n"
				   "\t# indented comment";
	struct sc_prog p;
	struct nerr e;

	(void)state;
	if (parse(text, &p, &e))
		fail_msg("%s", e.what);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(read), NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(write), NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_I386, 4 /* write */, NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(getpid), NULL), RET_ENOSYS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(getppid), NULL),
			 SECCOMP_RET_ERRNO | ENOENT);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(mkdir), NULL),
			 SECCOMP_RET_ERRNO | 13);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(kill), NULL),
			 SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(uname), NULL), SECCOMP_RET_LOG);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_I386, 195 /* stat64 */, NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(rmdir), NULL), RET_EPERM);
	/* not listed: the default default, errno (EPERM) */
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(open), NULL), RET_EPERM);
	free(p.filter);
}

static void test_profile_default_allow(void **state)
{
	struct sc_prog p;
	struct nerr e;

	(void)state;
	/* default after rules, and a rule equal to the default, are fine */
	if (parse("mount errno\nread allow\ndefault allow\nclone3 errno:ENOSYS\n", &p, &e))
		fail_msg("%s", e.what);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(mount), NULL), RET_EPERM);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(clone3), NULL), RET_ENOSYS);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(read), NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(ptrace), NULL), SECCOMP_RET_ALLOW);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_I386, 21 /* mount */, NULL), RET_EPERM);
	free(p.filter);

	if (parse("default kill\nread\n", &p, &e))
		fail_msg("%s", e.what);
	assert_int_equal(bpf_run(&p, AUDIT_ARCH_X86_64, SCMP_SYS(write), NULL),
			 SECCOMP_RET_KILL_PROCESS);
	free(p.filter);
}

static void test_profile_errors(void **state)
{
	static const struct {
		const char *text, *what;
	} cases[] = {
		{"read\n\nnosuchcall\n", "my.profile:3: unknown system call 'nosuchcall'"},
		{"read\nwrite frob\n", "my.profile:2: unknown action 'frob'"},
		{"read allow extra\n", "my.profile:1: expected SYSCALL [ACTION], got more"},
		{"default allow\n# x\ndefault errno\n",
		 "my.profile:3: second default line (the first is line 1)"},
		{"default\n", "my.profile:1: default needs an action"},
		{"read\nwrite\nread kill\n", "my.profile:3: read already has a rule on line 1"},
		{"read errno:0\n", "my.profile:1: unknown action 'errno:0'"},
		{"read errno:4096\n", "my.profile:1: unknown action 'errno:4096'"},
		{"read errno:12x\n", "my.profile:1: unknown action 'errno:12x'"},
		{"read errno:EFROB\n", "my.profile:1: unknown action 'errno:EFROB'"},
		{"read errno:\n", "my.profile:1: unknown action 'errno:'"},
		{"read ALLOW\n", "my.profile:1: unknown action 'ALLOW'"},
		{"\n\n\n\nré\xff\x01x\n", "my.profile:5: unknown system call 'r???"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		 "my.profile:1: word longer than 63 bytes"},
	};
	struct nerr e;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = parse(cases[i].text, NULL, &e);

		if (r != -EINVAL || strncmp(e.what, cases[i].what, strlen(cases[i].what)))
			fail_msg("case %zu: %d '%s', want '%s'", i, r, e.what, cases[i].what);
		assert_string_equal(e.step, "seccomp");
	}
}

/* ---- the filter in a real process ---- */

static void *thread_fn(void *arg)
{
	return arg;
}

/* Runs @fn in a child under @p (no_new_privs set first); returns its wait status. */
static int run_filtered(const struct sc_prog *p, int (*fn)(void))
{
	struct nerr e = {0};
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* a fault ends this child; cmocka's handler would go on testing in it */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sc_load(p, &e))
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* The i386 entry point, reachable from 64-bit code: what a 32-bit binary uses. */
static long sys_i386(long nr, long a0)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a0), "c"(0), "d"(0) : "memory");
	return r;
}

/* The x32 entry point; a kernel without x32 support answers ENOSYS after the filter. */
static long sys_x32(long nr)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr | X32_BIT), "D"(0), "S"(0), "d"(0)
			 : "rcx", "r11", "memory");
	return r;
}

/*
 * Whether this kernel has the i386 entry at all: without IA32 emulation
 * (CONFIG_IA32_EMULATION off, or ia32_emulation=0) int $0x80 raises SIGSEGV
 * before any filter runs, so there is nothing there for a filter to guard.
 * The filter's i386 rules are still checked by the simulated verdicts.
 */
static bool i386_entry;

static bool probe_i386_entry(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* not cmocka's handler: it would go on testing here */
		_exit(sys_i386(20, 0) == getpid() ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static bool fails_with(long r, int err)
{
	return r == -1 && errno == err;
}

/* Each check has its own exit code, so a failure names itself. */
static int child_default(void)
{
	int nsfd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC), status;
	static int token;
	pthread_t t;
	void *ret;
	pid_t pid;
	long r;

	if (getpid() <= 1 || nsfd < 0)
		return 1;
	/* bogus paths and magic: without the filter these fail differently, harmlessly */
	if (!fails_with(mount("/nonexistent/a", "/nonexistent/b", NULL, MS_BIND, NULL), EPERM))
		return 2;
	if (!fails_with(unshare(CLONE_NEWNS), EPERM))
		return 3;
	if (!fails_with(setns(nsfd, CLONE_NEWUTS), EPERM))
		return 4;
	if (!fails_with(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM))
		return 5;
	if (!fails_with(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM))
		return 6;
	if (!fails_with(syscall(435 /* clone3 */, NULL, 0), ENOSYS))
		return 7;
	pid = fork();
	if (pid == 0)
		_exit(42);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 42)
		return 8;
	r = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (r == 0)
		_exit(0); /* only without the filter: keep the failure contained */
	if (!fails_with(r, EPERM))
		return 9;
	/* glibc's pthread_create tries clone3 first: ENOSYS makes it use clone */
	if (pthread_create(&t, NULL, thread_fn, &token) || pthread_join(t, &ret) || ret != &token)
		return 10;
	if (personality(0xffffffff) < 0 || !fails_with(personality(ADDR_NO_RANDOMIZE), EPERM))
		return 11;
	if (!fails_with(syscall(469 /* file_setattr */, -1, NULL, NULL, 0, 0), ENOSYS))
		return 12;
	/* i386 numbers: getpid 20, mount 21, ptrace 26, clone3 435 */
	if (i386_entry &&
	    (sys_i386(20, 0) != getpid() || sys_i386(21, 0) != -EPERM || sys_i386(26, 0) != -EPERM))
		return 13;
	if (i386_entry && sys_i386(435, 0) != -ENOSYS)
		return 14;
	/* x32 numbers: mount 165, clone3 435 */
	if (sys_x32(165) != -EPERM || sys_x32(435) != -ENOSYS)
		return 15;
	return 0;
}

static void test_load_default(void **state)
{
	struct sc_prog p;
	int status;

	(void)state;
	i386_entry = probe_i386_entry();
	if (!i386_entry)
		print_message("# this kernel has no i386 entry (int $0x80 faults): not tried\n");
	compile_ok(NULL, NULL, &p);
	status = run_filtered(&p, child_default);
	sc_prog_free(&p);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child: status %#x (exit code = the failed check)", status);
}

static int child_mount_allowed(void)
{
	/* allowed now: the kernel itself answers (as root, ENOENT for the bogus source) */
	if (!fails_with(mount("/nonexistent/a", "/nonexistent/b", NULL, MS_BIND, NULL), ENOENT))
		return 1;
	if (!fails_with(umount2("/nonexistent/b", 0), EPERM))
		return 2;
	return 0;
}

static void test_load_allow_mount(void **state)
{
	char *allow[] = {"mount", NULL};
	struct sc_prog p;
	int status;

	(void)state;
	compile_ok(NULL, allow, &p);
	status = run_filtered(&p, child_mount_allowed);
	sc_prog_free(&p);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child: status %#x (exit code = the failed check)", status);
}

static const char *const *exec_argv;

static int child_exec(void)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 1;
	execv(exec_argv[0], (char *const *)exec_argv);
	return 127;
}

/* Real programs under the default filter: a shell, busybox, perl, python. */
static void test_load_real_programs(void **state)
{
	static const char *const sh[] = {"/bin/sh", "-c",
					 "set -e; ls -la / >/dev/null; cat /proc/self/status | "
					 "grep -q Seccomp; (sleep 0; echo x) | wc -l >/dev/null; "
					 "touch /tmp/nucleus-sc-$$; rm /tmp/nucleus-sc-$$",
					 NULL};
	static const char *const bb[] = {"/usr/bin/busybox", "sh", "-c",
					 "ls / >/dev/null && wget -q -O /dev/null "
					 "http://127.0.0.1:1/ 2>/dev/null; ps >/dev/null; true",
					 NULL};
	static const char *const pl[] = {
		"/usr/bin/perl", "-e",
		"use Socket; socket(my $s, PF_INET, SOCK_STREAM, 0) or die; "
		"my $p = fork // die; exit 0 unless $p; waitpid($p, 0); "
		"open(my $f, '<', '/etc/passwd') or die; exit($? >> 8)",
		NULL};
	static const char *const py[] = {
		"/usr/bin/python3", "-c",
		"import threading, subprocess, socket, os, select, tempfile\n"
		"t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
		"s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); s.close()\n"
		"subprocess.run(['/bin/true'], check=True)\n"
		"e = select.epoll(); e.close(); os.urandom(16)\n"
		"with tempfile.TemporaryDirectory() as d: open(d + '/f', 'w').write('x')\n",
		NULL};
	const char *const *progs[] = {sh, bb, pl, py};
	struct sc_prog p;

	(void)state;
	compile_ok(NULL, NULL, &p);
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		int status;

		if (access(progs[i][0], X_OK))
			continue;
		exec_argv = progs[i];
		status = run_filtered(&p, child_exec);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("%s under the default filter: status %#x", progs[i][0], status);
	}
	sc_prog_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_names_resolve),
		cmocka_unit_test(test_allow_deny_disjoint),
		cmocka_unit_test(test_default_filter_verdicts),
		cmocka_unit_test(test_default_filter_arguments),
		cmocka_unit_test(test_default_filter_new_syscalls),
		cmocka_unit_test(test_compile_timing),
		cmocka_unit_test(test_compile_allow_extra),
		cmocka_unit_test(test_compile_none),
		cmocka_unit_test(test_compile_learn),
		cmocka_unit_test(test_compile_missing_profile),
		cmocka_unit_test(test_compile_profile_file),
		cmocka_unit_test(test_profile_good),
		cmocka_unit_test(test_profile_default_allow),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_load_default),
		cmocka_unit_test(test_load_allow_mount),
		cmocka_unit_test(test_load_real_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
