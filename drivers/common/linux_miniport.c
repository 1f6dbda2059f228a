/*
 * linux_miniport.c — see linux_miniport.h.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/linux_miniport.h"
#include "common/miniport_common.h"

LONG64 LinuxMiniportRead64(volatile LONG64 *Counter)
{
    return InterlockedCompareExchange64(Counter, 0, 0);
}

/* ---- Initialize / halt
 * ---------------------------------------------------------------------- */

VOID LinuxMiniportInitialize(PLINUX_MINIPORT Core, NDIS_HANDLE MiniportAdapterHandle, PCSTR Driver,
                             ULONG Number)
{
    Core->MiniportAdapterHandle = MiniportAdapterHandle;
    Core->Driver = Driver;
    Core->Number = Number;
    Core->State = LINUX_MINIPORT_PAUSED;
    Core->LinkFd = Core->WakeFd = -1;
    NdisAllocateSpinLock(&Core->OidLock);
}

VOID LinuxMiniportUseLink(PLINUX_MINIPORT Core)
{
    Core->Mtu = Core->Link.Mtu != 0 ? Core->Link.Mtu : 1500;
    if (Core->Mtu > 65535 - ETHERNET_HEADER_SIZE) {
        Core->Mtu = 65535 - ETHERNET_HEADER_SIZE;
    }
    Core->MaxFrameSize = Core->Mtu + ETHERNET_HEADER_SIZE;
    Core->ConnectState = LinuxLinkIsConnected(Core->Link.Flags) ? MediaConnectStateConnected
                                                                : MediaConnectStateDisconnected;
    EthernetOidInitialize(&Core->OidState, &Core->OidLock, Core->Mtu);
}

BOOLEAN LinuxMiniportOpenMonitor(PLINUX_MINIPORT Core)
{
    Core->LinkFd = LinuxOpenLinkMonitor();
    if (Core->LinkFd < 0) {
        DbgPrint("%s%lu (%s): cannot open the rtnetlink link monitor (errno %d)\n", Core->Driver,
                 Core->Number, Core->IfName, -Core->LinkFd);
        return FALSE;
    }
    Core->WakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (Core->WakeFd < 0) {
        DbgPrint("%s%lu: eventfd failed (errno %d)\n", Core->Driver, Core->Number, errno);
        return FALSE;
    }
    return TRUE;
}

NDIS_STATUS LinuxMiniportSetAttributes(PLINUX_MINIPORT Core, NDIS_HANDLE MiniportAdapterContext)
{
    ETHERNET_ADAPTER_ATTRIBUTES attributes;

    NdisZeroMemory(&attributes, sizeof attributes);
    attributes.Mtu = Core->Mtu;
    attributes.LinkSpeed = LINUX_MINIPORT_LINK_SPEED;
    attributes.ConnectState = (NDIS_MEDIA_CONNECT_STATE)Core->ConnectState;
    attributes.PermanentAddress = Core->Mac;
    attributes.CurrentAddress = Core->Mac;
    attributes.IfConnectorPresent = TRUE;
    attributes.SupportedStatistics = ETHERNET_ALL_STATISTICS;
    return EthernetSetAdapterAttributes(Core->MiniportAdapterHandle, MiniportAdapterContext,
                                        &attributes);
}

VOID LinuxMiniportCleanup(PLINUX_MINIPORT Core)
{
    if (Core->LinkFd >= 0) {
        close(Core->LinkFd);
        Core->LinkFd = -1;
    }
    if (Core->WakeFd >= 0) {
        close(Core->WakeFd);
        Core->WakeFd = -1;
    }
    if (Core->RxPool.Pool != NULL) {
        EthernetRxPoolDestroy(&Core->RxPool);
    }
    NdisFreeSpinLock(&Core->OidLock);
}

/* ---- Pause / restart, the receive thread
 * ---------------------------------------------------- */

VOID LinuxMiniportRelease(PLINUX_MINIPORT Core, LONG Count)
{
    if (InterlockedAdd(&Core->Busy, -Count) == 0 &&
        ReadAcquire(&Core->State) == LINUX_MINIPORT_PAUSING &&
        InterlockedExchange(&Core->PausePending, 0) == 1) {
        InterlockedExchange(&Core->State, LINUX_MINIPORT_PAUSED);
        NdisMPauseComplete(Core->MiniportAdapterHandle);
    }
}

NDIS_STATUS LinuxMiniportPause(PLINUX_MINIPORT Core)
{
    InterlockedIncrement(&Core->Busy); /* this call's own reference */
    InterlockedExchange(&Core->PausePending, 1);
    InterlockedExchange(&Core->State, LINUX_MINIPORT_PAUSING);
    /* No new indication after this: the thread is gone (its last one may still be up). */
    LinuxMiniportStopThread(Core);
    if (InterlockedDecrement(&Core->Busy) == 0 &&
        InterlockedExchange(&Core->PausePending, 0) == 1) {
        InterlockedExchange(&Core->State, LINUX_MINIPORT_PAUSED);
        return NDIS_STATUS_SUCCESS;
    }
    /* ST-05: receive NBLs are still up (or a send call runs); the last one completes it. */
    return NDIS_STATUS_PENDING;
}

NDIS_STATUS LinuxMiniportRestart(PLINUX_MINIPORT Core, void *(*Routine)(void *), PVOID Context)
{
    LINUX_LINK link;
    uint64_t drained;
    int err;

    while (read(Core->WakeFd, &drained, sizeof drained) > 0) {
    }
    /* Link events queued while paused are stale; ask for the state now. */
    LinuxReadLinkEvents(Core->LinkFd, Core->Link.IfIndex, &Core->Link);
    if (LinuxGetLinkByIndex(Core->Link.IfIndex, &link) == 0) {
        Core->Link = link;
        LinuxMiniportUpdateLink(Core, &link);
    }
    InterlockedExchange(&Core->StopThread, 0);
    InterlockedExchange(&Core->State, LINUX_MINIPORT_RUNNING);
    err = pthread_create(&Core->Thread, NULL, Routine, Context);
    if (err != 0) {
        InterlockedExchange(&Core->State, LINUX_MINIPORT_PAUSED);
        DbgPrint("%s%lu (%s): cannot start the receive thread (error %d)\n", Core->Driver,
                 Core->Number, Core->IfName, err);
        return NDIS_STATUS_RESOURCES;
    }
    Core->ThreadRunning = TRUE;
    return NDIS_STATUS_SUCCESS;
}

VOID LinuxMiniportStopThread(PLINUX_MINIPORT Core)
{
    const uint64_t one = 1;
    if (!Core->ThreadRunning) {
        return;
    }
    InterlockedExchange(&Core->StopThread, 1);
    if (write(Core->WakeFd, &one, sizeof one) < 0) {
        /* The thread still sees StopThread within LINUX_MINIPORT_POLL_MS. */
    }
    pthread_join(Core->Thread, NULL);
    Core->ThreadRunning = FALSE;
}

VOID LinuxMiniportPollFds(PLINUX_MINIPORT Core, int DataFd, struct pollfd Fds[3])
{
    Fds[0].fd = DataFd;
    Fds[0].events = POLLIN;
    Fds[1].fd = Core->LinkFd;
    Fds[1].events = POLLIN;
    Fds[2].fd = Core->WakeFd;
    Fds[2].events = POLLIN;
}

int LinuxMiniportPoll(PLINUX_MINIPORT Core, struct pollfd Fds[3])
{
    int ready = poll(Fds, 3, LINUX_MINIPORT_POLL_MS);
    if (ready < 0) {
        if (errno == EINTR) {
            return 0;
        }
        DbgPrint("%s%lu (%s): poll failed (errno %d); receive stops\n", Core->Driver, Core->Number,
                 Core->IfName, errno);
        return -1;
    }
    return ready;
}

/* ---- Link state
 * ----------------------------------------------------------------------------- */

VOID LinuxMiniportUpdateLink(PLINUX_MINIPORT Core, const LINUX_LINK *Link)
{
    const NDIS_MEDIA_CONNECT_STATE state = LinuxLinkIsConnected(Link->Flags)
                                               ? MediaConnectStateConnected
                                               : MediaConnectStateDisconnected;
    if (InterlockedExchange(&Core->ConnectState, (LONG)state) != (LONG)state) {
        InterlockedIncrement64(&Core->LinkChanges);
        DbgPrint("%s%lu (%s): link %s\n", Core->Driver, Core->Number, Core->IfName,
                 state == MediaConnectStateConnected ? "up" : "down");
        EthernetIndicateLinkState(Core->MiniportAdapterHandle, state, LINUX_MINIPORT_LINK_SPEED);
    }
}

int LinuxMiniportLinkEvents(PLINUX_MINIPORT Core)
{
    LINUX_LINK link = Core->Link;
    int r = LinuxReadLinkEvents(Core->LinkFd, Core->Link.IfIndex, &link);
    if (r > 0) {
        Core->Link = link;
        LinuxMiniportUpdateLink(Core, &link);
    }
    return r;
}

/* ---- Send and receive
 * ----------------------------------------------------------------------- */

BOOLEAN LinuxMiniportSendBegin(PLINUX_MINIPORT Core, PNET_BUFFER_LIST NetBufferLists,
                               ULONG CompleteFlags)
{
    PNET_BUFFER_LIST nbl;
    LONG64 paused = 0;

    InterlockedIncrement(&Core->Busy);
    if (ReadAcquire(&Core->State) == LINUX_MINIPORT_RUNNING) {
        return TRUE;
    }
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_PAUSED; /* ST-04 */
        ++paused;
    }
    NdisMSendNetBufferListsComplete(Core->MiniportAdapterHandle, NetBufferLists, CompleteFlags);
    InterlockedAdd64(&Core->TxPaused, paused);
    LinuxMiniportRelease(Core, 1);
    return FALSE;
}

VOID LinuxMiniportSendEnd(PLINUX_MINIPORT Core, PNET_BUFFER_LIST NetBufferLists,
                          ULONG CompleteFlags, const LINUX_MINIPORT_TX_COUNTS *Counts)
{
    InterlockedAdd64(&Core->TxNbls, Counts->Nbls);
    InterlockedAdd64(&Core->TxFrames, Counts->Frames);
    InterlockedAdd64(&Core->TxBytes, Counts->Bytes);
    if (Counts->InvalidLength != 0) {
        InterlockedAdd64(&Core->TxInvalidLength, Counts->InvalidLength);
    }
    if (Counts->Resources != 0) {
        InterlockedAdd64(&Core->TxResources, Counts->Resources);
    }
    if (Counts->Failures != 0) {
        InterlockedAdd64(&Core->TxFailures, Counts->Failures);
    }
    NdisMSendNetBufferListsComplete(Core->MiniportAdapterHandle, NetBufferLists, CompleteFlags);
    LinuxMiniportRelease(Core, 1);
}

VOID LinuxMiniportIndicateReceive(PLINUX_MINIPORT Core, PNBL_QUEUE Chain, ULONG Count,
                                  const LINUX_MINIPORT_RX_COUNTS *Counts)
{
    PNET_BUFFER_LIST nbls;

    if (Counts->NoBuffer != 0) {
        InterlockedAdd64(&Core->RxNoBuffer, Counts->NoBuffer);
    }
    if (Counts->Errors != 0) {
        InterlockedAdd64(&Core->RxErrors, Counts->Errors);
    }
    if (Counts->Filtered != 0) {
        InterlockedAdd64(&Core->RxFiltered, Counts->Filtered);
    }
    if (Count == 0) {
        return;
    }
    InterlockedAdd64(&Core->RxFrames, Count);
    InterlockedAdd64(&Core->RxBytes, Counts->Bytes);
    nbls = NdisPopAllFromNblQueue(Chain);
    if (ReadAcquire(&Core->RxPool.Available) < (LONG)Core->RxLowWater) {
        /* MS-19: the protocols copy what they keep; the NBLs are ours again when the call
         * returns. */
        NdisMIndicateReceiveNetBufferLists(Core->MiniportAdapterHandle, nbls,
                                           NDIS_DEFAULT_PORT_NUMBER, Count,
                                           NDIS_RECEIVE_FLAGS_RESOURCES);
        EthernetRxPoolPut(&Core->RxPool, nbls);
        return;
    }
    /* Every NBL up in the stack keeps the adapter from pausing until it comes back (ST-05). */
    InterlockedAdd(&Core->Busy, (LONG)Count);
    NdisMIndicateReceiveNetBufferLists(Core->MiniportAdapterHandle, nbls, NDIS_DEFAULT_PORT_NUMBER,
                                       Count, 0);
}

VOID LinuxMiniportReturnNetBufferLists(PLINUX_MINIPORT Core, PNET_BUFFER_LIST NetBufferLists)
{
    ULONG count = EthernetRxPoolPut(&Core->RxPool, NetBufferLists);
    LinuxMiniportRelease(Core, (LONG)count);
}

/* ---- OIDs
 * ----------------------------------------------------------------------------------- */

VOID LinuxMiniportOidInfo(PLINUX_MINIPORT Core, PCSTR VendorDescription, PETHERNET_OID_INFO Info)
{
    Info->VendorDescription = VendorDescription;
    Info->Mtu = Core->Mtu;
    Info->LinkSpeed = LINUX_MINIPORT_LINK_SPEED;
    Info->ConnectState = (NDIS_MEDIA_CONNECT_STATE)ReadAcquire(&Core->ConnectState);
    Info->MacOptions = ETHERNET_MAC_OPTIONS;
    Info->PermanentAddress = Core->Mac;
    Info->CurrentAddress = Core->Mac;
    Info->XmitOk = (ULONG64)LinuxMiniportRead64(&Core->TxFrames);
    Info->BytesXmit = (ULONG64)LinuxMiniportRead64(&Core->TxBytes);
    Info->XmitError = (ULONG64)LinuxMiniportRead64(&Core->TxFailures);
    Info->XmitDiscards = (ULONG64)(LinuxMiniportRead64(&Core->TxInvalidLength) +
                                   LinuxMiniportRead64(&Core->TxResources));
    Info->RcvOk = (ULONG64)LinuxMiniportRead64(&Core->RxFrames);
    Info->BytesRcv = (ULONG64)LinuxMiniportRead64(&Core->RxBytes);
    Info->RcvError = (ULONG64)LinuxMiniportRead64(&Core->RxErrors);
    Info->RcvNoBuffer = (ULONG64)LinuxMiniportRead64(&Core->RxNoBuffer);
    Info->RcvDiscards = (ULONG64)LinuxMiniportRead64(&Core->RxDiscarded);
}

ULONG LinuxMiniportLatchPacketFilter(PLINUX_MINIPORT Core)
{
    ULONG filter;
    NdisAcquireSpinLock(&Core->OidLock);
    filter = Core->OidState.PacketFilter;
    NdisReleaseSpinLock(&Core->OidLock);
    InterlockedExchange(&Core->PacketFilter, (LONG)filter);
    return filter;
}
