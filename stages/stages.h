/* SPDX-License-Identifier: MIT */
/*
 * stages.h - stage 1 (early boot of a real machine) and stage 3 (the end of
 * a shutdown). Stage 2 is the supervisor itself (init/service.c).
 */
#ifndef NUCLEUS_STAGES_H
#define NUCLEUS_STAGES_H

#include "service.h"

/* Mounts /proc /sys /dev /dev/pts /dev/shm /run and cgroup2, where missing. */
void stage1_early(void);
/*
 * Applies [system] hostname, modules and coldplug, [sysctl], the
 * [interface.*] and the [mount.*] (what waits for its device goes on in
 * the loop: devices.h). Returns -1 when a required mount failed: the boot
 * stops there.
 */
int stage1_apply(struct supervisor *s);
/* As PID 1 of a machine: uevents, the power button and the watchdog join the loop. */
void stage1_devices(struct supervisor *s);
/* Reads nucleus.manifest= and nucleus.debug from /proc/cmdline. */
void stage1_cmdline(char **manifest, bool *debug);

/* Everything is down: sync, unmount, reboot(2); or end the loop. Idempotent. */
void stage3_finish(struct supervisor *s);

/* mount(8)-style options -> MS_* flags and the data string; unit tested. */
int mount_options_parse(const char *opts, unsigned long *flags, char *data, size_t datalen);

#endif
