/* SPDX-License-Identifier: MIT */
/*
 * kmod.h - loads the manifest's kernel modules in stage 1, dependencies
 * first, the way modprobe would, from MODDIR/modules.dep and
 * finit_module(2). Module names with '-' and '_' are the same module.
 * Errors fill struct nerr with step "modules".
 */
#ifndef NUCLEUS_KMOD_H
#define NUCLEUS_KMOD_H

#include "nucleus.h"

/*
 * kmod_load - load module @name and what it depends on from @moddir
 * (NULL: /lib/modules/$(uname -r)). Already loaded (EEXIST, /sys/module/NAME)
 * or built into the kernel (modules.builtin) is success. A module found in
 * neither list is an error naming it.
 */
int kmod_load(const char *name, const char *moddir, struct nerr *e);

/*
 * kmod_load_all - kmod_load() each of the NULL-terminated @names, reading the
 * module lists once. Every failure is logged; all are tried; the first error
 * is returned in @e.
 */
int kmod_load_all(char *const *names, const char *moddir, struct nerr *e);

/*
 * A modules directory kept open across loads: its lists are read once.
 * kmod_ctx_load() takes a module name or an alias ("fs-ext4",
 * "pci:v00001AF4d00001000sv..."): an alias loads every module whose
 * modules.alias pattern matches it, as modprobe does.
 */
struct kmod_ctx;
struct kmod_ctx *kmod_open(const char *moddir, struct nerr *e);
void kmod_close(struct kmod_ctx *c);
int kmod_ctx_load(struct kmod_ctx *c, const char *name, struct nerr *e);
/* @fn hears the name of each module inserted through @c (not those already there). */
void kmod_on_insert(struct kmod_ctx *c, void (*fn)(void *arg, const char *module), void *arg);
/* The modules @modalias asks for: @fn for each (once each), their count, or -errno. */
int kmod_ctx_lookup(struct kmod_ctx *c, const char *modalias,
		    void (*fn)(void *arg, const char *module), void *arg);

/* The pure parts, unit tested. */

/*
 * struct kmod_aliases - modules.alias ("alias PATTERN MODULE" lines) parsed
 * in place and sorted by each pattern's literal prefix (up to its first
 * wildcard), so that a device's modalias is matched against the few
 * patterns whose prefix it starts with, not against all of them.
 */
struct kmod_alias {
	const char *pattern, *module;
	unsigned plen; /* literal prefix */
};
struct kmod_aliases {
	struct kmod_alias *v;
	int n;
};
/* Parses @text (modified: NULs are written into it). 0 or -ENOMEM. */
int kmod_aliases_parse(char *text, struct kmod_aliases *a);
void kmod_aliases_free(struct kmod_aliases *a);
/*
 * fnmatch(@pattern, @s, 0) as glibc's, for what depmod writes: * ? [...]
 * (with ! or ^, ranges, a leading ']') and \\ escapes; no [:classes:].
 */
bool kmod_glob(const char *pattern, const char *s);
/*
 * Calls @fn (may be NULL) once for every module one of whose patterns
 * (kmod_glob) matches @modalias; their count.
 */
int kmod_aliases_match(const struct kmod_aliases *a, const char *modalias,
		       void (*fn)(void *arg, const char *module), void *arg);

/* Copies the module name with '-' as '_' (the kernel's own spelling). */
void kmod_name_norm(char *dst, const char *src, size_t size);

/* The module name of a modules.dep path: "kernel/a/foo-bar.ko" -> "foo_bar". */
void kmod_path_name(char *dst, const char *path, size_t len, size_t size);

/*
 * kmod_deps - the files to load for @name, from the text of modules.dep:
 * each dependency before the modules that need it, @name last.
 * *paths is a NULL-terminated vector in one allocation (free() it), holding
 * the paths as modules.dep writes them (relative to the modules directory).
 * Returns 0, -ENOENT when @name has no line, -ENOMEM, -ELOOP on a cycle.
 */
int kmod_deps(const char *deptext, const char *name, char ***paths);

/* Whether modules.builtin (its text) lists @name. */
bool kmod_builtin(const char *builtintext, const char *name);

#endif
