/* Whole small files (keys, certificates, JSON documents) into memory. */
#ifndef P2S_FILE_H
#define P2S_FILE_H

/* A NUL-terminated copy of the file's bytes, or NULL with errno set. Caller frees. */
char *file_read_all(const char *path);

#endif
