/* SPDX-License-Identifier: MIT */
/*
 * control.h - the control protocol: served on RUNTIME_DIR/control.sock and,
 * as PID 1 of a machine, on the virtio-serial control port; nucleusctl is
 * its client, and `nucleusctl mux` shares one port among many host clients.
 *
 * Both are framed byte streams (frame.h): a client opens a session with the
 * words of a command (F_OPEN), gets its output (F_OUT, F_ERR) and its exit
 * code (F_EXIT); `events` and `exec` sessions stream until they end. The
 * pieces: ctl_link.c (streams), control.c (commands), ctl_exec.c (exec),
 * ctl_port.c (the port), nucleusctl.c and ctl_mux.c (the client side).
 */
#ifndef NUCLEUS_CONTROL_H
#define NUCLEUS_CONTROL_H

#include "service.h"

/* A control.sock client has this long to open its first session. */
#define CONTROL_IDLE_MS 5000

int control_open(struct supervisor *s);
void control_close(struct supervisor *s);

/*
 * The control port: looked for at the end of stage 1 and again whenever a
 * virtio-ports device appears (hotplug); [system] control_port names it.
 */
void control_port_scan(struct supervisor *s);

/* nucleusctl's main. */
int ctl_main(int argc, char **argv);
/* `nucleusctl mux PORT_SOCKET LISTEN_SOCKET` (ctl_mux.c). */
int ctl_mux_main(int argc, char **argv);
/* `logs --dir DIR ...`: log_dir's files, read by the client (ctl_logfiles.c). */
int ctl_logs_dir(int argc, char **argv);

enum { WAIT_NONE, WAIT_START, WAIT_STOP };

#endif
