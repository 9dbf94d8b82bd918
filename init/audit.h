/* SPDX-License-Identifier: MIT */
/*
 * audit.h - the kernel's audit records, taken by PID 1 of a machine
 * (audit.c): seccomp denials per service, and the calls of a service with
 * `seccomp = learn`, turned into a profile.
 */
#ifndef NUCLEUS_AUDIT_H
#define NUCLEUS_AUDIT_H

#include "nucleus.h"

#define SC_LEARN_NR 512 /* system call numbers kept per arch (x86_64 and x32, i386) */

struct supervisor;
struct service;
struct strbuf;

/* Becomes the kernel's audit daemon. 0, or -errno (not the initial PID namespace). */
int audit_start(struct supervisor *s);
/* Whether denials are seen: audit_start() worked. */
bool audit_running(void);
/* The profile file of what @svc was seen to call, in the documented format. */
void audit_profile(const struct service *svc, struct strbuf *out);

#endif
