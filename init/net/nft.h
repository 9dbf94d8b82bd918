/* SPDX-License-Identifier: MIT */
/*
 * nft.h - NAT, published ports and egress rules of bridged services, as
 * one nftables table of our own (table inet nucleus), rendered whole and
 * applied atomically with `nft -f`. No rule outside that table is touched.
 */
#ifndef NUCLEUS_NFT_H
#define NUCLEUS_NFT_H

#include "net/ipam.h"
#include "util.h"

struct nft_svc {
	const char *name;
	const char *bridge;
	uint32_t addr; /* host byte order */
	struct ipam_net net;
	char *const *publish; /* [ADDR:]HOSTPORT:PORT[/tcp|/udp] items, or NULL */
	char *const *egress;  /* none, or CIDR[:PORT][/tcp|/udp] items; NULL: any */
	bool egress_log;      /* its drops logged (rate-limited), its name in the prefix */
};

/*
 * nft_render - the ruleset for the running bridged services @svcs (none:
 * only the table's removal): masquerade per bridge subnet, DNAT of each
 * published port (from outside and from the host itself), and per-service
 * egress allow-lists with DNS to @dns allowed and established traffic
 * let through. Pure: unit tested.
 */
int nft_render(const struct nft_svc *svcs, int n, char *const *dns, struct strbuf *out);

/* Does any of @svcs need nftables to do what it asks (publish, egress)? */
bool nft_required(const struct nft_svc *svcs, int n);

/*
 * nft_apply - runs `nft -f -` with @text on its standard input, waiting at
 * most 5 s. Returns 0, -ENOENT when there is no nft, or -EIO with nft's
 * own message in @e (step "network").
 */
int nft_apply(const char *text, struct nerr *e);

#endif
