/* The datapath's TUN device: attach (or create), vnet headers and TCP
 * segmentation offload when the kernel has them, the link up, and the
 * tunnel MTU, which is the device's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>

#include "tunnel/dp_int.h"

/* Set the MTU and the up flag of interface name with an ioctl socket. */
static int link_setup(const char *name, int mtu)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (mtu > 0) {
		ifr.ifr_mtu = mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
			r = -errno;
			goto cleanup;
		}
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
		goto cleanup;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
cleanup:
	close(s);
	return r;
}

/* The MTU of interface name (SIOCGIFMTU). */
static int link_mtu(const char *name, int *mtu)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0)
		r = -errno;
	else
		*mtu = ifr.ifr_mtu;
	close(s);
	return r;
}

/*
 * Take the tunnel MTU from the TUN device (tunnel_mtu_of_link). Called at
 * start, on SIGHUP and once a second: an MTU that apply sets on the link
 * then reaches the Packet Too Big messages, the GSO limits and the stats
 * without a restart. 0, or -errno when the device's MTU cannot be read (the
 * MTU in use stays).
 */
int dp_tun_mtu_sync(struct dp_ctx *x)
{
	int m = 0, mtu, r = link_mtu(x->o->name, &m);

	if (r < 0)
		return r;
	mtu = tunnel_mtu_of_link(m);
	if (m != x->link_mtu && m != mtu)
		dp_log(x->o, "TUN device %s has MTU %d: the tunnel MTU is %d", x->o->name, m, mtu);
	if (x->cfg.mtu && mtu != x->cfg.mtu)
		dp_log(x->o, "mtu %d -> %d (the TUN device's)", x->cfg.mtu, mtu);
	x->link_mtu = m;
	x->cfg.mtu = mtu;
	return 0;
}

/*
 * Attach to the TUN device o->name (created, non-persistent, when it is
 * missing and create is set), with a vnet header and TCP segmentation
 * offload when the kernel allows (x->vnet says which). Brings the link up
 * (a device it creates gets o->mtu) and takes the tunnel MTU from it.
 */
int dp_tun_open(struct dp_ctx *x, bool create)
{
	const struct tunnel_opts *o = x->o;
	struct ifreq ifr = { 0 };
	bool exists = if_nametoindex(o->name) != 0;
	int fd, r;

	if (!exists && !create) {
		dp_log(o, "TUN device %s does not exist (jail6 apply creates it)", o->name);
		return -ENODEV;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		dp_log(o, "open /dev/net/tun: %s", strerror(errno));
		return r;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->name);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	x->vnet = true;
	r = ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
	if (r == -EINVAL) {
		/* no vnet headers on TUN here: one plain packet per call */
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		x->vnet = false;
		r = ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
	}
	if (r < 0) {
		if (r == -EBUSY)
			dp_log(o, "TUN device %s: in use by another process (one datapath per tunnel)", o->name);
		else
			dp_log(o, "attach to TUN device %s: %s%s", o->name, strerror(-r),
			       r == -EINVAL ? " (not a TUN device?)" : "");
		close(fd);
		return r;
	}
	int hdr = (int)VH_LEN;
	/* checksums and TCPv6 segmentation left to us: the kernel hands over
	 * whole 64 KiB bursts instead of cutting them into MTU packets */
	if (x->vnet && (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
			ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO6)) < 0))
		dp_log(o, "TUN offloads unavailable (%s); one packet per read", strerror(errno));
	/* an existing device keeps its MTU: apply set it, and a restarted
	 * datapath's o->mtu may be older than the link's */
	r = link_setup(o->name, exists ? 0 : o->mtu);
	if (r == 0)
		r = dp_tun_mtu_sync(x);
	if (r < 0) {
		dp_log(o, "set up %s: %s", o->name, strerror(-r));
		close(fd);
		return r;
	}
	x->tun_fd = fd;
	return 0;
}
