// SPDX-License-Identifier: MIT
/*
 * ctl_logfiles.c - `nucleusctl logs --dir DIR [-n N] [--since DUR] [--json]
 * [NAME...]`: the records [system] log_dir keeps on disk, read by the client
 * itself, with no nucleus-init to ask: earlier boots' records, or a guest's
 * disk mounted on the host after it powered off. Each source's files are
 * read oldest first (NAME.log.N ... NAME.log.1, NAME.log) and the sources
 * are merged by the time of each line, as `logs` merges the rings.
 */
#include "records.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ROTATED_MAX 100 /* log_max_files' bound */

struct fline {
	size_t order; /* the order it was read in: ties keep it */
	char *text;   /* the whole line, without its newline (in a buffer of flines) */
};

struct flines {
	struct fline *v;
	size_t n, cap;
	char **bufs; /* the files' contents */
	size_t nbufs;
};

static int keep_buf(struct flines *fl, char *buf)
{
	char **v = realloc(fl->bufs, (fl->nbufs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	fl->bufs = v;
	fl->bufs[fl->nbufs++] = buf;
	return 0;
}

/*
 * "2026-12-06T19:56:18.123Z NAME: ...": a record's line starts with its
 * time in UTC, fixed width, so the times sort as strings.
 */
#define STAMP_LEN 24

static bool is_record(const char *s, size_t len)
{
	return len > STAMP_LEN + 3 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[23] == 'Z' &&
	       s[24] == ' ' && s[0] >= '1' && s[0] <= '9';
}

static int add_line(struct flines *fl, char *text, size_t len)
{
	if (!is_record(text, len))
		return 0; /* a torn last line of a power cut: not a record */
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 1024;
		struct fline *v = realloc(fl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fl->v = v;
		fl->cap = cap;
	}
	text[len] = '\0';
	fl->v[fl->n] = (struct fline){fl->n, text};
	fl->n++;
	return 0;
}

/* One file, whole, its lines added; the buffer is kept (the lines point into it). */
static int read_file(struct flines *fl, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;
	struct strbuf sb;
	char chunk[65536];
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	sb_init(&sb);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		sb_add(&sb, chunk, (size_t)n);
	r = n < 0 ? -errno : sb.oom ? -ENOMEM : 0;
	close(fd);
	sb_add(&sb, "\n", 1); /* room for the last line's NUL */
	for (size_t from = 0, i = 0; !r && !sb.oom && i < sb.len; i++)
		if (sb.buf[i] == '\n') {
			r = add_line(fl, sb.buf + from, i - from);
			from = i + 1;
		}
	if (r || sb.oom || keep_buf(fl, sb.buf)) {
		sb_free(&sb);
		return r ? r : -ENOMEM;
	}
	return 0;
}

/* NAME's files, the oldest first. */
static int read_source(struct flines *fl, int dirfd, const char *name)
{
	char file[300];
	int r = 0;

	for (int k = ROTATED_MAX; k >= 0 && !r; k--) {
		if (k)
			snprintf(file, sizeof(file), "%s.log.%d", name, k);
		else
			snprintf(file, sizeof(file), "%s.log", name);
		r = read_file(fl, dirfd, file);
	}
	if (r)
		fprintf(stderr, "nucleusctl: logs: %s: %s\n", file, strerror(-r));
	return r;
}

/* Every source with a NAME.log in the directory. */
static int read_all(struct flines *fl, int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *e;
	int r = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && !r) {
		size_t n = strlen(e->d_name);
		char name[256];

		if (n <= 4 || n >= sizeof(name) || e->d_name[0] == '.' ||
		    strcmp(e->d_name + n - 4, ".log"))
			continue;
		memcpy(name, e->d_name, n - 4);
		name[n - 4] = '\0';
		r = read_source(fl, dirfd, name);
	}
	closedir(d);
	return r;
}

static int by_time(const void *a, const void *b)
{
	const struct fline *x = a, *y = b;
	int c = memcmp(x->text, y->text, STAMP_LEN);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* {"time_ms": null, ...}: a file keeps the wall clock only. */
static void print_json(const char *text)
{
	const char *name = text + 25, *colon = strstr(name, ": ");
	struct strbuf sb;
	char *service;

	if (!colon)
		return;
	service = strndup(name, (size_t)(colon - name));
	sb_init(&sb);
	sb_printf(&sb, "{\"time_ms\": null, \"time\": \"%.24s\", \"service\": ", text);
	sb_json_str(&sb, service ? service : "");
	sb_puts(&sb, ", \"stream\": null, \"priority\": null, \"line\": ");
	sb_json_str(&sb, colon + 2);
	sb_puts(&sb, "}\n");
	if (!sb.oom)
		fwrite(sb.buf, 1, sb.len, stdout);
	sb_free(&sb);
	free(service);
}

/* The lines since @since_ms ago (0: all), the last @last of them (0: all). */
static void print_lines(const struct flines *fl, uint64_t since_ms, uint64_t last, bool json)
{
	struct timespec ts;
	uint64_t now, since_us = since_ms * 1000;
	char from[40];
	size_t k = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	record_time(since_us < now ? now - since_us : 0, from, sizeof(from));
	if (since_ms)
		while (k < fl->n && memcmp(fl->v[k].text, from, STAMP_LEN) < 0)
			k++;
	if (last && fl->n - k > last)
		k = fl->n - last;
	for (; k < fl->n; k++) {
		if (json)
			print_json(fl->v[k].text);
		else
			printf("%s\n", fl->v[k].text);
	}
}

static int logs_usage(void)
{
	fputs("usage: nucleusctl logs --dir DIR [-n N] [--since DUR] [--json] [NAME...]\n", stderr);
	return 2;
}

int ctl_logs_dir(int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t last = 0, since_ms = 0;
	struct flines fl = {0};
	bool json = false;
	int i = 1, dirfd, r = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc &&
			 !parse_uint(argv[i + 1], 1u << 30, &last))
			i++;
		else if (!strcmp(argv[i], "--since") && i + 1 < argc &&
			 !parse_duration(argv[i + 1], &since_ms))
			i++;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return logs_usage();
	}
	if (!dir)
		return logs_usage();
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "nucleusctl: logs: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (i == argc)
		r = read_all(&fl, dirfd);
	for (; i < argc && !r; i++) {
		size_t before = fl.n;

		if (strchr(argv[i], '/') || argv[i][0] == '.') {
			fprintf(stderr, "nucleusctl: logs: '%s' is not a service's name\n",
				argv[i]);
			r = -EINVAL;
		} else if (!(r = read_source(&fl, dirfd, argv[i])) && fl.n == before) {
			fprintf(stderr, "nucleusctl: logs: no records of %s in %s\n", argv[i], dir);
			r = -ENOENT;
		}
	}
	close(dirfd);
	if (!r) {
		qsort(fl.v, fl.n, sizeof(*fl.v), by_time);
		print_lines(&fl, since_ms, last, json);
	}
	for (size_t k = 0; k < fl.nbufs; k++)
		free(fl.bufs[k]);
	free(fl.bufs);
	free(fl.v);
	return r ? 1 : 0;
}
