// SPDX-License-Identifier: MIT
/*
 * fuzz_manifest.c - libFuzzer target over manifest_load_string().
 *
 * Beyond "does not crash" (ASan/UBSan), it checks the loader's promises:
 * every error is "PATH:LINE: message" with LINE inside the input, the error
 * count matches the callback, and every kept service is well formed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "util.h"

#define PATH "fuzz.ini"

struct ctx {
	int lines; /* lines in the input */
	int n;
};

static void check(bool ok, const char *what, const char *msg)
{
	if (!ok) {
		fprintf(stderr, "fuzz_manifest: %s: %s\n", what, msg ? msg : "");
		abort();
	}
}

static void on_err(void *arg, const char *msg)
{
	struct ctx *c = arg;
	const char *p = msg + strlen(PATH ":");
	char *end;
	long line;

	c->n++;
	check(!strncmp(msg, PATH ":", strlen(PATH ":")), "error without the path", msg);
	check(*p >= '0' && *p <= '9', "error without a line number", msg);
	line = strtol(p, &end, 10);
	check(line >= 1 && line <= c->lines, "error line outside the input", msg);
	check(!strncmp(end, ": ", 2) && end[2], "error not shaped PATH:LINE: message", msg);
	for (const char *q = msg; *q; q++)
		check((unsigned char)*q >= 0x20 && *q != 0x7f, "a raw control character", msg);
}

static void check_manifest(const struct manifest *m, const struct ctx *c)
{
	check(m->nerrors == c->n, "nerrors differs from the callback count", NULL);
	for (int i = 0; i < m->nsvc; i++) {
		const struct svc_conf *s = m->svcs[i];

		check(valid_name(s->name), "kept service with an invalid name", s->name);
		check(s->argv && s->argv[0], "kept service without exec", s->name);
		check(s->line >= 1 && s->line <= c->lines, "service line outside the input",
		      s->name);
		check(s->restart_delay_ms <= s->restart_delay_max_ms, "delay above its ceiling",
		      s->name);
		check(s->start_limit_n >= 1 && s->start_limit_ms >= 1, "bad start limit", s->name);
		check(manifest_find(m, s->name) == s, "service names are not unique", s->name);
		for (int k = 0; s->after && s->after[k]; k++)
			check(manifest_find(m, s->after[k]) && strcmp(s->after[k], s->name),
			      "kept service with a dangling after", s->name);
		for (int k = 0; s->requires && s->requires[k]; k++)
			check(manifest_find(m, s->requires[k]) && strcmp(s->requires[k], s -> name),
			      "kept service with a dangling requires", s->name);
	}
	for (int i = 0; i < m->nmount; i++)
		check(m->mounts[i].what && m->mounts[i].where && m->mounts[i].type,
		      "kept mount without a required key", m->mounts[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = {0};
	struct manifest *m;
	char *text;
	int err = 0;

	if (size > 1 << 20)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* the loader reads up to the first NUL: count lines the same way */
	c.lines = 1;
	for (const char *p = text; *p; p++)
		if (*p == '\n' && p[1])
			c.lines++;
	m = manifest_load_string(text, PATH, on_err, &c, &err);
	if (m) {
		check_manifest(m, &c);
		manifest_free(m);
	} else {
		check(err == ENOMEM, "NULL manifest without ENOMEM", NULL);
	}
	free(text);
	return 0;
}
