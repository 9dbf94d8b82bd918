/* SPDX-License-Identifier: MIT */
/*
 * users.h - user and group lookup without NSS: the service root's
 * /etc/passwd and /etc/group are read directly.
 */
#ifndef NUCLEUS_USERS_H
#define NUCLEUS_USERS_H

#include "nucleus.h"
#include <sys/types.h>

#define MAX_GROUPS 64

struct ident {
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	int ngroups;
	char home[256];
	char name[64];
};

/*
 * ident_resolve - "NAME|UID[:GROUP|GID]" plus extra group names/ids, looked
 * up under root (e.g. "" or "/srv/root"). Supplementary groups are the ones
 * /etc/group lists the user in, plus @extra. NULL spec means root.
 * Returns 0 or a negative errno with e filled ("user", "groups").
 */
int ident_resolve(const char *root, const char *spec, char *const *extra, struct ident *id,
		  struct nerr *e);

/* Looks up one passwd or group line field set; exposed for unit tests. */
int passwd_lookup(const char *path, const char *name, long uid, char *namebuf, size_t namelen,
		  uid_t *puid, gid_t *pgid, char *home, size_t homelen);
int group_lookup(const char *path, const char *name, long gid, gid_t *pgid);

#endif
