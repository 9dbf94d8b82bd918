// SPDX-License-Identifier: MIT
/*
 * nltest.c - drives init/net/ (iface.c on nl.c) from tests/integration/
 * netlink.bats, always inside `unshare --net`: never on the host's links.
 *
 *   nltest apply NAME [-m MTU] [-a ADDR/PREFIX]... [-g GATEWAY]
 *   nltest lo
 *   nltest resolv PATH [DNS]...
 *
 * Prints "STEP: MESSAGE" and exits 1 on an error, as stage 1 would log it.
 */
#include "manifest.h"
#include "net/iface.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fail(const struct nerr *e)
{
	fprintf(stderr, "%s: %s\n", e->step, e->what);
	return 1;
}

static int cmd_apply(int argc, char **argv)
{
	struct iface_conf ic = {.line = 1};
	char *addrs[16] = {NULL};
	struct nerr e = {0};
	int na = 0, c;

	while ((c = getopt(argc, argv, "m:a:g:")) != -1) {
		if (c == 'm')
			ic.mtu = (uint32_t)strtoul(optarg, NULL, 10);
		else if (c == 'a' && na < 15)
			addrs[na++] = optarg;
		else if (c == 'g')
			ic.gateway = optarg;
		else
			return 2;
	}
	if (optind != argc - 1)
		return 2;
	snprintf(ic.name, sizeof(ic.name), "%s", argv[optind]);
	ic.address = addrs;
	return iface_apply(&ic, &e) ? fail(&e) : 0;
}

int main(int argc, char **argv)
{
	struct nerr e = {0};

	if (argc >= 2 && !strcmp(argv[1], "apply"))
		return cmd_apply(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "lo"))
		return iface_loopback_up(&e) ? fail(&e) : 0;
	if (argc >= 3 && !strcmp(argv[1], "resolv"))
		return iface_write_resolv(argv + 3, argv[2], &e) ? fail(&e) : 0;
	fprintf(stderr, "usage: nltest apply NAME [-m MTU] [-a ADDR]... [-g GW]\n"
			"       nltest lo\n"
			"       nltest resolv PATH [DNS]...\n");
	return 2;
}
