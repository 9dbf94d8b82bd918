// SPDX-License-Identifier: MIT
/*
 * kmod.c - a small modprobe for stage 1: modules.dep gives the files and
 * their dependencies, finit_module(2) loads each, dependencies first.
 *
 * modules.dep lists, for every module, all the modules it needs
 * ("kernel/a/x.ko: kernel/b/y.ko kernel/c/z.ko"). Each dependency has its
 * own line too, so ordering by a depth-first walk over those lines puts every
 * module after what it needs, whatever order depmod wrote them in.
 */
#include "kmod.h"
#include "log.h"

#include <fcntl.h>
#include <linux/module.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define KMOD_NAME_MAX  64 /* the kernel's MODULE_NAME_LEN is 56 */
#define KMOD_DEPTH_MAX 32 /* deeper than any real chain: a cycle */

void kmod_name_norm(char *dst, const char *src, size_t size)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

void kmod_path_name(char *dst, const char *path, size_t len, size_t size)
{
	const char *base = path, *end;
	size_t i;

	for (const char *p = path; p < path + len; p++)
		if (*p == '/')
			base = p + 1;
	/* "foo.ko", "foo.ko.xz": a module name never holds a dot. */
	end = memchr(base, '.', (size_t)(path + len - base));
	if (!end)
		end = path + len;
	if (!size)
		return;
	for (i = 0; base + i < end && i + 1 < size; i++)
		dst[i] = base[i] == '-' ? '_' : base[i];
	dst[i] = '\0';
}

struct span {
	const char *p;
	size_t n;
};

struct depwalk {
	const char *text;
	struct span *out;
	int nout, cap;
	size_t bytes; /* of the paths, with their NULs */
};

/* The line of modules.dep whose path is @s; returns what follows its ':'. */
static const char *dep_line_by_path(const char *text, struct span s)
{
	char needle[4096];
	const char *hit;

	if (s.n + 3 > sizeof(needle))
		return NULL;
	if (!strncmp(text, s.p, s.n) && text[s.n] == ':')
		return text + s.n + 1;
	needle[0] = '\n';
	memcpy(needle + 1, s.p, s.n);
	needle[s.n + 1] = ':';
	needle[s.n + 2] = '\0';
	hit = strstr(text, needle);
	return hit ? hit + s.n + 2 : NULL;
}

/* The path of the line for module @name (normalised), or .p NULL. */
static struct span dep_line_by_name(const char *text, const char *name)
{
	for (const char *l = text; *l;) {
		const char *eol = strchrnul(l, '\n');
		const char *colon = memchr(l, ':', (size_t)(eol - l));
		char mod[KMOD_NAME_MAX];

		if (colon) {
			kmod_path_name(mod, l, (size_t)(colon - l), sizeof(mod));
			if (!strcmp(mod, name))
				return (struct span){l, (size_t)(colon - l)};
		}
		l = *eol ? eol + 1 : eol;
	}
	return (struct span){NULL, 0};
}

static bool walk_has(const struct depwalk *w, struct span s)
{
	for (int i = 0; i < w->nout; i++)
		if (w->out[i].n == s.n && !memcmp(w->out[i].p, s.p, s.n))
			return true;
	return false;
}

static int walk_add(struct depwalk *w, struct span s)
{
	if (w->nout == w->cap) {
		int cap = w->cap ? w->cap * 2 : 16;
		struct span *o = realloc(w->out, (size_t)cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		w->out = o;
		w->cap = cap;
	}
	w->out[w->nout++] = s;
	w->bytes += s.n + 1;
	return 0;
}

/*
 * Puts what @s needs, then @s. The dependencies are walked from the last
 * listed, the order modprobe loads them in.
 */
static int walk(struct depwalk *w, struct span s, int depth)
{
	const char *deps, *eol, *p;
	int err;

	if (depth > KMOD_DEPTH_MAX)
		return -ELOOP;
	if (walk_has(w, s))
		return 0;
	deps = dep_line_by_path(w->text, s);
	if (deps) {
		eol = strchrnul(deps, '\n');
		for (p = eol; p > deps;) {
			const char *end;

			while (p > deps && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
				p--;
			end = p;
			while (p > deps && p[-1] != ' ' && p[-1] != '\t')
				p--;
			if (end == p)
				continue;
			err = walk(w, (struct span){p, (size_t)(end - p)}, depth + 1);
			if (err)
				return err;
		}
	}
	return walk_has(w, s) ? -ELOOP : walk_add(w, s);
}

/* The walk's result as one allocation: pointers, then the strings. */
static int walk_vector(const struct depwalk *w, char ***paths)
{
	size_t ptrs = (size_t)(w->nout + 1) * sizeof(char *);
	char **v = malloc(ptrs + w->bytes);
	char *s;

	if (!v)
		return -ENOMEM;
	s = (char *)v + ptrs;
	for (int i = 0; i < w->nout; i++) {
		v[i] = s;
		memcpy(s, w->out[i].p, w->out[i].n);
		s[w->out[i].n] = '\0';
		s += w->out[i].n + 1;
	}
	v[w->nout] = NULL;
	*paths = v;
	return 0;
}

int kmod_deps(const char *deptext, const char *name, char ***paths)
{
	struct depwalk w = {.text = deptext};
	char norm[KMOD_NAME_MAX];
	struct span top;
	int err;

	*paths = NULL;
	kmod_name_norm(norm, name, sizeof(norm));
	top = dep_line_by_name(deptext, norm);
	if (!top.p)
		return -ENOENT;
	err = walk(&w, top, 0);
	if (!err)
		err = walk_vector(&w, paths);
	free(w.out);
	return err;
}

bool kmod_builtin(const char *builtintext, const char *name)
{
	char norm[KMOD_NAME_MAX], mod[KMOD_NAME_MAX];

	kmod_name_norm(norm, name, sizeof(norm));
	for (const char *l = builtintext; *l;) {
		const char *eol = strchrnul(l, '\n');

		if (eol > l) {
			kmod_path_name(mod, l, (size_t)(eol - l), sizeof(mod));
			if (!strcmp(mod, norm))
				return true;
		}
		l = *eol ? eol + 1 : eol;
	}
	return false;
}

/* ---- modules.alias ---- */

/*
 * One [...] set at *pp against @c; moves *pp past it. 1 matched, 0 not,
 * -1 when it is not a set (no closing ']': then '[' is a literal).
 */
static int glob_set(const char **pp, unsigned char c)
{
	const char *p = *pp + 1;
	bool neg = false, hit = false;

	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	/* a ']' first is a member (and may start a range) */
	for (bool first = true; *p && (*p != ']' || first); first = false) {
		unsigned char lo, hi;

		if (*p == '\\' && p[1])
			p++;
		lo = hi = (unsigned char)*p++;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != neg;
}

bool kmod_glob(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	while (*s) {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			const char *q = p;
			int r = glob_set(&q, (unsigned char)*s);

			if (r == 1) {
				p = q;
				s++;
				continue;
			}
			if (r == 0)
				goto mismatch;
		}
		{
			/* a '\\' escapes the next character; a last one matches nothing */
			const char *np = *p == '\\' ? p + 1 : p;

			if (*np && *np == *s) {
				p = np + 1;
				s++;
				continue;
			}
		}
	mismatch:
		/* the last '*' takes one more character; without one, no match */
		if (!star_p)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '*')
		p++;
	return !*p;
}

static unsigned literal_prefix(const char *pattern)
{
	return (unsigned)strcspn(pattern, "*?[\\");
}

static int alias_cmp(const void *a, const void *b)
{
	const struct kmod_alias *x = a, *y = b;
	unsigned n = x->plen < y->plen ? x->plen : y->plen;
	int r = memcmp(x->pattern, y->pattern, n);

	return r ? r : (int)x->plen - (int)y->plen;
}

/* One "alias PATTERN MODULE" line, NUL-terminated in place; false for others. */
static bool alias_line(char *l, struct kmod_alias *out)
{
	char *save = NULL, *w = strtok_r(l, " \t", &save), *pat, *mod;

	if (!w || strcmp(w, "alias"))
		return false;
	pat = strtok_r(NULL, " \t", &save);
	mod = strtok_r(NULL, " \t\r", &save);
	if (!pat || !mod)
		return false;
	out->pattern = pat;
	out->module = mod;
	out->plen = literal_prefix(pat);
	return true;
}

int kmod_aliases_parse(char *text, struct kmod_aliases *a)
{
	int cap = 0;

	memset(a, 0, sizeof(*a));
	for (char *l = text; *l;) {
		char *eol = strchrnul(l, '\n'), *next = *eol ? eol + 1 : eol;
		struct kmod_alias one;

		*eol = '\0';
		if (alias_line(l, &one)) {
			if (a->n == cap) {
				int nc = cap ? cap * 2 : 256;
				struct kmod_alias *v = realloc(a->v, (size_t)nc * sizeof(*v));

				if (!v) {
					kmod_aliases_free(a);
					return -ENOMEM;
				}
				a->v = v;
				cap = nc;
			}
			a->v[a->n++] = one;
		}
		l = next;
	}
	if (a->n)
		qsort(a->v, (size_t)a->n, sizeof(*a->v), alias_cmp);
	return 0;
}

void kmod_aliases_free(struct kmod_aliases *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* The first entry whose literal prefix is exactly @key[0..len), or -1. */
static int first_with_prefix(const struct kmod_aliases *a, const char *key, unsigned len)
{
	struct kmod_alias k = {.pattern = key, .plen = len};
	int lo = 0, hi = a->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (alias_cmp(&a->v[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->n && !alias_cmp(&a->v[lo], &k) ? lo : -1;
}

/* Whether @module is among the @n already called for (a module has several patterns). */
static bool seen_module(const char *const *seen, int n, const char *module)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(seen[i], module))
			return true;
	return false;
}

int kmod_aliases_match(const struct kmod_aliases *a, const char *modalias,
		       void (*fn)(void *arg, const char *module), void *arg)
{
	unsigned len = (unsigned)strlen(modalias);
	const char *seen[32];
	int found = 0;

	/* a pattern can match only if its literal prefix starts the modalias */
	for (unsigned l = 0; l <= len; l++) {
		for (int i = first_with_prefix(a, modalias, l);
		     i >= 0 && i < a->n && a->v[i].plen == l &&
		     !memcmp(a->v[i].pattern, modalias, l);
		     i++) {
			if (!kmod_glob(a->v[i].pattern, modalias) ||
			    seen_module(seen, found < 32 ? found : 32, a->v[i].module))
				continue;
			if (found < 32)
				seen[found] = a->v[i].module;
			found++;
			if (fn)
				fn(arg, a->v[i].module);
		}
	}
	return found;
}

/* The system side: reading the lists, finit_module(2). */

struct kmod_ctx {
	char dir[256];
	char *dep, *builtin, *alias; /* file contents; "" when the file is missing */
	int dep_err, builtin_err, alias_err;
	bool dep_read, builtin_read, alias_read;
	struct kmod_aliases aliases;
	void (*on_insert)(void *arg, const char *module);
	void *on_insert_arg;
};

/* The whole of a small text file; a missing one reads as empty. */
static int read_text(const char *path, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0 && errno != ENOENT)
		return -errno;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *b = realloc(buf, cap ? cap * 2 : 65536);

			if (!b) {
				free(buf);
				if (fd >= 0)
					close(fd);
				return -ENOMEM;
			}
			buf = b;
			cap = cap ? cap * 2 : 65536;
		}
		n = fd >= 0 ? read(fd, buf + len, cap - len - 1) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : 0;

			if (fd >= 0)
				close(fd);
			buf[len] = '\0';
			if (err)
				free(buf);
			else
				*out = buf;
			return err;
		}
		len += (size_t)n;
	}
}

enum kmod_list { KL_DEP, KL_BUILTIN, KL_ALIAS };

/* The text of one list of the modules directory, read on first use. */
static int ctx_list(struct kmod_ctx *c, enum kmod_list which, const char **text)
{
	static const char *const files[] = {"modules.dep", "modules.builtin", "modules.alias"};
	char path[sizeof(c->dir) + 32];
	bool *done = which == KL_DEP	   ? &c->dep_read
		     : which == KL_BUILTIN ? &c->builtin_read
					   : &c->alias_read;
	char **buf = which == KL_DEP ? &c->dep : which == KL_BUILTIN ? &c->builtin : &c->alias;
	int *err = which == KL_DEP	 ? &c->dep_err
		   : which == KL_BUILTIN ? &c->builtin_err
					 : &c->alias_err;

	if (!*done) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, files[which]);
		*err = read_text(path, buf);
		if (!*err && which == KL_ALIAS)
			*err = kmod_aliases_parse(*buf, &c->aliases);
		*done = true;
	}
	*text = *buf;
	return *err;
}

static int ctx_init(struct kmod_ctx *c, const char *moddir)
{
	struct utsname u;

	memset(c, 0, sizeof(*c));
	if (!moddir) {
		if (uname(&u) < 0)
			return -errno;
		snprintf(c->dir, sizeof(c->dir), "/lib/modules/%s", u.release);
	} else if (strlcpy_n(c->dir, moddir, sizeof(c->dir)) >= sizeof(c->dir)) {
		return -ENAMETOOLONG;
	}
	return 0;
}

static void ctx_free(struct kmod_ctx *c)
{
	free(c->dep);
	free(c->builtin);
	free(c->alias);
	kmod_aliases_free(&c->aliases);
}

struct kmod_ctx *kmod_open(const char *moddir, struct nerr *e)
{
	struct kmod_ctx *c = malloc(sizeof(*c));
	int err = c ? ctx_init(c, moddir) : -ENOMEM;

	if (err) {
		free(c);
		nerr_set(e, "modules", -err, "modules directory: %s", strerror(-err));
		return NULL;
	}
	return c;
}

void kmod_on_insert(struct kmod_ctx *c, void (*fn)(void *arg, const char *module), void *arg)
{
	c->on_insert = fn;
	c->on_insert_arg = arg;
}

void kmod_close(struct kmod_ctx *c)
{
	if (!c)
		return;
	ctx_free(c);
	free(c);
}

int kmod_ctx_lookup(struct kmod_ctx *c, const char *modalias,
		    void (*fn)(void *arg, const char *module), void *arg)
{
	const char *text;
	int err = ctx_list(c, KL_ALIAS, &text);

	if (err)
		return err;
	return kmod_aliases_match(&c->aliases, modalias, fn, arg);
}

/* /sys/module/NAME: loaded, or built in with parameters; either way there. */
static bool kmod_present(const char *norm)
{
	char path[KMOD_NAME_MAX + 16];

	snprintf(path, sizeof(path), "/sys/module/%s", norm);
	return access(path, F_OK) == 0;
}

static int kmod_insert(struct kmod_ctx *c, const char *name, const char *rel, struct nerr *e)
{
	char mod[KMOD_NAME_MAX], path[sizeof(c->dir) + 4096];
	size_t n = strlen(rel);
	/* The kernel decompresses .ko.xz/.ko.zst itself when asked to (5.17+). */
	int flags = n > 3 && !strcmp(rel + n - 3, ".ko") ? 0 : MODULE_INIT_COMPRESSED_FILE;
	int fd, err = 0;

	kmod_path_name(mod, rel, n, sizeof(mod));
	if (kmod_present(mod))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nerr_set(e, "modules", errno, "%s: %s: %s", name, path, strerror(errno));
	if (syscall(SYS_finit_module, fd, "", flags) < 0)
		err = errno;
	close(fd);
	if (err == EEXIST)
		return 0; /* loaded meanwhile, by someone else */
	if (err)
		return nerr_set(e, "modules", err, "%s: load %s: %s", name, rel, strerror(err));
	log_debug("module %s loaded", mod);
	if (c->on_insert)
		c->on_insert(c->on_insert_arg, mod);
	return 0;
}

/* The module @name, its dependencies first; 1 when modules.dep has no such module. */
static int load_module(struct kmod_ctx *c, const char *name, const char *text, struct nerr *e)
{
	char **paths;
	int err = kmod_deps(text, name, &paths);

	if (err == -ENOENT)
		return 1;
	if (err)
		return nerr_set(e, "modules", -err, "%s: modules.dep: %s", name, strerror(-err));
	for (char **p = paths; *p && !err; p++)
		err = kmod_insert(c, name, *p, e);
	free(paths);
	return err;
}

struct alias_load {
	struct kmod_ctx *c;
	const char *alias, *dep;
	struct nerr *e;
	int err, n;
};

static void load_aliased(void *arg, const char *module)
{
	struct alias_load *a = arg;
	struct nerr one = {0};
	int err = load_module(a->c, module, a->dep, &one);

	a->n++;
	if (err == 1)
		err = nerr_set(&one, "modules", ENOENT, "%s: %s (for %s) is not in modules.dep",
			       module, module, a->alias);
	if (err && !a->err) {
		a->err = err;
		*a->e = one;
	}
}

int kmod_ctx_load(struct kmod_ctx *c, const char *name, struct nerr *e)
{
	char norm[KMOD_NAME_MAX];
	struct alias_load a = {.c = c, .alias = name, .e = e};
	const char *text;
	int err;

	kmod_name_norm(norm, name, sizeof(norm));
	if (*norm && kmod_present(norm))
		return 0;
	err = ctx_list(c, KL_DEP, &text);
	if (err)
		return nerr_set(e, "modules", -err, "%s: %s/modules.dep: %s", name, c->dir,
				strerror(-err));
	err = load_module(c, name, text, e);
	if (err != 1)
		return err;
	a.dep = text;
	err = ctx_list(c, KL_BUILTIN, &text);
	if (!err && kmod_builtin(text, name)) {
		log_debug("module %s is built in", norm);
		return 0;
	}
	/* not a module's name: maybe an alias ("fs-ext4", a device's modalias) */
	err = kmod_ctx_lookup(c, name, load_aliased, &a);
	if (err > 0)
		return a.err;
	return nerr_set(e, "modules", ENOENT,
			"%s: not found in %s/modules.dep, modules.builtin or modules.alias", name,
			c->dir);
}

int kmod_load(const char *name, const char *moddir, struct nerr *e)
{
	struct kmod_ctx c;
	int err = ctx_init(&c, moddir);

	if (err)
		return nerr_set(e, "modules", -err, "%s: modules directory: %s", name,
				strerror(-err));
	err = kmod_ctx_load(&c, name, e);
	ctx_free(&c);
	return err;
}

int kmod_load_all(char *const *names, const char *moddir, struct nerr *e)
{
	struct kmod_ctx c;
	struct nerr one;
	int first = 0, err = ctx_init(&c, moddir);

	if (err)
		return nerr_set(e, "modules", -err, "modules directory: %s", strerror(-err));
	for (char *const *n = names; n && *n; n++) {
		err = kmod_ctx_load(&c, *n, &one);
		if (!err)
			continue;
		log_err("%s: %s", one.step, one.what);
		if (!first) {
			first = err;
			*e = one;
		}
	}
	ctx_free(&c);
	return first;
}
