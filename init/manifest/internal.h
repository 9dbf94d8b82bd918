/* SPDX-License-Identifier: MIT */
/*
 * manifest/internal.h - what the parts of the manifest loader share: the
 * sections collected by pass 1 (reader.c), the key tables of pass 2
 * (keys_*.c) and the value parsers they have in common (values.c).
 * Nothing outside init/manifest/ includes this; the rest of nucleus-init
 * sees manifest.h only.
 */
#ifndef NUCLEUS_MANIFEST_INTERNAL_H
#define NUCLEUS_MANIFEST_INTERNAL_H

#include "manifest.h"
#include "util.h"

#include <stdio.h>

/* The longest line read; a longer one is an error with its line. */
#define MAX_LINE 4096

struct raw_kv {
	char *key, *value;
	int line;
};

struct raw_section {
	char *name; /* "\x01" first: a placeholder for a section already reported */
	int line;
	struct raw_kv *kv;
	int nkv;
	bool bad;
};

struct loader {
	const char *path;
	manifest_err_fn fn;
	void *arg;
	struct manifest *m;
	/* reader state */
	FILE *fp;
	const char *text;
	int line;
	/* sections, in file order */
	struct raw_section *secs;
	int nsec;
	bool oom;
};

/* ---- pass 1 (reader.c) ---- */

/* Reports "PATH:LINE: message"; control characters are shown escaped. */
void mf_err(struct loader *L, int line, const char *fmt, ...) PRINTF(3, 4);
/* A warning: kept in the manifest's list, "PATH:LINE: warning: ...". */
void mf_warn(struct loader *L, int line, const char *fmt, ...) PRINTF(3, 4);
char *mf_strdup(struct loader *L, const char *s);
void *mf_realloc(struct loader *L, void *p, size_t n);
/* inih's reader and handler, with L as both stream and user pointer. */
char *mf_reader(char *buf, int num, void *stream);
int mf_handler(void *user, const char *section, const char *name, const char *value);

/* ---- pass 2: key tables ---- */

/*
 * Each key has a parser: it stores the value or returns a negative errno
 * with *why describing what was expected.
 */
typedef int (*val_fn)(struct loader *L, void *obj, const char *v, const char **why);

struct key_def {
	const char *key;
	val_fn fn;
	uint64_t set; /* SET_* bit for services */
	bool list;    /* may be given more than once: items accumulate */
};

/* A section's keys; @more continues the table (the service's isolation keys). */
struct key_table {
	const struct key_def *defs;
	size_t n;
	const struct key_table *more;
};

#define OBJ(T) T *c = obj

/*
 * One accessor per key keeps the table declarative; the typed ones differ
 * only in the parser and the field, so a macro writes them.
 */
#define FIELD_KEY(fn, parse, field)                                                                \
	static int fn(struct loader *L, void *obj, const char *v, const char **why)                \
	{                                                                                          \
		OBJ(struct svc_conf);                                                              \
		(void)L;                                                                           \
		return parse(&c->field, v, why);                                                   \
	}
#define DUR_KEY(fn, field) FIELD_KEY(fn, mf_dur, field)
/* A key whose value is an integer from lo to hi. */
#define UINT_KEY(fn, field, lo, hi, expected)                                                      \
	static int fn(struct loader *L, void *obj, const char *v, const char **why)                \
	{                                                                                          \
		OBJ(struct svc_conf);                                                              \
		(void)L;                                                                           \
		return mf_uint(&c->field, v, lo, hi, expected, why);                               \
	}

/*
 * Applies a section's keys through the table. Returns the number of errors.
 * *setbits collects the SET_* bits of the keys that were given.
 */
int mf_apply_keys(struct loader *L, struct raw_section *s, const struct key_table *t, void *obj,
		  uint64_t *setbits, const char *who);
bool mf_has_key(const struct raw_section *s, const char *key);
/* The line of @key in @s, or the section's own line. */
int mf_key_line(const struct raw_section *s, const char *key);
uint64_t mf_digest_section(const struct raw_section *s);

/* ---- shared value parsers (values.c) ---- */

int mf_put_str(char **dst, const char *v);
/* Appends the items of v (blank-separated) to the vector *dst. */
int mf_put_list(char ***dst, const char *v);
/* Like mf_put_list(), when every item passes @ok; else *why = @expected. */
int mf_put_list_of(char ***dst, const char *v, bool (*ok)(const char *item), const char *expected,
		   const char **why);
/* A decimal integer from @min to @max; else *why = @expected. */
int mf_uint(uint64_t *dst, const char *v, uint64_t min, uint64_t max, const char *expected,
	    const char **why);
void mf_strv_free(char **v);
bool mf_valid_abs_path(const char *p);
/* A user or group name ([A-Za-z0-9_.-], a trailing $) or id, @n bytes, at most 32. */
bool mf_valid_ident(const char *s, size_t n);
int mf_valid_ip(const char *s, int *family);
/* ADDR/PREFIX with the prefix in range for the family. */
int mf_valid_cidr(const char *s);
int mf_abs_path(char **dst, const char *v, const char **why);
int mf_dur(uint64_t *dst, const char *v, const char **why);
int mf_bool(bool *dst, const char *v, const char **why);
int mf_size(uint64_t *dst, const char *v, const char **why);
/* A log ring's size: RECRING_MIN to RECRING_MAX bytes (records.h). */
int mf_ring_size(uint64_t *dst, const char *v, const char **why);
int mf_power(enum power_action *dst, const char *v, bool allow_stay, const char **why);
int mf_parse_port(const char *s, uint16_t *port);
void mf_probe_free(struct probe *p);

/* ---- sections ---- */

extern const struct key_table mf_isolation_keys;
void mf_load_service(struct loader *L, struct raw_section *s);
void mf_sys_defaults(struct sys_conf *s);
void mf_load_system(struct loader *L, struct raw_section *s);
void mf_load_sysctl(struct loader *L, struct raw_section *s);
void mf_load_mount(struct loader *L, struct raw_section *s);
void mf_load_iface(struct loader *L, struct raw_section *s);

#endif
