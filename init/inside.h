/* SPDX-License-Identifier: MIT */
/*
 * inside.h - what runs inside a service's reach, and how it gets there.
 *
 * A process that lives in a service's namespaces (the init of its PID
 * namespace, an exec probe, later `nucleusctl exec`) must not hold PID 1's
 * memory: a fork would carry every service's environment, the manifest's
 * text and whatever else PID 1's heap ever held. So each of them is a
 * fresh exec of our own binary, opened once at start (a changed /sbin
 * does not matter), with an empty environment and only what it needs
 * passed by fd: nucleus-ns-init gets the service's pid and its status
 * pipe, nucleus-run gets a sealed memfd holding a struct run_plan.
 */
#ifndef NUCLEUS_INSIDE_H
#define NUCLEUS_INSIDE_H

#include "nucleus.h"
#include "isolate/seccomp.h"
#include "users.h"

#define NS_INIT_NAME "nucleus-ns-init"
#define RUNNER_NAME  "nucleus-run"

/*
 * inside_open_self - opens the binary the processes inside services run:
 * /proc/self/exe, or NUCLEUS_INSIDE_EXE when @allow_override (not as the
 * init of a machine; a sanitizer build is dynamic and cannot run inside a
 * `root = DIR` without its libraries, so its tests point this at the
 * static build). 0 or -errno; inside_self_fd() is -1 until it worked.
 */
int inside_open_self(bool allow_override);
int inside_self_fd(void);
/* What inside_open_self() said, for errors: "/proc/self/exe: ENOENT". */
const char *inside_why(void);

/* execveat(2) of the binary at @fd with @argv and an empty environment. */
int inside_exec(int fd, char *const argv[]);

/*
 * fds_arrange - makes fds 0..n-1 copies of @src[0..n-1] (the same fd may
 * appear more than once) and closes everything above. Safe after fork.
 */
int fds_arrange(const int *src, int n);

/* The fixed part of a plan: copied whole into the memfd and out of it. */
struct run_fixed {
	char name[65];
	bool isolate, no_new_privs, has_oom;
	int oom_score_adj;
	uint64_t nsflags; /* CLONE_NEW* of the service, joined through its pidfd */
	uint64_t nofile, nproc, memlock;
	uint64_t caps; /* kept capabilities */
	struct ident id;
	bool tty;		   /* a terminal: its master goes back over fd 7 */
	unsigned short rows, cols; /* its size */
};

/* Everything nucleus-run needs to run a command as a service runs. */
struct run_plan {
	struct run_fixed f;
	char *workdir; /* NULL: / */
	char **envp;
	char **argv;
	struct sc_prog seccomp; /* len 0: none */
	void *mem;		/* run_plan_read(): holds the strings and the filter */
};

/* The plan in a sealed memfd (O_CLOEXEC); -errno with @e on failure. */
int run_plan_write(const struct run_plan *p, struct nerr *e);
/* Reads and checks a plan; its strings and filter are allocated. 0 or -errno. */
int run_plan_read(int fd, struct run_plan *p);
void run_plan_free(struct run_plan *p);

/*
 * runner_main - nucleus-run NAME: fd 3 the plan, fd 4 a pidfd of the
 * service, fd 5 the report pipe (a struct spawn_report when it cannot run
 * the command), fd 7 the console socket (with a terminal), fd 8 the
 * service's root, 0-2 the command's stdio. Joins the service's namespaces
 * and enters its root, forks into its PID namespace when it has one (a
 * terminal is made there, inside), takes its identity,
 * limits, capabilities and filter, execs the command and exits with its
 * status.
 */
int runner_main(int argc, char **argv);

#endif
