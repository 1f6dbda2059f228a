/*
 * afpacket.c — the `afpacket` miniport: an 802.3 adapter on top of an existing
 * Linux interface (a veth end, a physical NIC, a bridge port …), through
 * AF_PACKET sockets with memory-mapped rings. Frames the stack sends go out of
 * that interface; frames the interface receives are indicated to the stack.
 *
 * Parameters ([adapter.params], read with NdisReadConfiguration in
 * MiniportInitializeEx) ifname        string, required: the Linux interface, in
 * the network namespace of the process (of the thread that starts the stack)
 *   qdisc_bypass  integer, 1 to send with PACKET_QDISC_BYPASS (straight to the
 * driver's queue, no traffic control), default 0 tx_frames     integer, slots
 * in the transmit ring (default 512, 8 … 65536; fewer for jumbo MTUs so that
 * the ring stays within 16 MiB) rx_blocks     integer, 256 KiB blocks in the
 * receive ring (default 16, 2 … 1024) rx_buffers    integer, receive NBLs the
 * adapter may have up in the stack at once (default 1024, 16 … 65536); a frame
 * arriving when all are up is dropped (counted in OID_GEN_RCV_NO_BUFFER); when
 * fewer than rx_buffers / 8 are left the adapter indicates with
 * NDIS_RECEIVE_FLAGS_RESOURCES MAC address, MTU and link state are the
 * interface's (rtnetlink RTM_GETLINK at initialize): current = permanent = the
 * interface's MAC, MtuSize = its MTU, connected = IFF_UP and IFF_RUNNING. Link
 * speed is reported as 10 Gb/s while connected. Privileges: CAP_NET_RAW (and
 * nothing else) to open the sockets; none afterwards.
 *
 * Transmit (MS-08, MS-09, MS-10, MS-13, MS-14)
 *   A PACKET_TX_RING (TPACKET_V2) on a send-only socket (protocol 0). For every
 * NBL: if one of its NBs is longer than MTU + 14 the NBL completes with
 * NDIS_STATUS_INVALID_LENGTH and none of its frames goes out; otherwise its NBs
 * take consecutive ring slots (all or none), each NB's MDL chain (from
 * CurrentMdl + CurrentMdlOffset, DataLength bytes) is gathered into its slot,
 * frames shorter than 60 bytes are zero-padded to 60, and the NBL completes
 * with NDIS_STATUS_SUCCESS (accepted for transmission: in the ring). One
 * sendto(MSG_DONTWAIT) per MiniportSendNetBufferLists call kicks the kernel.
 * When the ring has no room the sender kicks and waits up to 20 ms (at
 * PASSIVE_LEVEL; spins briefly at DISPATCH_LEVEL) and then completes the NBL
 * with NDIS_STATUS_RESOURCES. Every NBL of a call is completed, with its
 * status, in one NdisMSendNetBufferListsComplete before the call returns.
 * NDIS_MAC_OPTION_NO_LOOPBACK: the adapter never indicates its own frames
 * (PACKET_OUTGOING frames are skipped, MS-14).
 *
 * Receive
 *   A PACKET_RX_RING (TPACKET_V3, 2 ms block timeout) on an ETH_P_ALL socket
 * bound to the interface, read by a receive thread (a pthread started by
 * MiniportRestart and joined by MiniportPause, woken through an eventfd). For
 * every block the kernel hands over, the frames that pass the adapter's packet
 * filter (EthernetFilterAccepts: DIRECTED = the interface MAC, BROADCAST,
 * MULTICAST list, ALL_MULTICAST, PROMISCUOUS) are copied into preallocated
 * receive NBLs (ETHERNET_RX_POOL) and indicated in one
 * NdisMIndicateReceiveNetBufferLists call; the block goes back to the kernel at
 * once. Frames larger than MTU + 14 are dropped (receive errors). Returned NBLs
 * go back to the pool. Frames that arrive while the adapter is paused are
 * discarded at restart (ST-08: nothing is indicated while Paused).
 *   OID_GEN_CURRENT_PACKET_FILTER turns PACKET_MR_PROMISC on for PROMISCUOUS
 * and PACKET_MR_ALLMULTI for ALL_MULTICAST; OID_802_3_MULTICAST_LIST sets
 * PACKET_MR_MULTICAST memberships (the interface's own filters, so the frames
 * reach the socket).
 *
 * Link state
 *   The receive thread also watches a NETLINK_ROUTE socket subscribed to
 * RTNLGRP_LINK: when the interface's connected state (IFF_UP and IFF_RUNNING)
 * changes it indicates NDIS_STATUS_LINK_STATE (NdisMIndicateStatusEx with an
 * NDIS_LINK_STATE). MiniportRestart asks RTM_GETLINK again and indicates a
 * change that happened while the adapter was paused.
 *
 * Ownership and state
 *   Busy counts what keeps the adapter from being Paused: send calls in
 * progress, receive NBLs up in the stack, and MiniportPause itself.
 * MiniportPause sets Pausing, joins the receive thread, and finishes at once
 * when Busy drops to zero or returns NDIS_STATUS_PENDING; the last
 *   MiniportReturnNetBufferLists (or send) then calls NdisMPauseComplete
 * (ST-05). Sends that see Pausing or Paused complete with NDIS_STATUS_PAUSED
 * (ST-04). MiniportHaltEx closes the sockets, unmaps the rings and frees the
 * receive pool. This bookkeeping, the receive thread's start and stop, the
 * link-state indication and the OID counters are common/linux_miniport (the
 * LINUX_MINIPORT core, shared with tap); the rings are this file's.
 *
 * Errors (MiniportInitializeEx fails with a DbgPrint that says why)
 *   no `ifname`; no such interface ("afpacket: no interface 'veth9'"); the
 * sockets need CAP_NET_RAW ("afpacket: opening an AF_PACKET socket on 'veth0'
 * needs CAP_NET_RAW"); a ring the kernel refuses.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <ndis.h>

#include "builtin_drivers.h"
#include "common/ethernet_frame.h"
#include "common/ethernet_oid.h"
#include "common/linux_miniport.h"
#include "common/linux_net.h"
#include "common/miniport_common.h"

#define AFP_TAG 'tPfA'
#define AFP_DEFAULT_TX_FRAMES 512
#define AFP_MAX_TX_RING (16u << 20)
#define AFP_DEFAULT_RX_BLOCKS 16
#define AFP_RX_BLOCK_SIZE (1u << 18)
#define AFP_RX_FRAME_SIZE 2048u
#define AFP_DEFAULT_RX_BUFFERS 1024
#define AFP_TX_WAIT_US 20000

/* Where a TPACKET_V2 transmit frame's data starts (no PACKET_TX_HAS_OFF). */
#define AFP_TX_DATA_OFFSET (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

typedef struct _AFP_ADAPTER {
    LINUX_MINIPORT Core; /* handle, state, Busy, receive thread, link, OID state, counters */
    ULONG QdiscBypass;
    ULONG TxFramesWanted, RxBlocks;

    /* Transmit ring (TPACKET_V2). */
    int TxFd;
    PUCHAR TxRing;
    SIZE_T TxRingSize;
    ULONG TxFrameSize, TxFrameCount;
    ULONG TxHead; /* under TxLock */
    NDIS_SPIN_LOCK TxLock;
    volatile LONG TxKickPending; /* a kick failed: the receive thread kicks again */

    /* Receive ring (TPACKET_V3). */
    int RxFd;
    PUCHAR RxRing;
    SIZE_T RxRingSize;
    ULONG RxBlockIndex; /* receive thread only */

    BOOLEAN PromiscOn, AllMultiOn; /* memberships on RxFd (OID requests come one at a time) */
    ULONG McastCount;
    UCHAR McastApplied[ETHERNET_MAX_MULTICAST][ETH_LENGTH_OF_ADDRESS];
} AFP_ADAPTER, *PAFP_ADAPTER;

static NDIS_HANDLE g_AfpDriverHandle;
static volatile LONG g_AfpAdapterNumber;

static MINIPORT_INITIALIZE AfpInitializeEx;
static MINIPORT_HALT AfpHaltEx;
static MINIPORT_UNLOAD AfpUnload;
static MINIPORT_PAUSE AfpPause;
static MINIPORT_RESTART AfpRestart;
static MINIPORT_OID_REQUEST AfpOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS AfpSendNetBufferLists;
static MINIPORT_RETURN_NET_BUFFER_LISTS AfpReturnNetBufferLists;

/* Parameter names (NdisReadConfiguration compares them case-insensitively). */
static NDIS_STRING g_AfpKeyQdiscBypass = NDIS_STRING_CONST("qdisc_bypass");
static NDIS_STRING g_AfpKeyRxBlocks = NDIS_STRING_CONST("rx_blocks");
static NDIS_STRING g_AfpKeyRxBuffers = NDIS_STRING_CONST("rx_buffers");
static NDIS_STRING g_AfpKeyTxFrames = NDIS_STRING_CONST("tx_frames");

/* ---- Transmit
 * -------------------------------------------------------------------------------
 */

static struct tpacket2_hdr *AfpTxSlot(PAFP_ADAPTER Adapter, ULONG Index)
{
    return (struct tpacket2_hdr *)(Adapter->TxRing + (SIZE_T)Index * Adapter->TxFrameSize);
}

static BOOLEAN AfpTxKick(PAFP_ADAPTER Adapter)
{
    int tries;
    for (tries = 0; tries < 4; ++tries) {
        if (sendto(Adapter->TxFd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
            return TRUE;
        }
        if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
            break;
        }
    }
    /* The frames stay in the ring; the receive thread kicks again within
   * LINUX_MINIPORT_POLL_MS. */
    InterlockedExchange(&Adapter->TxKickPending, 1);
    return FALSE;
}

/* Under TxLock: TRUE when Needed slots from TxHead are free. */
static BOOLEAN AfpTxRoom(PAFP_ADAPTER Adapter, ULONG Needed)
{
    ULONG k;
    for (k = 0; k < Needed; ++k) {
        const struct tpacket2_hdr *h =
            AfpTxSlot(Adapter, (Adapter->TxHead + k) % Adapter->TxFrameCount);
        if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Puts the NBL's Frames NBs into the ring; NDIS_STATUS_SUCCESS or
 * NDIS_STATUS_RESOURCES. */
static NDIS_STATUS AfpTxNbl(PAFP_ADAPTER Adapter, PNET_BUFFER_LIST Nbl, ULONG Frames,
                            BOOLEAN AtDispatch)
{
    ULONG waited = 0;
    PNET_BUFFER nb;

    if (Frames > Adapter->TxFrameCount) {
        return NDIS_STATUS_RESOURCES; /* can never fit */
    }
    for (;;) {
        NdisAcquireSpinLock(&Adapter->TxLock);
        if (AfpTxRoom(Adapter, Frames)) {
            break; /* lock held */
        }
        NdisReleaseSpinLock(&Adapter->TxLock);
        /* Full: let the kernel send what is queued, then wait for slots to come
     * back. */
        AfpTxKick(Adapter);
        if (waited >= AFP_TX_WAIT_US) {
            return NDIS_STATUS_RESOURCES;
        }
        if (AtDispatch) {
            waited += 1000; /* a short spin: 20 kicks at most */
        } else {
            NdisMSleep(100);
            waited += 100;
        }
    }
    for (nb = NET_BUFFER_LIST_FIRST_NB(Nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
        struct tpacket2_hdr *h = AfpTxSlot(Adapter, Adapter->TxHead);
        PUCHAR data = (PUCHAR)h + AFP_TX_DATA_OFFSET;
        ULONG length = EthernetGatherFrame(nb, data);
        if (length < ETHERNET_MIN_FRAME_SIZE) {
            /* MS-13: the wire carries at least 60 bytes. */
            NdisZeroMemory(data + length, ETHERNET_MIN_FRAME_SIZE - length);
            length = ETHERNET_MIN_FRAME_SIZE;
        }
        h->tp_len = length;
        __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        Adapter->TxHead = (Adapter->TxHead + 1) % Adapter->TxFrameCount;
    }
    NdisReleaseSpinLock(&Adapter->TxLock);
    return NDIS_STATUS_SUCCESS;
}

static VOID AfpSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                  PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                                  ULONG SendFlags)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)MiniportAdapterContext;
    const BOOLEAN atDispatch = NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags) ? TRUE : FALSE;
    const ULONG completeFlags = atDispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
    PNET_BUFFER_LIST nbl;
    LINUX_MINIPORT_TX_COUNTS counts = {0};
    BOOLEAN queued = FALSE;

    UNREFERENCED_PARAMETER(PortNumber);
    if (!LinuxMiniportSendBegin(&adapter->Core, NetBufferLists, completeFlags)) {
        return; /* ST-04: completed NDIS_STATUS_PAUSED */
    }
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        ULONG count = 0;
        ULONG64 nblBytes = 0;
        BOOLEAN oversize = FALSE;
        PNET_BUFFER nb;
        NDIS_STATUS status;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            ++count;
            nblBytes += NET_BUFFER_DATA_LENGTH(nb);
            if (NET_BUFFER_DATA_LENGTH(nb) > adapter->Core.MaxFrameSize) {
                oversize = TRUE;
            }
        }
        if (oversize) {
            /* MS-08, MS-09: some frame is too large for the interface; none goes out.
       */
            NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_INVALID_LENGTH;
            ++counts.InvalidLength;
            continue;
        }
        status = count == 0 ? NDIS_STATUS_SUCCESS : AfpTxNbl(adapter, nbl, count, atDispatch);
        NET_BUFFER_LIST_STATUS(nbl) = status;
        if (status == NDIS_STATUS_SUCCESS) {
            /* MS-10: in the ring is "accepted for transmission". */
            if (count != 0) {
                queued = TRUE;
            }
            ++counts.Nbls;
            counts.Frames += count;
            counts.Bytes += (LONG64)nblBytes;
        } else {
            ++counts.Resources;
        }
    }
    if (queued) {
        AfpTxKick(adapter); /* one system call per send call, not per frame */
    }
    LinuxMiniportSendEnd(&adapter->Core, NetBufferLists, completeFlags, &counts);
}

/* ---- Receive
 * --------------------------------------------------------------------------------
 */

static struct tpacket_block_desc *AfpRxBlock(PAFP_ADAPTER Adapter, ULONG Index)
{
    return (struct tpacket_block_desc *)(Adapter->RxRing + (SIZE_T)Index * AFP_RX_BLOCK_SIZE);
}

static BOOLEAN AfpRxBlockReady(struct tpacket_block_desc *Block)
{
    return (__atomic_load_n(&Block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
}

static VOID AfpRxBlockRelease(struct tpacket_block_desc *Block)
{
    __atomic_store_n(&Block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/* Hands every block the kernel filled back to it without indicating anything
 * (at restart: those frames arrived while the adapter was paused). Blocks are
 * always consumed in ring order, so the filled ones are those from RxBlockIndex
 * on, and the first one not filled is where the kernel goes on. */
static VOID AfpRxDiscardAll(PAFP_ADAPTER Adapter)
{
    ULONG n;
    for (n = 0; n < Adapter->RxBlocks; ++n) {
        struct tpacket_block_desc *b = AfpRxBlock(Adapter, Adapter->RxBlockIndex);
        if (!AfpRxBlockReady(b)) {
            break;
        }
        InterlockedAdd64(&Adapter->Core.RxDiscarded, b->hdr.bh1.num_pkts);
        AfpRxBlockRelease(b);
        Adapter->RxBlockIndex = (Adapter->RxBlockIndex + 1) % Adapter->RxBlocks;
    }
}

/* Copies the frames of one block into receive NBLs and indicates them in one
 * call. */
static VOID AfpRxProcessBlock(PAFP_ADAPTER Adapter, struct tpacket_block_desc *Block)
{
    const ULONG packets = Block->hdr.bh1.num_pkts;
    const ULONG filter = (ULONG)ReadAcquire(&Adapter->Core.PacketFilter);
    struct tpacket3_hdr *ppd =
        (struct tpacket3_hdr *)((PUCHAR)Block + Block->hdr.bh1.offset_to_first_pkt);
    NBL_QUEUE chain;
    ULONG count = 0, i;
    LINUX_MINIPORT_RX_COUNTS counts = {0};

    NdisInitializeNblQueue(&chain);
    for (i = 0; i < packets;
         ++i, ppd = (struct tpacket3_hdr *)((PUCHAR)ppd + ppd->tp_next_offset)) {
        const struct sockaddr_ll *sll =
            (const struct sockaddr_ll *)((PUCHAR)ppd + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
        const PUCHAR frame = (PUCHAR)ppd + ppd->tp_mac;
        const ULONG length = ppd->tp_snaplen;
        PNET_BUFFER_LIST nbl;
        PUCHAR data;

        if (sll->sll_pkttype == PACKET_OUTGOING) {
            continue; /* our own transmissions (MS-14) and other local senders' */
        }
        if (ppd->tp_len != length || length > Adapter->Core.MaxFrameSize ||
            length < ETHERNET_HEADER_SIZE) {
            ++counts.Errors;
            continue;
        }
        if (!EthernetFilterAccepts(&Adapter->Core.OidState, filter, Adapter->Core.Mac, frame)) {
            ++counts.Filtered;
            continue;
        }
        nbl = EthernetRxPoolGet(&Adapter->Core.RxPool, &data);
        if (nbl == NULL) {
            ++counts.NoBuffer;
            continue;
        }
        NdisMoveMemory(data, frame, length);
        NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = length;
        NdisAppendSingleNblToNblQueue(&chain, nbl);
        ++count;
        counts.Bytes += length;
    }
    AfpRxBlockRelease(Block); /* every frame was copied out */
    LinuxMiniportIndicateReceive(&Adapter->Core, &chain, count, &counts);
}

static VOID AfpReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext,
                                    PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(ReturnFlags);
    LinuxMiniportReturnNetBufferLists(&adapter->Core, NetBufferLists);
}

/* The receive thread: frames while Running, link changes, transmit kicks that
 * failed. */
static void *AfpThread(void *Context)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)Context;
    struct pollfd fds[3];

    LinuxMiniportPollFds(&adapter->Core, adapter->RxFd, fds);
    while (!ReadAcquire(&adapter->Core.StopThread)) {
        struct tpacket_block_desc *b = AfpRxBlock(adapter, adapter->RxBlockIndex);
        int ready;
        if (AfpRxBlockReady(b)) {
            AfpRxProcessBlock(adapter, b);
            adapter->RxBlockIndex = (adapter->RxBlockIndex + 1) % adapter->RxBlocks;
            continue;
        }
        ready = LinuxMiniportPoll(&adapter->Core, fds);
        if (ready < 0) {
            break; /* said */
        }
        if (InterlockedExchange(&adapter->TxKickPending, 0) != 0) {
            AfpTxKick(adapter);
        }
        if (ready > 0 && (fds[1].revents & POLLIN) != 0 &&
            LinuxMiniportLinkEvents(&adapter->Core) == -ENODEV) {
            LINUX_LINK link = adapter->Core.Link;
            link.Flags = 0;
            LinuxMiniportUpdateLink(&adapter->Core, &link);
            DbgPrint("afpacket%lu: interface '%s' was deleted\n", adapter->Core.Number,
                     adapter->Core.IfName);
        }
    }
    return NULL;
}

/* ---- Pause / restart
 * ------------------------------------------------------------------------ */

static NDIS_STATUS AfpRestart(NDIS_HANDLE MiniportAdapterContext,
                              PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(RestartParameters);
    /* ST-08: what arrived while paused was never for the stack. */
    AfpRxDiscardAll(adapter);
    return LinuxMiniportRestart(&adapter->Core, AfpThread, adapter);
}

static NDIS_STATUS AfpPause(NDIS_HANDLE MiniportAdapterContext,
                            PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(PauseParameters);
    return LinuxMiniportPause(&adapter->Core); /* joins the receive thread; ST-05 */
}

/* ---- OIDs
 * -----------------------------------------------------------------------------------
 */

static int AfpMembership(PAFP_ADAPTER Adapter, BOOLEAN Add, unsigned short Type, const UCHAR *Mac)
{
    struct packet_mreq mreq;
    NdisZeroMemory(&mreq, sizeof mreq);
    mreq.mr_ifindex = Adapter->Core.Link.IfIndex;
    mreq.mr_type = Type;
    if (Mac != NULL) {
        mreq.mr_alen = ETH_LENGTH_OF_ADDRESS;
        NdisMoveMemory(mreq.mr_address, Mac, ETH_LENGTH_OF_ADDRESS);
    }
    if (setsockopt(Adapter->RxFd, SOL_PACKET, Add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP,
                   &mreq, sizeof mreq) != 0) {
        int err = errno;
        DbgPrint("afpacket%lu (%s): %s membership %u failed (errno %d)\n", Adapter->Core.Number,
                 Adapter->Core.IfName, Add ? "adding" : "dropping", (unsigned)Type, err);
        return -err;
    }
    return 0;
}

/* Makes the interface's filters match what the protocols set. */
static VOID AfpApplyFilter(PAFP_ADAPTER Adapter)
{
    const ULONG filter = LinuxMiniportLatchPacketFilter(&Adapter->Core);
    BOOLEAN promisc, allMulti;

    promisc = (filter & NDIS_PACKET_TYPE_PROMISCUOUS) != 0;
    allMulti = (filter & NDIS_PACKET_TYPE_ALL_MULTICAST) != 0;
    if (promisc != Adapter->PromiscOn &&
        AfpMembership(Adapter, promisc, PACKET_MR_PROMISC, NULL) == 0) {
        Adapter->PromiscOn = promisc;
    }
    if (allMulti != Adapter->AllMultiOn &&
        AfpMembership(Adapter, allMulti, PACKET_MR_ALLMULTI, NULL) == 0) {
        Adapter->AllMultiOn = allMulti;
    }
}

static VOID AfpApplyMulticast(PAFP_ADAPTER Adapter)
{
    UCHAR list[ETHERNET_MAX_MULTICAST][ETH_LENGTH_OF_ADDRESS];
    ULONG count, i;

    NdisAcquireSpinLock(&Adapter->Core.OidLock);
    count = Adapter->Core.OidState.MulticastCount;
    NdisMoveMemory(list, Adapter->Core.OidState.MulticastList, count * ETH_LENGTH_OF_ADDRESS);
    NdisReleaseSpinLock(&Adapter->Core.OidLock);
    for (i = 0; i < Adapter->McastCount; ++i) {
        AfpMembership(Adapter, FALSE, PACKET_MR_MULTICAST, Adapter->McastApplied[i]);
    }
    Adapter->McastCount = 0;
    for (i = 0; i < count; ++i) {
        if (AfpMembership(Adapter, TRUE, PACKET_MR_MULTICAST, list[i]) == 0) {
            NdisMoveMemory(Adapter->McastApplied[Adapter->McastCount++], list[i],
                           ETH_LENGTH_OF_ADDRESS);
        }
    }
}

static NDIS_STATUS AfpOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)MiniportAdapterContext;
    ETHERNET_OID_INFO info;
    NDIS_STATUS status;

    NdisZeroMemory(&info, sizeof info);
    LinuxMiniportOidInfo(&adapter->Core, "OpenNDIS afpacket miniport (AF_PACKET rings)", &info);
    status = EthernetOidRequest(&adapter->Core.OidState, &info, OidRequest);
    if (status == NDIS_STATUS_SUCCESS && OidRequest->RequestType == NdisRequestSetInformation) {
        if (OidRequest->DATA.SET_INFORMATION.Oid == OID_GEN_CURRENT_PACKET_FILTER) {
            AfpApplyFilter(adapter);
        } else if (OidRequest->DATA.SET_INFORMATION.Oid == OID_802_3_MULTICAST_LIST) {
            AfpApplyMulticast(adapter);
        }
    }
    return status;
}

/* ---- Initialize / halt
 * ---------------------------------------------------------------------- */

/* FALSE when `ifname` is missing or unusable (said with DbgPrint). */
static BOOLEAN AfpReadConfiguration(PAFP_ADAPTER Adapter)
{
    NDIS_HANDLE config;
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER value;
    NDIS_STRING ifnameKey = NDIS_STRING_CONST("ifname");
    BOOLEAN ok = FALSE;

    config = DriverOpenConfiguration(Adapter->Core.MiniportAdapterHandle);
    if (config == NULL) {
        DbgPrint("afpacket%lu: cannot open the adapter's configuration\n", Adapter->Core.Number);
        return FALSE;
    }
    NdisReadConfiguration(&status, &value, config, &ifnameKey, NdisParameterString);
    if (status != NDIS_STATUS_SUCCESS || value->ParameterType != NdisParameterString) {
        DbgPrint("afpacket%lu: the adapter parameter 'ifname' (a string: the Linux "
                 "interface) "
                 "is required\n",
                 Adapter->Core.Number);
    } else if (!EthernetUnicodeToAscii(&value->ParameterData.StringData, Adapter->Core.IfName,
                                       sizeof Adapter->Core.IfName) ||
               Adapter->Core.IfName[0] == '\0') {
        DbgPrint("afpacket%lu: ifname '%wZ' is not a Linux interface name (1..15 ASCII "
                 "characters)\n",
                 Adapter->Core.Number, &value->ParameterData.StringData);
    } else {
        ok = TRUE;
    }
    Adapter->QdiscBypass =
        MiniportReadUlong(config, &g_AfpKeyQdiscBypass, 0, 0, 1, "afpacket", Adapter->Core.Number);
    Adapter->TxFramesWanted = MiniportReadUlong(config, &g_AfpKeyTxFrames, AFP_DEFAULT_TX_FRAMES, 8,
                                                65536, "afpacket", Adapter->Core.Number);
    Adapter->RxBlocks = MiniportReadUlong(config, &g_AfpKeyRxBlocks, AFP_DEFAULT_RX_BLOCKS, 2, 1024,
                                          "afpacket", Adapter->Core.Number);
    Adapter->Core.RxBuffers = MiniportReadUlong(config, &g_AfpKeyRxBuffers, AFP_DEFAULT_RX_BUFFERS,
                                                16, 65536, "afpacket", Adapter->Core.Number);
    Adapter->Core.RxLowWater = Adapter->Core.RxBuffers / 8;
    NdisCloseConfiguration(config);
    return ok;
}

static ULONG AfpRoundUpPow2(ULONG Value)
{
    ULONG p = 1;
    while (p < Value) {
        p <<= 1;
    }
    return p;
}

/* A packet socket; the DbgPrint says plainly when CAP_NET_RAW is missing. */
static int AfpSocket(PAFP_ADAPTER Adapter)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = errno;
        if (err == EPERM || err == EACCES) {
            DbgPrint("afpacket%lu: opening an AF_PACKET socket on '%s' needs CAP_NET_RAW "
                     "(run as "
                     "root or grant the capability: setcap cap_net_raw,cap_net_admin+ep "
                     "<program>)\n",
                     Adapter->Core.Number, Adapter->Core.IfName);
        } else {
            DbgPrint("afpacket%lu: socket(AF_PACKET) for '%s' failed (errno %d)\n",
                     Adapter->Core.Number, Adapter->Core.IfName, err);
        }
    }
    return fd;
}

static BOOLEAN AfpSetInt(PAFP_ADAPTER Adapter, int Fd, int Option, int Value, PCSTR Name)
{
    if (setsockopt(Fd, SOL_PACKET, Option, &Value, sizeof Value) != 0) {
        DbgPrint("afpacket%lu (%s): setsockopt(%s) failed (errno %d)\n", Adapter->Core.Number,
                 Adapter->Core.IfName, Name, errno);
        return FALSE;
    }
    return TRUE;
}

static BOOLEAN AfpBind(PAFP_ADAPTER Adapter, int Fd, unsigned short Protocol)
{
    struct sockaddr_ll sll;
    NdisZeroMemory(&sll, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = Protocol;
    sll.sll_ifindex = Adapter->Core.Link.IfIndex;
    if (bind(Fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        DbgPrint("afpacket%lu: binding to '%s' failed (errno %d)\n", Adapter->Core.Number,
                 Adapter->Core.IfName, errno);
        return FALSE;
    }
    return TRUE;
}

static BOOLEAN AfpOpenTx(PAFP_ADAPTER Adapter)
{
    struct tpacket_req req;
    ULONG blockSize, perBlock, blocks;
    void *ring;

    Adapter->TxFd = AfpSocket(Adapter);
    if (Adapter->TxFd < 0) {
        return FALSE;
    }
    Adapter->TxFrameSize = AfpRoundUpPow2((ULONG)AFP_TX_DATA_OFFSET + Adapter->Core.MaxFrameSize);
    if (Adapter->TxFrameSize < 4096) {
        Adapter->TxFrameSize = Adapter->TxFrameSize < 128 ? 128 : Adapter->TxFrameSize;
    }
    blockSize = Adapter->TxFrameSize < (1u << 16) ? (1u << 16) : Adapter->TxFrameSize;
    perBlock = blockSize / Adapter->TxFrameSize;
    Adapter->TxFrameCount = Adapter->TxFramesWanted;
    if ((SIZE_T)Adapter->TxFrameCount * Adapter->TxFrameSize > AFP_MAX_TX_RING) {
        Adapter->TxFrameCount = AFP_MAX_TX_RING / Adapter->TxFrameSize;
    }
    blocks = (Adapter->TxFrameCount + perBlock - 1) / perBlock;
    Adapter->TxFrameCount = blocks * perBlock;
    if (!AfpSetInt(Adapter, Adapter->TxFd, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION") ||
        /* A frame the kernel refuses is skipped, not left to block the ring. */
        !AfpSetInt(Adapter, Adapter->TxFd, PACKET_LOSS, 1, "PACKET_LOSS") ||
        (Adapter->QdiscBypass != 0 &&
         !AfpSetInt(Adapter, Adapter->TxFd, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS"))) {
        return FALSE;
    }
    NdisZeroMemory(&req, sizeof req);
    req.tp_block_size = blockSize;
    req.tp_block_nr = blocks;
    req.tp_frame_size = Adapter->TxFrameSize;
    req.tp_frame_nr = Adapter->TxFrameCount;
    if (setsockopt(Adapter->TxFd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) != 0) {
        DbgPrint("afpacket%lu (%s): PACKET_TX_RING (%u x %u bytes) refused (errno %d)\n",
                 Adapter->Core.Number, Adapter->Core.IfName, req.tp_frame_nr, req.tp_frame_size,
                 errno);
        return FALSE;
    }
    Adapter->TxRingSize = (SIZE_T)blockSize * blocks;
    ring = mmap(NULL, Adapter->TxRingSize, PROT_READ | PROT_WRITE, MAP_SHARED, Adapter->TxFd, 0);
    if (ring == MAP_FAILED) {
        DbgPrint("afpacket%lu (%s): mmap of the transmit ring failed (errno %d)\n",
                 Adapter->Core.Number, Adapter->Core.IfName, errno);
        return FALSE;
    }
    Adapter->TxRing = (PUCHAR)ring;
    /* Protocol 0: this socket sends only (nothing is queued to it). */
    return AfpBind(Adapter, Adapter->TxFd, 0);
}

static BOOLEAN AfpOpenRx(PAFP_ADAPTER Adapter)
{
    struct tpacket_req3 req;
    void *ring;
    int one = 1;

    /* Created with protocol 0 and bound to ETH_P_ALL only once the ring is there,
   * so that no frame of another interface is ever queued to it. */
    Adapter->RxFd = AfpSocket(Adapter);
    if (Adapter->RxFd < 0) {
        return FALSE;
    }
    if (!AfpSetInt(Adapter, Adapter->RxFd, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION")) {
        return FALSE;
    }
    /* Our own transmissions are skipped below as well; this saves the copies
   * (Linux >= 4.20). */
    (void)setsockopt(Adapter->RxFd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    NdisZeroMemory(&req, sizeof req);
    req.tp_block_size = AFP_RX_BLOCK_SIZE;
    req.tp_block_nr = Adapter->RxBlocks;
    req.tp_frame_size = AFP_RX_FRAME_SIZE;
    req.tp_frame_nr = (AFP_RX_BLOCK_SIZE / AFP_RX_FRAME_SIZE) * Adapter->RxBlocks;
    req.tp_retire_blk_tov = 2; /* ms: a partly filled block is handed over this soon */
    req.tp_feature_req_word = 0;
    if (setsockopt(Adapter->RxFd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
        DbgPrint("afpacket%lu (%s): PACKET_RX_RING (%u x %u bytes) refused (errno %d)\n",
                 Adapter->Core.Number, Adapter->Core.IfName, req.tp_block_nr, req.tp_block_size,
                 errno);
        return FALSE;
    }
    Adapter->RxRingSize = (SIZE_T)AFP_RX_BLOCK_SIZE * Adapter->RxBlocks;
    ring = mmap(NULL, Adapter->RxRingSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
                Adapter->RxFd, 0);
    if (ring == MAP_FAILED) {
        ring =
            mmap(NULL, Adapter->RxRingSize, PROT_READ | PROT_WRITE, MAP_SHARED, Adapter->RxFd, 0);
    }
    if (ring == MAP_FAILED) {
        DbgPrint("afpacket%lu (%s): mmap of the receive ring failed (errno %d)\n",
                 Adapter->Core.Number, Adapter->Core.IfName, errno);
        return FALSE;
    }
    Adapter->RxRing = (PUCHAR)ring;
    return AfpBind(Adapter, Adapter->RxFd, htons(ETH_P_ALL));
}

/* Closes and unmaps the rings and their sockets, whatever is open (initialize failure and
 * halt). */
static VOID AfpCloseLinux(PAFP_ADAPTER Adapter)
{
    if (Adapter->TxRing != NULL) {
        munmap(Adapter->TxRing, Adapter->TxRingSize);
        Adapter->TxRing = NULL;
    }
    if (Adapter->RxRing != NULL) {
        munmap(Adapter->RxRing, Adapter->RxRingSize);
        Adapter->RxRing = NULL;
    }
    if (Adapter->TxFd >= 0) {
        close(Adapter->TxFd);
        Adapter->TxFd = -1;
    }
    if (Adapter->RxFd >= 0) {
        close(Adapter->RxFd);
        Adapter->RxFd = -1;
    }
}

static NDIS_STATUS AfpInitializeEx(NDIS_HANDLE NdisMiniportHandle,
                                   NDIS_HANDLE MiniportDriverContext,
                                   PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    PAFP_ADAPTER adapter;
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    int err;

    UNREFERENCED_PARAMETER(MiniportDriverContext);
    UNREFERENCED_PARAMETER(MiniportInitParameters);
    adapter = (PAFP_ADAPTER)NdisAllocateMemoryWithTagPriority(NdisMiniportHandle, sizeof *adapter,
                                                              AFP_TAG, NormalPoolPriority);
    if (adapter == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(adapter, sizeof *adapter);
    LinuxMiniportInitialize(&adapter->Core, NdisMiniportHandle, "afpacket",
                            (ULONG)InterlockedIncrement(&g_AfpAdapterNumber));
    adapter->TxFd = adapter->RxFd = -1;
    NdisAllocateSpinLock(&adapter->TxLock);

    if (!AfpReadConfiguration(adapter)) {
        goto fail;
    }
    err = LinuxGetLinkByName(adapter->Core.IfName, &adapter->Core.Link);
    if (err != 0) {
        if (err == -ENODEV) {
            DbgPrint("afpacket%lu: no interface '%s' (ip link show %s)\n", adapter->Core.Number,
                     adapter->Core.IfName, adapter->Core.IfName);
            status = NDIS_STATUS_ADAPTER_NOT_FOUND;
        } else {
            DbgPrint("afpacket%lu: RTM_GETLINK for '%s' failed (errno %d)\n", adapter->Core.Number,
                     adapter->Core.IfName, -err);
        }
        goto fail;
    }
    if (!adapter->Core.Link.HasMac) {
        DbgPrint("afpacket%lu: '%s' has no Ethernet (6-byte) address; afpacket "
                 "needs an Ethernet "
                 "interface\n",
                 adapter->Core.Number, adapter->Core.IfName);
        goto fail;
    }
    NdisMoveMemory(adapter->Core.Mac, adapter->Core.Link.Mac, ETH_LENGTH_OF_ADDRESS);
    LinuxMiniportUseLink(&adapter->Core);

    if (!AfpOpenTx(adapter) || !AfpOpenRx(adapter)) {
        goto fail;
    }
    if (!LinuxMiniportOpenMonitor(&adapter->Core)) {
        goto fail;
    }
    status = EthernetRxPoolCreate(&adapter->Core.RxPool, NdisMiniportHandle,
                                  adapter->Core.RxBuffers, adapter->Core.MaxFrameSize, 'xRfA');
    if (status != NDIS_STATUS_SUCCESS) {
        goto fail;
    }
    status = LinuxMiniportSetAttributes(&adapter->Core, adapter);
    if (status != NDIS_STATUS_SUCCESS) {
        goto fail;
    }
    DbgPrint("afpacket%lu: on '%s' (ifindex %d), MTU %lu, MAC "
             "%02x:%02x:%02x:%02x:%02x:%02x, "
             "link %s, %lu TX slots of %lu bytes%s, %lu RX blocks, %lu receive "
             "buffers\n",
             adapter->Core.Number, adapter->Core.IfName, adapter->Core.Link.IfIndex,
             adapter->Core.Mtu, adapter->Core.Mac[0], adapter->Core.Mac[1], adapter->Core.Mac[2],
             adapter->Core.Mac[3], adapter->Core.Mac[4], adapter->Core.Mac[5],
             adapter->Core.ConnectState == MediaConnectStateConnected ? "up" : "down",
             adapter->TxFrameCount, adapter->TxFrameSize,
             adapter->QdiscBypass ? " (qdisc bypass)" : "", adapter->RxBlocks,
             adapter->Core.RxBuffers);
    return NDIS_STATUS_SUCCESS;

fail:
    AfpCloseLinux(adapter);
    LinuxMiniportCleanup(&adapter->Core);
    NdisFreeSpinLock(&adapter->TxLock);
    NdisFreeMemoryWithTagPriority(NdisMiniportHandle, adapter, AFP_TAG);
    return status == NDIS_STATUS_SUCCESS ? NDIS_STATUS_FAILURE : status;
}

static VOID AfpHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    PAFP_ADAPTER adapter = (PAFP_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(HaltAction);
    LinuxMiniportStopThread(&adapter->Core); /* ST-12: halted from Paused, so it is gone already */
    DbgPrint(
        "afpacket%lu (%s): halt: sent %I64d frames (%I64d bytes) in %I64d "
        "NBLs, %I64d NBLs "
        "INVALID_LENGTH, %I64d NBLs RESOURCES, %I64d NBLs PAUSED; received "
        "%I64d frames "
        "(%I64d bytes), %I64d no buffer, %I64d errors, %I64d filtered, "
        "%I64d discarded "
        "while paused; %I64d link changes\n",
        adapter->Core.Number, adapter->Core.IfName, LinuxMiniportRead64(&adapter->Core.TxFrames),
        LinuxMiniportRead64(&adapter->Core.TxBytes), LinuxMiniportRead64(&adapter->Core.TxNbls),
        LinuxMiniportRead64(&adapter->Core.TxInvalidLength),
        LinuxMiniportRead64(&adapter->Core.TxResources),
        LinuxMiniportRead64(&adapter->Core.TxPaused), LinuxMiniportRead64(&adapter->Core.RxFrames),
        LinuxMiniportRead64(&adapter->Core.RxBytes), LinuxMiniportRead64(&adapter->Core.RxNoBuffer),
        LinuxMiniportRead64(&adapter->Core.RxErrors),
        LinuxMiniportRead64(&adapter->Core.RxFiltered),
        LinuxMiniportRead64(&adapter->Core.RxDiscarded),
        LinuxMiniportRead64(&adapter->Core.LinkChanges));
    AfpCloseLinux(adapter); /* closing the sockets drops their memberships */
    LinuxMiniportCleanup(&adapter->Core);
    NdisFreeSpinLock(&adapter->TxLock);
    NdisFreeMemoryWithTagPriority(adapter->Core.MiniportAdapterHandle, adapter, AFP_TAG);
}

/* ---- Driver entry / unload
 * ------------------------------------------------------------------ */

static VOID AfpUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    MiniportDeregisterDriver(&g_AfpDriverHandle);
}

NTSTATUS AfpacketMiniportDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;

    MiniportInitializeCharacteristics(&mc);
    mc.InitializeHandlerEx = AfpInitializeEx;
    mc.HaltHandlerEx = AfpHaltEx;
    mc.UnloadHandler = AfpUnload;
    mc.PauseHandler = AfpPause;
    mc.RestartHandler = AfpRestart;
    mc.OidRequestHandler = AfpOidRequest;
    mc.SendNetBufferListsHandler = AfpSendNetBufferLists;
    mc.ReturnNetBufferListsHandler = AfpReturnNetBufferLists;
    mc.CancelSendHandler = MiniportNoSendToCancel; /* sends complete inside the call */
    mc.DevicePnPEventNotifyHandler = MiniportIgnoreDevicePnPEvent;
    mc.ShutdownHandlerEx = MiniportNothingToShutDown;
    mc.CancelOidRequestHandler = MiniportNoOidToCancel; /* every OID is answered synchronously */
    return MiniportRegisterDriver(DriverObject, RegistryPath, &mc, &g_AfpDriverHandle, "afpacket");
}
