/* SPDX-License-Identifier: MIT */
/*
 * blkid.h - what a file system calls itself: its type, label and UUID, read
 * from its own superblock, and the block device that holds LABEL=... or
 * UUID=... (for [mount.NAME] what).
 *
 * Known: ext2, ext3, ext4 (label, UUID), xfs (label, UUID), btrfs (label,
 * UUID), vfat (label and volume id as XXXX-XXXX, from the boot sector),
 * erofs (volume name, UUID), squashfs (neither: it has no such fields).
 */
#ifndef NUCLEUS_BLKID_H
#define NUCLEUS_BLKID_H

#include "nucleus.h"

struct blkid_info {
	char type[16]; /* "ext4", "vfat", ...; "" when nothing known is there */
	char label[256];
	char uuid[40]; /* lower-case 8-4-4-4-12; vfat: upper-case XXXX-XXXX */
};

/* Reads the superblock of the device or image open at @fd. 0, or -ENOENT for none known. */
int blkid_probe_fd(int fd, struct blkid_info *bi);

/* Is @what a LABEL=... or UUID=... spec (the rest of the mount code needs to know)? */
bool blkid_is_spec(const char *what);

/*
 * blkid_find - the block device under /dev whose file system matches
 * @spec ("LABEL=data", "UUID=..."; UUIDs compare without regard to case).
 * Writes "/dev/NAME" to @dev. 0, or -ENOENT when no device has it (yet).
 */
int blkid_find(const char *spec, char *dev, size_t size);

#endif
