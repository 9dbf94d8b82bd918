// SPDX-License-Identifier: MIT
/*
 * main.c - picks the mode: nucleusctl (by argv[0]), --check, container mode
 * (`--`), or the supervisor as PID 1 of a machine, PID 1 of a PID namespace,
 * or a child subreaper.
 */
#include "container.h"
#include "inside.h"
#include "records.h"
#include "audit.h"
#include "require.h"
#include "logd.h"
#include "isolate/hide.h"
#include "isolate/ns.h"
#include "control.h"
#include "events.h"
#include "notify_up.h"
#include "stages.h"
#include "devhelper.h"
#include "isolate/cgroup.h"
#include "isolate/seccomp.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <unistd.h>

static void usage(FILE *fp)
{
	fputs("usage: nucleus-init [--manifest PATH] [--runtime-dir DIR]\n"
	      "       nucleus-init --check [--strict] [--manifest PATH]\n"
	      "       nucleus-init [-g] [-e CODE]... [-s] -- CMD [ARGS...]\n"
	      "       nucleusctl [--runtime-dir DIR | --connect SOCKET] COMMAND   (nucleusctl "
	      "--help)\n"
	      "\n"
	      "Supervisor (PID 1 of a machine or a PID namespace, or a subreaper):\n"
	      "  --manifest PATH     the manifest (default " DEFAULT_MANIFEST ";\n"
	      "                      as PID 1, nucleus.manifest=PATH on the kernel command line)\n"
	      "  --runtime-dir DIR   control and notify sockets, where private roots are built\n"
	      "                      (default " DEFAULT_RUNTIME_DIR ")\n"
	      "  --check             validate the manifest, print PATH:LINE: errors, exit 0 or 1;\n"
	      "                      also compiles seccomp profiles and warns of what gives\n"
	      "                      isolation away (dangerous capabilities, seccomp = none, ...)\n"
	      "  --strict            with --check: a warning is an error (exit 1), for CI\n"
	      "  kernel command line (as PID 1): nucleus.manifest=PATH, nucleus.debug,\n"
	      "                      nucleus.cgroups=no (services run without cgroup v2 groups)\n"
	      "  NOTIFY_SOCKET       not as PID 1 of a machine: READY=1 once every service\n"
	      "                      settled, STATUS= and STOPPING=1 go there (sd_notify)\n"
	      "  as PID 1 of a machine, the control protocol is served on the virtio-serial\n"
	      "  port org.nucleus.ctl too ([system] control_port)\n"
	      "\n"
	      "Container mode (a drop-in for tini):\n"
	      "  -- CMD ARGS         run CMD as the only child, forward signals, reap zombies,\n"
	      "                      exit with its code (128+N when killed by signal N)\n"
	      "  -g                  send forwarded signals to the child's process group\n"
	      "  -e CODE             treat exit code CODE as 0 (repeatable)\n"
	      "  -s                  accepted: nucleus-init is always a subreaper when not PID 1\n"
	      "\n"
	      "  -h, --help          this text\n"
	      "  -V, --version       the version\n",
	      fp);
}

static void check_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

/* What --check can say beyond the loader: a seccomp profile that does not compile. */
static int check_isolation(const struct manifest *m)
{
	int errors = 0;

	for (int i = 0; i < m->nsvc; i++) {
		const struct svc_conf *c = m->svcs[i];
		struct sc_prog prog = {0};
		struct nerr e = {0};

		if (c->isolate && sc_compile(c, &prog, &e) < 0) {
			fprintf(stderr, "%s:%d: %s: %s: %s\n", m->path, c->line, c->name, e.step,
				e.what);
			errors++;
		}
		sc_prog_free(&prog);
	}
	return errors;
}

/* --check [--strict]: 0 valid, 1 an error (or, with --strict, a warning). */
static int check_main(const char *path, bool strict)
{
	int err = 0;
	struct manifest *m = manifest_load(path, check_err, NULL, &err);
	int rc;

	if (!m) {
		fprintf(stderr, "%s: %s\n", path, strerror(err));
		return 1;
	}
	m->nerrors += check_isolation(m);
	for (int i = 0; i < m->nwarnings; i++)
		fprintf(stderr, "%s\n", m->warnings[i]);
	rc = m->nerrors || (strict && m->nwarnings) ? 1 : 0;
	if (!rc)
		printf("%s: ok (%d service%s%s)\n", path, m->nsvc, m->nsvc == 1 ? "" : "s",
		       m->nwarnings ? ", with warnings" : "");
	else if (m->nerrors)
		fprintf(stderr, "%s: %d error%s\n", path, m->nerrors, m->nerrors == 1 ? "" : "s");
	else
		fprintf(stderr, "%s: %d warning%s, errors under --strict\n", path, m->nwarnings,
			m->nwarnings == 1 ? "" : "s");
	manifest_free(m);
	return rc;
}

/* ---- the supervisor ---- */

/*
 * Wall time under TCG says little about whose work it was: user time is
 * our own code, system time the kernel's on our requests (mounts, a link
 * brought up, a module's init).
 */
static void cpu_us(uint64_t *user, uint64_t *sys)
{
	struct rusage ru;

	*user = *sys = 0;
	if (getrusage(RUSAGE_SELF, &ru))
		return;
	*user = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
	*sys = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
}

/* @s holds the CPU at our start (the kernel's init before exec counts as PID 1's too). */
static void stage1_cpu(struct supervisor *s)
{
	uint64_t user, sys;

	cpu_us(&user, &sys);
	s->stage1_user_us = user - s->stage1_user_us;
	s->stage1_sys_us = sys - s->stage1_sys_us;
}

static void on_signal(struct loop *l, int fd, uint32_t ev, void *arg)
{
	struct supervisor *s = arg;
	struct signalfd_siginfo si;

	(void)l;
	(void)ev;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		bool machine = s->mode == MODE_MACHINE;

		switch (si.ssi_signo) {
		case SIGCHLD:
			sup_reap(s);
			break;
		case SIGTERM:
			sup_shutdown(s, machine ? POWER_REBOOT : POWER_POWEROFF, "SIGTERM");
			break;
		case SIGINT:
			sup_shutdown(s, machine ? POWER_REBOOT : POWER_POWEROFF, "SIGINT");
			break;
		case SIGUSR2:
			sup_shutdown(s, POWER_POWEROFF, "SIGUSR2");
			break;
		case SIGPWR:
			sup_shutdown(s, POWER_POWEROFF, "SIGPWR");
			break;
		case SIGUSR1:
			sup_shutdown(s, POWER_HALT, "SIGUSR1");
			break;
		case SIGHUP: {
			struct strbuf out;

			sb_init(&out);
			sup_reload(s, &out);
			if (out.len)
				log_info("SIGHUP: %.*s", (int)out.len - 1, out.buf);
			sb_free(&out);
			break;
		}
		default:
			break;
		}
	}
}

static enum run_mode pick_mode(void)
{
	if (getpid() != 1) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			log_warn("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
		return MODE_SUBREAPER;
	}
	/* Only the init of the initial PID namespace may change CAD handling. */
	if (reboot(RB_DISABLE_CAD) < 0 && errno == EINVAL)
		return MODE_NAMESPACE;
	return MODE_MACHINE;
}

/* What the process needs before the loop: our binary, idmap or not, fds. */
static void process_setup(enum run_mode mode)
{
	struct rlimit rl;

	/* for a kernel whose idmapped mounts misbehave, and the tests of the walk */
	if (mode != MODE_MACHINE && getenv("NUCLEUS_NO_IDMAP") &&
	    !strcmp(getenv("NUCLEUS_NO_IDMAP"), "1"))
		hide_without_idmap();
	if (inside_open_self(mode != MODE_MACHINE) < 0)
		log_err("cannot open our own binary (%s): services with a PID namespace and exec "
			"probes cannot start",
			inside_why());
	/* PID 1 holds two pipe ends per service: give it room. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
	    rl.rlim_cur < 65536) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The signals PID 1 acts on, from a signalfd in the loop (all are blocked). */
static void open_signals(struct supervisor *s)
{
	sigset_t want;
	int sfd;

	sigemptyset(&want);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig == SIGCHLD || sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
		    sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGPWR)
			sigaddset(&want, sig);
	sfd = signalfd(-1, &want, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || loop_add_fd(s->loop, sfd, EPOLLIN, on_signal, s))
		log_err("signalfd: %s", strerror(errno));
}

/* Stage 2: the services, and the loop until the end. */
static int serve(struct supervisor *s)
{
	control_open(s);
	notify_up_open(s);
	if (s->mode == MODE_MACHINE) {
		int r;

		stage1_devices(s);
		control_port_scan(s);
		r = audit_start(s);
		if (r)
			log_warn("audit: %s: seccomp denials are not seen", strerror(-r));
	}
	if (!s->shutting_down && !s->boot_stopped && !require_check(s)) {
		if (s->m->sys.on_unmet == POWER_STAY) {
			s->boot_stopped = true;
		} else {
			s->exit_code = 1;
			sup_shutdown(s, POWER_POWEROFF, "a required kernel feature is missing");
		}
	}
	if (!s->shutting_down)
		sup_start_all(s);
	sup_settle(s);
	while (!s->exit_now) {
		if (loop_run_once(s->loop) < 0) {
			log_err("event loop: %s", strerror(errno));
			sleep(1);
		}
		sup_settle(s);
	}
	control_close(s);
	log_console_last();
	if (s->mode == MODE_MACHINE) {
		/* PID 1 of a machine never exits; reboot(2) failed if we are here */
		for (;;)
			pause();
	}
	return s->exit_code;
}

/* cgroups, the manifest, the signals, and (a machine) the rest of stage 1. */
static void stage_one(struct supervisor *s, uint64_t t0)
{
	int r;

	if (cg_init(s->mode == MODE_MACHINE) == 0)
		log_info("cgroup v2: every service in its own group under %s", cg_base());
	else
		log_info("no cgroup v2 (%s): services run without groups, and a service "
			 "with a limit fails",
			 cg_why());
	t0 = sup_phase(s, BP_CGROUPS, t0);
	r = sup_load(s, true);
	sup_phase(s, BP_MANIFEST, t0);
	open_signals(s);
	if (r == -EINVAL) {
		log_err("[system] is invalid; powering off");
		s->exit_code = 1;
		sup_shutdown(s, POWER_POWEROFF, "invalid [system] section");
	} else if (s->mode == MODE_MACHINE && stage1_apply(s) < 0) {
		s->boot_stopped = true;
	} else if (s->mode != MODE_MACHINE && s->m->sys.root) {
		log_warn("[system] root = %s: only PID 1 of a machine moves into a root; ignored",
			 s->m->sys.root);
	}
	s->stage1_ms = now_ms() - s->start_ms;
	stage1_cpu(s);
	events_emit(&(struct event){.kind = EVENT_BOOT, .stage = "stage1"});
}

static int run_supervisor(char *manifest, char *runtime_dir)
{
	static struct supervisor sup;
	struct supervisor *s = &sup;
	enum run_mode mode;
	struct loop *l;
	bool debug = getenv("NUCLEUS_DEBUG") != NULL;
	sigset_t all;
	uint64_t t_start = now_ms(), boot_ms = 0, t0 = now_us(), mounts_us = 0, user0, sys0;
	struct timespec bt;

	cpu_us(&user0, &sys0);
	if (clock_gettime(CLOCK_BOOTTIME, &bt) == 0)
		boot_ms = (uint64_t)bt.tv_sec * 1000 + (uint64_t)bt.tv_nsec / 1000000;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	records_start();
	mode = pick_mode();
	if (mode == MODE_MACHINE) {
		umask(022);
		if (chdir("/") < 0)
			log_warn("chdir /: %s", strerror(errno));
		setsid();
		stage1_early();
		stage1_cmdline(&manifest, &debug);
		mounts_us = now_us() - t0;
	}
	if (debug) {
		setenv("NUCLEUS_DEBUG", "1", 1);
		log_set_level(LOG_DEBUG);
		log_set_console_level(LOG_DEBUG);
	}
	process_setup(mode);
	l = loop_new();
	while (!l) {
		log_err("cannot create the event loop: %s; retrying", strerror(errno));
		sleep(1);
		l = loop_new();
	}
	sup_init(s, l, mode);
	s->stage1_user_us = user0; /* stage1_cpu() subtracts them */
	s->stage1_sys_us = sys0;
	s->phase_us[BP_MOUNTS] = mounts_us;
	t0 = sup_phase(s, BP_PREPARE, t0 + mounts_us);
	log_console_async(l, mode == MODE_MACHINE);
	s->start_ms = t_start;
	/* only a machine's init knows when the kernel handed over */
	s->kernel_ms = mode == MODE_MACHINE ? boot_ms : 0;
	s->manifest_path = manifest ? manifest : strdup(DEFAULT_MANIFEST);
	if (runtime_dir) {
		s->runtime_dir = runtime_dir;
		s->runtime_dir_from_cli = true;
	}
	log_info("nucleus-init %s starting (%s, manifest %s)", NUCLEUS_VERSION,
		 mode == MODE_MACHINE	  ? "machine"
		 : mode == MODE_NAMESPACE ? "pid namespace"
					  : "subreaper",
		 s->manifest_path);
	stage_one(s, t0);
	return serve(s);
}

int main(int argc, char **argv)
{
	char *manifest = NULL, *runtime_dir = NULL;
	struct container_opts co = {0};
	bool check = false, strict = false, machine_pid1 = getpid() == 1;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	/* what runs inside services: exec'd by us with these names (inside.h) */
	if (!strcmp(argv[0], NS_INIT_NAME))
		return ns_init_main(argc, argv);
	if (!strcmp(argv[0], RUNNER_NAME))
		return runner_main(argc, argv);
	/* device work outside PID 1 (stages/devhelper.h), and the kernel's modprobe */
	if (!strcmp(argv[0], DEVHELPER_NAME))
		return devhelper_main(argc, argv);
	if (!strcmp(argv[0], LOGD_NAME))
		return logd_main(argc, argv);
	if (!strcmp(prog, "modprobe"))
		return modprobe_main(argc, argv);
	if (!strcmp(prog, "nucleusctl"))
		return ctl_main(argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			co.argv = &argv[i + 1];
			if (!co.argv[0]) {
				fprintf(stderr, "nucleus-init: -- needs a command\n");
				return 2;
			}
			return container_main(&co);
		} else if (!strcmp(a, "--manifest") && i + 1 < argc) {
			manifest = strdup(argv[++i]);
		} else if (!strncmp(a, "--manifest=", 11)) {
			manifest = strdup(a + 11);
		} else if (!strcmp(a, "--runtime-dir") && i + 1 < argc) {
			runtime_dir = strdup(argv[++i]);
		} else if (!strncmp(a, "--runtime-dir=", 14)) {
			runtime_dir = strdup(a + 14);
		} else if (!strcmp(a, "--check")) {
			check = true;
		} else if (!strcmp(a, "--strict")) {
			strict = true;
		} else if (!strcmp(a, "-g")) {
			co.group = true;
		} else if (!strcmp(a, "-s")) {
			/* always a subreaper when not PID 1 */
		} else if (!strcmp(a, "-e") && i + 1 < argc) {
			uint64_t v;

			if (parse_uint(argv[++i], 255, &v) ||
			    co.nremap == (int)ARRAY_SIZE(co.remap)) {
				fprintf(stderr, "nucleus-init: -e needs an exit code 0-255\n");
				return 2;
			}
			co.remap[co.nremap++] = (int)v;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("nucleus-init %s\n", NUCLEUS_VERSION);
			return 0;
		} else if (machine_pid1) {
			/* the kernel hands init the words of its command line it does not know */
			continue;
		} else {
			fprintf(stderr, "nucleus-init: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (strict && !check) {
		fprintf(stderr, "nucleus-init: --strict goes with --check\n");
		return 2;
	}
	if (check)
		return check_main(manifest ? manifest : DEFAULT_MANIFEST, strict);
	return run_supervisor(manifest, runtime_dir);
}
