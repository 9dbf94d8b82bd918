// SPDX-License-Identifier: MIT
/*
 * test_blkid.c - the superblock readers against images the real mkfs
 * tools make here (e2fsprogs, dosfstools, squashfs-tools, erofs-utils,
 * xfsprogs, btrfs-progs), with the labels and UUIDs they were told.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkid.h"

static char dir[] = "/tmp/nucleus-blkid-XXXXXX";

static int setup(void **state)
{
	char cmd[256];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/tree && echo hello >%s/tree/file", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs @mkfs (with %s for the image) on a sparse file of @mb MiB; probes it. */
static void probe_made(const char *mkfs, int mb, struct blkid_info *bi)
{
	char img[128], cmd[1024];
	int fd;

	snprintf(img, sizeof(img), "%s/img", dir);
	unlink(img);
	snprintf(cmd, sizeof(cmd), "truncate -s %dM %s && ", mb, img);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), mkfs, img);
	strncat(cmd, " >/dev/null 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
	fd = open(img, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(blkid_probe_fd(fd, bi), 0);
	close(fd);
}

static void test_ext(void **state)
{
	static const char *const kinds[] = {"ext2", "ext3", "ext4"};
	struct blkid_info bi;
	char cmd[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd),
			 "mkfs.%s -q -F -L data-%d -U 0b1cb2e4-5f06-4a7b-8c9d-0e1f2a3b4c5%d %%s",
			 kinds[i], i, i);
		probe_made(cmd, 8, &bi);
		assert_string_equal(bi.type, kinds[i]);
		assert_int_equal(atoi(bi.label + 5), i);
		assert_memory_equal(bi.label, "data-", 5);
		assert_memory_equal(bi.uuid, "0b1cb2e4-5f06-4a7b-8c9d-0e1f2a3b4c5", 35);
		assert_int_equal(bi.uuid[35] - '0', i);
	}
}

static void test_vfat(void **state)
{
	struct blkid_info bi;

	(void)state;
	probe_made("mkfs.vfat -n BOOT -i 1234ABCD %s", 4, &bi);
	assert_string_equal(bi.type, "vfat");
	assert_string_equal(bi.label, "BOOT");
	assert_string_equal(bi.uuid, "1234-ABCD");
	probe_made("mkfs.vfat -F 32 -n BIGDISK -i 00C0FFEE %s", 64, &bi);
	assert_string_equal(bi.type, "vfat");
	assert_string_equal(bi.label, "BIGDISK");
	assert_string_equal(bi.uuid, "00C0-FFEE");
	/* no label given: mkfs writes "NO NAME", which is none */
	probe_made("mkfs.vfat %s", 4, &bi);
	assert_string_equal(bi.label, "");
}

/* Runs @cmd (with %s for the image, twice at most); probes what it made. */
static void probe_file(const char *cmd, struct blkid_info *bi)
{
	char img[128], full[1024];
	int fd;

	snprintf(img, sizeof(img), "%s/img", dir);
	unlink(img);
	snprintf(full, sizeof(full), cmd, img, dir);
	strncat(full, " >/dev/null 2>&1", sizeof(full) - strlen(full) - 1);
	if (system(full) != 0)
		fail_msg("%s failed", full);
	fd = open(img, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(blkid_probe_fd(fd, bi), 0);
	close(fd);
}

static void test_squashfs_erofs(void **state)
{
	struct blkid_info bi;
	char cmd[256];

	(void)state;
	/* squashfs has neither a label nor a UUID: only its type is known */
	probe_file("mksquashfs %2$s/tree %1$s -quiet -noappend", &bi);
	assert_string_equal(bi.type, "squashfs");
	assert_string_equal(bi.label, "");
	assert_string_equal(bi.uuid, "");
	probe_file("mkfs.erofs -U1e2d3c4b-5a69-4788-9aab-bccddeeff001 %1$s %2$s/tree", &bi);
	assert_string_equal(bi.type, "erofs");
	assert_string_equal(bi.label, "");
	assert_string_equal(bi.uuid, "1e2d3c4b-5a69-4788-9aab-bccddeeff001");
	/*
	 * erofs-utils 1.5 cannot set the volume name (-L came in 1.6): written
	 * into its superblock field (offset 0x40 of the block at 1024) here.
	 */
	snprintf(cmd, sizeof(cmd),
		 "mkfs.erofs %%1$s %%2$s/tree && printf ro-root | "
		 "dd of=%%1$s bs=1 seek=%d conv=notrunc",
		 1024 + 0x40);
	probe_file(cmd, &bi);
	assert_string_equal(bi.label, "ro-root");
	/*
	 * What mkimage --root-image does: image/erofs-label also computes the
	 * superblock's checksum again, so the kernel still mounts it (a loop
	 * mount here: the label written by dd above would be refused).
	 */
	probe_file("mkfs.erofs -T0 %1$s %2$s/tree && image/erofs-label %1$s root-img", &bi);
	assert_string_equal(bi.label, "root-img");
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %1$s/mnt && mount -o loop,ro %1$s/img %1$s/mnt && "
		 "grep -qx hello %1$s/mnt/file; r=$?; umount %1$s/mnt; exit $r",
		 dir);
	assert_int_equal(system(cmd), 0);
}

static void test_xfs_btrfs(void **state)
{
	struct blkid_info bi;

	(void)state;
	probe_made("mkfs.xfs -q -f -L scratch -m uuid=2f3e4d5c-6b7a-4899-aabb-ccddeeff0011 %s", 320,
		   &bi);
	assert_string_equal(bi.type, "xfs");
	assert_string_equal(bi.label, "scratch");
	assert_string_equal(bi.uuid, "2f3e4d5c-6b7a-4899-aabb-ccddeeff0011");
	probe_made("mkfs.btrfs -q -f -L pool -U 3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70812 %s", 160, &bi);
	assert_string_equal(bi.type, "btrfs");
	assert_string_equal(bi.label, "pool");
	assert_string_equal(bi.uuid, "3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70812");
}

static void test_nothing_known(void **state)
{
	char img[128];
	struct blkid_info bi;
	int fd;

	(void)state;
	/* zeros, then a short file: neither is a file system, and nothing is read past the end */
	snprintf(img, sizeof(img), "%s/zero", dir);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	assert_int_equal(blkid_probe_fd(fd, &bi), -ENOENT);
	assert_string_equal(bi.type, "");
	assert_int_equal(ftruncate(fd, 700), 0);
	assert_int_equal(blkid_probe_fd(fd, &bi), -ENOENT);
	close(fd);
}

static void test_is_spec(void **state)
{
	(void)state;
	assert_true(blkid_is_spec("LABEL=data"));
	assert_true(blkid_is_spec("UUID=1234-ABCD"));
	assert_false(blkid_is_spec("/dev/vda"));
	assert_false(blkid_is_spec("tmpfs"));
	assert_false(blkid_is_spec("label=data"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext),
		cmocka_unit_test(test_vfat),
		cmocka_unit_test(test_squashfs_erofs),
		cmocka_unit_test(test_xfs_btrfs),
		cmocka_unit_test(test_nothing_known),
		cmocka_unit_test(test_is_spec),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
