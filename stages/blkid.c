// SPDX-License-Identifier: MIT
/*
 * blkid.c - superblock readers for the file systems a [mount.NAME] may name
 * by LABEL= or UUID=, and the search over the machine's block devices.
 */
#include "blkid.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void uuid16(const unsigned char *u, char *out)
{
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* A fixed-size label field: up to its first NUL, trailing blanks dropped. */
static void label(const unsigned char *p, size_t n, char *out)
{
	size_t k = 0;

	while (k < n && k < 255 && p[k])
		k++;
	while (k > 0 && p[k - 1] == ' ')
		k--;
	memcpy(out, p, k);
	out[k] = '\0';
}

static bool read_at(int fd, off_t off, unsigned char *buf, size_t n)
{
	return pread(fd, buf, n, off) == (ssize_t)n;
}

/* ext2/3/4: the superblock at 1024; which one by its features. */
static bool probe_ext(int fd, struct blkid_info *bi)
{
	unsigned char sb[256];

	if (!read_at(fd, 1024, sb, sizeof(sb)) || le16(sb + 0x38) != 0xEF53)
		return false;
	/* incompat extents (0x40), 64bit (0x80), flex_bg (0x200): ext4; a journal: ext3 */
	if (le32(sb + 0x60) & (0x40 | 0x80 | 0x200))
		strcpy(bi->type, "ext4");
	else if (le32(sb + 0x5c) & 0x4)
		strcpy(bi->type, "ext3");
	else
		strcpy(bi->type, "ext2");
	uuid16(sb + 0x68, bi->uuid);
	label(sb + 0x78, 16, bi->label);
	return true;
}

static bool probe_xfs(int fd, struct blkid_info *bi)
{
	unsigned char sb[128];

	if (!read_at(fd, 0, sb, sizeof(sb)) || memcmp(sb, "XFSB", 4))
		return false;
	strcpy(bi->type, "xfs");
	uuid16(sb + 32, bi->uuid);
	label(sb + 108, 12, bi->label);
	return true;
}

static bool probe_btrfs(int fd, struct blkid_info *bi)
{
	unsigned char sb[0x22b];

	if (!read_at(fd, 0x10000, sb, sizeof(sb)) || memcmp(sb + 0x40, "_BHRfS_M", 8))
		return false;
	strcpy(bi->type, "btrfs");
	uuid16(sb + 0x20, bi->uuid);
	label(sb + 0x12b, 256, bi->label);
	return true;
}

static bool probe_erofs(int fd, struct blkid_info *bi)
{
	unsigned char sb[0x50];

	if (!read_at(fd, 1024, sb, sizeof(sb)) || le32(sb) != 0xE0F5E1E2)
		return false;
	strcpy(bi->type, "erofs");
	uuid16(sb + 0x30, bi->uuid);
	label(sb + 0x40, 16, bi->label);
	return true;
}

static bool probe_squashfs(int fd, struct blkid_info *bi)
{
	unsigned char sb[4];

	if (!read_at(fd, 0, sb, sizeof(sb)) || memcmp(sb, "hsqs", 4))
		return false;
	strcpy(bi->type, "squashfs");
	return true;
}

/* vfat: the boot sector; FAT32 keeps its volume id and label further in. */
static bool probe_vfat(int fd, struct blkid_info *bi)
{
	unsigned char bs[512];
	size_t id, lab;

	if (!read_at(fd, 0, bs, sizeof(bs)) || bs[510] != 0x55 || bs[511] != 0xAA)
		return false;
	if (!memcmp(bs + 0x52, "FAT32   ", 8)) {
		id = 0x43;
		lab = 0x47;
	} else if (!memcmp(bs + 0x36, "FAT1", 4)) {
		id = 0x27;
		lab = 0x2B;
	} else {
		return false;
	}
	strcpy(bi->type, "vfat");
	snprintf(bi->uuid, sizeof(bi->uuid), "%04X-%04X", le32(bs + id) >> 16,
		 le32(bs + id) & 0xffff);
	label(bs + lab, 11, bi->label);
	if (!strcmp(bi->label, "NO NAME"))
		bi->label[0] = '\0';
	return true;
}

int blkid_probe_fd(int fd, struct blkid_info *bi)
{
	static bool (*const probes[])(int, struct blkid_info *) = {
		probe_ext, probe_xfs, probe_btrfs, probe_erofs, probe_squashfs, probe_vfat};

	memset(bi, 0, sizeof(*bi));
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		if (probes[i](fd, bi))
			return 0;
	memset(bi, 0, sizeof(*bi));
	return -ENOENT;
}

bool blkid_is_spec(const char *what)
{
	return !strncmp(what, "LABEL=", 6) || !strncmp(what, "UUID=", 5);
}

static bool matches(const struct blkid_info *bi, const char *spec)
{
	if (!strncmp(spec, "LABEL=", 6))
		return bi->label[0] && !strcmp(bi->label, spec + 6);
	return bi->uuid[0] && !strcasecmp(bi->uuid, spec + 5);
}

/* A block device worth opening: not empty (an unloaded loop device, a drive without a disc). */
static bool has_size(const char *name)
{
	char path[300], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strtoull(buf, NULL, 10) > 0;
}

int blkid_find(const char *spec, char *dev, size_t size)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	int r = -ENOENT;

	if (!d)
		return -ENOENT;
	while (r && (de = readdir(d))) {
		struct blkid_info bi;
		char path[300];
		int fd;

		if (de->d_name[0] == '.' || !has_size(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (blkid_probe_fd(fd, &bi) == 0 && matches(&bi, spec)) {
			snprintf(dev, size, "%s", path);
			r = 0;
		}
		close(fd);
	}
	closedir(d);
	return r;
}
