/* Reuseport steering: which socket of an SO_REUSEPORT group receives a
 * datagram, picked by a classic BPF program from its UDP payload, so a
 * session's datagrams always reach the same socket (and worker). */
#ifndef P2S_STEER_H
#define P2S_STEER_H

#include <stddef.h>
#include <stdint.h>

#define STEER_MAX 16 /* sockets per group (dataPlane.workers' bound) */

/* The socket an OpenVPN peer-id belongs to: the gateway assigns ids, so
 * the index is the id modulo the group size. */
static inline unsigned steer_openvpn_index(uint32_t peer_id, unsigned n)
{
	return n ? peer_id % n : 0;
}

/* Binds n UDP sockets to addr:port as one SO_REUSEPORT group (in order:
 * fds[i] is the group's socket i) and attaches the OpenVPN program:
 * P_DATA_V2 goes to its peer-id's socket, everything else (handshakes,
 * P_DATA_V1, runts) to socket 0. Returns 0 or -errno (nothing left open). */
int steer_openvpn_group(const char *addr, uint16_t port, unsigned n, int *fds);

/* Attaches the OpenVPN program for a group of n to fd (any member). */
int steer_attach_openvpn(int fd, unsigned n);

/* The same with skew added to the peer-id first: tests use it to land
 * every session's data on a socket that does not own it. */
int steer_attach_openvpn_skewed(int fd, unsigned n, unsigned skew);

/* The same for ESP in UDP (4500): an ESP packet goes to its SPI modulo n,
 * IKE (the 4-byte non-ESP marker) and NAT keepalives to socket 0. */
int steer_attach_esp(int fd, unsigned n);

#endif
