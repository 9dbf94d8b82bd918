/* SPDX-License-Identifier: MIT */
/*
 * events.h - the one event bus: service state and health changes, boot
 * milestones, the start of the shutdown.
 *
 * Producers describe what happened and never learn who listens; each event
 * is formatted once as the JSON line `nucleusctl events` prints and handed
 * to every listener (the control sessions, NOTIFY_SOCKET upward). A
 * listener must not block: each keeps its own bounded queue and counts
 * what it drops. The last EVENTS_KEPT lines are kept for `events --replay`.
 */
#ifndef NUCLEUS_EVENTS_H
#define NUCLEUS_EVENTS_H

#include "nucleus.h"

enum event_kind { EVENT_STATE, EVENT_HEALTH, EVENT_BOOT, EVENT_SHUTDOWN };

struct event {
	enum event_kind kind;
	uint64_t time_ms;    /* CLOCK_MONOTONIC: since boot */
	const char *service; /* state, health */
	const char *from;    /* state or health names */
	const char *to;
	bool has_exit;	    /* state: the service's process just ended */
	int exit_status;    /* its wait status */
	const char *error;  /* state: the service's error, when it has one */
	const char *stage;  /* boot: "stage1", "settled" */
	const char *action; /* shutdown: "poweroff", "reboot", "halt" */
	const char *reason; /* shutdown: why */
};

#define EVENTS_KEPT	     64
#define EVENTS_MAX_LISTENERS 8

/* @json: the line, without its newline; valid during the call. */
typedef void (*event_fn)(void *arg, const struct event *ev, const char *json, size_t len);

int events_listen(event_fn fn, void *arg);
void events_unlisten(event_fn fn, void *arg);
/* Fills in the time when it is 0, formats, keeps and hands out @ev. */
void events_emit(struct event *ev);
/* The kept lines, oldest first. */
void events_replay(void (*fn)(void *arg, const char *json, size_t len), void *arg);
/* The JSON line of @ev, appended to @sb (exposed for unit tests). */
struct strbuf;
void event_json(const struct event *ev, struct strbuf *sb);

#endif
