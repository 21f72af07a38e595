/* Whole small files (keys, certificates, JSON documents) into memory. */
#ifndef P2S_FILE_H
#define P2S_FILE_H

#include <stdio.h>

/* A NUL-terminated copy of the file's bytes, or NULL with errno set. Caller frees. */
char *file_read_all(const char *path);

/* Every read of a configured file goes through here: fopen(path, "r"), or,
 * in the unprivileged network process, the key process's broker. */
FILE *file_open_read(const char *path);
extern FILE *(*file_open_hook)(const char *path);
/* Whether file_open_read would succeed. */
int file_readable(const char *path);

#endif
