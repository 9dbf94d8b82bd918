/* SPDX-License-Identifier: MIT */
/*
 * notify.h - the sd_notify socket of one service.
 *
 * Every service that is told a NOTIFY_SOCKET gets a datagram socket of its
 * own, RUNTIME_DIR/notify/NAME, kept across its restarts. The directory is
 * 0711 and the socket 0600, owned by the service's user (its host id, in a
 * user namespace): on the host only that user and root can send to it; an
 * isolated service reaches it through the bind at /run/nucleus/notify.sock
 * of its private root. A message is taken only from a process the owner
 * accepts (SCM_CREDENTIALS); what is dropped is counted per sender and
 * reported at most once per NOTIFY_LOG_INTERVAL_MS, so a flood costs the
 * sender's datagrams, not PID 1's console.
 */
#ifndef NUCLEUS_NOTIFY_H
#define NUCLEUS_NOTIFY_H

#include "loop.h"

#include <sys/types.h>

#define NOTIFY_LOG_INTERVAL_MS 5000
#define NOTIFY_SENDERS	       4 /* senders named in one report; the rest are counted */

struct notify_msg {
	bool ready, stopping, reloading, watchdog;
	bool has_status, has_mainpid;
	char status[256];
	long mainpid;
};

/* Returns false when @sender is none of the owner's processes: dropped. */
typedef bool (*notify_fn)(void *owner, const struct notify_msg *m, pid_t sender);

struct notifier {
	int fd; /* -1 when closed */
	char path[108];
	char name[65]; /* for the log: the service */
	notify_fn fn;
	void *owner;
	struct loop *loop;
	uint64_t dropped;     /* since the last report */
	uint64_t malformed;   /* of those, too long or without credentials */
	uint64_t last_report; /* ms */
	/* who sent what was dropped since the last report: the first few senders */
	struct {
		pid_t pid;
		uid_t uid;
		uint64_t n;
	} senders[NOTIFY_SENDERS];
	pid_t last_sender;
	uint64_t last_drop;  /* ms: last_sender is turned away again for a second unasked */
	struct timer report; /* reports a count still unreported */
};

void notifier_init(struct notifier *n, struct loop *l, const char *name, notify_fn fn, void *owner);
/* Creates the socket under @runtime_dir/notify (once; later calls keep it). */
int notifier_open(struct notifier *n, const char *runtime_dir);
void notifier_close(struct notifier *n);

/* Parses newline-separated KEY=VALUE assignments; unknown keys are ignored. */
void notify_parse(const char *msg, size_t len, struct notify_msg *out);

#endif
