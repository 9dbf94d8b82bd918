/* SPDX-License-Identifier: MIT */
/*
 * probe.h - readiness and health probes.
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

#include <sys/types.h>

enum health_state { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
const char *health_name(enum health_state h);

/*
 * What a prober reports to the one who owns it (the service), and asks of
 * it: the prober knows nothing of services, so the calls go one way.
 */
struct probe_ops {
	void (*ready)(void *owner);			 /* readiness reached */
	void (*unhealthy)(void *owner, const char *why); /* health lost: on_unhealthy */
	const char *(*name)(void *owner);		 /* for the health events */
	/* exec probes; *report_fd: where the runner says why it could not run it */
	pid_t (*spawn_exec)(void *owner, char *const *argv, int *report_fd, struct nerr *e);
};

enum probe_phase { PH_IDLE, PH_READY, PH_HEALTH };

struct prober {
	const struct probe_ops *ops;
	void *owner;
	struct loop *loop;
	const struct svc_conf *conf; /* of the run being probed */
	int netns_fd;		     /* where tcp/http probes connect from; -1: ours */
	enum probe_phase phase;
	enum health_state health;
	int fd;		       /* tcp/http attempt socket, -1 when idle */
	pid_t pid;	       /* exec attempt, 0 when none */
	int report_fd;	       /* its report pipe, -1 when none */
	int ready_rd;	       /* fd:N pipe, read end; -1 when none */
	unsigned fails;	       /* consecutive health failures */
	uint64_t ready_ms;     /* when the service became ready */
	struct timer next;     /* the next attempt */
	struct timer deadline; /* the attempt's timeout */
	struct timer wdog;     /* sd_notify watchdog deadline */
	char buf[512];	       /* the start of an http answer */
	size_t len;
	size_t sent;
};

void probe_init(struct prober *p, struct loop *l, const struct probe_ops *ops, void *owner);
/* A fresh run of @c was spawned (exec succeeded): readiness checks begin. */
void probe_ready_begin(struct prober *p, const struct svc_conf *c);
/* The service became ready: health checks and the watchdog begin. */
void probe_health_begin(struct prober *p, const struct svc_conf *c);
/* The service is leaving starting/ready: everything stops. */
void probe_stop(struct prober *p);
/* A child was reaped; returns true when it was this prober's exec probe. */
bool probe_exited(struct prober *p, pid_t pid, int status);
/* The fd:N pipe of a fresh run (write end goes to the child). */
int probe_fd_pipe(struct prober *p, int *wr);
/* The health changes here only: the event bus hears of it. */
void probe_set_health(struct prober *p, enum health_state h);
/* WATCHDOG=1: the watchdog deadline starts again. */
void probe_watchdog_kick(struct prober *p);

/* ---- pure parsers, unit tested ---- */

/* The status code of an HTTP/1.x status line: 0 incomplete, -1 malformed. */
int http_status_parse(const char *buf, size_t len);

/*
 * The health bookkeeping of one probe result. Returns the new health:
 * 1 healthy, -1 unhealthy, 0 unchanged (a failure that does not count yet).
 */
int health_account(unsigned *fails, bool ok, bool in_start_period, unsigned retries);

#endif
