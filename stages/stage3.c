// SPDX-License-Identifier: MIT
/*
 * stage3.c - the end of a shutdown: every service is down and every other
 * process is gone. Sync, unmount the manifest's mounts, remount the rest
 * read-only, then reboot(2). In a PID namespace or as a subreaper the loop
 * ends instead and nucleus-init exits.
 */
#include "stages.h"
#include "devices.h"
#include "watchdog.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

static void unmount_manifest(struct supervisor *s)
{
	const struct manifest *m = s->boot_m ? s->boot_m : s->m;

	for (int i = m->nmount - 1; i >= 0; i--) {
		const struct mount_conf *mc = &m->mounts[i];

		if (!devices_mounted(s, i))
			continue;
		if (umount2(mc->where, 0) == 0) {
			log_info("unmounted %s", mc->where);
			continue;
		}
		log_warn("umount %s: %s; remounting read-only", mc->where, strerror(errno));
		if (mount(NULL, mc->where, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
			log_err("remount %s read-only: %s", mc->where, strerror(errno));
	}
}

/* /proc/self/mounts writes blanks, tabs, newlines and '\\' in paths as \\ooo. */
static void unoctal(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Every block-device file system still mounted goes read-only. */
static void remount_rest_ro(void)
{
	FILE *fp = fopen("/proc/self/mounts", "re");
	char line[8192], *dirs[64];
	int n = 0;

	if (!fp)
		return;
	while (n < (int)ARRAY_SIZE(dirs) && fgets(line, sizeof(line), fp)) {
		char *save = NULL, *src = strtok_r(line, " ", &save),
		     *dir = strtok_r(NULL, " ", &save);

		if (!src || !dir || strncmp(src, "/dev/", 5))
			continue;
		unoctal(dir);
		dirs[n++] = strdup(dir);
	}
	fclose(fp);
	while (n-- > 0) {
		if (dirs[n] && mount(NULL, dirs[n], NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
			log_warn("remount %s read-only: %s", dirs[n], strerror(errno));
		free(dirs[n]);
	}
}

void stage3_finish(struct supervisor *s)
{
	static bool done;
	int cmd;

	if (done)
		return;
	done = true;
	loop_cancel(s->loop, &s->shutdown_timer);
	sync();
	if (s->mode != MODE_MACHINE) {
		log_info("shutdown complete");
		s->exit_now = true;
		return;
	}
	unmount_manifest(s);
	remount_rest_ro();
	sync();
	switch (s->shutdown_action) {
	case POWER_REBOOT:
		cmd = RB_AUTOBOOT;
		break;
	case POWER_HALT:
		cmd = RB_HALT_SYSTEM;
		break;
	default:
		cmd = RB_POWER_OFF;
		break;
	}
	log_info("%s", power_action_name(s->shutdown_action));
	log_console_sync();
	/* fed through stage 3, disarmed only now: a hung shutdown still resets */
	if (s->wdog_fd >= 0) {
		loop_cancel(s->loop, &s->wdog_timer);
		wdog_close(s->wdog_fd);
		s->wdog_fd = -1;
	}
	if (reboot(cmd) < 0)
		log_err("reboot(2): %s; staying up", strerror(errno));
}
