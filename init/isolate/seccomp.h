/* SPDX-License-Identifier: MIT */
/*
 * isolate/seccomp.h - the system call filter of an isolated service.
 *
 * The filter is compiled to classic BPF in PID 1 (libseccomp, a file read,
 * allocations), so the child after fork only has to hand the finished
 * program to the kernel. See docs/seccomp-profile.md for the profile format
 * and the reasoning behind the built-in list.
 */
#ifndef NUCLEUS_ISOLATE_SECCOMP_H
#define NUCLEUS_ISOLATE_SECCOMP_H

#include "manifest.h"

#include <linux/filter.h>
#include <seccomp.h>

/* Largest profile file read; a real one is a few KiB. */
#define SC_PROFILE_MAX (1024 * 1024)

/* len 0, filter NULL: no filter (seccomp = none). */
struct sc_prog {
	unsigned short len;
	struct sock_filter *filter;
	bool log; /* loaded with SECCOMP_FILTER_FLAG_LOG: denials reach the audit records */
};

/*
 * sc_compile - compile the filter of @c to classic BPF, in the parent.
 * default (or NULL) = the built-in allow-list plus seccomp_allow; a path =
 * that profile file (read here; its errors name file:line) plus
 * seccomp_allow; none = an empty @prog; learn = a filter that allows and
 * logs every call (SECCOMP_RET_LOG). Returns 0 or -errno and fills @e.
 * The plain default points at the embedded, shared filter: treat @prog as
 * read-only and release it only with sc_prog_free().
 */
int sc_compile(const struct svc_conf *c, struct sc_prog *prog, struct nerr *e);

/*
 * sc_build_default - the built-in filter without seccomp_allow, always
 * compiled by libseccomp: what the build embeds (init/gen/seccomp-gen.c)
 * and what the unit tests compare the embedded copy with.
 */
int sc_build_default(struct sc_prog *prog, struct nerr *e);
/* Frees what sc_compile() allocated (never the embedded filter). */
void sc_prog_free(struct sc_prog *prog);

/*
 * sc_load - install @prog in the calling process (the child, as late as
 * possible before exec) with seccomp(SECCOMP_SET_MODE_FILTER), falling back
 * to prctl. It does not set no_new_privs: the caller either set it or still
 * holds CAP_SYS_ADMIN. len 0: nothing to do. Safe after fork: no allocation.
 */
int sc_load(const struct sc_prog *prog, struct nerr *e);

/*
 * sc_profile_parse - parse profile @text into @ctx (for unit tests and
 * --check); @path names it in errors ("PATH:LINE: message"). @ctx is reset
 * to the profile's default action and the three x86 ABIs first.
 */
int sc_profile_parse(const char *text, const char *path, scmp_filter_ctx ctx, struct nerr *e);

extern const char *const sc_default_allow[]; /* NULL-terminated */
extern const char *const sc_default_deny[];  /* NULL-terminated: documented denials */

#endif
