/* SPDX-License-Identifier: MIT */
/*
 * ns.h - a service's namespaces: the clone flags, the user namespace's id
 * map, the small init that stands in as PID 1 of a service's PID
 * namespace, hostname and loopback, and joining them again for probes.
 */
#ifndef NUCLEUS_ISOLATE_NS_H
#define NUCLEUS_ISOLATE_NS_H

#include "manifest.h"
#include <sys/types.h>

#define NS_UID_RANGE 65536u /* ids a user namespace maps: 0..65535 inside */

/* CLONE_NEW* flags of @c's `namespaces` (0 when isolate = no). */
unsigned long ns_clone_flags(const struct svc_conf *c);

/*
 * ns_clone - clone(2) like fork(2), into new namespaces and, with
 * @cgroup_fd >= 0, straight into that cgroup (clone3 CLONE_INTO_CGROUP).
 * 0 in the child, the pid, or -errno (-ENOSYS: no clone3 here).
 */
pid_t ns_clone(unsigned long flags, int cgroup_fd);

/*
 * ns_uid_slot_hash - the preferred slot of a service's host id range: the
 * range starts at (slot << 16). Slots 1..NS_UID_SLOTS.
 */
#define NS_UID_SLOTS 16383u
unsigned ns_uid_slot_hash(const char *name);

/* Writes uid_map and gid_map of @pid: 0..65535 inside -> base.. outside. */
int ns_write_maps(pid_t pid, uid_t base, struct nerr *e);

/* In a fresh user namespace, once mapped: become its root (uid/gid 0). */
int ns_become_root(struct nerr *e);

/* uts: the service's hostname (its name unless `hostname` is set). */
int ns_hostname(const struct svc_conf *c, struct nerr *e);

/* network = none: the namespace's loopback up, nothing else. */
int ns_loopback_up(struct nerr *e);

/*
 * ns_init_run - PID 1 of the service's PID namespace, after it forked the
 * service as @child: reaps every process, forwards every signal to the
 * service, and when the service ends writes its wait status to
 * @status_fd (so the supervisor sees the real status, signals included),
 * kills what is left in the namespace and exits. Never returns.
 */
void ns_init_run(pid_t child, int status_fd) __attribute__((noreturn));

/* A pidfd of @pid, or -errno. */
int ns_pidfd(pid_t pid);

/*
 * ns_enter - joins the namespaces @flags of the process behind @pidfd (its
 * mount namespace takes us into its root), and in a user namespace
 * becomes its root. For what runs inside a running service.
 */
int ns_enter(int pidfd, unsigned long flags, struct nerr *e);

/*
 * ns_init_main - "nucleus-ns-init NAME", exec'd by the first process of a
 * service's PID namespace once it forked the service: fd 3 is the status
 * pipe, fd 4 a pipe holding the service's pid. Runs ns_init_run().
 */
int ns_init_main(int argc, char **argv) __attribute__((noreturn));

#endif
