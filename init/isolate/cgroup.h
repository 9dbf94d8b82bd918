/* SPDX-License-Identifier: MIT */
/*
 * cgroup.h - cgroup v2: one group per service under our own cgroup,
 * limits written before the service runs, accounting, OOM events, and
 * killing everything in a service at once.
 */
#ifndef NUCLEUS_ISOLATE_CGROUP_H
#define NUCLEUS_ISOLATE_CGROUP_H

#include "manifest.h"

struct cg_stats {
	uint64_t memory_current, memory_peak, oom_kills, cpu_usage_us, tasks;
	bool has_memory, has_peak, has_cpu, has_tasks;
};

/*
 * cg_init - finds cgroup2 at /sys/fs/cgroup and our place in it, moves
 * nucleus-init into a leaf "init" there (so its parent may delegate
 * controllers) unless @machine_root and that place is the root group
 * (which may delegate with processes in it), enables memory, cpu, pids and
 * io for the children and makes the "services" group. Returns 0, or -errno
 * when there is no usable cgroup v2: services then run without groups (see
 * cg_why()).
 */
int cg_init(bool machine_root);
/* Keeps cg_init() from using cgroups at all (nucleus.cgroups=no). */
void cg_disable(const char *why);
bool cg_available(void);
/* Why cgroups are not available, for errors: "/sys/fs/cgroup is not ..." */
const char *cg_why(void);
/* The services' parent group, e.g. /sys/fs/cgroup/services. */
const char *cg_base(void);
/* The name of the service whose group (under ours) holds @pid: 0, or -ENOENT. */
int cg_service_of(pid_t pid, char *name, size_t size);

/* Does @c ask for any cgroup limit? The name of the first key, or NULL. */
const char *cg_limit_key(const struct svc_conf *c);

/*
 * cg_prepare - creates (or reuses) the group of service @c and writes
 * every limit (unset ones back to "max"). Returns an O_DIRECTORY fd of
 * the group, for CLONE_INTO_CGROUP, or -errno with @e ("memory_max: ...").
 */
int cg_prepare(const struct svc_conf *c, struct nerr *e);

/* Puts process @pid into the group of @dirfd (the fallback without clone3). */
int cg_enter(int dirfd, pid_t pid);

/* Kills every process of the group: cgroup.kill, or freeze + kill + thaw. */
int cg_kill(const char *name);

/* Removes the group of @name; -EBUSY while it still has processes. */
int cg_remove(const char *name);

/* Opens a file of the group (cgroup.events, memory.events) for EPOLLPRI. */
int cg_open(const char *name, const char *file);

/* Reads "KEY VALUE" from an open flat-keyed file; -ENOENT when missing. */
int cg_read_key(int fd, const char *key, uint64_t *value);

/* The accounting of @name's group. */
void cg_stats(const char *name, struct cg_stats *st);

#endif
