/* SPDX-License-Identifier: MIT */
/*
 * devices_int.h - the state devices.c keeps for the machine's mounts and
 * interfaces, shared with devices_status.c, which only reads it.
 */
#ifndef NUCLEUS_DEVICES_INT_H
#define NUCLEUS_DEVICES_INT_H

#include "service.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum dev_state { DEV_UNTRIED, DEV_WAITING, DEV_READY, DEV_FAILED };

struct dev_mount {
	const struct mount_conf *mc; /* in s->boot_m, which is never freed */
	enum dev_state state;
	bool inflight; /* the helper has it and has not answered yet */
	uint64_t deadline_ms;
	char label[80]; /* "[mount.NAME]" */
	char device[256];
	char error[240];
};

struct dev_iface {
	const struct iface_conf *ic;
	enum dev_state state;
	uint64_t deadline_ms;
	char error[240];
};

struct sup_devices {
	int uevent_fd;
	bool coldplug;
	uint64_t timeout_ms;
	struct dev_mount *mounts;
	int nmount;
	struct dev_iface *ifaces;
	int niface;
	struct strset coldplug_modules, hotplug_modules;
	uint64_t coldplug_us;
	int coldplug_devices;
	/* the next helper's work */
	struct strset want_load; /* modaliases heard */
	bool retry_mounts;	 /* a block device came, or the poll */
	bool rescan;		 /* uevents were lost: coldplug again */
	/* the helper running, if any, and the work it was given */
	pid_t helper;
	bool helper_reaped; /* its pid is free again: never signal it */
	bool helper_done;   /* it said "D": all its work was done */
	int helper_fd;
	int helper_failures; /* in a row: it could not run, or ended early */
	struct strset inflight_load;
	bool inflight_rescan;
	uint64_t helper_started_ms;
	char hbuf[2048];
	size_t hlen;
	struct timer timer;
	/* [system] root (rootfs.c) */
	bool root_tried;
	uint64_t root_us;
	char root_device[256];
	char root_type[16];
	char root_error[240];
};

/* "a b c" from @set, cut at @size with "...". */
const char *devices_join(const struct strset *set, char *buf, size_t size);

#endif
