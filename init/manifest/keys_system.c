// SPDX-License-Identifier: MIT
/*
 * keys_system.c - the machine's sections: [system], [sysctl],
 * [mount.NAME] and [interface.NAME].
 */
#include "manifest/internal.h"
#include "log.h"
#include "records.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

void mf_sys_defaults(struct sys_conf *s)
{
	s->log_level = 6; /* LOG_INFO */
	s->console_level = -1;
	s->shutdown_timeout_ms = 10000;
	s->on_empty = POWER_STAY;
	s->watchdog_interval_ms = 10000;
	s->coldplug = true;
	s->device_timeout_ms = 10000;
	s->exec = true;
	s->log_ring = RECRING_DEFAULT;
	s->log_max_size = 1 << 20;
	s->log_max_files = 5;
	s->on_unmet = POWER_POWEROFF;
}

/* ---- [system] keys ---- */

static int y_hostname(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (!valid_name(v)) {
		*why = "expected a host name of [A-Za-z0-9_.-], at most 64 characters";
		return -EINVAL;
	}
	return mf_put_str(&c->hostname, v);
}

static int y_modules(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_put_list_of(&c->modules, v, valid_name, "expected module names", why);
}

static int level_key(int *dst, const char *v, const char **why)
{
	*dst = log_level_parse(v);
	if (*dst < 0) {
		*why = "expected error, warn, info or debug";
		return -EINVAL;
	}
	return 0;
}

static int y_log_level(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return level_key(&c->log_level, v, why);
}

static int y_runtime_dir(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (strlen(v) > 80) {
		*why = "too long for a socket path (at most 80 characters)";
		return -EINVAL;
	}
	return mf_abs_path(&c->runtime_dir, v, why);
}

static int y_shutdown_timeout(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_dur(&c->shutdown_timeout_ms, v, why);
}

static int y_on_empty(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_power(&c->on_empty, v, true, why);
}

static int y_watchdog(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_abs_path(&c->watchdog, v, why);
}

static int y_watchdog_interval(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (mf_dur(&c->watchdog_interval_ms, v, why))
		return -EINVAL;
	if (c->watchdog_interval_ms < 1000) {
		*why = "must be at least 1s";
		return -EINVAL;
	}
	return 0;
}

static int y_coldplug(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_bool(&c->coldplug, v, why);
}

static int y_device_timeout(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_dur(&c->device_timeout_ms, v, why);
}

/* A virtio-serial port name, or none; NULL in the conf means the default. */
static int y_control_port(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (!valid_name(v)) {
		*why = "expected a virtio-serial port name of [A-Za-z0-9_.-] (at most 64), or none";
		return -EINVAL;
	}
	return mf_put_str(&c->control_port, v);
}

static int y_exec(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_bool(&c->exec, v, why);
}

/* LABEL=... names a file system label; UUID=... hex digits in groups by '-'. */
static int spec_check(const char *v, const char **why)
{
	if (!strncmp(v, "LABEL=", 6) && (!v[6] || strlen(v + 6) > 255)) {
		*why = "LABEL= needs a label of 1 to 255 bytes";
		return -EINVAL;
	}
	if (!strncmp(v, "UUID=", 5) &&
	    (!v[5] || strlen(v + 5) > 36 ||
	     strspn(v + 5, "0123456789abcdefABCDEF-") != strlen(v + 5))) {
		*why = "UUID= needs hex digits and '-', as blkid prints them";
		return -EINVAL;
	}
	return 0;
}

/* The root image's device: LABEL=..., UUID=... or a /dev path. */
static int y_root(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (strncmp(v, "LABEL=", 6) && strncmp(v, "UUID=", 5) &&
	    (strncmp(v, "/dev/", 5) || !v[5] || strlen(v) > 255)) {
		*why = "expected LABEL=..., UUID=... or a device under /dev";
		return -EINVAL;
	}
	if (spec_check(v, why))
		return -EINVAL;
	return mf_put_str(&c->root, v);
}

static int y_console_level(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return level_key(&c->console_level, v, why);
}

static int y_log_dir(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_abs_path(&c->log_dir, v, why);
}

static int y_log_max_size(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (mf_size(&c->log_max_size, v, why) || c->log_max_size < 4096) {
		*why = "expected a size of at least 4K, such as 1M";
		return -EINVAL;
	}
	return 0;
}

static int y_log_max_files(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	(void)L;
	if (*end || end == v || n > 100) {
		*why = "expected a count from 0 to 100";
		return -EINVAL;
	}
	c->log_max_files = (unsigned)n;
	return 0;
}

/* udp://ADDRESS:PORT or tcp://ADDRESS:PORT; [v6]:PORT too. */
static int y_log_remote(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	const char *hp = v + 6, *colon = strrchr(v, ':');
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;

	(void)L;
	char host[64];
	unsigned char addr[16];
	size_t n = colon && colon > hp ? (size_t)(colon - hp) : 0;

	if (n >= 2 && hp[0] == '[' && hp[n - 1] == ']') {
		hp++;
		n -= 2;
	}
	if (n < sizeof(host)) {
		memcpy(host, hp, n);
		host[n] = '\0';
	}
	if ((strncmp(v, "udp://", 6) && strncmp(v, "tcp://", 6)) || !n || n >= sizeof(host) ||
	    !colon[1] || *end || port == 0 || port > 65535 ||
	    (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)) {
		*why = "expected udp://ADDRESS:PORT or tcp://ADDRESS:PORT (an IPv4 or [IPv6] "
		       "address)";
		return -EINVAL;
	}
	return mf_put_str(&c->log_remote, v);
}

static int y_log_remote_format(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (strcmp(v, "syslog") && strcmp(v, "json")) {
		*why = "expected syslog or json";
		return -EINVAL;
	}
	c->log_remote_json = !strcmp(v, "json");
	return 0;
}

static int y_log_ring(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	return mf_ring_size(&c->log_ring, v, why);
}

/* cgroup2 landlock seccomp lockdown=integrity|confidentiality nftables, any subset. */
static int y_require(struct loader *L, void *obj, const char *v, const char **why)
{
	static const char *const names[] = {"cgroup2", "landlock", "seccomp", "lockdown",
					    "nftables"};
	OBJ(struct sys_conf);
	char **items;
	int n, r = 0;

	(void)L;
	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n && !r; i++) {
		size_t k = 0;

		if (!strcmp(items[i], "lockdown=integrity") ||
		    !strcmp(items[i], "lockdown=confidentiality")) {
			int level =
				items[i][9] == 'i' ? LOCKDOWN_INTEGRITY : LOCKDOWN_CONFIDENTIALITY;

			if (level > c->require_lockdown)
				c->require_lockdown = level;
			c->require |= REQ_LOCKDOWN;
			continue;
		}
		while (k < ARRAY_SIZE(names) && (strcmp(items[i], names[k]) || k == 3))
			k++;
		if (k == ARRAY_SIZE(names)) {
			*why = "expected items of cgroup2 landlock seccomp lockdown=integrity "
			       "lockdown=confidentiality nftables";
			r = -EINVAL;
		} else {
			c->require |= 1u << k;
		}
	}
	free(items);
	return r;
}

static int y_on_unmet(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct sys_conf);
	(void)L;
	if (strcmp(v, "poweroff") && strcmp(v, "stay")) {
		*why = "expected poweroff or stay";
		return -EINVAL;
	}
	c->on_unmet = v[0] == 'p' ? POWER_POWEROFF : POWER_STAY;
	return 0;
}

static const struct key_def sys_keys[] = {
	{"hostname", y_hostname, 0, false},
	{"modules", y_modules, 0, true},
	{"log_level", y_log_level, 0, false},
	{"runtime_dir", y_runtime_dir, 0, false},
	{"shutdown_timeout", y_shutdown_timeout, 0, false},
	{"on_empty", y_on_empty, 0, false},
	{"watchdog", y_watchdog, 0, false},
	{"watchdog_interval", y_watchdog_interval, 0, false},
	{"coldplug", y_coldplug, 0, false},
	{"device_timeout", y_device_timeout, 0, false},
	{"control_port", y_control_port, 0, false},
	{"exec", y_exec, 0, false},
	{"root", y_root, 0, false},
	{"log_ring", y_log_ring, 0, false},
	{"console_level", y_console_level, 0, false},
	{"log_dir", y_log_dir, 0, false},
	{"log_max_size", y_log_max_size, 0, false},
	{"log_max_files", y_log_max_files, 0, false},
	{"log_remote", y_log_remote, 0, false},
	{"log_remote_format", y_log_remote_format, 0, false},
	{"require", y_require, 0, true},
	{"on_unmet", y_on_unmet, 0, false},
};

static const struct key_table sys_table = {sys_keys, ARRAY_SIZE(sys_keys), NULL};

/* ---- [mount.NAME] keys ---- */

static int m_what(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	if (spec_check(v, why))
		return -EINVAL;
	return mf_put_str(&c->what, v);
}

/* @v in one spelling: "//" collapsed, no trailing '/'; false for . and .. parts. */
static bool norm_path(const char *v, char *out, size_t size)
{
	size_t o = 0;

	if (*v != '/')
		return false;
	while (*v) {
		size_t n;

		while (*v == '/')
			v++;
		n = strcspn(v, "/");
		if (!n)
			break;
		if ((n == 1 && v[0] == '.') || (n == 2 && v[0] == '.' && v[1] == '.') ||
		    o + n + 2 > size)
			return false;
		out[o++] = '/';
		memcpy(out + o, v, n);
		o += n;
		v += n;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return true;
}

/*
 * Kept in that one spelling: the mounts inside it, and the services that
 * use it, are found by comparing paths.
 */
static int m_where(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	char norm[4096];

	(void)L;
	if (!norm_path(v, norm, sizeof(norm))) {
		*why = "expected an absolute path without . or .. components";
		return -EINVAL;
	}
	return mf_put_str(&c->where, norm);
}

static int m_type(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	if (strpbrk(v, " \t/") || strlen(v) > 32) {
		*why = "expected a file system type such as ext4, tmpfs";
		return -EINVAL;
	}
	return mf_put_str(&c->type, v);
}

static int m_options(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	if (strpbrk(v, " \t")) {
		*why = "expected comma-separated options without blanks";
		return -EINVAL;
	}
	return mf_put_str(&c->options, v);
}

static int m_required(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	return mf_bool(&c->required, v, why);
}

static int m_mkfs(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct mount_conf);
	(void)L;
	if (strcmp(v, "ext4") && strcmp(v, "ext3") && strcmp(v, "ext2")) {
		*why = "expected ext4, ext3 or ext2 (made by mke2fs)";
		return -EINVAL;
	}
	return mf_put_str(&c->mkfs, v);
}

static const struct key_def mount_keys[] = {
	{"what", m_what, 0, false},	    {"where", m_where, 0, false},
	{"type", m_type, 0, false},	    {"options", m_options, 0, false},
	{"required", m_required, 0, false}, {"mkfs", m_mkfs, 0, false},
};

static const struct key_table mount_table = {mount_keys, ARRAY_SIZE(mount_keys), NULL};

/* ---- [interface.NAME] keys ---- */

static bool cidr_item(const char *s)
{
	return mf_valid_cidr(s) == 0;
}

static int i_address(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	(void)L;
	return mf_put_list_of(&c->address, v, cidr_item, "expected ADDR/PREFIX items, IPv4 or IPv6",
			      why);
}

static int i_gateway(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	int fam;

	(void)L;
	if (mf_valid_ip(v, &fam)) {
		*why = "expected an IPv4 or IPv6 address";
		return -EINVAL;
	}
	return mf_put_str(&c->gateway, v);
}

static int i_mtu(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	uint64_t m;

	(void)L;
	if (parse_uint(v, 65535, &m) || m < 68) {
		*why = "expected an MTU from 68 to 65535";
		return -EINVAL;
	}
	c->mtu = (uint32_t)m;
	return 0;
}

static bool ip_item(const char *s)
{
	int fam;

	return mf_valid_ip(s, &fam) == 0;
}

static int i_dns(struct loader *L, void *obj, const char *v, const char **why)
{
	OBJ(struct iface_conf);
	(void)L;
	return mf_put_list_of(&c->dns, v, ip_item, "expected IPv4 or IPv6 addresses", why);
}

static const struct key_def iface_keys[] = {
	{"address", i_address, 0, true},
	{"gateway", i_gateway, 0, false},
	{"mtu", i_mtu, 0, false},
	{"dns", i_dns, 0, true},
};

static const struct key_table iface_table = {iface_keys, ARRAY_SIZE(iface_keys), NULL};

void mf_load_system(struct loader *L, struct raw_section *s)
{
	int e = mf_apply_keys(L, s, &sys_table, &L->m->sys, NULL, "[system]");

	L->m->sys.line = s->line;
	if (e || s->bad)
		L->m->sys_invalid = true;
}

void mf_load_sysctl(struct loader *L, struct raw_section *s)
{
	for (int i = 0; i < s->nkv; i++) {
		struct raw_kv *kv = &s->kv[i];
		struct sysctl_conf *n;
		const char *k = kv->key;

		if (!*k || k[0] == '.' || k[0] == '/' || strstr(k, "..") ||
		    strspn(k,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") !=
			    strlen(k)) {
			mf_err(L, kv->line, "[sysctl]: invalid sysctl name '%s'", k);
			continue;
		}
		n = mf_realloc(L, L->m->sysctls, sizeof(*n) * (size_t)(L->m->nsysctl + 1));
		if (!n)
			return;
		L->m->sysctls = n;
		n = &n[L->m->nsysctl];
		n->key = mf_strdup(L, kv->key);
		n->value = mf_strdup(L, kv->value);
		n->line = kv->line;
		L->m->nsysctl++;
	}
}

/* mkfs formats a blank disk, which has no label yet: it is named by its path. */
static int mount_mkfs_valid(struct loader *L, struct raw_section *s, const struct mount_conf *mc)
{
	if (!mc->mkfs || !mc->what || !mc->type)
		return 0;
	if (strncmp(mc->what, "/dev/", 5)) {
		mf_err(L, s->line,
		       "%s: mkfs needs what = a device path (a blank disk has no label)", s->name);
		return 1;
	}
	if (strcmp(mc->mkfs, mc->type)) {
		mf_err(L, s->line, "%s: mkfs = %s but type = %s", s->name, mc->mkfs, mc->type);
		return 1;
	}
	return 0;
}

void mf_load_mount(struct loader *L, struct raw_section *s)
{
	const char *name = s->name + strlen("mount.");
	struct mount_conf mc = {.required = true}, *n;
	int e;

	if (!valid_name(name)) {
		mf_err(L, s->line, "[%s]: mount name must match [A-Za-z0-9_.-]{1,64}", s->name);
		return;
	}
	strlcpy_n(mc.name, name, sizeof(mc.name));
	mc.line = s->line;
	e = mf_apply_keys(L, s, &mount_table, &mc, NULL, s->name);
	for (const char *req = "what\0where\0type\0"; *req; req += strlen(req) + 1) {
		if (!mf_has_key(s, req)) {
			mf_err(L, s->line, "%s: %s is required", s->name, req);
			e++;
		}
	}
	e += mount_mkfs_valid(L, s, &mc);
	if (e || !(n = mf_realloc(L, L->m->mounts, sizeof(*n) * (size_t)(L->m->nmount + 1)))) {
		free(mc.what);
		free(mc.where);
		free(mc.type);
		free(mc.options);
		free(mc.mkfs);
		return;
	}
	L->m->mounts = n;
	n[L->m->nmount++] = mc;
}

void mf_load_iface(struct loader *L, struct raw_section *s)
{
	const char *name = s->name + strlen("interface.");
	struct iface_conf ic = {0}, *n;
	int e;

	if (!valid_name(name) || strlen(name) > 15) {
		mf_err(L, s->line, "[%s]: interface name must be at most 15 of [A-Za-z0-9_.-]",
		       s->name);
		return;
	}
	strlcpy_n(ic.name, name, sizeof(ic.name));
	ic.line = s->line;
	e = mf_apply_keys(L, s, &iface_table, &ic, NULL, s->name);
	if (e || !(n = mf_realloc(L, L->m->ifaces, sizeof(*n) * (size_t)(L->m->niface + 1)))) {
		mf_strv_free(ic.address);
		mf_strv_free(ic.dns);
		free(ic.gateway);
		return;
	}
	L->m->ifaces = n;
	n[L->m->niface++] = ic;
}
