// SPDX-License-Identifier: MIT
/*
 * nft.c - the nftables side of bridged services.
 *
 * The whole table is rendered from the services that run now and replaced
 * in one transaction ("table; delete table; table { ... }" in one nft -f),
 * so there is never a moment with half the rules, and a stopped service's
 * rules are simply not in the next version. Egress rules match on the
 * service's address in the input (to this host) and forward (beyond it)
 * hooks; traffic between services on the same bridge is switched, not
 * routed, and reaches the forward hook through br_netfilter (svc_net.c
 * turns bridge-nf-call-iptables on wherever a service has egress).
 */
#include "net/nft.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

bool nft_required(const struct nft_svc *svcs, int n)
{
	for (int i = 0; i < n; i++)
		if (svcs[i].publish || svcs[i].egress)
			return true;
	return false;
}

/* [ADDR:]HOSTPORT:PORT[/tcp|/udp]: on ADDR only, or on every local address. */
static void render_publish(const struct nft_svc *s, struct strbuf *out)
{
	char addr[16];

	ipam_str(s->addr, addr);
	for (int i = 0; s->publish && s->publish[i]; i++) {
		char item[64], *host, *to, *on = NULL;
		const char *proto;

		snprintf(item, sizeof(item), "%s", s->publish[i]);
		proto = l4proto_cut(item);
		to = strrchr(item, ':');
		if (!to)
			continue;
		*to++ = '\0';
		host = strrchr(item, ':');
		if (host) {
			*host++ = '\0';
			on = item;
		} else {
			host = item;
		}
		if (on)
			sb_printf(out, "\t\tip daddr %s %s dport %s dnat ip to %s:%s\n", on,
				  proto ? proto : "tcp", host, addr, to);
		else
			sb_printf(out, "\t\tfib daddr type local %s dport %s dnat ip to %s:%s\n",
				  proto ? proto : "tcp", host, addr, to);
	}
}

/* One allowed destination: CIDR[:PORT][/tcp|/udp]. */
static void render_allow(const char *addr, const char *egress, struct strbuf *out)
{
	char item[64], *port;
	const char *proto;

	snprintf(item, sizeof(item), "%s", egress);
	proto = l4proto_cut(item);
	port = strchr(item, ':');
	if (port)
		*port++ = '\0';
	sb_printf(out, "\t\tip saddr %s ip daddr %s", addr, item);
	if (port && proto)
		sb_printf(out, " %s dport %s", proto, port);
	else if (port)
		sb_printf(out, " meta l4proto { tcp, udp } th dport %s", port);
	else if (proto)
		sb_printf(out, " meta l4proto %s", proto);
	sb_puts(out, " accept\n");
}

/* One chain's egress rules for service @s. */
static void render_egress(const struct nft_svc *s, char *const *dns, struct strbuf *out)
{
	char addr[16];

	if (!s->egress)
		return;
	ipam_str(s->addr, addr);
	sb_printf(out, "\t\tip saddr %s ct state established,related accept\n", addr);
	for (int i = 0; dns && dns[i]; i++)
		if (!strchr(dns[i], ':'))
			sb_printf(out,
				  "\t\tip saddr %s ip daddr %s meta l4proto { tcp, udp } th "
				  "dport 53 accept\n",
				  addr, dns[i]);
	for (int i = 0; s->egress[i]; i++)
		if (strcmp(s->egress[i], "none"))
			render_allow(addr, s->egress[i], out);
	/* what is dropped is said, at most 5 a second, the service named */
	if (s->egress_log)
		sb_printf(out,
			  "\t\tip saddr %s limit rate 5/second burst 10 packets log prefix "
			  "\"nucleus egress %s: \" level info\n",
			  addr, s->name);
	sb_printf(out, "\t\tip saddr %s drop\n", addr);
}

/* Masquerade once per (bridge, subnet). */
static void render_masquerade(const struct nft_svc *svcs, int n, struct strbuf *out)
{
	for (int i = 0; i < n; i++) {
		char net[16];
		bool seen = false;

		for (int k = 0; k < i; k++)
			if (svcs[k].net.net == svcs[i].net.net &&
			    svcs[k].net.prefix == svcs[i].net.prefix &&
			    !strcmp(svcs[k].bridge, svcs[i].bridge))
				seen = true;
		if (seen)
			continue;
		ipam_str(svcs[i].net.net, net);
		sb_printf(out, "\t\tip saddr %s/%d oifname != \"%s\" masquerade\n", net,
			  svcs[i].net.prefix, svcs[i].bridge);
		/* a published port reached from the host itself (127.0.0.1) */
		sb_printf(out, "\t\tip saddr 127.0.0.0/8 ip daddr %s/%d masquerade\n", net,
			  svcs[i].net.prefix);
	}
}

int nft_render(const struct nft_svc *svcs, int n, char *const *dns, struct strbuf *out)
{
	static const char *const hooks[] = {"input", "forward"};

	/* create-if-missing then delete: the new table replaces any old one */
	sb_puts(out, "table inet nucleus\ndelete table inet nucleus\n");
	if (n == 0)
		return out->oom ? -ENOMEM : 0;
	sb_puts(out, "table inet nucleus {\n"
		     "\tchain prerouting {\n"
		     "\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	for (int i = 0; i < n; i++)
		render_publish(&svcs[i], out);
	sb_puts(out, "\t}\n\tchain output {\n"
		     "\t\ttype nat hook output priority -100; policy accept;\n");
	for (int i = 0; i < n; i++)
		render_publish(&svcs[i], out);
	sb_puts(out, "\t}\n\tchain postrouting {\n"
		     "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	render_masquerade(svcs, n, out);
	sb_puts(out, "\t}\n");
	for (size_t h = 0; h < ARRAY_SIZE(hooks); h++) {
		sb_printf(out,
			  "\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n",
			  hooks[h], hooks[h]);
		for (int i = 0; i < n; i++)
			render_egress(&svcs[i], dns, out);
		sb_puts(out, "\t}\n");
	}
	sb_puts(out, "}\n");
	return out->oom ? -ENOMEM : 0;
}

static const char *nft_path(void)
{
	static const char *const where[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft",
					    "/bin/nft"};

	for (size_t i = 0; i < ARRAY_SIZE(where); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* The child: the ruleset on stdin, nft's messages into the pipe. */
static void __attribute__((noreturn)) run_nft(const char *nft, int in, int out)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	execl(nft, "nft", "-f", "-", (char *)NULL);
	_exit(127);
}

/* Waits for @pid at most @ms: a pidfd and poll, no busy loop. */
static int wait_bounded(pid_t pid, int ms, int *status)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (fd >= 0) {
		int r = poll(&p, 1, ms);

		close(fd);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
	}
	return waitpid(pid, status, 0) < 0 ? -errno : 0;
}

int nft_apply(const char *text, struct nerr *e)
{
	const char *nft = nft_path();
	int in, out[2], st = 0, r;
	char msg[200] = "";
	ssize_t n;
	pid_t pid;

	if (!nft)
		return nerr_set(e, "network", ENOENT,
				"nft: not found (nftables is needed for "
				"NAT, publish and egress)");
	/* the ruleset in memory, as nft's stdin: nothing can block on a pipe */
	in = memfd_create("nucleus-nft", MFD_CLOEXEC);
	if (in < 0 || write(in, text, strlen(text)) != (ssize_t)strlen(text) ||
	    lseek(in, 0, SEEK_SET) < 0) {
		r = errno;
		if (in >= 0)
			close(in);
		return nerr_set(e, "network", r, "nft: the ruleset: %s", strerror(r));
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = errno;
		close(in);
		return nerr_set(e, "network", r, "nft: pipe: %s", strerror(r));
	}
	pid = fork();
	if (pid == 0)
		run_nft(nft, in, out[1]);
	close(in);
	close(out[1]);
	if (pid < 0) {
		r = errno;
		close(out[0]);
		return nerr_set(e, "network", r, "nft: fork: %s", strerror(r));
	}
	r = wait_bounded(pid, 5000, &st);
	n = read(out[0], msg, sizeof(msg) - 1);
	close(out[0]);
	msg[n > 0 ? n : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (r == -ETIMEDOUT)
		return nerr_set(e, "network", ETIMEDOUT, "nft -f: no answer within 5 s");
	if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return nerr_set(e, "network", EIO, "nft -f: %s", msg[0] ? msg : "failed");
	return 0;
}
