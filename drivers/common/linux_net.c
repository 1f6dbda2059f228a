/*
 * linux_net.c — see linux_net.h.
 */
#define _GNU_SOURCE

#include "common/linux_net.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define LINUX_NL_BUFFER 16384

static int LinuxNlOpen(unsigned Groups)
{
    struct sockaddr_nl local;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0) {
        return -errno;
    }
    memset(&local, 0, sizeof local);
    local.nl_family = AF_NETLINK;
    local.nl_groups = Groups;
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

/* Fills *Link from one RTM_NEWLINK message. */
static void LinuxParseLink(const struct nlmsghdr *Header, LINUX_LINK *Link)
{
    const struct ifinfomsg *ifi = (const struct ifinfomsg *)NLMSG_DATA(Header);
    int length = (int)IFLA_PAYLOAD(Header);
    const struct rtattr *rta;

    Link->IfIndex = ifi->ifi_index;
    Link->Flags = ifi->ifi_flags;
    for (rta = IFLA_RTA(ifi); RTA_OK(rta, length); rta = RTA_NEXT(rta, length)) {
        switch (rta->rta_type) {
        case IFLA_MTU:
            if (RTA_PAYLOAD(rta) >= sizeof(unsigned)) {
                memcpy(&Link->Mtu, RTA_DATA(rta), sizeof(unsigned));
            }
            break;
        case IFLA_ADDRESS:
            if (RTA_PAYLOAD(rta) == LINUX_MAC_SIZE) {
                memcpy(Link->Mac, RTA_DATA(rta), LINUX_MAC_SIZE);
                Link->HasMac = 1;
            }
            break;
        case IFLA_IFNAME: {
            size_t n = RTA_PAYLOAD(rta);
            if (n > LINUX_IFNAME_SIZE) {
                n = LINUX_IFNAME_SIZE;
            }
            memcpy(Link->Name, RTA_DATA(rta), n);
            Link->Name[LINUX_IFNAME_SIZE - 1] = '\0';
            break;
        }
        default: break;
        }
    }
}

static int LinuxGetLink(const char *IfName, int IfIndex, LINUX_LINK *Link)
{
    struct {
        struct nlmsghdr header;
        struct ifinfomsg ifi;
        char attrs[RTA_SPACE(LINUX_IFNAME_SIZE)];
    } request;
    char buffer[LINUX_NL_BUFFER];
    int fd, result = -ENODEV;
    ssize_t n;

    memset(Link, 0, sizeof *Link);
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    request.header.nlmsg_type = RTM_GETLINK;
    request.header.nlmsg_flags = NLM_F_REQUEST;
    request.header.nlmsg_seq = 1;
    request.ifi.ifi_family = AF_UNSPEC;
    request.ifi.ifi_index = IfIndex;
    if (IfName != NULL) {
        size_t len = strlen(IfName) + 1;
        struct rtattr *rta;
        if (len > LINUX_IFNAME_SIZE) {
            return -ENAMETOOLONG;
        }
        rta = (struct rtattr *)((char *)&request + NLMSG_ALIGN(request.header.nlmsg_len));
        rta->rta_type = IFLA_IFNAME;
        rta->rta_len = (unsigned short)RTA_LENGTH(len);
        memcpy(RTA_DATA(rta), IfName, len);
        request.header.nlmsg_len = NLMSG_ALIGN(request.header.nlmsg_len) + RTA_ALIGN(rta->rta_len);
    }
    fd = LinuxNlOpen(0);
    if (fd < 0) {
        return fd;
    }
    if (send(fd, &request, request.header.nlmsg_len, 0) < 0) {
        result = -errno;
        close(fd);
        return result;
    }
    for (;;) {
        struct nlmsghdr *h;
        n = recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EAGAIN) {
            /* The kernel answers synchronously, but wait for it properly anyway. */
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 1000) <= 0) {
                result = -ETIMEDOUT;
                break;
            }
            continue;
        }
        if (n < 0) {
            result = -errno;
            break;
        }
        h = (struct nlmsghdr *)buffer;
        if (!NLMSG_OK(h, (unsigned)n)) {
            result = -EPROTO;
            break;
        }
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(h);
            result = e->error != 0 ? e->error : -ENODEV;
            break;
        }
        if (h->nlmsg_type == RTM_NEWLINK) {
            LinuxParseLink(h, Link);
            result = 0;
            break;
        }
    }
    close(fd);
    return result;
}

int LinuxGetLinkByName(const char *IfName, LINUX_LINK *Link)
{
    return LinuxGetLink(IfName, 0, Link);
}

int LinuxGetLinkByIndex(int IfIndex, LINUX_LINK *Link)
{
    return LinuxGetLink(NULL, IfIndex, Link);
}

int LinuxOpenLinkMonitor(void)
{
    return LinuxNlOpen(RTMGRP_LINK);
}

int LinuxReadLinkEvents(int Fd, int IfIndex, LINUX_LINK *Link)
{
    char buffer[LINUX_NL_BUFFER];
    int result = 0;

    for (;;) {
        ssize_t n = recv(Fd, buffer, sizeof buffer, MSG_DONTWAIT);
        struct nlmsghdr *h;
        unsigned left;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return result;
            }
            if (errno == ENOBUFS) {
                /* Overrun: events were lost; ask for the current state instead. */
                LINUX_LINK now;
                if (LinuxGetLinkByIndex(IfIndex, &now) == 0) {
                    *Link = now;
                    result = 1;
                }
                continue;
            }
            return -errno;
        }
        left = (unsigned)n;
        for (h = (struct nlmsghdr *)buffer; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            const struct ifinfomsg *ifi;
            if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) {
                continue;
            }
            ifi = (const struct ifinfomsg *)NLMSG_DATA(h);
            if (ifi->ifi_index != IfIndex) {
                continue;
            }
            if (h->nlmsg_type == RTM_DELLINK) {
                return -ENODEV;
            }
            {
                LINUX_LINK update = *Link;
                LinuxParseLink(h, &update);
                *Link = update;
                result = 1;
            }
        }
    }
}

int LinuxLinkIsConnected(unsigned Flags)
{
    return (Flags & IFF_UP) != 0 && (Flags & IFF_RUNNING) != 0;
}

static int LinuxIoctl(const char *IfName, unsigned long Request, struct ifreq *Ifr)
{
    int fd, result = 0;
    if (strlen(IfName) >= IFNAMSIZ) {
        return -ENAMETOOLONG;
    }
    strncpy(Ifr->ifr_name, IfName, IFNAMSIZ - 1);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (ioctl(fd, Request, Ifr) != 0) {
        result = -errno;
    }
    close(fd);
    return result;
}

int LinuxSetLinkUp(const char *IfName, int Up)
{
    struct ifreq ifr;
    int err;
    memset(&ifr, 0, sizeof ifr);
    err = LinuxIoctl(IfName, SIOCGIFFLAGS, &ifr);
    if (err != 0) {
        return err;
    }
    if (Up) {
        ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    } else {
        ifr.ifr_flags = (short)(ifr.ifr_flags & ~IFF_UP);
    }
    return LinuxIoctl(IfName, SIOCSIFFLAGS, &ifr);
}

int LinuxSetLinkMac(const char *IfName, const unsigned char Mac[LINUX_MAC_SIZE])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
    memcpy(ifr.ifr_hwaddr.sa_data, Mac, LINUX_MAC_SIZE);
    return LinuxIoctl(IfName, SIOCSIFHWADDR, &ifr);
}

int LinuxParseMac(const char *Text, unsigned char Mac[LINUX_MAC_SIZE])
{
    unsigned digits = 0;
    unsigned char out[LINUX_MAC_SIZE] = {0};
    for (; *Text != '\0'; ++Text) {
        const char c = *Text;
        unsigned v;
        if (c == ':' || c == '-' || c == '.') {
            continue;
        }
        if (c >= '0' && c <= '9') {
            v = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v = (unsigned)(c - 'A' + 10);
        } else {
            return -EINVAL;
        }
        if (digits >= 2 * LINUX_MAC_SIZE) {
            return -EINVAL;
        }
        out[digits / 2] = (unsigned char)(digits % 2 == 0 ? v << 4 : (out[digits / 2] | v));
        ++digits;
    }
    if (digits != 2 * LINUX_MAC_SIZE) {
        return -EINVAL;
    }
    memcpy(Mac, out, LINUX_MAC_SIZE);
    return 0;
}
