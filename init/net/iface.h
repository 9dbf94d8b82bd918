/* SPDX-License-Identifier: MIT */
/*
 * iface.h - stage 1's [interface.NAME]: link up, MTU, addresses, default
 * route over rtnetlink (nl.h), and /etc/resolv.conf from `dns`.
 */
#ifndef NUCLEUS_IFACE_H
#define NUCLEUS_IFACE_H

#include "manifest.h"

/*
 * iface_apply - MTU, link up, each ADDR/PREFIX (IPv4 or IPv6; a bare
 * address means /32 or /128), then the default route via `gateway` (of the
 * gateway's family). Stops at the first error; what was already applied
 * stays. Existing addresses and routes are not an error.
 */
int iface_apply(const struct iface_conf *ic, struct nerr *e);

/* Brings `lo` up; the kernel adds 127.0.0.1/8 and ::1 itself. */
int iface_loopback_up(struct nerr *e);

/*
 * iface_write_resolv - writes "nameserver X" lines for each of @dns to @path
 * (e.g. /etc/resolv.conf) through a temporary file in the same directory and
 * rename(2), so a reader never sees half a file. A read-only or missing
 * directory is returned as the error (e->err EROFS, ENOENT ...): the caller
 * says the file was not writable.
 */
int iface_write_resolv(char *const *dns, const char *path, struct nerr *e);

/* Parses "ADDR[/PREFIX]" into family, address bytes (16) and prefix length. */
int iface_parse_addr(const char *s, int *family, unsigned char addr[16], int *prefixlen);

#endif
