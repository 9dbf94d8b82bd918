/* SPDX-License-Identifier: MIT */
/*
 * owner.h - owned state directories: the `owner` option of a bind volume
 * makes its source the service's user's before the bind, as systemd's
 * StateDirectory= does.
 */
#ifndef NUCLEUS_ISOLATE_OWNER_H
#define NUCLEUS_ISOLATE_OWNER_H

#include "manifest.h"
#include "users.h"

/* How deep below a source the chown walks before it gives up. */
#define OWN_MAX_DEPTH 128

/* Has any bind volume of @c the owner option? */
bool own_wanted(const struct svc_conf *c);

/*
 * own_volumes - every bind volume of @c with owner: its source created
 * when missing (0750; its parent must exist), checked against the refused
 * sources once its symlinks are resolved, then chowned (own_tree()).
 * Users and groups are looked up under @root ("" for the host's) as the
 * user key is; owner without a name takes @id, the service's own identity
 * (NULL: looked up here). @base: the host id of id 0 inside the service's
 * user namespace, 0 without one. Must not run in PID 1: the tree may be
 * large. Returns 0 or a negative errno with @e ("volumes").
 */
int own_volumes(const struct svc_conf *c, const char *root, const struct ident *id, uid_t base,
		struct nerr *e);

/*
 * own_tree - @fd (any fd of the source, named @path in errors) chowned to
 * @uid:@gid; what is below it too when it was not already theirs: lchown,
 * never through a symbolic link, never into another mount, at most
 * OWN_MAX_DEPTH levels deep.
 */
int own_tree(int fd, const char *path, uid_t uid, gid_t gid, struct nerr *e);

#endif
