/* SPDX-License-Identifier: MIT */
/*
 * powerbtn.h - the ACPI power button as an evdev device ("Power Button",
 * needs the evdev and button modules): a KEY_POWER press asks for a
 * graceful poweroff, which is what qemu's `system_powerdown` sends.
 */
#ifndef NUCLEUS_POWERBTN_H
#define NUCLEUS_POWERBTN_H

#include "nucleus.h"

#define POWERBTN_NAME "Power Button"

/*
 * powerbtn_open_all - opens every /dev/input/event* named "Power Button" that
 * reports KEY_POWER (ACPI has two: LNXPWRBN and PNP0C0C), non-blocking and
 * close-on-exec, up to @max of them into @fds. Returns how many were opened
 * (0 when there is none or /dev/input is missing).
 */
int powerbtn_open_all(int *fds, int max);

/*
 * powerbtn_read - drains the pending input events of @fd (never blocks) and
 * says whether a KEY_POWER press (value 1) was among them.
 */
bool powerbtn_read(int fd);

#endif
