/* SPDX-License-Identifier: MIT */
/*
 * hide.h - host files a service must not read through its root.
 *
 * `root = host` binds the host's /etc read-only, and a default service is
 * uid 0 there: owner of every root-owned 0600 file. So:
 *  - /etc of a service without a user namespace is an idmapped bind in
 *    which the host's uid 0 and gid 0 are mapped to nobody: root's files
 *    are others' files to the service, whatever its identity and
 *    capabilities, and the kernel checks every open against their "other"
 *    bits (they show as owned by nobody). In a user namespace host root's
 *    files are not the service's already.
 *  - where the kernel or the file system cannot idmap (tmpfs before 6.3,
 *    squashfs), PID 1 walks /etc instead, keeps the list of entries that
 *    others may not read (watched with inotify: a change makes the next
 *    start walk again), and those are covered by an empty, mode 0000 file
 *    or directory bound over them, for services that are root or group
 *    root on the host, or keep DAC_OVERRIDE / DAC_READ_SEARCH.
 *  - the manifest, and every service's secrets and env_file sources,
 *    whatever their mode, are covered the same way wherever they are in a
 *    bound tree (the host's system directories, or a `root = DIR`).
 */
#ifndef NUCLEUS_ISOLATE_HIDE_H
#define NUCLEUS_ISOLATE_HIDE_H

#include "nucleus.h"
#include <sys/types.h>

#define HIDE_MAX_ENTRIES 100000 /* a bigger /etc is not walked further (logged) */

struct hide_entry {
	char *path; /* absolute, symlink-free */
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

struct hide_set {
	int idmap_fd;		   /* a user namespace mapping all ids but 0, or -1: walk */
	struct hide_entry *closed; /* without idmap: under /etc, closed to others */
	int nclosed;
	char **always; /* hidden from every service, NULL-terminated */
};

/* PID 1: the set as of now (walks /etc again when it changed). Never NULL. */
const struct hide_set *hide_current(void);
/* PID 1: the paths hidden from every service; @paths is taken over. */
void hide_set_always(char **paths);
/* Always the walk, never idmap (NUCLEUS_NO_IDMAP=1 outside a machine). */
void hide_without_idmap(void);
/* Frees everything (tests). */
void hide_reset(void);

/* The walk itself, of @dir: closed entries into @h; for unit tests. */
int hide_walk(const char *dir, struct hide_set *h, int watch_fd);
void hide_free_closed(struct hide_set *h);

struct mnt_plan;
/*
 * hide_bind_etc - the service's /etc at @target: the idmapped bind when
 * @p->hide has one and the service has no user namespace. 0 done, 1 not
 * for this service (the plain bind is), or -errno with @e.
 */
int hide_bind_etc(struct mnt_plan *p, const char *target, struct nerr *e);
/*
 * hide_mount - in the child, once /dev of the new root is ours and before
 * pivot_root: the masks of @p->hide that apply to this service.
 */
int hide_mount(struct mnt_plan *p, struct nerr *e);

#endif
