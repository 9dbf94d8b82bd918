/* SPDX-License-Identifier: MIT */
/*
 * rootfs.h - [system] root: the machine's root file system on a read-only
 * image (erofs or squashfs, made by image/mkimage --root-image), mounted by
 * stage 1 and moved into before any service starts, as switch_root does.
 */
#ifndef NUCLEUS_ROOTFS_H
#define NUCLEUS_ROOTFS_H

#include "service.h"

/*
 * rootfs_switch - waits up to [system] device_timeout for the root's device
 * (LABEL=, UUID= or a /dev path), mounts it read-only on /sysroot, moves
 * /dev, /proc, /sys and /run there, gives it /tmp and /var as tmpfs (the
 * image's /var copied in) unless a [mount.*] provides them, empties the
 * initramfs and makes /sysroot the root. 0, or -1 with the reason logged and
 * kept for status (the boot stops: the services live on that root).
 */
int rootfs_switch(struct supervisor *s);

/*
 * rootfs_copy_tree - copies the tree under directory @src into directory
 * @dst: directories, regular files and symlinks with their modes and
 * owners (nothing else: a /var holds no device nodes worth keeping). It
 * does not leave the file system of @src. 0, or -errno with @e filled.
 */
int rootfs_copy_tree(int src, int dst, struct nerr *e);

/*
 * rootfs_empty - removes what lies on the file system of directory @dir,
 * not crossing into other mounts (the initramfs's files once its root moved:
 * they are RAM nobody will read again). Returns how many entries stayed.
 */
int rootfs_empty(int dir);

#endif
