// SPDX-License-Identifier: MIT
/*
 * caps.c - what an isolated service may still do as root, or as its user.
 *
 * The order matters, as in runc and crun: the bounding set is dropped
 * while we still hold CAP_SETPCAP; PR_SET_KEEPCAPS carries the permitted
 * set across setuid() to a non-root user; then the sets are written with
 * only the kept capabilities and raised into the ambient set, which is
 * the one a non-root user's exec keeps. At the end every set is read back.
 */
#include "isolate/caps.h"

#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's names, without CAP_, in the order of their numbers. */
static const char *const cap_names[] = {
	"chown",
	"dac_override",
	"dac_read_search",
	"fowner",
	"fsetid",
	"kill",
	"setgid",
	"setuid",
	"setpcap",
	"linux_immutable",
	"net_bind_service",
	"net_broadcast",
	"net_admin",
	"net_raw",
	"ipc_lock",
	"ipc_owner",
	"sys_module",
	"sys_rawio",
	"sys_chroot",
	"sys_ptrace",
	"sys_pacct",
	"sys_admin",
	"sys_boot",
	"sys_nice",
	"sys_resource",
	"sys_time",
	"sys_tty_config",
	"mknod",
	"lease",
	"audit_write",
	"audit_control",
	"setfcap",
	"mac_override",
	"mac_admin",
	"syslog",
	"wake_alarm",
	"block_suspend",
	"audit_read",
	"perfmon",
	"bpf",
	"checkpoint_restore",
};

int caps_from_name(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (!strcasecmp(name, cap_names[i]))
			return (int)i;
	return -1;
}

const char *caps_name(int cap)
{
	return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : "?";
}

int caps_mask(const struct svc_conf *c, uint64_t *mask, struct nerr *e)
{
	*mask = 0;
	for (int i = 0; c->capabilities && c->capabilities[i]; i++) {
		int cap = caps_from_name(c->capabilities[i]);

		if (cap < 0)
			return nerr_set(e, "capabilities", EINVAL, "%s: unknown capability",
					c->capabilities[i]);
		*mask |= 1ull << cap;
	}
	return 0;
}

static int last_cap(void)
{
	int cap = 0;

	while (cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
		cap++;
	return cap;
}

/* Everything but @keep leaves the bounding set (we still hold CAP_SETPCAP). */
static int drop_bounding(uint64_t keep, struct nerr *e)
{
	int last = last_cap();

	for (int cap = 0; cap <= last; cap++)
		if (!((keep >> cap) & 1) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return nerr_set(e, "capabilities", errno, "bounding set: drop %s: %s",
					caps_name(cap), strerror(errno));
	return 0;
}

/* The effective and permitted sets become @set, the inheritable one @inh. */
static int set_caps(uint64_t set, uint64_t inh, struct nerr *e)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	for (int i = 0; i < 2; i++) {
		d[i].effective = d[i].permitted = (uint32_t)(set >> (32 * i));
		d[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return nerr_set(e, "capabilities", errno, "capset: %s", strerror(errno));
	return 0;
}

static int switch_identity(const struct ident *id, struct nerr *e)
{
	if (setgroups((size_t)id->ngroups, id->groups) < 0)
		return nerr_set(e, "groups", errno, "setgroups: %s", strerror(errno));
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return nerr_set(e, "user", errno, "setgid %u: %s", (unsigned)id->gid,
				strerror(errno));
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return nerr_set(e, "user", errno, "setuid %u: %s", (unsigned)id->uid,
				strerror(errno));
	return 0;
}

/* Reads every set back; anything but @keep is an error. */
static int verify(uint64_t keep, struct nerr *e)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	uint64_t eff, prm, inh, bnd = 0, amb = 0;
	int last = last_cap();

	if (syscall(SYS_capget, &h, d) < 0)
		return nerr_set(e, "capabilities", errno, "capget: %s", strerror(errno));
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	for (int cap = 0; cap <= last; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			bnd |= 1ull << cap;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			amb |= 1ull << cap;
	}
	const struct {
		const char *name;
		uint64_t v;
	} sets[] = {{"effective", eff},
		    {"permitted", prm},
		    {"inheritable", inh},
		    {"bounding", bnd},
		    {"ambient", amb}};
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		if (sets[i].v != keep)
			return nerr_set(e, "capabilities", EPERM, "%s set is %#llx, expected %#llx",
					sets[i].name, (unsigned long long)sets[i].v,
					(unsigned long long)keep);
	return 0;
}

int caps_apply(uint64_t keep, const struct ident *id, struct nerr *e)
{
	int r;

	r = drop_bounding(keep, e);
	if (r)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return nerr_set(e, "capabilities", errno, "clearing ambient: %s", strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return nerr_set(e, "capabilities", errno, "keepcaps: %s", strerror(errno));
	r = switch_identity(id, e);
	if (r)
		return r;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	r = set_caps(keep, keep, e);
	if (r)
		return r;
	for (int cap = 0; cap < 64; cap++)
		if (((keep >> cap) & 1) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return nerr_set(e, "capabilities", errno, "ambient %s: %s", caps_name(cap),
					strerror(errno));
	return verify(keep, e);
}

int caps_ns_init(struct nerr *e)
{
	uint64_t kill = 1ull << CAP_KILL;
	int r = drop_bounding(kill, e);

	return r ? r : set_caps(kill, 0, e);
}
