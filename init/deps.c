// SPDX-License-Identifier: MIT
/*
 * deps.c - the dependency graph as the state machine asks it: may a service
 * start, must it stop, does a running one still need it.
 */
#include "svc_internal.h"

enum dep_verdict svc_deps_verdict(struct service *svc, const char **which)
{
	struct supervisor *s = svc->sup;
	enum dep_verdict v = DEP_OK;

	for (int pass = 0; pass < 2; pass++) {
		char **deps = pass ? svc->conf->requires : svc->conf->after;

		for (int i = 0; deps && deps[i]; i++) {
			struct service *d = sup_find(s, deps[i]);

			if (!d)
				continue; /* validated; a dropped one is never referenced */
			if (d->state == ST_FAILED) {
				*which = d->conf->name;
				return DEP_FAILED;
			}
			if (d->state == ST_READY || d->state == ST_EXITED)
				continue;
			if (!d->want_up && !svc_active(d)) {
				/* after orders only; requires needs it up */
				if (pass) {
					*which = d->conf->name;
					v = DEP_STOPPED;
				}
				continue;
			}
			if (v == DEP_OK) {
				*which = d->conf->name;
				v = DEP_WAIT;
			}
		}
	}
	return v;
}

struct service *svc_required_down(struct service *svc)
{
	for (int i = 0; svc->conf->requires && svc->conf->requires[i]; i++) {
		struct service *d = sup_find(svc->sup, svc->conf->requires[i]);

		if (d && (d->state == ST_FAILED || d->state == ST_STOPPED ||
			  (d->state == ST_STOPPING && !d->restart_req)))
			return d;
	}
	return NULL;
}

bool svc_depends_on(const struct service *svc, const char *name)
{
	return strv_contains(svc->conf->after, name) || strv_contains(svc->conf->requires, name);
}
