// SPDX-License-Identifier: MIT
/*
 * nucleusctl.c - the control client: one session on control.sock, or on a
 * guest's control port through its host socket (--connect): the command's
 * words out, its output and exit code back. `exec` also sends stdin (as far
 * as the session's credit goes), the terminal's size and the signals the
 * client gets; `mux` is ctl_mux.c.
 */
#include "control.h"
#include "frame.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define CHAN 1

static void ctl_usage(FILE *fp)
{
	fputs("usage: nucleusctl [--runtime-dir DIR | --connect SOCKET] COMMAND\n"
	      "\n"
	      "commands:\n"
	      "  status [--json] [NAME]   services and their states\n"
	      "  start NAME               start, wait until ready (or failed)\n"
	      "  stop NAME                stop, wait until stopped\n"
	      "  restart NAME             stop then start\n"
	      "  logs [-f] [-n N] [--since DUR] [--json] [NAME...]\n"
	      "                           the records of the services named (all without\n"
	      "                           a name; also nucleus and kernel) in time order;\n"
	      "                           -f follows, -n the last N, --json JSON lines\n"
	      "  logs --dir DIR [-n N] [--since DUR] [--json] [NAME...]\n"
	      "                           the same from log_dir's files (earlier boots too),\n"
	      "                           read here, with no nucleus-init to ask\n"
	      "  reload                   re-read the manifest\n"
	      "  events [--replay]        follow state, health, boot and shutdown events\n"
	      "                           (JSON lines); --replay: the last 64 first\n"
	      "  wait [--timeout DUR] [--state STATE] NAME...\n"
	      "                           until every NAME is in STATE (default ready, or\n"
	      "                           exited for a oneshot): 0; 1 one failed; 2 time ran out\n"
	      "  exec [-t] [-e K=V]... NAME -- CMD [ARGS...]\n"
	      "                           run CMD inside service NAME as its exec probes run,\n"
	      "                           stdio forwarded; -t: a terminal; exit status is CMD's\n"
	      "                           (128+N for signal N), 125 if it could not start\n"
	      "  seccomp-profile NAME     the calls a seccomp = learn service made, as a\n"
	      "                           profile file for seccomp = FILE\n"
	      "  poweroff | reboot | halt shut the system down\n"
	      "  version                  this nucleusctl's version, and the running\n"
	      "                           nucleus-init's (exit 3 when none answers)\n"
	      "  mux PORT_SOCKET LISTEN_SOCKET\n"
	      "                           share a guest's control port (its host socket) among\n"
	      "                           many clients, which --connect LISTEN_SOCKET\n"
	      "\n"
	      "options:\n"
	      "  --runtime-dir DIR        where control.sock is (default " DEFAULT_RUNTIME_DIR ")\n"
	      "  --connect SOCKET         a guest's control port through its host end\n"
	      "                           (NUCLEUS_CONNECT=SOCKET does the same)\n"
	      "  --no-block               start/stop/restart return at once\n",
	      fp);
}

struct client {
	int fd;
	bool exec, tty;
	int sigfd;
	uint32_t credit; /* stdin bytes the server takes now */
	bool in_eof;
	int code;
	uint64_t deadline_ms; /* 0: none */
	struct frame_dec dec;
	struct termios saved;
	bool raw;
};

static int send_frame(struct client *c, enum frame_type t, const void *data, size_t len)
{
	unsigned char hdr[FRAME_HDR];

	frame_header(hdr, t, CHAN, (uint32_t)len);
	if (write_all(c->fd, hdr, sizeof(hdr)) || (len && write_all(c->fd, data, len))) {
		fprintf(stderr, "nucleusctl: send: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void on_frame(void *arg, const struct frame *f)
{
	struct client *c = arg;

	if (!f || f->chan != CHAN)
		return;
	switch (f->type) {
	case F_OUT:
	case F_ERR:
		if (f->len && write_all(f->type == F_OUT ? 1 : 2, f->data, f->len) &&
		    f->type == F_OUT)
			c->code = c->code < 0 ? 141 : c->code; /* stdout gone, as SIGPIPE would */
		break;
	case F_EXIT:
		if (f->len >= 4 && c->code < 0)
			c->code = (int)frame_u32(f->data);
		else if (c->code < 0)
			c->code = 3;
		break;
	case F_CREDIT:
		if (f->len >= 4)
			c->credit += frame_u32(f->data);
		break;
	default:
		break;
	}
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "nucleusctl: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "nucleusctl: %s: %s (is nucleus-init running?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- exec: the local side of stdin, the terminal, signals ---- */

static void send_winsize(struct client *c)
{
	struct winsize ws;
	unsigned char v[4];

	if (ioctl(0, TIOCGWINSZ, &ws) < 0 && ioctl(1, TIOCGWINSZ, &ws) < 0)
		return;
	v[0] = (unsigned char)ws.ws_row;
	v[1] = (unsigned char)(ws.ws_row >> 8);
	v[2] = (unsigned char)ws.ws_col;
	v[3] = (unsigned char)(ws.ws_col >> 8);
	send_frame(c, F_WINCH, v, sizeof(v));
}

static void exec_local_setup(struct client *c)
{
	sigset_t set;

	struct sigaction old;

	sigemptyset(&set);
	/*
	 * Forwarded, even where a shell made a background job ignore them (a
	 * signal ignored is gone before signalfd sees it); a SIGHUP that nohup
	 * ignored stays ignored.
	 */
	for (int sig = SIGINT; sig <= SIGTERM; sig++)
		if (sig == SIGINT || sig == SIGQUIT || sig == SIGTERM) {
			signal(sig, SIG_DFL);
			sigaddset(&set, sig);
		}
	if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	c->credit = EXEC_INITIAL_CREDIT;
	if (c->tty && isatty(0) && tcgetattr(0, &c->saved) == 0) {
		struct termios raw = c->saved;

		cfmakeraw(&raw);
		c->raw = tcsetattr(0, TCSANOW, &raw) == 0;
	}
}

static void on_signal(struct client *c)
{
	struct signalfd_siginfo si;
	unsigned char v[4];

	if (read(c->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		if (c->tty)
			send_winsize(c);
		return;
	}
	frame_put_u32(v, si.ssi_signo);
	send_frame(c, F_SIGNAL, v, sizeof(v));
}

static void on_stdin(struct client *c)
{
	char buf[FRAME_MAX];
	size_t want = c->credit < sizeof(buf) ? c->credit : sizeof(buf);
	ssize_t n = read(0, buf, want);

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		c->in_eof = true;
		send_frame(c, F_IN, NULL, 0);
		return;
	}
	c->credit -= (uint32_t)n;
	send_frame(c, F_IN, buf, (size_t)n);
}

/* ---- the session ---- */

static int remaining_ms(const struct client *c)
{
	uint64_t now = now_ms();

	if (!c->deadline_ms)
		return -1;
	return now >= c->deadline_ms ? 0 : (int)(c->deadline_ms - now);
}

static int run_session(struct client *c)
{
	while (c->code < 0) {
		struct pollfd p[3] = {{.fd = c->fd, .events = POLLIN},
				      {.fd = c->sigfd, .events = POLLIN},
				      {.fd = -1, .events = POLLIN}};
		char buf[65536];
		ssize_t n;
		int r;

		if (c->exec && !c->in_eof && c->credit)
			p[2].fd = 0;
		r = poll(p, 3, remaining_ms(c));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		if (p[1].revents & POLLIN)
			on_signal(c);
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			on_stdin(c);
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		frame_feed(&c->dec, buf, (size_t)n, on_frame, c);
	}
	return 0;
}

/* The words of the request, each NUL-terminated; exec gets the terminal's size. */
static int request(struct client *c, char **w, int n, struct strbuf *req)
{
	for (int i = 0; i < n; i++) {
		sb_add(req, w[i], strlen(w[i]) + 1);
		/* exec's own options come before NAME: add ours there */
		if (c->exec && i == 0 && c->tty) {
			const char *term = getenv("TERM");

			if (term && *term) {
				sb_add(req, "-e", 3);
				sb_printf(req, "TERM=%s", term);
				sb_add(req, "", 1);
			}
		}
	}
	if (req->oom || req->len > FRAME_MAX) {
		fprintf(stderr, "nucleusctl: command too long\n");
		return -1;
	}
	return 0;
}

/* What the client does for exec and wait beyond sending the words. */
static void session_kind(struct client *c, char **w, int n)
{
	c->exec = !strcmp(w[0], "exec");
	for (int i = 1; c->exec && i < n && strcmp(w[i], "--"); i++)
		c->tty |= !strcmp(w[i], "-t");
	if (!strcmp(w[0], "wait")) {
		/* the server's own deadline answers first; this one is for a silent server */
		for (int i = 1; i + 1 < n; i++) {
			uint64_t ms;

			if (!strcmp(w[i], "--timeout") && !parse_duration(w[i + 1], &ms) && ms)
				c->deadline_ms = now_ms() + ms + 2000;
		}
	}
}

static int session(const char *path, char **w, int n)
{
	struct client c = {.fd = -1, .sigfd = -1, .code = -1};
	struct strbuf req;
	int r;

	session_kind(&c, w, n);
	sb_init(&req);
	if (request(&c, w, n, &req)) {
		sb_free(&req);
		return 2;
	}
	/* the client's own version first: it is known even when no server answers */
	if (!strcmp(w[0], "version") && n == 1) {
		printf("nucleusctl %s\n", NUCLEUS_VERSION);
		fflush(stdout);
	}
	c.fd = connect_to(path);
	if (c.fd < 0) {
		sb_free(&req);
		return 3;
	}
	frame_dec_init(&c.dec);
	if (c.exec)
		exec_local_setup(&c);
	/* a port may hold half a frame of an earlier client: SYNC first */
	r = write_all(c.fd, frame_sync, sizeof(frame_sync)) ||
	    send_frame(&c, F_OPEN, req.buf, req.len) || (c.tty && (send_winsize(&c), 0));
	sb_free(&req);
	if (!r)
		r = run_session(&c);
	if (c.raw)
		tcsetattr(0, TCSANOW, &c.saved);
	frame_dec_free(&c.dec);
	close(c.fd);
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "nucleusctl: wait: no answer in time\n");
		return 2;
	}
	if (r || c.code < 0) {
		fprintf(stderr, "nucleusctl: the connection ended without an answer\n");
		return 3;
	}
	return c.code;
}

int ctl_main(int argc, char **argv)
{
	const char *dir = getenv("NUCLEUS_RUNTIME_DIR"), *connect = getenv("NUCLEUS_CONNECT");
	char path[200];
	int i = 1;

	if (!dir)
		dir = DEFAULT_RUNTIME_DIR;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--runtime-dir") && i + 1 < argc) {
			dir = argv[++i];
			connect = NULL;
		} else if (!strncmp(argv[i], "--runtime-dir=", 14)) {
			dir = argv[i] + 14;
			connect = NULL;
		} else if (!strcmp(argv[i], "--connect") && i + 1 < argc) {
			connect = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ctl_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--no-block")) {
			fprintf(stderr, "nucleusctl: unknown option '%s'\n", argv[i]);
			return 2;
		} else {
			break; /* a command's option, sent along */
		}
	}
	if (i >= argc) {
		ctl_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "mux"))
		return ctl_mux_main(argc - i, argv + i);
	for (int k = i + 1; !strcmp(argv[i], "logs") && k < argc; k++)
		if (!strcmp(argv[k], "--dir"))
			return ctl_logs_dir(argc - i, argv + i);
	if (connect && *connect)
		return session(connect, argv + i, argc - i);
	if ((size_t)snprintf(path, sizeof(path), "%s/control.sock", dir) >= sizeof(path)) {
		fprintf(stderr, "nucleusctl: %s: path too long\n", dir);
		return 2;
	}
	return session(path, argv + i, argc - i);
}
