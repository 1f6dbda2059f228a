/*
 * responder.h — what the `responder` protocol reports to its host (not part of the WDK surface).
 *
 * Abstract
 *   responder (drivers/protocol/responder/responder.c) answers ARP requests and ICMP echo
 *   requests for an IPv4 address, and IPv6 neighbour solicitations and ICMPv6 echo requests for
 *   an IPv6 address, on every 802.3 adapter it binds to, so that Linux can ping through the
 *   stack. It counts what it answered, what it ignored and what was malformed, and prints a
 *   summary with DbgPrint when it unbinds. The same numbers are available to the process that
 *   hosts it through ResponderGetStats, by adapter instance name: while the binding is open (live
 *   values) and after it was closed (the values at unbind), until responder is unloaded. A new
 *   binding to the same adapter name starts from zero.
 *
 *   Every frame (NET_BUFFER) indicated to the binding is counted once in FramesReceived and in
 *   exactly one of: a reply counter (ArpReplies, EchoReplies, NeighborAdvertisements,
 *   Echo6Replies), Ignored, Malformed or Dropped.
 *
 * Usage (host side, C or C++)
 *     RESPONDER_STATS s;
 *     if (ResponderGetStats("veth0", &s) == NDIS_STATUS_SUCCESS && s.EchoReplies == 20) ...
 */
#ifndef OPENNDIS_DRIVERS_RESPONDER_H
#define OPENNDIS_DRIVERS_RESPONDER_H

#include <ndis/types.h>
#include <ndis/status.h>

NDIS_EXTERN_C_BEGIN

#define RESPONDER_MAX_ADAPTER_NAME 128

typedef struct _RESPONDER_STATS {
    CHAR AdapterName[RESPONDER_MAX_ADAPTER_NAME]; /* NUL-terminated */
    BOOLEAN Bound;        /* the binding is open (FALSE: values at unbind) */
    BOOLEAN Running;      /* between NetEventRestart and NetEventPause */

    /* Configuration in effect. */
    BOOLEAN HasIpv4, HasIpv6;
    UCHAR Ipv4Address[4];
    ULONG Ipv4PrefixLength;
    UCHAR Ipv6Address[16];
    ULONG Ipv6PrefixLength;
    UCHAR MacAddress[6];  /* the source of every reply */

    /* Receive side, in frames. */
    ULONG64 FramesReceived;
    ULONG64 BytesReceived;
    ULONG64 ArpReplies;             /* ARP requests answered */
    ULONG64 EchoReplies;            /* ICMP echo requests answered */
    ULONG64 NeighborAdvertisements; /* neighbour solicitations answered */
    ULONG64 Echo6Replies;           /* ICMPv6 echo requests answered */
    ULONG64 Ignored;   /* well formed but not for us, or not a request responder answers */
    ULONG64 Malformed; /* truncated, inconsistent lengths, bad checksums, bad ND options */
    ULONG64 Dropped;   /* would have been answered: binding not running, too many replies in
                          flight, no NBL, or the reply does not fit the adapter's MTU */
    ULONG64 ResourcesIndications; /* indications with NDIS_RECEIVE_FLAGS_RESOURCES */

    /* Send side, in NBLs (one reply per NBL). */
    ULONG64 RepliesSent;       /* handed to NdisSendNetBufferLists */
    ULONG64 SendsCompleted;    /* ProtocolSendNetBufferListsComplete, any status */
    ULONG64 SendsFailed;       /* of those, Status != NDIS_STATUS_SUCCESS */
    ULONG64 OutstandingSends;  /* sent and not yet completed, now */
} RESPONDER_STATS, *PRESPONDER_STATS;

/*
 * ResponderGetStats — copies the counters of responder's binding to the adapter named
 * AdapterName (the adapter instance name, ASCII, case-insensitive) to *Stats.
 * Returns NDIS_STATUS_SUCCESS, NDIS_STATUS_INVALID_PARAMETER (a NULL argument) or
 * NDIS_STATUS_ADAPTER_NOT_FOUND (responder not loaded, or never bound to that adapter).
 * Any thread, PASSIVE_LEVEL; not concurrently with responder's unload.
 */
NDIS_EXPORTED_ROUTINE NDIS_STATUS ResponderGetStats(_In_z_ const char *AdapterName,
                                                    _Out_ RESPONDER_STATS *Stats);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_DRIVERS_RESPONDER_H */
