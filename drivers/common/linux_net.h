/*
 * linux_net.h — the small pieces of Linux networking the afpacket and tap
 * miniports share: interface attributes over rtnetlink (RTM_GETLINK), a
 * link-change monitor (a NETLINK_ROUTE socket subscribed to RTNLGRP_LINK),
 * interface flags and MAC by ioctl, MAC text parsing.
 *
 * Abstract
 *   Plain C11 against Linux headers only (no <ndis.h>: the Linux and NDIS
 * headers are kept apart, the drivers include both this header and <ndis.h>).
 * Every function returns 0 (or a non-negative value) on success and -errno on
 * failure, and sets nothing global. None of them allocates; all are blocking
 * system calls for PASSIVE_LEVEL code (initialize, restart, OID requests, the
 * drivers' own threads), never for the per-NBL path.
 *
 * Usage
 *     LINUX_LINK link;
 *     int err = LinuxGetLinkByName("veth0", &link);       // -ENODEV: no such
 * interface int mon = LinuxOpenLinkMonitor();                   // fd, poll it
 * for POLLIN if (LinuxReadLinkEvents(mon, link.IfIndex, &link) > 0) {
 * ...link.Flags changed... } BOOL up = LinuxLinkIsConnected(link.Flags);
 */
#ifndef OPENNDIS_DRIVERS_LINUX_NET_H
#define OPENNDIS_DRIVERS_LINUX_NET_H

#define LINUX_IFNAME_SIZE 16 /* IFNAMSIZ */
#define LINUX_MAC_SIZE 6

/* What RTM_GETLINK / RTM_NEWLINK says about one interface. */
typedef struct _LINUX_LINK {
    int IfIndex;
    unsigned Flags; /* IFF_* (net/if.h): IFF_UP, IFF_RUNNING, IFF_LOWER_UP … */
    unsigned Mtu;
    int HasMac; /* IFLA_ADDRESS was 6 bytes */
    unsigned char Mac[LINUX_MAC_SIZE];
    char Name[LINUX_IFNAME_SIZE];
} LINUX_LINK;

/* RTM_GETLINK by name (IFLA_IFNAME) or index. -ENODEV when there is no such
 * interface. */
int LinuxGetLinkByName(const char *IfName, LINUX_LINK *Link);
int LinuxGetLinkByIndex(int IfIndex, LINUX_LINK *Link);

/* A non-blocking, close-on-exec NETLINK_ROUTE socket subscribed to
 * RTNLGRP_LINK, or -errno. */
int LinuxOpenLinkMonitor(void);

/* Reads every pending message of a monitor socket; for the last RTM_NEWLINK
 * about IfIndex, updates *Link. Returns 1 when *Link was updated, 0 when
 * nothing about IfIndex came, -ENODEV when the interface was deleted
 * (RTM_DELLINK), other -errno on error. Never blocks. */
int LinuxReadLinkEvents(int Fd, int IfIndex, LINUX_LINK *Link);

/* Connected: administratively up and the carrier is there (IFF_UP and
 * IFF_RUNNING). */
int LinuxLinkIsConnected(unsigned Flags);

/* Sets or clears IFF_UP (SIOCSIFFLAGS), sets the MAC (SIOCSIFHWADDR). */
int LinuxSetLinkUp(const char *IfName, int Up);
int LinuxSetLinkMac(const char *IfName, const unsigned char Mac[LINUX_MAC_SIZE]);

/* "02:00:00:00:00:01", "02-00-…" or "020000000001" (ASCII). 0, or -EINVAL. */
int LinuxParseMac(const char *Text, unsigned char Mac[LINUX_MAC_SIZE]);

#endif /* OPENNDIS_DRIVERS_LINUX_NET_H */
