// SPDX-License-Identifier: MIT
/*
 * supervisor.c - the set of services: load and reload of the manifest,
 * reaping, the shutdown order, and settling after each batch of events.
 *
 * Effects of one service on others (a dependency became ready, a required
 * one stopped, the shutdown may stop the next one) are not applied
 * recursively: a state change only marks the supervisor dirty, and
 * sup_settle(), run after each batch of events, lets every service look at
 * its dependencies again until nothing changes.
 */
#include "svc_internal.h"
#include "logd.h"
#include "spawn.h"
#include "isolate/cgroup.h"
#include "isolate/hide.h"
#include "isolate/path.h"
#include "isolate/mount.h"
#include "stages.h"
#include "devices.h"
#include "events.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct service *sup_find(struct supervisor *s, const char *name)
{
	for (int i = 0; i < s->nsvc; i++)
		if (!strcmp(s->svcs[i]->conf->name, name))
			return s->svcs[i];
	return NULL;
}

static struct service *svc_new(struct supervisor *s, struct svc_conf *c)
{
	struct service *svc = malloc(sizeof(*svc)), **v;

	if (!svc)
		return NULL;
	v = realloc(s->svcs, sizeof(*v) * (size_t)(s->nsvc + 1));
	if (!v) {
		free(svc);
		return NULL;
	}
	s->svcs = v;
	svc_init(svc, s, c);
	s->svcs[s->nsvc++] = svc;
	return svc;
}

static void svc_free(struct supervisor *s, struct service *svc)
{
	probe_stop(&svc->probe);
	notifier_close(&svc->notify);
	loop_cancel(s->loop, &svc->timer);
	svc_output_close(svc);
	if (svc->report_fd >= 0) {
		loop_del_fd(s->loop, svc->report_fd);
		close(svc->report_fd);
	}
	close_fd(&svc->status_fd);
	close_fd(&svc->netns_fd);
	if (svc->cg_fd >= 0) {
		svc_cg_close(svc);
		cg_kill(svc->conf->name);
		cg_remove(svc->conf->name);
	}
	sc_prog_free(&svc->sc);
	svc_conf_free(svc->conf);
	svc_conf_free(svc->next_conf);
	free(svc->status_text);
	free(svc->sc_seen);
	free(svc);
}

int sup_watch(struct supervisor *s, sup_watch_fn fn, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->watchers); i++) {
		if (!s->watchers[i].fn) {
			s->watchers[i].fn = fn;
			s->watchers[i].arg = arg;
			return 0;
		}
	}
	return -ENOSPC;
}

void sup_changed(struct supervisor *s, struct service *svc)
{
	s->dirty = true;
	for (size_t i = 0; i < ARRAY_SIZE(s->watchers); i++)
		if (s->watchers[i].fn)
			s->watchers[i].fn(s->watchers[i].arg, svc);
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

/* @path, its symlinks resolved when it exists, appended to *v. */
static void add_hidden(char ***v, int *n, const char *path)
{
	char real[PATH_MAX], **nv;

	if (path_real(path, real, sizeof(real)) && path_norm(path, real, sizeof(real)))
		return;
	nv = realloc(*v, sizeof(*nv) * (size_t)(*n + 2));
	if (!nv)
		return;
	*v = nv;
	nv[*n] = strdup(real);
	if (nv[*n])
		(*n)++;
	nv[*n] = NULL;
}

static void add_conf_sources(char ***v, int *n, const struct svc_conf *c)
{
	for (int k = 0; c && c->secrets && c->secrets[k]; k++) {
		char src[PATH_MAX];

		snprintf(src, sizeof(src), "%.*s", (int)strcspn(c->secrets[k], ":"), c->secrets[k]);
		add_hidden(v, n, src);
	}
	if (c && c->env_file)
		add_hidden(v, n, c->env_file);
}

/*
 * What no service may read through its root (isolate/hide.h): the
 * manifest, and every service's secrets and env_file sources.
 */
static void update_hidden(struct supervisor *s)
{
	char **v = NULL;
	int n = 0;

	add_hidden(&v, &n, s->manifest_path);
	for (int i = 0; i < s->nsvc; i++) {
		add_conf_sources(&v, &n, s->svcs[i]->conf);
		add_conf_sources(&v, &n, s->svcs[i]->next_conf);
	}
	hide_set_always(v);
}

static void apply_system(struct supervisor *s)
{
	if (!s->runtime_dir_from_cli) {
		free(s->runtime_dir);
		s->runtime_dir =
			strdup(s->m->sys.runtime_dir ? s->m->sys.runtime_dir : DEFAULT_RUNTIME_DIR);
	}
	if (!getenv("NUCLEUS_DEBUG")) {
		log_set_level(s->m->sys.log_level);
		log_set_console_level(s->m->sys.console_level >= 0 ? s->m->sys.console_level
								   : s->m->sys.log_level);
	}
}

int sup_load(struct supervisor *s, bool initial)
{
	int err = 0;
	struct manifest *m = manifest_load(s->manifest_path, print_err, NULL, &err);

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
	if (initial)
		s->boot_m = m; /* stage 1 applies it; its mounts stay what was mounted */
	apply_system(s);
	for (int i = 0; i < m->nsvc; i++) {
		if (!svc_new(s, m->svcs[i])) {
			log_err("out of memory loading %s", m->svcs[i]->name);
			continue;
		}
		take_conf(m, i);
	}
	update_hidden(s);
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
	s->dirty = true;
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
		if (svc_active(svc) || svc->want_up || svc->state == ST_EXITED ||
		    svc->state == ST_FAILED) {
			svc->want_up = true;
			svc_cmd_restart(svc);
		}
	}
	for (int i = first_new; i < s->nsvc; i++)
		svc_cmd_start(s->svcs[i]);
	if (s->m != s->boot_m)
		manifest_free(s->m);
	s->m = m;
	apply_system(s);
	update_hidden(s);
	s->dirty = true;
	sb_printf(out, "reload: %d added, %d removed, %d changed, %d unchanged\n", added, removed,
		  changed, same);
	log_info("reloaded %s: %d added, %d removed, %d changed", s->manifest_path, added, removed,
		 changed);
	return 0;
}

/* An exec probe's process ended: its prober takes the result. */
static bool probe_was(struct supervisor *s, pid_t pid, int st)
{
	for (int i = 0; i < s->nsvc; i++)
		if (probe_exited(&s->svcs[i]->probe, pid, st))
			return true;
	return false;
}

int sup_child_add(struct supervisor *s, pid_t pid, sup_child_fn fn, void *arg)
{
	if (s->nchildren == s->capchildren) {
		int cap = s->capchildren ? s->capchildren * 2 : 8;
		struct sup_child *c = realloc(s->children, sizeof(*c) * (size_t)cap);

		if (!c)
			return -ENOMEM;
		s->children = c;
		s->capchildren = cap;
	}
	s->children[s->nchildren++] = (struct sup_child){pid, fn, arg};
	return 0;
}

void sup_child_del(struct supervisor *s, pid_t pid)
{
	for (int i = 0; i < s->nchildren; i++) {
		if (s->children[i].pid == pid) {
			s->children[i] = s->children[--s->nchildren];
			return;
		}
	}
}

/* A child some module started (an exec session's runner): its owner hears. */
static bool child_was(struct supervisor *s, pid_t pid, int st)
{
	for (int i = 0; i < s->nchildren; i++) {
		struct sup_child c = s->children[i];

		if (c.pid == pid) {
			s->children[i] = s->children[--s->nchildren];
			c.fn(c.arg, pid, st);
			return true;
		}
	}
	return false;
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
		if (probe_was(s, pid, st) || devices_child_exited(s, pid) || child_was(s, pid, st))
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
			svc->probe.netns_fd = -1;
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
	/* the services' last output goes to the log writer before its SIGTERM:
	 * it takes what was sent, and nothing after */
	logship_flush();
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
		if (svc_running(s->svcs[i]))
			svc_kill_group(s->svcs[i], SIGKILL);
	kill_rest(s, SIGKILL);
	s->final_killed = true;
	s->dirty = true;
}

void sup_shutdown(struct supervisor *s, enum power_action a, const char *why)
{
	if (s->shutting_down)
		return;
	struct event ev = {.kind = EVENT_SHUTDOWN, .action = power_action_name(a), .reason = why};

	log_info("%s: %s", power_action_name(a), why);
	events_emit(&ev);
	s->shutting_down = true;
	s->shutdown_action = a;
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];

		svc->want_up = false;
		svc->restart_req = false;
		if (svc->state == ST_WAITING || svc->state == ST_BACKOFF)
			svc_stopped(svc);
	}
	loop_at(s->loop, &s->shutdown_timer, now_ms() + s->m->sys.shutdown_timeout_ms,
		shutdown_budget_over, s);
	s->dirty = true;
}

/* Stops, in reverse dependency order, every service nothing running needs. */
static void shutdown_step(struct supervisor *s)
{
	bool any = false;

	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];
		bool needed = false;

		if (svc_active(svc))
			any = true;
		if (svc->state != ST_STARTING && svc->state != ST_READY)
			continue;
		for (int k = 0; k < s->nsvc && !needed; k++) {
			struct service *o = s->svcs[k];

			needed = o != svc && svc_active(o) && svc_depends_on(o, svc->conf->name);
		}
		if (!needed || s->shutdown_forced)
			svc_begin_stop(svc);
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
	events_emit(&(struct event){.kind = EVENT_BOOT, .stage = "settled"});
	log_info("boot timeline: kernel %llums, stage 1 %llums (modules %llums), services settled "
		 "at %llums (nucleus-init's own spawn work %llu.%03llums)",
		 (unsigned long long)s->kernel_ms, (unsigned long long)s->stage1_ms,
		 (unsigned long long)(s->modules_us / 1000), (unsigned long long)s->ready_ms,
		 (unsigned long long)(s->spawn_us / 1000),
		 (unsigned long long)(s->spawn_us % 1000));
	if (s->mode == MODE_MACHINE) {
		char parts[256];
		size_t o = 0;

		for (int p = 0; p < BOOT_PHASES && o < sizeof(parts); p++)
			o += (size_t)snprintf(parts + o, sizeof(parts) - o, "%s%s %llu.%llums",
					      p ? ", " : "", boot_phase_name(p),
					      (unsigned long long)(s->phase_us[p] / 1000),
					      (unsigned long long)(s->phase_us[p] % 1000 / 100));
		log_info("stage 1 by phase: %s", parts);
		log_info("stage 1 CPU of PID 1: user %llu.%llums, system %llu.%llums",
			 (unsigned long long)(s->stage1_user_us / 1000),
			 (unsigned long long)(s->stage1_user_us % 1000 / 100),
			 (unsigned long long)(s->stage1_sys_us / 1000),
			 (unsigned long long)(s->stage1_sys_us % 1000 / 100));
	}
}

const char *boot_phase_name(enum boot_phase p)
{
	static const char *const names[] = {
		[BP_MOUNTS] = "mounts",	    [BP_PREPARE] = "prepare", [BP_CGROUPS] = "cgroups",
		[BP_MANIFEST] = "manifest", [BP_MODULES] = "modules", [BP_COLDPLUG] = "coldplug",
		[BP_ROOT] = "root",	    [BP_NETWORK] = "network", [BP_DISKS] = "disks"};

	return p < BOOT_PHASES ? names[p] : "?";
}

uint64_t sup_phase(struct supervisor *s, enum boot_phase p, uint64_t t0)
{
	uint64_t now = now_us();

	s->phase_us[p] += now - t0;
	return now;
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
		if (svc_active(s->svcs[i]))
			return;
	sup_shutdown(s, s->m->sys.on_empty, "no service is left running (on_empty)");
}

void sup_settle(struct supervisor *s)
{
	/* log_dir's writer, once its mount is there */
	if (s->dirty)
		logship_check(s);
	for (int round = 0; s->dirty && round < 1000; round++) {
		s->dirty = false;
		for (int i = 0; i < s->nsvc; i++)
			svc_handle(s->svcs[i], EV_DEP_CHANGE);
		/* services a reload removed go once they are down */
		for (int i = 0; i < s->nsvc; i++) {
			struct service *svc = s->svcs[i];

			if (svc->removed && !svc_active(svc) && !svc_running(svc)) {
				sup_changed(svc->sup, svc);
				svc_free(s, svc);
				memmove(&s->svcs[i], &s->svcs[i + 1],
					sizeof(*s->svcs) * (size_t)(s->nsvc - i - 1));
				s->nsvc--;
				i--;
				s->dirty = true;
			}
		}
		sup_check_done(s);
	}
	logship_flush();
}
