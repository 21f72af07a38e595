#define LOG_MODULE "keys"

#include "privsep/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "privsep/keys.h"
#include "privsep/sandbox.h"

struct monitor {
	int argc;
	char **argv; /* a copy: the original's memory now holds the title */
	struct ps_keys keys;
	int sock;	 /* our end of the current socketpair, -1 between processes */
	int sfd;	 /* signalfd */
	pid_t child;	 /* 0: none running */
	bool stopping;	 /* SIGTERM/SIGINT seen */
	double start_at; /* a restart is due at this time, 0: none */
	double starts[PS_RESTARTS + 1]; /* the first start and the restarts */
	unsigned n_starts;
};

#define PS_ACCT_DRAIN_SECONDS 10.0

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child_exec(const struct monitor *m, int fd)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	/* The watchdog is the network loop's to feed, through this process. */
	unsetenv("WATCHDOG_PID");
	fcntl(fd, F_SETFD, 0);
	char fds[16];
	snprintf(fds, sizeof(fds), "%d", fd);
	char *argv[m->argc + 4];
	int n = 0;
	argv[n++] = "p2sgw: net";
	for (int i = 1; i < m->argc; i++)
		argv[n++] = m->argv[i];
	argv[n++] = "--privsep-fd";
	argv[n++] = fds;
	argv[n] = NULL;
	execv("/proc/self/exe", argv);
	_exit(127);
}

static int child_start(struct monitor *m)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		child_exec(m, sp[1]);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -errno;
	}
	m->sock = sp[0];
	m->child = pid;
	m->start_at = 0;
	m->starts[m->n_starts++ % (PS_RESTARTS + 1)] = now();
	log_info("network process %d started", (int)pid);
	return 0;
}

static void answer(struct monitor *m)
{
	if (ps_keys_serve(&m->keys, m->sock) < 0) {
		close(m->sock); /* the network process is gone; SIGCHLD follows */
		m->sock = -1;
	}
}

/* Restarts left in the last minute, and the backoff before the next. */
static bool restart_plan(const struct monitor *m, double *delay)
{
	unsigned recent = 0;
	double t = now();
	for (unsigned i = 0; i <= PS_RESTARTS && i < m->n_starts; i++)
		recent += t - m->starts[i] < 60.0;
	*delay = 0.25 * (double)(1u << (recent < 6 ? recent : 6));
	return recent <= PS_RESTARTS; /* the first start is one of them */
}

/* 0..255: the daemon exits with it; -1: keep running. */
static int child_gone(struct monitor *m, int status)
{
	m->child = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	if (m->stopping)
		return sig == SIGTERM || sig == SIGINT || sig == SIGKILL ? 0 : 1;
	double delay;
	bool again = restart_plan(m, &delay);
	log_err("network process killed by signal %d (%s)%s; %s", sig, strsignal(sig),
		sig == SIGSYS ? ": a system call outside its seccomp allowlist" : "",
		again ? "starting it again; the key process keeps the keys"
		      : "too many restarts in a minute, giving up");
	if (!again)
		return 1;
	m->start_at = now() + delay;
	return -1;
}

static int reap(struct monitor *m)
{
	int status, code = -1;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == m->child) {
			code = child_gone(m, status);
			/* Its sessions are gone with it: their Stops go now, while
			 * the next one starts. */
			ps_acct_lost(&m->keys.acct, &m->keys.secrets);
		}
	return code;
}

static int on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;
	if (read(m->sfd, &si, sizeof(si)) != sizeof(si))
		return -1;
	int sig = (int)si.ssi_signo;
	if (sig == SIGCHLD)
		return reap(m);
	if (sig == SIGTERM || sig == SIGINT) {
		m->stopping = true;
		if (!m->child)
			return 0;
	}
	if (m->child)
		kill(m->child, sig);
	return -1;
}

/* Milliseconds to the earlier of a due restart and a Stop's retransmission;
 * -1: neither, until a signal or a request. */
static int wait_ms(const struct monitor *m)
{
	double at = m->start_at, due = ps_acct_due(&m->keys.acct);
	if (due > 0 && (at <= 0 || due < at))
		at = due;
	if (at <= 0)
		return -1;
	double ms = (at - now()) * 1000.0;
	return ms > 0 ? (int)ms + 1 : 0;
}

static int loop(struct monitor *m)
{
	for (;;) {
		/* The socketpair may be closed (-1) between processes: poll skips it. */
		struct pollfd p[3] = {{.fd = m->sfd, .events = POLLIN},
				      {.fd = m->sock, .events = POLLIN},
				      {.fd = ps_acct_fd(&m->keys.acct), .events = POLLIN}};
		int k = poll(p, 3, wait_ms(m));
		if (k < 0 && errno != EINTR)
			return 1;
		if (m->start_at > 0 && now() >= m->start_at && child_start(m) < 0)
			return 1;
		if (p[2].fd >= 0 || ps_acct_due(&m->keys.acct) > 0)
			ps_acct_run(&m->keys.acct, &m->keys.secrets, p[2].revents & POLLIN);
		int code = p[0].revents & POLLIN ? on_signal(m) : -1;
		if (code >= 0)
			return code;
		if (m->sock >= 0 && p[1].revents & (POLLIN | POLLHUP))
			answer(m);
	}
}

/* What ps shows for this process: "p2sgw: keys" and the original
 * arguments, written over the argument strings (which argv_keep copied). */
static void title_set(int argc, char **argv)
{
	char *start = argv[0], *end = argv[0];
	for (int i = 0; i < argc; i++)
		if (argv[i] + strlen(argv[i]) + 1 > end)
			end = argv[i] + strlen(argv[i]) + 1;
	size_t cap = (size_t)(end - start), n = 0;
	char title[4096];
	n = (size_t)snprintf(title, sizeof(title), "p2sgw: keys");
	for (int i = 1; i < argc && n < sizeof(title); i++)
		n += (size_t)snprintf(title + n, sizeof(title) - n, " %s", argv[i]);
	memset(start, 0, cap);
	memcpy(start, title, n < cap ? n : cap - 1);
}

static char **argv_keep(int argc, char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	for (int i = 0; copy && i < argc; i++)
		if (!(copy[i] = strdup(argv[i])))
			return NULL;
	return copy;
}

static int signals_take(void)
{
	sigset_t s;
	sigemptyset(&s);
	int nums[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};
	for (int i = 0; i < 4; i++)
		sigaddset(&s, nums[i]);
	sigprocmask(SIG_BLOCK, &s, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &s, SFD_CLOEXEC);
}

int ps_monitor_run(const struct ps_monitor_args *a)
{
	struct monitor m = {.argc = a->argc, .argv = argv_keep(a->argc, a->argv), .sock = -1};
	/* The paths point into the arguments the title overwrites. */
	char *conf = a->conf_path ? strdup(a->conf_path) : NULL;
	char *state = a->state_dir ? strdup(a->state_dir) : NULL;
	if (!m.argv || (a->conf_path && !conf) || (a->state_dir && !state))
		return 1;
	title_set(a->argc, a->argv);
	m.keys.conf_path = conf;
	m.keys.state_dir = state;
	prctl(PR_SET_NAME, "p2sgw: keys", 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core file, no ptrace: it holds the keys */
	uid_t uid;
	gid_t gid;
	int r = ps_user(&uid, &gid);
	if (r < 0) {
		log_err("no user to run the network process as (p2sgw or nobody): %s",
			p2s_strerror(r));
		return 1;
	}
	m.sfd = signals_take();
	r = m.sfd < 0 ? -errno : ps_keys_prepare(&m.keys);
	if (r == 0)
		r = child_start(&m);
	int code = r < 0 ? 1 : loop(&m);
	if (m.child) {
		kill(m.child, SIGKILL);
		waitpid(m.child, NULL, 0);
		ps_acct_lost(&m.keys.acct, &m.keys.secrets);
	}
	/* Stops of sessions a dying network process left, bounded. */
	ps_acct_drain(&m.keys.acct, &m.keys.secrets, PS_ACCT_DRAIN_SECONDS);
	/* The network process may not remove what it made as root. */
	if (m.keys.ctl_path[0])
		unlink(m.keys.ctl_path);
	ps_keys_free(&m.keys);
	free(conf);
	free(state);
	for (int i = 0; i < m.argc; i++)
		free(m.argv[i]);
	free(m.argv);
	return code;
}
