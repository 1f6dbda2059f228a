/*
 * tap.c — the `tap` miniport: creates a Linux TAP interface (/dev/net/tun) and
 * is the "NIC" on the other side of it. Frames the stack sends appear on the
 * TAP interface as received by Linux; frames Linux sends out of the TAP
 * interface are indicated to the stack. Linux and the OpenNDIS stack are two
 * hosts on one Ethernet segment: each has its own MAC address.
 *
 * Parameters ([adapter.params], read with NdisReadConfiguration in
 * MiniportInitializeEx) ifname      string, the TAP interface to create
 * (default "ndis%d": the kernel picks ndis0, ndis1, …); at most 15 characters
 *   up          integer, 1 (default) brings the interface up (SIOCSIFFLAGS
 * IFF_UP), 0 leaves it down (the adapter then reports media disconnected until
 * someone runs `ip link set <ifname> up`) mac         string
 * "02:00:00:00:00:02" style: the MAC of the Linux side (SIOCSIFHWADDR);
 *               default: the one the kernel made up
 *   driver_mac  string: the adapter's own MAC (its current and permanent
 * address, what the stack sends from); default 02:4e:44:xx:yy:zz where xx:yy:zz
 * are the last three bytes of the Linux side's MAC (never equal to it)
 *   rx_buffers  integer, receive NBLs the adapter may have up in the stack at
 * once (default 1024, 16 … 65536); frames arriving when none is left are
 * dropped (OID_GEN_RCV_NO_BUFFER); below rx_buffers / 8 the adapter indicates
 * with NDIS_RECEIVE_FLAGS_RESOURCES The MTU is the TAP interface's (1500 unless
 * changed before the adapter starts). Media is connected while the interface is
 * up and running (watched over rtnetlink, RTNLGRP_LINK, and indicated with
 * NDIS_STATUS_LINK_STATE); link speed 10 Gb/s. Privileges: CAP_NET_ADMIN to
 * create the interface and set its flags/MAC; none afterwards.
 *
 * Transmit (MS-08, MS-09, MS-10, MS-13)
 *   The fd is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (TUNSETVNETHDRSZ
 * 10): every frame is one writev: a zeroed struct virtio_net_hdr, then the NB's
 * MDL pieces as they are (no copy; more than 62 MDLs are gathered into a bounce
 * buffer), then zeros up to 60 bytes for a short frame (MS-13). An NBL with an
 * NB longer than MTU + 14 completes NDIS_STATUS_INVALID_LENGTH and none of its
 * frames is written; an NBL all of whose frames were written completes
 *   NDIS_STATUS_SUCCESS (MS-10: the kernel has them); a write the kernel
 * refuses completes the NBL NDIS_STATUS_RESOURCES (no memory, queue full after
 * a 20 ms retry) or NDIS_STATUS_FAILURE (anything else, e.g. the interface is
 * down: EIO), and the frames after it in that NBL are not written. Every NBL of
 * a call is completed before the call returns.
 *
 * Receive
 *   A receive thread (pthread, started by MiniportRestart, joined by
 * MiniportPause; woken through an eventfd) polls the fd and the rtnetlink
 * socket. Each frame is read (readv: the virtio_net_hdr into scratch, the frame
 * straight into a preallocated receive NBL) and, if it passes the packet filter
 * (EthernetFilterAccepts against driver_mac), indicated; up to 64 frames per
 * NdisMIndicateReceiveNetBufferLists call. Returned NBLs go back to the pool.
 * Frames that were queued while the adapter was paused are read and dropped at
 * restart (ST-08).
 *
 * Ownership and state: as afpacket, through the same LINUX_MINIPORT core
 * (common/linux_miniport: Busy counts send calls, NBLs up in the stack and the
 * pause call; the last one out completes a pending pause, ST-05; the receive
 * thread, link state and OID counters); the TAP fd and vnet header are this
 * file's.
 * MiniportHaltEx closes the fd: the TAP interface (not persistent) disappears.
 *
 * Errors (MiniportInitializeEx fails with a DbgPrint): without CAP_NET_ADMIN
 * ("tap: creating TAP interface 'ndis%d' needs CAP_NET_ADMIN"); no
 * /dev/net/tun; a bad mac/driver_mac.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <ndis.h>

#include "builtin_drivers.h"
#include "common/ethernet_frame.h"
#include "common/ethernet_oid.h"
#include "common/linux_miniport.h"
#include "common/linux_net.h"
#include "common/miniport_common.h"

#define TAP_TAG 'paTN'
#define TAP_DEFAULT_RX_BUFFERS 1024
#define TAP_RX_BATCH 64
#define TAP_MAX_IOV 64 /* virtio header + 62 pieces + padding */
#define TAP_TX_WAIT_US 20000

typedef struct _TAP_ADAPTER {
    LINUX_MINIPORT Core; /* handle, state, Busy, receive thread, link, OID state, counters;
                            Core.IfName: the name asked for, then the one the kernel gave;
                            Core.Mac: driver_mac */
    ULONG Up;
    BOOLEAN HasLinuxMac, HasDriverMac;
    UCHAR LinuxMac[ETH_LENGTH_OF_ADDRESS];

    int TapFd;
    PUCHAR Scratch; /* receive thread: frames dropped for want of an NBL */
    ULONG ScratchSize;
    PUCHAR Bounce; /* transmit: frames of more than TAP_MAX_IOV - 2 pieces */
    NDIS_SPIN_LOCK BounceLock;
} TAP_ADAPTER, *PTAP_ADAPTER;

static NDIS_HANDLE g_TapDriverHandle;
static volatile LONG g_TapAdapterNumber;
static const struct virtio_net_hdr g_TapVnetHeader; /* all zero: no offload, no GSO */
static const UCHAR g_TapZeros[ETHERNET_MIN_FRAME_SIZE];

static MINIPORT_INITIALIZE TapInitializeEx;
static MINIPORT_HALT TapHaltEx;
static MINIPORT_UNLOAD TapUnload;
static MINIPORT_PAUSE TapPause;
static MINIPORT_RESTART TapRestart;
static MINIPORT_OID_REQUEST TapOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS TapSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS TapReturnNetBufferLists;

/* Parameter names (NdisReadConfiguration compares them case-insensitively). */
static NDIS_STRING g_TapKeyDriverMac = NDIS_STRING_CONST("driver_mac");
static NDIS_STRING g_TapKeyIfname = NDIS_STRING_CONST("ifname");
static NDIS_STRING g_TapKeyMac = NDIS_STRING_CONST("mac");
static NDIS_STRING g_TapKeyRxBuffers = NDIS_STRING_CONST("rx_buffers");
static NDIS_STRING g_TapKeyUp = NDIS_STRING_CONST("up");

/* ---- Transmit
 * -------------------------------------------------------------------------------
 */

/* One frame, one writev; NDIS_STATUS_SUCCESS, NDIS_STATUS_RESOURCES or
 * NDIS_STATUS_FAILURE. */
static NDIS_STATUS TapWriteFrame(PTAP_ADAPTER Adapter, PNET_BUFFER Nb, BOOLEAN AtDispatch)
{
    struct iovec iov[TAP_MAX_IOV];
    PVOID addresses[TAP_MAX_IOV - 2];
    ULONG lengths[TAP_MAX_IOV - 2];
    const ULONG length = NET_BUFFER_DATA_LENGTH(Nb);
    ULONG pieces, i, waited = 0;
    BOOLEAN bounced = FALSE;
    int count = 0;

    iov[count].iov_base = (void *)&g_TapVnetHeader;
    iov[count++].iov_len = sizeof g_TapVnetHeader;
    pieces = EthernetFrameMdls(Nb, addresses, lengths, TAP_MAX_IOV - 2);
    if (pieces != 0 || length == 0) {
        for (i = 0; i < pieces; ++i) {
            iov[count].iov_base = addresses[i];
            iov[count++].iov_len = lengths[i];
        }
    } else {
        /* Too many pieces for one writev: gather (rare; the lock keeps the buffer
     * ours). */
        NdisAcquireSpinLock(&Adapter->BounceLock);
        bounced = TRUE;
        iov[count].iov_base = Adapter->Bounce;
        iov[count++].iov_len = EthernetGatherFrame(Nb, Adapter->Bounce);
    }
    if (length < ETHERNET_MIN_FRAME_SIZE) {
        /* MS-13 */
        iov[count].iov_base = (void *)g_TapZeros;
        iov[count++].iov_len = ETHERNET_MIN_FRAME_SIZE - length;
    }
    for (;;) {
        ssize_t n = writev(Adapter->TapFd, iov, count);
        int err = errno;
        if (n >= 0) {
            break;
        }
        if ((err == EAGAIN || err == ENOBUFS || err == EINTR) && waited < TAP_TX_WAIT_US) {
            if (AtDispatch || bounced) {
                waited += 1000;
            } else {
                NdisMSleep(100);
                waited += 100;
            }
            continue;
        }
        if (bounced) {
            NdisReleaseSpinLock(&Adapter->BounceLock);
        }
        return (err == EAGAIN || err == ENOBUFS || err == ENOMEM) ? NDIS_STATUS_RESOURCES
                                                                  : NDIS_STATUS_FAILURE;
    }
    if (bounced) {
        NdisReleaseSpinLock(&Adapter->BounceLock);
    }
    return NDIS_STATUS_SUCCESS;
}

static VOID TapSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                  PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                                  ULONG SendFlags)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)MiniportAdapterContext;
    const BOOLEAN atDispatch = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? TRUE : FALSE;
    const ULONG completeFlags = atDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
    PNET_BUFFER_LIST nbl;
    LINUX_MINIPORT_TX_COUNTS counts = {0};

    UNREFERENCED_PARAMETER(PortNumber);
    if (!LinuxMiniportSendBegin(&adapter->Core, NetBufferLists, completeFlags)) {
        return; /* ST-04: completed NDIS_STATUS_PAUSED */
    }
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NDIS_STATUS status = NDIS_STATUS_SUCCESS;
        BOOLEAN oversize = FALSE;
        PNET_BUFFER nb;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            if (NET_BUFFER_DATA_LENGTH(nb) > adapter->Core.MaxFrameSize) {
                oversize = TRUE;
            }
        }
        if (oversize) {
            /* MS-08, MS-09 */
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_INVALID_LENGTH;
            ++counts.InvalidLength;
            continue;
        }
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL && status == NDIS_STATUS_SUCCESS;
             nb = NET_BUFFER_NEXT_NB(nb)) {
            status = TapWriteFrame(adapter, nb, atDispatch);
            if (status == NDIS_STATUS_SUCCESS) {
                ++counts.Frames;
                counts.Bytes += NET_BUFFER_DATA_LENGTH(nb);
            }
        }
        NET_BUFFER_LIST_STATUS(nbl) = status;
        if (status == NDIS_STATUS_SUCCESS) {
            ++counts.Nbls; /* MS-10: the kernel has every frame of it */
        } else if (status == NDIS_STATUS_RESOURCES) {
            ++counts.Resources;
        } else {
            ++counts.Failures;
        }
    }
    LinuxMiniportSendEnd(&adapter->Core, NetBufferLists, completeFlags, &counts);
}

/* ---- Receive
 * --------------------------------------------------------------------------------
 */

/* Reads what the fd has (at most TAP_RX_BATCH frames) and indicates it in one
 * call. Returns FALSE when the fd is empty. */
static BOOLEAN TapReceiveBatch(PTAP_ADAPTER Adapter)
{
    const ULONG filter = (ULONG)ReadAcquire(&Adapter->Core.PacketFilter);
    struct virtio_net_hdr vnet;
    NBL_QUEUE chain;
    ULONG count = 0, frames;
    BOOLEAN more = TRUE;
    LINUX_MINIPORT_RX_COUNTS counts = {0};

    NdisInitializeNblQueue(&chain);
    for (frames = 0; frames < TAP_RX_BATCH; ++frames) {
        struct iovec iov[2];
        PUCHAR data;
        PNET_BUFFER_LIST nbl = EthernetRxPoolGet(&Adapter->Core.RxPool, &data);
        ssize_t n;
        ULONG length;

        iov[0].iov_base = &vnet;
        iov[0].iov_len = sizeof vnet;
        iov[1].iov_base = nbl != NULL ? data : Adapter->Scratch;
        iov[1].iov_len = nbl != NULL ? Adapter->Core.RxPool.DataSize : Adapter->ScratchSize;
        n = readv(Adapter->TapFd, iov, 2);
        if (n < 0) {
            EthernetRxPoolPut(&Adapter->Core.RxPool, nbl);
            if (errno != EAGAIN && errno != EINTR) {
                ++counts.Errors; /* e.g. a frame larger than the buffer */
                continue;
            }
            more = FALSE;
            break;
        }
        if (nbl == NULL) {
            ++counts.NoBuffer;
            continue;
        }
        if ((size_t)n < sizeof vnet + ETHERNET_HEADER_SIZE) {
            EthernetRxPoolPut(&Adapter->Core.RxPool, nbl);
            ++counts.Errors;
            continue;
        }
        length = (ULONG)((size_t)n - sizeof vnet);
        if (length > Adapter->Core.MaxFrameSize) {
            EthernetRxPoolPut(&Adapter->Core.RxPool, nbl);
            ++counts.Errors;
            continue;
        }
        if (!EthernetFilterAccepts(&Adapter->Core.OidState, filter, Adapter->Core.Mac, data)) {
            EthernetRxPoolPut(&Adapter->Core.RxPool, nbl);
            ++counts.Filtered;
            continue;
        }
        NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = length;
        NdisAppendSingleNblToNblQueue(&chain, nbl);
        ++count;
        counts.Bytes += length;
    }
    LinuxMiniportIndicateReceive(&Adapter->Core, &chain, count, &counts);
    return more;
}

static VOID TapReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                    PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(ReturnFlags);
    LinuxMiniportReturnNetBufferLists(&adapter->Core, NetBufferLists);
}

static void *TapThread(void *Context)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)Context;
    struct pollfd fds[3];

    LinuxMiniportPollFds(&adapter->Core, adapter->TapFd, fds);
    while (!ReadAcquire(&adapter->Core.StopThread)) {
        int ready = LinuxMiniportPoll(&adapter->Core, fds);
        if (ready < 0) {
            break; /* said */
        }
        if (ready == 0) {
            continue;
        }
        if ((fds[0].revents & POLLIN) != 0) {
            while (!ReadAcquire(&adapter->Core.StopThread) && TapReceiveBatch(adapter)) {
            }
        }
        if ((fds[1].revents & POLLIN) != 0) {
            LinuxMiniportLinkEvents(&adapter->Core);
        }
    }
    return NULL;
}

/* ---- Pause / restart
 * ------------------------------------------------------------------------ */

static NDIS_STATUS TapRestart(NDIS_HANDLE MiniportAdapterContext,
                              PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(RestartParameters);
    /* ST-08: frames queued while paused were never for the stack. */
    while (read(adapter->TapFd, adapter->Scratch, adapter->ScratchSize) > 0) {
        InterlockedIncrement64(&adapter->Core.RxDiscarded);
    }
    return LinuxMiniportRestart(&adapter->Core, TapThread, adapter);
}

static NDIS_STATUS TapPause(NDIS_HANDLE MiniportAdapterContext,
                            PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(PauseParameters);
    return LinuxMiniportPause(&adapter->Core); /* ST-05 */
}

/* ---- OIDs
 * -----------------------------------------------------------------------------------
 */

static NDIS_STATUS TapOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)MiniportAdapterContext;
    ETHERNET_OID_INFO info;
    NDIS_STATUS status;

    NdisZeroMemory(&info, sizeof info);
    LinuxMiniportOidInfo(&adapter->Core, "OpenNDIS tap miniport (/dev/net/tun)", &info);
    status = EthernetOidRequest(&adapter->Core.OidState, &info, OidRequest);
    if (status == NDIS_STATUS_SUCCESS && OidRequest->RequestType == NdisRequestSetInformation &&
        OidRequest->DATA.SET_INFORMATION.Oid == OID_GEN_CURRENT_PACKET_FILTER) {
        /* The TAP interface hands over everything Linux sends; filtering is ours
     * alone. */
        LinuxMiniportLatchPacketFilter(&adapter->Core);
    }
    return status;
}

/* ---- Initialize / halt
 * ---------------------------------------------------------------------- */

/* A string parameter as ASCII into Out; 1 found, 0 absent, -1 unusable (said).
 */
static int TapReadString(PTAP_ADAPTER Adapter, NDIS_HANDLE Config, PNDIS_STRING Key, PCHAR Out,
                         ULONG Size)
{
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER value;
    NdisReadConfiguration(&status, &value, Config, Key, NdisParameterString);
    if (status != NDIS_STATUS_SUCCESS || value->ParameterType != NdisParameterString) {
        return 0;
    }
    if (!EthernetUnicodeToAscii(&value->ParameterData.StringData, Out, Size) || Out[0] == '\0') {
        DbgPrint("tap%lu: %wZ '%wZ' is too long or not ASCII\n", Adapter->Core.Number, Key,
                 &value->ParameterData.StringData);
        return -1;
    }
    return 1;
}

static BOOLEAN TapReadConfiguration(PTAP_ADAPTER Adapter)
{
    NDIS_HANDLE config;
    CHAR text[32];
    BOOLEAN ok = TRUE;
    int r;

    NdisMoveMemory(Adapter->Core.IfName, "ndis%d", sizeof "ndis%d");
    Adapter->Up = 1;
    Adapter->Core.RxBuffers = TAP_DEFAULT_RX_BUFFERS;
    config = DriverOpenConfiguration(Adapter->Core.MiniportAdapterHandle);
    if (config == NULL) {
        Adapter->Core.RxLowWater = Adapter->Core.RxBuffers / 8;
        return TRUE; /* all defaults */
    }
    if (TapReadString(Adapter, config, &g_TapKeyIfname, Adapter->Core.IfName,
                      sizeof Adapter->Core.IfName) < 0) {
        ok = FALSE;
    }
    r = TapReadString(Adapter, config, &g_TapKeyMac, text, sizeof text);
    if (r > 0) {
        if (LinuxParseMac(text, Adapter->LinuxMac) != 0 || (Adapter->LinuxMac[0] & 1) != 0) {
            DbgPrint("tap%lu: mac '%s' is not a unicast MAC (02:00:00:00:00:02 style)\n",
                     Adapter->Core.Number, text);
            ok = FALSE;
        } else {
            Adapter->HasLinuxMac = TRUE;
        }
    } else if (r < 0) {
        ok = FALSE;
    }
    r = TapReadString(Adapter, config, &g_TapKeyDriverMac, text, sizeof text);
    if (r > 0) {
        if (LinuxParseMac(text, Adapter->Core.Mac) != 0 || (Adapter->Core.Mac[0] & 1) != 0) {
            DbgPrint("tap%lu: driver_mac '%s' is not a unicast MAC "
                     "(02:00:00:00:00:01 style)\n",
                     Adapter->Core.Number, text);
            ok = FALSE;
        } else {
            Adapter->HasDriverMac = TRUE;
        }
    } else if (r < 0) {
        ok = FALSE;
    }
    Adapter->Up = MiniportReadUlong(config, &g_TapKeyUp, 1, 0, 1, "tap", Adapter->Core.Number);
    Adapter->Core.RxBuffers = MiniportReadUlong(config, &g_TapKeyRxBuffers, TAP_DEFAULT_RX_BUFFERS,
                                                16, 65536, "tap", Adapter->Core.Number);
    Adapter->Core.RxLowWater = Adapter->Core.RxBuffers / 8;
    NdisCloseConfiguration(config);
    return ok;
}

/* Creates the TAP interface; FALSE with a DbgPrint that says why. */
static BOOLEAN TapCreate(PTAP_ADAPTER Adapter)
{
    struct ifreq ifr;
    int size = (int)sizeof(struct virtio_net_hdr);

    Adapter->TapFd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (Adapter->TapFd < 0) {
        DbgPrint("tap%lu: cannot open /dev/net/tun (errno %d)%s\n", Adapter->Core.Number, errno,
                 errno == ENOENT                     ? ": no TUN/TAP support (modprobe tun)"
                 : errno == EACCES || errno == EPERM ? ": creating TAP interfaces needs "
                                                       "CAP_NET_ADMIN"
                                                     : "");
        return FALSE;
    }
    NdisZeroMemory(&ifr, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    NdisMoveMemory(ifr.ifr_name, Adapter->Core.IfName, sizeof Adapter->Core.IfName);
    if (ioctl(Adapter->TapFd, TUNSETIFF, &ifr) != 0) {
        int err = errno;
        if (err == EPERM || err == EACCES) {
            DbgPrint("tap%lu: creating TAP interface '%s' needs CAP_NET_ADMIN (run "
                     "as root or "
                     "grant it: setcap cap_net_admin,cap_net_raw+ep <program>)\n",
                     Adapter->Core.Number, Adapter->Core.IfName);
        } else if (err == EBUSY) {
            DbgPrint("tap%lu: interface '%s' exists and is not a free TAP interface\n",
                     Adapter->Core.Number, Adapter->Core.IfName);
        } else {
            DbgPrint("tap%lu: TUNSETIFF '%s' failed (errno %d)\n", Adapter->Core.Number,
                     Adapter->Core.IfName, err);
        }
        return FALSE;
    }
    NdisMoveMemory(Adapter->Core.IfName, ifr.ifr_name, sizeof Adapter->Core.IfName);
    Adapter->Core.IfName[LINUX_IFNAME_SIZE - 1] = '\0';
    if (ioctl(Adapter->TapFd, TUNSETVNETHDRSZ, &size) != 0) {
        DbgPrint("tap%lu (%s): TUNSETVNETHDRSZ failed (errno %d)\n", Adapter->Core.Number,
                 Adapter->Core.IfName, errno);
        return FALSE;
    }
    if (Adapter->HasLinuxMac) {
        int err = LinuxSetLinkMac(Adapter->Core.IfName, Adapter->LinuxMac);
        if (err != 0) {
            DbgPrint("tap%lu (%s): setting mac failed (errno %d)\n", Adapter->Core.Number,
                     Adapter->Core.IfName, -err);
            return FALSE;
        }
    }
    if (Adapter->Up) {
        int err = LinuxSetLinkUp(Adapter->Core.IfName, 1);
        if (err != 0) {
            DbgPrint("tap%lu (%s): bringing the interface up failed (errno %d)%s\n",
                     Adapter->Core.Number, Adapter->Core.IfName, -err,
                     err == -EPERM ? ": needs CAP_NET_ADMIN" : "");
            return FALSE;
        }
    }
    return TRUE;
}

static VOID TapCloseLinux(PTAP_ADAPTER Adapter)
{
    if (Adapter->TapFd >= 0) {
        close(Adapter->TapFd); /* the interface (not persistent) goes away */
        Adapter->TapFd = -1;
    }
}

static VOID TapFreeBuffers(PTAP_ADAPTER Adapter)
{
    if (Adapter->Scratch != NULL) {
        NdisFreeMemoryWithTagPriority(Adapter->Core.MiniportAdapterHandle, Adapter->Scratch,
                                      TAP_TAG);
        Adapter->Scratch = NULL;
    }
    if (Adapter->Bounce != NULL) {
        NdisFreeMemoryWithTagPriority(Adapter->Core.MiniportAdapterHandle, Adapter->Bounce,
                                      TAP_TAG);
        Adapter->Bounce = NULL;
    }
}

static NDIS_STATUS TapInitializeEx(NDIS_HANDLE NdisMiniportHandle,
                                   NDIS_HANDLE MiniportDriverContext,
                                   PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    PTAP_ADAPTER adapter;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    int err;

    UNREFERENCED_PARAMETER(MiniportDriverContext);
    UNREFERENCED_PARAMETER(MiniportInitParameters);
    adapter = (PTAP_ADAPTER)NdisAllocateMemoryWithTagPriority(NdisMiniportHandle, sizeof *adapter,
                                                              TAP_TAG, NormalPoolPriority);
    if (adapter == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(adapter, sizeof *adapter);
    LinuxMiniportInitialize(&adapter->Core, NdisMiniportHandle, "tap",
                            (ULONG)InterlockedIncrement(&g_TapAdapterNumber));
    adapter->TapFd = -1;
    NdisAllocateSpinLock(&adapter->BounceLock);

    if (!TapReadConfiguration(adapter) || !TapCreate(adapter)) {
        goto fail;
    }
    err = LinuxGetLinkByName(adapter->Core.IfName, &adapter->Core.Link);
    if (err != 0 || !adapter->Core.Link.HasMac) {
        DbgPrint("tap%lu (%s): RTM_GETLINK failed (errno %d)\n", adapter->Core.Number,
                 adapter->Core.IfName, -err);
        goto fail;
    }
    NdisMoveMemory(adapter->LinuxMac, adapter->Core.Link.Mac, ETH_LENGTH_OF_ADDRESS);
    if (!adapter->HasDriverMac) {
        /* 02:4e:44 ("ND", locally administered) + the Linux side's last three
     * bytes. */
        adapter->Core.Mac[0] = 0x02;
        adapter->Core.Mac[1] = 0x4E;
        adapter->Core.Mac[2] = 0x44;
        NdisMoveMemory(&adapter->Core.Mac[3], &adapter->LinuxMac[3], 3);
        if (NdisEqualMemory(adapter->Core.Mac, adapter->LinuxMac, ETH_LENGTH_OF_ADDRESS)) {
            adapter->Core.Mac[5] ^= 0x01;
        }
    } else if (NdisEqualMemory(adapter->Core.Mac, adapter->LinuxMac, ETH_LENGTH_OF_ADDRESS)) {
        DbgPrint("tap%lu (%s): driver_mac equals the Linux side's MAC; frames "
                 "between them "
                 "would not be delivered\n",
                 adapter->Core.Number, adapter->Core.IfName);
    }
    LinuxMiniportUseLink(&adapter->Core);

    if (!LinuxMiniportOpenMonitor(&adapter->Core)) {
        goto fail;
    }
    /* A frame may be a VLAN tag longer than MTU + 14: take it, then drop it as
   * too long. */
    adapter->ScratchSize = 65536;
    adapter->Scratch = (PUCHAR)NdisAllocateMemoryWithTagPriority(
        NdisMiniportHandle, adapter->ScratchSize, TAP_TAG, NormalPoolPriority);
    adapter->Bounce = (PUCHAR)NdisAllocateMemoryWithTagPriority(
        NdisMiniportHandle, adapter->Core.MaxFrameSize, TAP_TAG, NormalPoolPriority);
    if (adapter->Scratch == NULL || adapter->Bounce == NULL) {
        status = NDIS_STATUS_RESOURCES;
        goto fail;
    }
    status = EthernetRxPoolCreate(&adapter->Core.RxPool, NdisMiniportHandle,
                                  adapter->Core.RxBuffers, adapter->Core.MaxFrameSize + 4, 'xRaT');
    if (status != NDIS_STATUS_SUCCESS) {
        goto fail;
    }
    status = LinuxMiniportSetAttributes(&adapter->Core, adapter);
    if (status != NDIS_STATUS_SUCCESS) {
        goto fail;
    }
    DbgPrint("tap%lu: created '%s' (ifindex %d, %s), MTU %lu, Linux MAC "
             "%02x:%02x:%02x:%02x:%02x:%02x, driver MAC "
             "%02x:%02x:%02x:%02x:%02x:%02x, "
             "%lu receive buffers\n",
             adapter->Core.Number, adapter->Core.IfName, adapter->Core.Link.IfIndex,
             adapter->Core.ConnectState == MediaConnectStateConnected ? "up" : "down",
             adapter->Core.Mtu, adapter->LinuxMac[0], adapter->LinuxMac[1], adapter->LinuxMac[2],
             adapter->LinuxMac[3], adapter->LinuxMac[4], adapter->LinuxMac[5], adapter->Core.Mac[0],
             adapter->Core.Mac[1], adapter->Core.Mac[2], adapter->Core.Mac[3], adapter->Core.Mac[4],
             adapter->Core.Mac[5], adapter->Core.RxBuffers);
    return NDIS_STATUS_SUCCESS;

fail:
    TapCloseLinux(adapter);
    LinuxMiniportCleanup(&adapter->Core);
    TapFreeBuffers(adapter);
    NdisFreeSpinLock(&adapter->BounceLock);
    NdisFreeMemoryWithTagPriority(NdisMiniportHandle, adapter, TAP_TAG);
    return status == NDIS_STATUS_SUCCESS ? NDIS_STATUS_FAILURE : status;
}

static VOID TapHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PTAP_ADAPTER adapter = (PTAP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(HaltAction);
    LinuxMiniportStopThread(&adapter->Core);
    DbgPrint(
        "tap%lu (%s): halt: sent %I64d frames (%I64d bytes) in %I64d NBLs, "
        "%I64d NBLs "
        "INVALID_LENGTH, %I64d RESOURCES, %I64d FAILURE, %I64d PAUSED; "
        "received %I64d "
        "frames (%I64d bytes), %I64d no buffer, %I64d errors, %I64d "
        "filtered, %I64d "
        "discarded while paused; %I64d link changes\n",
        adapter->Core.Number, adapter->Core.IfName, LinuxMiniportRead64(&adapter->Core.TxFrames),
        LinuxMiniportRead64(&adapter->Core.TxBytes), LinuxMiniportRead64(&adapter->Core.TxNbls),
        LinuxMiniportRead64(&adapter->Core.TxInvalidLength),
        LinuxMiniportRead64(&adapter->Core.TxResources),
        LinuxMiniportRead64(&adapter->Core.TxFailures),
        LinuxMiniportRead64(&adapter->Core.TxPaused), LinuxMiniportRead64(&adapter->Core.RxFrames),
        LinuxMiniportRead64(&adapter->Core.RxBytes), LinuxMiniportRead64(&adapter->Core.RxNoBuffer),
        LinuxMiniportRead64(&adapter->Core.RxErrors),
        LinuxMiniportRead64(&adapter->Core.RxFiltered),
        LinuxMiniportRead64(&adapter->Core.RxDiscarded),
        LinuxMiniportRead64(&adapter->Core.LinkChanges));
    TapCloseLinux(adapter);
    LinuxMiniportCleanup(&adapter->Core);
    TapFreeBuffers(adapter);
    NdisFreeSpinLock(&adapter->BounceLock);
    NdisFreeMemoryWithTagPriority(adapter->Core.MiniportAdapterHandle, adapter, TAP_TAG);
}

/* ---- Driver entry / unload
 * ------------------------------------------------------------------ */

static VOID TapUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    MiniportDeregisterDriver(&g_TapDriverHandle);
}

NTSTATUS TapMiniportDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;

    MiniportInitializeCharacteristics(&mc);
    mc.InitializeHandlerEx = TapInitializeEx;
    mc.HaltHandlerEx = TapHaltEx;
    mc.UnloadHandler = TapUnload;
    mc.PauseHandler = TapPause;
    mc.RestartHandler = TapRestart;
    mc.OidRequestHandler = TapOidRequest;
    mc.SendNetBufferListsHandler = TapSendNetBufferLists;
    mc.ReturnNetBufferListsHandler = TapReturnNetBufferLists;
    mc.CancelSendHandler = MiniportNoSendToCancel; /* sends complete inside the call */
    mc.DevicePnPEventNotifyHandler = MiniportIgnoreDevicePnPEvent;
    mc.ShutdownHandlerEx = MiniportNothingToShutDown;
    mc.CancelOidRequestHandler = MiniportNoOidToCancel; /* every OID is answered synchronously */
    return MiniportRegisterDriver(DriverObject, RegistryPath, &mc, &g_TapDriverHandle, "tap");
}
