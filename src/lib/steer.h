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

/* The same with skew added to the SPI's index (modulo n): tests use it to
 * land every ESP packet on a socket that does not own its SA. */
int steer_attach_esp_skewed(int fd, unsigned n, unsigned skew);

/* Binds the group as steer_openvpn_group does and attaches the ESP program. */
int steer_esp_group(const char *addr, uint16_t port, unsigned n, int *fds);

/* The socket an inbound ESP SPI belongs to: the gateway picks its SPIs so
 * that the SPI modulo the group size is the owning socket. */
static inline unsigned steer_esp_index(uint32_t spi, unsigned n)
{
	return n ? spi % n : 0;
}

/* An SPI for socket `lane` of a group of n made from 32 random bits: the
 * residue set, the rest of rnd kept. 0 when rnd gives none (a reserved
 * value below 256, or no room above it): draw again. */
uint32_t steer_esp_spi(uint32_t rnd, unsigned n, unsigned lane);

/* A fresh random SPI for `lane` that `used` (the caller's table of live
 * SPIs; NULL: none) does not know; 0 when every draw collided (a table
 * near full). */
uint32_t steer_esp_spi_new(unsigned n, unsigned lane, int (*used)(uint32_t spi, void *ctx),
			   void *ctx);

#endif
