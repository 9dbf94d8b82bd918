/* SPDX-License-Identifier: MIT */
/*
 * coldplug.h - the drivers of the devices that are there at boot: every
 * modalias under /sys/bus/\*\/devices, looked up in modules.alias and loaded,
 * then the devices those drivers bring, until no new one appears.
 */
#ifndef NUCLEUS_COLDPLUG_H
#define NUCLEUS_COLDPLUG_H

#include "kmod.h"
#include "util.h"

struct coldplug_stats {
	int devices;	  /* distinct modaliases looked up */
	uint64_t load_us; /* of the time: in finit_module (the kernel's work) */
};

/*
 * coldplug_run - scan /sys, load what the modaliases ask for through @k,
 * and follow the uevents (@uevent_fd, or -1: rescans instead) those loads
 * cause. Each module inserted is added to @loaded (NULL: the caller
 * hears of them through kmod_on_insert() itself); failures are logged as
 * warnings naming the module, the device and the errno. Never fails.
 */
void coldplug_run(struct kmod_ctx *k, int uevent_fd, struct strset *loaded,
		  struct coldplug_stats *st);

#endif
