// SPDX-License-Identifier: MIT
/*
 * ipam.c - address allocation for network = bridge.
 *
 * The first address of the subnet is the gateway (the bridge's own); the
 * network and broadcast addresses are never handed out. A service's
 * address starts from a slot its name hashes to, so the same manifest
 * gives the same addresses on every boot, and moves on past addresses
 * other running services hold.
 */
#include "net/ipam.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ipam_parse_subnet(const char *cidr, struct ipam_net *n)
{
	char buf[32];
	const char *slash = strchr(cidr, '/');
	struct in_addr a;
	uint64_t p;

	if (!slash || (size_t)(slash - cidr) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, cidr, (size_t)(slash - cidr));
	buf[slash - cidr] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || parse_uint(slash + 1, 30, &p) < 0 || p < 8)
		return -EINVAL;
	n->prefix = (int)p;
	n->mask = 0xffffffffu << (32 - p);
	n->net = ntohl(a.s_addr) & n->mask;
	return 0;
}

uint32_t ipam_gateway(const struct ipam_net *n)
{
	return n->net + 1;
}

static bool is_taken(uint32_t a, const uint32_t *taken, int ntaken)
{
	for (int i = 0; i < ntaken; i++)
		if (taken[i] == a)
			return true;
	return false;
}

/* Hosts are net+2 .. broadcast-1: @i-th of them. */
static uint32_t host(const struct ipam_net *n, uint32_t i)
{
	return n->net + 2 + i;
}

static uint32_t nhosts(const struct ipam_net *n)
{
	return (~n->mask) - 2; /* all but network, gateway and broadcast */
}

static bool in_hosts(const struct ipam_net *n, uint32_t a)
{
	return (a & n->mask) == n->net && a >= host(n, 0) && a < host(n, nhosts(n));
}

int ipam_pick(const struct ipam_net *n, const char *name, uint32_t want, uint32_t prev,
	      const uint32_t *taken, int ntaken, uint32_t *out)
{
	uint32_t h = 2166136261u, count = nhosts(n);

	if (want) {
		if (!in_hosts(n, want))
			return -EINVAL;
		if (is_taken(want, taken, ntaken))
			return -EADDRINUSE;
		*out = want;
		return 0;
	}
	if (prev && in_hosts(n, prev) && !is_taken(prev, taken, ntaken)) {
		*out = prev;
		return 0;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	for (uint32_t k = 0; k < count; k++) {
		uint32_t a = host(n, (h + k) % count);

		if (!is_taken(a, taken, ntaken)) {
			*out = a;
			return 0;
		}
	}
	return -ENOSPC;
}

static void path_of(const char *dir, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

int ipam_load(const char *dir, const char *name, uint32_t *addr)
{
	char path[4096], buf[32];
	struct in_addr a;
	int fd;
	ssize_t n;

	path_of(dir, name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*addr = ntohl(a.s_addr);
	return 0;
}

int ipam_save(const char *dir, const char *name, uint32_t addr)
{
	char path[4096], tmp[4200], buf[20];
	int fd, r;
	size_t len;

	r = mkdir_p(dir, 0755);
	if (r)
		return r;
	path_of(dir, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ipam_str(addr, buf);
	len = strlen(buf);
	buf[len++] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

void ipam_forget(const char *dir, const char *name)
{
	char path[4096];

	path_of(dir, name, path, sizeof(path));
	unlink(path);
}

const char *ipam_str(uint32_t addr, char *buf)
{
	struct in_addr a = {.s_addr = htonl(addr)};

	inet_ntop(AF_INET, &a, buf, 16);
	return buf;
}
