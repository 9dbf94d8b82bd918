// SPDX-License-Identifier: MIT
/*
 * values.c - the value parsers several sections share (strings, lists,
 * durations, sizes, booleans, power actions, addresses, probes, cpu_max,
 * the refused volume paths) and the key table walk of pass 2.
 */
#include "manifest/internal.h"
#include "records.h"
#include "isolate/path.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

int mf_put_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* Appends the items of v (blank-separated) to the vector *dst. */
int mf_put_list(char ***dst, const char *v)
{
	char **items, **nv;
	int n, old = strv_len(*dst);

	if (split_list(v, &items, &n))
		return -ENOMEM;
	nv = realloc(*dst, sizeof(char *) * (size_t)(old + n + 1));
	if (!nv) {
		free(items);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		nv[old + i] = strdup(items[i]);
		if (!nv[old + i]) {
			nv[old + i] = NULL;
			*dst = nv;
			free(items);
			return -ENOMEM;
		}
	}
	nv[old + n] = NULL;
	*dst = nv;
	free(items);
	return 0;
}

int mf_put_list_of(char ***dst, const char *v, bool (*ok)(const char *item), const char *expected,
		   const char **why)
{
	char **items;
	int n;

	if (split_list(v, &items, &n))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (!ok(items[i])) {
			*why = expected;
			free(items);
			return -EINVAL;
		}
	}
	free(items);
	return mf_put_list(dst, v);
}

int mf_uint(uint64_t *dst, const char *v, uint64_t min, uint64_t max, const char *expected,
	    const char **why)
{
	uint64_t x;

	if (parse_uint(v, max, &x) || x < min) {
		*why = expected;
		return -EINVAL;
	}
	*dst = x;
	return 0;
}

void mf_strv_free(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

bool mf_valid_abs_path(const char *p)
{
	return p[0] == '/' && strlen(p) < 4096;
}

int mf_valid_ip(const char *s, int *family)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* ADDR/PREFIX with the prefix in range for the family. */
int mf_valid_cidr(const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	uint64_t pfx;
	int fam;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (mf_valid_ip(addr, &fam))
		return -EINVAL;
	if (parse_uint(slash + 1, fam == AF_INET ? 32 : 128, &pfx))
		return -EINVAL;
	return 0;
}

int mf_abs_path(char **dst, const char *v, const char **why)
{
	if (!mf_valid_abs_path(v)) {
		*why = "expected an absolute path";
		return -EINVAL;
	}
	return mf_put_str(dst, v);
}

int mf_dur(uint64_t *dst, const char *v, const char **why)
{
	int r = parse_duration(v, dst);

	if (r == -ERANGE)
		*why = "longer than the longest duration allowed, 8760h (365 days)";
	else if (r)
		*why = "expected a duration such as 500ms, 10s, 5m, 1h";
	return r ? -EINVAL : 0;
}

int mf_bool(bool *dst, const char *v, const char **why)
{
	if (parse_bool(v, dst)) {
		*why = "expected yes/no, true/false or 1/0";
		return -EINVAL;
	}
	return 0;
}

int mf_power(enum power_action *dst, const char *v, bool allow_stay, const char **why)
{
	if (!strcmp(v, "reboot"))
		*dst = POWER_REBOOT;
	else if (!strcmp(v, "poweroff"))
		*dst = POWER_POWEROFF;
	else if (!strcmp(v, "halt"))
		*dst = POWER_HALT;
	else if (allow_stay && !strcmp(v, "stay"))
		*dst = POWER_STAY;
	else {
		*why = allow_stay ? "expected stay, poweroff, reboot or halt"
				  : "expected reboot, poweroff or halt";
		return -EINVAL;
	}
	return 0;
}

const char *power_action_name(enum power_action a)
{
	switch (a) {
	case POWER_STAY:
		return "stay";
	case POWER_POWEROFF:
		return "poweroff";
	case POWER_REBOOT:
		return "reboot";
	case POWER_HALT:
		return "halt";
	default:
		return "none";
	}
}

int mf_parse_port(const char *s, uint16_t *port)
{
	uint64_t p;

	if (parse_uint(s, 65535, &p) || p == 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* HOST:PORT where HOST may be [v6]. */
static int parse_hostport(const char *s, struct probe *p, const char **rest)
{
	const char *colon, *hs = s, *he;
	char port[8];
	size_t n;
	int fam;

	if (*s == '[') {
		he = strchr(s, ']');
		if (!he || he[1] != ':')
			return -EINVAL;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon)
			return -EINVAL;
		he = colon;
	}
	n = strcspn(colon + 1, "/");
	if (n == 0 || n >= sizeof(port))
		return -EINVAL;
	memcpy(port, colon + 1, n);
	port[n] = '\0';
	if (mf_parse_port(port, &p->port))
		return -EINVAL;
	p->host = strndup(hs, (size_t)(he - hs));
	if (!p->host)
		return -ENOMEM;
	if (!*p->host || (mf_valid_ip(p->host, &fam) && !valid_name(p->host)))
		return -EINVAL;
	*rest = colon + 1 + n;
	return 0;
}

void mf_probe_free(struct probe *p)
{
	free(p->host);
	free(p->path);
	free(p->argv);
	memset(p, 0, sizeof(*p));
}

int probe_parse(const char *s, bool ready, struct probe *p, const char **why)
{
	const char *rest;
	int r;

	mf_probe_free(p);
	if (!strcmp(s, "none")) {
		p->kind = PROBE_NONE;
		return 0;
	}
	if (ready && !strcmp(s, "notify")) {
		p->kind = PROBE_NOTIFY;
		return 0;
	}
	if (ready && !strncmp(s, "fd:", 3)) {
		uint64_t fd;

		if (parse_uint(s + 3, 1023, &fd) || fd < 3) {
			*why = "fd:N needs N between 3 and 1023";
			return -EINVAL;
		}
		p->kind = PROBE_FD;
		p->fd = (int)fd;
		return 0;
	}
	if (!strncmp(s, "tcp:", 4)) {
		p->kind = PROBE_TCP;
		r = parse_hostport(s + 4, p, &rest);
		if (r || *rest) {
			*why = "expected tcp:HOST:PORT";
			mf_probe_free(p);
			return r ? r : -EINVAL;
		}
		return 0;
	}
	if (!strncmp(s, "http://", 7)) {
		p->kind = PROBE_HTTP;
		r = parse_hostport(s + 7, p, &rest);
		if (r || (*rest && *rest != '/') || strpbrk(rest, " \t\r\n") ||
		    strlen(rest) > 256) {
			*why = "expected http://HOST:PORT/PATH, a PATH of at most 256 characters";
			mf_probe_free(p);
			return r ? r : -EINVAL;
		}
		p->path = strdup(*rest ? rest : "/");
		return p->path ? 0 : -ENOMEM;
	}
	if (!strncmp(s, "exec:", 5)) {
		int argc;

		r = split_words(s + 5, &p->argv, &argc, why);
		if (r)
			return r;
		if (argc == 0) {
			*why = "exec: needs a command";
			mf_probe_free(p);
			return -EINVAL;
		}
		p->kind = PROBE_EXEC;
		return 0;
	}
	*why = ready ? "expected none, notify, fd:N, tcp:HOST:PORT, http://HOST:PORT/PATH or "
		       "exec:CMD"
		     : "expected none, tcp:HOST:PORT, http://HOST:PORT/PATH or exec:CMD";
	return -EINVAL;
}

const char *volume_source_refused(const char *src)
{
	static const char *const sensitive[] = {"/proc", "/sys",  "/dev", "/boot",
						"/etc",	 "/root", "/run"};
	char n[4096];

	if (path_norm(src, n, sizeof(n)))
		return "/";
	if (!strcmp(n, "/"))
		return "/";
	for (size_t i = 0; i < ARRAY_SIZE(sensitive); i++)
		if (path_under(n, sensitive[i]))
			return sensitive[i];
	return NULL;
}

bool mf_valid_ident(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(ch == '_' || ch == '-' || ch == '.' || (ch >= '0' && ch <= '9') ||
		      (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch == '$' && i == n - 1)))
			return false;
	}
	return true;
}

/* "owner=USER[:GROUP]" after the '=': both names checked and kept. */
static int owner_spec(const char *s, size_t n, struct volume_opts *o)
{
	const char *colon = memchr(s, ':', n);
	size_t un = colon ? (size_t)(colon - s) : n, gn = colon ? n - un - 1 : 0;

	if (!mf_valid_ident(s, un) || (colon && !mf_valid_ident(colon + 1, gn)))
		return -EINVAL;
	memcpy(o->user, s, un);
	o->user[un] = '\0';
	if (colon)
		memcpy(o->group, colon + 1, gn);
	o->group[gn] = '\0';
	return 0;
}

int volume_opts_parse(const char *opt, struct volume_opts *o, const char **why)
{
	bool ro = false;

	memset(o, 0, sizeof(*o));
	*why = "expected ro or rw, and owner or owner=USER[:GROUP], separated by commas";
	for (const char *p = opt; p && *p;) {
		size_t n = strcspn(p, ",");
		bool was_set = ro || o->rw;

		if (n == 2 && !strncmp(p, "ro", 2) && !was_set)
			ro = true;
		else if (n == 2 && !strncmp(p, "rw", 2) && !was_set)
			o->rw = true;
		else if (n == 5 && !strncmp(p, "owner", 5) && !o->owner)
			o->owner = true;
		else if (n > 6 && !strncmp(p, "owner=", 6) && !o->owner &&
			 !owner_spec(p + 6, n - 6, o))
			o->owner = true;
		else
			return -EINVAL;
		p += n;
		if (*p && !*++p)
			return -EINVAL; /* a trailing comma */
	}
	if (opt && !*opt)
		return -EINVAL;
	if (o->owner && ro) {
		*why = "owner makes the source the user's to write: not with ro";
		return -EINVAL;
	}
	if (o->owner)
		o->rw = true;
	*why = NULL;
	return 0;
}

const char *volume_dest_refused(const char *dst)
{
	static const char *const reserved[] = {"/bin",	 "/sbin",  "/dev",	  "/etc",  "/lib",
					       "/lib64", "/lib32", "/libx32",	  "/boot", "/proc",
					       "/sys",	 "/usr",   "/run/secrets"};
	char n[4096];

	if (path_norm(dst, n, sizeof(n)))
		return "/";
	if (!strcmp(n, "/"))
		return "/";
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (path_under(n, reserved[i]))
			return reserved[i];
	return NULL;
}

int mf_ring_size(uint64_t *dst, const char *v, const char **why)
{
	if (parse_size(v, dst) || *dst < RECRING_MIN || *dst > RECRING_MAX) {
		*why = "expected a size from 4K to 64M, such as 16K";
		return -EINVAL;
	}
	return 0;
}

int mf_size(uint64_t *dst, const char *v, const char **why)
{
	if (parse_size(v, dst) || *dst == 0) {
		*why = "expected a size such as 64M, 1G or a byte count";
		return -EINVAL;
	}
	return 0;
}

int parse_cpu_max(const char *s, uint32_t *quota_us, uint32_t *period_us)
{
	uint64_t q, p = 100000;
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '%') {
		char num[16];

		if (n - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (parse_uint(num, 100000, &q) || q == 0)
			return -EINVAL;
		*quota_us = (uint32_t)(q * p / 100);
		*period_us = (uint32_t)p;
		return 0;
	}
	const char *slash = strchr(s, '/');
	char num[16];

	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (parse_uint(num, UINT32_MAX, &q) || parse_uint(slash + 1, 1000000, &p) || q < 1000 ||
	    p < 1000)
		return -EINVAL;
	*quota_us = (uint32_t)q;
	*period_us = (uint32_t)p;
	return 0;
}

/* ---- section validation ------------------------------------------------ */

static const struct key_def *find_key(const struct key_table *t, const char *key)
{
	for (; t; t = t->more)
		for (size_t k = 0; k < t->n; k++)
			if (!strcmp(t->defs[k].key, key))
				return &t->defs[k];
	return NULL;
}

/* The line where a single-valued key of @s was given before item @i, or 0. */
static int given_before(const struct raw_section *s, int i)
{
	for (int j = 0; j < i; j++)
		if (!strcmp(s->kv[j].key, s->kv[i].key))
			return s->kv[j].line;
	return 0;
}

int mf_apply_keys(struct loader *L, struct raw_section *s, const struct key_table *t, void *obj,
		  uint64_t *setbits, const char *who)
{
	int errors = 0;

	for (int i = 0; i < s->nkv; i++) {
		struct raw_kv *kv = &s->kv[i];
		const struct key_def *d = find_key(t, kv->key);
		const char *why = NULL;
		int r, first;

		if (!d) {
			mf_err(L, kv->line, "%s: unknown key '%s'", who, kv->key);
			errors++;
			continue;
		}
		if (!d->list && (first = given_before(s, i))) {
			mf_err(L, kv->line, "%s: %s given twice (first at line %d)", who, kv->key,
			       first);
			errors++;
			continue;
		}
		if (!*kv->value && strcmp(kv->key, "env")) {
			mf_err(L, kv->line, "%s: %s: empty value", who, kv->key);
			errors++;
			continue;
		}
		r = d->fn(L, obj, kv->value, &why);
		if (r == -ENOMEM) {
			L->oom = true;
			return errors + 1;
		}
		if (r) {
			mf_err(L, kv->line, "%s: %s: invalid value '%s': %s", who, kv->key,
			       kv->value, why ? why : strerror(-r));
			errors++;
			continue;
		}
		if (setbits)
			*setbits |= d->set;
	}
	return errors;
}

bool mf_has_key(const struct raw_section *s, const char *key)
{
	for (int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			return true;
	return false;
}

int mf_key_line(const struct raw_section *s, const char *key)
{
	for (int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			return s->kv[i].line;
	return s->line;
}

uint64_t mf_digest_section(const struct raw_section *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < s->nkv; i++) {
		for (const char *p = s->kv[i].key; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '=') * 1099511628211ULL;
		for (const char *p = s->kv[i].value; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '\n') * 1099511628211ULL;
	}
	return h;
}
