// SPDX-License-Identifier: MIT
/*
 * service.c - service states, restart policy with back-off, dependency
 * gates, and the shutdown order.
 *
 * Every state change goes through svc_handle(). Effects on other services
 * (a dependency became ready, a required one stopped, the shutdown may stop
 * the next one) are not applied recursively: set_state() only marks the
 * supervisor dirty, and sup_settle(), run after each batch of events, lets
 * every service look at its dependencies again until nothing changes.
 */
#include "service.h"
#include "spawn.h"
#include "isolate/cgroup.h"
#include "net/ipam.h"
#include "net/nft.h"
#include "isolate/mount.h"
#include "isolate/ns.h"
#include "stages.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

static bool dirty;

static const char *const state_names[] = {
	[ST_STOPPED] = "stopped", [ST_WAITING] = "waiting",   [ST_STARTING] = "starting",
	[ST_READY] = "ready",	  [ST_STOPPING] = "stopping", [ST_BACKOFF] = "backoff",
	[ST_EXITED] = "exited",	  [ST_FAILED] = "failed",
};

const char *svc_state_name(enum svc_state s)
{
	return state_names[s];
}

const char *health_name(enum health_state h)
{
	return h == HEALTH_HEALTHY ? "healthy" : h == HEALTH_UNHEALTHY ? "unhealthy" : "unknown";
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

static bool active(const struct service *svc)
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

static bool running(const struct service *svc)
{
	return svc->pid > 0;
}

/* A start asked for (not a restart after a failure): back-off and limit anew. */
static void reset_backoff(struct service *svc)
{
	svc->delay_ms = 0;
	svc->nstarts = 0;
}

static void cg_release(struct service *svc);
static char **dns_servers(struct supervisor *s);
static void net_release(struct service *svc);

static void set_state(struct service *svc, enum svc_state st)
{
	struct supervisor *s = svc->sup;

	enum svc_state old = svc->state;

	if (old == st)
		return;
	if (st == ST_STOPPED || st == ST_EXITED || st == ST_FAILED) {
		svc->state = st;
		cg_release(svc); /* now, or when its last process is gone */
		svc->state = old;
		net_release(svc);
	}
	log_debug("%s: %s -> %s", svc->conf->name, state_names[old], state_names[st]);
	svc->state = st;
	if ((old == ST_STARTING || old == ST_READY) && st != ST_READY)
		probe_stop(svc);
	svc->since_ms = now_ms() - s->start_ms;
	if (!svc->first_ready_ms && (st == ST_READY || st == ST_EXITED))
		svc->first_ready_ms = svc->since_ms ? svc->since_ms : 1;
	if (st == ST_READY) {
		log_info("%s: ready (pid %d)", svc->conf->name, (int)svc->pid);
		loop_cancel(s->loop, &svc->timer); /* the ready timeout */
		probe_health_begin(svc);
	}
	dirty = true;
	control_notify(svc);
}

static void set_error(struct service *svc, const char *fmt, ...) PRINTF(2, 3);

static void set_error(struct service *svc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(svc->error, sizeof(svc->error), fmt, ap);
	va_end(ap);
	log_err("%s: %s", svc->conf->name, svc->error);
}

static void to_failed(struct service *svc)
{
	struct supervisor *s = svc->sup;

	loop_cancel(s->loop, &svc->timer);
	set_state(svc, ST_FAILED);
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

static void kill_group(struct service *svc, int sig)
{
	if (svc->pid > 0) {
		kill(-svc->pid, sig);
		kill(svc->pid, sig);
	}
	/* double-forked, setsid'd descendants are still in the cgroup */
	if (sig == SIGKILL && svc->cg_fd >= 0)
		cg_kill(svc->conf->name);
}

/* ---- output capture ---- */

static void emit_line(void *arg, const char *line, size_t n)
{
	struct service *svc = arg;
	char buf[LINEBUF_SIZE + 80];
	int k = snprintf(buf, sizeof(buf), "%s: ", svc->conf->name);

	if (k < 0 || (size_t)k >= sizeof(buf) - n - 1)
		return;
	memcpy(buf + k, line, n);
	buf[k + (int)n] = '\n';
	log_console_write(buf, (size_t)k + n + 1);
	logring_add(&svc->ring, line, n);
}

static void on_log(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct service *svc = arg;
	char buf[4096];

	(void)l;
	(void)ev;
	/* A few reads per wakeup keep one chatty service from starving the loop. */
	for (int i = 0; i < 4; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		linebuf_feed(&svc->lb, buf, (size_t)n, emit_line, svc);
	}
}

/* The main process is gone: what it wrote last, even without a newline. */
static void drain_log(struct service *svc)
{
	if (svc->log_rd < 0)
		return;
	on_log(svc->sup->loop, svc->log_rd, EPOLLIN, svc);
	linebuf_flush(&svc->lb, emit_line, svc);
}

static int log_pipe(struct service *svc)
{
	int p[2];

	if (svc->log_rd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/* The child's end blocks: a service writing faster than we read waits. */
	fcntl(p[1], F_SETFL, 0);
	if (loop_add_fd(svc->sup->loop, p[0], EPOLLIN, on_log, svc)) {
		close(p[0]);
		close(p[1]);
		return -ENOMEM;
	}
	svc->log_rd = p[0];
	svc->log_wr = p[1];
	return 0;
}

/* ---- dependencies ---- */

enum dep_verdict { DEP_OK, DEP_WAIT, DEP_STOPPED, DEP_FAILED };

/*
 * What the dependencies of svc say: all satisfied, keep waiting, a required
 * one is stopped (and not coming), or one failed. *which names the culprit.
 */
static enum dep_verdict deps_verdict(struct service *svc, const char **which)
{
	struct supervisor *s = svc->sup;
	enum dep_verdict v = DEP_OK;

	for (int pass = 0; pass < 2; pass++) {
		char **deps = pass ? svc->conf->requires : svc->conf->after;

		for (int i = 0; deps && deps[i]; i++) {
			struct service *d = sup_find(s, deps[i]);

			if (!d)
				continue; /* validated; a dropped one is never referenced */
			if (d->state == ST_FAILED) {
				*which = d->conf->name;
				return DEP_FAILED;
			}
			if (d->state == ST_READY || d->state == ST_EXITED)
				continue;
			if (!d->want_up && !active(d)) {
				/* after orders only; requires needs it up */
				if (pass) {
					*which = d->conf->name;
					v = DEP_STOPPED;
				}
				continue;
			}
			if (v == DEP_OK) {
				*which = d->conf->name;
				v = DEP_WAIT;
			}
		}
	}
	return v;
}

/* A required dependency went down: stopped or failed (not restarting). */
static struct service *required_down(struct service *svc)
{
	for (int i = 0; svc->conf->requires && svc->conf->requires[i]; i++) {
		struct service *d = sup_find(svc->sup, svc->conf->requires[i]);

		if (d && (d->state == ST_FAILED || d->state == ST_STOPPED ||
			  (d->state == ST_STOPPING && !d->restart_req)))
			return d;
	}
	return NULL;
}

static bool depends_on(const struct service *svc, const char *name)
{
	return strv_contains(svc->conf->after, name) || strv_contains(svc->conf->requires, name);
}

/* ---- starting ---- */

static void spawn_now(struct service *svc);

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

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
		set_error(svc, "%s", r.what);
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
	io->dns = io->net ? dns_servers(s) : NULL;
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

/* ---- the service's address on its bridge ---- */

static void ipam_dir(struct supervisor *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s/ipam", s->runtime_dir);
}

/*
 * network = bridge: the address this run gets (kept while the service is
 * up or backing off, remembered under RUNTIME_DIR/ipam for a reload or a
 * restart of nucleus-init), never one another running service holds.
 */
static int net_assign(struct service *svc, struct nerr *e)
{
	struct supervisor *s = svc->sup;
	const struct svc_conf *c = svc->conf;
	struct ipam_net net;
	uint32_t *taken, want = 0, prev = svc->net.addr, addr;
	const char *holder = NULL;
	char dir[4096], txt[16];
	int ntaken = 0, r;

	if (ipam_parse_subnet(c->subnet ? c->subnet : "10.88.0.0/16", &net))
		return nerr_set(e, "subnet", EINVAL, "%s: not an IPv4 subnet", c->subnet);
	if (c->address) {
		struct in_addr a;

		inet_pton(AF_INET, c->address, &a);
		want = ntohl(a.s_addr);
	}
	taken = calloc((size_t)s->nsvc + 1, sizeof(*taken));
	if (!taken)
		return nerr_set(e, "address", ENOMEM, "out of memory");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *o = s->svcs[i];

		if (o == svc || !o->net.addr)
			continue;
		if (o->net.addr == want)
			holder = o->conf->name;
		taken[ntaken++] = o->net.addr;
	}
	ipam_dir(s, dir, sizeof(dir));
	if (!prev)
		ipam_load(dir, c->name, &prev);
	r = ipam_pick(&net, c->name, want, prev, taken, ntaken, &addr);
	free(taken);
	if (r == -EADDRINUSE)
		return nerr_set(e, "address", EADDRINUSE, "%s is in use by %s", c->address,
				holder ? holder : "another service");
	if (r == -EINVAL)
		return nerr_set(e, "address", EINVAL, "%s is not a host address of %s", c->address,
				c->subnet ? c->subnet : "10.88.0.0/16");
	if (r)
		return nerr_set(e, "address", -r, "no free address left in %s",
				c->subnet ? c->subnet : "10.88.0.0/16");
	svc->net.bridge = c->bridge ? c->bridge : "nucleus0";
	svc->net.addr = addr;
	svc->net.gw = ipam_gateway(&net);
	svc->net.prefix = net.prefix;
	if ((r = ipam_save(dir, c->name, addr)) < 0)
		log_warn("%s: remembering address %s under %s: %s", c->name, ipam_str(addr, txt),
			 dir, strerror(-r));
	return 0;
}

/* The nameservers of the [interface] sections: what bridged services use. */
static char **dns_servers(struct supervisor *s)
{
	static char *list[16];
	int n = 0;

	for (int i = 0; s->m && i < s->m->niface; i++)
		for (int k = 0; s->m->ifaces[i].dns && s->m->ifaces[i].dns[k] && n < 15; k++)
			list[n++] = s->m->ifaces[i].dns[k];
	list[n] = NULL;
	return list;
}

static void write_sysctl(const char *path, const char *v)
{
	int r = write_text(AT_FDCWD, path, v);

	if (r < 0)
		log_warn("%s: %s", path, strerror(-r));
}

/* ip_forward on while a bridged service runs, as it was before once none does. */
static void forwarding(struct supervisor *s, bool on)
{
	static const char path[] = "/proc/sys/net/ipv4/ip_forward";

	if (on && !s->fwd_saved) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, s->fwd_old, sizeof(s->fwd_old) - 1) : -1;

		if (fd >= 0)
			close(fd);
		s->fwd_old[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			snprintf(s->fwd_old, sizeof(s->fwd_old), "0");
		write_sysctl(path, "1");
		s->fwd_saved = true;
	} else if (!on && s->fwd_saved) {
		write_sysctl(path, s->fwd_old);
		s->fwd_saved = false;
	}
}

/*
 * The nftables table for the bridged services that hold an address now;
 * applied only when it changed. Without nft, services that ask for
 * nothing but a bridge still run (without NAT); publish and egress fail.
 */
static int net_sync(struct supervisor *s, struct nerr *e)
{
	struct nft_svc *v = calloc((size_t)s->nsvc + 1, sizeof(*v));
	struct strbuf sb;
	int n = 0, r;

	if (!v)
		return nerr_set(e, "network", ENOMEM, "out of memory");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *o = s->svcs[i];
		const struct svc_conf *c = o->conf;

		if (!o->net.addr)
			continue;
		v[n] = (struct nft_svc){.name = c->name,
					.bridge = o->net.bridge,
					.addr = o->net.addr,
					.publish = c->publish,
					.egress = c->egress};
		ipam_parse_subnet(c->subnet ? c->subnet : "10.88.0.0/16", &v[n].net);
		n++;
	}
	forwarding(s, n > 0);
	sb_init(&sb);
	r = nft_render(v, n, dns_servers(s), &sb);
	if (r) {
		sb_free(&sb);
		free(v);
		return nerr_set(e, "network", -r, "nftables ruleset: %s", strerror(-r));
	}
	if ((s->nft_last && !strcmp(s->nft_last, sb.buf)) || (!s->nft_last && n == 0)) {
		sb_free(&sb);
		free(v);
		return 0;
	}
	r = nft_apply(sb.buf, e);
	if (r == -ENOENT && !nft_required(v, n)) {
		if (!s->nft_missing)
			log_warn("%s: bridged services run without NAT", e->what);
		s->nft_missing = true;
		r = 0;
	} else if (!r) {
		free(s->nft_last);
		s->nft_last = n ? strdup(sb.buf) : NULL;
	}
	sb_free(&sb);
	free(v);
	return r;
}

/* A service that is down gives its address (and its rules) back. */
static void net_release(struct service *svc)
{
	struct nerr e = {0};
	char dir[4096];

	if (!svc->net.addr)
		return;
	ipam_dir(svc->sup, dir, sizeof(dir));
	ipam_forget(dir, svc->conf->name);
	svc->net.addr = 0;
	if (net_sync(svc->sup, &e))
		log_err("%s: removing its network rules: %s", svc->conf->name, e.what);
}

/* ---- the service's cgroup ---- */

/* memory.events changed: count the OOM kills of the kernel in the group. */
static void oom_check(struct service *svc)
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
	oom_check(arg);
}

static bool service_down(const struct service *svc)
{
	return svc->pid <= 0 &&
	       (svc->state == ST_STOPPED || svc->state == ST_EXITED || svc->state == ST_FAILED);
}

static void cg_close(struct service *svc)
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
static void cg_release(struct service *svc)
{
	uint64_t populated = 1;

	if (svc->cg_fd < 0 || !service_down(svc))
		return;
	if (svc->cg_events_fd >= 0 &&
	    (cg_read_key(svc->cg_events_fd, "populated", &populated) < 0 || populated))
		return;
	oom_check(svc);
	cg_close(svc);
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
	cg_release(arg);
}

/* The group and its limits, before the service's first process exists. */
static int cg_setup(struct service *svc, struct nerr *e)
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

static void spawn_now(struct service *svc)
{
	struct supervisor *s = svc->sup;
	struct svc_conf *c;
	struct spawn_io io = {.log_fd = -1, .console_fd = log_console_fd(), .ready_fd = -1};
	struct spawn_out out;
	struct nerr e = {0};
	int r;

	if (svc->next_conf) {
		svc_conf_free(svc->conf);
		svc->conf = svc->next_conf;
		svc->next_conf = NULL;
	}
	c = svc->conf;
	if (s->shutting_down || s->boot_stopped) {
		set_state(svc, ST_STOPPED);
		return;
	}
	uint64_t t0 = now_us();

	/* PID 1's spawn work: the filter, the cgroup and its limits, the clone */
	if (prepare_isolation(svc, &e) || cg_setup(svc, &e) ||
	    (c->isolate && c->network == NET_BRIDGE && net_assign(svc, &e))) {
		s->spawn_us += now_us() - t0;
		set_error(svc, "%s: %s", e.step, e.what);
		to_failed(svc);
		return;
	}
	if (svc->net.addr && net_sync(s, &e)) {
		net_release(svc);
		s->spawn_us += now_us() - t0;
		set_error(svc, "%s: %s", e.step, e.what);
		to_failed(svc);
		return;
	}
	svc->oom_in_run = false;
	if ((c->out.kind == OUT_LOG || c->err.kind == OUT_LOG) && log_pipe(svc) == 0)
		io.log_fd = svc->log_wr;
	if (c->ready.kind == PROBE_FD && probe_fd_pipe(svc, &io.ready_fd) == 0)
		io.ready_fdnum = c->ready.fd;
	if (c->ready.kind == PROBE_NOTIFY || c->watchdog_ms)
		io.notify_socket = notify_path();
	io.watchdog_usec = c->watchdog_ms * 1000;
	svc_spawn_io(svc, &io);
	svc->starts[svc->nstarts++ % START_HISTORY] = now_ms();
	svc->spawned = false;
	svc->ready_failed = false;
	r = spawn_service(c, &io, &out, &e);
	s->spawn_us += now_us() - t0;
	if (io.ready_fd >= 0)
		close(io.ready_fd);
	if (r < 0) {
		/* PID 1's side of the start: name the step ("network: ...") */
		if (e.step && strncmp(e.what, e.step, strlen(e.step)))
			set_error(svc, "%s: %s", e.step, e.what);
		else
			set_error(svc, "%s", e.what);
		to_failed(svc);
		return;
	}
	svc->pid = out.pid;
	svc->sid = out.pid;
	svc->report_fd = out.report_fd;
	svc->status_fd = out.status_fd;
	svc->ns_init = out.status_fd >= 0;
	svc->netns_fd = -1;
	if (c->isolate && (c->namespaces & NS_NET)) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)out.pid);
		svc->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	svc->started_ms = now_ms();
	svc->health = HEALTH_UNKNOWN;
	free(svc->status_text);
	svc->status_text = NULL;
	log_debug("%s: started pid %d", c->name, (int)out.pid);
	if (loop_add_fd(s->loop, svc->report_fd, EPOLLIN, on_report, svc)) {
		/* cannot watch it: read it when the child exits */
	}
	set_state(svc, ST_STARTING);
	if (c->ready.kind != PROBE_NONE)
		arm(svc, c->ready_timeout_ms);
}

/* Waiting for dependencies, or starting when they are satisfied. */
static void try_start(struct service *svc)
{
	const char *which = NULL;

	switch (deps_verdict(svc, &which)) {
	case DEP_OK:
		svc->dep_blocked = false;
		spawn_now(svc);
		break;
	case DEP_WAIT:
		set_state(svc, ST_WAITING);
		break;
	case DEP_STOPPED:
		svc->dep_blocked = true;
		set_state(svc, ST_STOPPED);
		break;
	case DEP_FAILED:
		svc->dep_blocked = true;
		set_error(svc, "dependency %s failed", which);
		to_failed(svc);
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
		set_error(svc, "start limit hit: %u starts within %llums (last: %s)",
			  c->start_limit_n, (unsigned long long)c->start_limit_ms, desc);
		to_failed(svc);
		return;
	}
	wait = backoff_step(&svc->delay_ms, c->restart_delay_ms, c->restart_delay_max_ms,
			    now - svc->started_ms);
	log_warn("%s: %s; restarting in %llums", c->name, desc, (unsigned long long)wait);
	svc->restarts++;
	arm(svc, wait);
	set_state(svc, ST_BACKOFF);
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
		to_failed(svc);
		return;
	}
	if (!restart_wanted(c->restart, c->type, st) || !svc->want_up) {
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

		if ((c->type == SVC_ONESHOT && !ok) || svc->ready_failed) {
			if (!svc->ready_failed)
				set_error(svc, "%s", desc);
			to_failed(svc);
		} else {
			log_info("%s: %s", c->name, desc);
			set_state(svc, ST_EXITED);
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
static void stopped(struct service *svc)
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
	if (svc->dep_blocked && (d = required_down(svc)) && d->state == ST_FAILED) {
		set_error(svc, "dependency %s failed", d->conf->name);
		to_failed(svc);
		return;
	}
	set_state(svc, ST_STOPPED);
}

static void begin_stop(struct service *svc)
{
	struct svc_conf *c = svc->conf;

	if (!running(svc)) {
		stopped(svc);
		return;
	}
	log_info("%s: stopping (%s)", c->name, signal_name(c->stop_signal));
	svc->killed = false;
	kill(svc->pid, c->stop_signal);
	if (c->stop_signal != SIGKILL)
		kill(svc->pid, SIGCONT);
	arm(svc, c->stop_timeout_ms);
	set_state(svc, ST_STOPPING);
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
			enum dep_verdict v = deps_verdict(svc, &which);

			if (v == DEP_OK) {
				reset_backoff(svc);
				try_start(svc);
			} else if (v == DEP_FAILED && svc->state == ST_STOPPED) {
				set_error(svc, "dependency %s failed", which);
				to_failed(svc);
			}
		}
		break;
	case ST_STARTING:
	case ST_READY:
	case ST_BACKOFF:
		if ((d = required_down(svc))) {
			log_info("%s: stopping, it requires %s which is %s", svc->conf->name,
				 d->conf->name, state_names[d->state]);
			svc->dep_blocked = true;
			if (svc->state == ST_BACKOFF)
				stopped(svc);
			else
				begin_stop(svc);
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
			set_state(svc, ST_READY);
		else
			probe_ready_begin(svc);
		break;
	case EV_READY:
		if (svc->state == ST_STARTING)
			set_state(svc, ST_READY);
		break;
	case EV_EXIT:
		drain_report(svc);
		drain_log(svc);
		/* whatever is left of its process group, and of its cgroup, goes with it */
		if (svc->last_pid > 0)
			kill(-svc->last_pid, SIGKILL);
		if (svc->cg_fd >= 0) {
			cg_kill(svc->conf->name);
			oom_check(svc);
		}
		if (svc->state == ST_STOPPING)
			stopped(svc);
		else if (svc->state == ST_STARTING || svc->state == ST_READY)
			after_exit(svc);
		break;
	case EV_STOP:
		switch (svc->state) {
		case ST_WAITING:
		case ST_BACKOFF:
			stopped(svc);
			break;
		case ST_STARTING:
		case ST_READY:
			begin_stop(svc);
			break;
		case ST_EXITED:
		case ST_FAILED:
			set_state(svc, ST_STOPPED);
			break;
		default:
			break;
		}
		break;
	case EV_TIMEOUT:
		if (svc->state == ST_BACKOFF) {
			try_start(svc);
		} else if (svc->state == ST_STARTING) {
			set_error(svc, "not ready within %llums",
				  (unsigned long long)svc->conf->ready_timeout_ms);
			svc->ready_failed = true;
			kill_group(svc, SIGKILL);
		} else if (svc->state == ST_STOPPING && !svc->killed) {
			log_warn("%s: did not stop within %llums; sending SIGKILL", svc->conf->name,
				 (unsigned long long)svc->conf->stop_timeout_ms);
			svc->killed = true;
			kill_group(svc, SIGKILL);
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
		begin_stop(svc);
		break;
	case UNHEALTHY_STOP:
		svc_cmd_stop(svc);
		break;
	default:
		break;
	}
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
		begin_stop(svc);
	} else if (svc->state == ST_STOPPING) {
		svc->restart_req = true;
	} else {
		if (svc->state == ST_BACKOFF || svc->state == ST_WAITING) {
			loop_cancel(svc->sup->loop, &svc->timer);
			set_state(svc, ST_STOPPED);
		}
		svc_handle(svc, EV_START);
	}
	return 0;
}

/* ---- the supervisor ---- */

struct service *sup_find(struct supervisor *s, const char *name)
{
	for (int i = 0; i < s->nsvc; i++)
		if (!strcmp(s->svcs[i]->conf->name, name))
			return s->svcs[i];
	return NULL;
}

static struct service *svc_new(struct supervisor *s, struct svc_conf *c)
{
	struct service *svc = calloc(1, sizeof(*svc)), **v;

	if (!svc)
		return NULL;
	v = realloc(s->svcs, sizeof(*v) * (size_t)(s->nsvc + 1));
	if (!v) {
		free(svc);
		return NULL;
	}
	s->svcs = v;
	svc->sup = s;
	svc->conf = c;
	svc->state = ST_STOPPED;
	svc->report_fd = svc->log_rd = svc->log_wr = -1;
	svc->status_fd = svc->netns_fd = -1;
	svc->cg_fd = svc->cg_events_fd = svc->cg_mem_fd = -1;
	svc->since_ms = now_ms() - s->start_ms;
	timer_init(&svc->timer);
	probe_init(&svc->probe);
	s->svcs[s->nsvc++] = svc;
	return svc;
}

static void svc_free(struct supervisor *s, struct service *svc)
{
	probe_stop(svc);
	loop_cancel(s->loop, &svc->timer);
	if (svc->log_rd >= 0) {
		loop_del_fd(s->loop, svc->log_rd);
		close(svc->log_rd);
		close(svc->log_wr);
	}
	if (svc->report_fd >= 0) {
		loop_del_fd(s->loop, svc->report_fd);
		close(svc->report_fd);
	}
	close_fd(&svc->status_fd);
	close_fd(&svc->netns_fd);
	if (svc->cg_fd >= 0) {
		cg_close(svc);
		cg_kill(svc->conf->name);
		cg_remove(svc->conf->name);
	}
	sc_prog_free(&svc->sc);
	logring_free(&svc->ring);
	svc_conf_free(svc->conf);
	svc_conf_free(svc->next_conf);
	free(svc->status_text);
	free(svc);
}

int sup_init(struct supervisor *s, struct loop *l, enum run_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->loop = l;
	s->mode = mode;
	s->start_ms = now_ms();
	s->wdog_fd = -1;
	timer_init(&s->shutdown_timer);
	timer_init(&s->wdog_timer);
	s->rootfs = mnt_root_is_rootfs();
	return 0;
}

static void print_err(void *arg, const char *msg)
{
	(void)arg;
	log_err("%s", msg);
}

static void collect_err(void *arg, const char *msg)
{
	struct strbuf *sb = arg;

	sb_puts(sb, msg);
	sb_puts(sb, "\n");
}

/* Moves the service definitions out of m: services own their conf. */
static struct svc_conf *take_conf(struct manifest *m, int i)
{
	struct svc_conf *c = m->svcs[i];

	m->svcs[i] = NULL;
	return c;
}

static void apply_system(struct supervisor *s)
{
	if (!s->runtime_dir_from_cli) {
		free(s->runtime_dir);
		s->runtime_dir =
			strdup(s->m->sys.runtime_dir ? s->m->sys.runtime_dir : DEFAULT_RUNTIME_DIR);
	}
	if (!getenv("NUCLEUS_DEBUG"))
		log_set_level(s->m->sys.log_level);
}

int sup_load(struct supervisor *s, bool initial)
{
	int err = 0;
	struct manifest *m = manifest_load(s->manifest_path, print_err, NULL, &err);

	(void)initial;
	if (!m) {
		log_err("%s: %s; running without services", s->manifest_path, strerror(err));
		m = manifest_load_string("", s->manifest_path, NULL, NULL, &err);
		if (!m)
			return -ENOMEM;
	} else if (m->nerrors) {
		log_err("%s: %d error%s; the valid services still run", s->manifest_path,
			m->nerrors, m->nerrors == 1 ? "" : "s");
	}
	s->m = m;
	apply_system(s);
	for (int i = 0; i < m->nsvc; i++) {
		if (!svc_new(s, m->svcs[i])) {
			log_err("out of memory loading %s", m->svcs[i]->name);
			continue;
		}
		take_conf(m, i);
	}
	return m->sys_invalid ? -EINVAL : 0;
}

void sup_start_all(struct supervisor *s)
{
	/* all wanted first, so `after` waits for a dependency declared later */
	for (int i = 0; i < s->nsvc; i++)
		s->svcs[i]->want_up = true;
	for (int i = 0; i < s->nsvc; i++)
		svc_handle(s->svcs[i], EV_START);
	s->booted = true;
	dirty = true;
}

int sup_reload(struct supervisor *s, struct strbuf *out)
{
	int err = 0, added = 0, removed = 0, changed = 0, same = 0, first_new;
	struct strbuf errs;
	struct manifest *m;

	if (s->shutting_down) {
		sb_puts(out, "reload: the system is shutting down\n");
		return -ESHUTDOWN;
	}
	sb_init(&errs);
	m = manifest_load(s->manifest_path, collect_err, &errs, &err);
	if (!m) {
		sb_printf(out, "reload: %s: %s; nothing changed\n", s->manifest_path,
			  strerror(err));
		sb_free(&errs);
		return -err;
	}
	if (m->nerrors) {
		sb_add(out, errs.buf ? errs.buf : "", errs.len);
		sb_printf(out, "reload: %d error%s; nothing changed\n", m->nerrors,
			  m->nerrors == 1 ? "" : "s");
		log_err("reload of %s refused: %d errors", s->manifest_path, m->nerrors);
		sb_free(&errs);
		manifest_free(m);
		return -EINVAL;
	}
	sb_free(&errs);
	first_new = s->nsvc;
	/* removed services */
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];

		if (!manifest_find(m, svc->conf->name) && !svc->removed) {
			svc->removed = true;
			svc_cmd_stop(svc);
			removed++;
		}
	}
	for (int i = 0; i < m->nsvc; i++) {
		struct svc_conf *c = m->svcs[i];
		struct service *svc = sup_find(s, c->name);

		if (svc && !svc->removed && svc->conf->digest == c->digest &&
		    !(svc->next_conf && svc->next_conf->digest != c->digest)) {
			same++;
			continue;
		}
		take_conf(m, i);
		if (!svc || svc->removed) {
			svc = svc_new(s, c);
			if (!svc) {
				svc_conf_free(c);
				continue;
			}
			added++;
			svc->want_up = true; /* started below, once all are wanted */
			continue;
		}
		changed++;
		svc_conf_free(svc->next_conf);
		svc->next_conf = c;
		if (active(svc) || svc->want_up || svc->state == ST_EXITED ||
		    svc->state == ST_FAILED) {
			svc->want_up = true;
			svc_cmd_restart(svc);
		}
	}
	for (int i = first_new; i < s->nsvc; i++)
		svc_cmd_start(s->svcs[i]);
	manifest_free(s->m);
	s->m = m;
	apply_system(s);
	dirty = true;
	sb_printf(out, "reload: %d added, %d removed, %d changed, %d unchanged\n", added, removed,
		  changed, same);
	log_info("reloaded %s: %d added, %d removed, %d changed", s->manifest_path, added, removed,
		 changed);
	return 0;
}

void sup_reap(struct supervisor *s)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid <= 0) {
			if (pid < 0 && errno == ECHILD && s->final_phase)
				stage3_finish(s);
			return;
		}
		if (probe_reaped(s, pid, st))
			continue;
		for (int i = 0; i < s->nsvc; i++) {
			struct service *svc = s->svcs[i];

			if (svc->pid != pid)
				continue;
			svc->last_pid = pid;
			svc->pid = 0;
			/* the service's own status, as its namespace's init saw it */
			spawn_read_status(svc->status_fd, &st);
			close_fd(&svc->status_fd);
			close_fd(&svc->netns_fd);
			svc->last_status = st;
			svc->has_status = true;
			svc_handle(svc, EV_EXIT);
			break;
		}
	}
}

/* ---- shutdown ---- */

/*
 * Signals every process left: as PID 1 all of them (kill(-1) spares only
 * us); as a subreaper only our own children, read from /proc (orphans of
 * any depth are reparented to us as their parents go, and the next round
 * finds them), never anything else on the host.
 */
static void kill_rest(struct supervisor *s, int sig)
{
	DIR *d;
	struct dirent *de;

	if (s->mode != MODE_SUBREAPER) {
		kill(-1, sig);
		return;
	}
	d = opendir("/proc/self/task");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], buf[4096], *save = NULL;
		int fd;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
			long pid = strtol(t, NULL, 10);

			if (pid > 1)
				kill((pid_t)pid, sig);
		}
	}
	closedir(d);
}

static void final_phase_timeout(struct loop *l, void *arg)
{
	struct supervisor *s = arg;

	(void)l;
	if (!s->final_killed)
		log_warn("processes left after SIGTERM; sending SIGKILL");
	s->final_killed = true;
	/*
	 * Reaping finishes the shutdown. A few rounds, because the children of
	 * what was killed become ours only then; give up after about a second.
	 */
	if (s->final_rounds++ < 5) {
		kill_rest(s, SIGKILL);
		loop_at(s->loop, &s->shutdown_timer, now_ms() + 200, final_phase_timeout, s);
		return;
	}
	log_warn("processes still left after SIGKILL; finishing anyway");
	stage3_finish(s);
}

/* Services are down: TERM, then KILL, whatever else is left. */
static void enter_final_phase(struct supervisor *s)
{
	uint64_t grace = 2000;

	s->final_phase = true;
	loop_cancel(s->loop, &s->shutdown_timer);
	kill_rest(s, SIGTERM);
	kill_rest(s, SIGCONT);
	loop_at(s->loop, &s->shutdown_timer, now_ms() + grace, final_phase_timeout, s);
	sup_reap(s);
}

static void shutdown_budget_over(struct loop *l, void *arg)
{
	struct supervisor *s = arg;

	(void)l;
	log_warn("shutdown_timeout reached; killing what is left");
	s->shutdown_forced = true;
	for (int i = 0; i < s->nsvc; i++)
		if (running(s->svcs[i]))
			kill_group(s->svcs[i], SIGKILL);
	kill_rest(s, SIGKILL);
	s->final_killed = true;
	dirty = true;
}

void sup_shutdown(struct supervisor *s, enum power_action a, const char *why)
{
	if (s->shutting_down)
		return;
	log_info("%s: %s", power_action_name(a), why);
	s->shutting_down = true;
	s->shutdown_action = a;
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];

		svc->want_up = false;
		svc->restart_req = false;
		if (svc->state == ST_WAITING || svc->state == ST_BACKOFF)
			stopped(svc);
	}
	loop_at(s->loop, &s->shutdown_timer, now_ms() + s->m->sys.shutdown_timeout_ms,
		shutdown_budget_over, s);
	dirty = true;
}

/* Stops, in reverse dependency order, every service nothing running needs. */
static void shutdown_step(struct supervisor *s)
{
	bool any = false;

	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];
		bool needed = false;

		if (active(svc))
			any = true;
		if (svc->state != ST_STARTING && svc->state != ST_READY)
			continue;
		for (int k = 0; k < s->nsvc && !needed; k++) {
			struct service *o = s->svcs[k];

			needed = o != svc && active(o) && depends_on(o, svc->conf->name);
		}
		if (!needed || s->shutdown_forced)
			begin_stop(svc);
	}
	if (!any && !s->final_phase)
		enter_final_phase(s);
}

/* The boot is over once every service started at boot has settled. */
static void boot_timeline(struct supervisor *s)
{
	for (int i = 0; i < s->nsvc; i++) {
		enum svc_state st = s->svcs[i]->state;

		if (st == ST_WAITING || st == ST_STARTING || st == ST_BACKOFF)
			return;
	}
	s->ready_ms = now_ms() - s->start_ms;
	if (!s->ready_ms)
		s->ready_ms = 1;
	log_info("boot timeline: kernel %llums, stage 1 %llums (modules %llums), services settled "
		 "at %llums (nucleus-init's own spawn work %llu.%03llums)",
		 (unsigned long long)s->kernel_ms, (unsigned long long)s->stage1_ms,
		 (unsigned long long)(s->modules_us / 1000), (unsigned long long)s->ready_ms,
		 (unsigned long long)(s->spawn_us / 1000),
		 (unsigned long long)(s->spawn_us % 1000));
}

static void sup_check_done(struct supervisor *s)
{
	if (s->booted && !s->ready_ms && !s->shutting_down)
		boot_timeline(s);
	if (s->shutting_down) {
		shutdown_step(s);
		return;
	}
	if (!s->booted || s->m->sys.on_empty == POWER_STAY)
		return;
	for (int i = 0; i < s->nsvc; i++)
		if (active(s->svcs[i]))
			return;
	sup_shutdown(s, s->m->sys.on_empty, "no service is left running (on_empty)");
}

void sup_settle(struct supervisor *s)
{
	for (int round = 0; dirty && round < 1000; round++) {
		dirty = false;
		for (int i = 0; i < s->nsvc; i++)
			svc_handle(s->svcs[i], EV_DEP_CHANGE);
		/* services a reload removed go once they are down */
		for (int i = 0; i < s->nsvc; i++) {
			struct service *svc = s->svcs[i];

			if (svc->removed && !active(svc) && !running(svc)) {
				control_notify(svc);
				svc_free(s, svc);
				memmove(&s->svcs[i], &s->svcs[i + 1],
					sizeof(*s->svcs) * (size_t)(s->nsvc - i - 1));
				s->nsvc--;
				i--;
				dirty = true;
			}
		}
		sup_check_done(s);
	}
}

/* ---- status ---- */

static void json_exit(struct strbuf *sb, const struct service *svc)
{
	int st = svc->last_status;

	if (!svc->has_status)
		sb_puts(sb, "null");
	else if (WIFEXITED(st))
		sb_printf(sb, "%d", WEXITSTATUS(st));
	else
		sb_printf(sb, "\"%s\"", signal_name(WTERMSIG(st)));
}

/* The accounting of the service's cgroup; null where there is none. */
static void json_cgroup(struct strbuf *sb, struct service *svc)
{
	struct cg_stats st = {0};

	if (svc->cg_fd >= 0) {
		oom_check(svc);
		cg_stats(svc->conf->name, &st);
	}
#define CG_FIELD(name, have, v)                                                                    \
	do {                                                                                       \
		if (have)                                                                          \
			sb_printf(sb, ", \"" name "\": %llu", (unsigned long long)(v));            \
		else                                                                               \
			sb_puts(sb, ", \"" name "\": null");                                       \
	} while (0)
	CG_FIELD("memory_current", st.has_memory, st.memory_current);
	CG_FIELD("memory_peak", st.has_peak, st.memory_peak);
	CG_FIELD("oom_kills", svc->cg_mem_fd >= 0 || svc->oom_kills, svc->oom_kills);
	CG_FIELD("cpu_usage_us", st.has_cpu, st.cpu_usage_us);
	CG_FIELD("tasks", st.has_tasks, st.tasks);
#undef CG_FIELD
}

void sup_status_json(struct supervisor *s, struct service *only, struct strbuf *sb)
{
	bool first = true;

	sb_printf(sb,
		  "{\"uptime_ms\": %llu, \"boot\": {\"kernel_ms\": %llu, \"stage1_ms\": %llu, "
		  "\"ready_ms\": ",
		  (unsigned long long)(now_ms() - s->start_ms), (unsigned long long)s->kernel_ms,
		  (unsigned long long)s->stage1_ms);
	if (s->ready_ms)
		sb_printf(sb, "%llu", (unsigned long long)s->ready_ms);
	else
		sb_puts(sb, "null");
	sb_printf(sb, ", \"spawn_us\": %llu, \"modules_us\": %llu}, \"services\": [",
		  (unsigned long long)s->spawn_us, (unsigned long long)s->modules_us);
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];

		if (only && svc != only)
			continue;
		sb_puts(sb, first ? "\n  " : ",\n  ");
		first = false;
		sb_puts(sb, "{\"name\": ");
		sb_json_str(sb, svc->conf->name);
		sb_printf(sb, ", \"state\": \"%s\", \"pid\": ", state_names[svc->state]);
		if (svc->pid > 0)
			sb_printf(sb, "%d", (int)svc->pid);
		else
			sb_puts(sb, "null");
		sb_printf(sb, ", \"restarts\": %u, \"exit_status\": ", svc->restarts);
		json_exit(sb, svc);
		sb_printf(sb, ", \"health\": \"%s\", \"since_ms\": %llu, \"status_text\": ",
			  health_name(svc->health), (unsigned long long)svc->since_ms);
		sb_json_str(sb, svc->status_text);
		sb_puts(sb, ", \"error\": ");
		sb_json_str(sb, svc->error[0] ? svc->error : NULL);
		json_cgroup(sb, svc);
		if (svc->net.addr) {
			char txt[16];

			sb_printf(sb, ", \"address\": \"%s\"", ipam_str(svc->net.addr, txt));
		} else {
			sb_puts(sb, ", \"address\": null");
		}
		sb_puts(sb, "}");
	}
	sb_puts(sb, "]}\n");
}

void sup_status_table(struct supervisor *s, struct service *only, struct strbuf *sb)
{
	uint64_t now = now_ms() - s->start_ms;

	if (!only) {
		sb_printf(sb, "boot: kernel %llums, stage 1 %llums, ",
			  (unsigned long long)s->kernel_ms, (unsigned long long)s->stage1_ms);
		if (s->ready_ms)
			sb_printf(sb, "services settled at %llums",
				  (unsigned long long)s->ready_ms);
		else
			sb_puts(sb, "services still starting");
		sb_printf(sb, " (spawn work %llu.%03llums); up %llus\n\n",
			  (unsigned long long)(s->spawn_us / 1000),
			  (unsigned long long)(s->spawn_us % 1000), (unsigned long long)now / 1000);
	}
	sb_printf(sb, "%-20s %-9s %7s %8s %-9s %-9s %9s  %s\n", "NAME", "STATE", "PID", "RESTARTS",
		  "EXIT", "HEALTH", "SINCE", "ERROR");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];
		char pid[16] = "-", ex[24] = "-", since[24];
		uint64_t ago = (now - svc->since_ms) / 1000;

		if (only && svc != only)
			continue;
		if (svc->pid > 0)
			snprintf(pid, sizeof(pid), "%d", (int)svc->pid);
		if (svc->has_status) {
			if (WIFEXITED(svc->last_status))
				snprintf(ex, sizeof(ex), "%d", WEXITSTATUS(svc->last_status));
			else
				snprintf(ex, sizeof(ex), "%s",
					 signal_name(WTERMSIG(svc->last_status)));
		}
		if (ago < 120)
			snprintf(since, sizeof(since), "%llus ago", (unsigned long long)ago);
		else if (ago < 7200)
			snprintf(since, sizeof(since), "%llum ago", (unsigned long long)ago / 60);
		else
			snprintf(since, sizeof(since), "%lluh ago", (unsigned long long)ago / 3600);
		sb_printf(sb, "%-20s %-9s %7s %8u %-9s %-9s %9s  %s%s%s\n", svc->conf->name,
			  state_names[svc->state], pid, svc->restarts, ex, health_name(svc->health),
			  since, svc->error[0] ? svc->error : "",
			  svc->status_text && svc->error[0] ? " | " : "",
			  svc->status_text ? svc->status_text : "");
	}
}
