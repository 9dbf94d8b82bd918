// SPDX-License-Identifier: MIT
/*
 * test_uevent.c - parsing the kernel's uevent datagrams, and refusing what
 * a process (not the kernel) sends to the uevent group. The socket test
 * runs in a network namespace of its own, so nothing reaches the host's
 * listeners.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/netlink.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uevent.h"

#define MSG(s) s, sizeof(s)

static void test_parse_kernel_add(void **state)
{
	static const char m[] = "add@/devices/pci0000:00/0000:00:04.0/virtio1\0"
				"ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:04.0/virtio1\0"
				"SUBSYSTEM=virtio\0MODALIAS=virtio:d00000002v00001AF4\0SEQNUM=1234";
	struct uevent ev;

	(void)state;
	assert_int_equal(uevent_parse(MSG(m), &ev), 0);
	assert_string_equal(ev.action, "add");
	assert_string_equal(ev.devpath, "/devices/pci0000:00/0000:00:04.0/virtio1");
	assert_string_equal(ev.subsystem, "virtio");
	assert_string_equal(ev.modalias, "virtio:d00000002v00001AF4");
	assert_null(ev.interface);
	assert_null(ev.devname);
}

static void test_parse_block_and_net(void **state)
{
	static const char blk[] = "add@/devices/virtual/block/vda\0ACTION=add\0"
				  "DEVPATH=/devices/virtual/block/vda\0SUBSYSTEM=block\0"
				  "DEVNAME=vda\0DEVTYPE=disk\0MAJOR=253\0MINOR=0";
	static const char net[] = "remove@/devices/virtual/net/eth1\0ACTION=remove\0"
				  "DEVPATH=/devices/virtual/net/eth1\0SUBSYSTEM=net\0"
				  "INTERFACE=eth1\0IFINDEX=3";
	struct uevent ev;

	(void)state;
	assert_int_equal(uevent_parse(MSG(blk), &ev), 0);
	assert_string_equal(ev.subsystem, "block");
	assert_string_equal(ev.devname, "vda");
	assert_null(ev.modalias);
	assert_int_equal(uevent_parse(MSG(net), &ev), 0);
	assert_string_equal(ev.action, "remove");
	assert_string_equal(ev.interface, "eth1");
}

static void test_parse_refuses(void **state)
{
	static const char udev[] = "libudev\0\xfe\xed\xca\xfe garbage";
	static const char noaction[] = "add@/devices/x\0DEVPATH=/devices/x\0SUBSYSTEM=x";
	static const char noat[] = "hello\0ACTION=add\0DEVPATH=/x";
	static const char unterminated[4] = {'a', '@', '/', 'x'};
	struct uevent ev;

	(void)state;
	assert_int_equal(uevent_parse(MSG(udev), &ev), -EINVAL);
	assert_int_equal(uevent_parse(MSG(noaction), &ev), -EINVAL);
	assert_int_equal(uevent_parse(MSG(noat), &ev), -EINVAL);
	assert_int_equal(uevent_parse(unterminated, sizeof(unterminated), &ev), -EINVAL);
	/* no subsystem: an empty one, never NULL */
	static const char nosub[] = "add@/x\0ACTION=add\0DEVPATH=/x";
	assert_int_equal(uevent_parse(MSG(nosub), &ev), 0);
	assert_string_equal(ev.subsystem, "");
}

/* A message a process sends to the uevent group is not the kernel's: skipped. */
static void test_read_skips_forged(void **state)
{
	static const char fake[] = "add@/devices/fake\0ACTION=add\0DEVPATH=/devices/fake\0"
				   "SUBSYSTEM=block\0DEVNAME=fake";
	struct sockaddr_nl to = {.nl_family = AF_NETLINK, .nl_groups = 1};
	struct uevent ev;
	char buf[1024];
	int rd, wr;

	(void)state;
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	rd = uevent_open();
	assert_true(rd >= 0);
	/* nothing queued: 0 at once, no blocking */
	assert_int_equal(uevent_read(rd, buf, sizeof(buf), &ev), 0);
	wr = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	assert_true(wr >= 0);
	assert_int_equal(sendto(wr, fake, sizeof(fake), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)sizeof(fake));
	/* it did arrive (MSG_PEEK sees it), and uevent_read passes over it */
	assert_true(recv(rd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT) > 0);
	assert_int_equal(uevent_read(rd, buf, sizeof(buf), &ev), 0);
	assert_true(recv(rd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	close(wr);
	close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_kernel_add),
		cmocka_unit_test(test_parse_block_and_net),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_read_skips_forged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
