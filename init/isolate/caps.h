/* SPDX-License-Identifier: MIT */
/*
 * caps.h - capabilities and identity of an isolated service (prctl, capset).
 */
#ifndef NUCLEUS_ISOLATE_CAPS_H
#define NUCLEUS_ISOLATE_CAPS_H

#include "manifest.h"
#include "users.h"

/* A capability's number from its name ("NET_ADMIN", "cap_net_admin"), or -1. */
int caps_from_name(const char *name);
/* "net_admin" for 12; "?" for a number the table does not know. */
const char *caps_name(int cap);

/*
 * caps_mask - the capabilities @c keeps (`capabilities`), as a bit mask.
 * Returns 0, or -EINVAL naming the unknown one in @e.
 */
int caps_mask(const struct svc_conf *c, uint64_t *mask, struct nerr *e);

/*
 * caps_apply - drops the bounding set to @keep, clears ambient and
 * inheritable, switches to @id (setgroups, setgid, setuid) keeping
 * nothing but @keep, then raises @keep in the effective, permitted,
 * inheritable and ambient sets (so a non-root user really has them after
 * exec) and reads every set back: anything else left is an error.
 */
int caps_apply(uint64_t keep, const struct ident *id, struct nerr *e);

/* The init of a PID namespace keeps only CAP_KILL, to signal the service. */
int caps_ns_init(struct nerr *e);

#endif
