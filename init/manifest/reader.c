// SPDX-License-Identifier: MIT
/*
 * reader.c - pass 1 of the manifest loader: whole lines, sections, keys.
 *
 * inih is fed by our own line reader, which counts lines (Debian's inih
 * does not hand them to the handler), rejects what inih would only count
 * as its first error, and opens the sections; the handler collects every
 * key of every section with its line. Pass 2 (the keys_*.c files) reads
 * the collected sections.
 */
#include "manifest/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * A manifest's bytes end up on a terminal (--check, reload): control
 * characters are shown as \xHH so none of them reaches it raw.
 */
static void escape_controls(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 5 < size; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* "PATH:LINE: " @kind and the message into @shown, control characters escaped. */
static void mf_format(struct loader *L, int line, const char *kind, char *shown, size_t size,
		      const char *fmt, va_list ap)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%d: %s", L->path, line, kind);

	if (n >= 0 && n < (int)sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	escape_controls(msg, shown, size);
}

void mf_err(struct loader *L, int line, const char *fmt, ...)
{
	char shown[2048];
	va_list ap;

	va_start(ap, fmt);
	mf_format(L, line, "", shown, sizeof(shown), fmt, ap);
	va_end(ap);
	L->m->nerrors++;
	if (L->fn)
		L->fn(L->arg, shown);
}

void mf_warn(struct loader *L, int line, const char *fmt, ...)
{
	char shown[2048], *copy, **v;
	va_list ap;

	va_start(ap, fmt);
	mf_format(L, line, "warning: ", shown, sizeof(shown), fmt, ap);
	va_end(ap);
	copy = mf_strdup(L, shown);
	v = copy ? mf_realloc(L, L->m->warnings, sizeof(*v) * (size_t)(L->m->nwarnings + 1)) : NULL;
	if (!v) {
		free(copy);
		return;
	}
	L->m->warnings = v;
	v[L->m->nwarnings++] = copy;
}

char *mf_strdup(struct loader *L, const char *s)
{
	char *d = strdup(s);

	if (!d)
		L->oom = true;
	return d;
}

void *mf_realloc(struct loader *L, void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		L->oom = true;
	return q;
}

/* ---- pass 1: lines, sections, keys ------------------------------------ */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void begin_section(struct loader *L, const char *name, int line)
{
	struct raw_section *s;

	/*
	 * A repeated section is an error for both; its keys still need a
	 * section of their own so they never land in the one before it.
	 */
	for (int i = 0; name[0] != '\x01' && i < L->nsec; i++) {
		if (!strcmp(L->secs[i].name, name)) {
			mf_err(L, line, "[%s] given twice (first at line %d)", name,
			       L->secs[i].line);
			L->secs[i].bad = true;
			name = "\x01"
			       "duplicate";
			break;
		}
	}
	s = mf_realloc(L, L->secs, sizeof(*s) * (size_t)(L->nsec + 1));
	if (!s)
		return;
	L->secs = s;
	s = &L->secs[L->nsec];
	memset(s, 0, sizeof(*s));
	s->name = mf_strdup(L, name);
	s->line = line;
	if (s->name)
		L->nsec++;
}

/* An error on a line of the current section drops that section. */
static void mark_bad(struct loader *L)
{
	if (L->nsec)
		L->secs[L->nsec - 1].bad = true;
}

/*
 * Looks at one whole line before inih does: it counts lines, opens sections
 * (inih calls no handler for a section without keys), and reports the lines
 * inih would only count as its first error.
 */
static void check_line(struct loader *L, const char *raw, size_t len)
{
	char buf[MAX_LINE];
	char *s;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, raw, len);
	buf[len] = '\0';
	s = trim(buf);
	if (L->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s == '[') {
		char *end = strchr(s, ']');
		const char *rest = end ? trim(end + 1) : NULL;

		if (!end || (*rest && *rest != ';' && *rest != '#')) {
			mf_err(L, L->line, "malformed section header '%s'", s);
			begin_section(L,
				      "\x01"
				      "invalid",
				      L->line);
			return;
		}
		*end = '\0';
		begin_section(L, trim(s + 1), L->line);
		return;
	}
	size_t eq = strcspn(s, "=:");
	if (s[eq] != '=') {
		mf_err(L, L->line, "expected 'key = value' or '[section]', got '%s'", s);
		mark_bad(L);
		return;
	}
	if (L->nsec == 0)
		mf_err(L, L->line, "key '%.*s' outside of any section", (int)eq, s);
}

char *mf_reader(char *buf, int num, void *stream)
{
	struct loader *L = stream;
	size_t len = 0;
	bool too_long = false, eof = false, nul = false;

	/* Read one whole line, however long; keep what fits. */
	for (;;) {
		int c;

		if (L->fp) {
			c = getc(L->fp);
		} else {
			c = *L->text ? (unsigned char)*L->text++ : EOF;
		}
		if (c == EOF) {
			eof = true;
			break;
		}
		if (c == 0)
			nul = true; /* inih would cut the value there without a word */
		if (len + 1 < (size_t)num)
			buf[len++] = (char)c;
		else
			too_long = true;
		if (c == '\n')
			break;
	}
	if (eof && len == 0 && !too_long)
		return NULL;
	buf[len] = '\0';
	L->line++;
	if (too_long || nul) {
		if (too_long)
			mf_err(L, L->line, "line longer than %d characters", num - 2);
		else
			mf_err(L, L->line, "a NUL byte in the line");
		mark_bad(L);
		/* Hand inih an empty line so the rest still parses. */
		strcpy(buf, "\n");
		return buf;
	}
	check_line(L, buf, len);
	return buf;
}

int mf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *L = user;
	struct raw_section *s;
	struct raw_kv *kv;

	/*
	 * Our reader opened the section this key belongs to; inih's copy of
	 * the name is cut at 49 characters, so it is not compared.
	 */
	(void)section;
	if (L->nsec == 0)
		return 1; /* reported by check_line already */
	s = &L->secs[L->nsec - 1];
	kv = mf_realloc(L, s->kv, sizeof(*kv) * (size_t)(s->nkv + 1));
	if (!kv)
		return 1;
	s->kv = kv;
	kv = &s->kv[s->nkv];
	kv->key = mf_strdup(L, name);
	kv->value = mf_strdup(L, value);
	kv->line = L->line;
	if (kv->key && kv->value)
		s->nkv++;
	return 1;
}
