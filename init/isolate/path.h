/* SPDX-License-Identifier: MIT */
/*
 * path.h - paths inside a service's new root: lexical normalisation and a
 * walk that never follows a symlink, so a volume or secret destination can
 * only land where its normalised name says.
 */
#ifndef NUCLEUS_ISOLATE_PATH_H
#define NUCLEUS_ISOLATE_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * path_norm - @in made absolute and lexical: no "." or "..", no repeated
 * or trailing slashes ("/a/./b/../c//" -> "/a/c"); ".." stops at "/".
 * Returns 0, or -ENAMETOOLONG when it does not fit @size.
 */
int path_norm(const char *in, char *out, size_t size);

/* The path the kernel has for open @fd (its symlinks resolved): 0, or -errno. */
int path_of_fd(int fd, char *out, size_t size);
/* @path with its symlinks resolved (it must exist), without libc's realpath: 0, or -errno. */
int path_real(const char *path, char *out, size_t size);

/* Is normalised @path @dir itself or below it? ("/etc" is under "/etc", "/etcx" is not) */
bool path_under(const char *path, const char *dir);

/*
 * path_make_beneath - opens the normalised absolute @path below @rootfd,
 * creating missing directories (0755) and, with @file, the last component
 * as an empty regular file. No component may be a symlink (-ELOOP), no
 * ".." is possible after path_norm. Returns an O_PATH fd or -errno.
 */
int path_make_beneath(int rootfd, const char *path, bool file);

#endif
