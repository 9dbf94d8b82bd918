/* SPDX-License-Identifier: MIT */
/*
 * manifest.h - the v1 manifest (see docs/nucleus-manifest.5.md) as data.
 *
 * The loader parses the whole schema and validates every key; each error
 * carries its file and line. A service with an error is left out of the
 * result (and reported), so what is valid can still run.
 */
#ifndef NUCLEUS_MANIFEST_H
#define NUCLEUS_MANIFEST_H

#include "nucleus.h"

enum svc_type { SVC_LONGRUN, SVC_ONESHOT };
enum restart_policy { RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_NEVER };
enum power_action { POWER_NONE, POWER_STAY, POWER_POWEROFF, POWER_REBOOT, POWER_HALT };
enum out_kind { OUT_LOG, OUT_CONSOLE, OUT_NULL, OUT_FILE };
/* landlock = no | yes (the start fails without Landlock) | auto (where the kernel has it) */
enum landlock_mode { LANDLOCK_NO, LANDLOCK_YES, LANDLOCK_AUTO };
enum probe_kind { PROBE_NONE, PROBE_NOTIFY, PROBE_FD, PROBE_TCP, PROBE_HTTP, PROBE_EXEC };
enum on_unhealthy { UNHEALTHY_RESTART, UNHEALTHY_STOP, UNHEALTHY_IGNORE };
enum net_mode { NET_HOST, NET_NONE, NET_BRIDGE };

/* Namespace bits of the `namespaces` key. */
#define NS_MOUNT  0x01u
#define NS_PID	  0x02u
#define NS_IPC	  0x04u
#define NS_UTS	  0x08u
#define NS_NET	  0x10u
#define NS_USER	  0x20u
#define NS_CGROUP 0x40u

struct output {
	enum out_kind kind;
	char *path; /* OUT_FILE */
};

struct probe {
	enum probe_kind kind;
	int fd;	       /* PROBE_FD */
	char *host;    /* PROBE_TCP, PROBE_HTTP */
	uint16_t port; /* PROBE_TCP, PROBE_HTTP */
	char *path;    /* PROBE_HTTP, with its leading '/' */
	char **argv;   /* PROBE_EXEC */
};

struct mount_conf {
	char name[65];
	int line;
	char *what, *where, *type, *options;
	char *mkfs; /* ext2/3/4 made on a blank device first, or NULL */
	bool required;
};

struct iface_conf {
	char name[65];
	int line;
	char **address; /* ADDR/PREFIX items */
	char *gateway;
	uint32_t mtu; /* 0: unchanged */
	char **dns;
};

struct sysctl_conf {
	char *key, *value;
	int line;
};

/*
 * struct svc_conf - one [service.NAME] section, validated.
 * Strings and vectors are owned by the struct (svc_conf_free()).
 */
struct svc_conf {
	char name[65];
	int line;	 /* of the section header */
	uint64_t digest; /* of every key and value: tells a changed service on reload */
	uint64_t set;	 /* SET_* bits of keys given explicitly */

	/* process */
	char **argv;
	enum svc_type type;
	char *user; /* NULL: root */
	char **groups;
	char *workdir;
	char **env; /* KEY=VALUE items */
	char *env_file;
	struct output out, err;
	uint64_t log_ring; /* bytes of its records; 0: [system] log_ring */

	/* order and restart */
	char **after, **requires;
	enum restart_policy restart;
	uint64_t restart_delay_ms, restart_delay_max_ms;
	unsigned start_limit_n;
	uint64_t start_limit_ms;
	int stop_signal;
	uint64_t stop_timeout_ms;
	bool critical;
	enum power_action on_critical;

	/* readiness and health */
	struct probe ready;
	uint64_t ready_timeout_ms;
	struct probe health;
	uint64_t health_interval_ms, health_timeout_ms, health_start_period_ms;
	unsigned health_retries;
	enum on_unhealthy on_unhealthy;
	uint64_t watchdog_ms;

	/* isolation */
	bool isolate;
	unsigned namespaces;
	enum net_mode network;
	char *bridge, *address, *subnet, *hostname, *root, *seccomp;
	char **publish, **egress, **volumes, **secrets, **capabilities, **seccomp_allow;
	bool no_new_privileges;
	bool seccomp_log; /* denials logged by the kernel (SECCOMP_FILTER_FLAG_LOG) */
	bool egress_log;  /* egress drops logged by the kernel, rate-limited */
	enum landlock_mode landlock;
	char **landlock_rw, **landlock_ro; /* paths inside its root */
	uint64_t memory_max, memory_high, pids_max;
	uint32_t cpu_quota_us, cpu_period_us; /* cpu_max */
	unsigned io_weight;
	uint64_t nofile, nproc;
	uint64_t memlock; /* RLIMIT_MEMLOCK, bytes */
	int oom_score_adj;
	/* sizes of the private tmpfs mounts; a tmpfs volume without one gets tmp_size */
	uint64_t tmp_size, run_size, shm_size;
};

/* Keys given explicitly; used to refuse features that are not built. */
enum {
	SET_NAMESPACES = 1ull << 0,
	SET_NETWORK = 1ull << 1,
	SET_BRIDGE = 1ull << 2,
	SET_ADDRESS = 1ull << 3,
	SET_SUBNET = 1ull << 4,
	SET_PUBLISH = 1ull << 5,
	SET_EGRESS = 1ull << 6,
	SET_HOSTNAME = 1ull << 7,
	SET_ROOT = 1ull << 8,
	SET_VOLUMES = 1ull << 9,
	SET_SECRETS = 1ull << 10,
	SET_CAPABILITIES = 1ull << 11,
	SET_SECCOMP = 1ull << 12,
	SET_SECCOMP_ALLOW = 1ull << 13,
	SET_MEMORY_MAX = 1ull << 14,
	SET_MEMORY_HIGH = 1ull << 15,
	SET_CPU_MAX = 1ull << 16,
	SET_PIDS_MAX = 1ull << 17,
	SET_IO_WEIGHT = 1ull << 18,
	SET_NPROC = 1ull << 19,
	SET_OOM_SCORE_ADJ = 1ull << 20,
	SET_ISOLATE = 1ull << 21,
	SET_NO_NEW_PRIVS = 1ull << 22,
	SET_HEALTH = 1ull << 23,
	SET_WATCHDOG = 1ull << 24,
	SET_TMPFS_SIZE = 1ull << 25,
	SET_LANDLOCK = 1ull << 26,
};

struct sys_conf {
	int line;
	char *hostname;
	char **modules;
	int log_level;	   /* LOG_ERR .. LOG_DEBUG */
	int console_level; /* the records the console shows; -1: log_level's */
	char *runtime_dir;
	uint64_t shutdown_timeout_ms;
	enum power_action on_empty;
	char *watchdog;
	uint64_t watchdog_interval_ms;
	bool coldplug;		    /* load the modules of the devices present and added */
	uint64_t device_timeout_ms; /* a missing interface link or mount device: how long to wait */
	char *control_port;	    /* virtio-serial port name; NULL: the default, "none": off */
	bool exec;		    /* `nucleusctl exec` allowed */
	char *root; /* the root image stage 1 moves into (LABEL=, UUID=, /dev/...), or NULL */
	uint64_t log_ring; /* bytes of records kept per service */
	char *log_dir;	   /* where nucleus-logd keeps the records, or NULL */
	uint64_t log_max_size;
	unsigned log_max_files;
	char *log_remote;	    /* udp://HOST:PORT or tcp://HOST:PORT, or NULL */
	bool log_remote_json;	    /* log_remote_format = json (else RFC 5424 syslog) */
	unsigned require;	    /* REQ_* the kernel must have before a service starts */
	int require_lockdown;	    /* lockdown=: LOCKDOWN_INTEGRITY or LOCKDOWN_CONFIDENTIALITY */
	enum power_action on_unmet; /* POWER_POWEROFF or POWER_STAY */
};

/* [system] require: kernel features checked at boot (require.c). */
enum {
	REQ_CGROUP2 = 1 << 0,
	REQ_LANDLOCK = 1 << 1,
	REQ_SECCOMP = 1 << 2,
	REQ_LOCKDOWN = 1 << 3,
	REQ_NFTABLES = 1 << 4,
};
enum { LOCKDOWN_NONE, LOCKDOWN_INTEGRITY, LOCKDOWN_CONFIDENTIALITY };

#define DEFAULT_CONTROL_PORT "org.nucleus.ctl"

struct manifest {
	char *path;
	struct sys_conf sys;
	bool sys_invalid; /* [system] had an error: powers off at boot */
	struct sysctl_conf *sysctls;
	int nsysctl;
	struct mount_conf *mounts;
	int nmount;
	struct iface_conf *ifaces;
	int niface;
	struct svc_conf **svcs; /* valid services only */
	int nsvc;
	int nerrors; /* every error, reported through the callback */
	/* "PATH:LINE: warning: ..." for what is valid but weakens isolation
	 * (`--check` prints them; `--check --strict` counts them as errors) */
	char **warnings;
	int nwarnings;
};

/* Receives each error as "PATH:LINE: message" (no newline). */
typedef void (*manifest_err_fn)(void *arg, const char *msg);

/*
 * manifest_load - parse and validate @path.
 * Returns a manifest (possibly with errors, see ->nerrors) or NULL when the
 * file cannot be read or memory runs out; errno-style code in *err then.
 */
struct manifest *manifest_load(const char *path, manifest_err_fn fn, void *arg, int *err);
/* The same from a string, for tests and the fuzzer; @path names it in errors. */
struct manifest *manifest_load_string(const char *text, const char *path, manifest_err_fn fn,
				      void *arg, int *err);
void manifest_free(struct manifest *m);
void svc_conf_free(struct svc_conf *c);
struct svc_conf *manifest_find(const struct manifest *m, const char *name);

/* Parses a probe value of `ready` (allow_notify_fd) or `health`. */
int probe_parse(const char *s, bool ready, struct probe *p, const char **why);
/* Parses "50%" or "QUOTA/PERIOD" (microseconds). */
int parse_cpu_max(const char *s, uint32_t *quota_us, uint32_t *period_us);
/* The contract's refused volume sources and destinations: the matched
 * prefix, or NULL when allowed. Paths are normalised lexically first. */
const char *volume_source_refused(const char *src);
const char *volume_dest_refused(const char *dst);

/*
 * struct volume_opts - the third field of a bind volume, a comma-separated
 * list: ro or rw (read-only without either), and owner or
 * owner=USER[:GROUP], which makes the source the user's (and writable).
 */
struct volume_opts {
	bool rw;
	bool owner;
	char user[33];	/* owner=USER: the name or id; "" for the service's own user */
	char group[33]; /* owner=USER:GROUP: the group; "" for USER's primary group */
};

/* Parses @opt (NULL: none) into @o; -EINVAL with *@why when malformed. */
int volume_opts_parse(const char *opt, struct volume_opts *o, const char **why);
/* Power action names: "reboot" ... ; "stay" only where allowed. */
const char *power_action_name(enum power_action a);

#endif
