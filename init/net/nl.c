// SPDX-License-Identifier: MIT
/*
 * nl.c - the rtnetlink requests stage 1 needs (link up and MTU, addresses,
 * the default route) on a small generic message builder that later bridge
 * and veth requests reuse.
 */
#include "nl.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Not in older uapi headers; values are ABI. */
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_open(struct nl *n)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	/* The ACK is queued before send() returns; the timeout only guards a surprise. */
	struct timeval tv = {.tv_sec = 2};
	int one = 1;

	n->seq = (uint32_t)now_ms();
	n->ext[0] = '\0';
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (n->fd < 0)
		return -errno;
	if (bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		nl_close(n);
		return err;
	}
	setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Errors without the echoed request, but with the kernel's reason. */
	setsockopt(n->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(n->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

void nl_close(struct nl *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *fam, size_t famlen)
{
	memset(m, 0, sizeof(*m));
	if (NLMSG_SPACE(famlen) > sizeof(m->buf)) {
		m->overflow = true;
		return NULL;
	}
	m->h.nlmsg_len = NLMSG_LENGTH(famlen);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = flags | NLM_F_REQUEST | NLM_F_ACK;
	memcpy(NLMSG_DATA(&m->h), fam, famlen);
	return NLMSG_DATA(&m->h);
}

void nl_attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	struct rtattr *a;

	if (m->overflow || len > 0xffff - RTA_LENGTH(0) || off + RTA_SPACE(len) > sizeof(m->buf)) {
		m->overflow = true;
		return;
	}
	a = (struct rtattr *)(m->buf + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

void nl_attr_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_attr_put(m, type, &v, sizeof(v));
}

void nl_attr_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_attr_put(m, type, s, strlen(s) + 1);
}

struct rtattr *nl_nest_start(struct nl_msg *m, uint16_t type)
{
	struct rtattr *a = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h.nlmsg_len));

	nl_attr_put(m, type, NULL, 0);
	return m->overflow ? NULL : a;
}

void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	if (m->overflow || !nest)
		return;
	nest->rta_len = (unsigned short)(m->buf + m->h.nlmsg_len - (char *)nest);
}

/* Copies NLMSGERR_ATTR_MSG, the kernel's text for the error, into n->ext. */
static void nl_ext_ack(struct nl *n, const struct nlmsghdr *h)
{
	const struct nlmsgerr *err = NLMSG_DATA(h);
	size_t off = NLMSG_LENGTH(sizeof(*err));
	const struct rtattr *a;
	int len;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= h->nlmsg_len)
		return;
	len = (int)(h->nlmsg_len - off);
	for (a = (const void *)((const char *)h + off); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != NLMSGERR_ATTR_MSG)
			continue;
		snprintf(n->ext, sizeof(n->ext), "%.*s", (int)RTA_PAYLOAD(a),
			 (const char *)RTA_DATA(a));
		return;
	}
}

/*
 * The answer to @seq among the messages of one datagram: 1 and *err set when
 * found, 0 when it is not there (a stale reply to an earlier request).
 */
static int nl_find_ack(struct nl *n, const char *buf, size_t len, uint32_t seq, int *err)
{
	const struct nlmsghdr *h = (const void *)buf;
	unsigned int left = (unsigned int)len;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
			*err = -EBADMSG;
			return 1;
		}
		*err = e->error; /* 0 for an ACK, a negative errno otherwise */
		if (*err)
			nl_ext_ack(n, h);
		return 1;
	}
	return 0;
}

int nl_request(struct nl *n, struct nl_msg *m)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	union {
		struct nlmsghdr h;
		char buf[8192];
	} r;
	int err = 0;

	n->ext[0] = '\0';
	if (m->overflow)
		return -EMSGSIZE;
	m->h.nlmsg_seq = ++n->seq;
	if (sendto(n->fd, m->buf, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) <
	    0)
		return -errno;
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t got;

		got = recvfrom(n->fd, r.buf, sizeof(r.buf), 0, (struct sockaddr *)&from, &fl);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (from.nl_pid != 0) /* only the kernel answers */
			continue;
		if (nl_find_ack(n, r.buf, (size_t)got, m->h.nlmsg_seq, &err))
			return err;
	}
}

int nl_link_index(const char *name)
{
	unsigned int i = if_nametoindex(name);

	return i ? (int)i : -ENODEV;
}

/* Fills e with "LINK: OP: strerror (kernel's reason)". */
static int nl_fail(struct nl *n, struct nerr *e, int ifindex, int err, const char *op)
{
	char name[IF_NAMESIZE + 8];

	if (!if_indextoname((unsigned int)ifindex, name))
		snprintf(name, sizeof(name), "if%d", ifindex);
	if (n->ext[0])
		return nerr_set(e, "netlink", -err, "%s: %s: %s (%s)", name, op, strerror(-err),
				n->ext);
	return nerr_set(e, "netlink", -err, "%s: %s: %s", name, op, strerror(-err));
}

int nl_link_set(struct nl *n, int ifindex, bool up, uint32_t mtu, struct nerr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct nl_msg m;
	char op[32];
	int err;

	/* The MTU first and on its own, so an error names what was refused. */
	if (mtu) {
		nl_msg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
		nl_attr_put_u32(&m, IFLA_MTU, mtu);
		err = nl_request(n, &m);
		if (err) {
			snprintf(op, sizeof(op), "set mtu %u", (unsigned)mtu);
			return nl_fail(n, e, ifindex, err, op);
		}
	}
	ifi.ifi_flags = up ? IFF_UP : 0;
	ifi.ifi_change = IFF_UP;
	nl_msg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	err = nl_request(n, &m);
	if (err)
		return nl_fail(n, e, ifindex, err, up ? "set up" : "set down");
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int nl_addr_add(struct nl *n, int ifindex, int family, const void *addr, int prefixlen,
		struct nerr *e)
{
	struct ifaddrmsg ifa = {.ifa_family = (uint8_t)family,
				.ifa_prefixlen = (uint8_t)prefixlen,
				.ifa_scope = RT_SCOPE_UNIVERSE,
				.ifa_index = (uint32_t)ifindex};
	size_t alen = addr_len(family);
	char txt[INET6_ADDRSTRLEN] = "?", op[INET6_ADDRSTRLEN + 24];
	struct nl_msg m;
	int err;

	if (alen && inet_ntop(family, addr, txt, sizeof(txt)))
		snprintf(op, sizeof(op), "add address %s/%d", txt, prefixlen);
	else
		snprintf(op, sizeof(op), "add address");
	if (!alen || prefixlen < 0 || prefixlen > (int)alen * 8)
		return nl_fail(n, e, ifindex, -EINVAL, op);
	nl_msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	nl_attr_put(&m, IFA_LOCAL, addr, alen);
	nl_attr_put(&m, IFA_ADDRESS, addr, alen);
	err = nl_request(n, &m);
	if (err && err != -EEXIST)
		return nl_fail(n, e, ifindex, err, op);
	return 0;
}

int nl_route_add_default(struct nl *n, int family, const void *gw, int ifindex, struct nerr *e)
{
	struct rtmsg rt = {.rtm_family = (uint8_t)family,
			   .rtm_table = RT_TABLE_MAIN,
			   .rtm_protocol = RTPROT_BOOT,
			   .rtm_scope = RT_SCOPE_UNIVERSE,
			   .rtm_type = RTN_UNICAST};
	size_t alen = addr_len(family);
	char txt[INET6_ADDRSTRLEN] = "?", op[INET6_ADDRSTRLEN + 32];
	struct nl_msg m;
	int err;

	if (alen && inet_ntop(family, gw, txt, sizeof(txt)))
		snprintf(op, sizeof(op), "add default route via %s", txt);
	else
		snprintf(op, sizeof(op), "add default route");
	if (!alen)
		return nl_fail(n, e, ifindex, -EAFNOSUPPORT, op);
	nl_msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	nl_attr_put(&m, RTA_GATEWAY, gw, alen);
	nl_attr_put_u32(&m, RTA_OIF, (uint32_t)ifindex);
	err = nl_request(n, &m);
	if (err && err != -EEXIST)
		return nl_fail(n, e, ifindex, err, op);
	return 0;
}

/* Appends @len bytes with no attribute header (a family header in a nest). */
static void put_raw(struct nl_msg *m, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);

	if (m->overflow || off + NLMSG_ALIGN(len) > sizeof(m->buf)) {
		m->overflow = true;
		return;
	}
	memcpy(m->buf + off, data, len);
	m->h.nlmsg_len = (uint32_t)(off + NLMSG_ALIGN(len));
}

/* Fills e with "NAME: OP: strerror (kernel's reason)" for a link not made yet. */
static int nl_fail_name(struct nl *n, struct nerr *e, const char *name, int err, const char *op)
{
	if (n->ext[0])
		return nerr_set(e, "network", -err, "%s: %s: %s (%s)", name, op, strerror(-err),
				n->ext);
	return nerr_set(e, "network", -err, "%s: %s: %s", name, op, strerror(-err));
}

int nl_bridge_add(struct nl *n, const char *name, struct nerr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	struct rtattr *info;
	int err;

	nl_msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr_put_str(&m, IFLA_IFNAME, name);
	info = nl_nest_start(&m, IFLA_LINKINFO);
	nl_attr_put_str(&m, IFLA_INFO_KIND, "bridge");
	nl_nest_end(&m, info);
	err = nl_request(n, &m);
	if (err && err != -EEXIST)
		return nl_fail_name(n, e, name, err, "create bridge");
	return 0;
}

int nl_veth_add(struct nl *n, const char *name, const char *peer, int peer_netns_fd, int master,
		struct nerr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC}, pifi = {.ifi_family = AF_UNSPEC};
	struct rtattr *info, *data, *p;
	struct nl_msg m;
	int err;

	nl_msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr_put_str(&m, IFLA_IFNAME, name);
	if (master > 0)
		nl_attr_put_u32(&m, IFLA_MASTER, (uint32_t)master);
	info = nl_nest_start(&m, IFLA_LINKINFO);
	nl_attr_put_str(&m, IFLA_INFO_KIND, "veth");
	data = nl_nest_start(&m, IFLA_INFO_DATA);
	/* VETH_INFO_PEER: an ifinfomsg, then the peer's own attributes */
	p = nl_nest_start(&m, 1 /* VETH_INFO_PEER */);
	put_raw(&m, &pifi, sizeof(pifi));
	nl_attr_put_str(&m, IFLA_IFNAME, peer);
	if (peer_netns_fd >= 0)
		nl_attr_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	nl_nest_end(&m, p);
	nl_nest_end(&m, data);
	nl_nest_end(&m, info);
	err = nl_request(n, &m);
	if (err)
		return nl_fail_name(n, e, name, err, "create veth pair");
	return 0;
}

int nl_link_del(struct nl *n, int ifindex)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct nl_msg m;

	nl_msg_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	return nl_request(n, &m);
}
