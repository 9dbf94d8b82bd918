// SPDX-License-Identifier: MIT
/*
 * cgroup.c - cgroup v2 groups of services.
 *
 * Layout, below the cgroup nucleus-init itself was started in (the root
 * of the hierarchy when it is a machine's PID 1):
 *     init/            nucleus-init itself: the parent may then delegate
 *     services/NAME/   one per service, with its limits
 * A group lives from the first start of its service until the service is
 * stopped and its last process is gone; restarts reuse it.
 */
#include "isolate/cgroup.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static struct {
	bool ok, disabled;
	char base[512]; /* .../services */
	char why[160];
} cg;

void cg_disable(const char *why)
{
	cg.disabled = true;
	snprintf(cg.why, sizeof(cg.why), "%s", why);
}

bool cg_available(void)
{
	return cg.ok;
}

const char *cg_why(void)
{
	return cg.why[0] ? cg.why : "cgroup v2 is not set up";
}

const char *cg_base(void)
{
	return cg.base;
}

/* The group a /proc/.../cgroup file names ("0::/path"), as a path under /sys/fs/cgroup. */
static int group_in(const char *procfile, char *out, size_t size)
{
	char buf[1024], *line;

	if (read_small(procfile, buf, sizeof(buf)) < 0)
		return -ENOENT;
	line = strstr(buf, "0::");
	if (!line || (line != buf && line[-1] != '\n'))
		return -ENOENT;
	line += 3;
	line[strcspn(line, "\n")] = '\0';
	snprintf(out, size, "/sys/fs/cgroup%s", strcmp(line, "/") ? line : "");
	return 0;
}

/* Our own group. */
static int own_group(char *out, size_t size)
{
	return group_in("/proc/self/cgroup", out, size);
}

int cg_service_of(pid_t pid, char *name, size_t size)
{
	char path[40], group[1024];
	size_t n = strlen(cg.base);

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!cg_available() || group_in(path, group, sizeof(group)) || strncmp(group, cg.base, n) ||
	    group[n] != '/')
		return -ENOENT;
	snprintf(name, size, "%.*s", (int)strcspn(group + n + 1, "/"), group + n + 1);
	return 0;
}

/* "+memory +cpu +pids +io" of what @dir offers, into its subtree_control. */
static int enable_controllers(const char *dir)
{
	static const char *const want[] = {"memory", "cpu", "pids", "io"};
	char path[600], have[512], padded[520], one[16], req[64] = "";
	size_t o = 0;
	int r = 0;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_small(path, have, sizeof(have)) < 0)
		return -errno;
	snprintf(padded, sizeof(padded), " %s ", have);
	padded[strcspn(padded, "\n")] = ' ';
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(one, sizeof(one), " %s ", want[i]);
		if (strstr(padded, one))
			o += (size_t)snprintf(req + o, sizeof(req) - o, "%s+%s", o ? " " : "",
					      want[i]);
	}
	if (!o)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	/* all at once; when that is refused, each alone, to keep what can be had */
	if (write_text(AT_FDCWD, path, req) >= 0)
		return 0;
	for (char *save = NULL, *t = strtok_r(req, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (write_text(AT_FDCWD, path, t) < 0 && !r)
			r = -errno;
	return r;
}

static int fail(int err, const char *fmt, const char *arg)
{
	snprintf(cg.why, sizeof(cg.why), fmt, arg, strerror(err));
	cg.ok = false;
	return -err;
}

int cg_init(bool machine_root)
{
	struct statfs sf;
	char own[400], path[600], pid[32];
	bool in_root;
	int r;

	if (cg.disabled)
		return -ENOTSUP;
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(cg.why, sizeof(cg.why), "/sys/fs/cgroup is not a cgroup2 file system");
		return -ENOTSUP;
	}
	if (own_group(own, sizeof(own)) < 0) {
		snprintf(cg.why, sizeof(cg.why), "no cgroup2 line in /proc/self/cgroup");
		return -ENOTSUP;
	}
	in_root = machine_root && !strcmp(own, "/sys/fs/cgroup");
	/*
	 * nucleus-init moves to a leaf of its own, so its group may delegate;
	 * not out of the machine's root group, which may hold processes and
	 * delegate both (and a move would cost an RCU grace period).
	 */
	if (!in_root) {
		snprintf(path, sizeof(path), "%s/init", own);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return fail(errno, "mkdir %s: %s", path);
		snprintf(path, sizeof(path), "%s/init/cgroup.procs", own);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if ((r = write_text(AT_FDCWD, path, pid)) < 0)
			return fail(-r, "%s: %s", path);
	}
	if ((r = enable_controllers(own)) < 0 && !in_root) {
		/* not ours to delegate (a shared group, say): go back as we were */
		snprintf(path, sizeof(path), "%s/cgroup.procs", own);
		write_text(AT_FDCWD, path, pid);
		snprintf(path, sizeof(path), "%s/init", own);
		rmdir(path);
		return fail(-r, "%s/cgroup.subtree_control: %s", own);
	} else if (r < 0) {
		return fail(-r, "%s/cgroup.subtree_control: %s", own);
	}
	snprintf(cg.base, sizeof(cg.base), "%s/services", own);
	if (mkdir(cg.base, 0755) < 0 && errno != EEXIST)
		return fail(errno, "mkdir %s: %s", cg.base);
	if ((r = enable_controllers(cg.base)) < 0)
		return fail(-r, "%s/cgroup.subtree_control: %s", cg.base);
	cg.ok = true;
	cg.why[0] = '\0';
	return 0;
}

const char *cg_limit_key(const struct svc_conf *c)
{
	if (c->set & SET_MEMORY_MAX)
		return "memory_max";
	if (c->set & SET_MEMORY_HIGH)
		return "memory_high";
	if (c->set & SET_CPU_MAX)
		return "cpu_max";
	if (c->set & SET_PIDS_MAX)
		return "pids_max";
	if (c->set & SET_IO_WEIGHT)
		return "io_weight";
	return NULL;
}

/* One limit: @set says whether the manifest gave it; unset ones go back to @reset. */
static int limit(int dirfd, const char *name, const char *key, const char *file, bool set,
		 const char *value, const char *reset, struct nerr *e)
{
	int r;

	if (!set && !reset)
		return 0;
	r = write_text(dirfd, file, set ? value : reset);
	if (r == -ENOENT && !set)
		return 0; /* the controller is not there, and nothing was asked of it */
	if (r < 0)
		return nerr_set(e, key, -r, "%s/%s/%s \"%s\": %s", cg.base, name, file,
				set ? value : reset,
				r == -ENOENT ? "controller not available" : strerror(-r));
	return 0;
}

/* @fresh: the group was just made, so every limit not asked for is "max" already. */
static int write_limits(int dirfd, const struct svc_conf *c, bool fresh, struct nerr *e)
{
	char v[64];
	int r;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)c->memory_max);
	r = limit(dirfd, c->name, "memory_max", "memory.max", c->set & SET_MEMORY_MAX, v,
		  fresh ? NULL : "max", e);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)c->memory_high);
	if (!r)
		r = limit(dirfd, c->name, "memory_high", "memory.high", c->set & SET_MEMORY_HIGH, v,
			  fresh ? NULL : "max", e);
	snprintf(v, sizeof(v), "%u %u", c->cpu_quota_us, c->cpu_period_us);
	if (!r)
		r = limit(dirfd, c->name, "cpu_max", "cpu.max", c->set & SET_CPU_MAX, v,
			  fresh ? NULL : "max 100000", e);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)c->pids_max);
	if (!r)
		r = limit(dirfd, c->name, "pids_max", "pids.max", c->set & SET_PIDS_MAX, v,
			  fresh ? NULL : "max", e);
	snprintf(v, sizeof(v), "default %u", c->io_weight);
	if (!r)
		r = limit(dirfd, c->name, "io_weight", "io.weight", c->set & SET_IO_WEIGHT, v,
			  fresh ? NULL : "default 100", e);
	return r;
}

int cg_prepare(const struct svc_conf *c, struct nerr *e)
{
	char path[700];
	int fd, r;

	bool fresh = true;

	snprintf(path, sizeof(path), "%s/%s", cg.base, c->name);
	if (mkdir(path, 0755) < 0) {
		if (errno != EEXIST)
			return nerr_set(e, "cgroup", errno, "mkdir %s: %s", path, strerror(errno));
		fresh = false; /* a restart, or a reload changed the limits */
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nerr_set(e, "cgroup", errno, "%s: %s", path, strerror(errno));
	r = write_limits(fd, c, fresh, e);
	if (r < 0) {
		close(fd);
		if (fresh)
			rmdir(path);
		return r;
	}
	return fd;
}

int cg_enter(int dirfd, pid_t pid)
{
	char s[32];

	snprintf(s, sizeof(s), "%d", (int)pid);
	return write_text(dirfd, "cgroup.procs", s);
}

/* Without cgroup.kill (before Linux 5.14): freeze, kill each pid, thaw. */
static int kill_frozen(const char *dir)
{
	char path[800], buf[8192], *save = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	write_text(AT_FDCWD, path, "1");
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	r = (int)read_small(path, buf, sizeof(buf));
	for (char *t = strtok_r(buf, "\n", &save); r > 0 && t; t = strtok_r(NULL, "\n", &save))
		kill((pid_t)atoi(t), SIGKILL);
	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	write_text(AT_FDCWD, path, "0");
	return r < 0 ? r : 0;
}

int cg_kill(const char *name)
{
	char dir[700], path[800];
	int r;

	if (!cg.ok)
		return -ENOTSUP;
	snprintf(dir, sizeof(dir), "%s/%s", cg.base, name);
	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	r = write_text(AT_FDCWD, path, "1");
	if (r == -ENOENT && access(dir, F_OK) == 0)
		return kill_frozen(dir);
	return r;
}

int cg_remove(const char *name)
{
	char dir[700];

	if (!cg.ok)
		return 0;
	snprintf(dir, sizeof(dir), "%s/%s", cg.base, name);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int cg_open(const char *name, const char *file)
{
	char path[800];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", cg.base, name, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cg_read_key(int fd, const char *key, uint64_t *value)
{
	char buf[1024], *p;
	size_t klen = strlen(key);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			*value = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

static bool read_u64(const char *dir, const char *file, uint64_t *v)
{
	char path[800], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_small(path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
		return false;
	*v = strtoull(buf, NULL, 10);
	return true;
}

static bool read_key_file(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char path[800];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	r = cg_read_key(fd, key, v);
	close(fd);
	return r == 0;
}

void cg_stats(const char *name, struct cg_stats *st)
{
	char dir[700];

	memset(st, 0, sizeof(*st));
	if (!cg.ok)
		return;
	snprintf(dir, sizeof(dir), "%s/%s", cg.base, name);
	st->has_memory = read_u64(dir, "memory.current", &st->memory_current) &&
			 read_key_file(dir, "memory.events", "oom_kill", &st->oom_kills);
	st->has_peak = read_u64(dir, "memory.peak", &st->memory_peak);
	st->has_cpu = read_key_file(dir, "cpu.stat", "usage_usec", &st->cpu_usage_us);
	st->has_tasks = read_u64(dir, "pids.current", &st->tasks);
}
