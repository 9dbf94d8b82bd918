// SPDX-License-Identifier: MIT
/*
 * status.c - `nucleusctl status`: the contract's JSON object and the table.
 */
#include "svc_internal.h"
#include "isolate/landlock.h"
#include "require.h"
#include "audit.h"
#include "logd.h"
#include "isolate/cgroup.h"
#include "net/ipam.h"
#include "devices.h"

#include <stdio.h>
#include <sys/wait.h>

static void json_exit(struct strbuf *sb, const struct service *svc)
{
	int st = svc->last_status;

	if (!svc->has_status)
		sb_puts(sb, "null");
	else if (WIFEXITED(st))
		sb_printf(sb, "%d", WEXITSTATUS(st));
	else
		sb_printf(sb, "\"%s\"", signal_name(WTERMSIG(st)));
}

/* The accounting of the service's cgroup; null where there is none. */
static void json_cgroup(struct strbuf *sb, struct service *svc)
{
	struct cg_stats st = {0};

	if (svc->cg_fd >= 0) {
		svc_oom_check(svc);
		cg_stats(svc->conf->name, &st);
	}
#define CG_FIELD(name, have, v)                                                                    \
	do {                                                                                       \
		if (have)                                                                          \
			sb_printf(sb, ", \"" name "\": %llu", (unsigned long long)(v));            \
		else                                                                               \
			sb_puts(sb, ", \"" name "\": null");                                       \
	} while (0)
	CG_FIELD("memory_current", st.has_memory, st.memory_current);
	CG_FIELD("memory_peak", st.has_peak, st.memory_peak);
	CG_FIELD("oom_kills", svc->cg_mem_fd >= 0 || svc->oom_kills, svc->oom_kills);
	CG_FIELD("cpu_usage_us", st.has_cpu, st.cpu_usage_us);
	CG_FIELD("tasks", st.has_tasks, st.tasks);
#undef CG_FIELD
}

/* What confines it beyond its namespaces: the Landlock ABI it runs under (null:
 * none), and what its seccomp filter denied. */
static void json_policy(struct strbuf *sb, const struct service *svc)
{
	int abi = landlock_for(svc->conf);

	if (abi)
		sb_printf(sb, ", \"landlock\": %d", abi);
	else
		sb_puts(sb, ", \"landlock\": null");
	/* denials are seen where PID 1 takes the audit records: a machine's */
	if (audit_running() && svc->conf->isolate)
		sb_printf(sb, ", \"seccomp_denials\": %llu}", (unsigned long long)svc->sc_denials);
	else
		sb_puts(sb, ", \"seccomp_denials\": null}");
}

void sup_status_json(struct supervisor *s, struct service *only, struct strbuf *sb)
{
	bool first = true;

	sb_printf(sb,
		  "{\"uptime_ms\": %llu, \"boot\": {\"kernel_ms\": %llu, \"stage1_ms\": %llu, "
		  "\"ready_ms\": ",
		  (unsigned long long)(now_ms() - s->start_ms), (unsigned long long)s->kernel_ms,
		  (unsigned long long)s->stage1_ms);
	if (s->ready_ms)
		sb_printf(sb, "%llu", (unsigned long long)s->ready_ms);
	else
		sb_puts(sb, "null");
	sb_printf(sb, ", \"spawn_us\": %llu, \"modules_us\": %llu", (unsigned long long)s->spawn_us,
		  (unsigned long long)s->modules_us);
	sb_printf(sb, ", \"stage1_user_us\": %llu, \"stage1_sys_us\": %llu",
		  (unsigned long long)s->stage1_user_us, (unsigned long long)s->stage1_sys_us);
	devices_boot_json(s, sb);
	sb_puts(sb, "}");
	devices_status_json(s, sb);
	logship_status_json(s, sb);
	require_status_json(s, sb);
	sb_puts(sb, ", \"services\": [");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];

		if (only && svc != only)
			continue;
		sb_puts(sb, first ? "\n  " : ",\n  ");
		first = false;
		sb_puts(sb, "{\"name\": ");
		sb_json_str(sb, svc->conf->name);
		sb_printf(sb, ", \"state\": \"%s\", \"pid\": ", svc_state_name(svc->state));
		if (svc->pid > 0)
			sb_printf(sb, "%d", (int)svc->pid);
		else
			sb_puts(sb, "null");
		sb_printf(sb, ", \"restarts\": %u, \"exit_status\": ", svc->restarts);
		json_exit(sb, svc);
		sb_printf(sb, ", \"health\": \"%s\", \"since_ms\": %llu, \"status_text\": ",
			  health_name(svc->probe.health), (unsigned long long)svc->since_ms);
		sb_json_str(sb, svc->status_text);
		sb_puts(sb, ", \"error\": ");
		sb_json_str(sb, svc->error[0] ? svc->error : NULL);
		json_cgroup(sb, svc);
		if (svc->net.addr) {
			char txt[16];

			sb_printf(sb, ", \"address\": \"%s\"", ipam_str(svc->net.addr, txt));
		} else {
			sb_puts(sb, ", \"address\": null");
		}
		sb_printf(sb, ", \"log_lines\": %llu, \"log_lost\": %llu",
			  (unsigned long long)svc->rec.lines, (unsigned long long)svc->rec.lost);
		json_policy(sb, svc);
	}
	sb_puts(sb, "]}\n");
}

/* The sd_notify STATUS= text in its column: "-" for none, cut at 24 with "...". */
static void status_cell(const char *text, char *out, size_t size)
{
	size_t n;

	if (!text || !*text) {
		snprintf(out, size, "-");
		return;
	}
	n = strlen(text);
	if (n <= 24)
		snprintf(out, size, "%s", text);
	else
		snprintf(out, size, "%.21s...", text);
	/* a tab or newline from the service would break the table's lines */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

void sup_status_table(struct supervisor *s, struct service *only, struct strbuf *sb)
{
	uint64_t now = now_ms() - s->start_ms;

	if (!only) {
		sb_printf(sb, "boot: kernel %llums, stage 1 %llums, ",
			  (unsigned long long)s->kernel_ms, (unsigned long long)s->stage1_ms);
		if (s->ready_ms)
			sb_printf(sb, "services settled at %llums",
				  (unsigned long long)s->ready_ms);
		else
			sb_puts(sb, "services still starting");
		sb_printf(sb, " (spawn work %llu.%03llums); up %llus\n",
			  (unsigned long long)(s->spawn_us / 1000),
			  (unsigned long long)(s->spawn_us % 1000), (unsigned long long)now / 1000);
		devices_status_table(s, sb);
		sb_puts(sb, "\n");
	}
	sb_printf(sb, "%-20s %-9s %7s %8s %-9s %-9s %9s  %-24s  %s\n", "NAME", "STATE", "PID",
		  "RESTARTS", "EXIT", "HEALTH", "SINCE", "STATUS", "ERROR");
	for (int i = 0; i < s->nsvc; i++) {
		struct service *svc = s->svcs[i];
		char pid[16] = "-", ex[24] = "-", since[24], st[32];
		uint64_t ago = (now - svc->since_ms) / 1000;

		if (only && svc != only)
			continue;
		if (svc->pid > 0)
			snprintf(pid, sizeof(pid), "%d", (int)svc->pid);
		if (svc->has_status) {
			if (WIFEXITED(svc->last_status))
				snprintf(ex, sizeof(ex), "%d", WEXITSTATUS(svc->last_status));
			else
				snprintf(ex, sizeof(ex), "%s",
					 signal_name(WTERMSIG(svc->last_status)));
		}
		if (ago < 120)
			snprintf(since, sizeof(since), "%llus ago", (unsigned long long)ago);
		else if (ago < 7200)
			snprintf(since, sizeof(since), "%llum ago", (unsigned long long)ago / 60);
		else
			snprintf(since, sizeof(since), "%lluh ago", (unsigned long long)ago / 3600);
		status_cell(svc->status_text, st, sizeof(st));
		sb_printf(sb, "%-20s %-9s %7s %8u %-9s %-9s %9s  %-24s  %s\n", svc->conf->name,
			  svc_state_name(svc->state), pid, svc->restarts, ex,
			  health_name(svc->probe.health), since, st, svc->error);
	}
}
