/* SPDX-License-Identifier: MIT */
/*
 * devices.h - PID 1 of a machine and its devices: coldplug in stage 1, the
 * uevents after it (hotplug: a device added later gets its driver), and the
 * [interface.*] and [mount.*] whose device is not there yet, which wait for
 * it up to [system] device_timeout while everything that does not need
 * them goes on.
 *
 * A waiting or failed required mount is a gate (service.h, struct
 * path_gate): a service with a path under its `where` waits for it, or
 * fails with it (deps.c).
 */
#ifndef NUCLEUS_DEVICES_H
#define NUCLEUS_DEVICES_H

#include "service.h"

/* Stage 1: the uevent socket, [system] modules, then coldplug. */
void devices_modules(struct supervisor *s);
/* Stage 1: lo and the [interface.*] that are there; the rest wait. */
void devices_network(struct supervisor *s);
/*
 * Stage 1: the [mount.*] whose device is there; the rest wait. -1 when a
 * required one failed at once (not for want of its device): the boot stops.
 */
int devices_mounts(struct supervisor *s);
/* Stage 2 begins: the uevents and the waits join the loop. */
void devices_watch(struct supervisor *s);
/* The reaper found @pid gone: true when it was the helper (its pid is free now). */
bool devices_child_exited(struct supervisor *s, pid_t pid);
/* Stage 3: whether [mount.@i] of the boot manifest was mounted. */
bool devices_mounted(const struct supervisor *s, int i);

/* For status: "mounts", "interfaces" and the boot's coldplug figures. */
void devices_status_json(struct supervisor *s, struct strbuf *sb);
void devices_boot_json(struct supervisor *s, struct strbuf *sb);
void devices_status_table(struct supervisor *s, struct strbuf *sb);

#endif
