// SPDX-License-Identifier: MIT
/*
 * users.c - passwd and group files, parsed by hand (no NSS in a static binary).
 */
#include "users.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static bool numeric(const char *s, long *v)
{
	uint64_t u;

	if (parse_uint(s, 0x7fffffff, &u))
		return false;
	*v = (long)u;
	return true;
}

/* Splits a colon line into at most n fields in place; returns the count. */
static int fields(char *line, char **f, int n)
{
	int k = 0;

	line[strcspn(line, "\n")] = '\0';
	f[k++] = line;
	for (char *p = line; *p && k < n; p++) {
		if (*p == ':') {
			*p = '\0';
			f[k++] = p + 1;
		}
	}
	return k;
}

int passwd_lookup(const char *path, const char *name, long uid, char *namebuf, size_t namelen,
		  uid_t *puid, gid_t *pgid, char *home, size_t homelen)
{
	FILE *fp = fopen(path, "re");
	char line[1024];
	int r = -ENOENT;

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		char *f[7];
		long u, g;

		if (fields(line, f, 7) < 7 || !numeric(f[2], &u) || !numeric(f[3], &g))
			continue;
		if ((name && strcmp(f[0], name)) || (!name && u != uid))
			continue;
		*puid = (uid_t)u;
		*pgid = (gid_t)g;
		if (home)
			strlcpy_n(home, f[5], homelen);
		if (namebuf)
			strlcpy_n(namebuf, f[0], namelen);
		r = 0;
		break;
	}
	fclose(fp);
	return r;
}

int group_lookup(const char *path, const char *name, long gid, gid_t *pgid)
{
	FILE *fp = fopen(path, "re");
	char line[4096];
	int r = -ENOENT;

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		char *f[4];
		long g;

		if (fields(line, f, 4) < 3 || !numeric(f[2], &g))
			continue;
		if ((name && strcmp(f[0], name)) || (!name && g != gid))
			continue;
		*pgid = (gid_t)g;
		r = 0;
		break;
	}
	fclose(fp);
	return r;
}

static int add_group(struct ident *id, gid_t g)
{
	for (int i = 0; i < id->ngroups; i++)
		if (id->groups[i] == g)
			return 0;
	if (id->ngroups == MAX_GROUPS)
		return -E2BIG;
	id->groups[id->ngroups++] = g;
	return 0;
}

/* Groups whose member list names the user. */
static void member_groups(const char *path, const char *user, struct ident *id)
{
	FILE *fp = fopen(path, "re");
	char line[4096];

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		char *f[4], *save = NULL;
		long g;

		if (fields(line, f, 4) < 4 || !numeric(f[2], &g))
			continue;
		for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
			if (!strcmp(m, user))
				add_group(id, (gid_t)g);
	}
	fclose(fp);
}

static int resolve_group(const char *gpath, const char *spec, gid_t *g, struct nerr *e,
			 const char *step)
{
	long v;
	int r;

	if (numeric(spec, &v)) {
		*g = (gid_t)v;
		return 0;
	}
	r = group_lookup(gpath, spec, -1, g);
	if (r == -ENOENT)
		return nerr_set(e, step, ENOENT, "group '%s' not found in %s", spec, gpath);
	if (r)
		return nerr_set(e, step, -r, "%s: %s", gpath, strerror(-r));
	return 0;
}

int ident_resolve(const char *root, const char *spec, char *const *extra, struct ident *id,
		  struct nerr *e)
{
	char ppath[4096], gpath[4096], user[64] = "root", *colon;
	long v;
	int r;

	memset(id, 0, sizeof(*id));
	strcpy(id->home, "/");
	strcpy(id->name, "root");
	snprintf(ppath, sizeof(ppath), "%s/etc/passwd", root);
	snprintf(gpath, sizeof(gpath), "%s/etc/group", root);
	if (spec) {
		strlcpy_n(user, spec, sizeof(user));
		colon = strchr(user, ':');
		if (colon)
			*colon = '\0';
	}
	if (!spec) {
		/* root needs no lookup; passwd only supplies its home when present */
		passwd_lookup(ppath, NULL, 0, id->name, sizeof(id->name), &id->uid, &id->gid,
			      id->home, sizeof(id->home));
		id->uid = 0;
		id->gid = 0;
	} else if (numeric(user, &v)) {
		id->uid = (uid_t)v;
		id->gid = (gid_t)v;
		/* A known uid takes its primary group and home from passwd. */
		if (passwd_lookup(ppath, NULL, v, id->name, sizeof(id->name), &id->uid, &id->gid,
				  id->home, sizeof(id->home)))
			snprintf(id->name, sizeof(id->name), "%ld", v);
	} else {
		r = passwd_lookup(ppath, user, -1, id->name, sizeof(id->name), &id->uid, &id->gid,
				  id->home, sizeof(id->home));
		if (r == -ENOENT)
			return nerr_set(e, "user", ENOENT, "user '%s' not found in %s", user,
					ppath);
		if (r)
			return nerr_set(e, "user", -r, "%s: %s", ppath, strerror(-r));
	}
	if (spec && (colon = strchr(spec, ':'))) {
		r = resolve_group(gpath, colon + 1, &id->gid, e, "user");
		if (r)
			return r;
	}
	member_groups(gpath, id->name, id);
	for (int i = 0; extra && extra[i]; i++) {
		gid_t g;

		r = resolve_group(gpath, extra[i], &g, e, "groups");
		if (r)
			return r;
		if (add_group(id, g))
			return nerr_set(e, "groups", E2BIG, "more than %d groups", MAX_GROUPS);
	}
	return 0;
}
