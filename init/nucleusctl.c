// SPDX-License-Identifier: MIT
/*
 * nucleusctl.c - the control client: one request, print the answer, exit
 * with the code the server sent.
 */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void ctl_usage(FILE *fp)
{
	fputs("usage: nucleusctl [--runtime-dir DIR] COMMAND\n"
	      "\n"
	      "commands:\n"
	      "  status [--json] [NAME]   services and their states\n"
	      "  start NAME               start, wait until ready (or failed)\n"
	      "  stop NAME                stop, wait until stopped\n"
	      "  restart NAME             stop then start\n"
	      "  logs NAME                recent captured output\n"
	      "  reload                   re-read the manifest\n"
	      "  poweroff | reboot | halt shut the system down\n"
	      "  version                  the version of the running nucleus-init\n"
	      "\n"
	      "options:\n"
	      "  --runtime-dir DIR        where control.sock is (default " DEFAULT_RUNTIME_DIR ")\n"
	      "  --no-block               start/stop/restart return at once\n",
	      fp);
}

int ctl_main(int argc, char **argv)
{
	const char *dir = getenv("NUCLEUS_RUNTIME_DIR");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[512] = "", buf[4096];
	size_t o = 0;
	int fd, code = -1;
	bool first = true;
	char codebuf[16];
	size_t cl = 0;

	if (!dir)
		dir = DEFAULT_RUNTIME_DIR;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runtime-dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strncmp(argv[i], "--runtime-dir=", 14)) {
			dir = argv[i] + 14;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ctl_usage(stdout);
			return 0;
		} else {
			int w = snprintf(line + o, sizeof(line) - o, "%s%s", o ? " " : "", argv[i]);

			if (w < 0 || (size_t)w >= sizeof(line) - o || strchr(argv[i], '\n')) {
				fprintf(stderr, "nucleusctl: command too long\n");
				return 2;
			}
			o += (size_t)w;
		}
	}
	if (!o) {
		ctl_usage(stderr);
		return 2;
	}
	line[o++] = '\n';
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control.sock", dir) >=
	    sizeof(sa.sun_path)) {
		fprintf(stderr, "nucleusctl: %s: path too long\n", dir);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "nucleusctl: %s: %s (is nucleus-init running?)\n", sa.sun_path,
			strerror(errno));
		return 3;
	}
	if (send(fd, line, o, MSG_NOSIGNAL) != (ssize_t)o) {
		fprintf(stderr, "nucleusctl: send: %s\n", strerror(errno));
		return 3;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first) {
			while (start < (size_t)n && buf[start] != '\n' && cl < sizeof(codebuf) - 1)
				codebuf[cl++] = buf[start++];
			if (start == (size_t)n)
				continue;
			codebuf[cl] = '\0';
			code = atoi(codebuf);
			start++;
			first = false;
		}
		if (fwrite(buf + start, 1, (size_t)n - start, stdout) != (size_t)n - start)
			break;
	}
	close(fd);
	if (code < 0) {
		fprintf(stderr, "nucleusctl: no answer from nucleus-init\n");
		return 3;
	}
	fflush(stdout);
	return code;
}
