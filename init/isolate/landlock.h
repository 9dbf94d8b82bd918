/* SPDX-License-Identifier: MIT */
/*
 * landlock.h - `landlock = yes|auto`: what an isolated service may do to
 * files, enforced by the kernel on paths, in addition to its mounts: read
 * and execute on its root, read-write where its mounts are writable (its
 * `:rw` volumes, tmpfs volumes, /tmp, /run, /dev/shm), the device nodes of
 * its /dev, and `landlock_rw` / `landlock_ro`. Applied in the service's
 * mount namespace once its root is built, before the identity and seccomp.
 */
#ifndef NUCLEUS_ISOLATE_LANDLOCK_H
#define NUCLEUS_ISOLATE_LANDLOCK_H

#include "nucleus.h"

struct mnt_plan;
struct svc_conf;

/* The kernel's Landlock ABI version; 0 when it has none (cached). */
int landlock_abi(void);

/* The ABI a service gets (0: none): its mode, its mount namespace, the kernel's. */
int landlock_for(const struct svc_conf *c);

/*
 * landlock_apply - restricts the calling process (and what it execs) to the
 * rules of @p's root; @self_fd (our binary, which execs as nucleus-ns-init)
 * stays executable. 0, or -errno with @e ("landlock", the path).
 */
int landlock_apply(const struct mnt_plan *p, int self_fd, struct nerr *e);

#endif
