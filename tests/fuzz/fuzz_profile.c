// SPDX-License-Identifier: MIT
/*
 * fuzz_profile.c - libFuzzer target over sc_profile_parse(), the reader of
 * `seccomp = FILE` profiles: every error names PATH:LINE inside the input
 * (or the file alone), and a profile it accepts compiles to a filter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>

#include "isolate/seccomp.h"

#define PATH "fuzz.profile"

static void check(bool ok, const char *what, const char *msg)
{
	if (!ok) {
		fprintf(stderr, "fuzz_profile: %s: %s\n", what, msg ? msg : "");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static scmp_filter_ctx ctx;
	struct nerr e = {0};
	char *text;
	int lines = 1, r;

	if (size > 1 << 16)
		return 0;
	if (!ctx)
		ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	r = sc_profile_parse(text, PATH, ctx, &e);
	if (r) {
		const char *p = e.what;

		check(e.err > 0, "an error without an errno", e.what);
		check(!strncmp(p, PATH, strlen(PATH)), "an error without the path", e.what);
		p += strlen(PATH);
		if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
			long line = strtol(p + 1, NULL, 10);

			check(line >= 1 && line <= lines, "an error line outside the input",
			      e.what);
		}
	} else {
		static int null_fd = -1;

		if (null_fd < 0)
			null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		check(seccomp_export_bpf(ctx, null_fd) == 0, "an accepted profile does not compile",
		      NULL);
	}
	free(text);
	return 0;
}
