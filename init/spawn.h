/* SPDX-License-Identifier: MIT */
/*
 * spawn.h - fork a service and run its ordered setup in the child.
 *
 * The child reports the first step that fails (and its errno) over a
 * CLOEXEC pipe before it _exits; an empty pipe at EOF means exec worked.
 */
#ifndef NUCLEUS_SPAWN_H
#define NUCLEUS_SPAWN_H

#include "manifest.h"
#include "isolate/seccomp.h"
#include "net/bridge.h"
#include "users.h"

struct hide_set;
#include <sys/types.h>

struct spawn_report {
	int32_t err;	/* positive errno */
	int32_t code;	/* the child's exit code for it: 126 or 127 */
	char what[240]; /* "step: object: message" */
};

struct spawn_io {
	int log_fd;		   /* write end of the service's stdout pipe, or -1 */
	int err_fd;		   /* and of its stderr pipe */
	int console_fd;		   /* where `console` output goes */
	int ready_fd;		   /* fd:N readiness: our pipe end to give as N, or -1 */
	int ready_fdnum;	   /* N */
	const char *notify_socket; /* NOTIFY_SOCKET, or NULL */
	uint64_t watchdog_usec;	   /* WATCHDOG_USEC, or 0 */
	/* isolation */
	const struct sc_prog *seccomp; /* compiled filter, NULL for none */
	const char *newroot;	       /* empty host directory the private root is built on */
	bool rootfs;		       /* the host's / is the initramfs */
	uid_t uid_base;		       /* user namespace: host id of uid 0 inside */
	int cgroup_fd;		       /* the service's cgroup v2 group, or -1 */
	const struct net_plan *net;    /* network = bridge: its links, else NULL */
	char *const *dns;	       /* bridged: the nameservers of its resolv.conf */
	const struct hide_set *hide;   /* host paths covered in its root (isolate/hide.h) */
};

/* What the supervisor keeps of a started service. */
struct spawn_out {
	pid_t pid;     /* the process to wait for: the service, or its namespace's init */
	int report_fd; /* setup report pipe (read end) */
	int status_fd; /* with a PID namespace: the service's real wait status, else -1 */
};

/* Forks (clones) and sets up the service. Returns 0 or -errno with @e. */
int spawn_service(const struct svc_conf *c, const struct spawn_io *io, struct spawn_out *out,
		  struct nerr *e);

/*
 * spawn_read_status - the service's own wait status that the init of its
 * PID namespace wrote before it exited; 0 when there was none.
 */
int spawn_read_status(int fd, int *status);

/*
 * spawn_read_report - reads what the child said. Returns 1 with @r filled
 * when it reported a failure, 0 at EOF with nothing (exec succeeded),
 * -EAGAIN when the child has not finished its setup yet.
 */
int spawn_read_report(int fd, struct spawn_report *r);

/* What runs inside besides its command: stdio, a terminal, more environment. */
struct inside_io {
	int stdio[3]; /* its stdin, stdout, stderr; -1: /dev/null */
	int console;  /* a terminal: the socket the runner sends its master over; -1: none */
	unsigned short rows, cols; /* the terminal's size */
	char *const *env;	   /* KEY=VALUE over the service's environment, or NULL */
	const char *step;	   /* what errors are about: "probe", "exec" */
};

/*
 * spawn_inside - starts @argv inside the running service @target as its
 * exec probes run (see spawn_probe), with @in's stdio or terminal.
 */
pid_t spawn_inside(const struct svc_conf *c, const struct spawn_io *io, pid_t target,
		   char *const *argv, const struct inside_io *in, int *report_fd, struct nerr *e);

/*
 * spawn_probe - starts an exec probe as the service runs: it joins the
 * namespaces (and so the root) of the running service @target, takes its
 * identity, capabilities, environment, workdir and seccomp filter; output
 * goes to /dev/null. *@report_fd (non-blocking) gets a struct spawn_report
 * when it could not run the command (read it with spawn_read_report()).
 */
pid_t spawn_probe(const struct svc_conf *c, const struct spawn_io *io, pid_t target,
		  char *const *argv, int *report_fd, struct nerr *e);

/*
 * spawn_finish - the last steps before exec, shared by a service and what
 * runs inside it (nucleus-run): signals reset, NOTIFY_SOCKET, rlimits,
 * capabilities and identity, workdir, fds, seccomp. @flags: the CLONE_NEW*
 * the process lives in.
 */
#define SPAWN_PDEATHSIG 0x1 /* @opts: SIGKILL when the parent dies, set after the identity */
int spawn_finish(const struct svc_conf *c, const struct spawn_io *io, const struct ident *id,
		 uint64_t caps, char ***envp, unsigned long flags, unsigned opts, struct nerr *e);

/* oom_score_adj of @c for the calling process (a fork of PID 1). */
int spawn_oom_adj(const struct svc_conf *c, struct nerr *e);

/*
 * spawn_notify_owner - PID 1 gives a service's notify socket at @path to
 * its user (looked up in its root; @uid_base + the id in a user namespace).
 * In the child it could not: in its user namespace the host's ids mean
 * nothing. 0 or -errno with @e.
 */
int spawn_notify_owner(const struct svc_conf *c, const char *path, uid_t uid_base, struct nerr *e);

/* Builds the clean environment of a service; exposed for unit tests. */
int spawn_build_env(const struct svc_conf *c, const char *home, char ***envp, struct nerr *e);

/* In a fresh child: default signal handlers, nothing blocked. */
void spawn_reset_signals(void);

#endif
