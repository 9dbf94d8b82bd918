/* SPDX-License-Identifier: MIT */
/*
 * devhelper.h - the device work that may block on a disk or a driver, and
 * so runs outside PID 1 once the services run: nucleus-devices, a fresh
 * exec of our own binary that loads modules and mounts, and says what came
 * of each on its stdout. The same binary as /sbin/modprobe serves the
 * kernel's own requests (request_module: fs-*, crypto-*, net-pf-*).
 */
#ifndef NUCLEUS_DEVHELPER_H
#define NUCLEUS_DEVHELPER_H

#include "kmod.h"
#include "manifest.h"

#define DEVHELPER_NAME "nucleus-devices"

/*
 * devmount_try - mount @mc once its device is there: LABEL= and UUID=
 * resolved from the superblocks (blkid.h), a /dev/... path that must
 * exist, the file system's module (fs-TYPE) loaded through @k (may be NULL)
 * when the kernel lacks the type. The device used is written to @dev.
 * 0 mounted; 1 the device is not there (yet); -errno with @e filled.
 */
int devmount_try(const struct mount_conf *mc, struct kmod_ctx *k, char *dev, size_t size,
		 struct nerr *e);

/*
 * The helper's command line and its answers, one line each on stdout:
 *   -l NAME                  load a module or alias: "L MODULE" for each
 *                            module inserted, "E NAME ERRNO TEXT" on failure
 *   -s                       coldplug again (uevents were lost): "L MODULE"
 *   -m ID WHAT WHERE TYPE OPTIONS MKFS NAME
 *                            mount: "M ID DEVICE", "A ID" (absent),
 *                            "F ID ERRNO TEXT"
 * Fields are separated by tabs.
 */
int devhelper_main(int argc, char **argv);

/* modprobe [-q] [-a] [-b] [-v] [--] NAME...: the kernel's request_module(). */
int modprobe_main(int argc, char **argv);

#endif
