/* SPDX-License-Identifier: MIT */
/*
 * svc_internal.h - what the pieces of the supervisor share (service.c,
 * supervisor.c, deps.c, status.c, svc_cgroup.c, svc_net.c). Nothing else
 * includes it: the rest of nucleus-init sees service.h.
 */
#ifndef NUCLEUS_SVC_INTERNAL_H
#define NUCLEUS_SVC_INTERNAL_H

#include "service.h"

#include <unistd.h>

static inline void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- service.c: the state machine ---- */

/* waiting, starting, ready, stopping or backoff */
bool svc_active(const struct service *svc);
bool svc_running(const struct service *svc);
/* The one place a state is written. */
void svc_set_state(struct service *svc, enum svc_state st);
void svc_set_error(struct service *svc, const char *fmt, ...) PRINTF(2, 3);
void svc_to_failed(struct service *svc);
void svc_kill_group(struct service *svc, int sig);
/* The main process of a stopping service is gone (or there was none). */
void svc_stopped(struct service *svc);
void svc_begin_stop(struct service *svc);
/* Sets up a service's fields; the supervisor adds it to its list. */
void svc_init(struct service *svc, struct supervisor *s, struct svc_conf *c);

/* ---- svc_output.c: captured output ---- */

/* The pipes @io's stdout and stderr need (made once, then reused), the ring's size. */
struct spawn_io;
void svc_output_open(struct service *svc, struct spawn_io *io);
/* The run ended: what is left in the pipes, a last line without its newline too. */
void svc_output_drain(struct service *svc);
void svc_output_close(struct service *svc);
/* The log writer caught up: the pipes it held back are read again. */
void svc_output_resume(struct supervisor *s);

/* ---- supervisor.c ---- */

/* A service changed: the watchers hear of it, and sup_settle() runs again. */
void sup_changed(struct supervisor *s, struct service *svc);

/* ---- deps.c ---- */

enum dep_verdict { DEP_OK, DEP_WAIT, DEP_STOPPED, DEP_FAILED };
/*
 * What the dependencies of svc say: all satisfied, keep waiting, a required
 * one is stopped (and not coming), or one failed. *which names the culprit.
 */
enum dep_verdict svc_deps_verdict(struct service *svc, const char **which);
/* A required dependency went down: stopped or failed (not restarting). */
struct service *svc_required_down(struct service *svc);
bool svc_depends_on(const struct service *svc, const char *name);
/* The gate (a [mount.*] not there yet, or failed) @path (its first @len bytes) lies under. */
const struct path_gate *sup_gate_of(const struct supervisor *s, const char *path, size_t len);

/* ---- svc_cgroup.c ---- */

/* The group and its limits, before the service's first process exists. */
int svc_cg_setup(struct service *svc, struct nerr *e);
/* A service that is down keeps no group: removed once its last process is gone. */
void svc_cg_release(struct service *svc);
void svc_cg_close(struct service *svc);
/* memory.events changed: count the OOM kills of the kernel in the group. */
void svc_oom_check(struct service *svc);

/* ---- svc_net.c ---- */

int svc_net_assign(struct service *svc, struct nerr *e);
/* The nftables table of the bridged services that hold an address now. */
int sup_net_sync(struct supervisor *s, struct nerr *e);
/* A service that is down gives its address (and its rules) back. */
void svc_net_release(struct service *svc);
/* The nameservers of the [interface] sections: what bridged services use. */
char **sup_dns_servers(struct supervisor *s);

#endif
