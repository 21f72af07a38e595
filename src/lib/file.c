#include "file.h"

#include <stdio.h>
#include <stdlib.h>

FILE *(*file_open_hook)(const char *path);

FILE *file_open_read(const char *path)
{
	return file_open_hook ? file_open_hook(path) : fopen(path, "r");
}

int file_readable(const char *path)
{
	FILE *f = file_open_read(path);
	if (f)
		fclose(f);
	return f != NULL;
}

char *file_read_all(const char *path)
{
	FILE *f = file_open_read(path);
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf;
}
