// SPDX-License-Identifier: MIT
/*
 * load.c - INI -> struct manifest: the entry points, the dispatch of
 * sections, and the checks across services (references and cycles).
 *
 * Two passes: reader.c collects every key of every section with its line,
 * then each section is validated key by key against the schema. Every
 * error names PATH:LINE; a service with an error is dropped from the
 * result, the others stay.
 */
#include "manifest/internal.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>

static const char *section_kind(const char *sec)
{
	return !strcmp(sec, "system") ? "[system]" : sec;
}

/* ---- references and cycles -------------------------------------------- */

static struct raw_section *raw_service(struct loader *L, const char *name)
{
	char sec[80];

	snprintf(sec, sizeof(sec), "service.%s", name);
	for (int i = 0; i < L->nsec; i++)
		if (!strcmp(L->secs[i].name, sec))
			return &L->secs[i];
	return NULL;
}

static int find_idx(const struct manifest *m, const char *name)
{
	for (int i = 0; i < m->nsvc; i++)
		if (!strcmp(m->svcs[i]->name, name))
			return i;
	return -1;
}

static void drop_service(struct manifest *m, int i)
{
	svc_conf_free(m->svcs[i]);
	memmove(&m->svcs[i], &m->svcs[i + 1], sizeof(m->svcs[0]) * (size_t)(m->nsvc - i - 1));
	m->nsvc--;
}

/*
 * A dependency on a service that does not exist, or that was dropped for
 * its own errors, drops the dependent too; repeat until nothing changes.
 */
static void check_refs(struct loader *L)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (int i = 0; i < L->m->nsvc && !changed; i++) {
			struct svc_conf *c = L->m->svcs[i];
			struct raw_section *rs = raw_service(L, c->name);

			for (int pass = 0; pass < 2 && !changed; pass++) {
				char **deps = pass ? c->requires : c->after;
				const char *key = pass ? "requires" : "after";

				for (int d = 0; deps && deps[d]; d++) {
					const char *why = NULL;

					if (!strcmp(deps[d], c->name))
						why = "itself";
					else if (!raw_service(L, deps[d]))
						why = "a service that does not exist";
					else if (find_idx(L->m, deps[d]) < 0)
						why = "a service that is invalid";
					if (!why)
						continue;
					mf_err(L, rs ? mf_key_line(rs, key) : c->line,
					       "%s: %s '%s' names %s", c->name, key, deps[d], why);
					if (rs)
						rs->bad = true;
					drop_service(L->m, i);
					changed = true;
					break;
				}
			}
		}
	}
}

/* Depth-first search; colour 1 = on the stack, 2 = done. */
static int cycle_dfs(struct loader *L, int v, char *colour, int *stack, int depth)
{
	struct svc_conf *c = L->m->svcs[v];

	colour[v] = 1;
	stack[depth] = v;
	for (int pass = 0; pass < 2; pass++) {
		char **deps = pass ? c->requires : c->after;

		for (int d = 0; deps && deps[d]; d++) {
			int w = find_idx(L->m, deps[d]);

			if (w < 0)
				continue;
			if (colour[w] == 1) {
				char path[1024] = "";
				size_t o = 0;
				int k = depth;

				while (k > 0 && stack[k] != w)
					k--;
				for (int j = k; j <= depth; j++)
					o += (size_t)snprintf(
						path + o, o < sizeof(path) ? sizeof(path) - o : 0,
						"%s -> ", L->m->svcs[stack[j]]->name);
				if (o < sizeof(path))
					snprintf(path + o, sizeof(path) - o, "%s",
						 L->m->svcs[w]->name);
				struct raw_section *rs = raw_service(L, c->name);
				mf_err(L,
				       rs ? mf_key_line(rs, pass ? "requires" : "after") : c->line,
				       "%s: dependency cycle: %s", c->name, path);
				return w;
			}
			if (colour[w] == 0) {
				int r = cycle_dfs(L, w, colour, stack, depth + 1);

				if (r >= 0)
					return r;
			}
		}
	}
	colour[v] = 2;
	return -1;
}

/* Services on a cycle are dropped; the report names the whole cycle. */
static void check_cycles(struct loader *L)
{
	for (;;) {
		int n = L->m->nsvc, found = -1;
		char *colour = calloc((size_t)n + 1, 1);
		int *stack = calloc((size_t)n + 1, sizeof(int));

		if (!colour || !stack) {
			free(colour);
			free(stack);
			L->oom = true;
			return;
		}
		for (int i = 0; i < n && found < 0; i++)
			if (!colour[i])
				found = cycle_dfs(L, i, colour, stack, 0);
		free(colour);
		free(stack);
		if (found < 0)
			return;
		drop_service(L->m, found);
		check_refs(L);
	}
}

static struct manifest *load(struct loader *L, int *err)
{
	int r;

	ini_use_stack = 0;
	ini_max_line = MAX_LINE;
	ini_initial_alloc = MAX_LINE;
	ini_allow_multiline = 0;
	ini_stop_on_first_error = 0;

	L->m = calloc(1, sizeof(*L->m));
	if (!L->m) {
		*err = ENOMEM;
		return NULL;
	}
	L->m->path = strdup(L->path);
	mf_sys_defaults(&L->m->sys);
	r = ini_parse_stream(mf_reader, L, mf_handler, L);
	if (r == -2 || L->oom || !L->m->path)
		goto oom;
	for (int i = 0; i < L->nsec; i++) {
		struct raw_section *s = &L->secs[i];

		if (s->name[0] == '\x01')
			continue; /* malformed header, reported */
		if (!strcmp(s->name, "system"))
			mf_load_system(L, s);
		else if (!strcmp(s->name, "sysctl"))
			mf_load_sysctl(L, s);
		else if (!strncmp(s->name, "service.", 8))
			mf_load_service(L, s);
		else if (!strncmp(s->name, "mount.", 6))
			mf_load_mount(L, s);
		else if (!strncmp(s->name, "interface.", 10))
			mf_load_iface(L, s);
		else
			mf_err(L, s->line,
			       "unknown section [%s] (expected system, sysctl, "
			       "service.NAME, mount.NAME or interface.NAME)",
			       section_kind(s->name));
		if (L->oom)
			goto oom;
	}
	check_refs(L);
	check_cycles(L);
	if (L->oom)
		goto oom;
	return L->m;
oom:
	manifest_free(L->m);
	*err = ENOMEM;
	return NULL;
}

static void loader_free(struct loader *L)
{
	for (int i = 0; i < L->nsec; i++) {
		for (int k = 0; k < L->secs[i].nkv; k++) {
			free(L->secs[i].kv[k].key);
			free(L->secs[i].kv[k].value);
		}
		free(L->secs[i].kv);
		free(L->secs[i].name);
	}
	free(L->secs);
}

struct manifest *manifest_load(const char *path, manifest_err_fn fn, void *arg, int *err)
{
	struct loader L = {.path = path, .fn = fn, .arg = arg};
	struct manifest *m;

	L.fp = fopen(path, "re");
	if (!L.fp) {
		*err = errno;
		return NULL;
	}
	m = load(&L, err);
	fclose(L.fp);
	loader_free(&L);
	return m;
}

struct manifest *manifest_load_string(const char *text, const char *path, manifest_err_fn fn,
				      void *arg, int *err)
{
	struct loader L = {.path = path, .fn = fn, .arg = arg, .text = text};
	struct manifest *m = load(&L, err);

	loader_free(&L);
	return m;
}

void svc_conf_free(struct svc_conf *c)
{
	if (!c)
		return;
	free(c->argv);
	free(c->user);
	mf_strv_free(c->groups);
	free(c->workdir);
	mf_strv_free(c->env);
	free(c->env_file);
	free(c->out.path);
	free(c->err.path);
	mf_strv_free(c->after);
	mf_strv_free(c->requires);
	mf_probe_free(&c->ready);
	mf_probe_free(&c->health);
	free(c->bridge);
	free(c->address);
	free(c->subnet);
	free(c->hostname);
	free(c->root);
	free(c->seccomp);
	mf_strv_free(c->publish);
	mf_strv_free(c->egress);
	mf_strv_free(c->volumes);
	mf_strv_free(c->secrets);
	mf_strv_free(c->capabilities);
	mf_strv_free(c->seccomp_allow);
	mf_strv_free(c->landlock_rw);
	mf_strv_free(c->landlock_ro);
	free(c);
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nsvc; i++)
		svc_conf_free(m->svcs[i]);
	free(m->svcs);
	for (int i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	for (int i = 0; i < m->nsysctl; i++) {
		free(m->sysctls[i].key);
		free(m->sysctls[i].value);
	}
	free(m->sysctls);
	for (int i = 0; i < m->nmount; i++) {
		free(m->mounts[i].what);
		free(m->mounts[i].where);
		free(m->mounts[i].type);
		free(m->mounts[i].options);
		free(m->mounts[i].mkfs);
	}
	free(m->mounts);
	for (int i = 0; i < m->niface; i++) {
		mf_strv_free(m->ifaces[i].address);
		mf_strv_free(m->ifaces[i].dns);
		free(m->ifaces[i].gateway);
	}
	free(m->ifaces);
	free(m->sys.hostname);
	mf_strv_free(m->sys.modules);
	free(m->sys.runtime_dir);
	free(m->sys.watchdog);
	free(m->sys.control_port);
	free(m->sys.root);
	free(m->sys.log_dir);
	free(m->sys.log_remote);
	free(m->path);
	free(m);
}

struct svc_conf *manifest_find(const struct manifest *m, const char *name)
{
	int i = find_idx(m, name);

	return i < 0 ? NULL : m->svcs[i];
}
