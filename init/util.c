// SPDX-License-Identifier: MIT
/*
 * util.c - parsers for the value types of the manifest, word splitting, and
 * a small string buffer. Pure code: no system calls, no global state.
 */
#include "util.h"

#include <ctype.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

int nerr_set(struct nerr *e, const char *step, int err, const char *fmt, ...)
{
	va_list ap;

	e->step = step;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	return err ? -err : -EINVAL;
}

size_t strlcpy_n(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/* Digits only, no sign, no blanks; at most UINT64_MAX. */
static int parse_digits(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static size_t digit_span(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	r = parse_digits(s, strlen(s), &v);
	if (r)
		return r;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_int(const char *s, long min, long max, long *out)
{
	bool neg = false;
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	r = parse_uint(s, (uint64_t)LONG_MAX, &v);
	if (r)
		return r;
	long x = neg ? -(long)v : (long)v;
	if (x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

int parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}};
	uint64_t v;
	size_t n;

	if (!s)
		return -EINVAL;
	n = digit_span(s);
	if (parse_digits(s, n, &v))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s + n, units[i].unit))
			continue;
		if (v > DURATION_MAX_MS / units[i].mult || v * units[i].mult > DURATION_MAX_MS)
			return -ERANGE;
		*ms = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v, mult;
	size_t n;

	if (!s)
		return -EINVAL;
	n = digit_span(s);
	if (parse_digits(s, n, &v))
		return -EINVAL;
	if (!strcmp(s + n, ""))
		mult = 1;
	else if (!strcmp(s + n, "K"))
		mult = 1ULL << 10;
	else if (!strcmp(s + n, "M"))
		mult = 1ULL << 20;
	else if (!strcmp(s + n, "G"))
		mult = 1ULL << 30;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*bytes = v * mult;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	int sig;
} sigtab[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},	  {"BUS", SIGBUS},   {"FPE", SIGFPE},
	{"KILL", SIGKILL}, {"USR1", SIGUSR1},	  {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE}, {"ALRM", SIGALRM},	  {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
	{"CHLD", SIGCHLD}, {"CONT", SIGCONT},	  {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
	{"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	  {"URG", SIGURG},   {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
	{"IO", SIGIO},	   {"PWR", SIGPWR},	  {"SYS", SIGSYS},
};

int parse_signal(const char *s, int *sig)
{
	uint64_t v;

	if (!s)
		return -EINVAL;
	if (!parse_uint(s, 64, &v) && v >= 1) {
		*sig = (int)v;
		return 0;
	}
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(sigtab); i++) {
		if (!strcmp(s, sigtab[i].name)) {
			*sig = sigtab[i].sig;
			return 0;
		}
	}
	return -EINVAL;
}

const char *signal_name(int sig)
{
	static char buf[16];

	for (size_t i = 0; i < ARRAY_SIZE(sigtab); i++)
		if (sigtab[i].sig == sig) {
			snprintf(buf, sizeof(buf), "SIG%s", sigtab[i].name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "SIG%d", sig);
	return buf;
}

int parse_rate(const char *s, unsigned *n, uint64_t *ms)
{
	const char *slash;
	uint64_t v;

	if (!s || !(slash = strchr(s, '/')))
		return -EINVAL;
	if (parse_digits(s, (size_t)(slash - s), &v) || v == 0 || v > 100000)
		return -EINVAL;
	if (parse_duration(slash + 1, ms) || *ms == 0)
		return -EINVAL;
	*n = (unsigned)v;
	return 0;
}

bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	/* "." and ".." would be path components with a meaning of their own */
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

/*
 * The words are written into one block: the pointer array first, then the
 * strings. A word is never longer than the input, so the input length bounds
 * the text part.
 */
int split_words(const char *s, char ***argv, int *argc, const char **err)
{
	size_t len = strlen(s), maxw = len / 2 + 2;
	char **v = malloc(maxw * sizeof(char *) + len + maxw);
	char *out;
	int n = 0;
	const char *p = s;

	*err = NULL;
	if (!v)
		return -ENOMEM;
	out = (char *)(v + maxw);
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		v[n++] = out;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');

				if (!q) {
					*err = "unterminated single quote";
					goto fail;
				}
				memcpy(out, p + 1, (size_t)(q - p - 1));
				out += q - p - 1;
				p = q + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
						p++;
					*out++ = *p++;
				}
				if (*p != '"') {
					*err = "unterminated double quote";
					goto fail;
				}
				p++;
			} else if (*p == '\\') {
				if (!p[1]) {
					*err = "trailing backslash";
					goto fail;
				}
				*out++ = p[1];
				p += 2;
			} else {
				*out++ = *p++;
			}
		}
		*out++ = '\0';
	}
	v[n] = NULL;
	*argv = v;
	if (argc)
		*argc = n;
	return 0;
fail:
	free(v);
	return -EINVAL;
}

int split_list(const char *s, char ***list, int *n)
{
	/* A list item never contains quotes in the contract; a quote is literal. */
	size_t len = strlen(s), maxw = len / 2 + 2;
	char **v = malloc(maxw * sizeof(char *) + len + 1);
	char *out;
	char *save = NULL;
	int k = 0;

	if (!v)
		return -ENOMEM;
	out = (char *)(v + maxw);
	memcpy(out, s, len + 1);
	for (char *tok = strtok_r(out, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		v[k++] = tok;
	v[k] = NULL;
	*list = v;
	if (n)
		*n = k;
	return 0;
}

int strv_len(char *const *v)
{
	int n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool strv_contains(char *const *v, const char *s)
{
	for (int i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

int strset_add(struct strset *set, const char *str)
{
	char *dup;

	if (strv_contains(set->v, str))
		return 0;
	if (set->n + 1 >= set->cap) {
		int nc = set->cap ? set->cap * 2 : 16;
		char **v = realloc(set->v, sizeof(*v) * (size_t)nc);

		if (!v)
			return -ENOMEM;
		set->v = v;
		set->cap = nc;
	}
	dup = strdup(str);
	if (!dup)
		return -ENOMEM;
	set->v[set->n++] = dup;
	set->v[set->n] = NULL;
	return 1;
}

void strset_free(struct strset *set)
{
	for (int i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

void sb_init(struct strbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

static bool sb_grow(struct strbuf *sb, size_t more)
{
	size_t need = sb->len + more + 1, cap;
	char *nb;

	if (sb->oom)
		return false;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = true;
		return false;
	}
	sb->buf = nb;
	sb->cap = cap;
	return true;
}

void sb_add(struct strbuf *sb, const char *s, size_t n)
{
	if (!sb_grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_grow(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sb_json_str(struct strbuf *sb, const char *s)
{
	if (!s) {
		sb_puts(sb, "null");
		return;
	}
	sb_puts(sb, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			sb_puts(sb, "\\\"");
			break;
		case '\\':
			sb_puts(sb, "\\\\");
			break;
		case '\n':
			sb_puts(sb, "\\n");
			break;
		case '\r':
			sb_puts(sb, "\\r");
			break;
		case '\t':
			sb_puts(sb, "\\t");
			break;
		default:
			if (*p < 0x20)
				sb_printf(sb, "\\u%04x", *p);
			else
				sb_add(sb, (const char *)p, 1);
		}
	}
	sb_puts(sb, "\"");
}

int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int write_text(int dirfd, const char *path, const char *text)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC), r = 0;
	size_t n = strlen(text);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, n);
	if (w != (ssize_t)n)
		r = w < 0 ? -errno : -EIO;
	close(fd);
	return r;
}

ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

int proc_stat_ids(pid_t pid, pid_t *ppid, pid_t *session)
{
	char path[32], buf[512], *p, *end;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? (int)n : -ESRCH;
	/* "PID (COMM) STATE PPID PGRP SESSION ...": COMM may hold blanks and ')',
	 * but the last ')' is its end */
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 4)
		return -EINVAL;
	*ppid = (pid_t)strtol(p + 4, &end, 10);
	strtol(end, &end, 10); /* the process group */
	p = end;
	*session = (pid_t)strtol(p, &end, 10);
	return end > p ? 0 : -EINVAL;
}

const char *l4proto_cut(char *item)
{
	size_t n = strlen(item);

	if (n > 4 && (!strcmp(item + n - 4, "/tcp") || !strcmp(item + n - 4, "/udp"))) {
		item[n - 4] = '\0';
		return item[n - 3] == 't' ? "tcp" : "udp";
	}
	return NULL;
}

/* Creates path and its missing parents; an existing directory is fine. */
int mkdir_p(const char *path, unsigned mode)
{
	char buf[4096];
	size_t n = strlcpy_n(buf, path, sizeof(buf));

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int fd_send(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int fd_recv(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}
