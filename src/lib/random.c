#include "random.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

void p2s_random(void *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) == 1)
		return;
	fprintf(stderr, "p2sgw: the random generator failed; stopping rather than use "
			"predictable keys\n");
	abort();
}
