// SPDX-License-Identifier: MIT
/*
 * iface.c - applies one [interface.NAME] of the manifest, brings up the
 * loopback, writes resolv.conf.
 */
#include "iface.h"
#include "log.h"
#include "nl.h"
#include "util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int iface_parse_addr(const char *s, int *family, unsigned char addr[16], int *prefixlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t p;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	*prefixlen = *family == AF_INET ? 32 : 128;
	if (!slash)
		return 0;
	if (parse_uint(slash + 1, (uint64_t)*prefixlen, &p) < 0)
		return -EINVAL;
	*prefixlen = (int)p;
	return 0;
}

static int iface_addrs(struct nl *n, const struct iface_conf *ic, int idx, struct nerr *e)
{
	for (char *const *a = ic->address; a && *a; a++) {
		unsigned char addr[16];
		int fam, plen, err;

		if (iface_parse_addr(*a, &fam, addr, &plen) < 0)
			return nerr_set(e, "netlink", EINVAL, "%s: address %s: not ADDR/PREFIX",
					ic->name, *a);
		err = nl_addr_add(n, idx, fam, addr, plen, e);
		if (err)
			return err;
	}
	return 0;
}

static int iface_gateway(struct nl *n, const struct iface_conf *ic, int idx, struct nerr *e)
{
	unsigned char gw[16];
	int fam;

	if (inet_pton(AF_INET, ic->gateway, gw) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ic->gateway, gw) == 1)
		fam = AF_INET6;
	else
		return nerr_set(e, "netlink", EINVAL, "%s: gateway %s: not an IP address", ic->name,
				ic->gateway);
	return nl_route_add_default(n, fam, gw, idx, e);
}

int iface_apply(const struct iface_conf *ic, struct nerr *e)
{
	struct nl n;
	int idx, err;

	idx = nl_link_index(ic->name);
	if (idx < 0)
		return nerr_set(e, "netlink", -idx, "%s: %s", ic->name, strerror(-idx));
	err = nl_open(&n);
	if (err)
		return nerr_set(e, "netlink", -err, "%s: socket: %s", ic->name, strerror(-err));
	/*
	 * Up before the addresses: the kernel flushes a link's IPv6 addresses
	 * when it goes down, and a link that is up starts their DAD at once.
	 */
	err = nl_link_set(&n, idx, true, ic->mtu, e);
	if (!err)
		err = iface_addrs(&n, ic, idx, e);
	if (!err && ic->gateway)
		err = iface_gateway(&n, ic, idx, e);
	nl_close(&n);
	if (!err)
		log_debug("interface %s: up", ic->name);
	return err;
}

int iface_loopback_up(struct nerr *e)
{
	struct nl n;
	/* LOOPBACK_IFINDEX: lo is 1 in every network namespace (no lookup) */
	int idx = 1, err;

	err = nl_open(&n);
	if (err)
		return nerr_set(e, "netlink", -err, "lo: socket: %s", strerror(-err));
	err = nl_link_set(&n, idx, true, 0, e);
	nl_close(&n);
	return err;
}

/* A nameserver must stay one token on its line. */
static bool dns_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Whether the file at @path holds exactly @len bytes of @want. */
static bool file_holds(const char *path, const char *want, size_t len)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || len >= sizeof(buf)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)len && !memcmp(buf, want, len);
}

int iface_write_resolv(char *const *dns, const char *path, struct nerr *e)
{
	char tmp[4096];
	struct strbuf sb;
	int fd, err;

	sb_init(&sb);
	sb_puts(&sb, "# written by nucleus-init from the manifest\n");
	for (char *const *d = dns; d && *d; d++) {
		if (!dns_ok(*d)) {
			sb_free(&sb);
			return nerr_set(e, "dns", EINVAL, "%s: bad nameserver '%s'", path, *d);
		}
		sb_printf(&sb, "nameserver %s\n", *d);
	}
	if (sb.oom) {
		sb_free(&sb);
		return nerr_set(e, "dns", ENOMEM, "%s: out of memory", path);
	}
	/* already so (a read-only root made by mkimage holds it): nothing to write */
	if (file_holds(path, sb.buf, sb.len)) {
		sb_free(&sb);
		return 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		sb_free(&sb);
		return nerr_set(e, "dns", ENAMETOOLONG, "%s: %s", path, strerror(ENAMETOOLONG));
	}
	/* In the same directory, so rename(2) replaces the file atomically. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		sb_free(&sb);
		return nerr_set(e, "dns", err, "%s: %s", path, strerror(err));
	}
	err = write_all(fd, sb.buf, sb.len);
	sb_free(&sb);
	if (!err && fchmod(fd, 0644) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return nerr_set(e, "dns", -err, "%s: %s", path, strerror(-err));
	}
	return 0;
}
