// SPDX-License-Identifier: MIT
/*
 * require.c - [system] require: the kernel features a manifest will not run
 * without (cgroup2, landlock, seccomp, lockdown=LEVEL, nftables), checked
 * once before the first service starts. One missing is an error that names
 * it; then, by on_unmet, the machine powers off before anything runs
 * (outside a machine nucleus-init exits with status 1), or it stays up with
 * no service started, its control port answering, saying why.
 */
#include "require.h"
#include "isolate/cgroup.h"
#include "isolate/landlock.h"
#include "log.h"
#include "service.h"
#include "util.h"

#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOCKDOWN_FILE "/sys/kernel/security/lockdown"

static struct {
	bool checked, met;
	bool cgroup2, seccomp, nftables;
	int landlock_abi; /* 0: none */
	int lockdown;	  /* LOCKDOWN_*, or -1: no lockdown LSM to ask */
	char unmet[400];
} req;

static const char *const lockdown_names[] = {"none", "integrity", "confidentiality"};

/* The filter mode with the actions a profile uses: what seccomp = default needs. */
static bool have_seccomp(void)
{
	unsigned action = SECCOMP_RET_ERRNO;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* "none [integrity] confidentiality": the one in brackets is in force. */
static int lockdown_level(bool machine)
{
	char buf[128];
	ssize_t n = read_small(LOCKDOWN_FILE, buf, sizeof(buf));

	/* a machine's init may mount securityfs; elsewhere it is the host's */
	if (n == -ENOENT && machine &&
	    mount("securityfs", "/sys/kernel/security", "securityfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		n = read_small(LOCKDOWN_FILE, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return strstr(buf, "[confidentiality]") ? LOCKDOWN_CONFIDENTIALITY
	       : strstr(buf, "[integrity]")	? LOCKDOWN_INTEGRITY
						: LOCKDOWN_NONE;
}

/* nf_tables answers a generation request (the module loaded on demand). */
static bool have_nftables(void)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} q = {.nh = {.nlmsg_len = sizeof(q),
		      .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
		      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		      .nlmsg_seq = 1},
	       .nf = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0}};
	char buf[1024];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	bool ok = false;
	ssize_t n;

	if (fd < 0)
		return false;
	if (send(fd, &q, sizeof(q), 0) == (ssize_t)sizeof(q) && poll(&p, 1, 2000) == 1 &&
	    (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= (ssize_t)sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const void *)buf;

		ok = h->nlmsg_type != NLMSG_ERROR ||
		     (n >= (ssize_t)NLMSG_LENGTH(sizeof(int)) &&
		      ((const struct nlmsgerr *)NLMSG_DATA(h))->error == 0);
	}
	close(fd);
	return ok;
}

static void unmet(const char *what)
{
	size_t o = strlen(req.unmet);

	if (o < sizeof(req.unmet) - 2)
		snprintf(req.unmet + o, sizeof(req.unmet) - o, "%s%s", o ? "; " : "", what);
}

/* What the manifest requires, looked for; req.unmet says what is missing. */
static void look(const struct sys_conf *sys, bool machine)
{
	char why[200];

	req.cgroup2 = cg_available();
	req.landlock_abi = landlock_abi();
	req.seccomp = have_seccomp();
	req.lockdown = (sys->require & REQ_LOCKDOWN) ? lockdown_level(machine) : -1;
	req.nftables = (sys->require & REQ_NFTABLES) && have_nftables();
	if ((sys->require & REQ_CGROUP2) && !req.cgroup2) {
		snprintf(why, sizeof(why), "cgroup2: %s", cg_why());
		unmet(why);
	}
	if ((sys->require & REQ_LANDLOCK) && !req.landlock_abi)
		unmet("landlock: the kernel has no Landlock (not built, or not in lsm=)");
	if ((sys->require & REQ_SECCOMP) && !req.seccomp)
		unmet("seccomp: the kernel has no seccomp filters");
	if ((sys->require & REQ_LOCKDOWN) && req.lockdown < sys->require_lockdown) {
		snprintf(why, sizeof(why), "lockdown=%s: %s", lockdown_names[sys->require_lockdown],
			 req.lockdown < 0 ? "no lockdown LSM to ask (" LOCKDOWN_FILE ")"
					  : lockdown_names[req.lockdown]);
		unmet(why);
	}
	if ((sys->require & REQ_NFTABLES) && !req.nftables)
		unmet("nftables: nf_tables does not answer");
}

bool require_check(struct supervisor *s)
{
	const struct sys_conf *sys = &s->m->sys;

	/* nothing asked, nothing probed (no netlink round trip, no securityfs) */
	if (!sys->require)
		return true;
	req.checked = true;
	req.unmet[0] = '\0';
	look(sys, s->mode == MODE_MACHINE);
	req.met = !req.unmet[0];
	if (req.met) {
		log_info("require: every required kernel feature is there");
		return true;
	}
	log_err("require: not met: %s; %s", req.unmet,
		sys->on_unmet == POWER_STAY ? "no service starts (on_unmet = stay)"
		: s->mode == MODE_MACHINE   ? "powering off before any service starts"
					    : "stopping before any service starts");
	return false;
}

void require_status_json(struct supervisor *s, struct strbuf *sb)
{
	const struct sys_conf *sys = &s->m->sys;
	static const char *const names[] = {"cgroup2", "landlock", "seccomp", "lockdown",
					    "nftables"};
	bool first = true;

	sb_puts(sb, ", \"require\": ");
	if (!sys->require || !req.checked) {
		sb_puts(sb, "null");
		return;
	}
	sb_puts(sb, "{\"required\": [");
	for (unsigned k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (!(sys->require & (1u << k)))
			continue;
		sb_printf(sb, "%s\"%s%s%s\"", first ? "" : ", ", names[k], k == 3 ? "=" : "",
			  k == 3 ? lockdown_names[sys->require_lockdown] : "");
		first = false;
	}
	sb_printf(sb,
		  "], \"found\": {\"cgroup2\": %s, \"landlock\": %d, \"seccomp\": %s, "
		  "\"lockdown\": ",
		  req.cgroup2 ? "true" : "false", req.landlock_abi, req.seccomp ? "true" : "false");
	if (req.lockdown < 0)
		sb_puts(sb, "null");
	else
		sb_printf(sb, "\"%s\"", lockdown_names[req.lockdown]);
	/* lockdown and nftables are asked for only when required: null otherwise */
	sb_printf(sb, ", \"nftables\": %s}, \"met\": %s, \"unmet\": ",
		  !(sys->require & REQ_NFTABLES) ? "null"
		  : req.nftables		 ? "true"
						 : "false",
		  req.met ? "true" : "false");
	if (req.met)
		sb_puts(sb, "null}");
	else {
		sb_json_str(sb, req.unmet);
		sb_puts(sb, "}");
	}
}
