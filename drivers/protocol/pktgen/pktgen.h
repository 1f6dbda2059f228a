/*
 * pktgen.h — what the `pktgen` protocol reports to its host (not part of the WDK surface).
 *
 * Abstract
 *   pktgen (drivers/protocol/pktgen/pktgen.c) sends Ethernet frames of a chosen shape on every
 *   802.3 adapter it binds to, counts their completions by status and the frames it receives,
 *   and prints a report with DbgPrint when it unbinds. The same numbers are available to the
 *   process that hosts it through PktgenGetStats, by adapter instance name: while the binding
 *   is open (live values) and after it was closed (the values at unbind), until pktgen is
 *   unloaded. A new binding to the same adapter name starts from zero.
 *
 *   Counts are frames (NET_BUFFERs) unless the name says NBLs. A completion status counts every
 *   frame of the completed NBL. Frames completed NDIS_STATUS_PAUSED are sent again (same
 *   sequence numbers) when the binding runs again; Count counts distinct frames.
 *
 * Frames pktgen sends (and recognises when it receives them)
 *     0   destination MAC      "Destination" parameter (default ff:ff:ff:ff:ff:ff)
 *     6   source MAC           the adapter's current MAC (NDIS_BIND_PARAMETERS)
 *    12   EtherType 0x88B5     IEEE local experimental EtherType 1
 *    14   'P' 'K' 'T' 'G'      magic
 *    18   sequence number      64 bits, big-endian, 0, 1, 2, … per binding
 *    26   frame length         16 bits, big-endian (the receiver checks padding beyond it)
 *    28…  pattern              byte at frame offset i is (UCHAR)(i * 31 + 7)
 *   Frames are at least PKTGEN_MIN_FRAME_SIZE bytes. A receiving pktgen checks the magic, the
 *   pattern, that any bytes past the frame length are zero (padding), and that sequence
 *   numbers follow each other; it counts what does not.
 *
 * Usage (host side, C or C++)
 *     PKTGEN_STATS s;
 *     if (PktgenGetStats("loop0", &s) == NDIS_STATUS_SUCCESS && s.OutstandingNbls == 0) ...
 */
#ifndef OPENNDIS_DRIVERS_PKTGEN_H
#define OPENNDIS_DRIVERS_PKTGEN_H

#include <ndis/types.h>
#include <ndis/status.h>

NDIS_EXTERN_C_BEGIN

#define PKTGEN_ETHERTYPE 0x88B5
#define PKTGEN_MIN_FRAME_SIZE 28
#define PKTGEN_MAX_ADAPTER_NAME 128

typedef struct _PKTGEN_STATS {
    CHAR AdapterName[PKTGEN_MAX_ADAPTER_NAME]; /* NUL-terminated */
    BOOLEAN Bound;             /* the binding is open (FALSE: values at unbind) */
    BOOLEAN Running;           /* the sender is running (between restart and pause) */

    /* Configuration in effect (after defaults and clamping). */
    ULONG FrameSize, NblsPerSend, NbsPerNbl, MdlsPerNb, MaxOutstanding;
    ULONG64 Count;             /* 0: until stopped */
    ULONG DurationMs, RatePps;
    BOOLEAN Transmit;

    /* Transmit side. */
    ULONG64 SendCalls;         /* NdisSendNetBufferLists calls */
    ULONG64 NblsSent;
    ULONG64 FramesSent;        /* every frame handed to NdisSendNetBufferLists, resends too */
    ULONG64 RetriedFrames;     /* frames sent again after an NDIS_STATUS_PAUSED completion:
                                  FramesSent - RetriedFrames frames are distinct */
    ULONG64 BytesSent;
    ULONG64 ElapsedUs;         /* time spent sending (and waiting for the last completions) */
    ULONG64 OutstandingNbls;   /* sent and not yet completed, now */

    /* Completions by status, in frames. */
    ULONG64 CompletedFrames;   /* all statuses */
    ULONG64 CompletedNbls;
    ULONG64 CompletedSuccess;
    ULONG64 CompletedPaused;
    ULONG64 CompletedInvalidLength;
    ULONG64 CompletedResources;
    ULONG64 CompletedFailure;
    ULONG64 CompletedSendAborted;
    ULONG64 CompletedResetInProgress;
    ULONG64 CompletedLowPowerState;
    ULONG64 CompletedOther;

    /* Receive side. */
    ULONG64 FramesReceived;    /* every frame indicated to the binding */
    ULONG64 BytesReceived;
    ULONG64 PktgenFramesReceived; /* frames with the pktgen EtherType and magic */
    ULONG64 SequenceErrors;    /* pktgen frames whose sequence number was not the expected one */
    ULONG64 PatternErrors;     /* pktgen frames whose pattern, length or padding was wrong */
    ULONG64 FirstSequence;     /* of the first pktgen frame received (valid if any) */
    ULONG64 LastSequence;      /* of the last one */
    ULONG64 ResourcesIndications; /* indications with NDIS_RECEIVE_FLAGS_RESOURCES */
} PKTGEN_STATS, *PPKTGEN_STATS;

/*
 * PktgenGetStats — copies the counters of pktgen's binding to the adapter named AdapterName
 * (the adapter instance name, ASCII, case-insensitive) to *Stats.
 * Returns NDIS_STATUS_SUCCESS, NDIS_STATUS_INVALID_PARAMETER (a NULL argument) or
 * NDIS_STATUS_ADAPTER_NOT_FOUND (pktgen not loaded, or never bound to that adapter).
 * Any thread, PASSIVE_LEVEL; not concurrently with pktgen's unload.
 */
NDIS_EXPORTED_ROUTINE NDIS_STATUS PktgenGetStats(_In_z_ const char *AdapterName,
                                                 _Out_ PKTGEN_STATS *Stats);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_DRIVERS_PKTGEN_H */
