/* SPDX-License-Identifier: MIT */
/*
 * secrets.h - `secrets`: files copied into a private tmpfs at /run/secrets
 * of the service's root, never bound from the host.
 */
#ifndef NUCLEUS_ISOLATE_SECRETS_H
#define NUCLEUS_ISOLATE_SECRETS_H

#include "isolate/mount.h"

#define SECRETS_DIR "/run/secrets"

/* Opens every source (O_NOFOLLOW, regular files only), with the host's identity. */
int secrets_open(struct mnt_plan *p, struct nerr *e);

/* In the new root, once /run exists and before pivot_root: the copies. */
int secrets_setup(struct mnt_plan *p, struct nerr *e);

/*
 * secret_dest - where item DEST lands below /run/secrets: a leading
 * "/run/secrets/" or "/" is dropped, the rest normalised ("db/pw" ->
 * "/db/pw"). Returns 0, or -EINVAL for an empty name.
 */
int secret_dest(const char *dest, char *out, size_t size);

#endif
