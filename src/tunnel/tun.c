#define LOG_MODULE "tun"

#include "tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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

int tun_open(const char *name, int *ifindex)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr = {0};
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	int r = ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : link_up(name, ifindex);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static void add_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int addr_change(int ifindex, uint16_t type, uint16_t flags, uint32_t addr, uint8_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req = {0};
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = len;
	req.ifa.ifa_index = (unsigned)ifindex;
	uint32_t a = htonl(addr);
	add_attr(&req.nh, IFA_LOCAL, &a, 4);
	add_attr(&req.nh, IFA_ADDRESS, &a, 4);
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
	return addr_change(ifindex, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, addr, len);
}

int tun_addr_del(int ifindex, uint32_t addr, uint8_t len)
{
	return addr_change(ifindex, RTM_DELADDR, 0, addr, len);
}
