// SPDX-License-Identifier: MIT
/*
 * events.c - the event bus: one JSON line per event, a few kept for
 * latecomers, handed to every listener.
 */
#include "events.h"
#include "util.h"

#include <stdlib.h>
#include <sys/wait.h>

static struct {
	event_fn fn;
	void *arg;
} listeners[EVENTS_MAX_LISTENERS];

static char *kept[EVENTS_KEPT];
static unsigned kept_next; /* total emitted; the oldest kept is kept_next - EVENTS_KEPT */

int events_listen(event_fn fn, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++) {
		if (!listeners[i].fn) {
			listeners[i].fn = fn;
			listeners[i].arg = arg;
			return 0;
		}
	}
	return -ENOSPC;
}

void events_unlisten(event_fn fn, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++)
		if (listeners[i].fn == fn && listeners[i].arg == arg)
			listeners[i].fn = NULL;
}

static const char *kind_name(enum event_kind k)
{
	switch (k) {
	case EVENT_STATE:
		return "state";
	case EVENT_HEALTH:
		return "health";
	case EVENT_BOOT:
		return "boot";
	default:
		return "shutdown";
	}
}

static void json_field(struct strbuf *sb, const char *key, const char *value)
{
	if (!value)
		return;
	sb_printf(sb, ", \"%s\": ", key);
	sb_json_str(sb, value);
}

void event_json(const struct event *ev, struct strbuf *sb)
{
	sb_printf(sb, "{\"time_ms\": %llu, \"event\": \"%s\"", (unsigned long long)ev->time_ms,
		  kind_name(ev->kind));
	json_field(sb, "service", ev->service);
	json_field(sb, "from", ev->from);
	json_field(sb, "to", ev->to);
	if (ev->has_exit) {
		int st = ev->exit_status;

		if (WIFEXITED(st))
			sb_printf(sb, ", \"exit_status\": %d", WEXITSTATUS(st));
		else
			sb_printf(sb, ", \"exit_status\": \"%s\"", signal_name(WTERMSIG(st)));
	}
	json_field(sb, "error", ev->error);
	json_field(sb, "stage", ev->stage);
	json_field(sb, "action", ev->action);
	json_field(sb, "reason", ev->reason);
	sb_puts(sb, "}");
}

void events_emit(struct event *ev)
{
	struct strbuf sb;
	unsigned slot = kept_next % EVENTS_KEPT;

	if (!ev->time_ms)
		ev->time_ms = now_ms();
	sb_init(&sb);
	event_json(ev, &sb);
	if (sb.oom) {
		sb_free(&sb);
		return;
	}
	free(kept[slot]);
	kept[slot] = strdup(sb.buf);
	kept_next++;
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++)
		if (listeners[i].fn)
			listeners[i].fn(listeners[i].arg, ev, sb.buf, sb.len);
	sb_free(&sb);
}

void events_replay(void (*fn)(void *arg, const char *json, size_t len), void *arg)
{
	unsigned first = kept_next > EVENTS_KEPT ? kept_next - EVENTS_KEPT : 0;

	for (unsigned i = first; i < kept_next; i++) {
		const char *line = kept[i % EVENTS_KEPT];

		if (line)
			fn(arg, line, strlen(line));
	}
}
