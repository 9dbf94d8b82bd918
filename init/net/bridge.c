// SPDX-License-Identifier: MIT
/*
 * bridge.c - the links of a bridged service.
 *
 * The veth peer is created inside the service's namespace in the same
 * request (IFLA_NET_NS_FD), so it never exists in PID 1's namespace and
 * needs no rename; when the service's namespace goes, the kernel deletes
 * the pair, so a stopped service leaves no veth behind.
 */
#include "net/bridge.h"
#include "net/iface.h"
#include "net/nl.h"
#include "util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <unistd.h>

static struct in_addr be(uint32_t a)
{
	return (struct in_addr){.s_addr = htonl(a)};
}

static int bridge_up(struct nl *n, const struct net_plan *p, int *idx, struct nerr *e)
{
	struct in_addr gw = be(p->gw);
	int r = nl_bridge_add(n, p->bridge, e);

	if (r)
		return r;
	*idx = nl_link_index(p->bridge);
	if (*idx < 0)
		return nerr_set(e, "network", -*idx, "%s: %s", p->bridge, strerror(-*idx));
	r = nl_addr_add(n, *idx, AF_INET, &gw, p->prefix, e);
	if (!r)
		r = nl_link_set(n, *idx, true, 0, e);
	if (!r) {
		/* a published port reached as 127.0.0.1 is routed out of the bridge */
		char path[96];

		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet",
			 p->bridge);
		/* on failure NAT from 127.0.0.1 does not work; the rest does */
		write_text(AT_FDCWD, path, "1");
	}
	return r;
}

int net_bridge_attach(const struct net_plan *p, pid_t pid, int netns_fd, struct nerr *e)
{
	char host[IF_NAMESIZE];
	struct nl n;
	int br, idx, r;

	r = nl_open(&n);
	if (r)
		return nerr_set(e, "network", -r, "netlink: %s", strerror(-r));
	r = bridge_up(&n, p, &br, e);
	if (r)
		goto out;
	snprintf(host, sizeof(host), "nv%d", (int)pid);
	r = nl_veth_add(&n, host, "eth0", netns_fd, br, e);
	if (r)
		goto out;
	idx = nl_link_index(host);
	r = idx < 0 ? nerr_set(e, "network", -idx, "%s: %s", host, strerror(-idx))
		    : nl_link_set(&n, idx, true, 0, e);
	if (r && idx > 0)
		nl_link_del(&n, idx); /* takes eth0 with it */
out:
	if (r && e->step && strcmp(e->step, "network"))
		e->step = "network";
	nl_close(&n);
	return r;
}

int net_bridge_inside(const struct net_plan *p, struct nerr *e)
{
	struct in_addr a = be(p->addr), gw = be(p->gw);
	struct nl n;
	int idx, r;

	r = iface_loopback_up(e);
	if (r)
		goto fix;
	idx = nl_link_index("eth0");
	if (idx < 0)
		return nerr_set(e, "network", -idx, "eth0: %s", strerror(-idx));
	r = nl_open(&n);
	if (r)
		return nerr_set(e, "network", -r, "netlink: %s", strerror(-r));
	r = nl_addr_add(&n, idx, AF_INET, &a, p->prefix, e);
	if (!r)
		r = nl_link_set(&n, idx, true, 0, e);
	if (!r)
		r = nl_route_add_default(&n, AF_INET, &gw, idx, e);
	nl_close(&n);
fix:
	if (r)
		e->step = "network";
	return r;
}
