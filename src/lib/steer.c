/* Classic BPF reuseport programs. The kernel runs them with the UDP header
 * pulled, so absolute offsets are payload offsets; a load past the end
 * ends the program with 0, which is socket 0. */
#include "steer.h"

#include "net.h"
#include "random.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OP_DATA_V2 9 /* P_DATA_V2: opcode in the top five bits of byte 0 */

static int attach(int fd, struct sock_filter *code, size_t len)
{
	struct sock_fprog prog = {.len = (unsigned short)len, .filter = code};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

int steer_attach_openvpn(int fd, unsigned n)
{
	return steer_attach_openvpn_skewed(fd, n, 0);
}

int steer_attach_openvpn_skewed(int fd, unsigned n, unsigned skew)
{
	if (n == 0 || n > STEER_MAX)
		return -EINVAL;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 3),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OP_DATA_V2, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* opcode/key-id, then the 24-bit id */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffffff),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, skew),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	return attach(fd, code, sizeof(code) / sizeof(code[0]));
}

int steer_attach_esp(int fd, unsigned n)
{
	return steer_attach_esp_skewed(fd, n, 0);
}

int steer_attach_esp_skewed(int fd, unsigned n, unsigned skew)
{
	if (n == 0 || n > STEER_MAX)
		return -EINVAL;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* the SPI; 0 is the non-ESP marker */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n), /* before the skew: no wrap */
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, skew % n),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	return attach(fd, code, sizeof(code) / sizeof(code[0]));
}

uint32_t steer_esp_spi(uint32_t rnd, unsigned n, unsigned lane)
{
	if (n == 0 || lane >= n)
		return 0;
	uint32_t base = rnd - rnd % n;
	if (base > UINT32_MAX - lane || base + lane < 256) /* 1-255: RFC 4303 §2.1 */
		return 0;
	return base + lane;
}

uint32_t steer_esp_spi_new(unsigned n, unsigned lane, int (*used)(uint32_t spi, void *ctx),
			   void *ctx)
{
	for (int i = 0; i < 32; i++) {
		uint32_t v;
		p2s_random(&v, sizeof(v));
		v = steer_esp_spi(v, n, lane);
		if (v && (!used || !used(v, ctx)))
			return v;
	}
	return 0;
}

static void group_close(const int *fds, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
}

/* Binds n members in order (fds[i] is the group's socket i). */
static int group_bind(const char *addr, uint16_t port, unsigned n, int *fds)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (n == 0 || n > STEER_MAX ||
	    inet_pton(AF_INET, addr && *addr ? addr : "0.0.0.0", &a.sin_addr) != 1)
		return -EINVAL;
	int err = 0;
	unsigned i;
	for (i = 0; i < n && err == 0; i++) {
		fds[i] = udp_socket_bind(&a, SO_REUSEPORT);
		err = fds[i] < 0 ? fds[i] : 0;
		if (err == 0 && i == 0 && port == 0) {
			/* Port 0 (tests): the others join the port the first got. */
			socklen_t len = sizeof(a);
			getsockname(fds[0], (struct sockaddr *)&a, &len);
		}
	}
	if (err < 0)
		group_close(fds, i);
	return err;
}

static int group_open(const char *addr, uint16_t port, unsigned n, int *fds,
		      int (*attach_fn)(int, unsigned))
{
	int err = group_bind(addr, port, n, fds);
	if (err == 0 && (err = attach_fn(fds[0], n)) < 0)
		group_close(fds, n);
	return err;
}

int steer_openvpn_group(const char *addr, uint16_t port, unsigned n, int *fds)
{
	return group_open(addr, port, n, fds, steer_attach_openvpn);
}

int steer_esp_group(const char *addr, uint16_t port, unsigned n, int *fds)
{
	return group_open(addr, port, n, fds, steer_attach_esp);
}
