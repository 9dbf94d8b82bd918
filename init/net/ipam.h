/* SPDX-License-Identifier: MIT */
/*
 * ipam.h - IPv4 addresses of bridged services: deterministic, collision
 * free among the running services, a fixed `address` honoured or refused,
 * and remembered under the runtime dir so a reload or restart keeps it.
 */
#ifndef NUCLEUS_IPAM_H
#define NUCLEUS_IPAM_H

#include <stdint.h>

struct ipam_net {
	uint32_t net;  /* host byte order */
	uint32_t mask; /* host byte order */
	int prefix;
};

/* "10.88.0.0/16" -> net, mask, prefix (the host bits of ADDR are dropped). */
int ipam_parse_subnet(const char *cidr, struct ipam_net *n);

/* The gateway: the subnet's first address, held by the bridge. */
uint32_t ipam_gateway(const struct ipam_net *n);

/*
 * ipam_pick - an address for service @name in @n, none of @taken:
 * @want when it is set (fixed `address`: -EADDRINUSE when taken, -EINVAL
 * when outside the hosts of @n), else @prev when still free, else the
 * first free one from a slot the name hashes to. -ENOSPC when full.
 */
int ipam_pick(const struct ipam_net *n, const char *name, uint32_t want, uint32_t prev,
	      const uint32_t *taken, int ntaken, uint32_t *out);

/* The remembered address of @name under @dir (RUNTIME_DIR/ipam), or -ENOENT. */
int ipam_load(const char *dir, const char *name, uint32_t *addr);
int ipam_save(const char *dir, const char *name, uint32_t addr);
void ipam_forget(const char *dir, const char *name);

/* Dotted quad of a host-order address, into @buf (16 bytes). */
const char *ipam_str(uint32_t addr, char *buf);

#endif
