#define LOG_MODULE "tun"

#include "tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"

static int link_up(const char *name, int *ifindex)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr = {0};
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	int r = 0;
	ifr.ifr_mtu = 1500;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (r == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	if (r == 0 && ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		r = -errno;
	*ifindex = ifr.ifr_ifindex;
	close(s);
	return r;
}

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

/* TCP (and, where the kernel has it, UDP) segmentation offload: the kernel
 * hands over and takes super-packets behind a virtio-net header. */
static bool offloads_on(int fd)
{
	unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	if (ioctl(fd, TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6) == 0)
		return true;
	return ioctl(fd, TUNSETOFFLOAD, tso) == 0;
}

static int tun_attach(const char *name, short flags)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr = {0};
	ifr.ifr_flags = flags;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int tun_open(const char *name, int *ifindex, bool *vnet)
{
	int fd = tun_attach(name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
	*vnet = fd >= 0 && offloads_on(fd);
	if (fd >= 0 && !*vnet) {
		/* No offloads: the header would only cost bytes. */
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fd = tun_attach(name, IFF_TUN | IFF_NO_PI);
	if (fd < 0)
		return fd;
	int r = link_up(name, ifindex);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Extra queues of a multi-queue device, with the first one's flags. The
 * number of queues open (fds[0] is given). */
static unsigned more_queues(const char *name, short flags, unsigned n, int *fds)
{
	unsigned i = 1;
	for (; i < n; i++) {
		fds[i] = tun_attach(name, flags);
		if (fds[i] < 0)
			break;
	}
	return i;
}

int tun_open_queues(const char *name, unsigned n, int *fds, int *ifindex, bool *vnet)
{
	if (n <= 1) {
		fds[0] = tun_open(name, ifindex, vnet);
		return fds[0] < 0 ? fds[0] : 1;
	}
	short flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
	int fd = tun_attach(name, flags);
	*vnet = fd >= 0 && offloads_on(fd);
	if (fd >= 0 && !*vnet) {
		close(fd);
		flags &= ~IFF_VNET_HDR;
		fd = tun_attach(name, flags);
	}
	if (fd < 0) {
		/* A persistent device made single-queue cannot take more. */
		log_warn("%s cannot be multi-queue (%s): one TUN queue, read by the first worker",
			 name, p2s_strerror(fd));
		fds[0] = tun_open(name, ifindex, vnet);
		return fds[0] < 0 ? fds[0] : 1;
	}
	fds[0] = fd;
	unsigned got = more_queues(name, flags, n, fds);
	int r = link_up(name, ifindex);
	if (r < 0) {
		for (unsigned i = 0; i < got; i++)
			close(fds[i]);
		return r;
	}
	if (got < n)
		log_warn("%s: %u of %u TUN queues opened", name, got, n);
	return (int)got;
}

static void add_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* One address request: alen bytes of addr (network order), prefix len. */
struct addr_req {
	uint16_t type, flags;
	unsigned char family;
	const void *addr;
	size_t alen;
	uint8_t len;
};

static int addr_change(int ifindex, const struct addr_req *q)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req = {0};
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = q->type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | q->flags;
	req.ifa.ifa_family = q->family;
	req.ifa.ifa_prefixlen = q->len;
	req.ifa.ifa_index = (unsigned)ifindex;
	/* A TUN has no neighbours to ask: an IPv6 address is usable at once. */
	req.ifa.ifa_flags = q->family == AF_INET6 ? IFA_F_NODAD : 0;
	add_attr(&req.nh, IFA_LOCAL, q->addr, q->alen);
	add_attr(&req.nh, IFA_ADDRESS, q->addr, q->alen);
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int r = sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0
			? -errno
			: 0;
	char buf[512];
	ssize_t n = r == 0 ? recv(s, buf, sizeof(buf), 0) : -1;
	if (r == 0 && n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (h->nlmsg_type == NLMSG_ERROR)
			r = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(s);
	return r;
}

int tun_addr_add(int ifindex, uint32_t addr, uint8_t len)
{
	uint32_t a = htonl(addr);
	struct addr_req q = {RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, AF_INET, &a, 4, len};
	return addr_change(ifindex, &q);
}

int tun_addr_del(int ifindex, uint32_t addr, uint8_t len)
{
	uint32_t a = htonl(addr);
	struct addr_req q = {RTM_DELADDR, 0, AF_INET, &a, 4, len};
	return addr_change(ifindex, &q);
}

int tun_addr6_add(int ifindex, const struct in6_addr *addr, uint8_t len)
{
	struct addr_req q = {RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, AF_INET6, addr, 16, len};
	return addr_change(ifindex, &q);
}

int tun_addr6_del(int ifindex, const struct in6_addr *addr, uint8_t len)
{
	struct addr_req q = {RTM_DELADDR, 0, AF_INET6, addr, 16, len};
	return addr_change(ifindex, &q);
}

int tun_txqueue_set(const char *name, int len)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr = {0};
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_qlen = len;
	int r = ioctl(s, SIOCSIFTXQLEN, &ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

int tun_counter_parse(const char *text, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i = 0;
	for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
		unsigned d = (unsigned)(text[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return P2S_E_PROTO;
		n = n * 10 + d;
	}
	if (i == 0 || (i < len && (text[i] != '\n' || i + 1 != len)))
		return P2S_E_PROTO;
	*v = n;
	return 0;
}

static int sys_counter(const char *name, const char *stat, uint64_t *v)
{
	char path[96], buf[32];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", name, stat);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf));
	int r = n < 0 ? -errno : tun_counter_parse(buf, (size_t)n, v);
	close(fd);
	return r;
}

int tun_drops(const char *name, uint64_t *rx, uint64_t *tx)
{
	int r = sys_counter(name, "rx_dropped", rx);
	return r < 0 ? r : sys_counter(name, "tx_dropped", tx);
}
