/* The TUN device that joins client tunnels to the virtual network. */
#ifndef P2S_TUN_H
#define P2S_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"

/* Creates (or attaches to) name, non-blocking, no packet info, MTU 1500,
 * up. With *vnet set, every read and write carries a virtio-net header and
 * the kernel uses TCP/UDP segmentation offload (offload.h); else plain IP
 * packets. Returns the fd or a negative error. */
int tun_open(const char *name, int *ifindex, bool *vnet);
/* With n > 1, a multi-queue device (IFF_MULTI_QUEUE): one descriptor per
 * queue in fds[0..], same flags on each (the virtio-net header on all or
 * none; offloads are the device's, set once). Returns how many queues are
 * open, fewer than n when the kernel refuses more (and 1 when a persistent
 * single-queue device exists already), or a negative error. n <= 1 is
 * tun_open. */
int tun_open_queues(const char *name, unsigned n, int *fds, int *ifindex, bool *vnet);
/* The device's queue towards the gateway, in packets (default 500): room
 * for what arrives while reads are moderated. 0 or -errno. */
int tun_txqueue_set(const char *name, int len);
/* The kernel's drop counters of the device (sysfs statistics): *tx,
 * packets for the clients it had no room for in the queues the gateway
 * reads; *rx, packets the gateway wrote that it dropped. 0 or -errno. */
int tun_drops(const char *name, uint64_t *rx, uint64_t *tx);
/* A sysfs counter's text: decimal digits, then at most a newline. 0 or
 * P2S_E_PROTO. */
int tun_counter_parse(const char *text, size_t len, uint64_t *v);
/* Adds addr/len to the interface (the kernel adds the connected route). */
int tun_addr_add(int ifindex, uint32_t addr, uint8_t len);
/* Removes it again (a pool dropped on reload). */
int tun_addr_del(int ifindex, uint32_t addr, uint8_t len);
/* The same for IPv6 (no duplicate address detection: nobody else is on a
 * TUN link). */
int tun_addr6_add(int ifindex, const struct in6_addr *addr, uint8_t len);
int tun_addr6_del(int ifindex, const struct in6_addr *addr, uint8_t len);

#endif
