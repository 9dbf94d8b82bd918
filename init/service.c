// SPDX-License-Identifier: MIT
/*
 * service.c - the state machine of one service: states, restart policy
 * with back-off, dependency gates, starting, exits and stopping, and what
 * its probes and its notify socket report.
 *
 * Every state change goes through svc_handle() and is written in one
 * place, svc_set_state(). Effects on other services are not applied here:
 * a change marks the supervisor dirty and sup_settle() (supervisor.c)
 * looks at every service again.
 */
#include "svc_internal.h"
#include "audit.h"
#include "spawn.h"
#include "events.h"
#include "isolate/cgroup.h"
#include "isolate/hide.h"
#include "isolate/ns.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const state_names[] = {
	[ST_STOPPED] = "stopped", [ST_WAITING] = "waiting",   [ST_STARTING] = "starting",
	[ST_READY] = "ready",	  [ST_STOPPING] = "stopping", [ST_BACKOFF] = "backoff",
	[ST_EXITED] = "exited",	  [ST_FAILED] = "failed",
};

const char *svc_state_name(enum svc_state s)
{
	return state_names[s];
}

/* ---- pure policy arithmetic ---- */

uint64_t backoff_step(uint64_t *cur, uint64_t first, uint64_t max, uint64_t ran_ms)
{
	uint64_t d;

	if (*cur == 0 || (*cur <= UINT64_MAX / 10 && ran_ms >= 10 * *cur))
		d = first;
	else
		d = *cur > max / 2 ? max : *cur * 2;
	if (d > max)
		d = max;
	*cur = d;
	return d;
}

bool start_limit_hit(const uint64_t *starts, unsigned nstarts, unsigned limit, uint64_t window,
		     uint64_t now)
{
	unsigned in = 0;
	unsigned n = nstarts < START_HISTORY ? nstarts : START_HISTORY;

	for (unsigned i = 0; i < n; i++)
		if (now - starts[i] < window)
			in++;
	return in >= limit;
}

bool restart_wanted(enum restart_policy p, enum svc_type t, int st)
{
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	switch (p) {
	case RESTART_ALWAYS:
		/* a oneshot that succeeded is done, whatever the policy */
		return !(t == SVC_ONESHOT && ok);
	case RESTART_ON_FAILURE:
		return !ok;
	default:
		return false;
	}
}

/* ---- helpers ---- */

bool svc_active(const struct service *svc)
{
	switch (svc->state) {
	case ST_WAITING:
	case ST_STARTING:
	case ST_READY:
	case ST_STOPPING:
	case ST_BACKOFF:
		return true;
	default:
		return false;
	}
}

bool svc_running(const struct service *svc)
{
	return svc->pid > 0;
}

/* A start asked for (not a restart after a failure): back-off and limit anew. */
static void reset_backoff(struct service *svc)
{
	svc->delay_ms = 0;
	svc->nstarts = 0;
}

char **sup_dns_servers(struct supervisor *s);

/* The bus hears of every change; an exit just reaped rides along once. */
static void state_event(struct service *svc, enum svc_state old)
{
	struct event ev = {.kind = EVENT_STATE,
			   .service = svc->conf->name,
			   .from = svc_state_name(old),
			   .to = svc_state_name(svc->state),
			   .has_exit = svc->exit_fresh && svc->has_status,
			   .exit_status = svc->last_status};

	if (svc->state == ST_FAILED || svc->state == ST_BACKOFF || svc->state == ST_EXITED)
		ev.error = svc->error[0] ? svc->error : NULL;
	svc->exit_fresh = false;
	events_emit(&ev);
}

void svc_set_state(struct service *svc, enum svc_state st)
{
	struct supervisor *s = svc->sup;

	enum svc_state old = svc->state;

	if (old == st)
		return;
	if (st == ST_STOPPED || st == ST_EXITED || st == ST_FAILED) {
		svc->state = st;
		svc_cg_release(svc); /* now, or when its last process is gone */
		svc->state = old;
		svc_net_release(svc);
	}
	log_debug("%s: %s -> %s", svc->conf->name, svc_state_name(old), svc_state_name(st));
	svc->state = st;
	state_event(svc, old);
	if ((old == ST_STARTING || old == ST_READY) && st != ST_READY)
		probe_stop(&svc->probe);
	svc->since_ms = now_ms() - s->start_ms;
	if (!svc->first_ready_ms && (st == ST_READY || st == ST_EXITED))
		svc->first_ready_ms = svc->since_ms ? svc->since_ms : 1;
	if (st == ST_READY) {
		log_info("%s: ready (pid %d)", svc->conf->name, (int)svc->pid);
		loop_cancel(s->loop, &svc->timer); /* the ready timeout */
		probe_health_begin(&svc->probe, svc->conf);
	}
	sup_changed(svc->sup, svc);
}

void svc_set_error(struct service *svc, const char *fmt, ...) PRINTF(2, 3);

void svc_set_error(struct service *svc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(svc->error, sizeof(svc->error), fmt, ap);
	va_end(ap);
	log_err("%s: %s", svc->conf->name, svc->error);
}

void svc_to_failed(struct service *svc)
{
	struct supervisor *s = svc->sup;

	loop_cancel(s->loop, &svc->timer);
	svc_set_state(svc, ST_FAILED);
	if (svc->conf->critical && !s->shutting_down) {
		char why[128];

		snprintf(why, sizeof(why), "critical service %s failed", svc->conf->name);
		sup_shutdown(s, svc->conf->on_critical, why);
	}
}

static void on_timer(struct loop *l, void *arg)
{
	(void)l;
	svc_handle(arg, EV_TIMEOUT);
}

static void arm(struct service *svc, uint64_t delay_ms)
{
	loop_at(svc->sup->loop, &svc->timer, now_ms() + delay_ms, on_timer, svc);
}

void svc_kill_group(struct service *svc, int sig)
{
	if (svc->pid > 0) {
		kill(-svc->pid, sig);
		kill(svc->pid, sig);
	}
	/* double-forked, setsid'd descendants are still in the cgroup */
	if (sig == SIGKILL && svc->cg_fd >= 0)
		cg_kill(svc->conf->name);
}

/* ---- starting ---- */

static void on_report(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct service *svc = arg;
	struct spawn_report r;
	int n;

	(void)ev;
	n = spawn_read_report(fd, &r);
	if (n == -EAGAIN)
		return;
	loop_del_fd(l, fd);
	close(fd);
	svc->report_fd = -1;
	if (n == 1) {
		svc_set_error(svc, "%s", r.what);
		return; /* the child exits; EV_EXIT follows */
	}
	svc->spawned = true;
	svc->error[0] = '\0';
	svc_handle(svc, EV_SPAWNED);
}

/* Reads a report still pending when the child already exited. */
static void drain_report(struct service *svc)
{
	if (svc->report_fd >= 0)
		on_report(svc->sup->loop, svc->report_fd, EPOLLIN, svc);
}

/*
 * The host id range of a service's user namespace: its name's slot, moved
 * on past slots the services before it in the manifest took, so two
 * services never share ids while the manifest stays the same.
 */
static uid_t uid_base_of(struct supervisor *s, struct service *svc)
{
	unsigned used[256], nused = 0, slot = 0;

	for (int i = 0; i < s->nsvc; i++) {
		struct service *o = s->svcs[i];

		if (!(o->conf->namespaces & NS_USER) && o != svc)
			continue;
		slot = ns_uid_slot_hash(o->conf->name);
		for (unsigned k = 0; k < nused; k++) {
			if (used[k] == slot) {
				slot = slot % NS_UID_SLOTS + 1;
				k = (unsigned)-1;
			}
		}
		if (o == svc)
			break;
		if (nused < ARRAY_SIZE(used))
			used[nused++] = slot;
	}
	return (uid_t)slot << 16;
}

void svc_spawn_io(struct service *svc, struct spawn_io *io)
{
	struct supervisor *s = svc->sup;

	io->seccomp = svc->sc.len ? &svc->sc : NULL;
	io->newroot = s->newroot;
	io->rootfs = s->rootfs;
	io->uid_base = (svc->conf->namespaces & NS_USER) ? uid_base_of(s, svc) : 0;
	io->cgroup_fd = svc->cg_fd;
	io->net = svc->conf->network == NET_BRIDGE && svc->net.addr ? &svc->net : NULL;
	io->dns = io->net ? sup_dns_servers(s) : NULL;
}

/*
 * The seccomp filter, compiled in PID 1: once per definition for the
 * built-in list (embedded, or cached by seccomp.c), at every start for a
 * profile file.
 */
static int prepare_isolation(struct service *svc, struct nerr *e)
{
	struct supervisor *s = svc->sup;
	const struct svc_conf *c = svc->conf;
	int r;

	if (!c->isolate)
		return 0;
	/* a profile file is read again at every start, like any file a service uses */
	if (svc->sc_conf != c || (c->seccomp && c->seccomp[0] == '/')) {
		sc_prog_free(&svc->sc);
		svc->sc_conf = NULL;
		r = sc_compile(c, &svc->sc, e);
		if (r)
			return r;
		svc->sc_conf = c;
	}
	/* the kernel's audit records of denials, where PID 1 takes them: not
	 * into a host's log that no one attributes (a PID namespace) */
	svc->sc.log =
		c->seccomp_log && audit_running() && !(c->seccomp && !strcmp(c->seccomp, "learn"));
	if ((c->namespaces & NS_MOUNT) && !s->newroot) {
		if (asprintf(&s->newroot, "%s/root", s->runtime_dir) < 0) {
			s->newroot = NULL;
			return nerr_set(e, "root", ENOMEM, "out of memory");
		}
		r = mkdir_p(s->newroot, 0755);
		if (r) {
			nerr_set(e, "root", -r, "%s: %s", s->newroot, strerror(-r));
			free(s->newroot);
			s->newroot = NULL;
			return r;
		}
	}
	return 0;
}

/* PID 1's spawn work: the filter, the cgroup and its limits, the address. */
static int spawn_prepare(struct service *svc, struct nerr *e)
{
	const struct svc_conf *c = svc->conf;

	if (prepare_isolation(svc, e) || svc_cg_setup(svc, e) ||
	    (c->isolate && c->network == NET_BRIDGE && svc_net_assign(svc, e)))
		return -1;
	if (svc->net.addr && sup_net_sync(svc->sup, e)) {
		svc_net_release(svc);
		return -1;
	}
	return 0;
}

/* The fds a run gets: output pipe, fd:N pipe, notify socket (all kept by us). */
static void spawn_fds(struct service *svc, struct spawn_io *io)
{
	const struct svc_conf *c = svc->conf;
	struct nerr e = {0};
	int r;

	svc_output_open(svc, io);
	if (c->ready.kind == PROBE_FD && probe_fd_pipe(&svc->probe, &io->ready_fd) == 0)
		io->ready_fdnum = c->ready.fd;
	if (c->ready.kind == PROBE_NOTIFY || c->watchdog_ms) {
		r = notifier_open(&svc->notify, svc->sup->runtime_dir);
		if (r)
			log_warn("%s: notify socket under %s/notify: %s", c->name,
				 svc->sup->runtime_dir, strerror(-r));
		else
			io->notify_socket = svc->notify.path;
	}
	io->watchdog_usec = c->watchdog_ms * 1000;
	svc_spawn_io(svc, io);
	/* (a user that cannot be found is the child's error to report) */
	if (io->notify_socket && spawn_notify_owner(c, io->notify_socket, io->uid_base, &e) &&
	    !strcmp(e.step, "notify"))
		log_warn("%s: %s", c->name, e.what);
	/* the covers go into the root the service builds; its probes join it */
	if (c->isolate && (c->namespaces & NS_MOUNT))
		io->hide = hide_current();
}

/* The child runs: what we keep of it, and the wait for its setup report. */
static void spawned(struct service *svc, const struct spawn_out *out)
{
	const struct svc_conf *c = svc->conf;

	svc->pid = out->pid;
	svc->sid = out->pid;
	svc->report_fd = out->report_fd;
	svc->status_fd = out->status_fd;
	svc->ns_init = out->status_fd >= 0;
	svc->netns_fd = -1;
	if (c->isolate && (c->namespaces & NS_NET)) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)out->pid);
		svc->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	svc->probe.netns_fd = svc->netns_fd;
	svc->started_ms = now_ms();
	probe_set_health(&svc->probe, HEALTH_UNKNOWN);
	free(svc->status_text);
	svc->status_text = NULL;
	log_debug("%s: started pid %d", c->name, (int)out->pid);
	if (loop_add_fd(svc->sup->loop, svc->report_fd, EPOLLIN, on_report, svc)) {
		/* cannot watch it: read it when the child exits */
	}
	svc_set_state(svc, ST_STARTING);
	if (c->ready.kind != PROBE_NONE)
		arm(svc, c->ready_timeout_ms);
}

static void spawn_now(struct service *svc)
{
	struct supervisor *s = svc->sup;
	struct spawn_io io = {
		.log_fd = -1, .err_fd = -1, .console_fd = log_console_fd(), .ready_fd = -1};
	struct spawn_out out = {.pid = -1, .status_fd = -1, .report_fd = -1};
	struct nerr e = {0};
	uint64_t t0;
	int r;

	if (svc->next_conf) {
		svc_conf_free(svc->conf);
		svc->conf = svc->next_conf;
		svc->next_conf = NULL;
	}
	if (s->shutting_down || s->boot_stopped) {
		svc_set_state(svc, ST_STOPPED);
		return;
	}
	t0 = now_us();
	if (spawn_prepare(svc, &e)) {
		s->spawn_us += now_us() - t0;
		svc_set_error(svc, "%s: %s", e.step, e.what);
		svc_to_failed(svc);
		return;
	}
	svc->oom_in_run = false;
	spawn_fds(svc, &io);
	svc->starts[svc->nstarts++ % START_HISTORY] = now_ms();
	svc->spawned = false;
	svc->ready_failed = false;
	r = spawn_service(svc->conf, &io, &out, &e);
	s->spawn_us += now_us() - t0;
	if (io.ready_fd >= 0)
		close(io.ready_fd);
	if (r < 0) {
		/* PID 1's side of the start: name the step ("network: ...") */
		if (e.step && strncmp(e.what, e.step, strlen(e.step)))
			svc_set_error(svc, "%s: %s", e.step, e.what);
		else
			svc_set_error(svc, "%s", e.what);
		svc_to_failed(svc);
		return;
	}
	spawned(svc, &out);
}

/* Waiting for dependencies, or starting when they are satisfied. */
static void try_start(struct service *svc)
{
	const char *which = NULL;

	switch (svc_deps_verdict(svc, &which)) {
	case DEP_OK:
		svc->dep_blocked = false;
		spawn_now(svc);
		break;
	case DEP_WAIT:
		svc_set_state(svc, ST_WAITING);
		break;
	case DEP_STOPPED:
		svc->dep_blocked = true;
		svc_set_state(svc, ST_STOPPED);
		break;
	case DEP_FAILED:
		svc->dep_blocked = true;
		svc_set_error(svc, "dependency %s failed", which);
		svc_to_failed(svc);
		break;
	}
}

/* ---- exits ---- */

static void describe_status(int st, char *buf, size_t n)
{
	if (WIFEXITED(st))
		snprintf(buf, n, "status %d", WEXITSTATUS(st));
	else
		snprintf(buf, n, "signal %s", signal_name(WTERMSIG(st)));
}

/* A run ended badly: back-off, unless the start limit says failed. */
static void schedule_restart(struct service *svc, const char *desc)
{
	struct svc_conf *c = svc->conf;
	uint64_t now = now_ms(), wait;

	if (start_limit_hit(svc->starts, svc->nstarts, c->start_limit_n, c->start_limit_ms, now)) {
		svc_set_error(svc, "start limit hit: %u starts within %llums (last: %s)",
			      c->start_limit_n, (unsigned long long)c->start_limit_ms, desc);
		svc_to_failed(svc);
		return;
	}
	wait = backoff_step(&svc->delay_ms, c->restart_delay_ms, c->restart_delay_max_ms,
			    now - svc->started_ms);
	log_warn("%s: %s; restarting in %llums", c->name, desc, (unsigned long long)wait);
	svc->restarts++;
	arm(svc, wait);
	svc_set_state(svc, ST_BACKOFF);
}

static void after_exit(struct service *svc)
{
	struct svc_conf *c = svc->conf;
	int st = svc->last_status;
	char desc[64];

	snprintf(desc, sizeof(desc), "exited with ");
	describe_status(st, desc + strlen(desc), sizeof(desc) - strlen(desc));
	if (svc->oom_in_run && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		snprintf(desc, sizeof(desc), "was killed by the OOM killer (SIGKILL)");
	if (!svc->spawned && svc->error[0]) {
		/* it could not be set up: the same step would fail again */
		svc_to_failed(svc);
		return;
	}
	if (!restart_wanted(c->restart, c->type, st) || !svc->want_up) {
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

		if ((c->type == SVC_ONESHOT && !ok) || svc->ready_failed) {
			if (!svc->ready_failed)
				svc_set_error(svc, "%s", desc);
			svc_to_failed(svc);
		} else {
			log_info("%s: %s", c->name, desc);
			svc_set_state(svc, ST_EXITED);
			/* a critical service that died for good is as bad as failed */
			if (!ok && c->critical && svc->want_up && !svc->sup->shutting_down) {
				char why[128];

				snprintf(why, sizeof(why), "critical service %s %s", c->name, desc);
				sup_shutdown(svc->sup, c->on_critical, why);
			}
		}
		return;
	}
	schedule_restart(svc, desc);
}

/* The main process of a stopping service is gone. */
void svc_stopped(struct service *svc)
{
	struct service *d;

	loop_cancel(svc->sup->loop, &svc->timer);
	if (svc->restart_backoff && svc->want_up && !svc->sup->shutting_down) {
		svc->restart_backoff = false;
		svc->restart_req = false;
		schedule_restart(svc, "unhealthy");
		return;
	}
	svc->restart_backoff = false;
	if (svc->restart_req && svc->want_up && !svc->sup->shutting_down) {
		svc->restart_req = false;
		reset_backoff(svc);
		try_start(svc);
		return;
	}
	svc->restart_req = false;
	if (svc->dep_blocked && (d = svc_required_down(svc)) && d->state == ST_FAILED) {
		svc_set_error(svc, "dependency %s failed", d->conf->name);
		svc_to_failed(svc);
		return;
	}
	svc_set_state(svc, ST_STOPPED);
}

void svc_begin_stop(struct service *svc)
{
	struct svc_conf *c = svc->conf;

	if (!svc_running(svc)) {
		svc_stopped(svc);
		return;
	}
	log_info("%s: stopping (%s)", c->name, signal_name(c->stop_signal));
	svc->killed = false;
	kill(svc->pid, c->stop_signal);
	if (c->stop_signal != SIGKILL)
		kill(svc->pid, SIGCONT);
	arm(svc, c->stop_timeout_ms);
	svc_set_state(svc, ST_STOPPING);
}

/* ---- the state machine ---- */

static void on_dep_change(struct service *svc)
{
	struct supervisor *s = svc->sup;
	struct service *d;

	if (s->shutting_down)
		return;
	switch (svc->state) {
	case ST_WAITING:
		try_start(svc);
		break;
	case ST_STOPPED:
	case ST_FAILED:
		if (svc->dep_blocked && svc->want_up) {
			const char *which = NULL;
			enum dep_verdict v = svc_deps_verdict(svc, &which);

			if (v == DEP_OK) {
				reset_backoff(svc);
				try_start(svc);
			} else if (v == DEP_FAILED && svc->state == ST_STOPPED) {
				svc_set_error(svc, "dependency %s failed", which);
				svc_to_failed(svc);
			}
		}
		break;
	case ST_STARTING:
	case ST_READY:
	case ST_BACKOFF:
		if ((d = svc_required_down(svc))) {
			log_info("%s: stopping, it requires %s which is %s", svc->conf->name,
				 d->conf->name, svc_state_name(d->state));
			svc->dep_blocked = true;
			if (svc->state == ST_BACKOFF)
				svc_stopped(svc);
			else
				svc_begin_stop(svc);
		}
		break;
	default:
		break;
	}
}

void svc_handle(struct service *svc, enum svc_event ev)
{
	switch (ev) {
	case EV_START:
		svc->want_up = true;
		switch (svc->state) {
		case ST_STOPPED:
		case ST_EXITED:
		case ST_FAILED:
			reset_backoff(svc);
			svc->dep_blocked = false;
			svc->error[0] = '\0';
			try_start(svc);
			break;
		case ST_STOPPING:
			svc->restart_req = true;
			break;
		default:
			break;
		}
		break;
	case EV_SPAWNED:
		if (svc->state != ST_STARTING || svc->conf->type != SVC_LONGRUN)
			break;
		if (svc->conf->ready.kind == PROBE_NONE)
			svc_set_state(svc, ST_READY);
		else
			probe_ready_begin(&svc->probe, svc->conf);
		break;
	case EV_READY:
		if (svc->state == ST_STARTING)
			svc_set_state(svc, ST_READY);
		break;
	case EV_EXIT:
		svc->exit_fresh = true;
		/* what a run said of itself ends with it */
		free(svc->status_text);
		svc->status_text = NULL;
		drain_report(svc);
		svc_output_drain(svc);
		/* whatever is left of its process group, and of its cgroup, goes with it */
		if (svc->last_pid > 0)
			kill(-svc->last_pid, SIGKILL);
		if (svc->cg_fd >= 0) {
			cg_kill(svc->conf->name);
			svc_oom_check(svc);
		}
		if (svc->state == ST_STOPPING)
			svc_stopped(svc);
		else if (svc->state == ST_STARTING || svc->state == ST_READY)
			after_exit(svc);
		svc->exit_fresh = false;
		break;
	case EV_STOP:
		switch (svc->state) {
		case ST_WAITING:
		case ST_BACKOFF:
			svc_stopped(svc);
			break;
		case ST_STARTING:
		case ST_READY:
			svc_begin_stop(svc);
			break;
		case ST_EXITED:
		case ST_FAILED:
			svc_set_state(svc, ST_STOPPED);
			break;
		default:
			break;
		}
		break;
	case EV_TIMEOUT:
		if (svc->state == ST_BACKOFF) {
			try_start(svc);
		} else if (svc->state == ST_STARTING) {
			svc_set_error(svc, "not ready within %llums",
				      (unsigned long long)svc->conf->ready_timeout_ms);
			svc->ready_failed = true;
			svc_kill_group(svc, SIGKILL);
		} else if (svc->state == ST_STOPPING && !svc->killed) {
			log_warn("%s: did not stop within %llums; sending SIGKILL", svc->conf->name,
				 (unsigned long long)svc->conf->stop_timeout_ms);
			svc->killed = true;
			svc_kill_group(svc, SIGKILL);
		}
		break;
	case EV_DEP_CHANGE:
		on_dep_change(svc);
		break;
	}
}

void svc_unhealthy(struct service *svc, const char *why)
{
	struct svc_conf *c = svc->conf;

	log_warn("%s: unhealthy: %s", c->name, why);
	if (svc->state != ST_READY)
		return;
	switch (c->on_unhealthy) {
	case UNHEALTHY_RESTART:
		/* like a crash: counted, and the next start follows the back-off */
		svc->restart_backoff = true;
		svc_begin_stop(svc);
		break;
	case UNHEALTHY_STOP:
		svc_cmd_stop(svc);
		break;
	default:
		break;
	}
}

/* ---- what probes and the notify socket report ---- */

static void probe_said_ready(void *owner)
{
	svc_handle(owner, EV_READY);
}

static void probe_said_unhealthy(void *owner, const char *why)
{
	svc_unhealthy(owner, why);
}

static pid_t probe_spawn(void *owner, char *const *argv, int *report_fd, struct nerr *e)
{
	struct service *svc = owner;
	struct spawn_io io = {.log_fd = -1, .err_fd = -1, .console_fd = -1, .ready_fd = -1};

	svc_spawn_io(svc, &io);
	return spawn_probe(svc->conf, &io, svc->pid, argv, report_fd, e);
}

static const char *probe_owner_name(void *owner)
{
	return ((struct service *)owner)->conf->name;
}

static const struct probe_ops svc_probe_ops = {
	.ready = probe_said_ready,
	.unhealthy = probe_said_unhealthy,
	.name = probe_owner_name,
	.spawn_exec = probe_spawn,
};

/* The session of a pid, from /proc/PID/stat (field 6); -1 when it is gone. */
static pid_t session_of(pid_t pid)
{
	pid_t ppid, sid;

	return proc_stat_ids(pid, &ppid, &sid) ? -1 : sid;
}

/*
 * A process of the service: its main process, or one in the session its
 * first process opened (every run starts with setsid).
 */
static bool owns(const struct service *svc, pid_t pid)
{
	return svc->pid > 0 && (pid == svc->pid || session_of(pid) == svc->sid);
}

static bool notify_said(void *owner, const struct notify_msg *m, pid_t sender)
{
	struct service *svc = owner;
	const struct svc_conf *c = svc->conf;

	if (!owns(svc, sender))
		return false;
	if (m->has_status) {
		free(svc->status_text);
		svc->status_text = m->status[0] ? strdup(m->status) : NULL;
	}
	/* in a PID namespace of its own the number means nothing here: the
	 * namespace's init stays the main process and forwards signals */
	if (m->has_mainpid && !svc->ns_init && owns(svc, (pid_t)m->mainpid)) {
		log_debug("%s: main pid %d -> %ld (from %d)", c->name, (int)svc->pid, m->mainpid,
			  (int)sender);
		svc->pid = (pid_t)m->mainpid;
	}
	if (m->watchdog)
		probe_watchdog_kick(&svc->probe);
	if (m->stopping)
		log_info("%s: stopping (STOPPING=1)", c->name);
	if (m->reloading)
		log_info("%s: reloading (RELOADING=1)", c->name);
	if (m->ready && c->ready.kind == PROBE_NOTIFY && svc->state == ST_STARTING)
		svc_handle(svc, EV_READY);
	return true;
}

void svc_init(struct service *svc, struct supervisor *s, struct svc_conf *c)
{
	memset(svc, 0, sizeof(*svc));
	svc->sup = s;
	svc->conf = c;
	svc->state = ST_STOPPED;
	svc->report_fd = -1;
	svc->out[0].rd = svc->out[0].wr = svc->out[1].rd = svc->out[1].wr = -1;
	svc->status_fd = svc->netns_fd = -1;
	svc->cg_fd = svc->cg_events_fd = svc->cg_mem_fd = -1;
	svc->since_ms = now_ms() - s->start_ms;
	timer_init(&svc->timer);
	probe_init(&svc->probe, s->loop, &svc_probe_ops, svc);
	notifier_init(&svc->notify, s->loop, c->name, notify_said, svc);
}

/* ---- control commands ---- */

int svc_cmd_start(struct service *svc)
{
	if (svc->sup->shutting_down)
		return -ESHUTDOWN;
	/* requires pulls its dependencies up, as systemd's Requires= does */
	for (int i = 0; svc->conf->requires && svc->conf->requires[i]; i++) {
		struct service *d = sup_find(svc->sup, svc->conf->requires[i]);

		if (d && !d->want_up)
			svc_cmd_start(d);
	}
	svc_handle(svc, EV_START);
	return 0;
}

int svc_cmd_stop(struct service *svc)
{
	svc->want_up = false;
	svc->restart_req = false;
	svc->dep_blocked = false;
	svc_handle(svc, EV_STOP);
	return 0;
}

int svc_cmd_restart(struct service *svc)
{
	if (svc->sup->shutting_down)
		return -ESHUTDOWN;
	svc->want_up = true;
	if (svc->state == ST_STARTING || svc->state == ST_READY) {
		svc->restart_req = true;
		svc_begin_stop(svc);
	} else if (svc->state == ST_STOPPING) {
		svc->restart_req = true;
	} else {
		if (svc->state == ST_BACKOFF || svc->state == ST_WAITING) {
			loop_cancel(svc->sup->loop, &svc->timer);
			svc_set_state(svc, ST_STOPPED);
		}
		svc_handle(svc, EV_START);
	}
	return 0;
}
