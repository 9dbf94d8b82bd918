// SPDX-License-Identifier: MIT
/*
 * landlock.c - a service's file access under Landlock (landlock.h).
 *
 * The rules come from the mounts its root was built with (isolate/mount.c
 * notes each one and its flags, for the mountinfo check): a writable mount
 * (a `:rw` or tmpfs volume, /tmp, /run, /dev/shm) gets every right the ABI
 * knows, the root read and execute, /dev its device nodes (read, write,
 * ioctl, no new nodes), /proc and /sys nothing beyond reading. Every
 * right the kernel's ABI knows is handled, so what no rule grants is
 * denied (EACCES), whatever the mode bits and capabilities say.
 */
#include "isolate/landlock.h"
#include "isolate/mount.h"
#include "isolate/path.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule	    445
#define SYS_landlock_restrict_self  446
#endif

/* The uapi's values (linux/landlock.h), spelled here: older headers lack the later ones. */
#define LL_CREATE_VERSION (1u << 0)
#define LL_RULE_PATH	  1
#define LL_EXECUTE	  (1ull << 0)
#define LL_WRITE_FILE	  (1ull << 1)
#define LL_READ_FILE	  (1ull << 2)
#define LL_READ_DIR	  (1ull << 3)
#define LL_ABI1_ALL	  ((1ull << 13) - 1) /* the above and removing, making nodes */
#define LL_REFER	  (1ull << 13)	     /* ABI 2 */
#define LL_TRUNCATE	  (1ull << 14)	     /* ABI 3 */
#define LL_IOCTL_DEV	  (1ull << 15)	     /* ABI 5 */
#define LL_FILE_RIGHTS	  (LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)

struct ll_attr {
	uint64_t handled_access_fs;
};

struct ll_path {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

int landlock_abi(void)
{
	static int abi = -1;

	if (abi < 0) {
		long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_VERSION);

		abi = v > 0 ? (int)v : 0;
	}
	return abi;
}

int landlock_for(const struct svc_conf *c)
{
	if (!c->isolate || c->landlock == LANDLOCK_NO || !(c->namespaces & NS_MOUNT))
		return 0;
	return landlock_abi();
}

static uint64_t handled(int abi)
{
	return LL_ABI1_ALL | (abi >= 2 ? LL_REFER : 0) | (abi >= 3 ? LL_TRUNCATE : 0) |
	       (abi >= 5 ? LL_IOCTL_DEV : 0);
}

/* One rule: @rights on the hierarchy at @path (a file takes only file rights). */
static int add_rule(int ruleset, int fd, const char *path, uint64_t rights, uint64_t all,
		    struct nerr *e)
{
	struct ll_path rule = {.parent_fd = fd};
	struct stat st;
	int own = -1;

	if (fd < 0 && (fd = own = open(path, O_PATH | O_CLOEXEC)) < 0)
		return nerr_set(e, "landlock", errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	rule.parent_fd = fd;
	rule.allowed_access = rights & all;
	if (rule.allowed_access &&
	    syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH, &rule, 0) < 0) {
		int err = errno;

		if (own >= 0)
			close(own);
		return nerr_set(e, "landlock", err, "rule for %s: %s", path, strerror(err));
	}
	if (own >= 0)
		close(own);
	return 0;
}

/* A mount whose writes Landlock lets through: writable, not of /proc, /sys or /dev's nodes. */
static bool writable_mount(const struct mnt_expect *x)
{
	const char *p = x->path;

	if ((x->flags & MS_RDONLY) || path_under(p, "/proc") || path_under(p, "/sys"))
		return false;
	return !path_under(p, "/dev") || !strcmp(p, "/dev/shm");
}

static int add_rules(int rs, const struct mnt_plan *p, int self_fd, uint64_t all, struct nerr *e)
{
	const uint64_t ro = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR;
	const uint64_t dev =
		LL_READ_FILE | LL_WRITE_FILE | LL_READ_DIR | LL_TRUNCATE | LL_IOCTL_DEV;
	const struct svc_conf *c = p->c;
	int r = add_rule(rs, -1, "/", ro, all, e);

	if (!r)
		r = add_rule(rs, -1, "/dev", dev, all, e);
	for (int i = 0; !r && i < p->nexp; i++)
		if (writable_mount(&p->exp[i]))
			r = add_rule(rs, -1, p->exp[i].path, all, all, e);
	for (int i = 0; !r && c->landlock_rw && c->landlock_rw[i]; i++)
		r = add_rule(rs, -1, c->landlock_rw[i], all, all, e);
	for (int i = 0; !r && c->landlock_ro && c->landlock_ro[i]; i++)
		r = add_rule(rs, -1, c->landlock_ro[i], ro, all, e);
	/* our own binary, outside the root: nucleus-ns-init is exec'd from it */
	if (!r && self_fd >= 0)
		r = add_rule(rs, self_fd, "nucleus-init", LL_EXECUTE | LL_READ_FILE, all, e);
	return r;
}

int landlock_apply(const struct mnt_plan *p, int self_fd, struct nerr *e)
{
	int abi = landlock_abi(), rs, r;
	struct ll_attr attr;

	if (!abi)
		return nerr_set(e, "landlock", EOPNOTSUPP,
				"the kernel has no Landlock (landlock = auto uses it only where "
				"it is)");
	attr.handled_access_fs = handled(abi);
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return nerr_set(e, "landlock", errno, "create_ruleset: %s", strerror(errno));
	r = add_rules(rs, p, self_fd, attr.handled_access_fs, e);
	if (!r && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		r = nerr_set(e, "landlock", errno, "restrict_self: %s", strerror(errno));
	close(rs);
	return r;
}
