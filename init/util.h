/* SPDX-License-Identifier: MIT */
/*
 * util.h - the pure parsers of the contract: durations, sizes, booleans,
 * names, signals, word splitting; and a growable string buffer.
 * None of these touch the system, so they are unit tested directly.
 */
#ifndef NUCLEUS_UTIL_H
#define NUCLEUS_UTIL_H

#include "nucleus.h"
#include <stdarg.h>
#include <sys/types.h>

/*
 * "500ms", "10s", "2m", "1h"; a bare integer means seconds. 0, -EINVAL, or
 * -ERANGE beyond DURATION_MAX_MS: no timeout, delay or interval of ours
 * needs more than a year, and a bound keeps deadline arithmetic far from
 * overflow.
 */
#define DURATION_MAX_MS (365ull * 24 * 3600 * 1000)
int parse_duration(const char *s, uint64_t *ms);
/* "64K", "1M", "2G" (powers of 1024) or bytes. 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *bytes);
/* yes/no, true/false, 1/0. */
int parse_bool(const char *s, bool *out);
/* A non-negative decimal integer no larger than max. */
int parse_uint(const char *s, uint64_t max, uint64_t *out);
/* A decimal integer within [min, max]. */
int parse_int(const char *s, long min, long max, long *out);
/* "TERM", "SIGTERM", "15" -> signal number. */
int parse_signal(const char *s, int *sig);
/* Signal number -> "SIGTERM"; static storage. */
const char *signal_name(int sig);
/* "N/DURATION", e.g. "5/60s". */
int parse_rate(const char *s, unsigned *n, uint64_t *ms);
/* [A-Za-z0-9_.-]{1,64} */
bool valid_name(const char *s);

/*
 * split_words - split a command line the way a POSIX shell splits words:
 * blanks separate, '...' is literal, "..." allows \" \\ \$ \` escapes,
 * a backslash outside quotes escapes the next character. No expansion.
 * Returns 0 and a NULL-terminated argv (one allocation, free with free())
 * or a negative errno with *err naming the problem.
 */
int split_words(const char *s, char ***argv, int *argc, const char **err);

/* Split a blank-separated list (no quoting): same allocation rules. */
int split_list(const char *s, char ***list, int *n);

/* Count of entries in a NULL-terminated vector. */
int strv_len(char *const *v);
bool strv_contains(char *const *v, const char *s);

/* A small set of strings, kept NULL-terminated (a strv); linear, for tens. */
struct strset {
	char **v;
	int n, cap;
};
/* 1 when @str was added, 0 when it was there, -ENOMEM. */
int strset_add(struct strset *set, const char *str);
void strset_free(struct strset *set);

/* A growable, always NUL-terminated buffer. Allocation failure sets ->oom. */
struct strbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) PRINTF(2, 3);
/* A JSON string literal with quotes, or null when s is NULL. */
void sb_json_str(struct strbuf *sb, const char *s);

/* @path, a small file of /proc, /sys or cgroupfs, into @buf (one read,
 * NUL-terminated): its length, or -errno. */
ssize_t read_small(const char *path, char *buf, size_t size);

/* PPID and SESSION of /proc/PID/stat: 0, or -errno (the process is gone). */
int proc_stat_ids(pid_t pid, pid_t *ppid, pid_t *session);

/* "ITEM/tcp" or "ITEM/udp" (publish, egress): the protocol, cut off @item;
 * NULL when it names none. */
const char *l4proto_cut(char *item);

/* mkdir -p: 0 or a negative errno. */
int mkdir_p(const char *path, unsigned mode);

/* All @n bytes of @buf to @fd (a short write goes on, EINTR is retried): 0, or -errno (-EIO: 0
 * written). */
int write_all(int fd, const void *buf, size_t n);

/*
 * write_text - writes @text whole into the existing file @path (relative to
 * @dirfd, or AT_FDCWD): the /proc, /sys and cgroup files whose write is one
 * value. 0 or a negative errno (-EIO for a short write).
 */
int write_text(int dirfd, const char *path, const char *text);

/* One fd over a unix socket (SCM_RIGHTS): 0 or -errno; the fd received (CLOEXEC), or -1. */
int fd_send(int sock, int fd);
int fd_recv(int sock);

/* Copy with truncation, always terminated; returns strlen(src). */
size_t strlcpy_n(char *dst, const char *src, size_t size);

#endif
