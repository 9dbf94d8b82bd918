// SPDX-License-Identifier: MIT
/*
 * devices.c - PID 1's side of the machine's devices. Stage 1 loads the
 * drivers of what is there (coldplug.c) and applies the interfaces and
 * mounts whose devices exist; what is missing waits, and the loop tries it
 * again when the kernel says a network link or a block device was added,
 * and once a second besides (a link's uevent comes a moment before the link
 * can be found; an event may be lost), until [system] device_timeout.
 *
 * Module loads and mounts after stage 1 run in nucleus-devices
 * (devhelper.c), one at a time: a driver's init or a disk that does not
 * answer blocks it, not PID 1. Its answers come back on a pipe, one line
 * each; this file is the one place those states change.
 */
#include "devices.h"
#include "devices_int.h"
#include "blkid.h"
#include "control.h"
#include "coldplug.h"
#include "devhelper.h"
#include "inside.h"
#include "kmod.h"
#include "net/iface.h"
#include "uevent.h"

#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define POLL_MS		1000
#define HELPER_STUCK_MS 60000

static struct sup_devices *devices_get(struct supervisor *s)
{
	struct sup_devices *d = s->dev;

	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->uevent_fd = -1;
	d->helper_fd = -1;
	d->timeout_ms = 10000;
	timer_init(&d->timer);
	s->dev = d;
	return d;
}

void devices_modules(struct supervisor *s)
{
	struct sup_devices *d = devices_get(s);
	const struct sys_conf *sys = &s->m->sys;
	struct coldplug_stats st = {0};
	struct nerr e = {0};
	struct kmod_ctx *k;
	uint64_t t0 = now_us(), t1;

	if (!d) {
		log_err("devices: out of memory: no modules, no coldplug");
		return;
	}
	d->coldplug = sys->coldplug;
	d->timeout_ms = sys->device_timeout_ms;
	/* first: what the loads below add must be heard */
	d->uevent_fd = uevent_open();
	if (d->uevent_fd < 0)
		log_warn("uevent socket: %s: devices added later get no driver",
			 strerror(-d->uevent_fd));
	k = kmod_open(NULL, &e);
	if (!k) {
		log_err("%s: %s", e.step, e.what);
		return;
	}
	for (char **m = sys->modules; m && *m; m++)
		if (kmod_ctx_load(k, *m, &e))
			log_err("%s: %s", e.step, e.what);
	t1 = now_us();
	s->modules_us = t1 - t0;
	s->phase_us[BP_MODULES] += t1 - t0;
	if (d->coldplug) {
		char names[512];

		coldplug_run(k, d->uevent_fd, &d->coldplug_modules, &st);
		d->coldplug_us = now_us() - t1;
		d->coldplug_devices = st.devices;
		s->modules_us += st.load_us;
		s->phase_us[BP_MODULES] += st.load_us;
		s->phase_us[BP_COLDPLUG] += d->coldplug_us - st.load_us;
		log_info("coldplug: %d module%s for %d devices in %llu.%llums%s%s",
			 d->coldplug_modules.n, d->coldplug_modules.n == 1 ? "" : "s", st.devices,
			 (unsigned long long)(d->coldplug_us / 1000),
			 (unsigned long long)(d->coldplug_us % 1000 / 100),
			 d->coldplug_modules.n ? ": " : "",
			 devices_join(&d->coldplug_modules, names, sizeof(names)));
	}
	kmod_close(k);
}

/* ---- interfaces ---- */

static void iface_wait_msg(const struct sup_devices *d, const struct dev_iface *di)
{
	log_info("[interface.%s]: no link %s yet; waiting up to %llu.%llus", di->ic->name,
		 di->ic->name, (unsigned long long)(d->timeout_ms / 1000),
		 (unsigned long long)(d->timeout_ms % 1000 / 100));
}

/* Configures @di when its link is there; false while it is still missing. */
static bool iface_try(struct dev_iface *di)
{
	const struct iface_conf *ic = di->ic;
	struct nerr e = {0};

	if (iface_apply(ic, &e)) {
		if (e.err == ENODEV && if_nametoindex(ic->name) == 0)
			return false; /* no such link (yet) */
		di->state = DEV_FAILED;
		snprintf(di->error, sizeof(di->error), "%s: %s", e.step, e.what);
		log_err("[interface.%s]: %s", ic->name, di->error);
		return true;
	}
	di->state = DEV_READY;
	log_info("interface %s configured", ic->name);
	if (ic->dns && iface_write_resolv(ic->dns, "/etc/resolv.conf", &e))
		log_warn("[interface.%s]: dns not written (%s)", ic->name, e.what);
	return true;
}

static void iface_give_up(struct sup_devices *d, struct dev_iface *di)
{
	di->state = DEV_FAILED;
	snprintf(di->error, sizeof(di->error), "netlink: %s: %s (waited %llus for it)",
		 di->ic->name, strerror(ENODEV), (unsigned long long)(d->timeout_ms / 1000));
	log_err("[interface.%s]: %s", di->ic->name, di->error);
}

void devices_network(struct supervisor *s)
{
	struct sup_devices *d = devices_get(s);
	const struct manifest *m = s->m;
	struct nerr e = {0};

	if (iface_loopback_up(&e))
		log_err("%s: %s", e.step, e.what);
	if (!d || !m->niface)
		return;
	d->ifaces = calloc((size_t)m->niface, sizeof(*d->ifaces));
	if (!d->ifaces) {
		log_err("[interface.*]: out of memory");
		return;
	}
	d->niface = m->niface;
	for (int i = 0; i < m->niface; i++) {
		struct dev_iface *di = &d->ifaces[i];

		di->ic = &m->ifaces[i];
		if (iface_try(di))
			continue;
		di->state = DEV_WAITING;
		di->deadline_ms = now_ms() + d->timeout_ms;
		iface_wait_msg(d, di);
	}
}

/* ---- mounts ---- */

static bool path_under(const char *path, const char *where)
{
	size_t n = strlen(where);

	if (n == 1)
		return path[0] == '/';
	return !strncmp(path, where, n) && (path[n] == '\0' || path[n] == '/');
}

/* Mount @j goes first: @i is inside its where, or on the same one later in the file. */
static bool goes_before(const struct sup_devices *d, int j, int i)
{
	const char *wi = d->mounts[i].mc->where, *wj = d->mounts[j].mc->where;

	if (i == j)
		return false;
	if (!strcmp(wi, wj))
		return j < i;
	return path_under(wi, wj);
}

/* The mount that @i must wait for (not tried yet, or waiting), or -1. */
static int parent_pending(const struct sup_devices *d, int i)
{
	for (int j = 0; j < d->nmount; j++) {
		enum dev_state st = d->mounts[j].state;

		if ((st == DEV_UNTRIED || st == DEV_WAITING) && goes_before(d, j, i))
			return j;
	}
	return -1;
}

/*
 * The gates of the services (service.h): a waiting mount holds back the
 * services with a path under it; a required one that failed fails them.
 */
static void gates_update(struct supervisor *s)
{
	struct sup_devices *d = s->dev;
	struct path_gate *g = d->nmount ? calloc((size_t)d->nmount, sizeof(*g)) : NULL;
	int n = 0;

	if (d->nmount && !g) {
		log_err("[mount.*]: out of memory: the services' gates stay as they were");
		s->dirty = true;
		return;
	}
	for (int i = 0; i < d->nmount; i++) {
		struct dev_mount *dm = &d->mounts[i];

		if (dm->state != DEV_WAITING && !(dm->state == DEV_FAILED && dm->mc->required))
			continue;
		g[n].where = dm->mc->where;
		g[n].label = dm->label;
		g[n].failed = dm->state == DEV_FAILED;
		n++;
	}
	free(s->gates);
	s->gates = g;
	s->ngates = n;
	s->dirty = true;
}

static void mount_done(struct dev_mount *dm, const char *device)
{
	const struct mount_conf *mc = dm->mc;

	dm->state = DEV_READY;
	dm->error[0] = '\0';
	snprintf(dm->device, sizeof(dm->device), "%s", device);
	if (strcmp(device, mc->what))
		log_info("mounted %s (%s) on %s (%s)", mc->what, device, mc->where, mc->type);
	else
		log_info("mounted %s on %s (%s)", mc->what, mc->where, mc->type);
}

static void mount_failed(struct dev_mount *dm, const char *why, bool at_boot)
{
	const struct mount_conf *mc = dm->mc;

	dm->state = DEV_FAILED;
	snprintf(dm->error, sizeof(dm->error), "%s", why);
	log_err("[mount.%s]: %s", mc->name, why);
	if (mc->required && !at_boot)
		log_err("[mount.%s] is required: the services with a path under %s do not start",
			mc->name, mc->where);
}

static void mount_give_up(struct sup_devices *d, struct dev_mount *dm)
{
	const struct mount_conf *mc = dm->mc;
	char why[240], waited[32];

	snprintf(waited, sizeof(waited), "waited %llu.%llus",
		 (unsigned long long)(d->timeout_ms / 1000),
		 (unsigned long long)(d->timeout_ms % 1000 / 100));
	if (blkid_is_spec(mc->what))
		snprintf(why, sizeof(why), "mount %s on %s (%s): no device has %s (%s)", mc->what,
			 mc->where, mc->type, mc->what, waited);
	else
		snprintf(why, sizeof(why), "mount %s on %s (%s): %s: %s (%s)", mc->what, mc->where,
			 mc->type, mc->what, strerror(ENOENT), waited);
	mount_failed(dm, why, false);
}

static void mount_wait(struct sup_devices *d, struct dev_mount *dm, int parent)
{
	const struct mount_conf *mc = dm->mc;

	dm->state = DEV_WAITING;
	dm->deadline_ms = now_ms() + d->timeout_ms;
	if (parent >= 0)
		log_info("[mount.%s]: waits for [mount.%s], which %s goes into", mc->name,
			 d->mounts[parent].mc->name, mc->where);
	else
		log_info("[mount.%s]: %s is not there yet; waiting up to %llu.%llus", mc->name,
			 mc->what, (unsigned long long)(d->timeout_ms / 1000),
			 (unsigned long long)(d->timeout_ms % 1000 / 100));
}

/* Stage 1's try of mount @i: -1 when it failed and is required (the boot stops). */
static int mount_first_try(struct sup_devices *d, int i, struct kmod_ctx *k)
{
	struct dev_mount *dm = &d->mounts[i];
	struct nerr e = {0};
	char dev[256];
	int r = devmount_try(dm->mc, k, dev, sizeof(dev), &e);

	if (r == 0) {
		mount_done(dm, dev);
	} else if (r == 1) {
		mount_wait(d, dm, -1);
	} else {
		mount_failed(dm, e.what, true);
		if (dm->mc->required) {
			log_err("boot stopped: required mount %s failed; no service is started",
				dm->mc->name);
			return -1;
		}
	}
	return 0;
}

int devices_mounts(struct supervisor *s)
{
	struct sup_devices *d = devices_get(s);
	const struct manifest *m = s->m;
	struct kmod_ctx *k;
	struct nerr e = {0};
	int rc = 0;

	if (!d || !m->nmount)
		return 0;
	d->mounts = calloc((size_t)m->nmount, sizeof(*d->mounts));
	if (!d->mounts) {
		log_err("[mount.*]: out of memory; boot stopped");
		return -1;
	}
	d->nmount = m->nmount;
	for (int i = 0; i < m->nmount; i++) {
		d->mounts[i].mc = &m->mounts[i];
		snprintf(d->mounts[i].label, sizeof(d->mounts[i].label), "[mount.%s]",
			 m->mounts[i].name);
	}
	k = kmod_open(NULL, &e); /* for fs-TYPE; NULL is fine */
	/* outer mounts before the ones inside them, whatever the file's order */
	for (bool progress = true; progress && !rc;) {
		progress = false;
		for (int i = 0; i < m->nmount && !rc; i++) {
			if (d->mounts[i].state != DEV_UNTRIED || parent_pending(d, i) >= 0)
				continue;
			progress = true;
			rc = mount_first_try(d, i, k);
		}
	}
	/* what is left goes inside a mount that waits for its device */
	for (int i = 0; i < m->nmount && !rc; i++)
		if (d->mounts[i].state == DEV_UNTRIED)
			mount_wait(d, &d->mounts[i], parent_pending(d, i));
	kmod_close(k);
	gates_update(s);
	return rc;
}

bool devices_mounted(const struct supervisor *s, int i)
{
	return s->dev && i < s->dev->nmount && s->dev->mounts[i].state == DEV_READY;
}

/* ---- the helper ---- */

static bool any_mount_waiting(const struct sup_devices *d)
{
	for (int i = 0; i < d->nmount; i++)
		if (d->mounts[i].state == DEV_WAITING)
			return true;
	return false;
}

/* "X\t<errno>\n" without the heap or stdio: what a vfork child may write. */
static void say_exec_failed(int fd, int err)
{
	char msg[16] = "X\t", digits[8];
	int n = 0, o = 2;

	do
		digits[n++] = (char)('0' + err % 10);
	while ((err /= 10) && n < (int)sizeof(digits));
	while (n)
		msg[o++] = digits[--n];
	msg[o++] = '\n';
	(void)!write(fd, msg, (size_t)o);
}

static pid_t helper_spawn(char **argv, int *rd)
{
	int self = inside_self_fd(), p[2];
	sigset_t none;
	pid_t pid;

	if (self < 0)
		return -ENOENT;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	sigemptyset(&none);
	pid = vfork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null >= 0)
			dup2(null, 0);
		dup2(p[1], 1);
		/* PID 1 blocks every signal; the helper must die of SIGKILL, SIGPIPE */
		sigprocmask(SIG_SETMASK, &none, NULL);
		say_exec_failed(1, -inside_exec(self, argv));
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		int err = errno;

		close(p[0]);
		return -err;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*rd = p[0];
	return pid;
}

static void on_helper(struct loop *l, int fd, uint32_t events, void *arg);

/* The argument vector of the next helper: what was heard, what still waits. */
static char **helper_argv(struct sup_devices *d, char (*ids)[12])
{
	int n = 1 + 2 * d->want_load.n + 1 + 8 * d->nmount + 1;
	char **argv = calloc((size_t)n, sizeof(*argv));
	int a = 0;

	if (!argv)
		return NULL;
	argv[a++] = DEVHELPER_NAME;
	for (int i = 0; i < d->want_load.n; i++) {
		argv[a++] = "-l";
		argv[a++] = d->want_load.v[i];
	}
	if (d->rescan)
		argv[a++] = "-s";
	for (int i = 0; d->retry_mounts && i < d->nmount; i++) {
		const struct mount_conf *mc = d->mounts[i].mc;

		if (d->mounts[i].state != DEV_WAITING || parent_pending(d, i) >= 0)
			continue;
		snprintf(ids[i], sizeof(ids[i]), "%d", i);
		argv[a++] = "-m";
		argv[a++] = ids[i];
		argv[a++] = mc->what;
		argv[a++] = mc->where;
		argv[a++] = mc->type;
		argv[a++] = mc->options ? mc->options : "";
		argv[a++] = mc->mkfs ? mc->mkfs : "";
		argv[a++] = (char *)mc->name;
	}
	argv[a] = NULL;
	return argv;
}

/* The work handed to the helper that is starting now is in flight. */
static void helper_started(struct supervisor *s, pid_t pid, int fd, char **argv)
{
	struct sup_devices *d = s->dev;

	for (char **a = argv + 1; *a; a++)
		if (!strcmp(*a, "-m") && a[1])
			d->mounts[atoi(a[1])].inflight = true;
	strset_free(&d->inflight_load);
	d->inflight_load = d->want_load;
	memset(&d->want_load, 0, sizeof(d->want_load));
	d->inflight_rescan = d->rescan;
	d->retry_mounts = d->rescan = false;
	d->helper = pid;
	d->helper_reaped = d->helper_done = false;
	d->helper_fd = fd;
	d->helper_started_ms = now_ms();
	d->hlen = 0;
	if (loop_add_fd(s->loop, fd, EPOLLIN, on_helper, s) < 0) {
		/* unwatched it could not be told from a stuck one: end it now */
		log_warn("%s: cannot watch its answers: %s", DEVHELPER_NAME, strerror(errno));
		kill(pid, SIGKILL);
		d->helper_reaped = true; /* not to be signalled again */
	}
}

/* Starts the helper on what is queued, unless one runs: it asks again at its end. */
static void kick(struct supervisor *s)
{
	struct sup_devices *d = s->dev;
	char(*ids)[12], **argv;
	pid_t pid;
	int fd = -1;

	if (d->helper > 0 || s->shutting_down)
		return;
	if (!d->want_load.n && !d->rescan && !(d->retry_mounts && any_mount_waiting(d)))
		return;
	ids = calloc((size_t)d->nmount + 1, sizeof(*ids));
	argv = ids ? helper_argv(d, ids) : NULL;
	pid = argv ? helper_spawn(argv, &fd) : -ENOMEM;
	if (pid < 0) {
		if (!d->helper_failures++)
			log_warn("%s: cannot start it: %s; devices wait for the next try",
				 DEVHELPER_NAME, strerror((int)-pid));
	} else {
		helper_started(s, pid, fd, argv);
	}
	free(argv);
	free(ids);
}

static void helper_mount_answer(struct supervisor *s, char tag, char **f, int nf)
{
	struct sup_devices *d = s->dev;
	long i = nf > 1 ? strtol(f[1], NULL, 10) : -1;
	struct dev_mount *dm;

	if (i < 0 || i >= d->nmount || !d->mounts[i].inflight)
		return;
	dm = &d->mounts[i];
	dm->inflight = false;
	if (dm->state != DEV_WAITING)
		return;
	if (tag == 'M' && nf >= 3) {
		mount_done(dm, f[2]);
		d->retry_mounts = true; /* the mounts inside it may go now */
	} else if (tag == 'F' && nf >= 4) {
		mount_failed(dm, f[3], false);
	} else if (tag == 'A' && now_ms() >= dm->deadline_ms) {
		/* looked for once more after its time was up: give it up */
		mount_give_up(d, dm);
	} else {
		return;
	}
	gates_update(s);
}

/* One line of the helper: tab-separated fields (devhelper.h). */
static void helper_line(struct supervisor *s, char *line)
{
	struct sup_devices *d = s->dev;
	char *f[4] = {0}, *save = NULL;
	int nf = 0;

	for (char *t = strtok_r(line, "\t", &save); t && nf < 4; t = strtok_r(NULL, "\t", &save))
		f[nf++] = t;
	if (!nf || strlen(f[0]) != 1)
		return;
	if (f[0][0] == 'L' && nf >= 2) {
		log_info("hotplug: module %s loaded", f[1]);
		(void)strset_add(&d->hotplug_modules, f[1]);
	} else if (f[0][0] == 'E' && nf >= 4) {
		log_warn("hotplug: %s (for device %s, errno %s)", f[3], f[1], f[2]);
	} else if (f[0][0] == 'D') {
		d->helper_done = true;
	} else if (f[0][0] == 'X' && nf >= 2) {
		log_warn("%s: exec of our own binary: %s", DEVHELPER_NAME, strerror(atoi(f[1])));
	} else {
		helper_mount_answer(s, f[0][0], f, nf);
	}
}

static void helper_read(struct supervisor *s);

/*
 * The helper is gone. Unless it said it was done, what it was given goes
 * back in the queue (a few times: then the loads are dropped, and the
 * mounts are given up at their time).
 */
static void helper_end(struct supervisor *s)
{
	struct sup_devices *d = s->dev;

	helper_read(s); /* answers written just before the end */
	loop_del_fd(s->loop, d->helper_fd);
	close(d->helper_fd);
	d->helper_fd = -1;
	d->helper = 0;
	for (int i = 0; i < d->nmount; i++)
		d->mounts[i].inflight = false;
	if (d->helper_done) {
		d->helper_failures = 0;
	} else if (++d->helper_failures < 3) {
		log_warn("%s ended before its work was done; trying again", DEVHELPER_NAME);
		for (int i = 0; i < d->inflight_load.n; i++)
			(void)strset_add(&d->want_load, d->inflight_load.v[i]);
		d->rescan |= d->inflight_rescan;
		d->retry_mounts = true;
	} else {
		log_err("%s failed %d times in a row: the modules of %d devices are not loaded",
			DEVHELPER_NAME, d->helper_failures, d->inflight_load.n);
	}
	strset_free(&d->inflight_load);
	kick(s);
}

static void helper_read(struct supervisor *s)
{
	struct sup_devices *d = s->dev;
	ssize_t n;
	char *nl;

	while ((n = read(d->helper_fd, d->hbuf + d->hlen, sizeof(d->hbuf) - 1 - d->hlen)) > 0) {
		d->hlen += (size_t)n;
		d->hbuf[d->hlen] = '\0';
		while ((nl = strchr(d->hbuf, '\n'))) {
			*nl = '\0';
			helper_line(s, d->hbuf);
			d->hlen -= (size_t)(nl + 1 - d->hbuf);
			memmove(d->hbuf, nl + 1, d->hlen + 1);
		}
		if (d->hlen == sizeof(d->hbuf) - 1)
			d->hlen = 0; /* no line is that long: not ours to parse */
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		d->hlen = (size_t)-1; /* the end: helper_end() follows */
}

static void on_helper(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct supervisor *s = arg;
	struct sup_devices *d = s->dev;

	(void)l;
	(void)fd;
	(void)events;
	helper_read(s);
	if (d->hlen == (size_t)-1) {
		d->hlen = 0;
		helper_end(s);
	}
}

bool devices_child_exited(struct supervisor *s, pid_t pid)
{
	if (!s->dev || !s->dev->helper || s->dev->helper != pid)
		return false;
	s->dev->helper_reaped = true;
	return true;
}

/* ---- uevents and the poll ---- */

static void ifaces_retry(struct sup_devices *d, const char *only)
{
	for (int i = 0; i < d->niface; i++) {
		struct dev_iface *di = &d->ifaces[i];

		if (di->state == DEV_WAITING && (!only || !strcmp(only, di->ic->name)))
			iface_try(di);
	}
}

static void on_event(struct supervisor *s, const struct uevent *ev)
{
	struct sup_devices *d = s->dev;
	bool add = !strcmp(ev->action, "add");

	if (add || !strcmp(ev->action, "remove"))
		log_debug("device %s: %s (%s%s%s)", add ? "added" : "removed", ev->devpath,
			  ev->subsystem, ev->devname ? ", /dev/" : "",
			  ev->devname ? ev->devname : "");
	/* a port's name comes after it, as a change: the control port may be this one */
	if (!strcmp(ev->subsystem, "virtio-ports") && (add || !strcmp(ev->action, "change")))
		control_port_scan(s);
	if (!add)
		return;
	if (ev->modalias && d->coldplug && strset_add(&d->want_load, ev->modalias) < 0)
		log_warn("hotplug: out of memory: no driver for %s", ev->devpath);
	if (!strcmp(ev->subsystem, "net") && ev->interface)
		ifaces_retry(d, ev->interface);
	if (!strcmp(ev->subsystem, "block"))
		d->retry_mounts = true;
}

static void arm(struct supervisor *s);

static void on_uevent(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct supervisor *s = arg;
	struct sup_devices *d = s->dev;
	char buf[8192];
	struct uevent ev;
	int r;

	(void)l;
	(void)events;
	/* a bounded batch: the loop comes back while more are queued */
	for (int n = 0; n < 256 && (r = uevent_read(fd, buf, sizeof(buf), &ev)) != 0; n++) {
		if (r == -ENOBUFS) {
			log_warn("uevents were lost (the queue overflowed): looking at every "
				 "device again");
			d->rescan = d->coldplug;
			d->retry_mounts = true;
			ifaces_retry(d, NULL);
			continue;
		}
		on_event(s, &ev);
	}
	kick(s);
	arm(s);
}

/*
 * The waits whose time is up fail; the rest are tried again. A mount is
 * given up only once the helper looked for it after its time was up (a
 * disk found at the last moment is still mounted), or when no helper can
 * look any more.
 */
static void on_poll(struct loop *l, void *arg)
{
	struct supervisor *s = arg;
	struct sup_devices *d = s->dev;
	uint64_t now = now_ms();
	bool changed = false;

	(void)l;
	ifaces_retry(d, NULL);
	for (int i = 0; i < d->niface; i++)
		if (d->ifaces[i].state == DEV_WAITING && now >= d->ifaces[i].deadline_ms)
			iface_give_up(d, &d->ifaces[i]);
	if (d->helper > 0 && now - d->helper_started_ms > HELPER_STUCK_MS) {
		log_warn("%s (pid %d) has been busy for %ds: a driver or a disk does not answer; "
			 "going on without it",
			 DEVHELPER_NAME, (int)d->helper, HELPER_STUCK_MS / 1000);
		if (!d->helper_reaped)
			kill(d->helper, SIGKILL);
		helper_end(s);
	}
	d->retry_mounts = true;
	kick(s);
	for (int i = 0; (!d->helper || d->helper_failures >= 3) && i < d->nmount; i++) {
		if (d->mounts[i].state == DEV_WAITING && now >= d->mounts[i].deadline_ms) {
			mount_give_up(d, &d->mounts[i]);
			changed = true;
		}
	}
	if (changed)
		gates_update(s);
	arm(s);
}

/* The next poll: while something waits or the helper runs. */
static void arm(struct supervisor *s)
{
	struct sup_devices *d = s->dev;
	uint64_t now = now_ms(), next = now + POLL_MS;
	bool need = d->helper > 0;

	for (int i = 0; i < d->niface + d->nmount; i++) {
		bool iface = i < d->niface;
		enum dev_state st = iface ? d->ifaces[i].state : d->mounts[i - d->niface].state;
		uint64_t when =
			iface ? d->ifaces[i].deadline_ms : d->mounts[i - d->niface].deadline_ms;

		if (st != DEV_WAITING)
			continue;
		need = true;
		/* a deadline already past waits for the helper's answer, not for the timer */
		if (when > now && when < next)
			next = when;
	}
	if (!need) {
		loop_cancel(s->loop, &d->timer);
		return;
	}
	if ((!timer_armed(&d->timer) || d->timer.when_ms > next) &&
	    loop_at(s->loop, &d->timer, next, on_poll, s) < 0)
		log_err("devices: cannot arm the timer of the waits: %s", strerror(ENOMEM));
}

void devices_watch(struct supervisor *s)
{
	struct sup_devices *d = s->dev;

	if (!d)
		return;
	if (d->uevent_fd >= 0 && loop_add_fd(s->loop, d->uevent_fd, EPOLLIN, on_uevent, s))
		log_warn("uevent socket: cannot watch it: devices added later get no driver");
	arm(s);
}
