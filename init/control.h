/* SPDX-License-Identifier: MIT */
/*
 * control.h - the control socket (RUNTIME_DIR/control.sock) and nucleusctl.
 *
 * Protocol: the client sends one line of words ("status --json web\n"); the
 * server answers with a first line holding the exit code for nucleusctl, then
 * the text to print, and closes.
 */
#ifndef NUCLEUS_CONTROL_H
#define NUCLEUS_CONTROL_H

#include "service.h"

/* A control client has this long to send its whole request. */
#define CONTROL_IDLE_MS 5000

int control_open(struct supervisor *s);
void control_close(struct supervisor *s);
/* nucleusctl's main: argv without the program name handling. */
int ctl_main(int argc, char **argv);
/* Runs one command line as the server would; exposed for unit tests. */
int control_exec(struct supervisor *s, char *line, struct strbuf *out, struct service **wait_svc,
		 int *wait_kind);

enum { WAIT_NONE, WAIT_START, WAIT_STOP };

#endif
