// SPDX-License-Identifier: MIT
/*
 * keys_isolation.c - [service.NAME]: the isolation keys (namespaces,
 * network, root, volumes, secrets, capabilities, seccomp, cgroup limits,
 * rlimits). The table that names them is in keys_service.c.
 */
#include "manifest/internal.h"

#include <arpa/inet.h>
#include "isolate/caps.h"
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int v_namespaces(struct loader *L, void *obj, const char *v, const char **why)
{
	static const struct {
		const char *n;
		unsigned bit;
	} ns[] = {{"mount", NS_MOUNT}, {"pid", NS_PID},	  {"ipc", NS_IPC},	{"uts", NS_UTS},
		  {"net", NS_NET},     {"user", NS_USER}, {"cgroup", NS_CGROUP}};
	OBJ(struct svc_conf);
	char **items;
	int n;
	unsigned bits = 0;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(ns); k++)
			if (!strcmp(items[i], ns[k].n))
				break;
		if (k == ARRAY_SIZE(ns)) {
			*why = "expected items of mount pid ipc uts net user cgroup";
			free(items);
			return -EINVAL;
		}
		bits |= ns[k].bit;
	}
	free(items);
	c->namespaces = bits;
	return 0;
}

static int v_network(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!strcmp(v, "host"))
		c->network = NET_HOST;
	else if (!strcmp(v, "none"))
		c->network = NET_NONE;
	else if (!strcmp(v, "bridge"))
		c->network = NET_BRIDGE;
	else {
		*why = "expected host, none or bridge";
		return -EINVAL;
	}
	return 0;
}

static int v_bridge(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (strlen(v) > 15 || !valid_name(v)) {
		*why = "expected an interface name of at most 15 characters";
		return -EINVAL;
	}
	return mf_put_str(&c->bridge, v);
}

static int v_address(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	unsigned char a[4];

	(void)L;
	if (inet_pton(AF_INET, v, a) != 1) {
		*why = "expected an IPv4 address";
		return -EINVAL;
	}
	return mf_put_str(&c->address, v);
}

static int v_subnet(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	uint64_t pfx;
	const char *slash = strchr(v, '/');

	(void)L;
	if (!slash || strchr(v, ':') || mf_valid_cidr(v) || parse_uint(slash + 1, 30, &pfx) ||
	    pfx < 8) {
		*why = "expected an IPv4 CIDR with a prefix from 8 to 30, e.g. 10.88.0.0/16";
		return -EINVAL;
	}
	return mf_put_str(&c->subnet, v);
}

/* @it into @buf, a "/tcp" or "/udp" at its end cut off; false when it does not fit. */
static bool copy_cut_proto(const char *it, char *buf, size_t size)
{
	if (strlcpy_n(buf, it, size) >= size)
		return false;
	l4proto_cut(buf);
	return true;
}

/* One publish item: [ADDR:]HOSTPORT:PORT[/tcp|/udp]. */
static bool publish_item(const char *it)
{
	char buf[64], *port, *host, *addr = NULL;
	uint16_t p;
	int family = 0;

	if (!copy_cut_proto(it, buf, sizeof(buf)) || strchr(buf, '/'))
		return false;
	port = strrchr(buf, ':');
	if (!port)
		return false;
	*port++ = '\0';
	host = strrchr(buf, ':');
	if (host) {
		*host++ = '\0';
		addr = buf;
	} else {
		host = buf;
	}
	return !mf_parse_port(host, &p) && !mf_parse_port(port, &p) &&
	       (!addr || (!mf_valid_ip(addr, &family) && family == AF_INET));
}

static int v_publish(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_put_list_of(
		&c->publish, v, publish_item,
		"expected [ADDR:]HOSTPORT:PORT[/tcp|/udp] items (ADDR an IPv4 address)", why);
}

/* One egress item: IPv4 CIDR[:PORT][/tcp|/udp] (':' is unambiguous with IPv4). */
static bool egress_item(const char *it)
{
	char cidr[64], *port;
	uint16_t p;

	if (!copy_cut_proto(it, cidr, sizeof(cidr)))
		return false;
	port = strchr(cidr, ':');
	if (port)
		*port++ = '\0';
	return strchr(cidr, '/') && !mf_valid_cidr(cidr) && (!port || !mf_parse_port(port, &p));
}

static int v_egress(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!strcmp(v, "none"))
		return mf_put_list(&c->egress, v);
	return mf_put_list_of(&c->egress, v, egress_item,
			      "expected none, or IPv4 CIDR[:PORT][/tcp|/udp] items", why);
}

FIELD_KEY(v_egress_log, mf_bool, egress_log)

static int v_hostname(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (!valid_name(v)) {
		*why = "expected a host name of [A-Za-z0-9_.-], at most 64 characters";
		return -EINVAL;
	}
	return mf_put_str(&c->hostname, v);
}

static int v_root(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	static char msg[160];
	const char *bad;

	(void)L;
	if (strcmp(v, "host") && !mf_valid_abs_path(v)) {
		*why = "expected host or an absolute directory";
		return -EINVAL;
	}
	/* the host's own root and system trees are what root = host filters */
	if (strcmp(v, "host") && (bad = volume_source_refused(v))) {
		snprintf(msg, sizeof(msg), "%s is refused (under %s); root = host is the host's", v,
			 bad);
		*why = msg;
		return -EPERM;
	}
	return mf_put_str(&c->root, v);
}

/*
 * One volume item, split in place: SRC:DEST[:OPTIONS] or tmpfs:DEST[:SIZE].
 * -EINVAL leaves *why NULL for the usage text; -EPERM names the refusal.
 */
static int volume_item(char *it, char *msg, size_t size, const char **why)
{
	char *src = it, *dst, *opt;
	const char *bad;
	struct volume_opts vo;
	uint64_t sz;

	*why = NULL;
	dst = strchr(it, ':');
	if (!dst)
		return -EINVAL;
	*dst++ = '\0';
	opt = strchr(dst, ':');
	if (opt)
		*opt++ = '\0';
	if (!mf_valid_abs_path(dst))
		return -EINVAL;
	if (!strcmp(src, "tmpfs")) {
		if (opt && (parse_size(opt, &sz) || sz == 0))
			return -EINVAL;
	} else {
		if (!mf_valid_abs_path(src))
			return -EINVAL;
		if (volume_opts_parse(opt, &vo, why)) {
			snprintf(msg, size, "options '%s' of %s: %s", opt ? opt : "", src, *why);
			*why = msg;
			return -EINVAL;
		}
		if ((bad = volume_source_refused(src))) {
			snprintf(msg, size, "source %s is refused (under %s)", src, bad);
			*why = msg;
			return -EPERM;
		}
	}
	if ((bad = volume_dest_refused(dst))) {
		snprintf(msg, size, "destination %s is refused (under %s)", dst, bad);
		*why = msg;
		return -EPERM;
	}
	return 0;
}

static int v_volumes(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	static char msg[256];
	char **items;
	int n, r = 0;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; !r && i < n; i++)
		r = volume_item(items[i], msg, sizeof(msg), why);
	free(items);
	if (r && !*why)
		*why = "expected SRC:DEST[:ro|:rw|:rw,owner[=USER[:GROUP]]] or "
		       "tmpfs:DEST[:SIZE] with absolute paths";
	return r ? r : mf_put_list(&c->volumes, v);
}

static int v_secrets(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	char **items;
	int n;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char *src = items[i], *dst, *mode;
		uint64_t m;

		dst = strchr(src, ':');
		if (!dst)
			goto bad;
		*dst++ = '\0';
		mode = strchr(dst, ':');
		if (mode)
			*mode++ = '\0';
		if (!mf_valid_abs_path(src) || !*dst || strstr(dst, ".."))
			goto bad;
		if (mode) {
			char *end;

			m = strtoull(mode, &end, 8);
			if (!*mode || *end || m > 07777)
				goto bad;
		}
	}
	free(items);
	return mf_put_list(&c->secrets, v);
bad:
	*why = "expected SRC:DEST[:MODE] items with an absolute SRC and an octal MODE";
	free(items);
	return -EINVAL;
}

static bool capability_item(const char *name)
{
	return caps_from_name(name) >= 0;
}

static int v_capabilities(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_put_list_of(&c->capabilities, v, capability_item,
			      "unknown capability (e.g. NET_BIND_SERVICE, CHOWN)", why);
}

static int v_seccomp(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (strcmp(v, "default") && strcmp(v, "none") && strcmp(v, "learn") &&
	    !mf_valid_abs_path(v)) {
		*why = "expected default, none, learn or an absolute path to a profile";
		return -EINVAL;
	}
	return mf_put_str(&c->seccomp, v);
}

FIELD_KEY(v_seccomp_log, mf_bool, seccomp_log)

static int v_landlock(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	bool on;

	(void)L;
	if (!strcmp(v, "auto")) {
		c->landlock = LANDLOCK_AUTO;
		return 0;
	}
	if (mf_bool(&on, v, why)) {
		*why = "expected yes, no or auto";
		return -EINVAL;
	}
	c->landlock = on ? LANDLOCK_YES : LANDLOCK_NO;
	return 0;
}

static bool abs_path_item(const char *p)
{
	return mf_valid_abs_path(p);
}

static int v_landlock_rw(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_put_list_of(&c->landlock_rw, v, abs_path_item,
			      "expected absolute paths inside the service's root", why);
}

static int v_landlock_ro(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_put_list_of(&c->landlock_ro, v, abs_path_item,
			      "expected absolute paths inside the service's root", why);
}

static bool syscall_item(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static int v_seccomp_allow(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	return mf_put_list_of(&c->seccomp_allow, v, syscall_item, "unknown system call name", why);
}

FIELD_KEY(v_memory_max, mf_size, memory_max)

FIELD_KEY(v_memory_high, mf_size, memory_high)

static int v_cpu_max(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	(void)L;
	if (parse_cpu_max(v, &c->cpu_quota_us, &c->cpu_period_us)) {
		*why = "expected a percentage of one CPU (50%) or QUOTA/PERIOD in microseconds";
		return -EINVAL;
	}
	return 0;
}

UINT_KEY(v_pids_max, pids_max, 1, 4194304, "expected a number of tasks, at least 1")

static int v_io_weight(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	uint64_t w;

	(void)L;
	if (parse_uint(v, 10000, &w) || w == 0) {
		*why = "expected a weight from 1 to 10000";
		return -EINVAL;
	}
	c->io_weight = (unsigned)w;
	return 0;
}

UINT_KEY(v_nofile, nofile, 3, 1 << 20, "expected a number from 3 to 1048576")

UINT_KEY(v_nproc, nproc, 1, 4194304, "expected a number of processes, at least 1")

static int v_oom_score_adj(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct svc_conf);
	long x;

	(void)L;
	if (parse_int(v, -1000, 1000, &x)) {
		*why = "expected a number from -1000 to 1000";
		return -EINVAL;
	}
	c->oom_score_adj = (int)x;
	return 0;
}

FIELD_KEY(v_memlock, mf_size, memlock)
FIELD_KEY(v_tmp_size, mf_size, tmp_size)
FIELD_KEY(v_run_size, mf_size, run_size)
FIELD_KEY(v_shm_size, mf_size, shm_size)

static const struct key_def isolation_keys[] = {
	{"namespaces", v_namespaces, SET_NAMESPACES, false},
	{"network", v_network, SET_NETWORK, false},
	{"bridge", v_bridge, SET_BRIDGE, false},
	{"address", v_address, SET_ADDRESS, false},
	{"subnet", v_subnet, SET_SUBNET, false},
	{"publish", v_publish, SET_PUBLISH, true},
	{"egress", v_egress, SET_EGRESS, true},
	{"egress_log", v_egress_log, SET_EGRESS, false},
	{"hostname", v_hostname, SET_HOSTNAME, false},
	{"root", v_root, SET_ROOT, false},
	{"volumes", v_volumes, SET_VOLUMES, true},
	{"secrets", v_secrets, SET_SECRETS, true},
	{"capabilities", v_capabilities, SET_CAPABILITIES, true},
	{"seccomp", v_seccomp, SET_SECCOMP, false},
	{"seccomp_allow", v_seccomp_allow, SET_SECCOMP_ALLOW, true},
	{"seccomp_log", v_seccomp_log, SET_SECCOMP, false},
	{"landlock", v_landlock, SET_LANDLOCK, false},
	{"landlock_rw", v_landlock_rw, SET_LANDLOCK, true},
	{"landlock_ro", v_landlock_ro, SET_LANDLOCK, true},
	{"memory_max", v_memory_max, SET_MEMORY_MAX, false},
	{"memory_high", v_memory_high, SET_MEMORY_HIGH, false},
	{"cpu_max", v_cpu_max, SET_CPU_MAX, false},
	{"pids_max", v_pids_max, SET_PIDS_MAX, false},
	{"io_weight", v_io_weight, SET_IO_WEIGHT, false},
	{"nofile", v_nofile, 0, false},
	{"nproc", v_nproc, SET_NPROC, false},
	{"oom_score_adj", v_oom_score_adj, SET_OOM_SCORE_ADJ, false},
	{"memlock", v_memlock, 0, false},
	{"tmp_size", v_tmp_size, SET_TMPFS_SIZE, false},
	{"run_size", v_run_size, SET_TMPFS_SIZE, false},
	{"shm_size", v_shm_size, SET_TMPFS_SIZE, false},
};

const struct key_table mf_isolation_keys = {isolation_keys, ARRAY_SIZE(isolation_keys), NULL};
