// SPDX-License-Identifier: MIT
/*
 * container.c - container mode: run one command, forward every catchable
 * signal to it, reap every zombie, exit with its exit code.
 *
 * The wait is sigwaitinfo() on a fully blocked mask: nothing polls, and no
 * signal can arrive between a check and the wait.
 */
#include "container.h"
#include "spawn.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int container_exit_code(const struct container_opts *o, int st)
{
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

	for (int i = 0; i < o->nremap; i++)
		if (o->remap[i] == code)
			return 0;
	return code;
}

/* In the child: its own process group, in the foreground of our tty if any. */
static void child_start(char **argv)
{
	spawn_reset_signals();
	setpgid(0, 0);
	if (isatty(STDIN_FILENO)) {
		signal(SIGTTOU, SIG_IGN);
		if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0) {
			/* not our terminal: fine */
		}
		signal(SIGTTOU, SIG_DFL);
	}
	execvp(argv[0], argv);
	int err = errno;

	fprintf(stderr, "nucleus-init: exec %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

int container_main(const struct container_opts *o)
{
	sigset_t all;
	pid_t child;

	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fprintf(stderr, "nucleus-init: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "nucleus-init: fork: %s\n", strerror(errno));
		return 126;
	}
	if (child == 0)
		child_start(o->argv);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* SIGKILL and SIGSTOP never get here; everything else goes on */
			kill(o->group ? -child : child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);

			if (p <= 0)
				break;
			if (p == child)
				return container_exit_code(o, st);
		}
	}
}
