/* One logging family. Every line names its module and, when given, the
 * session id. Secrets go only to LOG_SENSITIVE, which is off by default. */
#ifndef P2S_LOG_H
#define P2S_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_SENSITIVE };

#include <stdbool.h>

extern enum log_level log_threshold;
/* Lines start with a syslog priority ("<6>") and carry no time: set when
 * systemd started us (JOURNAL_STREAM or NOTIFY_SOCKET). */
extern bool log_journal;

void log_msg(enum log_level lvl, const char *mod, const char *sid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int log_level_parse(const char *s, enum log_level *out);

#define LOG_ON(lvl)   ((lvl) <= log_threshold)
#define log_err(...)  log_msg(LOG_ERR, LOG_MODULE, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, LOG_MODULE, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, LOG_MODULE, NULL, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (LOG_ON(LOG_DEBUG))                                                             \
			log_msg(LOG_DEBUG, LOG_MODULE, NULL, __VA_ARGS__);                         \
	} while (0)
/* Session-scoped variants: sid is the session's Azure-style id. */
#define slog_err(sid, ...)  log_msg(LOG_ERR, LOG_MODULE, sid, __VA_ARGS__)
#define slog_warn(sid, ...) log_msg(LOG_WARN, LOG_MODULE, sid, __VA_ARGS__)
#define slog_info(sid, ...) log_msg(LOG_INFO, LOG_MODULE, sid, __VA_ARGS__)
#define slog_debug(sid, ...)                                                                       \
	do {                                                                                       \
		if (LOG_ON(LOG_DEBUG))                                                             \
			log_msg(LOG_DEBUG, LOG_MODULE, sid, __VA_ARGS__);                          \
	} while (0)

#endif
