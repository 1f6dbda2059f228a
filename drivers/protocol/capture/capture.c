/*
 * capture.c — the `capture` protocol: writes every frame it receives to a pcap file, on every
 * 802.3 adapter it is offered (registered Name "capture").
 *
 * Parameters (per binding: [binding.params] on the NdisBindingHandle; a key missing there is
 * read from [driver.params] on the protocol handle)
 *   path    string, required: the pcap file to write (created or truncated). A path that
 *           cannot be opened fails the bind with NDIS_STATUS_OPEN_FAILED and a DbgPrint naming
 *           the path and libpcap's reason.
 *   filter  the packet filter to set (OID_GEN_CURRENT_PACKET_FILTER): an integer (the
 *           NDIS_PACKET_TYPE_* bits) or a string of names joined by '|', ',', '+' or spaces:
 *           directed, multicast, all_multicast, broadcast, promiscuous, all_local (case does not
 *           matter). Default: PROMISCUOUS when the adapter supports it, else DIRECTED |
 *           BROADCAST | MULTICAST | ALL_MULTICAST. A string that does not parse fails the bind.
 *
 * How it works
 *   Bind: NdisOpenAdapterEx (802.3 only), read the parameters, pcap_open_dead(DLT_EN10MB,
 *   65535) + pcap_dump_open(path), a 65535-byte gather buffer, then the packet filter.
 *   Receive: under the binding's spin lock, each frame (NET_BUFFER) is read with
 *   NdisGetDataBuffer — in place when its bytes are contiguous, else gathered from its MDLs into
 *   the buffer — and written with pcap_dump, stamped with KeQuerySystemTimePrecise (converted
 *   from 1601 to the Unix epoch); frames longer than 65535 bytes are written cut (caplen
 *   65535, len the real length). The NBLs are returned at once (or left alone with
 *   NDIS_RECEIVE_FLAGS_RESOURCES, PS-23). capture never sends.
 *   NetEventPause: pcap_dump_flush (a paused binding's file is complete on disk).
 *   Unbind: pcap_dump_close, a DbgPrint summary ("capture <adapter>: wrote N frames …").
 *   This driver talks to Linux through libpcap's file writer (stdio): a receive costs a
 *   buffered fwrite, which is why it is a tool and not a hot-path component.
 */
#define _DEFAULT_SOURCE /* <pcap/pcap.h> needs u_char and u_int under -std=c11 */
#include <ndis.h>

#include <pcap/pcap.h>

#include "builtin_drivers.h"
#include "common/protocol_common.h"
#include "protocol/capture/capture.h"

#define CAPTURE_TAG 'ipaC'
#define CAPTURE_PATH_MAX 4096
#define CAPTURE_TEXT_MAX 128
#define CAPTURE_EPOCH_DIFFERENCE 116444736000000000ull /* 1601-01-01 to 1970-01-01, 100 ns */

typedef enum _CAPTURE_COUNTER {
    CcFramesReceived,
    CcFramesWritten,
    CcBytesWritten,
    CcTruncated,
    CcUnreadable,
    CcFlushes,
    CcCounterCount
} CAPTURE_COUNTER;

typedef struct _CAPTURE_RECORD {
    LIST_ENTRY Link; /* g_CaptureRecords, under g_CaptureLock */
    CHAR AdapterName[CAPTURE_MAX_ADAPTER_NAME];
    volatile LONG Bound;
    ULONG PacketFilter;       /* under g_CaptureLock */
    NDIS_STATUS FilterStatus; /* under g_CaptureLock */
    volatile LONG64 Counters[CcCounterCount];
} CAPTURE_RECORD, *PCAPTURE_RECORD;

typedef struct _CAPTURE_BINDING {
    NDIS_HANDLE BindingHandle;
    PCAPTURE_RECORD Record;
    PROTOCOL_REQUEST_WAIT Wait; /* open, OID and close requests that pend */
    ULONG PacketFilter;

    NDIS_SPIN_LOCK Lock; /* Dead, Dumper, Buffer */
    pcap_t *Dead;
    pcap_dumper_t *Dumper;
    PUCHAR Buffer; /* CAPTURE_SNAPLEN bytes: frames split over MDLs are gathered here */
    CHAR Path[CAPTURE_PATH_MAX];
} CAPTURE_BINDING, *PCAPTURE_BINDING;

static NDIS_HANDLE g_CaptureProtocolHandle;
static BOOLEAN g_CaptureLoaded;
static NDIS_SPIN_LOCK g_CaptureLock;
static LIST_ENTRY g_CaptureRecords;
static NDIS_STRING g_CaptureName = NDIS_STRING_CONST("capture");

static DRIVER_UNLOAD CaptureUnload;
static PROTOCOL_BIND_ADAPTER_EX CaptureBindAdapterEx;
static PROTOCOL_UNBIND_ADAPTER_EX CaptureUnbindAdapterEx;
static PROTOCOL_OPEN_ADAPTER_COMPLETE_EX CaptureOpenAdapterCompleteEx;
static PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX CaptureCloseAdapterCompleteEx;
static PROTOCOL_NET_PNP_EVENT CaptureNetPnPEvent;
static PROTOCOL_OID_REQUEST_COMPLETE CaptureOidRequestComplete;
static PROTOCOL_RECEIVE_NET_BUFFER_LISTS CaptureReceiveNetBufferLists;
static PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE CaptureSendNetBufferListsComplete;

/* ---- Small helpers ------------------------------------------------------------------------ */

static LONG64 CaptureRead(PCAPTURE_RECORD Record, CAPTURE_COUNTER Counter)
{
    return InterlockedCompareExchange64(&Record->Counters[Counter], 0, 0);
}

static VOID CaptureAdd(PCAPTURE_RECORD Record, CAPTURE_COUNTER Counter, LONG64 Value)
{
    if (Value != 0) {
        InterlockedAdd64(&Record->Counters[Counter], Value);
    }
}

/* Text[0 … Length) equals Word (lower case), ignoring case. */
static BOOLEAN CaptureWordEquals(PCSTR Text, ULONG Length, PCSTR Word)
{
    ULONG i;
    for (i = 0; i < Length; ++i) {
        if (Word[i] == '\0' || ProtocolLower(Text[i]) != Word[i]) {
            return FALSE;
        }
    }
    return Word[Length] == '\0';
}

/* ---- Configuration ------------------------------------------------------------------------ */

/* The parameter from the binding's table, else the driver's; NULL when neither has it. */

/* UTF-16 to UTF-8 (a lone surrogate becomes U+FFFD); FALSE when it does not fit. */
static BOOLEAN CaptureToUtf8(PCUNICODE_STRING Text, PCHAR Out, ULONG Size)
{
    const ULONG n = Text->Length / sizeof(WCHAR);
    ULONG i, used = 0;
    for (i = 0; i < n; ++i) {
        ULONG c = Text->Buffer[i];
        UCHAR bytes[4];
        ULONG k, count;
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && Text->Buffer[i + 1] >= 0xDC00 &&
            Text->Buffer[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (Text->Buffer[i + 1] - 0xDC00);
            ++i;
        } else if (c >= 0xD800 && c < 0xE000) {
            c = 0xFFFD;
        }
        if (c == 0) {
            return FALSE; /* a NUL inside a path */
        }
        if (c < 0x80) {
            bytes[0] = (UCHAR)c;
            count = 1;
        } else if (c < 0x800) {
            bytes[0] = (UCHAR)(0xC0 | (c >> 6));
            bytes[1] = (UCHAR)(0x80 | (c & 0x3F));
            count = 2;
        } else if (c < 0x10000) {
            bytes[0] = (UCHAR)(0xE0 | (c >> 12));
            bytes[1] = (UCHAR)(0x80 | ((c >> 6) & 0x3F));
            bytes[2] = (UCHAR)(0x80 | (c & 0x3F));
            count = 3;
        } else {
            bytes[0] = (UCHAR)(0xF0 | (c >> 18));
            bytes[1] = (UCHAR)(0x80 | ((c >> 12) & 0x3F));
            bytes[2] = (UCHAR)(0x80 | ((c >> 6) & 0x3F));
            bytes[3] = (UCHAR)(0x80 | (c & 0x3F));
            count = 4;
        }
        if (used + count + 1 > Size) {
            return FALSE;
        }
        for (k = 0; k < count; ++k) {
            Out[used++] = (CHAR)bytes[k];
        }
    }
    Out[used] = '\0';
    return used != 0;
}

/* "promiscuous", "directed|broadcast", "0x2b", "43" … ; FALSE when a word is unknown. */
static BOOLEAN CaptureParseFilter(PCSTR Text, PULONG Filter)
{
    static const struct {
        PCSTR Name;
        ULONG Bit;
    } names[] = {
        {"directed", NDIS_PACKET_TYPE_DIRECTED},
        {"multicast", NDIS_PACKET_TYPE_MULTICAST},
        {"all_multicast", NDIS_PACKET_TYPE_ALL_MULTICAST},
        {"allmulticast", NDIS_PACKET_TYPE_ALL_MULTICAST},
        {"broadcast", NDIS_PACKET_TYPE_BROADCAST},
        {"promiscuous", NDIS_PACKET_TYPE_PROMISCUOUS},
        {"all_local", NDIS_PACKET_TYPE_ALL_LOCAL},
        {"alllocal", NDIS_PACKET_TYPE_ALL_LOCAL},
    };
    ULONG position = 0, filter = 0, words = 0;
    while (Text[position] != '\0') {
        ULONG start, length, i;
        BOOLEAN known = FALSE;
        while (Text[position] == '|' || Text[position] == ',' || Text[position] == '+' ||
               Text[position] == ' ') {
            ++position;
        }
        if (Text[position] == '\0') {
            break;
        }
        start = position;
        while (Text[position] != '\0' && Text[position] != '|' && Text[position] != ',' &&
               Text[position] != '+' && Text[position] != ' ') {
            ++position;
        }
        length = position - start;
        for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
            if (CaptureWordEquals(Text + start, length, names[i].Name)) {
                filter |= names[i].Bit;
                known = TRUE;
                break;
            }
        }
        if (!known) {
            /* a number: decimal, or hexadecimal after 0x */
            ULONG value = 0, base = 10, k = start, digits = 0;
            if (length > 2 && Text[k] == '0' && ProtocolLower(Text[k + 1]) == 'x') {
                base = 16;
                k += 2;
            }
            for (; k < position; ++k) {
                const CHAR c = ProtocolLower(Text[k]);
                ULONG d;
                if (c >= '0' && c <= '9') {
                    d = (ULONG)(c - '0');
                } else if (base == 16 && c >= 'a' && c <= 'f') {
                    d = (ULONG)(c - 'a' + 10);
                } else {
                    return FALSE;
                }
                if (value > (0xFFFFFFFFu - d) / base) {
                    return FALSE;
                }
                value = value * base + d;
                ++digits;
            }
            if (digits == 0) {
                return FALSE;
            }
            filter |= value;
        }
        ++words;
    }
    *Filter = filter;
    return words != 0;
}

/* Reads path and filter; FALSE (after a DbgPrint) when path is missing or filter is bad. */
static BOOLEAN CaptureReadConfiguration(PCAPTURE_BINDING Binding, ULONG SupportedFilters)
{
    NDIS_STRING pathKey = NDIS_STRING_CONST("path");
    NDIS_STRING filterKey = NDIS_STRING_CONST("filter");
    NDIS_HANDLE bindingConfig = DriverOpenConfiguration(Binding->BindingHandle);
    NDIS_HANDLE driverConfig = DriverOpenConfiguration(g_CaptureProtocolHandle);
    PCSTR name = Binding->Record->AdapterName;
    PNDIS_CONFIGURATION_PARAMETER value;
    BOOLEAN ok = TRUE;

    value = ProtocolReadParameter(bindingConfig, driverConfig, &pathKey, NdisParameterString);
    if (value == NULL || value->ParameterType != NdisParameterString) {
        DbgPrint("capture %s: no path parameter (the pcap file to write)\n", name);
        ok = FALSE;
    } else if (!CaptureToUtf8(&value->ParameterData.StringData, Binding->Path,
                              sizeof Binding->Path)) {
        DbgPrint("capture %s: path \"%wZ\" is empty, too long or holds a NUL\n", name,
                 &value->ParameterData.StringData);
        ok = FALSE;
    }

    if (SupportedFilters == 0 || (SupportedFilters & NDIS_PACKET_TYPE_PROMISCUOUS) != 0) {
        Binding->PacketFilter = NDIS_PACKET_TYPE_PROMISCUOUS;
    } else {
        Binding->PacketFilter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST |
                                NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST;
    }
    /* An integer, or (when it is not one) a string of names. */
    value = ProtocolReadParameter(bindingConfig, driverConfig, &filterKey, NdisParameterInteger);
    if (value == NULL) {
        value = ProtocolReadParameter(bindingConfig, driverConfig, &filterKey, NdisParameterString);
    }
    if (value != NULL && value->ParameterType == NdisParameterInteger) {
        Binding->PacketFilter = value->ParameterData.IntegerData;
    } else if (value != NULL && value->ParameterType == NdisParameterString) {
        CHAR text[CAPTURE_TEXT_MAX];
        ULONG filter;
        if (!CaptureToUtf8(&value->ParameterData.StringData, text, sizeof text) ||
            !CaptureParseFilter(text, &filter)) {
            DbgPrint("capture %s: filter \"%wZ\" is not a packet filter (names: directed, "
                     "multicast, all_multicast, broadcast, promiscuous, all_local, joined by "
                     "'|'; or a number)\n",
                     name, &value->ParameterData.StringData);
            ok = FALSE;
        } else {
            Binding->PacketFilter = filter;
        }
    }
    if (bindingConfig != NULL) {
        NdisCloseConfiguration(bindingConfig);
    }
    if (driverConfig != NULL) {
        NdisCloseConfiguration(driverConfig);
    }
    return ok;
}

/* ---- Stats records ------------------------------------------------------------------------ */

static PCAPTURE_RECORD CaptureGetRecord(PCSTR AdapterName)
{
    PCAPTURE_RECORD record = NULL, fresh;
    PLIST_ENTRY entry;
    ULONG i;

    fresh = (PCAPTURE_RECORD)NdisAllocateMemoryWithTagPriority(
        g_CaptureProtocolHandle, sizeof(CAPTURE_RECORD), CAPTURE_TAG, NormalPoolPriority);
    NdisAcquireSpinLock(&g_CaptureLock);
    for (entry = g_CaptureRecords.Flink; entry != &g_CaptureRecords; entry = entry->Flink) {
        PCAPTURE_RECORD r = CONTAINING_RECORD(entry, CAPTURE_RECORD, Link);
        if (ProtocolNameEquals(r->AdapterName, AdapterName)) {
            record = r;
            break;
        }
    }
    if (record == NULL && fresh != NULL) {
        record = fresh;
        fresh = NULL;
        NdisZeroMemory(record, sizeof *record);
        for (i = 0; i + 1 < sizeof(record->AdapterName) && AdapterName[i] != '\0'; ++i) {
            record->AdapterName[i] = AdapterName[i];
        }
        InsertTailList(&g_CaptureRecords, &record->Link);
    }
    if (record != NULL) {
        for (i = 0; i < CcCounterCount; ++i) {
            InterlockedExchange64(&record->Counters[i], 0);
        }
        record->PacketFilter = 0;
        record->FilterStatus = NDIS_STATUS_SUCCESS;
        InterlockedExchange(&record->Bound, 0);
    }
    NdisReleaseSpinLock(&g_CaptureLock);
    if (fresh != NULL) {
        NdisFreeMemoryWithTagPriority(g_CaptureProtocolHandle, fresh, CAPTURE_TAG);
    }
    return record;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS CaptureGetStats(const char *AdapterName, CAPTURE_STATS *Stats)
{
    PLIST_ENTRY entry;
    NDIS_STATUS status = NDIS_STATUS_ADAPTER_NOT_FOUND;

    if (AdapterName == NULL || Stats == NULL) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!g_CaptureLoaded) {
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    }
    NdisAcquireSpinLock(&g_CaptureLock);
    for (entry = g_CaptureRecords.Flink; entry != &g_CaptureRecords; entry = entry->Flink) {
        PCAPTURE_RECORD r = CONTAINING_RECORD(entry, CAPTURE_RECORD, Link);
        if (!ProtocolNameEquals(r->AdapterName, AdapterName)) {
            continue;
        }
        NdisZeroMemory(Stats, sizeof *Stats);
        NdisMoveMemory(Stats->AdapterName, r->AdapterName, sizeof Stats->AdapterName);
        Stats->Bound = ReadAcquire(&r->Bound) != 0;
        Stats->PacketFilter = r->PacketFilter;
        Stats->FilterStatus = r->FilterStatus;
        Stats->FramesReceived = (ULONG64)CaptureRead(r, CcFramesReceived);
        Stats->FramesWritten = (ULONG64)CaptureRead(r, CcFramesWritten);
        Stats->BytesWritten = (ULONG64)CaptureRead(r, CcBytesWritten);
        Stats->Truncated = (ULONG64)CaptureRead(r, CcTruncated);
        Stats->Unreadable = (ULONG64)CaptureRead(r, CcUnreadable);
        Stats->Flushes = (ULONG64)CaptureRead(r, CcFlushes);
        status = NDIS_STATUS_SUCCESS;
        break;
    }
    NdisReleaseSpinLock(&g_CaptureLock);
    return status;
}

/* ---- Receive ------------------------------------------------------------------------------ */

static VOID CaptureReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext,
                                         PNET_BUFFER_LIST NetBufferLists,
                                         NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                         ULONG ReceiveFlags)
{
    PCAPTURE_BINDING binding = (PCAPTURE_BINDING)ProtocolBindingContext;
    LONG64 frames = 0, written = 0, bytes = 0, truncated = 0, unreadable = 0;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    LARGE_INTEGER now;
    struct pcap_pkthdr header;
    ULONG64 unix100ns;

    UNREFERENCED_PARAMETER(PortNumber);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    KeQuerySystemTimePrecise(&now);
    unix100ns = (ULONG64)now.QuadPart > CAPTURE_EPOCH_DIFFERENCE
                    ? (ULONG64)now.QuadPart - CAPTURE_EPOCH_DIFFERENCE
                    : 0;
    header.ts.tv_sec = (time_t)(unix100ns / 10000000);
    header.ts.tv_usec = (suseconds_t)(unix100ns % 10000000 / 10);

    NdisAcquireSpinLock(&binding->Lock);
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            const ULONG length = NET_BUFFER_DATA_LENGTH(nb);
            const ULONG caplen = length < CAPTURE_SNAPLEN ? length : CAPTURE_SNAPLEN;
            const UCHAR *data;
            ++frames;
            if (binding->Dumper == NULL) {
                continue;
            }
            /* In place when contiguous; gathered from the MDLs into Buffer otherwise. */
            data = caplen == 0
                       ? binding->Buffer
                       : (const UCHAR *)NdisGetDataBuffer(nb, caplen, binding->Buffer, 1, 0);
            if (data == NULL) {
                ++unreadable;
                continue;
            }
            header.caplen = caplen;
            header.len = length;
            pcap_dump((u_char *)binding->Dumper, &header, data);
            ++written;
            bytes += caplen;
            if (caplen != length) {
                ++truncated;
            }
        }
    }
    NdisReleaseSpinLock(&binding->Lock);
    CaptureAdd(binding->Record, CcFramesReceived, frames);
    CaptureAdd(binding->Record, CcFramesWritten, written);
    CaptureAdd(binding->Record, CcBytesWritten, bytes);
    CaptureAdd(binding->Record, CcTruncated, truncated);
    CaptureAdd(binding->Record, CcUnreadable, unreadable);
    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags)) {
        return; /* PS-23: the NBLs are the miniport's again when we return */
    }
    NdisReturnNetBufferLists(
        binding->BindingHandle, NetBufferLists,
        NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
}

static VOID CaptureSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext,
                                              PNET_BUFFER_LIST NetBufferList,
                                              ULONG SendCompleteFlags)
{
    /* capture never sends. */
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(NetBufferList);
    UNREFERENCED_PARAMETER(SendCompleteFlags);
}

/* ---- Binding -------------------------------------------------------------------------------- */

static VOID CaptureOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    PCAPTURE_BINDING binding = (PCAPTURE_BINDING)ProtocolBindingContext;
    ProtocolOpenCloseCompleted(&binding->Wait, Status);
}

static VOID CaptureCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
    PCAPTURE_BINDING binding = (PCAPTURE_BINDING)ProtocolBindingContext;
    ProtocolOpenCloseCompleted(&binding->Wait, NDIS_STATUS_SUCCESS);
}

static VOID CaptureOidRequestComplete(NDIS_HANDLE ProtocolBindingContext,
                                      PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    PCAPTURE_BINDING binding = (PCAPTURE_BINDING)ProtocolBindingContext;
    UNREFERENCED_PARAMETER(OidRequest);
    ProtocolOidCompleted(&binding->Wait, Status);
}

static NDIS_STATUS CaptureSetPacketFilter(PCAPTURE_BINDING Binding)
{
    return ProtocolOidRequest(Binding->BindingHandle, &Binding->Wait, NdisRequestSetInformation,
                              OID_GEN_CURRENT_PACKET_FILTER, &Binding->PacketFilter, sizeof(ULONG));
}

/* Closes the file and the adapter, frees the binding. */
static VOID CaptureCloseAndFree(PCAPTURE_BINDING Binding)
{
    ProtocolCloseAdapter(Binding->BindingHandle, &Binding->Wait);
    /* No receive can run now: the binding is closed. */
    if (Binding->Dumper != NULL) {
        pcap_dump_close(Binding->Dumper);
        Binding->Dumper = NULL;
    }
    if (Binding->Dead != NULL) {
        pcap_close(Binding->Dead);
        Binding->Dead = NULL;
    }
    if (Binding->Buffer != NULL) {
        NdisFreeMemoryWithTagPriority(g_CaptureProtocolHandle, Binding->Buffer, CAPTURE_TAG);
    }
    NdisFreeSpinLock(&Binding->Lock);
    NdisFreeMemoryWithTagPriority(g_CaptureProtocolHandle, Binding, CAPTURE_TAG);
}

static NDIS_STATUS CaptureBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                        PNDIS_BIND_PARAMETERS BindParameters)
{
    PCAPTURE_BINDING binding;
    CHAR name[CAPTURE_MAX_ADAPTER_NAME];
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    if (BindParameters->MediaType != NdisMedium802_3) {
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    }
    ProtocolAdapterNameToAscii(BindParameters->AdapterName, name, sizeof name);

    binding = (PCAPTURE_BINDING)NdisAllocateMemoryWithTagPriority(
        g_CaptureProtocolHandle, sizeof(CAPTURE_BINDING), CAPTURE_TAG, NormalPoolPriority);
    if (binding == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(binding, sizeof *binding);
    binding->Record = CaptureGetRecord(name);
    if (binding->Record == NULL) {
        NdisFreeMemoryWithTagPriority(g_CaptureProtocolHandle, binding, CAPTURE_TAG);
        return NDIS_STATUS_RESOURCES;
    }
    ProtocolRequestWaitInitialize(&binding->Wait);
    NdisAllocateSpinLock(&binding->Lock);

    status = ProtocolOpenAdapter(g_CaptureProtocolHandle, binding, BindContext, BindParameters,
                                 &binding->Wait, &binding->BindingHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&binding->Lock);
        NdisFreeMemoryWithTagPriority(g_CaptureProtocolHandle, binding, CAPTURE_TAG);
        return status;
    }

    if (!CaptureReadConfiguration(binding, BindParameters->SupportedPacketFilters)) {
        CaptureCloseAndFree(binding);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    binding->Buffer = (PUCHAR)NdisAllocateMemoryWithTagPriority(
        g_CaptureProtocolHandle, CAPTURE_SNAPLEN, CAPTURE_TAG, NormalPoolPriority);
    binding->Dead = pcap_open_dead(DLT_EN10MB, CAPTURE_SNAPLEN);
    if (binding->Buffer == NULL || binding->Dead == NULL) {
        DbgPrint("capture %s: out of memory\n", name);
        CaptureCloseAndFree(binding);
        return NDIS_STATUS_RESOURCES;
    }
    binding->Dumper = pcap_dump_open(binding->Dead, binding->Path);
    if (binding->Dumper == NULL) {
        DbgPrint("capture %s: cannot open the pcap file \"%s\": %s\n", name, binding->Path,
                 pcap_geterr(binding->Dead));
        CaptureCloseAndFree(binding);
        return NDIS_STATUS_OPEN_FAILED;
    }

    status = CaptureSetPacketFilter(binding);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrint("capture %s: setting the packet filter 0x%lx failed (0x%08lx); capturing what "
                 "the adapter indicates anyway\n",
                 name, binding->PacketFilter, (ULONG)status);
    }
    NdisAcquireSpinLock(&g_CaptureLock);
    binding->Record->PacketFilter = binding->PacketFilter;
    binding->Record->FilterStatus = status;
    NdisReleaseSpinLock(&g_CaptureLock);
    InterlockedExchange(&binding->Record->Bound, 1);
    DbgPrint("capture %s: writing to \"%s\", packet filter 0x%lx\n", name, binding->Path,
             binding->PacketFilter);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS CaptureUnbindAdapterEx(NDIS_HANDLE UnbindContext,
                                          NDIS_HANDLE ProtocolBindingContext)
{
    PCAPTURE_BINDING binding = (PCAPTURE_BINDING)ProtocolBindingContext;
    PCAPTURE_RECORD r = binding->Record;

    UNREFERENCED_PARAMETER(UnbindContext);
    DbgPrint("capture %s: wrote %I64u of %I64u frames (%I64u bytes, %I64u cut to %u bytes, "
             "%I64u unreadable) to \"%s\"\n",
             r->AdapterName, (ULONG64)CaptureRead(r, CcFramesWritten),
             (ULONG64)CaptureRead(r, CcFramesReceived), (ULONG64)CaptureRead(r, CcBytesWritten),
             (ULONG64)CaptureRead(r, CcTruncated), (unsigned)CAPTURE_SNAPLEN,
             (ULONG64)CaptureRead(r, CcUnreadable), binding->Path);
    InterlockedExchange(&r->Bound, 0);
    CaptureCloseAndFree(binding);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS CaptureNetPnPEvent(NDIS_HANDLE ProtocolBindingContext,
                                      PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    PCAPTURE_BINDING binding = (PCAPTURE_BINDING)ProtocolBindingContext;

    if (binding == NULL) {
        return NDIS_STATUS_SUCCESS;
    }
    if (NetPnPEventNotification->NetPnPEvent.NetEvent == NetEventPause) {
        /* Nothing is in flight (capture never sends); a paused binding's file is on disk. */
        NdisAcquireSpinLock(&binding->Lock);
        if (binding->Dumper != NULL) {
            pcap_dump_flush(binding->Dumper);
        }
        NdisReleaseSpinLock(&binding->Lock);
        CaptureAdd(binding->Record, CcFlushes, 1);
    }
    return NDIS_STATUS_SUCCESS;
}

/* ---- Driver entry / unload ---------------------------------------------------------------- */

static VOID CaptureUnload(PDRIVER_OBJECT DriverObject)
{
    LIST_ENTRY records;

    UNREFERENCED_PARAMETER(DriverObject);
    if (!g_CaptureLoaded) {
        return;
    }
    NdisDeregisterProtocolDriver(g_CaptureProtocolHandle); /* unbinds what is left */
    InitializeListHead(&records);
    NdisAcquireSpinLock(&g_CaptureLock);
    g_CaptureLoaded = FALSE;
    while (!IsListEmpty(&g_CaptureRecords)) {
        InsertTailList(&records, RemoveHeadList(&g_CaptureRecords));
    }
    NdisReleaseSpinLock(&g_CaptureLock);
    while (!IsListEmpty(&records)) {
        PCAPTURE_RECORD r = CONTAINING_RECORD(RemoveHeadList(&records), CAPTURE_RECORD, Link);
        NdisFreeMemoryWithTagPriority(NULL, r, CAPTURE_TAG);
    }
    NdisFreeSpinLock(&g_CaptureLock);
    g_CaptureProtocolHandle = NULL;
}

NTSTATUS CaptureProtocolDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    if (g_CaptureLoaded) {
        DbgPrint("capture: already loaded\n");
        return STATUS_UNSUCCESSFUL;
    }
    NdisAllocateSpinLock(&g_CaptureLock);
    InitializeListHead(&g_CaptureRecords);

    ProtocolInitializeCharacteristics(&pc, &g_CaptureName);
    pc.BindAdapterHandlerEx = CaptureBindAdapterEx;
    pc.UnbindAdapterHandlerEx = CaptureUnbindAdapterEx;
    pc.OpenAdapterCompleteHandlerEx = CaptureOpenAdapterCompleteEx;
    pc.CloseAdapterCompleteHandlerEx = CaptureCloseAdapterCompleteEx;
    pc.NetPnPEventHandler = CaptureNetPnPEvent;
    pc.OidRequestCompleteHandler = CaptureOidRequestComplete;
    pc.StatusHandlerEx = ProtocolIgnoreStatus;
    pc.ReceiveNetBufferListsHandler = CaptureReceiveNetBufferLists;
    pc.SendNetBufferListsCompleteHandler = CaptureSendNetBufferListsComplete;
    status = NdisRegisterProtocolDriver(NULL, &pc, &g_CaptureProtocolHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        g_CaptureProtocolHandle = NULL;
        NdisFreeSpinLock(&g_CaptureLock);
        DbgPrint("capture: NdisRegisterProtocolDriver failed: 0x%08lx\n", (ULONG)status);
        return (NTSTATUS)status;
    }
    g_CaptureLoaded = TRUE;
    DriverObject->DriverUnload = CaptureUnload;
    return STATUS_SUCCESS;
}
