/* TUN queue steering: which queue of the multi-queue TUN device, and so
 * which data-plane worker, reads a packet going to a client. A small eBPF
 * program on the device looks the destination address up in a map the
 * gateway keeps (client address -> owning worker).
 *
 * Why not the kernel's own choice: it sends a flow to the queue that last
 * wrote it, but learns that only after the written packet went through the
 * stack. A host that answers at once (same machine, a namespace) sends the
 * first reply of a new flow to a queue picked by hash, read by another
 * worker; the second reply goes to the owner's queue and can overtake the
 * first. With the map every packet of a session is read by its owner. */
#ifndef P2S_TUNSTEER_H
#define P2S_TUNSTEER_H

#include <netinet/in.h>
#include <stdint.h>

#define TUNSTEER_MAX 65536 /* addresses: two per session of the largest cap, and room */

/* Map key: the destination as four 32-bit words in host order (what the
 * program's packet loads yield); IPv4 as ::ffff:a.b.c.d. */
struct tunsteer_key {
	uint32_t w[4];
};

void tunsteer_key4(struct tunsteer_key *k, uint32_t addr); /* host order */
void tunsteer_key6(struct tunsteer_key *k, const struct in6_addr *a);

/* Creates the map (max_entries addresses) and the program, and attaches
 * the program to the device of tun_fd (any of its queues). Returns the
 * map's fd, or -errno (nothing left attached): needs CAP_BPF or
 * CAP_SYS_ADMIN. A packet whose destination is not in the map goes to
 * queue 0. */
int tunsteer_open(int tun_fd, unsigned max_entries);

/* Map updates, from any thread, also after privileges are dropped (an
 * open map fd is enough). 0 or -errno. */
int tunsteer_set(int map_fd, const struct tunsteer_key *k, unsigned queue);
int tunsteer_del(int map_fd, const struct tunsteer_key *k);

/* The queue the map gives k (-ENOENT when absent): for tests. */
int tunsteer_get(int map_fd, const struct tunsteer_key *k);

#endif
