// SPDX-License-Identifier: MIT
/*
 * fuzz_split.c - libFuzzer target over split_words() and split_list().
 *
 * Checks that the single-allocation result is well formed: argc matches the
 * vector, no word is longer than the input, an error always says why, and
 * words without quotes or backslashes survive a round trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_split: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, **v = NULL, **l = NULL;
	const char *err = NULL;
	int argc = -1, n = -1, r;
	size_t len;

	if (size > 1 << 16)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);

	r = split_words(s, &v, &argc, &err);
	if (r == 0) {
		check(v != NULL, "success without a vector");
		check(err == NULL, "success with an error text");
		check(argc >= 0 && (size_t)argc <= len / 2 + 1, "too many words");
		check(strv_len(v) == argc, "argc differs from the vector");
		for (int i = 0; i < argc; i++)
			check(strlen(v[i]) <= len, "word longer than the input");
		/* plain input: the words are exactly the blank-separated tokens */
		if (!strpbrk(s, "'\"\\")) {
			check(split_list(s, &l, &n) == 0, "split_list failed");
			check(n == argc, "plain input: split_list and split_words disagree");
			for (int i = 0; i < n; i++)
				check(!strcmp(l[i], v[i]), "plain input: words differ");
			free(l);
		}
		free(v);
	} else {
		check(r == -EINVAL || r == -ENOMEM, "unexpected error code");
		check(r == -ENOMEM || err != NULL, "error without a reason");
	}

	l = NULL;
	if (split_list(s, &l, &n) == 0) {
		check(strv_len(l) == n, "list count differs");
		for (int i = 0; i < n; i++)
			check(*l[i] && !strpbrk(l[i], " \t"), "list item empty or with blanks");
		free(l);
	}
	free(s);
	return 0;
}
