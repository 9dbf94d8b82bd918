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

/* The pure parts, unit tested. */

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
