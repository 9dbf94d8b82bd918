// SPDX-License-Identifier: MIT
/*
 * svc_net.c - network = bridge for a service: its address (ipam), the one
 * nftables table of every bridged service, ip_forward while any runs.
 */
#include "svc_internal.h"
#include "net/ipam.h"
#include "net/nft.h"
#include "kmod.h"
#include "log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void ipam_dir(struct supervisor *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s/ipam", s->runtime_dir);
}

/*
 * network = bridge: the address this run gets (kept while the service is
 * up or backing off, remembered under RUNTIME_DIR/ipam for a reload or a
 * restart of nucleus-init), never one another running service holds.
 */
int svc_net_assign(struct service *svc, struct nerr *e)
{
	struct supervisor *s = svc->sup;
	const struct svc_conf *c = svc->conf;
	struct ipam_net net;
	uint32_t *taken, want = 0, prev = svc->net.addr, addr;
	const char *holder = NULL;
	char dir[4096], txt[16];
	int ntaken = 0, r;

	if (ipam_parse_subnet(c->subnet ? c->subnet : "10.88.0.0/16", &net))
		return nerr_set(e, "subnet", EINVAL, "%s: not an IPv4 subnet", c->subnet);
	if (c->address) {
		struct in_addr a;

		inet_pton(AF_INET, c->address, &a);
		want = ntohl(a.s_addr);
	}
	taken = calloc((size_t)s->nsvc + 1, sizeof(*taken));
	if (!taken)
		return nerr_set(e, "address", ENOMEM, "out of memory");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *o = s->svcs[i];

		if (o == svc || !o->net.addr)
			continue;
		if (o->net.addr == want)
			holder = o->conf->name;
		taken[ntaken++] = o->net.addr;
	}
	ipam_dir(s, dir, sizeof(dir));
	if (!prev)
		ipam_load(dir, c->name, &prev);
	r = ipam_pick(&net, c->name, want, prev, taken, ntaken, &addr);
	free(taken);
	if (r == -EADDRINUSE)
		return nerr_set(e, "address", EADDRINUSE, "%s is in use by %s", c->address,
				holder ? holder : "another service");
	if (r == -EINVAL)
		return nerr_set(e, "address", EINVAL, "%s is not a host address of %s", c->address,
				c->subnet ? c->subnet : "10.88.0.0/16");
	if (r)
		return nerr_set(e, "address", -r, "no free address left in %s",
				c->subnet ? c->subnet : "10.88.0.0/16");
	svc->net.bridge = c->bridge ? c->bridge : "nucleus0";
	svc->net.addr = addr;
	svc->net.gw = ipam_gateway(&net);
	svc->net.prefix = net.prefix;
	if ((r = ipam_save(dir, c->name, addr)) < 0)
		log_warn("%s: remembering address %s under %s: %s", c->name, ipam_str(addr, txt),
			 dir, strerror(-r));
	return 0;
}

/* The nameservers of the [interface] sections: what bridged services use. */
char **sup_dns_servers(struct supervisor *s)
{
	static char *list[16];
	int n = 0;

	for (int i = 0; s->m && i < s->m->niface; i++)
		for (int k = 0; s->m->ifaces[i].dns && s->m->ifaces[i].dns[k] && n < 15; k++)
			list[n++] = s->m->ifaces[i].dns[k];
	list[n] = NULL;
	return list;
}

static void write_sysctl(const char *path, const char *v)
{
	int r = write_text(AT_FDCWD, path, v);

	if (r < 0)
		log_warn("%s: %s", path, strerror(-r));
}

/* ip_forward on while a bridged service runs, as it was before once none does. */
static void forwarding(struct supervisor *s, bool on)
{
	static const char path[] = "/proc/sys/net/ipv4/ip_forward";

	if (on && !s->fwd_saved) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, s->fwd_old, sizeof(s->fwd_old) - 1) : -1;

		if (fd >= 0)
			close(fd);
		s->fwd_old[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			snprintf(s->fwd_old, sizeof(s->fwd_old), "0");
		write_sysctl(path, "1");
		s->fwd_saved = true;
	} else if (!on && s->fwd_saved) {
		write_sysctl(path, s->fwd_old);
		s->fwd_saved = false;
	}
}

/*
 * Egress rules hold between services on one bridge too: the bridge hands
 * its frames to the IPv4 hooks (br_netfilter, bridge-nf-call-iptables in
 * our network namespace), where the rules of table inet nucleus see them.
 * A machine's init loads br_netfilter for it; said once when it cannot be.
 */
static void bridge_filtered(struct supervisor *s)
{
	static const char path[] = "/proc/sys/net/bridge/bridge-nf-call-iptables";
	struct nerr e;
	int r;

	if (s->mode == MODE_MACHINE && access(path, F_OK))
		kmod_load("br_netfilter", NULL, &e);
	r = write_text(AT_FDCWD, path, "1");
	if (r < 0 && !s->brnf_missing)
		log_warn("egress: %s: %s; traffic between services on one bridge is not filtered",
			 path, strerror(-r));
	s->brnf_missing = r < 0;
}

/*
 * The nftables table for the bridged services that hold an address now;
 * applied only when it changed. Without nft, services that ask for
 * nothing but a bridge still run (without NAT); publish and egress fail.
 */
int sup_net_sync(struct supervisor *s, struct nerr *e)
{
	struct nft_svc *v = calloc((size_t)s->nsvc + 1, sizeof(*v));
	struct strbuf sb;
	bool egress = false;
	int n = 0, r;

	if (!v)
		return nerr_set(e, "network", ENOMEM, "out of memory");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *o = s->svcs[i];
		const struct svc_conf *c = o->conf;

		if (!o->net.addr)
			continue;
		v[n] = (struct nft_svc){.name = c->name,
					.bridge = o->net.bridge,
					.addr = o->net.addr,
					.publish = c->publish,
					.egress = c->egress,
					.egress_log = c->egress_log};
		ipam_parse_subnet(c->subnet ? c->subnet : "10.88.0.0/16", &v[n].net);
		if (c->egress)
			egress = true;
		n++;
	}
	forwarding(s, n > 0);
	if (egress)
		bridge_filtered(s);
	sb_init(&sb);
	r = nft_render(v, n, sup_dns_servers(s), &sb);
	if (r) {
		sb_free(&sb);
		free(v);
		return nerr_set(e, "network", -r, "nftables ruleset: %s", strerror(-r));
	}
	if ((s->nft_last && !strcmp(s->nft_last, sb.buf)) || (!s->nft_last && n == 0)) {
		sb_free(&sb);
		free(v);
		return 0;
	}
	r = nft_apply(sb.buf, e);
	if (r == -ENOENT && !nft_required(v, n)) {
		if (!s->nft_missing)
			log_warn("%s: bridged services run without NAT", e->what);
		s->nft_missing = true;
		r = 0;
	} else if (!r) {
		free(s->nft_last);
		s->nft_last = n ? strdup(sb.buf) : NULL;
	}
	sb_free(&sb);
	free(v);
	return r;
}

/* A service that is down gives its address (and its rules) back. */
void svc_net_release(struct service *svc)
{
	struct nerr e = {0};
	char dir[4096];

	if (!svc->net.addr)
		return;
	ipam_dir(svc->sup, dir, sizeof(dir));
	ipam_forget(dir, svc->conf->name);
	svc->net.addr = 0;
	if (sup_net_sync(svc->sup, &e))
		log_err("%s: removing its network rules: %s", svc->conf->name, e.what);
}
