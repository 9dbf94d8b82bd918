// SPDX-License-Identifier: MIT
/*
 * ctl_logs.c - `logs [-f] [-n N] [--since DUR] [--json] [NAME...]`: the
 * records (records.h) of the named services, of all without a name, and of
 * the pseudo-services `nucleus` and `kernel`, in the order they were made.
 * With -f the session stays and each new record that matches goes out as
 * it is made; a follower whose link is full loses records and is told how
 * many once it drains, like an events listener: PID 1 never waits for it.
 */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>

#define LOGS_ANSWER_MAX (512 * 1024) /* history in one answer: the newest that fit */

struct ctl_logs {
	bool json;
	bool all;
	char **names;
	int n;
};

/* One formatted record of the history, to sort by sequence. */
struct hist_item {
	uint64_t seq, mono_us;
	char *text;
	size_t len;
};

struct hist {
	struct hist_item *v;
	size_t n, cap;
	bool json;
	uint64_t since_us; /* monotonic; 0: all */
	bool oom;
};

static void hist_add(void *arg, const struct record *rec)
{
	struct hist *h = arg;
	struct strbuf sb;

	if (h->oom || rec->mono_us < h->since_us)
		return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct hist_item *v = realloc(h->v, cap * sizeof(*v));

		if (!v) {
			h->oom = true;
			return;
		}
		h->v = v;
		h->cap = cap;
	}
	sb_init(&sb);
	if (h->json)
		record_json(rec, &sb);
	else
		record_text(rec, &sb);
	if (sb.oom) {
		sb_free(&sb);
		h->oom = true;
		return;
	}
	h->v[h->n++] = (struct hist_item){rec->seq, rec->mono_us, sb.buf, sb.len};
}

static int by_seq(const void *a, const void *b)
{
	const struct hist_item *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool wants(const struct ctl_logs *lg, const char *source)
{
	if (lg->all)
		return true;
	for (int i = 0; i < lg->n; i++)
		if (!strcmp(lg->names[i], source))
			return true;
	return false;
}

/* Every ring @lg names, into @h. */
static void hist_collect(const struct ctl_logs *lg, struct hist *h)
{
	if (wants(lg, "nucleus"))
		recring_each(records_nucleus(), "nucleus", hist_add, h);
	if (wants(lg, "kernel"))
		recring_each(records_kernel(), "kernel", hist_add, h);
	for (int i = 0; i < ctl_sup->nsvc; i++) {
		struct service *svc = ctl_sup->svcs[i];

		if (wants(lg, svc->conf->name))
			recring_each(&svc->rec, svc->conf->name, hist_add, h);
	}
	if (h->n)
		qsort(h->v, h->n, sizeof(*h->v), by_seq);
}

/* The last @last (0: all) of @h that fit LOGS_ANSWER_MAX, oldest first, into @out. */
static void hist_put(struct hist *h, size_t last, bool json, struct strbuf *out)
{
	size_t first = last && last < h->n ? h->n - last : 0, bytes = 0, from = h->n;

	while (from > first && bytes + h->v[from - 1].len <= LOGS_ANSWER_MAX)
		bytes += h->v[--from].len;
	if (from > first) {
		if (json)
			sb_printf(out, "{\"left_out\": %zu}\n", from - first);
		else
			sb_printf(out, "-- %zu older records left out (use -n) --\n", from - first);
	}
	for (size_t i = from; i < h->n; i++)
		sb_add(out, h->v[i].text, h->v[i].len);
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].text);
	free(h->v);
}

static void logs_free(struct ctl_logs *lg)
{
	if (!lg)
		return;
	for (int i = 0; i < lg->n; i++)
		free(lg->names[i]);
	free(lg->names);
	free(lg);
}

static bool source_known(const char *name)
{
	struct service *svc = sup_find(ctl_sup, name);

	return !strcmp(name, "nucleus") || !strcmp(name, "kernel") || (svc && !svc->removed);
}

/* The options; 0, or the exit code of a usage error (the message in @out). */
static int logs_parse(char **w, int n, struct ctl_logs *lg, bool *follow, size_t *last,
		      uint64_t *since_ms, struct strbuf *out)
{
	for (int i = 1; i < n; i++) {
		char *end;

		if (!strcmp(w[i], "-f") || !strcmp(w[i], "--follow")) {
			*follow = true;
		} else if (!strcmp(w[i], "--json")) {
			lg->json = true;
		} else if (!strcmp(w[i], "-n") && i + 1 < n) {
			*last = strtoul(w[++i], &end, 10);
			if (*end || !*w[i])
				goto usage;
		} else if (!strcmp(w[i], "--since") && i + 1 < n) {
			if (parse_duration(w[++i], since_ms))
				goto usage;
		} else if (w[i][0] == '-') {
			goto usage;
		} else if (!source_known(w[i])) {
			sb_printf(out, "logs: no service named '%s'\n", w[i]);
			return 1;
		} else {
			char **v = realloc(lg->names, (size_t)(lg->n + 1) * sizeof(*v));

			if (!v || !(v[lg->n] = strdup(w[i]))) {
				lg->names = v ? v : lg->names;
				sb_puts(out, "logs: out of memory\n");
				return 1;
			}
			lg->names = v;
			lg->n++;
		}
	}
	lg->all = lg->n == 0;
	return 0;
usage:
	sb_puts(out, "usage: logs [-f] [-n N] [--since DUR] [--json] [NAME...]\n");
	return 2;
}

int logs_open(struct ctl_chan *ch, char **w, int n, struct strbuf *out)
{
	struct ctl_logs *lg = calloc(1, sizeof(*lg));
	struct hist h = {0};
	bool follow = false;
	size_t last = 0;
	uint64_t since_ms = 0, now = now_us();
	int r;

	if (!lg) {
		sb_puts(out, "logs: out of memory\n");
		return 1;
	}
	r = logs_parse(w, n, lg, &follow, &last, &since_ms, out);
	if (r) {
		logs_free(lg);
		return r;
	}
	h.json = lg->json;
	h.since_us = since_ms && since_ms * 1000 < now ? now - since_ms * 1000 : 0;
	hist_collect(lg, &h);
	hist_put(&h, last, lg->json, out);
	if (!follow) {
		logs_free(lg);
		return 0;
	}
	if (out->len)
		chan_write(ch, F_OUT, out->buf, out->len);
	ch->kind = CH_LOGS;
	ch->logs = lg;
	return -1;
}

void logs_abandon(struct ctl_chan *ch)
{
	logs_free(ch->logs);
	ch->logs = NULL;
}

static void say_dropped(struct ctl_chan *ch)
{
	char line[96];
	int n = ch->logs->json ? snprintf(line, sizeof(line), "{\"dropped\": %llu}\n",
					  (unsigned long long)ch->dropped)
			       : snprintf(line, sizeof(line), "-- %llu records dropped --\n",
					  (unsigned long long)ch->dropped);

	if (link_queued(ch->link) + (size_t)n < LINK_OUT_SOFT) {
		chan_write(ch, F_OUT, line, (size_t)n);
		ch->dropped = 0;
	}
}

void logs_drained(struct ctl_chan *ch)
{
	if (ch->dropped)
		say_dropped(ch);
}

static void pass_record(struct ctl_chan *ch, void *arg)
{
	const struct record *rec = arg;
	struct strbuf sb;

	if (ch->kind != CH_LOGS || !wants(ch->logs, rec->source))
		return;
	if (ch->dropped)
		say_dropped(ch);
	if (ch->dropped || link_queued(ch->link) + rec->len + 256 >= LINK_OUT_SOFT) {
		ch->dropped++;
		return;
	}
	sb_init(&sb);
	if (ch->logs->json)
		record_json(rec, &sb);
	else
		record_text(rec, &sb);
	if (sb.oom)
		ch->dropped++;
	else
		chan_write(ch, F_OUT, sb.buf, sb.len);
	sb_free(&sb);
}

static void on_record(void *arg, const struct record *rec)
{
	(void)arg;
	links_foreach(pass_record, (void *)rec);
}

void logs_watch(void)
{
	if (records_listen(on_record, NULL))
		log_warn("logs -f: no follower slot left");
}
