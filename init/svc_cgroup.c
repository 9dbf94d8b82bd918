// SPDX-License-Identifier: MIT
/*
 * svc_cgroup.c - a service's cgroup v2 group: made with its limits before
 * the first process, OOM kills counted, removed once empty.
 */
#include "svc_internal.h"
#include "isolate/cgroup.h"

#include <sys/epoll.h>
#include <unistd.h>

/* memory.events changed: count the OOM kills of the kernel in the group. */
void svc_oom_check(struct service *svc)
{
	uint64_t n;

	if (svc->cg_mem_fd < 0 || cg_read_key(svc->cg_mem_fd, "oom_kill", &n) < 0 ||
	    n <= svc->oom_seen)
		return;
	log_warn("%s: out of memory: the kernel's OOM killer killed %llu process%s of the "
		 "service (memory_max)",
		 svc->conf->name, (unsigned long long)(n - svc->oom_seen),
		 n - svc->oom_seen == 1 ? "" : "es");
	svc->oom_kills += n - svc->oom_seen;
	svc->oom_seen = n;
	svc->oom_in_run = true;
}

static void on_mem_events(struct loop *l, int fd, uint32_t ev, void *arg)
{
	(void)l;
	(void)fd;
	(void)ev;
	svc_oom_check(arg);
}

static bool service_down(const struct service *svc)
{
	return svc->pid <= 0 &&
	       (svc->state == ST_STOPPED || svc->state == ST_EXITED || svc->state == ST_FAILED);
}

void svc_cg_close(struct service *svc)
{
	struct loop *l = svc->sup->loop;

	if (svc->cg_events_fd >= 0)
		loop_del_fd(l, svc->cg_events_fd);
	if (svc->cg_mem_fd >= 0)
		loop_del_fd(l, svc->cg_mem_fd);
	close_fd(&svc->cg_events_fd);
	close_fd(&svc->cg_mem_fd);
	close_fd(&svc->cg_fd);
}

/*
 * A service that is down keeps no group: once its last process is gone
 * (cgroup.events says "populated 0") the group is removed.
 */
void svc_cg_release(struct service *svc)
{
	uint64_t populated = 1;

	if (svc->cg_fd < 0 || !service_down(svc))
		return;
	if (svc->cg_events_fd >= 0 &&
	    (cg_read_key(svc->cg_events_fd, "populated", &populated) < 0 || populated))
		return;
	svc_oom_check(svc);
	svc_cg_close(svc);
	if (cg_remove(svc->conf->name) < 0)
		log_warn("%s: removing its cgroup: %s", svc->conf->name, strerror(errno));
}

static void on_cg_events(struct loop *l, int fd, uint32_t ev, void *arg)
{
	uint64_t populated;

	(void)l;
	(void)ev;
	/* reading the file is what acknowledges the event: without it
	 * kernfs keeps it pending and epoll reports it again at once */
	cg_read_key(fd, "populated", &populated);
	svc_cg_release(arg);
}

/* The group and its limits, before the service's first process exists. */
int svc_cg_setup(struct service *svc, struct nerr *e)
{
	const struct svc_conf *c = svc->conf;
	struct loop *l = svc->sup->loop;
	const char *key = cg_limit_key(c);
	int fd;

	if (!cg_available()) {
		if (key)
			return nerr_set(e, key, ENOTSUP, "needs cgroup v2, and %s", cg_why());
		return 0;
	}
	fd = cg_prepare(c, e);
	if (fd < 0)
		return fd;
	close_fd(&svc->cg_fd);
	svc->cg_fd = fd;
	if (svc->cg_events_fd < 0) {
		svc->cg_events_fd = cg_open(c->name, "cgroup.events");
		if (svc->cg_events_fd >= 0)
			loop_add_fd(l, svc->cg_events_fd, EPOLLPRI, on_cg_events, svc);
	}
	if (svc->cg_mem_fd < 0) {
		svc->cg_mem_fd = cg_open(c->name, "memory.events");
		if (svc->cg_mem_fd >= 0) {
			loop_add_fd(l, svc->cg_mem_fd, EPOLLPRI, on_mem_events, svc);
			cg_read_key(svc->cg_mem_fd, "oom_kill", &svc->oom_seen);
		}
	}
	return 0;
}
