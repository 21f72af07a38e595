#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum log_level log_threshold = LOG_INFO;
bool log_journal;

/* syslog priorities, for journald's "<N>" prefixes */
static const int level_prio[] = {3, 4, 6, 7, 7};

static const char *const level_names[] = {"error", "warn", "info", "debug", "sensitive"};

void log_msg(enum log_level lvl, const char *mod, const char *sid, const char *fmt, ...)
{
	if (lvl > log_threshold)
		return;
	char line[1024];
	int n;
	if (log_journal) { /* journald stamps the time itself */
		n = snprintf(line, sizeof(line), "<%d>%s: ", level_prio[lvl], mod);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %-5s %s: ", tm.tm_hour,
			     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_names[lvl], mod);
	}
	if (sid && n >= 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, "[%s] ", sid);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}
