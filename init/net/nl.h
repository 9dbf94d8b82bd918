/* SPDX-License-Identifier: MIT */
/*
 * nl.h - a tiny rtnetlink client on the kernel's uapi headers (no libmnl:
 * Debian ships no static one). One request at a time: build a message,
 * send it with NLM_F_ACK, read the kernel's ACK or error for that sequence
 * number. rtnetlink handles a request in the sender's context, so the ACK
 * is queued by the time send() returns; a receive timeout guards the rest.
 *
 * Errors fill struct nerr with step "netlink" and a message naming the link
 * and the operation: "eth0: set up: No such device".
 */
#ifndef NUCLEUS_NL_H
#define NUCLEUS_NL_H

#include "nucleus.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

struct nl {
	int fd;
	uint32_t seq;
	char ext[160]; /* the kernel's extended ack message of the last error */
};

/* Large enough for link, address and route requests, veth peers and bridges. */
#define NL_MSG_SIZE 2048

/*
 * struct nl_msg - one request being built in place. Running out of room sets
 * ->overflow and every later put is ignored; nl_request() then fails with
 * -EMSGSIZE, so the builders need not check each put.
 */
struct nl_msg {
	union {
		struct nlmsghdr h;
		char buf[NL_MSG_SIZE];
	};
	bool overflow;
};

int nl_open(struct nl *n);
void nl_close(struct nl *n);

/*
 * nl_msg_init - start a message of @type (RTM_*) with @flags (NLM_F_CREATE ...;
 * NLM_F_REQUEST and NLM_F_ACK are added) and a copy of the family header
 * (struct ifinfomsg, ifaddrmsg, rtmsg ...). Returns the header in the message.
 */
void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *fam, size_t famlen);
void nl_attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl_attr_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_attr_put_str(struct nl_msg *m, uint16_t type, const char *s);
/* Opens a nested attribute; close it with nl_nest_end(). NULL on overflow. */
struct rtattr *nl_nest_start(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m, struct rtattr *nest);

/*
 * nl_request - send @m and wait for its ACK. Returns 0 or the kernel's
 * negative errno; n->ext then holds the kernel's own explanation, if any.
 */
int nl_request(struct nl *n, struct nl_msg *m);

/* The index of link @name, or -ENODEV. */
int nl_link_index(const char *name);

/* Sets the MTU first (when @mtu is not 0), then the link up or down. */
int nl_link_set(struct nl *n, int ifindex, bool up, uint32_t mtu, struct nerr *e);
/* Adds ADDR/@prefixlen (AF_INET or AF_INET6) to the link; an existing one is fine. */
int nl_addr_add(struct nl *n, int ifindex, int family, const void *addr, int prefixlen,
		struct nerr *e);
/* Adds the default route via @gw out of @ifindex in the main table; an existing one is fine. */
int nl_route_add_default(struct nl *n, int family, const void *gw, int ifindex, struct nerr *e);

/* Creates bridge @name (an existing one is fine); step "network". */
int nl_bridge_add(struct nl *n, const char *name, struct nerr *e);

/*
 * nl_veth_add - a veth pair: @name here (enslaved to @master when > 0) and
 * @peer created straight in the network namespace @peer_netns_fd.
 */
int nl_veth_add(struct nl *n, const char *name, const char *peer, int peer_netns_fd, int master,
		struct nerr *e);

/* Deletes a link (a veth takes its peer with it). */
int nl_link_del(struct nl *n, int ifindex);

#endif
