/* SPDX-License-Identifier: MIT */
/*
 * watchdog.h - keeps a hardware watchdog (e.g. qemu's i6300esb at
 * /dev/watchdog) fed from the event loop, and disarms it on a clean
 * shutdown with the magic close character.
 */
#ifndef NUCLEUS_WATCHDOG_H
#define NUCLEUS_WATCHDOG_H

#include "nucleus.h"

/*
 * wdog_timeout_for - the timeout set for pings every @interval_s seconds:
 * twice the interval, and at least the interval plus 5 s. One late or lost
 * ping (a busy TCG guest, a slow stage 3 step) must not reset the machine;
 * a loop that is stuck for two whole intervals is hung.
 * An interval of 0 counts as 1.
 */
unsigned wdog_timeout_for(unsigned interval_s);

/*
 * wdog_open - opens @dev (NULL: /dev/watchdog), which arms it, sets the
 * timeout to wdog_timeout_for(@interval_s) and pings once. A driver that
 * cannot take that timeout keeps its own; a warning is logged when that one
 * is not longer than the interval. Returns the fd (O_CLOEXEC) or a negative
 * errno with @e filled (step "watchdog").
 */
int wdog_open(const char *dev, unsigned interval_s, struct nerr *e);

/* Resets the countdown (WDIOC_KEEPALIVE; a write for drivers without it). */
void wdog_ping(int fd);

/*
 * wdog_close - writes the magic 'V' and closes: a driver with magic close
 * stops the countdown. Only for a clean shutdown; closing without it leaves
 * the watchdog running (on purpose, if PID 1 itself dies).
 */
void wdog_close(int fd);

#endif
