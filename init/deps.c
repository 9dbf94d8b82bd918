// SPDX-License-Identifier: MIT
/*
 * deps.c - the dependency graph as the state machine asks it: may a service
 * start, must it stop, does a running one still need it.
 */
#include "svc_internal.h"

static bool path_under(const char *path, const char *where)
{
	size_t n = strlen(where);

	if (n == 1)
		return path[0] == '/';
	return !strncmp(path, where, n) && (path[n] == '\0' || path[n] == '/');
}

const struct path_gate *sup_gate_of(const struct supervisor *s, const char *path, size_t len)
{
	char buf[4096];

	if (!path || path[0] != '/' || len >= sizeof(buf))
		return NULL;
	memcpy(buf, path, len);
	buf[len] = '\0';
	for (int i = 0; i < s->ngates; i++)
		if (path_under(buf, s->gates[i].where))
			return &s->gates[i];
	return NULL;
}

/* Of "SRC:DST..." items, the SRC parts. */
static const struct path_gate *gate_of_sources(const struct supervisor *s, char **items)
{
	const struct path_gate *g = NULL;

	for (int i = 0; !g && items && items[i]; i++)
		g = sup_gate_of(s, items[i], strcspn(items[i], ":"));
	return g;
}

/*
 * The first gate (a mount not there yet, or failed) under which one of the
 * paths the service uses from the host lies: its program, workdir,
 * env_file, output files, root, seccomp profile, volume and secret sources.
 */
static const struct path_gate *svc_gate(const struct service *svc)
{
	const struct supervisor *s = svc->sup;
	const struct svc_conf *c = svc->conf;
	const char *one[] = {c->argv ? c->argv[0] : NULL,
			     c->workdir,
			     c->env_file,
			     c->out.path,
			     c->err.path,
			     c->root,
			     c->seccomp};
	const struct path_gate *g = NULL;

	if (!s->ngates)
		return NULL;
	for (size_t i = 0; !g && i < ARRAY_SIZE(one); i++)
		g = one[i] ? sup_gate_of(s, one[i], strlen(one[i])) : NULL;
	if (!g)
		g = gate_of_sources(s, c->volumes);
	if (!g)
		g = gate_of_sources(s, c->secrets);
	return g;
}

enum dep_verdict svc_deps_verdict(struct service *svc, const char **which)
{
	struct supervisor *s = svc->sup;
	enum dep_verdict v = DEP_OK;
	const struct path_gate *g = svc_gate(svc);

	if (g) {
		*which = g->label;
		if (g->failed)
			return DEP_FAILED;
		v = DEP_WAIT;
	}

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
