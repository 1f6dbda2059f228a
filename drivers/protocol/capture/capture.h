/*
 * capture.h — what the `capture` protocol reports to its host (not part of the WDK surface).
 *
 * Abstract
 *   capture (drivers/protocol/capture/capture.c) writes every frame indicated to its binding to
 *   a pcap file (libpcap, LINKTYPE_ETHERNET, snapshot length 65535). CaptureGetStats reads its
 *   counters by adapter instance name: while the binding is open (live values) and after it
 *   was closed (the values at unbind), until capture is unloaded. A new binding to the same
 *   adapter name starts from zero.
 *
 * Usage (host side, C or C++)
 *     CAPTURE_STATS s;
 *     if (CaptureGetStats("veth0", &s) == NDIS_STATUS_SUCCESS && s.FramesWritten >= 20) ...
 */
#ifndef OPENNDIS_DRIVERS_CAPTURE_H
#define OPENNDIS_DRIVERS_CAPTURE_H

#include <ndis/types.h>
#include <ndis/status.h>

NDIS_EXTERN_C_BEGIN

#define CAPTURE_MAX_ADAPTER_NAME 128
#define CAPTURE_SNAPLEN 65535

typedef struct _CAPTURE_STATS {
    CHAR AdapterName[CAPTURE_MAX_ADAPTER_NAME]; /* NUL-terminated */
    BOOLEAN Bound;          /* the binding is open (FALSE: values at unbind, file closed) */
    ULONG PacketFilter;     /* NDIS_PACKET_TYPE_* the binding asked for */
    NDIS_STATUS FilterStatus; /* what OID_GEN_CURRENT_PACKET_FILTER returned */
    ULONG64 FramesReceived; /* every frame (NET_BUFFER) indicated to the binding */
    ULONG64 FramesWritten;  /* written to the file (pcap_dump) */
    ULONG64 BytesWritten;   /* frame bytes written (caplen) */
    ULONG64 Truncated;      /* frames longer than CAPTURE_SNAPLEN, written cut */
    ULONG64 Unreadable;     /* frames whose MDLs did not hold DataLength bytes: not written */
    ULONG64 Flushes;        /* pcap_dump_flush calls (one per pause) */
} CAPTURE_STATS, *PCAPTURE_STATS;

/*
 * CaptureGetStats — copies the counters of capture's binding to the adapter named AdapterName
 * (ASCII, case-insensitive) to *Stats. Returns NDIS_STATUS_SUCCESS,
 * NDIS_STATUS_INVALID_PARAMETER (a NULL argument) or NDIS_STATUS_ADAPTER_NOT_FOUND.
 * Any thread, PASSIVE_LEVEL; not concurrently with capture's unload.
 */
NDIS_EXPORTED_ROUTINE NDIS_STATUS CaptureGetStats(_In_z_ const char *AdapterName,
                                                  _Out_ CAPTURE_STATS *Stats);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_DRIVERS_CAPTURE_H */
