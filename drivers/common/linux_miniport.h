/*
 * linux_miniport.h — the core the afpacket and tap miniports share: an 802.3 adapter in front of
 * one Linux interface, with a receive thread, a link monitor and Busy/pause bookkeeping. What
 * moves frames (AF_PACKET rings, a TAP fd with a virtio_net_hdr) stays in each driver; this is
 * the rest, which the two did the same way.
 *
 * Abstract
 *   A driver embeds one LINUX_MINIPORT (its "core") in its adapter and uses it for:
 *   - state and Busy (ST-04, ST-05): Busy counts what keeps the adapter from being Paused (send
 *     calls in progress, receive NBLs up in the stack, MiniportPause itself).
 *     LinuxMiniportPause sets Pausing, joins the receive thread and returns NDIS_STATUS_SUCCESS
 *     when Busy drops to zero, NDIS_STATUS_PENDING otherwise; LinuxMiniportRelease dropping the
 *     last reference then calls NdisMPauseComplete. LinuxMiniportSendBegin takes a send call's
 *     reference and, unless Running, completes the whole chain with NDIS_STATUS_PAUSED;
 *     LinuxMiniportSendEnd adds the call's counts, completes the chain and drops the reference.
 *   - receive: LinuxMiniportIndicateReceive adds a batch's counts and indicates its NBLs in one
 *     call, with NDIS_RECEIVE_FLAGS_RESOURCES (and straight back to the pool, MS-19) when fewer
 *     than RxLowWater receive NBLs are left, otherwise taking one Busy reference per NBL;
 *     LinuxMiniportReturnNetBufferLists puts returned NBLs back and drops those references.
 *   - the receive thread: LinuxMiniportRestart drains the wake-up eventfd, asks RTM_GETLINK for
 *     the link state (a change while paused is indicated now) and starts the driver's thread
 *     routine; LinuxMiniportStopThread sets StopThread, writes the eventfd and joins it.
 *     LinuxMiniportPoll is the thread's poll over (the driver's fd, the rtnetlink monitor, the
 *     eventfd), at most LINUX_MINIPORT_POLL_MS.
 *   - link state: LinuxMiniportLinkEvents reads the monitor socket; LinuxMiniportUpdateLink
 *     indicates NDIS_STATUS_LINK_STATE (EthernetIndicateLinkState) when the connected state
 *     (IFF_UP and IFF_RUNNING) differs from the last one reported, with a DbgPrint
 *     "<driver><n> (<ifname>): link up|down".
 *   - initialize/halt: LinuxMiniportInitialize (before anything can fail), LinuxMiniportUseLink
 *     (MTU, maximum frame size, connect state and OID state from the interface),
 *     LinuxMiniportOpenMonitor (rtnetlink monitor and eventfd), LinuxMiniportSetAttributes,
 *     and LinuxMiniportCleanup, which undoes whatever of it was done (initialize failure, halt).
 *   - OIDs: LinuxMiniportOidInfo fills the ETHERNET_OID_INFO from the core;
 *     LinuxMiniportLatchPacketFilter copies the packet filter protocols set to where the
 *     receive thread reads it without a lock.
 *   DbgPrint texts name the adapter as Driver followed by Number ("tap2"), as the drivers did.
 */
#ifndef OPENNDIS_DRIVERS_LINUX_MINIPORT_H
#define OPENNDIS_DRIVERS_LINUX_MINIPORT_H

#include <poll.h>
#include <pthread.h>

#include <ndis.h>

#include "common/ethernet_frame.h"
#include "common/ethernet_oid.h"
#include "common/linux_net.h"

#define LINUX_MINIPORT_LINK_SPEED 10000000000ull /* reported while connected */
#define LINUX_MINIPORT_POLL_MS 100               /* the receive thread's longest wait */

#define LINUX_MINIPORT_PAUSED 0
#define LINUX_MINIPORT_RUNNING 1
#define LINUX_MINIPORT_PAUSING 2

typedef struct _LINUX_MINIPORT {
    NDIS_HANDLE MiniportAdapterHandle;
    PCSTR Driver; /* "afpacket", "tap": DbgPrint names the adapter Driver + Number */
    ULONG Number;
    CHAR IfName[LINUX_IFNAME_SIZE];
    LINUX_LINK Link;
    ULONG Mtu;
    ULONG MaxFrameSize;               /* Mtu + 14 */
    UCHAR Mac[ETH_LENGTH_OF_ADDRESS]; /* the adapter's current = permanent address */
    ULONG RxBuffers, RxLowWater;
    ETHERNET_RX_POOL RxPool;

    /* The receive thread and what it polls besides the driver's fd. */
    int LinkFd;
    int WakeFd;
    pthread_t Thread;
    BOOLEAN ThreadRunning;
    volatile LONG StopThread;
    volatile LONG ConnectState; /* NDIS_MEDIA_CONNECT_STATE last reported */

    volatile LONG State; /* LINUX_MINIPORT_PAUSED, _RUNNING, _PAUSING */
    volatile LONG Busy;
    volatile LONG PausePending;

    NDIS_SPIN_LOCK OidLock;
    ETHERNET_OID_STATE OidState;
    volatile LONG PacketFilter; /* a copy of OidState.PacketFilter for the receive thread */

    volatile LONG64 TxFrames, TxBytes, TxNbls, TxInvalidLength, TxResources, TxFailures, TxPaused;
    volatile LONG64 RxFrames, RxBytes, RxNoBuffer, RxErrors, RxFiltered, RxDiscarded;
    volatile LONG64 LinkChanges;
} LINUX_MINIPORT, *PLINUX_MINIPORT;

/* What one send call or one receive batch counted (added to the core's counters at once). */
typedef struct _LINUX_MINIPORT_TX_COUNTS {
    LONG64 Nbls, Frames, Bytes, InvalidLength, Resources, Failures;
} LINUX_MINIPORT_TX_COUNTS;

typedef struct _LINUX_MINIPORT_RX_COUNTS {
    LONG64 Bytes, NoBuffer, Errors, Filtered;
} LINUX_MINIPORT_RX_COUNTS;

/* An atomic read of a counter. */
LONG64 LinuxMiniportRead64(_In_ volatile LONG64 *Counter);

/* ---- Initialize / halt */

/* On a zeroed core: Paused, no fds, the OID lock allocated. */
VOID LinuxMiniportInitialize(_Inout_ PLINUX_MINIPORT Core, _In_ NDIS_HANDLE MiniportAdapterHandle,
                             _In_ PCSTR Driver, _In_ ULONG Number);
/* From Core->Link: Mtu (1500 when the interface says 0, at most 65521), MaxFrameSize,
 * ConnectState, and the OID state. */
VOID LinuxMiniportUseLink(_Inout_ PLINUX_MINIPORT Core);
/* Opens the rtnetlink link monitor and the wake-up eventfd; FALSE with a DbgPrint. */
BOOLEAN LinuxMiniportOpenMonitor(_Inout_ PLINUX_MINIPORT Core);
/* Registration and general attributes (Core->Mtu, Mac, ConnectState, 10 Gb/s, all statistics). */
NDIS_STATUS LinuxMiniportSetAttributes(_In_ PLINUX_MINIPORT Core,
                                       _In_ NDIS_HANDLE MiniportAdapterContext);
/* Closes the monitor and eventfd, destroys the receive pool if it was made, frees the OID lock.
 * The thread must be stopped. */
VOID LinuxMiniportCleanup(_Inout_ PLINUX_MINIPORT Core);

/* ---- Pause / restart, the receive thread */

/* Drops Count Busy references; the one that reaches zero while a pause waits completes it. */
VOID LinuxMiniportRelease(_Inout_ PLINUX_MINIPORT Core, _In_ LONG Count);
/* MiniportPause: NDIS_STATUS_SUCCESS, or NDIS_STATUS_PENDING until the last reference goes. */
NDIS_STATUS LinuxMiniportPause(_Inout_ PLINUX_MINIPORT Core);
/* MiniportRestart after the driver dropped what arrived while paused: drains the eventfd,
 * refreshes the link state, sets Running and starts Routine(Context) as the receive thread. */
NDIS_STATUS LinuxMiniportRestart(_Inout_ PLINUX_MINIPORT Core, _In_ void *(*Routine)(void *),
                                 _In_ PVOID Context);
/* Stops and joins the receive thread, if it runs. */
VOID LinuxMiniportStopThread(_Inout_ PLINUX_MINIPORT Core);
/* Fills Fds: [0] DataFd, [1] the link monitor, [2] the eventfd, all for POLLIN. */
VOID LinuxMiniportPollFds(_In_ PLINUX_MINIPORT Core, _In_ int DataFd, _Out_ struct pollfd Fds[3]);
/* poll(Fds, 3, LINUX_MINIPORT_POLL_MS): the number of ready fds (0 also when interrupted), or
 * -1 when poll failed (said with a DbgPrint: the thread should end). */
int LinuxMiniportPoll(_In_ PLINUX_MINIPORT Core, _Inout_ struct pollfd Fds[3]);

/* ---- Link state */

/* Indicates NDIS_STATUS_LINK_STATE when Link's connected state is not the one last reported. */
VOID LinuxMiniportUpdateLink(_Inout_ PLINUX_MINIPORT Core, _In_ const LINUX_LINK *Link);
/* Reads the monitor socket; when it says something about the interface, updates Core->Link and
 * the link state. Returns what LinuxReadLinkEvents returned (-ENODEV: the interface is gone). */
int LinuxMiniportLinkEvents(_Inout_ PLINUX_MINIPORT Core);

/* ---- Send and receive */

/* Takes the send call's Busy reference and returns TRUE when Running; otherwise completes every
 * NBL with NDIS_STATUS_PAUSED (ST-04), drops the reference and returns FALSE. */
BOOLEAN LinuxMiniportSendBegin(_Inout_ PLINUX_MINIPORT Core, _In_ PNET_BUFFER_LIST NetBufferLists,
                               _In_ ULONG CompleteFlags);
/* Adds Counts, completes the NBLs (their status set) and drops the send call's reference. */
VOID LinuxMiniportSendEnd(_Inout_ PLINUX_MINIPORT Core, _In_ PNET_BUFFER_LIST NetBufferLists,
                          _In_ ULONG CompleteFlags, _In_ const LINUX_MINIPORT_TX_COUNTS *Counts);
/* Adds Counts and indicates the Count NBLs of Chain (none: nothing is indicated). */
VOID LinuxMiniportIndicateReceive(_Inout_ PLINUX_MINIPORT Core, _Inout_ PNBL_QUEUE Chain,
                                  _In_ ULONG Count, _In_ const LINUX_MINIPORT_RX_COUNTS *Counts);
/* MiniportReturnNetBufferLists: the NBLs go back to the pool, their references go. */
VOID LinuxMiniportReturnNetBufferLists(_Inout_ PLINUX_MINIPORT Core,
                                       _In_ PNET_BUFFER_LIST NetBufferLists);

/* ---- OIDs */

/* Fills Info (zeroed by the caller) from the core: description, MTU, link, addresses, counters. */
VOID LinuxMiniportOidInfo(_In_ PLINUX_MINIPORT Core, _In_ PCSTR VendorDescription,
                          _Inout_ PETHERNET_OID_INFO Info);
/* After a set of OID_GEN_CURRENT_PACKET_FILTER: copies the filter for the receive thread and
 * returns it. */
ULONG LinuxMiniportLatchPacketFilter(_Inout_ PLINUX_MINIPORT Core);

#endif /* OPENNDIS_DRIVERS_LINUX_MINIPORT_H */
