/* Replays a corpus through a harness without libFuzzer, as an ordinary test:
 *   replay-<harness> DIR|FILE...
 * Each input runs in a child process, so a crash, a sanitizer report or a
 * leak names the input that caused it. Prints exactly one line:
 *   replay: ok <harness> <N> inputs     or     replay: FAIL <harness> <file> */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef P2S_HARNESS
#define P2S_HARNESS "unknown"
#endif

/* Sanitizer defaults for this driver: any report is a failure. */
__attribute__((used)) const char *__ubsan_default_options(void);
__attribute__((used)) const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static int fail(const char *what)
{
	printf("replay: FAIL %s %s\n", P2S_HARNESS, what);
	return 1;
}

/* Reads path into an exactly-sized buffer, so a sanitizer sees reads one
 * past the end of the input. */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	int ok = *buf && fread(*buf, 1, *len, f) == *len;
	fclose(f);
	if (!ok) {
		free(*buf);
		return -1;
	}
	return 0;
}

/* Runs one input in a child; 0 when it returned normally. */
static int run_one(const char *path)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		uint8_t *buf;
		size_t len;
		if (read_file(path, &buf, &len) < 0) {
			fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
			exit(2);
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		exit(0); /* at exit, LeakSanitizer (when built in) checks this input */
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		fprintf(stderr, "replay: %s: killed by signal %d\n", path, WTERMSIG(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int keep(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replays every regular file of dir in name order; returns inputs run or -1. */
static int run_dir(const char *dir, int *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, keep, alphasort);
	if (n < 0) {
		fail(dir);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_one(path) < 0) {
				fail(path);
				rc = -1;
			} else {
				(*count)++;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR|FILE...\n", argv[0]);
		return fail("(no corpus given)");
	}
	int count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0)
			return fail(argv[i]);
		if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				return 1;
		} else if (run_one(argv[i]) < 0) {
			return fail(argv[i]);
		} else {
			count++;
		}
	}
	if (count == 0)
		return fail("(empty corpus)");
	printf("replay: ok %s %d inputs\n", P2S_HARNESS, count);
	return 0;
}
