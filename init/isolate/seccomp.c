// SPDX-License-Identifier: MIT
/*
 * isolate/seccomp.c - the system call filter of an isolated service.
 *
 * One filter covers the three x86 ABIs (x86_64, x32, i386): a 64-bit host
 * runs 32-bit binaries too, and a filter for x86_64 alone would let them
 * through the i386 entry point. Anything not allowed fails with EPERM, so a
 * service gets an error it can log instead of a SIGSYS it cannot explain.
 *
 * libseccomp runs in PID 1 only (sc_compile); the child gets plain BPF.
 */
#include "seccomp.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

/*
 * clone() may not make namespaces: that is what isolation takes away.
 * CLONE_NEWTIME shares its bit with the exit signal (CSIGNAL) in clone()'s
 * flags, but no valid signal number reaches 0x80, so masking it costs nothing.
 */
#define SC_NS_FLAGS                                                                                \
	((uint64_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |     \
		    CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME))

#define SC_EPERM	 SCMP_ACT_ERRNO(EPERM)
#define SC_MAX_RULES	 1024
#define SC_TOK		 64
#define X32_BIT		 0x40000000U
#define X32_FIRST_COMPAT 512 /* x32's own entry points: 512..547 */
#define X32_END_COMPAT	 548

/*
 * The built-in allow-list: what shells, busybox, web servers, interpreters
 * and their libcs use. Names that do not exist on an ABI (the i386 legacy
 * ones, x86_64's newfstatat) are simply absent from that ABI's part.
 * clone, clone3 and personality get argument rules of their own below.
 */
const char *const sc_default_allow[] = {
	/* files and directories */
	"access", "chdir", "chmod", "chown", "close", "close_range", "copy_file_range", "creat",
	"dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fallocate", "fchdir",
	"fchmod", "fchmodat", "fchown", "fchownat", "fcntl", "fdatasync", "flock", "fstat",
	"fstatfs", "fsync", "ftruncate", "futimesat", "getcwd", "getdents", "getdents64", "ioctl",
	"lchown", "link", "linkat", "lseek", "lstat", "mkdir", "mkdirat", "newfstatat", "open",
	"openat", "openat2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2",
	"read", "readahead", "readlink", "readlinkat", "readv", "rename", "renameat", "renameat2",
	"rmdir", "stat", "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
	"syncfs", "truncate", "umask", "unlink", "unlinkat", "ustat", "utime", "utimensat",
	"utimes", "write", "writev",
	/* extended attributes */
	"fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "lgetxattr",
	"listxattr", "llistxattr", "lremovexattr", "lsetxattr", "removexattr", "setxattr",
	/* pipes, zero-copy, event fds, polling */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"eventfd", "eventfd2", "inotify_add_watch", "inotify_init", "inotify_init1",
	"inotify_rm_watch", "pipe", "pipe2", "poll", "ppoll", "pselect6", "select", "sendfile",
	"signalfd", "signalfd4", "splice", "tee", "timerfd_create", "timerfd_gettime",
	"timerfd_settime", "vmsplice",
	/* sockets, every family (the network namespace is the boundary) */
	"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
	"listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt",
	"shutdown", "socket", "socketpair",
	/* memory */
	"brk", "get_mempolicy", "madvise", "mbind", "membarrier", "memfd_create", "mincore",
	"mlock", "mlock2", "mlockall", "mmap", "mprotect", "mremap", "msync", "munlock",
	"munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
	"set_mempolicy", "set_mempolicy_home_node",
	/* threads, futexes, signals */
	"futex", "futex_waitv", "get_robust_list", "get_thread_area", "gettid", "kill", "pause",
	"pidfd_open", "pidfd_send_signal", "restart_syscall", "rseq", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_tgsigqueueinfo", "set_robust_list", "set_thread_area",
	"set_tid_address", "sigaltstack", "tgkill", "tkill",
	/* processes and exec (clone: see below) */
	"execve", "execveat", "exit", "exit_group", "fork", "getpgid", "getpgrp", "getpid",
	"getppid", "getsid", "setpgid", "setsid", "vfork", "wait4", "waitid",
	/* identity and privileges: the kernel checks the capabilities we drop */
	"capget", "capset", "getegid", "geteuid", "getgid", "getgroups", "getresgid", "getresuid",
	"getuid", "prctl", "setfsgid", "setfsuid", "setgid", "setgroups", "setregid", "setresgid",
	"setresuid", "setreuid", "setuid",
	/* capability-gated like in Docker's profile: works for a service keeping the cap */
	"chroot", "mknod", "mknodat", "setdomainname", "sethostname",
	/* self-sandboxing only narrows what the service can do */
	"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp",
	/* scheduling, limits, accounting */
	"getcpu", "getpriority", "getrlimit", "getrusage", "ioprio_get", "ioprio_set", "prlimit64",
	"sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "setpriority",
	"setrlimit", "sysinfo", "times", "uname",
	/* time: reading clocks, timers; adjtimex reads too (setting needs CAP_SYS_TIME) */
	"adjtimex", "alarm", "clock_adjtime", "clock_getres", "clock_gettime", "clock_nanosleep",
	"getitimer", "gettimeofday", "nanosleep", "setitimer", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
	/* System V and POSIX IPC (the IPC namespace is the boundary) */
	"ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
	"mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop",
	"semtimedop", "shmat", "shmctl", "shmdt", "shmget",
	/* asynchronous I/O (io_uring is denied: see sc_default_deny) */
	"io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit",
	/* other */
	"arch_prctl", "getrandom",
	/* i386 names: legacy entry points and the 64-bit time_t variants */
	"_llseek", "_newselect", "chown32", "clock_adjtime64", "clock_getres_time64",
	"clock_gettime64", "clock_nanosleep_time64", "fadvise64_64", "fchown32", "fcntl64",
	"fstat64", "fstatat64", "fstatfs64", "ftruncate64", "futex_time64", "getegid32",
	"geteuid32", "getgid32", "getgroups32", "getresgid32", "getresuid32", "getuid32",
	"io_pgetevents_time64", "lchown32", "lstat64", "mmap2", "mq_timedreceive_time64",
	"mq_timedsend_time64", "nice", "ppoll_time64", "pselect6_time64", "recvmmsg_time64",
	"rt_sigtimedwait_time64", "sched_rr_get_interval_time64", "semtimedop_time64", "sendfile64",
	"setfsgid32", "setfsuid32", "setgid32", "setgroups32", "setregid32", "setresgid32",
	"setresuid32", "setreuid32", "setuid32", "sigaction", "signal", "sigpending", "sigprocmask",
	"sigreturn", "sigsuspend", "socketcall", "stat64", "statfs64", "timer_gettime64",
	"timer_settime64", "timerfd_gettime64", "timerfd_settime64", "truncate64", "ugetrlimit",
	"utimensat_time64", "waitpid", NULL};

/*
 * Documented denials: kernel surfaces a service has no business with, or
 * that undo the isolation. They fail with EPERM like everything unlisted;
 * naming them keeps them out of the allow-list (a unit test checks) and
 * tells the reader what seccomp_allow would be opening.
 */
const char *const sc_default_deny[] = {
	/* mounts and namespaces: the isolation itself */
	"fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount",
	"open_tree", "pivot_root", "setns", "umount", "umount2", "unshare",
	/* the kernel: modules, kexec, reboot, swap, accounting, quotas */
	"acct", "create_module", "delete_module", "finit_module", "get_kernel_syms", "init_module",
	"kexec_file_load", "kexec_load", "nfsservctl", "query_module", "quotactl", "quotactl_fd",
	"reboot", "swapoff", "swapon", "_sysctl", "syslog", "uselib", "vhangup",
	/* other processes' memory and files */
	"kcmp", "pidfd_getfd", "process_vm_readv", "process_vm_writev", "ptrace",
	/* file handles bypass path permissions (the "shocker" escape) */
	"name_to_handle_at", "open_by_handle_at",
	/* large kernel attack surface */
	"add_key", "bpf", "io_uring_enter", "io_uring_register", "io_uring_setup", "keyctl",
	"lookup_dcookie", "perf_event_open", "request_key", "userfaultfd",
	/* hardware and x86 modes */
	"ioperm", "iopl", "modify_ldt", "vm86", "vm86old",
	/* setting the clock: it is the host's */
	"clock_settime", "clock_settime64", "settimeofday", "stime", NULL};

/* Docker's personality values: Linux, PER_LINUX32 (+ UNAME26), and the query. */
static const uint64_t sc_personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* errno:ENAME in profiles; a table, since musl has no strerrorname_np().
 * Names in place (the longest is 15 letters), not pointers: half the bytes. */
/* clang-format off */
#define E(x) {#x, x}
static const struct {
	char name[16];
	unsigned char nr;
} sc_errnos[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC),
	E(EBADF), E(ECHILD), E(EAGAIN), E(EWOULDBLOCK), E(ENOMEM), E(EACCES), E(EFAULT),
	E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL),
	E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS),
	E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR), E(ENODATA),
	E(ETIME), E(ENOSR), E(ENOLINK), E(EPROTO), E(EBADMSG), E(EOVERFLOW), E(EILSEQ),
	E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
	E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(ENOTSUP), E(EOPNOTSUPP), E(EPFNOSUPPORT),
	E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN),
	E(ESHUTDOWN), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH),
	E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT), E(ECANCELED), E(EOWNERDEAD),
	E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON), E(ENOKEY), E(EKEYEXPIRED),
	E(EKEYREVOKED), E(EKEYREJECTED), E(ENOMEDIUM), E(EMEDIUMTYPE), E(EREMOTEIO)
};
/* clang-format on */
#undef E

/* ---- the filter context ---- */

static bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

/*
 * Resets @ctx to @def on x86_64 + x32 + i386. NNP and TSYNC stay off: the
 * program is exported, never loaded by libseccomp, and spawn decides about
 * no_new_privs. Binary-tree optimisation keeps the per-syscall cost
 * logarithmic in a list of hundreds of names.
 */
static int ctx_setup(scmp_filter_ctx ctx, uint32_t def, struct nerr *e)
{
	static const uint32_t arches[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
	int r = seccomp_reset(ctx, def);

	if (r)
		return nerr_set(e, "seccomp", -r, "reset filter: %s", strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++) {
		r = seccomp_arch_add(ctx, arches[i]);
		if (r && r != -EEXIST)
			return nerr_set(e, "seccomp", -r, "add ABI %#x: %s", arches[i],
					strerror(-r));
	}
	/* Unreachable on an x86_64 kernel; ENOSYS says "no such ABI" honestly. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 0);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r)
		return nerr_set(e, "seccomp", -r, "filter attributes: %s", strerror(-r));
	return 0;
}

static int ctx_new(uint32_t def, scmp_filter_ctx *ctx, struct nerr *e)
{
	*ctx = seccomp_init(def);
	if (!*ctx)
		return nerr_set(e, "seccomp", EINVAL, "no filter with default action %#x", def);
	return ctx_setup(*ctx, def, e);
}

/* A rule whose action is the default one is redundant (libseccomp refuses it): skipped. */
static int rule_add(scmp_filter_ctx ctx, uint32_t act, int nr, const char *name, struct nerr *e)
{
	uint32_t def = 0;
	int r = seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &def);

	if (!r && act == def)
		return 0;
	if (!r)
		r = seccomp_rule_add(ctx, act, nr, 0);
	if (r)
		return nerr_set(e, "seccomp", -r, "rule for %s: %s", name, strerror(-r));
	return 0;
}

static int add_allow_list(scmp_filter_ctx ctx, char *const *names, bool strict, struct nerr *e)
{
	for (; names && *names; names++) {
		int nr = seccomp_syscall_resolve_name(*names), r;

		/* The built-in list may name what an older libseccomp lacks. */
		if (nr == __NR_SCMP_ERROR) {
			if (!strict)
				continue;
			return nerr_set(e, "seccomp", EINVAL, "unknown system call %s", *names);
		}
		r = rule_add(ctx, SCMP_ACT_ALLOW, nr, *names, e);
		if (r)
			return r;
	}
	return 0;
}

/* clone without namespace flags, clone3 as absent, personality for the safe values. */
static int add_arg_rules(scmp_filter_ctx ctx, char *const *extra, struct nerr *e)
{
	int r = 0;

	if (!strv_has(extra, "clone"))
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, SC_NS_FLAGS, 0));
	/* ENOSYS, not EPERM: glibc and musl then fall back to clone(). */
	if (!r && !strv_has(extra, "clone3"))
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (strv_has(extra, "personality"))
		goto out;
	/* The kernel reads an unsigned int: compare the low 32 bits only. */
	for (size_t i = 0; !r && i < ARRAY_SIZE(sc_personalities); i++)
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, sc_personalities[i]));
out:
	if (r)
		return nerr_set(e, "seccomp", -r, "argument rules: %s", strerror(-r));
	return 0;
}

static int build_default(const struct svc_conf *c, scmp_filter_ctx *ctx, struct nerr *e)
{
	int r = ctx_new(SC_EPERM, ctx, e);

	if (!r)
		r = add_allow_list(*ctx, (char *const *)sc_default_allow, false, e);
	if (!r)
		r = add_arg_rules(*ctx, c->seccomp_allow, e);
	if (!r)
		r = add_allow_list(*ctx, c->seccomp_allow, true, e);
	return r;
}

/* ---- the profile ---- */

struct sc_rule {
	char name[SC_TOK];
	int nr;
	uint32_t action;
	int line;
};

struct profile {
	uint32_t def;
	int def_line; /* 0: not given, errno */
	struct sc_rule *rules;
	int n;
};

static int errno_by_name(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(sc_errnos); i++)
		if (!strcasecmp(sc_errnos[i].name, s))
			return sc_errnos[i].nr;
	return -1;
}

/* allow | errno | errno:N | errno:ENAME | kill | log */
static int parse_action(const char *s, uint32_t *act)
{
	char *end;
	long n;

	if (!strcmp(s, "allow"))
		*act = SCMP_ACT_ALLOW;
	else if (!strcmp(s, "errno"))
		*act = SC_EPERM;
	else if (!strcmp(s, "kill"))
		*act = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(s, "log"))
		*act = SCMP_ACT_LOG;
	else if (strncmp(s, "errno:", 6))
		return -1;
	else if (s[6] >= '0' && s[6] <= '9') {
		errno = 0;
		n = strtol(s + 6, &end, 10);
		/* 0 would fake success; the kernel caps errno values at 4095 */
		if (errno || *end || n < 1 || n > 4095)
			return -1;
		*act = SCMP_ACT_ERRNO((uint32_t)n);
	} else {
		n = errno_by_name(s + 6);
		if (n < 0)
			return -1;
		*act = SCMP_ACT_ERRNO((uint32_t)n);
	}
	return 0;
}

/*
 * Splits one line into at most @max tokens of SC_TOK bytes, stopping at '#'.
 * Returns the count, max + 1 when there are more, -1 for an overlong token.
 * Non-printable bytes become '?' so an error message stays one clean line.
 */
static int split_line(const char *s, size_t len, char tok[][SC_TOK], int max)
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		size_t k = 0;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == len || s[i] == '#')
			return n;
		if (n == max)
			return max + 1;
		for (; i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#'; i++) {
			if (k == SC_TOK - 1)
				return -1;
			tok[n][k++] = (s[i] > ' ' && s[i] < 0x7f) ? s[i] : '?';
		}
		tok[n++][k] = '\0';
	}
}

static int rule_push(struct profile *p, int nr, uint32_t act, int line, const char *path,
		     const char *name, struct nerr *e)
{
	struct sc_rule *v;

	for (int i = 0; i < p->n; i++)
		if (p->rules[i].nr == nr)
			return nerr_set(e, "seccomp", EINVAL,
					"%s:%d: %s already has a rule on line %d", path, line, name,
					p->rules[i].line);
	if (p->n == SC_MAX_RULES)
		return nerr_set(e, "seccomp", E2BIG, "%s:%d: more than %d rules", path, line,
				SC_MAX_RULES);
	if (!(p->n & 31)) {
		v = realloc(p->rules, (size_t)(p->n + 32) * sizeof(*v));
		if (!v)
			return nerr_set(e, "seccomp", ENOMEM, "%s: out of memory", path);
		p->rules = v;
	}
	v = &p->rules[p->n++];
	strcpy(v->name, name); /* split_line bounds it to SC_TOK */
	v->nr = nr;
	v->action = act;
	v->line = line;
	return 0;
}

static int parse_line(struct profile *p, const char *s, size_t len, int line, const char *path,
		      struct nerr *e)
{
	char tok[2][SC_TOK];
	uint32_t act = SCMP_ACT_ALLOW;
	int n = split_line(s, len, tok, 2), nr;

	if (n < 0)
		return nerr_set(e, "seccomp", EINVAL, "%s:%d: word longer than %d bytes", path,
				line, SC_TOK - 1);
	if (n == 0)
		return 0;
	if (n > 2)
		return nerr_set(e, "seccomp", EINVAL, "%s:%d: expected SYSCALL [ACTION], got more",
				path, line);
	if (n == 2 && parse_action(tok[1], &act))
		return nerr_set(e, "seccomp", EINVAL,
				"%s:%d: unknown action '%s' (allow, errno, errno:N, errno:ENAME, "
				"kill, log)",
				path, line, tok[1]);
	if (!strcmp(tok[0], "default")) {
		if (n == 1)
			return nerr_set(e, "seccomp", EINVAL, "%s:%d: default needs an action",
					path, line);
		if (p->def_line)
			return nerr_set(e, "seccomp", EINVAL,
					"%s:%d: second default line (the first is line %d)", path,
					line, p->def_line);
		p->def = act;
		p->def_line = line;
		return 0;
	}
	nr = seccomp_syscall_resolve_name(tok[0]);
	if (nr == __NR_SCMP_ERROR)
		return nerr_set(e, "seccomp", EINVAL, "%s:%d: unknown system call '%s'", path, line,
				tok[0]);
	return rule_push(p, nr, act, line, path, tok[0], e);
}

static int profile_read(const char *text, const char *path, struct profile *p, struct nerr *e)
{
	const char *s = text;
	int line = 0, r;

	*p = (struct profile){.def = SC_EPERM};
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		r = parse_line(p, s, len, ++line, path, e);
		if (r) {
			free(p->rules);
			p->rules = NULL;
			return r;
		}
		s += len + (nl != NULL);
	}
	return 0;
}

/*
 * Puts the rules into @ctx. A syscall in @extra (seccomp_allow) loses its
 * profile rule: the manifest asked for it to be allowed.
 */
static int profile_apply(const struct profile *p, char *const *extra, scmp_filter_ctx ctx,
			 struct nerr *e)
{
	int r = ctx_setup(ctx, p->def, e);

	for (int i = 0; !r && i < p->n; i++) {
		const struct sc_rule *rl = &p->rules[i];
		bool skip = false;

		for (char *const *x = extra; x && *x && !skip; x++)
			skip = seccomp_syscall_resolve_name(*x) == rl->nr;
		if (!skip)
			r = rule_add(ctx, rl->action, rl->nr, rl->name, e);
	}
	if (!r)
		r = add_allow_list(ctx, extra, true, e);
	return r;
}

int sc_profile_parse(const char *text, const char *path, scmp_filter_ctx ctx, struct nerr *e)
{
	struct profile p;
	int r = profile_read(text, path, &p, e);

	if (!r)
		r = profile_apply(&p, NULL, ctx, e);
	free(p.rules);
	return r;
}

static int read_all(int fd, char *buf, size_t cap, size_t *n)
{
	ssize_t k;

	*n = 0;
	while (*n < cap) {
		k = read(fd, buf + *n, cap - *n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		*n += (size_t)k;
	}
	return 0;
}

/* Checks what fstat said; a message for the refusal, or NULL. */
static const char *profile_refused(const struct stat *st, int *err)
{
	if (!S_ISREG(st->st_mode)) {
		*err = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		return "not a regular file";
	}
	if (st->st_size > SC_PROFILE_MAX) {
		*err = EFBIG;
		return "larger than 1 MiB";
	}
	return NULL;
}

/* Reads @path whole, NUL-terminated: O_CLOEXEC, a regular file of at most SC_PROFILE_MAX. */
static int read_profile(const char *path, char **out, struct nerr *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), err = 0;
	const char *why = NULL;
	char *buf = NULL;
	struct stat st;
	size_t n = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		err = errno;
	else if ((why = profile_refused(&st, &err)))
		;
	else if (!(buf = malloc((size_t)st.st_size + 2)))
		err = ENOMEM;
	else
		/* One byte more than stat said: a file that grew meanwhile is caught. */
		err = -read_all(fd, buf, (size_t)st.st_size + 1, &n);
	if (fd >= 0)
		close(fd);
	if (!err && n > (size_t)st.st_size) {
		err = EAGAIN;
		why = "changed while being read";
	} else if (!err && memchr(buf, '\0', n)) {
		err = EINVAL;
		why = "contains a NUL byte";
	}
	if (err) {
		free(buf);
		return nerr_set(e, "seccomp", err, "%s: %s", path, why ? why : strerror(err));
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int build_profile(const struct svc_conf *c, uint32_t *def, scmp_filter_ctx *ctx,
			 struct nerr *e)
{
	struct profile p = {0};
	char *text = NULL;
	int r = read_profile(c->seccomp, &text, e);

	if (r)
		return r;
	r = profile_read(text, c->seccomp, &p, e);
	free(text);
	if (!r) {
		*def = p.def;
		r = ctx_new(p.def, ctx, e);
	}
	if (!r)
		r = profile_apply(&p, c->seccomp_allow, *ctx, e);
	free(p.rules);
	return r;
}

/* ---- export ---- */

/* One past the highest syscall number libseccomp can name on @arch (below x32's range). */
static uint32_t first_unnamed(uint32_t arch, uint32_t bias)
{
	for (int nr = X32_FIRST_COMPAT - 1; nr >= 0; nr--) {
		char *name = seccomp_syscall_resolve_num_arch(arch, nr | (int)bias);

		if (name) {
			free(name);
			return (uint32_t)nr + 1;
		}
	}
	return 0;
}

/*
 * A syscall newer than libseccomp's table cannot be named in any rule, so
 * a deny-by-default filter would answer EPERM, and libcs only fall back to
 * the old call on ENOSYS (Docker's faccessat2 breakage with glibc 2.33).
 * This prefix answers ENOSYS for them, the way runc's stub does.
 * Returns the number of instructions written to @f (room for 12).
 */
static unsigned short enosys_stub(struct sock_filter *f)
{
	uint32_t first64 = first_unnamed(SCMP_ARCH_X86_64, 0);
	uint32_t firstx32 = first_unnamed(SCMP_ARCH_X32, X32_BIT);
	uint32_t first32 = first_unnamed(SCMP_ARCH_X86, 0);
	const struct sock_filter stub[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 2, 0), /* -> 4 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 6, 0),   /* -> 9 */
		BPF_STMT(BPF_JMP | BPF_JA, 8),				      /* -> out */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_END_COMPAT, 4, 0),   /* -> ENOSYS */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_FIRST_COMPAT, 4, 0), /* -> out */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, first64 > firstx32 ? first64 : firstx32, 2, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, first32, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};

	/* A table this short means something is off: better no stub than ENOSYS for all. */
	if (first64 < 400 || first32 < 400)
		return 0;
	memcpy(f, stub, sizeof(stub));
	return ARRAY_SIZE(stub);
}

static int export_bpf(scmp_filter_ctx ctx, bool stub, struct sc_prog *prog, struct nerr *e)
{
	struct sock_filter pre[12], *f;
	unsigned short npre = stub ? enosys_stub(pre) : 0;
	int fd = memfd_create("nucleus-seccomp", MFD_CLOEXEC), r;
	size_t size, done = 0;
	struct stat st;
	ssize_t k;

	if (fd < 0)
		return nerr_set(e, "seccomp", errno, "memfd_create: %s", strerror(errno));
	r = seccomp_export_bpf(ctx, fd);
	if (r || fstat(fd, &st) < 0) {
		r = r ? -r : errno;
		close(fd);
		return nerr_set(e, "seccomp", r, "export BPF: %s", strerror(r));
	}
	size = (size_t)st.st_size;
	if (!size || size % sizeof(*f)) {
		close(fd);
		return nerr_set(e, "seccomp", EIO, "export BPF: %zu bytes", size);
	}
	if (size / sizeof(*f) + npre > BPF_MAXINSNS) {
		close(fd);
		return nerr_set(e, "seccomp", E2BIG,
				"filter of %zu instructions (the kernel takes %d)",
				size / sizeof(*f) + npre, BPF_MAXINSNS);
	}
	f = malloc(size + npre * sizeof(*f));
	if (!f) {
		close(fd);
		return nerr_set(e, "seccomp", ENOMEM, "out of memory");
	}
	memcpy(f, pre, npre * sizeof(*f));
	while (done < size) {
		k = pread(fd, (char *)(f + npre) + done, size - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	close(fd);
	if (done < size) {
		free(f);
		return nerr_set(e, "seccomp", EIO, "read back BPF: short read");
	}
	prog->filter = f;
	prog->len = (unsigned short)(size / sizeof(*f) + npre);
	return 0;
}

/*
 * The built-in filter depends only on seccomp_allow, and libseccomp takes
 * about 15 ms to build it (musl, this machine's CPU): PID 1 keeps the few
 * distinct ones it has built instead of stalling the loop on every start.
 * Profiles are built each time (PID 1 does it at every start of the
 * service), since their file may change between starts.
 */
#define SC_CACHE 16
static struct {
	char *key; /* seccomp_allow joined by spaces */
	struct sc_prog prog;
} sc_cache[SC_CACHE];

static int prog_copy(const struct sc_prog *from, struct sc_prog *to)
{
	to->filter = malloc(from->len * sizeof(*from->filter));
	if (!to->filter)
		return -ENOMEM;
	memcpy(to->filter, from->filter, from->len * sizeof(*from->filter));
	to->len = from->len;
	return 0;
}

static char *cache_key(char *const *extra)
{
	size_t n = 1;
	char *key;

	for (char *const *x = extra; x && *x; x++)
		n += strlen(*x) + 1;
	key = malloc(n);
	if (!key)
		return NULL;
	*key = '\0';
	for (char *const *x = extra; x && *x; x++)
		strcat(strcat(key, *x), " ");
	return key;
}

#ifdef SC_EMBEDDED
/*
 * The built-in filter without seccomp_allow, compiled by libseccomp at
 * build time (init/gen/seccomp-gen.c): the common case costs PID 1 one
 * copy instead of ~15 ms of libseccomp on the first isolated start.
 */
#include "seccomp-default.h"
#endif

int sc_build_default(struct sc_prog *prog, struct nerr *e)
{
	struct svc_conf c = {0};
	scmp_filter_ctx ctx = NULL;
	int r;

	prog->len = 0;
	prog->filter = NULL;
	r = build_default(&c, &ctx, e);
	if (!r)
		r = export_bpf(ctx, true, prog, e);
	if (ctx)
		seccomp_release(ctx);
	return r;
}

static int compile_default(const struct svc_conf *c, struct sc_prog *prog, struct nerr *e)
{
	char *key;

#ifdef SC_EMBEDDED
	if (!c->seccomp_allow || !c->seccomp_allow[0]) {
		/* shared, read-only: every service points at the one array */
		prog->len = ARRAY_SIZE(sc_embedded);
		prog->filter = (struct sock_filter *)sc_embedded;
		return 0;
	}
#endif
	key = cache_key(c->seccomp_allow);
	scmp_filter_ctx ctx = NULL;
	int i = 0, r;

	if (!key)
		return nerr_set(e, "seccomp", ENOMEM, "out of memory");
	for (; i < SC_CACHE && sc_cache[i].key; i++) {
		if (strcmp(sc_cache[i].key, key))
			continue;
		free(key);
		if (prog_copy(&sc_cache[i].prog, prog))
			return nerr_set(e, "seccomp", ENOMEM, "out of memory");
		return 0;
	}
	r = build_default(c, &ctx, e);
	if (!r)
		r = export_bpf(ctx, true, prog, e);
	if (ctx)
		seccomp_release(ctx);
	/* Caching is best effort: a full table or no memory just means no entry. */
	if (!r && i < SC_CACHE && !prog_copy(prog, &sc_cache[i].prog)) {
		sc_cache[i].key = key;
		key = NULL;
	}
	free(key);
	return r;
}

/* seccomp = learn: every call allowed, and logged for PID 1 to note (audit.c). */
static int compile_learn(struct sc_prog *prog, struct nerr *e)
{
	prog->filter = malloc(sizeof(*prog->filter));
	if (!prog->filter)
		return nerr_set(e, "seccomp", ENOMEM, "out of memory");
	prog->filter[0] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG);
	prog->len = 1;
	prog->log = false;
	return 0;
}

int sc_compile(const struct svc_conf *c, struct sc_prog *prog, struct nerr *e)
{
	scmp_filter_ctx ctx = NULL;
	uint32_t def = SC_EPERM;
	int r;

	prog->len = 0;
	prog->filter = NULL;
	prog->log = c->seccomp_log;
	if (c->seccomp && !strcmp(c->seccomp, "none"))
		return 0;
	if (c->seccomp && !strcmp(c->seccomp, "learn"))
		return compile_learn(prog, e);
	if (!c->seccomp || !strcmp(c->seccomp, "default"))
		return compile_default(c, prog, e);
	r = build_profile(c, &def, &ctx, e);
	/* A deny-list profile (default allow or log) lets new syscalls through as is. */
	if (!r)
		r = export_bpf(ctx, def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG, prog, e);
	if (ctx)
		seccomp_release(ctx);
	return r;
}

void sc_prog_free(struct sc_prog *prog)
{
#ifdef SC_EMBEDDED
	if (prog->filter != sc_embedded)
#endif
		free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int sc_load(const struct sc_prog *prog, struct nerr *e)
{
	struct sock_fprog fp = {.len = prog->len, .filter = prog->filter};
	int err;

	if (!prog->len)
		return 0;
	if (!syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->log ? SECCOMP_FILTER_FLAG_LOG : 0,
		     &fp))
		return 0;
	/* a kernel without the flag (before 4.14) still gets the filter */
	if (errno == EINVAL && prog->log && !syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
		return 0;
	/* Kernels before 3.17 have only the prctl entry point. */
	if (errno == ENOSYS && !prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0))
		return 0;
	err = errno;
	if (err == EACCES)
		return nerr_set(e, "seccomp", err,
				"load filter: %s (no_new_privs is off and CAP_SYS_ADMIN is gone)",
				strerror(err));
	return nerr_set(e, "seccomp", err, "load filter of %u instructions: %s", prog->len,
			strerror(err));
}

#ifndef __GLIBC__
/*
 * The static build's libseccomp.a is not split by function: its API object
 * refers to the PFC text exporter (seccomp_export_pfc), which we never call,
 * and that pulls 4 KiB of code in. Defining the one symbol it wants keeps
 * that object out of the link. (The glibc build links the shared library.)
 */
struct db_filter_col;
int gen_pfc_generate(const struct db_filter_col *col, int fd);
int gen_pfc_generate(const struct db_filter_col *col, int fd)
{
	(void)col;
	(void)fd;
	return -EOPNOTSUPP;
}
#endif
