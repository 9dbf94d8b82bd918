/* SPDX-License-Identifier: MIT */
/*
 * mount.h - a service's private root, built in its own mount namespace:
 * a fresh tmpfs with the host's system directories bound read-only (or
 * the `root` directory), a minimal /dev, a masked /proc, private /tmp and
 * /run, volumes and secrets; then pivot_root and a check of mountinfo.
 */
#ifndef NUCLEUS_ISOLATE_MOUNT_H
#define NUCLEUS_ISOLATE_MOUNT_H

#include "manifest.h"
#include "users.h"

#define MNT_MAX_EXPECT 96

struct mnt_expect {
	char path[256];	     /* inside the new root */
	unsigned long flags; /* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC that must be set */
	uint64_t size;	     /* a tmpfs's size= in bytes, 0: not checked */
};

#define MNT_MAX_VOLUMES 64
#define MNT_MAX_SECRETS 64

/* A host file opened before the namespace's own root took over. */
struct mnt_src {
	int fd;	    /* O_PATH (volumes) or O_RDONLY (secrets), -1 when unused */
	bool isdir; /* volumes */
	off_t size; /* secrets */
	mode_t mode;
	char dest[512];
};

struct hide_set;

struct mnt_plan {
	const struct svc_conf *c;
	const struct ident *id;
	uint64_t caps;		     /* the capabilities the service keeps */
	bool userns;		     /* it has a user namespace of its own */
	const struct hide_set *hide; /* host paths to cover (isolate/hide.h), or NULL */
	const char *root_real;	     /* root = DIR: DIR with its symlinks resolved */
	char root_buf[4096];
	const char *newroot; /* an empty directory of the host to build on; "." once entered */
	bool rootfs;	     /* the host's / is the initramfs: pivot_root needs a hand */
	const char *notify_socket; /* host path bound to /run/nucleus/notify.sock, or NULL */
	int notify_fd;
	char *const *dns;		     /* bridged services: /etc/resolv.conf names these */
	struct mnt_src vol[MNT_MAX_VOLUMES]; /* by index of c->volumes */
	struct mnt_src sec[MNT_MAX_SECRETS]; /* by index of c->secrets */
	int nsec;
	struct mnt_expect exp[MNT_MAX_EXPECT];
	int nexp;
};

/* Where a service finds the notify socket inside its root. */
#define MNT_NOTIFY_SOCKET "/run/nucleus/notify.sock"

/*
 * mnt_prepare - the part that still looks at the host with the host's
 * identity (in a user namespace: before becoming its root): makes /
 * private, opens every volume and secret source and the notify socket,
 * mounts the new root and enters it.
 */
int mnt_prepare(struct mnt_plan *p, struct nerr *e);

/* mnt_build - the rest, relative to the new root: up to pivot_root and the check. */
int mnt_build(struct mnt_plan *p, struct nerr *e);

/* Notes a mount point of the new root and the flags it must carry. */
void mnt_expect(struct mnt_plan *p, const char *path, unsigned long flags);
/* ... and, for a tmpfs, the size it must have. */
void mnt_expect_size(struct mnt_plan *p, const char *path, unsigned long flags, uint64_t size);

/* @rel (absolute, inside the new root) as a path to build with: newroot + rel. */
const char *mnt_path(const struct mnt_plan *p, const char *rel, char *buf, size_t size);
/* Adds MS_RDONLY/NOSUID/NODEV/NOEXEC to the mount at @path (recursively with @rec). */
int mnt_flags(const char *step, const char *path, unsigned long flags, bool rec, struct nerr *e);

/* The tmpfs options of a private mount of @size bytes: "mode=M,size=S,nr_inodes=N". */
void mnt_tmpfs_data(char *buf, size_t n, const char *mode, uint64_t size);
/* The size= of the super options field of a mountinfo line, in bytes; 0 if none. */
uint64_t mnt_opts_size(const char *super_opts);

/* Reads /proc/self/mountinfo and checks every expectation of @p. */
int mnt_verify(const struct mnt_plan *p, struct nerr *e);

/* Does "/" sit on the initramfs (rootfs), where pivot_root(2) refuses? */
bool mnt_root_is_rootfs(void);

/* Parses the per-mount options field of a mountinfo line into MS_* bits; for tests. */
unsigned long mnt_opts_flags(const char *opts);
/* Undoes mountinfo's octal escapes (\040) in place; for tests. */
void mnt_unescape(char *s);

#endif
