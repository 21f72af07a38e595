/* The TUN steering program and its map (see tunsteer.h for why). The
 * program is written out here as 28 eBPF instructions: no compiler for the
 * BPF target is needed to build the gateway. */
#include "tunsteer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

void tunsteer_key4(struct tunsteer_key *k, uint32_t addr)
{
	*k = (struct tunsteer_key){.w = {0, 0, 0xffff, addr}};
}

void tunsteer_key6(struct tunsteer_key *k, const struct in6_addr *a)
{
	for (int i = 0; i < 4; i++) {
		uint32_t w;
		memcpy(&w, a->s6_addr + 4 * i, 4);
		k->w[i] = ntohl(w);
	}
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define R0		  0
#define R1		  1
#define R2		  2
#define R6		  6
#define FP		  10
#define LD_ABS(size, off) INSN(BPF_LD | BPF_ABS | (size), 0, 0, 0, off)
#define STX_W(off)	  INSN(BPF_STX | BPF_MEM | BPF_W, FP, R0, off, 0)

/* queue = map[destination] or 0. A load past the packet's end ends the
 * program with 0 too. Jump offsets count from the next instruction. */
static int prog_load(int map_fd)
{
	struct bpf_insn code[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, R6, R1, 0, 0), /* packet loads read R6 */
		LD_ABS(BPF_B, 0),
		INSN(BPF_ALU64 | BPF_RSH | BPF_K, R0, 0, 0, 4), /* IP version */
		INSN(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 6, 6),	/* to v6 */
		INSN(BPF_JMP | BPF_JNE | BPF_K, R0, 0, 21, 4),	/* to miss */
		INSN(BPF_ST | BPF_MEM | BPF_DW, FP, 0, -16, 0), /* v4: ::ffff:dst */
		INSN(BPF_ST | BPF_MEM | BPF_W, FP, 0, -8, 0xffff),
		LD_ABS(BPF_W, 16),
		STX_W(-4),
		INSN(BPF_JMP | BPF_JA, 0, 0, 8, 0), /* to lookup */
		LD_ABS(BPF_W, 24),		    /* v6: the destination's words */
		STX_W(-16),
		LD_ABS(BPF_W, 28),
		STX_W(-12),
		LD_ABS(BPF_W, 32),
		STX_W(-8),
		LD_ABS(BPF_W, 36),
		STX_W(-4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, map_fd), /* lookup */
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, -16),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 2, 0), /* to miss */
		INSN(BPF_LDX | BPF_MEM | BPF_W, R0, R0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0), /* miss */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)code;
	a.insn_cnt = sizeof(code) / sizeof(code[0]);
	a.license = (uint64_t)(uintptr_t) "MIT";
	strncpy(a.prog_name, "p2sgw_tunsteer", sizeof(a.prog_name) - 1);
	long fd = sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : (int)fd;
}

static int map_create(unsigned max_entries)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = sizeof(struct tunsteer_key);
	a.value_size = sizeof(uint32_t);
	a.max_entries = max_entries;
	a.map_flags = BPF_F_NO_PREALLOC; /* kernel memory grows with the sessions */
	strncpy(a.map_name, "p2sgw_tunsteer", sizeof(a.map_name) - 1);
	long fd = sys_bpf(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : (int)fd;
}

int tunsteer_open(int tun_fd, unsigned max_entries)
{
	int map = map_create(max_entries);
	if (map < 0)
		return map;
	int prog = prog_load(map);
	int r = prog;
	if (prog >= 0)
		r = ioctl(tun_fd, TUNSETSTEERINGEBPF, &prog) < 0 ? -errno : 0;
	if (prog >= 0)
		close(prog); /* the device holds it */
	if (r < 0) {
		close(map);
		return r;
	}
	return map;
}

static int elem(int cmd, int map_fd, const struct tunsteer_key *k, uint32_t *v, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map_fd;
	a.key = (uint64_t)(uintptr_t)k;
	a.value = (uint64_t)(uintptr_t)v;
	a.flags = flags;
	return sys_bpf(cmd, &a) < 0 ? -errno : 0;
}

int tunsteer_set(int map_fd, const struct tunsteer_key *k, unsigned queue)
{
	uint32_t v = queue;
	return elem(BPF_MAP_UPDATE_ELEM, map_fd, k, &v, BPF_ANY);
}

int tunsteer_del(int map_fd, const struct tunsteer_key *k)
{
	return elem(BPF_MAP_DELETE_ELEM, map_fd, k, NULL, 0);
}

int tunsteer_get(int map_fd, const struct tunsteer_key *k)
{
	uint32_t v = 0;
	int r = elem(BPF_MAP_LOOKUP_ELEM, map_fd, k, &v, 0);
	return r < 0 ? r : (int)v;
}
