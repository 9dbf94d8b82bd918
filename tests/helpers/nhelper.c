// SPDX-License-Identifier: MIT
/*
 * nhelper.c - a small static helper run inside services by the tests, where
 * timing matters and a shell would be too slow or too vague.
 *
 *   nhelper sleep SECS              sleep (fractional seconds allowed)
 *   nhelper exit CODE [AFTER_MS]    exit with CODE, after AFTER_MS
 *   nhelper crash-after MS          exit 1 after MS
 *   nhelper orphans N               leave N orphans that init must reap
 *   nhelper ignore-term             ignore SIGTERM, print "ignoring", sleep
 *   nhelper record-signals FILE     append each signal's name to FILE;
 *                                   exit 0 after recording SIGTERM
 *   nhelper print N TEXT            print N lines "TEXT 1" .. "TEXT N"
 *   nhelper pidfile FILE            write own pid to FILE, sleep forever
 *   nhelper zombies N               fork N children that exit, never wait
 *   nhelper env                     print the environment, one per line
 *   nhelper touch FILE [AFTER_MS]   create FILE (after AFTER_MS), exit 0
 *   nhelper require FILE            exit 0 if FILE exists, else print and exit 1
 *   nhelper log-term FILE NAME      sleep; on SIGTERM append NAME to FILE, exit 0
 *   nhelper count-zombies           print the number of Z-state processes in /proc
 *   nhelper stamp FILE              append CLOCK_MONOTONIC in ms to FILE, exit 0
 *   nhelper attack                  try what an attacker would from inside a
 *                                   service; one line per attempt, "denied" or
 *                                   "ALLOWED"; exit status: the number allowed
 *   nhelper euid                    print the effective uid
 *   nhelper notify-flood N MSG      send MSG N times to $NOTIFY_SOCKET
 *   nhelper cat FILE                print FILE (exit 1 with the error if it
 *                                   cannot be opened)
 *   nhelper scan A B SECS           for SECS seconds, look for the string A+B
 *                                   (given in two parts, so it is nowhere in
 *                                   our own argv) in the memory, environ and
 *                                   cmdline of every other visible process;
 *                                   print "FOUND ..." for each hit, then a
 *                                   summary; exit 1 if found
 *   nhelper listen-any PORT         like listen, on every address (0.0.0.0)
 *   nhelper ctl-raw SOCKET HOLD_MS [--garbage] WORDS...
 *                                   a control client by hand: SYNC, one session
 *                                   with WORDS (after garbage, with --garbage);
 *                                   reads nothing for HOLD_MS, then prints the
 *                                   session's output and "EXIT N" (-1: none)
 *   nhelper ctl-half SOCKET         half a frame announcing 1000 bytes, then hang up
 *   nhelper notify-recv PATH FILE   receive datagrams at PATH, one line each in FILE
 *   nhelper notify [--exit] [--watchdog MS FILE] DELAY_MS MSG...
 *                                   after DELAY_MS send MSG lines (READY=1 last)
 *                                   as one datagram to $NOTIFY_SOCKET; then exit 0
 *                                   (--exit) or sleep, sending WATCHDOG=1 every
 *                                   MS until FILE exists (--watchdog)
 */
#include <dirent.h>
#include <linux/capability.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *msg)
{
	fprintf(stderr, "nhelper: %s\n", msg);
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		die("expected an integer");
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void __attribute__((noreturn)) sleep_forever(void)
{
	for (;;)
		pause();
}

static int append_line(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	char buf[256];
	int n;

	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%s\n", line);
	/* one write with O_APPEND: lines of concurrent writers never interleave */
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	fsync(fd);
	close(fd);
	return 0;
}

static const struct {
	int sig;
	const char *name;
} sigtab[] = {
	{SIGHUP, "SIGHUP"},	{SIGINT, "SIGINT"},	  {SIGQUIT, "SIGQUIT"},
	{SIGILL, "SIGILL"},	{SIGTRAP, "SIGTRAP"},	  {SIGABRT, "SIGABRT"},
	{SIGBUS, "SIGBUS"},	{SIGFPE, "SIGFPE"},	  {SIGUSR1, "SIGUSR1"},
	{SIGSEGV, "SIGSEGV"},	{SIGUSR2, "SIGUSR2"},	  {SIGPIPE, "SIGPIPE"},
	{SIGALRM, "SIGALRM"},	{SIGTERM, "SIGTERM"},	  {SIGCHLD, "SIGCHLD"},
	{SIGCONT, "SIGCONT"},	{SIGTSTP, "SIGTSTP"},	  {SIGTTIN, "SIGTTIN"},
	{SIGTTOU, "SIGTTOU"},	{SIGURG, "SIGURG"},	  {SIGXCPU, "SIGXCPU"},
	{SIGXFSZ, "SIGXFSZ"},	{SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
	{SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},	  {SIGPWR, "SIGPWR"},
	{SIGSYS, "SIGSYS"},
};

static const char *sig_name(int sig, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof(sigtab) / sizeof(sigtab[0]); i++)
		if (sigtab[i].sig == sig)
			return sigtab[i].name;
	snprintf(buf, n, "SIG%d", sig);
	return buf;
}

/* Synchronous: block everything catchable, take signals one by one. */
static int record_signals(const char *path)
{
	sigset_t all;
	char buf[16];

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* tell the test we are ready to receive */
	printf("recording\n");
	fflush(stdout);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig == SIGCHLD)
			continue;
		if (append_line(path, sig_name(sig, buf, sizeof(buf))) < 0)
			die("cannot write the record file");
		if (sig == SIGTERM)
			return 0;
	}
}

static int log_term(const char *path, const char *name)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%s up\n", name);
	fflush(stdout);
	do
		sig = sigwaitinfo(&set, NULL);
	while (sig < 0);
	if (append_line(path, name) < 0)
		die("cannot write the log file");
	return 0;
}

/*
 * N orphans: fork in a loop; each child forks a grandchild and exits at
 * once, so the grandchild is reparented to the nearest subreaper (init).
 * The grandchildren exit after a short nap, and init must reap them. We wait
 * only for our own children, never for the grandchildren.
 */
static int orphans(long n)
{
	struct timespec nap = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};

	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0) {
			/* out of processes: let the earlier ones go, then retry */
			while (waitpid(-1, NULL, 0) > 0)
				;
			sleep_ms(10);
			i--;
			continue;
		}
		if (p == 0) {
			pid_t g = fork();

			if (g == 0) {
				nanosleep(&nap, NULL);
				_exit(0);
			}
			_exit(g < 0 ? 1 : 0);
		}
		/* our own children are not the point: keep the table small */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}

/* N zombies of our own: children that exit and are never waited for. */
static int zombies(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork failed");
		if (p == 0)
			_exit(0);
	}
	printf("made %ld zombies\n", n);
	fflush(stdout);
	sleep_forever();
}

static int count_zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int z = 0;

	if (!d)
		die("cannot open /proc");
	while ((de = readdir(d))) {
		char path[300], buf[512], *rp;
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* the state follows the last ')' of the comm field */
		rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'Z')
			z++;
	}
	closedir(d);
	printf("%d\n", z);
	return 0;
}

static int print_lines(long n, const char *text)
{
	for (long i = 0; i < n; i++)
		printf("%s %ld\n", text, i + 1);
	fflush(stdout);
	return 0;
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		die("cannot write the pid file");
	close(fd);
	sleep_forever();
}

/* One datagram to $NOTIFY_SOCKET (a path, or @name for the abstract space). */
static int sd_notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd, r;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		die("notify: NOTIFY_SOCKET is not set");
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("notify: socket failed");
	r = (int)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
	if (r < 0)
		fprintf(stderr, "nhelper: notify: sendto %s: %s\n", path, strerror(errno));
	return r < 0 ? -1 : 0;
}

/* N datagrams of MSG to $NOTIFY_SOCKET from one socket, as fast as it takes them. */
static int notify_flood(long n, const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long sent = 0;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		die("notify-flood: NOTIFY_SOCKET is not set");
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("notify-flood: socket failed");
	while (sent < n) {
		if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) <
		    0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "nhelper: notify-flood: sendto %s: %s\n", path,
				strerror(errno));
			break;
		}
		sent++;
	}
	printf("sent %ld\n", sent);
	return sent == n ? 0 : 1;
}

static int notify(int argc, char **argv)
{
	bool do_exit = false;
	long wd_ms = 0;
	const char *wd_stop = NULL;
	char msg[4096] = "";
	size_t o = 0;
	int i = 2;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--exit")) {
			do_exit = true;
		} else if (!strcmp(argv[i], "--watchdog") && i + 2 < argc) {
			wd_ms = num(argv[++i]);
			wd_stop = argv[++i];
		} else {
			die("notify: unknown option");
		}
	}
	if (i >= argc)
		die("notify: DELAY_MS is missing");
	sleep_ms(num(argv[i++]));
	/* READY=1 last: what it says about the service is known when it is ready */
	for (int pass = 0; pass < 2; pass++) {
		for (int k = i; k < argc; k++) {
			bool ready = !strncmp(argv[k], "READY=", 6);
			int n;

			if (ready != (pass == 1))
				continue;
			n = snprintf(msg + o, sizeof(msg) - o, "%s\n", argv[k]);
			if (n < 0 || (size_t)n >= sizeof(msg) - o)
				die("notify: message too long");
			o += (size_t)n;
		}
	}
	if (o && sd_notify_send(msg) < 0)
		return 1;
	if (do_exit)
		return 0;
	while (wd_ms > 0) {
		struct stat st;

		if (wd_stop && stat(wd_stop, &st) == 0)
			break;
		sd_notify_send("WATCHDOG=1");
		sleep_ms(wd_ms);
	}
	sleep_forever();
}

/* ---- scan: what another process holds ---- */

static bool mem_has(const char *buf, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (buf[i] == needle[0] && !memcmp(buf + i, needle, k))
			return true;
	return false;
}

/* A whole small /proc file; -1 when it cannot be read. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

/*
 * The writable mappings of @pid (heap, data, anonymous: where a copy of
 * another process's strings would be), read as fast as we can: a process
 * may hold them only for a moment. 1 found, 0 not, -1 mem closed to us.
 */
static int scan_mem(long pid, const char *needle)
{
	char path[64], line[512];
	static char chunk[1 << 20];
	FILE *maps;
	int mem, found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	maps = fopen(path, "re");
	while (maps && !found && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    perms[1] != 'w')
			continue;
		for (unsigned long a = lo; a < hi && !found; a += sizeof(chunk)) {
			size_t want = hi - a < sizeof(chunk) ? hi - a : sizeof(chunk);
			ssize_t n = pread(mem, chunk, want, (off_t)a);

			if (n > 0 && mem_has(chunk, (size_t)n, needle))
				found = 1;
		}
	}
	if (maps)
		fclose(maps);
	close(mem);
	return found;
}

static int scan(const char *a, const char *b, double secs)
{
	char needle[256], buf[65536], comm[64];
	long self = (long)getpid(), seen[4096];
	int nseen = 0, memread = 0, found = 0, rounds = 0;
	struct timespec t0, t;

	snprintf(needle, sizeof(needle), "%s%s", a, b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		DIR *d = opendir("/proc");
		struct dirent *de;

		rounds++;
		while (d && (de = readdir(d))) {
			long pid = strtol(de->d_name, NULL, 10);
			char path[64];
			bool known = false;
			int r;

			if (pid <= 0 || pid == self)
				continue;
			for (int i = 0; i < nseen; i++)
				known |= seen[i] == pid;
			if (!known && nseen < (int)(sizeof(seen) / sizeof(seen[0])))
				seen[nseen++] = pid;
			snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
			if (slurp(path, comm, sizeof(comm) - 1) <= 0)
				strcpy(comm, "?\n");
			comm[strcspn(comm, "\n")] = '\0';
			for (const char *f = "environ\0cmdline\0"; *f; f += strlen(f) + 1) {
				ssize_t n;

				snprintf(path, sizeof(path), "/proc/%ld/%s", pid, f);
				n = slurp(path, buf, sizeof(buf));
				if (n > 0 && mem_has(buf, (size_t)n, needle)) {
					printf("FOUND in /proc/%ld/%s (%s)\n", pid, f, comm);
					found++;
				}
			}
			r = scan_mem(pid, needle);
			if (r >= 0)
				memread++;
			if (r > 0) {
				printf("FOUND in /proc/%ld/mem (%s)\n", pid, comm);
				found++;
			}
		}
		if (d)
			closedir(d);
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!found &&
		 (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	printf("scanned: %d rounds, %d processes seen, %d memory reads, %d found\n", rounds, nseen,
	       memread, found);
	fflush(stdout);
	return found ? 1 : 0;
}

/* ---- the control protocol, by hand (init/frame.h) ---- */

static const unsigned char ctl_sync[16] = {0xff, 0x00, 'N', 'U', 'C', 'L', 'E',	 'U',
					   'S',	 '-',  'S', 'Y', 'N', 'C', 0x00, 0xff};

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("ctl: cannot connect");
	return fd;
}

static void ctl_frame(int fd, int type, unsigned chan, const void *data, unsigned len)
{
	unsigned char h[12] = {'N', 'F', (unsigned char)type, 0};

	for (int i = 0; i < 4; i++) {
		h[4 + i] = (unsigned char)(chan >> (8 * i));
		h[8 + i] = (unsigned char)(len >> (8 * i));
	}
	if (write(fd, h, sizeof(h)) != sizeof(h) || (len && write(fd, data, len) != (ssize_t)len))
		die("ctl: write");
}

static unsigned le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24;
}

/* The F_EXIT code of channel 1 in @buf, or -1; @print: its output to stdout too. */
static int ctl_print(const unsigned char *buf, size_t n, bool print)
{
	size_t o = 0;

	while (o + 12 <= n) {
		unsigned type = buf[o + 2], chan = le32(buf + o + 4), len = le32(buf + o + 8);

		if (o + 12 + len > n)
			break;
		if (print && chan == 1 && (type == 7 || type == 8))
			fwrite(buf + o + 12, 1, len, stdout);
		if (chan == 1 && type == 9 && len >= 4)
			return (int)le32(buf + o + 12);
		o += 12 + len;
	}
	return -1;
}

static int ctl_raw(int argc, char **argv)
{
	static unsigned char in[1 << 22];
	char words[4096];
	size_t wl = 0, got = 0;
	int fd = ctl_connect(argv[2]), i = 4, code;
	long hold = num(argv[3]);

	if (i < argc && !strcmp(argv[i], "--garbage")) {
		static const char junk[] = "NF\x63garbage\xff\x00NUCL\nNF\x02\x00\x01";

		if (write(fd, junk, sizeof(junk) - 1) < 0)
			die("ctl: write");
		i++;
	}
	for (; i < argc && wl + strlen(argv[i]) + 1 < sizeof(words); i++) {
		memcpy(words + wl, argv[i], strlen(argv[i]) + 1);
		wl += strlen(argv[i]) + 1;
	}
	if (write(fd, ctl_sync, sizeof(ctl_sync)) < 0)
		die("ctl: write");
	ctl_frame(fd, 2, 1, words, (unsigned)wl);
	sleep_ms(hold);
	/* what is there now, then until the session ends or 2 s pass */
	for (long waited = 0; got < sizeof(in) && waited < 2000;) {
		ssize_t r = recv(fd, in + got, sizeof(in) - got, MSG_DONTWAIT);

		if (r > 0) {
			got += (size_t)r;
			if (ctl_print(in, got, false) >= 0)
				break;
			continue;
		}
		if (r == 0)
			break;
		sleep_ms(20);
		waited += 20;
	}
	code = ctl_print(in, got, true);
	printf("EXIT %d\n", code);
	close(fd);
	return 0;
}

static int ctl_half(const char *path)
{
	int fd = ctl_connect(path);
	unsigned char h[12] = {'N', 'F', 3, 0, 1, 0, 0, 0, 0xe8, 0x03, 0, 0};

	if (write(fd, ctl_sync, sizeof(ctl_sync)) < 0 || write(fd, h, sizeof(h)) < 0 ||
	    write(fd, "abc", 3) < 0)
		die("ctl: write");
	close(fd);
	return 0;
}

static __attribute__((noreturn)) void notify_recv(const char *path, const char *file)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char buf[4096];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("notify-recv: cannot bind");
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		if (append_line(file, buf) < 0)
			die("notify-recv: cannot write the file");
	}
}

static void usage(void)
{
	fputs("usage: nhelper sleep SECS | exit CODE [AFTER_MS] | crash-after MS | listen PORT |\n"
	      "       orphans N | zombies N | count-zombies | ignore-term |\n"
	      "       record-signals FILE | print N TEXT | pidfile FILE | env |\n"
	      "       touch FILE [AFTER_MS] | require FILE | log-term FILE NAME |\n"
	      "       stamp FILE | notify [--exit] [--watchdog MS FILE] DELAY_MS MSG... |\n"
	      "       scan A B SECS | cat FILE | notify-flood N MSG\n",
	      stderr);
	exit(2);
}

/*
 * listen PORT: accept on 127.0.0.1:PORT and keep every connection open
 * without answering, so a tcp probe succeeds and an http probe hangs.
 */
static __attribute__((noreturn)) int listen_mute(long port, bool any)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(any ? INADDR_ANY : INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		die("listen: cannot listen on the port");
	for (;;)
		if (accept4(fd, NULL, NULL, SOCK_CLOEXEC) < 0 && errno != EINTR && errno != EMFILE)
			die("listen: accept failed");
}

/* ---- attack: what an isolated service must not be able to do ---- */

static int allowed_count;

static void verdict(const char *what, int ok, int err)
{
	if (ok) {
		printf("%s: ALLOWED\n", what);
		allowed_count++;
	} else {
		printf("%s: denied (%s)\n", what, strerror(err));
	}
	fflush(stdout);
}

/* A call that succeeds (returns >= 0) is a breach. */
#define TRY(what, call)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(call);                                                            \
		verdict(what, r_ >= 0, errno);                                                     \
	} while (0)

static int try_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return fd;
}

/* Opening for writing is the breach: nothing is ever written. */
static int try_open_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Any byte read from a masked file is a breach. */
static int try_read(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0) {
		errno = n == 0 ? ENODATA : errno;
		return -1;
	}
	return 0;
}

static int try_setns(void)
{
	int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = setns(fd, 0);
	close(fd);
	return r;
}

static int try_clone_ns(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, 0L, 0L, 0L, 0L);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return (int)pid;
}

static int try_capset(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective |= 1u << CAP_SYS_ADMIN;
	d[0].permitted |= 1u << CAP_SYS_ADMIN;
	if (syscall(SYS_capset, &h, d) < 0)
		return -1;
	/* capset may "succeed" only if the capability really is there now */
	if (syscall(SYS_capget, &h, d) < 0 || !(d[0].effective & (1u << CAP_SYS_ADMIN))) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int attack(void)
{
	TRY("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
	TRY("umount", umount2("/proc", MNT_DETACH));
	TRY("unshare user", unshare(CLONE_NEWUSER));
	TRY("unshare mount", unshare(CLONE_NEWNS));
	TRY("clone with CLONE_NEWPID", try_clone_ns());
	TRY("setns", try_setns());
	TRY("write /etc", try_create("/etc/nucleus-attack"));
	TRY("write /usr", try_create("/usr/nucleus-attack"));
	TRY("write /", try_create("/nucleus-attack"));
	TRY("write /proc/sysrq-trigger", try_open_write("/proc/sysrq-trigger"));
	TRY("write /sys", try_create("/sys/nucleus-attack"));
	TRY("write /sys/class/net/lo/mtu", try_open_write("/sys/class/net/lo/mtu"));
	TRY("sethostname", sethostname("pwned", 5));
	TRY("mknod", mknod("/tmp/nucleus-null", S_IFCHR | 0666, makedev(1, 3)));
	TRY("chroot", chroot("/tmp"));
	TRY("read /proc/kcore", try_read("/proc/kcore"));
	TRY("read /proc/kallsyms", try_read("/proc/kallsyms"));
	TRY("raise CAP_SYS_ADMIN", try_capset());
	TRY("ambient CAP_SYS_ADMIN",
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
	TRY("ptrace pid 1", ptrace(PTRACE_ATTACH, 1, NULL, NULL));
	TRY("bpf", syscall(SYS_bpf, 0, NULL, 0));
	TRY("init_module", syscall(SYS_init_module, NULL, 0UL, ""));
	TRY("keyctl", syscall(SYS_keyctl, 0, 0L, 0L, 0L, 0L));
	if (getuid() != 0)
		TRY("setuid 0", setuid(0));
	return allowed_count;
}

int main(int argc, char **argv)
{
	extern char **environ;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "sleep") && argc == 3) {
		char *end;
		double s = strtod(argv[2], &end);

		if (end == argv[2] || *end || s < 0)
			die("sleep: expected seconds");
		sleep_ms((long)(s * 1000));
		return 0;
	}
	if (!strcmp(cmd, "exit") && (argc == 3 || argc == 4)) {
		if (argc == 4)
			sleep_ms(num(argv[3]));
		return (int)num(argv[2]);
	}
	if (!strcmp(cmd, "crash-after") && argc == 3) {
		sleep_ms(num(argv[2]));
		return 1;
	}
	if (!strcmp(cmd, "listen") && argc == 3)
		return listen_mute(num(argv[2]), false);
	if (!strcmp(cmd, "listen-any") && argc == 3)
		return listen_mute(num(argv[2]), true);
	if (!strcmp(cmd, "orphans") && argc == 3)
		return orphans(num(argv[2]));
	if (!strcmp(cmd, "zombies") && argc == 3)
		return zombies(num(argv[2]));
	if (!strcmp(cmd, "count-zombies") && argc == 2)
		return count_zombies();
	if (!strcmp(cmd, "ignore-term") && argc == 2) {
		signal(SIGTERM, SIG_IGN);
		printf("ignoring\n");
		fflush(stdout);
		sleep_forever();
	}
	if (!strcmp(cmd, "record-signals") && argc == 3)
		return record_signals(argv[2]);
	if (!strcmp(cmd, "log-term") && argc == 4)
		return log_term(argv[2], argv[3]);
	if (!strcmp(cmd, "print") && argc == 4)
		return print_lines(num(argv[2]), argv[3]);
	if (!strcmp(cmd, "pidfile") && argc == 3)
		write_pidfile(argv[2]);
	if (!strcmp(cmd, "env") && argc == 2) {
		for (char **e = environ; *e; e++)
			printf("%s\n", *e);
		return 0;
	}
	if (!strcmp(cmd, "touch") && (argc == 3 || argc == 4)) {
		int fd;

		if (argc == 4)
			sleep_ms(num(argv[3]));
		fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			die("touch: cannot create the file");
		close(fd);
		return 0;
	}
	if (!strcmp(cmd, "notify"))
		return notify(argc, argv);
	if (!strcmp(cmd, "attack") && argc == 2)
		return attack();
	if (!strcmp(cmd, "notify-flood") && argc == 4)
		return notify_flood(num(argv[2]), argv[3]);
	if (!strcmp(cmd, "cat") && argc == 3) {
		char buf[4096];
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			printf("%s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		close(fd);
		return 0;
	}
	if (!strcmp(cmd, "ctl-raw") && argc >= 5)
		return ctl_raw(argc, argv);
	if (!strcmp(cmd, "ctl-half") && argc == 3)
		return ctl_half(argv[2]);
	if (!strcmp(cmd, "notify-recv") && argc == 4)
		notify_recv(argv[2], argv[3]);
	if (!strcmp(cmd, "scan") && argc == 5)
		return scan(argv[2], argv[3], strtod(argv[4], NULL));
	if (!strcmp(cmd, "euid") && argc == 2) {
		printf("%u\n", (unsigned)geteuid());
		return 0;
	}
	if (!strcmp(cmd, "stamp") && argc == 3) {
		struct timespec ts;
		char buf[32];

		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (append_line(argv[2], buf) < 0)
			die("stamp: cannot write the file");
		return 0;
	}
	if (!strcmp(cmd, "require") && argc == 3) {
		struct stat st;

		if (stat(argv[2], &st) < 0) {
			printf("missing %s\n", argv[2]);
			return 1;
		}
		printf("found %s\n", argv[2]);
		return 0;
	}
	usage();
	return 2;
}
