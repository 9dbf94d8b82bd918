/* SPDX-License-Identifier: MIT */
/*
 * require.h - [system] require: kernel features checked before the first
 * service starts (require.c); on_unmet says what happens when one is missing.
 */
#ifndef NUCLEUS_REQUIRE_H
#define NUCLEUS_REQUIRE_H

#include "nucleus.h"

struct supervisor;
struct strbuf;

/* Looks for what [system] require names; false (logged) when one is missing. */
bool require_check(struct supervisor *s);
/* ", \"require\": {...}" (null when nothing is required). */
void require_status_json(struct supervisor *s, struct strbuf *sb);

#endif
