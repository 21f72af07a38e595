/* systemd's service protocol: READY=1 once the gateway serves, RELOADING=1
 * around a reload, STOPPING=1 on shutdown, and the watchdog kept fed from
 * the event loop (a stuck loop stops feeding it). Without NOTIFY_SOCKET
 * every call is a no-op. */
#define LOG_MODULE "gateway"

#include <systemd/sd-daemon.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "core/gateway.h"
#include "lib/log.h"

/* Through the key process when privilege-separated: only the daemon's main
 * process may speak to systemd (NotifyAccess=main). */
static void say(const struct core *g, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (g->notify)
		g->notify(text);
	else
		sd_notify(0, text);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	say(w->data, "WATCHDOG=1");
}

void core_notify_ready(struct core *g)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec) {
		double every = (double)usec / 2e6; /* twice per period, as systemd advises */
		ev_timer_init(&g->watchdog, watchdog_cb, every, every);
		g->watchdog.data = g;
		ev_timer_start(g->loop, &g->watchdog);
		log_info("systemd watchdog: every %.1f s", every);
	}
	say(g, "READY=1\nSTATUS=serving %u session(s)", g->reg.count);
}

void core_notify_reloading(struct core *g)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long long us =
		(unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
	say(g, "RELOADING=1\nMONOTONIC_USEC=%llu", us);
}

void core_notify_stopping(struct core *g)
{
	ev_timer_stop(g->loop, &g->watchdog);
	say(g, "STOPPING=1");
}

void core_notify_reloaded(struct core *g)
{
	say(g, "READY=1\nSTATUS=serving %u session(s)", g->reg.count);
}
