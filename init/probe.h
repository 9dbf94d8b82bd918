/* SPDX-License-Identifier: MIT */
/*
 * probe.h - readiness and health probes, and the sd_notify socket.
 *
 * Probes run in the loop: a tcp or http probe is a non-blocking socket with
 * a deadline, an exec probe is a child with a deadline. Nothing blocks and
 * nothing polls except the probe interval itself.
 *
 * Where a probe runs is one seam: probe_socket() makes the socket a tcp or
 * http probe connects from, and spawn_probe() starts an exec probe. Both
 * act as the service does (identity, environment, workdir); once the service
 * has its own namespaces, these two are where they are joined.
 */
#ifndef NUCLEUS_PROBE_H
#define NUCLEUS_PROBE_H

#include "loop.h"
#include "manifest.h"

struct service;
struct supervisor;

struct prober {
	int fd;		       /* tcp/http attempt socket, -1 when idle */
	pid_t pid;	       /* exec attempt, 0 when none */
	int ready_rd;	       /* fd:N pipe, read end; -1 when none */
	bool health;	       /* the attempt under way is a health check */
	unsigned fails;	       /* consecutive health failures */
	uint64_t ready_ms;     /* when the service became ready */
	struct timer next;     /* the next attempt */
	struct timer deadline; /* the attempt's timeout */
	struct timer wdog;     /* sd_notify watchdog deadline */
	char buf[512];	       /* the start of an http answer */
	size_t len;
	size_t sent;
};

void probe_init(struct prober *p);
/* The service was spawned (exec succeeded): readiness checks begin. */
void probe_ready_begin(struct service *svc);
/* The service became ready: health checks and the watchdog begin. */
void probe_health_begin(struct service *svc);
/* The service is leaving starting/ready: everything stops. */
void probe_stop(struct service *svc);
/* An exec probe exited; returns true when pid was one. */
bool probe_reaped(struct supervisor *s, pid_t pid, int status);
/* The fd:N pipe of a fresh run (write end goes to the child). */
int probe_fd_pipe(struct service *svc, int *wr);

/* The notify socket at RUNTIME_DIR/notify.sock. */
int notify_open(struct supervisor *s);
const char *notify_path(void);

/* ---- pure parsers, unit tested ---- */

/* The status code of an HTTP/1.x status line: 0 incomplete, -1 malformed. */
int http_status_parse(const char *buf, size_t len);

struct notify_msg {
	bool ready, stopping, reloading, watchdog;
	bool has_status, has_mainpid;
	char status[256];
	long mainpid;
};

/* Parses newline-separated KEY=VALUE assignments; unknown keys are ignored. */
void notify_parse(const char *msg, size_t len, struct notify_msg *out);

/*
 * The health bookkeeping of one probe result. Returns the new health:
 * 1 healthy, -1 unhealthy, 0 unchanged (a failure that does not count yet).
 */
int health_account(unsigned *fails, bool ok, bool in_start_period, unsigned retries);

#endif
