// SPDX-License-Identifier: MIT
/*
 * audit.c - PID 1 of a machine takes the kernel's audit records (it is the
 * audit daemon, as auditd would be) to see what seccomp did: a call a
 * service's filter denied (the filter is loaded with
 * SECCOMP_FILTER_FLAG_LOG), and each call of a `seccomp = learn` service
 * (its filter answers SECCOMP_RET_LOG). A record names the process by its
 * pid; the service is the one whose process it descends from, or whose
 * cgroup it is in. Denials are counted per service and logged at most
 * AUDIT_LOG_BURST per AUDIT_LOG_WINDOW_MS each; learned calls are kept in
 * the service's set for `nucleusctl seccomp-profile`.
 *
 * The kernel then no longer prints its audit records: the others go into
 * the `kernel` records as it would have printed them. It never waits for
 * us (backlog_wait_time 0): what does not fit its backlog is lost there.
 * Only the initial PID namespace may do this, so only a machine's PID 1.
 */
#include "audit.h"
#include "isolate/cgroup.h"
#include "log.h"
#include "loop.h"
#include "records.h"
#include "service.h"
#include "svc_internal.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define AUDIT_RCVBUF	     (4 << 20)
#define AUDIT_BACKLOG	     8192
#define AUDIT_READS_PER_WAKE 64
#define AUDIT_PER_SECOND     4000
#define AUDIT_LOG_BURST	     5
#define AUDIT_LOG_WINDOW_MS  10000
#define X32_BIT		     0x40000000u

static struct supervisor *audit_sup;
static bool audit_on;

bool audit_running(void)
{
	return audit_on;
}

/* "key=VALUE" in an audit record's text, as a number of @base; false if absent. */
static bool field(const char *text, const char *key, int base, unsigned long long *v)
{
	size_t k = strlen(key);

	for (const char *p = text; (p = strstr(p, key)); p += k) {
		char *end;

		if (p != text && p[-1] != ' ')
			continue;
		*v = strtoull(p + k, &end, base);
		return end != p + k;
	}
	return false;
}

/*
 * The service a process belongs to: its cgroup's, else the one whose session
 * (every run opens one) or whose main process or PID namespace's init it
 * descends from.
 */
static struct service *service_of(struct supervisor *s, pid_t pid)
{
	struct service *svc = NULL;
	pid_t ppid, session;
	char name[65];

	if (!cg_service_of(pid, name, sizeof(name)))
		svc = sup_find(s, name);
	for (int depth = 0; !svc && pid > 1 && depth < 32; depth++, pid = ppid) {
		if (proc_stat_ids(pid, &ppid, &session))
			break;
		for (int i = 0; i < s->nsvc && !svc; i++)
			if (s->svcs[i]->pid == pid ||
			    (s->svcs[i]->sid > 1 && s->svcs[i]->sid == session))
				svc = s->svcs[i];
	}
	return svc;
}

static const char *syscall_name(uint32_t arch, unsigned nr, char *buf, size_t size)
{
	char *name = seccomp_syscall_resolve_num_arch(arch, (int)nr);

	snprintf(buf, size, "%s", name ? name : "?");
	free(name);
	return buf;
}

/* Was a call of this name seen on x86_64? */
static bool seen_native(const struct service *svc, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(AUDIT_ARCH_X86_64, name);

	return nr >= 0 && nr < SC_LEARN_NR && ((svc->sc_seen[nr / 8] >> (nr % 8)) & 1);
}

static void denied(struct service *svc, uint32_t arch, unsigned nr)
{
	uint64_t now = now_ms();
	char name[64];

	svc->sc_denials++;
	if (now - svc->sc_window_ms >= AUDIT_LOG_WINDOW_MS) {
		if (svc->sc_unlogged)
			log_warn("%s: %u more seccomp denials not shown", svc->conf->name,
				 svc->sc_unlogged);
		svc->sc_window_ms = now;
		svc->sc_logged = svc->sc_unlogged = 0;
	}
	if (svc->sc_logged++ < AUDIT_LOG_BURST)
		log_warn("%s: seccomp denied %s (%u)%s", svc->conf->name,
			 syscall_name(arch, nr, name, sizeof(name)), nr,
			 arch == AUDIT_ARCH_I386 ? ", i386" : "");
	else
		svc->sc_unlogged++;
}

/* A call of a learning service: into its set (x86_64 and x32 by number, i386 apart). */
static void learned(struct service *svc, uint32_t arch, unsigned nr)
{
	unsigned bit = (nr & ~X32_BIT) + (arch == AUDIT_ARCH_I386 ? SC_LEARN_NR : 0);

	if (bit >= 2 * SC_LEARN_NR)
		return;
	if (!svc->sc_seen)
		svc->sc_seen = calloc(1, 2 * SC_LEARN_NR / 8);
	if (svc->sc_seen)
		svc->sc_seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* A record no service claims goes into the kernel's, as the kernel would print it. */
static void as_kernel(unsigned type, const char *text, size_t len)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "audit: type=%u %.*s", type, (int)len, text);

	records_add(records_kernel(), "kernel", REC_KERNEL, LOG_NOTICE, line,
		    n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* false: not a service's (the caller keeps it as the kernel's) */
static bool on_seccomp(const char *text)
{
	unsigned long long pid, arch, nr, code;
	struct service *svc;

	if (!field(text, "pid=", 10, &pid) || !field(text, "arch=", 16, &arch) ||
	    !field(text, "syscall=", 10, &nr) || !field(text, "code=", 16, &code))
		return false;
	svc = service_of(audit_sup, (pid_t)pid);
	if (!svc)
		return false;
	if ((code & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG)
		learned(svc, (uint32_t)arch, (unsigned)nr);
	/* ENOSYS is the filter's "not here, use the older call" (clone3), not a denial */
	else if ((code & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW &&
		 !((code & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO &&
		   (code & SECCOMP_RET_DATA) == ENOSYS))
		denied(svc, (uint32_t)arch, (unsigned)nr);
	return true;
}

/* One datagram, one record: the kernel's audit messages put the length of
 * their text alone in nlmsg_len (libaudit knows the quirk), so the text is
 * what the datagram holds after the header. */
static void on_record(const struct nlmsghdr *h, size_t size)
{
	const char *text = NLMSG_DATA(h);
	size_t len = size - NLMSG_HDRLEN;
	char line[1024];

	if (h->nlmsg_type == NLMSG_ERROR) {
		int err = len >= sizeof(int) ? -((const struct nlmsgerr *)NLMSG_DATA(h))->error : 0;

		audit_on = !err;
		if (err)
			log_warn("audit: the kernel refused PID 1 as its audit daemon: %s; seccomp "
				 "denials are not seen",
				 strerror(err));
		return;
	}
	while (len && (text[len - 1] == '\0' || text[len - 1] == '\n'))
		len--;
	if (h->nlmsg_type == AUDIT_SECCOMP) {
		snprintf(line, sizeof(line), "%.*s", (int)len, text);
		if (!on_seccomp(line))
			as_kernel(h->nlmsg_type, text, len);
	} else if (h->nlmsg_type >= AUDIT_FIRST_USER_MSG && h->nlmsg_type != AUDIT_EOE) {
		as_kernel(h->nlmsg_type, text, len); /* what the kernel would have printed */
	}
}

/*
 * A service that makes a denied call in a loop makes a record each time: at
 * most AUDIT_PER_SECOND are read in a second, then the socket rests until
 * the next one and the kernel drops what its backlog cannot hold.
 */
static struct timer audit_rest = {.idx = -1};
static unsigned audit_this_second;
static uint64_t audit_second;
static int audit_fd = -1;

static void on_rested(struct loop *l, void *arg)
{
	(void)arg;
	audit_this_second = 0;
	loop_mod_fd(l, audit_fd, EPOLLIN);
}

static void on_audit(struct loop *l, int fd, uint32_t ev, void *arg)
{
	static char buf[16384];
	uint64_t now = now_ms();

	(void)ev;
	(void)arg;
	if (now / 1000 != audit_second) {
		audit_second = now / 1000;
		audit_this_second = 0;
	}
	for (int i = 0; i < AUDIT_READS_PER_WAKE; i++) {
		if (++audit_this_second > AUDIT_PER_SECOND) {
			loop_mod_fd(l, fd, 0);
			loop_at(l, &audit_rest, (audit_second + 1) * 1000, on_rested, NULL);
			return;
		}
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n <= 0)
			return;
		if ((size_t)n >= NLMSG_HDRLEN)
			on_record((const struct nlmsghdr *)(void *)buf, (size_t)n);
	}
}

int audit_start(struct supervisor *s)
{
	struct {
		struct nlmsghdr nh;
		struct audit_status st;
	} req = {.nh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = AUDIT_SET,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
		 .st = {.mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID |
				AUDIT_STATUS_BACKLOG_LIMIT | AUDIT_STATUS_BACKLOG_WAIT_TIME,
			.enabled = 1,
			.pid = (uint32_t)getpid(),
			.backlog_limit = AUDIT_BACKLOG,
			.backlog_wait_time = 0}};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	int size = AUDIT_RCVBUF, err;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    loop_add_fd(s->loop, fd, EPOLLIN, on_audit, s)) {
		err = errno ? errno : ENOMEM;
		close(fd);
		return -err;
	}
	audit_sup = s;
	audit_fd = fd;
	audit_on = true; /* until the kernel's answer says otherwise */
	return 0;
}

void audit_profile(const struct service *svc, struct strbuf *out)
{
	static const uint32_t arch[2] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};
	unsigned n = 0;
	char name[64];

	for (unsigned bit = 0; svc->sc_seen && bit < 2 * SC_LEARN_NR; bit++)
		n += (svc->sc_seen[bit / 8] >> (bit % 8)) & 1;
	sb_printf(out,
		  "# the system calls %s was seen to make under seccomp = learn (%u);\n"
		  "# for seccomp = FILE: every other call fails with EPERM\n"
		  "default errno\n",
		  svc->conf->name, n);
	for (unsigned bit = 0; svc->sc_seen && bit < 2 * SC_LEARN_NR; bit++) {
		unsigned a = bit / SC_LEARN_NR, nr = bit % SC_LEARN_NR;

		if (!((svc->sc_seen[bit / 8] >> (bit % 8)) & 1))
			continue;
		syscall_name(arch[a], nr, name, sizeof(name));
		/* an i386 call of the same name as one seen on x86_64 is one rule */
		if (a && svc->sc_seen && seen_native(svc, name))
			continue;
		if (strcmp(name, "?"))
			sb_printf(out, "%s\n", name);
		else
			sb_printf(out, "# %s call %u has no name libseccomp knows\n",
				  a ? "i386" : "x86_64", nr);
	}
}
