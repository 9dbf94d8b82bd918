// SPDX-License-Identifier: MIT
/*
 * devices_status.c - the machine's devices in `nucleusctl status`: the
 * boot's coldplug figures, each mount and interface with its state and
 * error, and the modules hotplug loaded. It only reads what devices.c keeps.
 */
#include "devices.h"
#include "devices_int.h"

#include <stdio.h>
#include <string.h>

const char *devices_join(const struct strset *set, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < set->n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " " : "", set->v[i]);
	if (o >= size && size > 4)
		strcpy(buf + size - 4, "...");
	return buf;
}

static const char *mount_state(enum dev_state st)
{
	static const char *const names[] = {"not tried", "waiting", "mounted", "failed"};

	return names[st];
}

static const char *iface_state(enum dev_state st)
{
	static const char *const names[] = {"not tried", "waiting", "configured", "failed"};

	return names[st];
}

static void json_strv(struct strbuf *sb, const struct strset *set)
{
	sb_puts(sb, "[");
	for (int i = 0; i < set->n; i++) {
		if (i)
			sb_puts(sb, ", ");
		sb_json_str(sb, set->v[i]);
	}
	sb_puts(sb, "]");
}

/* "root": the image stage 1 moved into, or null without [system] root. */
static void json_root(struct supervisor *s, struct strbuf *sb)
{
	struct sup_devices *d = s->dev;

	if (!d || !d->root_tried) {
		sb_puts(sb, ", \"root\": null");
		return;
	}
	sb_puts(sb, ", \"root\": {\"spec\": ");
	sb_json_str(sb, s->boot_m ? s->boot_m->sys.root : NULL);
	sb_puts(sb, ", \"device\": ");
	sb_json_str(sb, d->root_device[0] ? d->root_device : NULL);
	sb_puts(sb, ", \"type\": ");
	sb_json_str(sb, d->root_type[0] ? d->root_type : NULL);
	sb_printf(sb, ", \"ms\": %llu, \"error\": ", (unsigned long long)(d->root_us / 1000));
	sb_json_str(sb, d->root_error[0] ? d->root_error : NULL);
	sb_puts(sb, "}");
}

void devices_boot_json(struct supervisor *s, struct strbuf *sb)
{
	struct sup_devices *d = s->dev;

	json_root(s, sb);
	if (!d || !d->coldplug) {
		sb_puts(sb, ", \"coldplug_ms\": null, \"coldplug_modules\": []");
		return;
	}
	sb_printf(sb, ", \"coldplug_ms\": %llu, \"coldplug_modules\": ",
		  (unsigned long long)(d->coldplug_us / 1000));
	json_strv(sb, &d->coldplug_modules);
}

static void json_mount(struct strbuf *sb, const struct dev_mount *dm)
{
	sb_puts(sb, "{\"name\": ");
	sb_json_str(sb, dm->mc->name);
	sb_puts(sb, ", \"what\": ");
	sb_json_str(sb, dm->mc->what);
	sb_puts(sb, ", \"where\": ");
	sb_json_str(sb, dm->mc->where);
	sb_puts(sb, ", \"type\": ");
	sb_json_str(sb, dm->mc->type);
	sb_puts(sb, ", \"device\": ");
	sb_json_str(sb, dm->device[0] ? dm->device : NULL);
	sb_printf(sb, ", \"state\": \"%s\", \"error\": ", mount_state(dm->state));
	sb_json_str(sb, dm->error[0] ? dm->error : NULL);
	sb_puts(sb, "}");
}

void devices_status_json(struct supervisor *s, struct strbuf *sb)
{
	struct sup_devices *d = s->dev;

	sb_puts(sb, ", \"mounts\": [");
	for (int i = 0; d && i < d->nmount; i++) {
		sb_puts(sb, i ? ", " : "");
		json_mount(sb, &d->mounts[i]);
	}
	sb_puts(sb, "], \"interfaces\": [");
	for (int i = 0; d && i < d->niface; i++) {
		sb_puts(sb, i ? ", {\"name\": " : "{\"name\": ");
		sb_json_str(sb, d->ifaces[i].ic->name);
		sb_printf(sb, ", \"state\": \"%s\", \"error\": ", iface_state(d->ifaces[i].state));
		sb_json_str(sb, d->ifaces[i].error[0] ? d->ifaces[i].error : NULL);
		sb_puts(sb, "}");
	}
	sb_puts(sb, "], \"hotplug_modules\": ");
	if (d)
		json_strv(sb, &d->hotplug_modules);
	else
		sb_puts(sb, "[]");
}

void devices_status_table(struct supervisor *s, struct strbuf *sb)
{
	struct sup_devices *d = s->dev;
	char names[256];

	if (!d)
		return;
	if (d->coldplug)
		sb_printf(sb, "coldplug: %d modules in %llums%s%s\n", d->coldplug_modules.n,
			  (unsigned long long)(d->coldplug_us / 1000),
			  d->coldplug_modules.n ? ": " : "",
			  devices_join(&d->coldplug_modules, names, sizeof(names)));
	if (d->root_tried)
		sb_printf(sb, "root: %s %s%s%s%s\n", s->boot_m ? s->boot_m->sys.root : "?",
			  d->root_error[0] ? "failed: " : "on ",
			  d->root_error[0] ? d->root_error : d->root_device,
			  d->root_error[0] ? "" : " ", d->root_error[0] ? "" : d->root_type);
	if (d->hotplug_modules.n)
		sb_printf(sb, "hotplug: %s\n",
			  devices_join(&d->hotplug_modules, names, sizeof(names)));
	for (int i = 0; i < d->nmount; i++) {
		const struct dev_mount *dm = &d->mounts[i];

		sb_printf(sb, "mount %s: %s %s on %s%s%s\n", dm->mc->name, mount_state(dm->state),
			  dm->mc->what, dm->mc->where, dm->error[0] ? ": " : "", dm->error);
	}
	for (int i = 0; i < d->niface; i++)
		sb_printf(sb, "interface %s: %s%s%s\n", d->ifaces[i].ic->name,
			  iface_state(d->ifaces[i].state), d->ifaces[i].error[0] ? ": " : "",
			  d->ifaces[i].error);
}
