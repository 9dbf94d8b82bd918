/* SPDX-License-Identifier: MIT */
/*
 * container.h - `nucleus-init [-g] [-e CODE]... -- CMD`: a tini drop-in.
 */
#ifndef NUCLEUS_CONTAINER_H
#define NUCLEUS_CONTAINER_H

#include "nucleus.h"

struct container_opts {
	bool group;    /* -g: signal the child's whole process group */
	int remap[16]; /* -e CODE: exit codes mapped to 0 */
	int nremap;
	char **argv;
};

int container_main(const struct container_opts *o);
/* The exit code for a wait status, after -e remapping; unit tested. */
int container_exit_code(const struct container_opts *o, int wait_status);

#endif
