/* SPDX-License-Identifier: MIT */
/*
 * bridge.h - network = bridge: the bridge with its gateway address, a veth
 * pair per service (eth0 inside its network namespace), and eth0's address
 * and default route, all over rtnetlink (nl.h).
 */
#ifndef NUCLEUS_BRIDGE_H
#define NUCLEUS_BRIDGE_H

#include "nucleus.h"
#include <sys/types.h>

struct net_plan {
	const char *bridge;
	uint32_t addr, gw; /* host byte order */
	int prefix;
};

/*
 * net_bridge_attach - in PID 1, right after the service was cloned into its
 * network namespace: the bridge (created when missing, gateway address,
 * up), then a veth pair whose host end (nvPID) is on the bridge and up and
 * whose other end is made as eth0 straight in the namespace of @netns_fd
 * (an fd of the child's namespace: never a bare pid). Returns 0, or -errno
 * with @e; on failure no part of the pair is left.
 */
int net_bridge_attach(const struct net_plan *p, pid_t pid, int netns_fd, struct nerr *e);

/* In the service, in its namespace: lo and eth0 up, the address, the default route. */
int net_bridge_inside(const struct net_plan *p, struct nerr *e);

#endif
