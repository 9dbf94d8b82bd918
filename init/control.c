// SPDX-License-Identifier: MIT
/*
 * control.c - the commands of the control protocol, whatever stream they
 * came over (ctl_link.c): one-shot ones answer at once; start, stop and
 * restart once the service settles (unless --no-block); `wait` once every
 * name is in its state; `events` follows the bus; `exec` is ctl_exec.c's, `logs` ctl_logs.c's.
 * Every wait is a state change or a timer: nothing polls.
 */
#include "ctl_int.h"
#include "audit.h"
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

struct ctl_wait {
	char **names;
	int n;
	bool any_state; /* --state given */
	enum svc_state want;
	struct timer deadline;
	uint64_t timeout_ms;
	struct ctl_chan *ch;
};

static void say(struct ctl_chan *ch, enum frame_type t, const char *fmt, ...) PRINTF(3, 4);

static void say(struct ctl_chan *ch, enum frame_type t, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		chan_write(ch, t, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A one-shot answer: @body on stdout, then the code. */
static void answer(struct ctl_chan *ch, int code, struct strbuf *body)
{
	if (body->oom) {
		say(ch, F_ERR, "out of memory\n");
		code = 1;
	} else if (body->len) {
		chan_write(ch, code ? F_ERR : F_OUT, body->buf, body->len);
	}
	chan_exit(ch, code);
}

/* ---- start, stop, restart: the answer waits until the service settles ---- */

static bool settled(const struct service *svc, int kind, int *code)
{
	switch (kind) {
	case WAIT_START:
		*code = svc->state == ST_FAILED ? 1 : 0;
		return svc->state == ST_READY || svc->state == ST_EXITED ||
		       svc->state == ST_FAILED || (svc->state == ST_STOPPED && !svc->want_up) ||
		       (svc->state == ST_STOPPED && svc->dep_blocked) || svc->removed;
	case WAIT_STOP:
		*code = 0;
		return svc->state == ST_STOPPED || svc->state == ST_EXITED ||
		       svc->state == ST_FAILED || svc->removed;
	default:
		*code = 0;
		return true;
	}
}

static void answer_settled(struct ctl_chan *ch, int code)
{
	struct service *svc = ch->svc;

	say(ch, code ? F_ERR : F_OUT, "%s: %s%s%s\n", svc->conf->name, svc_state_name(svc->state),
	    svc->error[0] ? ": " : "", svc->error);
	chan_exit(ch, code);
}

static int cmd_service(struct ctl_chan *ch, char **w, int n, bool no_block, struct strbuf *out)
{
	struct service *svc;
	int r, code;

	if (n != 2) {
		sb_puts(out, "usage: start|stop|restart NAME\n");
		return 2;
	}
	svc = sup_find(ctl_sup, w[1]);
	if (!svc || svc->removed) {
		sb_printf(out, "%s: no service named '%s'\n", w[0], w[1]);
		return 1;
	}
	/* a required mount, the root or a required kernel feature is missing */
	if (strcmp(w[0], "stop") && ctl_sup->boot_stopped) {
		sb_printf(out, "%s %s: the boot is stopped: no service starts (the log says why)\n",
			  w[0], w[1]);
		return 1;
	}
	if (!strcmp(w[0], "start"))
		r = svc_cmd_start(svc);
	else if (!strcmp(w[0], "stop"))
		r = svc_cmd_stop(svc);
	else
		r = svc_cmd_restart(svc);
	if (r) {
		sb_printf(out, "%s %s: %s\n", w[0], w[1], strerror(-r));
		return 1;
	}
	if (no_block) {
		sb_printf(out, "%s: %s\n", w[1], svc_state_name(svc->state));
		return 0;
	}
	ch->kind = CH_SETTLE;
	ch->svc = svc;
	ch->settle_kind = !strcmp(w[0], "stop") ? WAIT_STOP : WAIT_START;
	if (settled(svc, ch->settle_kind, &code))
		answer_settled(ch, code);
	return -1; /* answered, now or later */
}

/* `seccomp-profile NAME`: what a `seccomp = learn` service was seen to call. */
static int cmd_seccomp_profile(char **w, int n, struct strbuf *out)
{
	struct service *svc = n == 2 ? sup_find(ctl_sup, w[1]) : NULL;

	if (n != 2) {
		sb_puts(out, "usage: seccomp-profile NAME\n");
		return 2;
	}
	if (!svc || svc->removed) {
		sb_printf(out, "seccomp-profile: no service named '%s'\n", w[1]);
		return 1;
	}
	if (!svc->conf->seccomp || strcmp(svc->conf->seccomp, "learn")) {
		sb_printf(out, "seccomp-profile: %s does not run with seccomp = learn\n", w[1]);
		return 1;
	}
	if (!audit_running()) {
		sb_puts(out, "seccomp-profile: the kernel's audit records are not taken here (only "
			     "PID 1 of a machine takes them)\n");
		return 1;
	}
	audit_profile(svc, out);
	return 0;
}

/* ---- wait ---- */

static void wait_free(struct ctl_chan *ch)
{
	struct ctl_wait *wt = ch->wait;

	if (!wt)
		return;
	loop_cancel(ctl_sup->loop, &wt->deadline);
	for (int i = 0; i < wt->n; i++)
		free(wt->names[i]);
	free(wt->names);
	free(wt);
	ch->wait = NULL;
}

static void wait_end(struct ctl_chan *ch, int code)
{
	wait_free(ch);
	chan_exit(ch, code);
}

/*
 * Where @svc stands for the wait: 1 there, 0 not yet, -1 never without
 * help (failed, or a longrun that exited while ready was wanted).
 */
static int wait_verdict(const struct ctl_wait *wt, const struct service *svc)
{
	bool oneshot = svc->conf->type == SVC_ONESHOT;
	enum svc_state want = wt->any_state ? wt->want : oneshot ? ST_EXITED : ST_READY;
	bool ok_exit = svc->has_status && WIFEXITED(svc->last_status) &&
		       WEXITSTATUS(svc->last_status) == 0;

	if (svc->state == want)
		/* a oneshot waited for by default must have succeeded */
		return wt->any_state || !oneshot || ok_exit ? 1 : -1;
	if (svc->state == ST_FAILED)
		return -1;
	if (want == ST_READY && svc->state == ST_EXITED)
		return -1;
	return 0;
}

static void wait_check(struct ctl_chan *ch)
{
	struct ctl_wait *wt = ch->wait;
	bool all = true;

	for (int i = 0; i < wt->n; i++) {
		struct service *svc = sup_find(ctl_sup, wt->names[i]);
		int v;

		if (!svc || svc->removed) {
			say(ch, F_ERR, "wait: no service named '%s'\n", wt->names[i]);
			wait_end(ch, 1);
			return;
		}
		v = wait_verdict(wt, svc);
		if (v < 0) {
			say(ch, F_ERR, "%s: %s%s%s\n", svc->conf->name, svc_state_name(svc->state),
			    svc->error[0] ? ": " : "", svc->error);
			wait_end(ch, 1);
			return;
		}
		all &= v > 0;
	}
	if (all)
		wait_end(ch, 0);
}

static void on_wait_timeout(struct loop *l, void *arg)
{
	struct ctl_chan *ch = arg;
	struct ctl_wait *wt = ch->wait;

	(void)l;
	for (int i = 0; i < wt->n; i++) {
		struct service *svc = sup_find(ctl_sup, wt->names[i]);

		if (svc && wait_verdict(wt, svc) == 0) {
			say(ch, F_ERR, "wait: timed out after %llums: %s is %s%s%s\n",
			    (unsigned long long)wt->timeout_ms, svc->conf->name,
			    svc_state_name(svc->state), svc->error[0] ? ": " : "", svc->error);
			break;
		}
	}
	wait_end(ch, 2);
}

static int state_by_name(const char *s, enum svc_state *st)
{
	for (int i = ST_STOPPED; i <= ST_FAILED; i++) {
		if (!strcmp(s, svc_state_name(i))) {
			*st = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* wait [--timeout DUR] [--state STATE] NAME... */
static int cmd_wait(struct ctl_chan *ch, char **w, int n, struct strbuf *out)
{
	struct ctl_wait *wt = calloc(1, sizeof(*wt));
	int i = 1;

	if (!wt || !(wt->names = calloc((size_t)n, sizeof(char *)))) {
		free(wt);
		sb_puts(out, "wait: out of memory\n");
		return 1;
	}
	timer_init(&wt->deadline);
	ch->wait = wt;
	for (; i < n && w[i][0] == '-'; i += 2) {
		bool t = !strcmp(w[i], "--timeout"), s = !strcmp(w[i], "--state");

		if ((!t && !s) || i + 1 >= n) {
			sb_printf(out, "wait: unknown option '%s'\n", w[i]);
			goto usage;
		}
		if (t && parse_duration(w[i + 1], &wt->timeout_ms)) {
			sb_printf(out, "wait: --timeout %s: expected a duration\n", w[i + 1]);
			goto usage;
		}
		if (s && state_by_name(w[i + 1], &wt->want)) {
			sb_printf(out, "wait: --state %s: not a state\n", w[i + 1]);
			goto usage;
		}
		wt->any_state |= s;
	}
	/* the words live as long as the frame: the names are copied */
	for (; i < n; i++)
		if (!(wt->names[wt->n++] = strdup(w[i]))) {
			sb_puts(out, "wait: out of memory\n");
			wait_free(ch);
			return 1;
		}
	if (!wt->n) {
		sb_puts(out, "usage: wait [--timeout DUR] [--state STATE] NAME...\n");
		goto usage;
	}
	ch->kind = CH_WAIT;
	if (wt->timeout_ms)
		loop_at(ctl_sup->loop, &wt->deadline, now_ms() + wt->timeout_ms, on_wait_timeout,
			ch);
	wait_check(ch);
	return -1;
usage:
	wait_free(ch);
	return 2;
}

/* ---- events ---- */

static void events_say_dropped(struct ctl_chan *ch)
{
	char line[96];
	int n = snprintf(line, sizeof(line),
			 "{\"time_ms\": %llu, \"event\": \"dropped\", \"count\": %llu}\n",
			 (unsigned long long)now_ms(), (unsigned long long)ch->dropped);

	if (link_queued(ch->link) + (size_t)n < LINK_OUT_SOFT) {
		chan_write(ch, F_OUT, line, (size_t)n);
		ch->dropped = 0;
	}
}

static void event_line(struct ctl_chan *ch, const char *json, size_t len)
{
	if (ch->dropped)
		events_say_dropped(ch);
	if (ch->dropped || link_queued(ch->link) + len + FRAME_HDR + 1 >= LINK_OUT_SOFT) {
		ch->dropped++;
		return;
	}
	{
		char buf[4096];

		if (len + 1 > sizeof(buf)) {
			ch->dropped++;
			return;
		}
		memcpy(buf, json, len);
		buf[len] = '\n';
		chan_write(ch, F_OUT, buf, len + 1);
	}
}

static void replay_line(void *arg, const char *json, size_t len)
{
	event_line(arg, json, len);
}

static int cmd_events(struct ctl_chan *ch, char **w, int n, struct strbuf *out)
{
	bool replay = false;

	for (int i = 1; i < n; i++) {
		if (strcmp(w[i], "--replay")) {
			sb_printf(out, "usage: events [--replay]\n");
			return 2;
		}
		replay = true;
	}
	ch->kind = CH_EVENTS;
	if (replay)
		events_replay(replay_line, ch);
	return -1;
}

struct event_pass {
	const char *json;
	size_t len;
};

static void pass_event(struct ctl_chan *ch, void *arg)
{
	const struct event_pass *ep = arg;

	if (ch->kind == CH_EVENTS)
		event_line(ch, ep->json, ep->len);
}

static void on_event(void *arg, const struct event *ev, const char *json, size_t len)
{
	struct event_pass ep = {json, len};

	(void)arg;
	(void)ev;
	links_foreach(pass_event, &ep);
}

/* ---- the rest ---- */

static int cmd_status(char **w, int n, struct strbuf *out)
{
	bool json = false;
	struct service *only = NULL;

	for (int i = 1; i < n; i++) {
		if (!strcmp(w[i], "--json"))
			json = true;
		else if (!only && w[i][0] != '-' && (only = sup_find(ctl_sup, w[i])))
			;
		else {
			sb_printf(out, "status: no service named '%s'\n", w[i]);
			return 1;
		}
	}
	if (json)
		sup_status_json(ctl_sup, only, out);
	else
		sup_status_table(ctl_sup, only, out);
	return 0;
}

static int cmd_power(char **w, struct strbuf *out)
{
	enum power_action a = w[0][0] == 'p'   ? POWER_POWEROFF
			      : w[0][0] == 'r' ? POWER_REBOOT
					       : POWER_HALT;

	sb_printf(out, "%s: shutting down\n", w[0]);
	sup_shutdown(ctl_sup, a, "requested over the control socket");
	return 0;
}

/* Runs one command; -1 when the session goes on (it answers later). */
static int dispatch(struct ctl_chan *ch, char **w, int n, struct strbuf *out)
{
	bool no_block = false;
	int k = 0;

	/* --no-block anywhere, as the line protocol took it */
	for (int i = 0; i < n; i++) {
		if (!strcmp(w[i], "--no-block") && strcmp(w[0], "exec"))
			no_block = true;
		else
			w[k++] = w[i];
	}
	n = k;
	if (n == 0) {
		sb_puts(out, "empty command\n");
		return 2;
	}
	if (!strcmp(w[0], "status"))
		return cmd_status(w, n, out);
	if (!strcmp(w[0], "reload"))
		return sup_reload(ctl_sup, out) ? 1 : 0;
	if (!strcmp(w[0], "poweroff") || !strcmp(w[0], "reboot") || !strcmp(w[0], "halt"))
		return cmd_power(w, out);
	if (!strcmp(w[0], "start") || !strcmp(w[0], "stop") || !strcmp(w[0], "restart"))
		return cmd_service(ch, w, n, no_block, out);
	if (!strcmp(w[0], "logs"))
		return logs_open(ch, w, n, out);
	if (!strcmp(w[0], "wait"))
		return cmd_wait(ch, w, n, out);
	if (!strcmp(w[0], "events"))
		return cmd_events(ch, w, n, out);
	if (!strcmp(w[0], "exec")) {
		exec_open(ch, w, n);
		return -1;
	}
	if (!strcmp(w[0], "version")) {
		sb_puts(out, "nucleus-init " NUCLEUS_VERSION "\n");
		return 0;
	}
	if (!strcmp(w[0], "seccomp-profile"))
		return cmd_seccomp_profile(w, n, out);
	sb_printf(out, "unknown command '%s'\n", w[0]);
	return 2;
}

void ctl_open(struct ctl_chan *ch, char **words, int n)
{
	struct strbuf out;
	int code;

	sb_init(&out);
	code = dispatch(ch, words, n, &out);
	if (code >= 0)
		answer(ch, code, &out);
	sb_free(&out);
}

void ctl_abandon(struct ctl_chan *ch)
{
	if (ch->kind == CH_WAIT)
		wait_free(ch);
	else if (ch->kind == CH_EXEC)
		exec_abandon(ch);
	else if (ch->kind == CH_LOGS)
		logs_abandon(ch);
}

void ctl_drained(struct ctl_chan *ch)
{
	if (ch->kind == CH_EVENTS && ch->dropped)
		events_say_dropped(ch);
	else if (ch->kind == CH_EXEC)
		exec_drained(ch);
	else if (ch->kind == CH_LOGS)
		logs_drained(ch);
}

/* Every state change: the sessions waiting for one may be answered. */
static void change_one(struct ctl_chan *ch, void *arg)
{
	struct service *svc = arg;
	int code;

	if (ch->kind == CH_SETTLE && ch->svc == svc && settled(svc, ch->settle_kind, &code))
		answer_settled(ch, code);
	else if (ch->kind == CH_WAIT)
		wait_check(ch);
}

static void on_change(void *arg, struct service *svc)
{
	(void)arg;
	links_foreach(change_one, svc);
}

void ctl_watch(struct supervisor *s)
{
	sup_watch(s, on_change, NULL);
	events_listen(on_event, NULL);
	logs_watch();
}
