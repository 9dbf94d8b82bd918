// SPDX-License-Identifier: MIT
/*
 * notify.c - a service's sd_notify socket: receive, check credentials,
 * parse, hand to the owner; count and rate-limit what is dropped.
 *
 * A process the owner turned away cannot become one of its own (a session
 * is never joined later), so it is turned away again without asking, for
 * a second: a flood costs PID 1 a recvmsg per datagram.
 */
#include "notify.h"
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* At most this many datagrams per wakeup: one sender cannot hold the loop. */
#define NOTIFY_BATCH 16

void notify_parse(const char *msg, size_t len, struct notify_msg *out)
{
	const char *p = msg, *end = msg + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

#define IS(k) (n >= sizeof(k) - 1 && !memcmp(p, k, sizeof(k) - 1))
		if (n == 7 && IS("READY=1"))
			out->ready = true;
		else if (n == 10 && IS("STOPPING=1"))
			out->stopping = true;
		else if (n == 11 && IS("RELOADING=1"))
			out->reloading = true;
		else if (n == 10 && IS("WATCHDOG=1"))
			out->watchdog = true;
		else if (IS("STATUS=")) {
			size_t k =
				n - 7 < sizeof(out->status) - 1 ? n - 7 : sizeof(out->status) - 1;

			memcpy(out->status, p + 7, k);
			out->status[k] = '\0';
			out->has_status = true;
		} else if (IS("MAINPID=")) {
			char num[16];
			size_t k = n - 8;
			uint64_t v;

			if (k > 0 && k < sizeof(num)) {
				memcpy(num, p + 8, k);
				num[k] = '\0';
				if (!parse_uint(num, 0x3fffffff, &v) && v > 1) {
					out->mainpid = (long)v;
					out->has_mainpid = true;
				}
			}
		}
#undef IS
		p += n + 1;
	}
}

void notifier_init(struct notifier *n, struct loop *l, const char *name, notify_fn fn, void *owner)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->loop = l;
	strlcpy_n(n->name, name, sizeof(n->name));
	n->fn = fn;
	n->owner = owner;
	timer_init(&n->report);
}

/* "pid 12 (uid 0) 3, pid 40 (uid 0) 1, others 7" */
static void senders_text(const struct notifier *n, char *buf, size_t size)
{
	uint64_t named = 0;
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < NOTIFY_SENDERS && n->senders[i].n && o < size; i++) {
		o += (size_t)snprintf(buf + o, size - o, "%spid %d (uid %u) %llu", i ? ", " : "",
				      (int)n->senders[i].pid, (unsigned)n->senders[i].uid,
				      (unsigned long long)n->senders[i].n);
		named += n->senders[i].n;
	}
	if (named < n->dropped && o < size)
		snprintf(buf + o, size - o, ", others %llu",
			 (unsigned long long)(n->dropped - named));
}

static void report_drops(struct notifier *n, uint64_t now)
{
	char who[256];

	if (!n->dropped)
		return;
	senders_text(n, who, sizeof(who));
	if (n->malformed)
		log_warn("%s: %llu notify message%s dropped, %llu of them longer than 4 KiB or "
			 "without credentials: %s",
			 n->name, (unsigned long long)n->dropped, n->dropped == 1 ? "" : "s",
			 (unsigned long long)n->malformed, who);
	else
		log_warn("%s: %llu notify message%s dropped, not from a process of the service: %s",
			 n->name, (unsigned long long)n->dropped, n->dropped == 1 ? "" : "s", who);
	n->dropped = n->malformed = 0;
	memset(n->senders, 0, sizeof(n->senders));
	n->last_report = now;
}

static void on_report(struct loop *l, void *arg)
{
	(void)l;
	report_drops(arg, now_ms());
}

/* Counts one drop for its sender; the first few senders have a slot each. */
static void count_sender(struct notifier *n, pid_t pid, uid_t uid)
{
	for (int i = 0; i < NOTIFY_SENDERS; i++) {
		if (!n->senders[i].n || n->senders[i].pid == pid) {
			n->senders[i].pid = pid;
			n->senders[i].uid = uid;
			n->senders[i].n++;
			return;
		}
	}
}

/*
 * One line at once, then at most one per interval with the counts since.
 * @refused: the owner turned the sender away (not a malformed message).
 */
static void dropped(struct notifier *n, pid_t pid, uid_t uid, bool refused)
{
	uint64_t now = now_ms();

	n->dropped++;
	count_sender(n, pid, uid);
	if (refused) {
		n->last_sender = pid;
		n->last_drop = now;
	} else {
		n->malformed++;
	}
	if (!n->last_report || now - n->last_report >= NOTIFY_LOG_INTERVAL_MS)
		report_drops(n, now);
	else if (!timer_armed(&n->report))
		loop_at(n->loop, &n->report, n->last_report + NOTIFY_LOG_INTERVAL_MS, on_report, n);
}

/* The sender's credentials; passed fds are closed (no fd store). */
static struct ucred *take_cmsgs(struct msghdr *mh)
{
	struct ucred *cred = NULL;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			cred = (struct ucred *)CMSG_DATA(c);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(c);
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t j = 0; j < k; j++)
				close(fds[j]);
		}
	}
	return cred;
}

static void on_notify(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct notifier *n = arg;

	(void)l;
	(void)ev;
	for (int i = 0; i < NOTIFY_BATCH; i++) {
		char buf[4096];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
		} cm;
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = &cm,
				    .msg_controllen = sizeof(cm)};
		struct notify_msg m;
		struct ucred *cred;
		ssize_t got = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

		if (got < 0)
			return;
		cred = take_cmsgs(&mh);
		if ((size_t)got >= sizeof(buf) || !cred || cred->pid <= 0) {
			dropped(n, cred ? cred->pid : -1, cred ? cred->uid : (uid_t)-1, false);
			continue;
		}
		/* a flood from one process costs a recvmsg each, not a /proc read */
		if (cred->pid == n->last_sender && now_ms() - n->last_drop < 1000) {
			dropped(n, cred->pid, cred->uid, true);
			continue;
		}
		notify_parse(buf, (size_t)got, &m);
		if (!n->fn(n->owner, &m, cred->pid))
			dropped(n, cred->pid, cred->uid, true);
	}
}

/* RUNTIME_DIR/notify: traversable by the services' users, listable by none. */
static int notify_dir(const char *runtime_dir, char *dir, size_t size)
{
	int r;

	if ((size_t)snprintf(dir, size, "%s/notify", runtime_dir) >= size)
		return -ENAMETOOLONG;
	r = mkdir_p(dir, 0711);
	if (!r && chmod(dir, 0711) < 0)
		r = -errno;
	return r;
}

int notifier_open(struct notifier *n, const char *runtime_dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	int one = 1, fd, r;
	mode_t old;

	if (n->fd >= 0)
		return 0;
	r = notify_dir(runtime_dir, dir, sizeof(dir));
	if (r)
		return r;
	if ((size_t)snprintf(n->path, sizeof(n->path), "%s/%s", dir, n->name) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, n->path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(n->path);
	/* 0600 from the start: the child hands it to the service's user */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    loop_add_fd(n->loop, fd, EPOLLIN, on_notify, n)) {
		r = -errno;
		close(fd);
		unlink(n->path);
		return r ? r : -ENOMEM;
	}
	n->fd = fd;
	return 0;
}

void notifier_close(struct notifier *n)
{
	if (n->fd < 0)
		return;
	report_drops(n, now_ms());
	loop_cancel(n->loop, &n->report);
	loop_del_fd(n->loop, n->fd);
	close(n->fd);
	unlink(n->path);
	n->fd = -1;
}
