// SPDX-License-Identifier: MIT
/*
 * notify_up.c - readiness to whoever started nucleus-init: outside machine
 * mode, with NOTIFY_SOCKET set (systemd's Type=notify, podman run
 * --sdnotify=container), READY=1 once every service settled, STATUS= with
 * a summary whenever it changes, STOPPING=1 when the shutdown starts.
 *
 * A listener of the event bus; datagrams are sent without waiting, and a
 * manager that does not take them costs those messages only.
 */
#include "notify_up.h"
#include "events.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int up_fd = -1;
static struct sockaddr_un up_addr;
static socklen_t up_len;
static struct supervisor *up_sup;
static char last_status[160];
static bool warned;

static void up_send(const char *msg)
{
	if (sendto(up_fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&up_addr, up_len) < 0 &&
	    !warned) {
		warned = true;
		log_warn("NOTIFY_SOCKET: %s (said once)", strerror(errno));
	}
}

/* "3 services: 2 ready, 1 starting": the states there are, in their order. */
void notify_up_summary(struct supervisor *s, char *buf, size_t size)
{
	int count[ST_FAILED + 1] = {0};
	size_t o;

	for (int i = 0; i < s->nsvc; i++)
		count[s->svcs[i]->state]++;
	o = (size_t)snprintf(buf, size, "%d service%s", s->nsvc, s->nsvc == 1 ? "" : "s");
	for (int st = ST_STOPPED, first = 1; st <= ST_FAILED && o < size; st++) {
		if (!count[st])
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%d %s", first ? ": " : ", ", count[st],
				      svc_state_name(st));
		first = 0;
	}
}

static void status_if_changed(const char *extra)
{
	char now[160], msg[200];

	notify_up_summary(up_sup, now, sizeof(now));
	if (!extra && !strcmp(now, last_status))
		return;
	strlcpy_n(last_status, now, sizeof(last_status));
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", extra ? extra : "", now);
	up_send(msg);
}

static void on_event(void *arg, const struct event *ev, const char *json, size_t len)
{
	(void)arg;
	(void)json;
	(void)len;
	if (ev->kind == EVENT_BOOT && !strcmp(ev->stage, "settled"))
		status_if_changed("READY=1\n");
	else if (ev->kind == EVENT_SHUTDOWN)
		up_send("STOPPING=1");
	else if (ev->kind == EVENT_STATE)
		status_if_changed(NULL);
}

void notify_up_open(struct supervisor *s)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	if (s->mode == MODE_MACHINE || !path || !*path || up_fd >= 0)
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(up_addr.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not a socket path; not notifying", path);
		return;
	}
	up_addr.sun_family = AF_UNIX;
	memcpy(up_addr.sun_path, path, n);
	if (path[0] == '@')
		up_addr.sun_path[0] = '\0'; /* abstract */
	up_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	up_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (up_fd < 0 || events_listen(on_event, NULL)) {
		log_warn("NOTIFY_SOCKET: %s", strerror(errno));
		return;
	}
	up_sup = s;
	/* it is ours: the services get their own */
	unsetenv("NOTIFY_SOCKET");
	log_debug("NOTIFY_SOCKET %s: READY=1 once every service settled", path);
}
