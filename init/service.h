/* SPDX-License-Identifier: MIT */
/*
 * service.h - the supervisor: services, their states, restart policy,
 * dependency order, and the system's own lifecycle (boot, shutdown).
 *
 * A service changes state in exactly one function, svc_handle(), driven by
 * events; every transition is visible in that one place. The pieces:
 * service.c (the state machine), supervisor.c (load, reload, reaping,
 * shutdown), deps.c (the dependency graph), status.c (status JSON and
 * table), svc_cgroup.c and svc_net.c (a service's group and bridge link).
 * The arrows point one way: control.c and main.c call in here; probes and
 * the notify socket report back through callbacks, not by name.
 */
#ifndef NUCLEUS_SERVICE_H
#define NUCLEUS_SERVICE_H

#include "log.h"
#include "loop.h"
#include "manifest.h"
#include "isolate/seccomp.h"
#include "net/bridge.h"
#include "notify.h"
#include "probe.h"
#include "records.h"

#include <sys/types.h>

enum svc_state {
	ST_STOPPED,
	ST_WAITING,
	ST_STARTING,
	ST_READY,
	ST_STOPPING,
	ST_BACKOFF,
	ST_EXITED,
	ST_FAILED,
};

enum svc_event {
	EV_START,     /* wanted up (boot, `start`, reload) */
	EV_SPAWNED,   /* exec succeeded (report pipe closed empty) */
	EV_READY,     /* readiness reached */
	EV_EXIT,      /* main process reaped; svc->last_status holds the wait status */
	EV_STOP,      /* wanted down */
	EV_TIMEOUT,   /* the service's timer: backoff over, stop or ready timeout */
	EV_DEP_CHANGE /* a dependency changed state */
};

#define START_HISTORY 256 /* start_limit counts at most this many starts */

struct supervisor;

/* How nucleus-init runs; chosen in main.c. */
enum run_mode {
	MODE_MACHINE,	/* PID 1 of a real machine: stages 1 and 3, reboot(2) */
	MODE_NAMESPACE, /* PID 1 of a PID namespace: exit 0 after shutdown */
	MODE_SUBREAPER, /* not PID 1: a child subreaper */
};

struct service {
	struct supervisor *sup;
	struct svc_conf *conf;
	struct svc_conf *next_conf; /* a reload's new definition, applied at the next start */
	enum svc_state state;
	uint64_t since_ms;
	uint64_t first_ready_ms; /* boot timeline: first ready (or done), 0 until then */
	bool want_up;
	bool removed;	      /* dropped by reload: freed once down */
	bool restart_req;     /* `restart`: start again once stopped */
	bool restart_backoff; /* unhealthy: start again after the back-off */
	bool dep_blocked;     /* stopped or failed because of a dependency */
	bool killed;	      /* SIGKILL sent during this stop */
	bool ready_failed;    /* this run missed its ready_timeout */

	pid_t pid;
	pid_t last_pid;	     /* of the run that ended last: its process group */
	pid_t sid;	     /* the session every run opens: its first pid */
	int report_fd;	     /* child's setup report pipe, -1 when closed */
	int status_fd;	     /* PID namespace: the service's real wait status, -1 if none */
	int netns_fd;	     /* its own network namespace (for tcp/http probes), or -1 */
	bool ns_init;	     /* pid is the init of the service's PID namespace */
	int cg_fd;	     /* its cgroup v2 group (directory), -1 when it has none */
	int cg_events_fd;    /* cgroup.events of the group: populated */
	int cg_mem_fd;	     /* memory.events of the group: oom_kill */
	uint64_t oom_seen;   /* oom_kill of memory.events last read */
	uint64_t oom_kills;  /* OOM kills in the service's group since nucleus-init started */
	bool oom_in_run;     /* the kernel OOM-killed something during this run */
	struct net_plan net; /* network = bridge: its bridge, address (0: none yet), gateway */
	struct sc_prog sc;   /* compiled seccomp filter of sc_conf */
	const struct svc_conf *sc_conf; /* the conf sc was compiled for */
	bool spawned;			/* exec succeeded for this run */
	uint64_t started_ms;
	unsigned restarts;
	bool has_status;
	int last_status; /* wait status of the last exit */
	bool exit_fresh; /* last_status was just reaped: the next state event carries it */
	char *status_text;
	char error[256];

	/* seccomp as the kernel's audit records tell it (audit.c) */
	uint64_t sc_denials;   /* calls its filter denied */
	uint64_t sc_window_ms; /* the current window of the denials' log lines */
	unsigned sc_logged, sc_unlogged;
	uint8_t *sc_seen; /* seccomp = learn: the calls made, a bit each */

	/* back-off and start limit */
	uint64_t delay_ms;
	uint64_t starts[START_HISTORY];
	unsigned nstarts;

	struct timer timer;
	struct prober probe; /* readiness, health (probe.health) and the watchdog */
	struct notifier notify;

	/* output capture (svc_output.c): stdout's and stderr's pipes, kept for
	 * the service's lifetime, and its records */
	struct svc_pipe {
		int rd, wr;
		bool paused; /* not read while the log writer is behind */
		struct linebuf lb;
	} out[2];
	struct recring rec;
};

/* The parts of stage 1 the boot timeline accounts for (boot_phase_name()). */
enum boot_phase {
	BP_MOUNTS,   /* /proc, /sys, /dev, /run, cgroup2 */
	BP_PREPARE,  /* our binary, the loop, the runtime's checks */
	BP_CGROUPS,  /* cgroup v2: our group, the controllers */
	BP_MANIFEST, /* reading and checking it */
	BP_MODULES,  /* [system] modules and coldplug: finit_module, the kernel's */
	BP_COLDPLUG, /* coldplug's own work: /sys and modules.alias */
	BP_ROOT,     /* [system] root: waiting for it, mounting it, moving into it */
	BP_NETWORK,  /* lo and the [interface.*] */
	BP_DISKS,    /* the [mount.*] */
	BOOT_PHASES
};
const char *boot_phase_name(enum boot_phase p);
/* Adds the time since @t0 (now_us()) to phase @p; returns now_us(). */
uint64_t sup_phase(struct supervisor *s, enum boot_phase p, uint64_t t0);

/*
 * struct path_gate - a [mount.NAME] the services must wait for: its device
 * has not come yet, or (failed) it never came and the mount is required.
 * A service with a host path under @where waits, or fails (deps.c).
 * stages/devices.c keeps the list.
 */
struct path_gate {
	const char *where;
	const char *label; /* "[mount.NAME]" */
	bool failed;
};

/* Told of every state change of a service, and of its removal. */
typedef void (*sup_watch_fn)(void *arg, struct service *svc);
#define SUP_MAX_WATCHERS 4

struct sup_devices;

/* A child of PID 1 another module started and waits for. */
typedef void (*sup_child_fn)(void *arg, pid_t pid, int status);
struct sup_child {
	pid_t pid;
	sup_child_fn fn;
	void *arg;
};

struct supervisor {
	struct loop *loop;
	struct manifest *m;
	struct manifest *boot_m; /* the one stage 1 applied: its mounts and interfaces, kept */
	char *manifest_path;
	char *runtime_dir;
	bool runtime_dir_from_cli;
	enum run_mode mode;
	uint64_t start_ms;

	struct service **svcs;
	int nsvc;

	bool booted; /* initial start done; on_empty may act */
	bool dirty;  /* a state changed: sup_settle() looks at every service again */
	struct {
		sup_watch_fn fn;
		void *arg;
	} watchers[SUP_MAX_WATCHERS];

	/* the boot timeline, in ms since nucleus-init started */
	uint64_t kernel_ms;  /* CLOCK_BOOTTIME when nucleus-init started: the kernel's share */
	uint64_t stage1_ms;  /* stage 1 done */
	uint64_t ready_ms;   /* every service that started at boot settled; 0 until then */
	uint64_t spawn_us;   /* time spent in our side of spawning, summed */
	uint64_t modules_us; /* of stage 1: finit_module calls (the kernel's work, mostly) */
	uint64_t phase_us[BOOT_PHASES]; /* where stage 1's time went, by phase */
	uint64_t stage1_user_us;	/* PID 1's CPU in stage 1: our own code */
	uint64_t stage1_sys_us;		/* and the kernel's work on our requests */
	bool shutting_down;
	enum power_action shutdown_action;
	struct timer shutdown_timer;
	bool shutdown_forced;
	bool final_phase;  /* services are down; killing what is left */
	bool final_killed; /* SIGKILL sent to what was left */
	int final_rounds;
	int wdog_fd; /* hardware watchdog, -1 when none */
	struct timer wdog_timer;
	uint64_t wdog_interval_ms; /* as set at boot */
	bool boot_stopped;	   /* a required mount failed: no services start */
	bool exit_now;		   /* the loop should end (namespace or subreaper mode) */
	int exit_code;
	bool rootfs;	   /* / is the initramfs: private roots need the bind-then-pivot path */
	char *nft_last;	   /* the nftables ruleset applied last, NULL before any */
	bool fwd_saved;	   /* ip_forward was turned on for bridged services */
	char fwd_old[8];   /* its value before */
	bool nft_missing;  /* warned once: no nft, so no NAT */
	bool brnf_missing; /* warned once: bridged frames do not reach the egress rules */
	char *newroot;	   /* RUNTIME_DIR/root: where private roots are built */
	struct sup_devices *dev; /* machine mode: coldplug, hotplug, waits (stages/devices.c) */
	struct path_gate *gates; /* mounts not there yet, or failed and required */
	int ngates;
	struct sup_child *children; /* exec sessions' runners */
	int nchildren, capchildren;
};

/* What a spawn (or an exec probe) of @svc needs besides its conf. */
struct spawn_io;
void svc_spawn_io(struct service *svc, struct spawn_io *io);

const char *svc_state_name(enum svc_state s);

void svc_handle(struct service *svc, enum svc_event ev);
/* A health probe or the watchdog found the service unhealthy: on_unhealthy. */
void svc_unhealthy(struct service *svc, const char *why);

/* The supervisor's operations, used by main, control and the loop. */
int sup_init(struct supervisor *s, struct loop *l, enum run_mode mode);
/* After every batch of events: dependency gates, shutdown order, on_empty. */
void sup_settle(struct supervisor *s);
int sup_load(struct supervisor *s, bool initial);
void sup_start_all(struct supervisor *s);
void sup_reap(struct supervisor *s);
void sup_shutdown(struct supervisor *s, enum power_action a, const char *why);
struct service *sup_find(struct supervisor *s, const char *name);
int sup_reload(struct supervisor *s, struct strbuf *out);
/* @fn hears when @pid is reaped (once; then it is forgotten). 0 or -ENOMEM. */
int sup_child_add(struct supervisor *s, pid_t pid, sup_child_fn fn, void *arg);
void sup_child_del(struct supervisor *s, pid_t pid);
/* @fn hears of every state change (control clients waiting for one). */
int sup_watch(struct supervisor *s, sup_watch_fn fn, void *arg);

/* Control commands on one service; reply text goes to out. */
int svc_cmd_start(struct service *svc);
int svc_cmd_stop(struct service *svc);
int svc_cmd_restart(struct service *svc);

/* A snapshot for `status`: JSON (the contract's format) or a table. */
void sup_status_json(struct supervisor *s, struct service *only, struct strbuf *sb);
void sup_status_table(struct supervisor *s, struct service *only, struct strbuf *sb);

/* Pure arithmetic of the restart policy, unit tested. */
/*
 * backoff_step - the delay to wait before this restart. *cur is the delay
 * used last (0 before the first failure) and becomes the one returned: the
 * first delay, doubled on each consecutive failure up to max, and back to
 * first after a run that lasted 10x the delay used last.
 */
uint64_t backoff_step(uint64_t *cur, uint64_t first, uint64_t max, uint64_t ran_ms);
bool start_limit_hit(const uint64_t *starts, unsigned nstarts, unsigned limit, uint64_t window,
		     uint64_t now);
bool restart_wanted(enum restart_policy p, enum svc_type t, int wait_status);

#endif
