// SPDX-License-Identifier: MIT
/*
 * fuzz_notify.c - libFuzzer target over what arrives from a service on its
 * notify socket (notify_parse) and from an http probe (http_status_parse):
 * both are read straight from a process that may be hostile.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "probe.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_notify: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg m;
	int code;

	if (size > 8192)
		return 0;
	notify_parse((const char *)data, size, &m);
	check(memchr(m.status, '\0', sizeof(m.status)) != NULL, "status not terminated");
	check(!m.has_status || strlen(m.status) <= size, "status longer than the message");
	check(!m.has_mainpid || (m.mainpid > 1 && m.mainpid <= 0x3fffffff), "mainpid out of range");
	check(m.has_mainpid || m.mainpid == 0, "mainpid without has_mainpid");
	code = http_status_parse((const char *)data, size);
	check(code == -1 || code == 0 || (code >= 100 && code <= 999), "http status out of range");
	check(code != 0 || (!memchr(data, '\n', size) && size < 512), "incomplete with a newline");
	return 0;
}
