/* The management API's bearer token: 32 random bytes in hex, generated
 * once into the state directory (0600) and compared in constant time. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"
#include "mgmt/cmd.h"

#define TOKEN_BYTES 32

bool mgmt_token_check(const char *header, const char *token)
{
	static const char scheme[] = "Bearer ";
	if (!header || !token || !token[0] || strncasecmp(header, scheme, sizeof(scheme) - 1))
		return false;
	const char *given = header + sizeof(scheme) - 1;
	size_t n = strlen(token);
	if (strlen(given) != n)
		return false;
	return CRYPTO_memcmp(given, token, n) == 0;
}

static int token_read(const char *path, char *out, size_t cap)
{
	FILE *f = file_open_read(path);
	if (!f)
		return -errno;
	size_t n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = 0;
	out[strcspn(out, "\r\n")] = 0;
	return strlen(out) >= 32 ? 0 : -EINVAL; /* a short token is no secret */
}

static int token_write(const char *path, char *out, size_t cap)
{
	uint8_t raw[TOKEN_BYTES];
	if (cap < 2 * TOKEN_BYTES + 1 || RAND_bytes(raw, sizeof(raw)) != 1)
		return -EINVAL;
	for (size_t i = 0; i < TOKEN_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	char line[2 * TOKEN_BYTES + 2];
	snprintf(line, sizeof(line), "%s\n", out);
	ssize_t w = write(fd, line, strlen(line));
	close(fd);
	OPENSSL_cleanse(line, sizeof(line));
	return w == (ssize_t)strlen(out) + 1 ? 0 : -EIO;
}

int mgmt_token_load(const char *path, char *out, size_t cap)
{
	int r = token_read(path, out, cap);
	if (r == -ENOENT)
		r = token_write(path, out, cap);
	return r;
}
