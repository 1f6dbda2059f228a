/*
 * responder.c — the `responder` protocol: answers ARP, ICMP echo, IPv6 neighbour solicitation
 * and ICMPv6 echo for configured addresses on every 802.3 adapter it is offered (registered
 * Name "responder"), so that Linux can ping through the stack.
 *
 * Parameters (per binding: [binding.params], read through NdisOpenConfigurationEx on the
 * NdisBindingHandle; a key missing there is read from [driver.params] on the protocol handle)
 *   ipv4    string "192.0.2.1/24": the IPv4 address answered (prefix optional, default /32)
 *   ipv6    string "2001:db8::1/64": the IPv6 address answered (prefix optional, default /128)
 *   Both are optional; with neither the binding answers nothing (and says so). A value that
 *   does not parse fails the bind with NDIS_STATUS_INVALID_PARAMETER and a DbgPrint naming it.
 *   Only the exact address is answered; the prefix length is reported, not used.
 *
 * What it answers (everything else is counted as ignored or malformed, never answered)
 *   - ARP request (Ethernet/IPv4, opcode 1) whose target is the IPv4 address: ARP reply from
 *     the adapter's MAC to the requester's hardware address (42 bytes; the miniport pads).
 *   - IPv4 ICMP echo request (type 8) to the IPv4 address, not fragmented, IP header and ICMP
 *     checksums valid: echo reply with the same identifier, sequence and payload, a 20-byte IP
 *     header (options are not echoed), TTL 64, both checksums computed.
 *   - IPv6 neighbour solicitation (ICMPv6 135) for the IPv6 address, sent to it or to its
 *     solicited-node multicast address ff02::1:ffXX:XXXX, hop limit 255 and the RFC 4861 §7.1.1
 *     checks: neighbour advertisement (136) with Solicited + Override and a target link-layer
 *     address option, hop limit 255, ICMPv6 checksum over the pseudo-header; to the source
 *     link-layer address option's MAC (else the frame's source). A solicitation from the
 *     unspecified address (DAD) is answered to ff02::1 with Override only (RFC 4861 §7.2.4).
 *   - ICMPv6 echo request (128) to the IPv6 address: echo reply (129), hop limit 64.
 *   Frames whose Ethernet destination is neither the adapter's MAC, broadcast nor an IPv6
 *   multicast MAC (33:33:…) are ignored, and so are IPv6 packets with extension headers.
 *
 * How it works
 *   Bind: NdisOpenAdapterEx (802.3 only), read the parameters, the MAC (bind parameters'
 *   CurrentMacAddress, else OID_802_3_CURRENT_ADDRESS), set OID_GEN_CURRENT_PACKET_FILTER to
 *   DIRECTED | BROADCAST | MULTICAST and, with an IPv6 address and an adapter that has a
 *   multicast list, OID_802_3_MULTICAST_LIST to the solicited-node MAC 33:33:ff:xx:xx:xx and
 *   33:33:00:00:00:01. Then an NBL pool of kind (c): NBL + NB + MDL + MTU + 14 bytes each.
 *   Receive (any IRQL up to DISPATCH): each frame is looked at through NdisGetDataBuffer (a
 *   small storage buffer when the headers are split over MDLs); a frame to answer is copied
 *   into a fresh NBL from the pool (NdisGetDataBuffer with the NBL's own buffer as storage) and
 *   turned into the reply in place. Every length is checked against the frame before it is
 *   used. The received NBLs are returned with NdisReturnNetBufferLists at once (or left alone
 *   with NDIS_RECEIVE_FLAGS_RESOURCES, PS-23) — they belong to the miniport and are never sent.
 *   The replies of one indication are sent in one NdisSendNetBufferLists call (SourceHandle =
 *   the NdisBindingHandle, PS-08); ProtocolSendNetBufferListsComplete counts them and frees
 *   them back to the pool (PS-16). At most RESPONDER_MAX_OUTSTANDING replies are in flight.
 *   Pause: Busy counts each reply in flight, each receive handler running and the pause call
 *   itself; NetEventPause clears Running (receives after that are dropped) and answers
 *   NDIS_STATUS_PENDING while Busy is not zero; whoever drops it to zero completes the pause
 *   with NdisCompleteNetPnPEvent, exactly once (PS-19). So the pool is never freed with NBLs
 *   out. Unbind prints the summary ("responder <adapter>: answered …") and frees everything.
 */
#include <ndis.h>

#include "builtin_drivers.h"
#include "common/protocol_common.h"
#include "protocol/responder/responder.h"

#define RESPONDER_TAG 'pseR'
#define RESPONDER_MAX_OUTSTANDING 256
#define RESPONDER_MAX_FRAME 9014 /* replies are at most min(MTU, 9000) + 14 bytes */
#define RESPONDER_PEEK 78        /* Ethernet + IPv6 + 24 bytes of ICMPv6; IPv4 with options */
#define RESPONDER_TEXT_MAX 64

#define ETH_HEADER 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86DD
#define ARP_LENGTH 28
#define IPV4_HEADER 20
#define IPV6_HEADER 40
#define IP_PROTOCOL_ICMP 1
#define IP_PROTOCOL_ICMPV6 58
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMPV6_NEIGHBOR_SOLICITATION 135
#define ICMPV6_NEIGHBOR_ADVERTISEMENT 136
#define ND_OPTION_SOURCE_LINK_ADDRESS 1
#define ND_OPTION_TARGET_LINK_ADDRESS 2
#define ND_HEADER 24 /* type, code, checksum, flags/reserved, target */
#define NA_LENGTH (ND_HEADER + 8)

/* ---- Counters ------------------------------------------------------------------------------ */
typedef enum _RESPONDER_COUNTER {
    RcFramesReceived,
    RcBytesReceived,
    RcArpReplies,
    RcEchoReplies,
    RcNeighborAdvertisements,
    RcEcho6Replies,
    RcIgnored,
    RcMalformed,
    RcDropped,
    RcResourcesIndications,
    RcRepliesSent,
    RcSendsCompleted,
    RcSendsFailed,
    RcOutstanding,
    RcCounterCount
} RESPONDER_COUNTER;

/* What ResponderGetStats reads: one per adapter name, alive from the first bind to unload. */
typedef struct _RESPONDER_RECORD {
    LIST_ENTRY Link; /* g_ResponderRecords, under g_ResponderLock */
    CHAR AdapterName[RESPONDER_MAX_ADAPTER_NAME];
    volatile LONG Bound;
    volatile LONG Running;
    RESPONDER_STATS Config; /* configuration fields only; written under g_ResponderLock */
    volatile LONG64 Counters[RcCounterCount];
} RESPONDER_RECORD, *PRESPONDER_RECORD;

typedef struct _RESPONDER_BINDING {
    NDIS_HANDLE BindingHandle;
    PRESPONDER_RECORD Record;
    PROTOCOL_REQUEST_WAIT Wait; /* open, OID and close requests that pend */
    ULONG PacketFilter;
    UCHAR MulticastList[2][ETH_LENGTH_OF_ADDRESS];

    /* Read-only once bound. */
    UCHAR Mac[ETH_LENGTH_OF_ADDRESS];
    BOOLEAN HasIpv4, HasIpv6;
    UCHAR Ipv4[4];
    ULONG Ipv4Prefix;
    UCHAR Ipv6[16];
    ULONG Ipv6Prefix;
    UCHAR SolicitedNode[16]; /* ff02::1:ffXX:XXXX of Ipv6 */
    ULONG MaxFrame;          /* bytes of each reply NBL's buffer */
    ULONG SupportedFilters, MaxMulticast;

    NDIS_HANDLE NblPool;
    volatile LONG Running;
    volatile LONG Busy;
    volatile LONG PausePending;
    PNET_PNP_EVENT_NOTIFICATION PauseNotification;
} RESPONDER_BINDING, *PRESPONDER_BINDING;

/* What one receive call found, added to the record once at the end. */
typedef struct _RESPONDER_RX {
    LONG64 Counters[RcCounterCount];
    NBL_QUEUE Replies;
    ULONG ReplyCount;
} RESPONDER_RX, *PRESPONDER_RX;

static NDIS_HANDLE g_ResponderProtocolHandle;
static BOOLEAN g_ResponderLoaded;
static NDIS_SPIN_LOCK g_ResponderLock;
static LIST_ENTRY g_ResponderRecords;
static NDIS_STRING g_ResponderName = NDIS_STRING_CONST("responder");

static const UCHAR g_AllNodes[16] = {0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const UCHAR g_AllNodesMac[ETH_LENGTH_OF_ADDRESS] = {0x33, 0x33, 0, 0, 0, 1};

static DRIVER_UNLOAD ResponderUnload;
static PROTOCOL_BIND_ADAPTER_EX ResponderBindAdapterEx;
static PROTOCOL_UNBIND_ADAPTER_EX ResponderUnbindAdapterEx;
static PROTOCOL_OPEN_ADAPTER_COMPLETE_EX ResponderOpenAdapterCompleteEx;
static PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX ResponderCloseAdapterCompleteEx;
static PROTOCOL_NET_PNP_EVENT ResponderNetPnPEvent;
static PROTOCOL_OID_REQUEST_COMPLETE ResponderOidRequestComplete;
static PROTOCOL_RECEIVE_NET_BUFFER_LISTS ResponderReceiveNetBufferLists;
static PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE ResponderSendNetBufferListsComplete;

/* ---- Small helpers ------------------------------------------------------------------------ */

static LONG64 ResponderRead(PRESPONDER_RECORD Record, RESPONDER_COUNTER Counter)
{
    return InterlockedCompareExchange64(&Record->Counters[Counter], 0, 0);
}

static VOID ResponderAdd(PRESPONDER_RECORD Record, RESPONDER_COUNTER Counter, LONG64 Value)
{
    if (Value != 0) {
        InterlockedAdd64(&Record->Counters[Counter], Value);
    }
}

static BOOLEAN ResponderEqual(const UCHAR *A, const UCHAR *B, ULONG Length)
{
    ULONG i;
    for (i = 0; i < Length; ++i) {
        if (A[i] != B[i]) {
            return FALSE;
        }
    }
    return TRUE;
}

static USHORT ResponderGet16(const UCHAR *P)
{
    return (USHORT)(((USHORT)P[0] << 8) | P[1]);
}

static VOID ResponderPut16(PUCHAR P, ULONG Value)
{
    P[0] = (UCHAR)(Value >> 8);
    P[1] = (UCHAR)Value;
}

/* One's-complement sum of Length bytes (big-endian 16-bit words, an odd last byte padded). */
static ULONG64 ResponderSum(ULONG64 Sum, const UCHAR *P, ULONG Length)
{
    ULONG i;
    for (i = 0; i + 1 < Length; i += 2) {
        Sum += ((ULONG)P[i] << 8) | P[i + 1];
    }
    if ((Length & 1) != 0) {
        Sum += (ULONG)P[Length - 1] << 8;
    }
    return Sum;
}

static USHORT ResponderFold(ULONG64 Sum)
{
    while ((Sum >> 16) != 0) {
        Sum = (Sum & 0xFFFF) + (Sum >> 16);
    }
    return (USHORT)Sum;
}

/* The Internet checksum of P (the checksum field must be zero), ready to store. */
static USHORT ResponderChecksum(ULONG64 Sum, const UCHAR *P, ULONG Length)
{
    return (USHORT)~ResponderFold(ResponderSum(Sum, P, Length));
}

/* The IPv6 pseudo-header (RFC 8200 §8.1) of an upper-layer packet of Length bytes. */
static ULONG64 ResponderPseudoSum(const UCHAR *Source, const UCHAR *Destination, ULONG Length,
                                  UCHAR NextHeader)
{
    ULONG64 sum = ResponderSum(0, Source, 16);
    sum = ResponderSum(sum, Destination, 16);
    sum += (Length >> 16) + (Length & 0xFFFF);
    sum += NextHeader;
    return sum;
}

static BOOLEAN ResponderIsSolicitedNode(PRESPONDER_BINDING Binding, const UCHAR *Address)
{
    return ResponderEqual(Address, Binding->SolicitedNode, 16);
}

/* ---- Configuration ------------------------------------------------------------------------ */

/* The string parameter from the binding's table, else the driver's, as ASCII in Text (size
 * RESPONDER_TEXT_MAX). FALSE when neither has it; a value that is too long or not ASCII is
 * returned as "?" so that it fails to parse (and is named in the message). */
static BOOLEAN ResponderReadText(NDIS_HANDLE BindingConfig, NDIS_HANDLE DriverConfig,
                                 PNDIS_STRING Keyword, PCHAR Text)
{
    NDIS_HANDLE configs[2] = {BindingConfig, DriverConfig};
    ULONG c, i;
    for (c = 0; c < 2; ++c) {
        NDIS_STATUS status;
        PNDIS_CONFIGURATION_PARAMETER value = NULL;
        if (configs[c] == NULL) {
            continue;
        }
        NdisReadConfiguration(&status, &value, configs[c], Keyword, NdisParameterString);
        if (status != NDIS_STATUS_SUCCESS || value == NULL) {
            continue;
        }
        if (value->ParameterType != NdisParameterString) {
            Text[0] = '?';
            Text[1] = '\0';
            return TRUE;
        }
        for (i = 0; i < value->ParameterData.StringData.Length / sizeof(WCHAR); ++i) {
            const WCHAR ch = value->ParameterData.StringData.Buffer[i];
            if (i + 1 >= RESPONDER_TEXT_MAX || ch < 0x20 || ch >= 0x7F) {
                Text[0] = '?';
                i = 1;
                break;
            }
            Text[i] = (CHAR)ch;
        }
        Text[i] = '\0';
        return TRUE;
    }
    return FALSE;
}

/* A decimal number of at most MaxDigits digits in Text[*Position…], up to Max. */
static BOOLEAN ResponderParseDecimal(PCSTR Text, PULONG Position, ULONG Max, PULONG Value)
{
    ULONG v = 0, digits = 0;
    while (Text[*Position] >= '0' && Text[*Position] <= '9') {
        v = v * 10 + (ULONG)(Text[*Position] - '0');
        ++*Position;
        if (++digits > 3 || v > Max) {
            return FALSE;
        }
    }
    *Value = v;
    return digits != 0;
}

/* "/n" at Text[Position] (or the end of the text: Default) */
static BOOLEAN ResponderParsePrefix(PCSTR Text, ULONG Position, ULONG Max, PULONG Prefix)
{
    if (Text[Position] == '\0') {
        *Prefix = Max;
        return TRUE;
    }
    if (Text[Position] != '/') {
        return FALSE;
    }
    ++Position;
    return ResponderParseDecimal(Text, &Position, Max, Prefix) && Text[Position] == '\0';
}

/* "a.b.c.d" or "a.b.c.d/n". */
static BOOLEAN ResponderParseIpv4(PCSTR Text, PUCHAR Address, PULONG Prefix)
{
    ULONG position = 0, part;
    for (part = 0; part < 4; ++part) {
        ULONG v;
        if (part != 0) {
            if (Text[position] != '.') {
                return FALSE;
            }
            ++position;
        }
        if (!ResponderParseDecimal(Text, &position, 255, &v)) {
            return FALSE;
        }
        Address[part] = (UCHAR)v;
    }
    return ResponderParsePrefix(Text, position, 32, Prefix);
}

static LONG ResponderHexDigit(CHAR c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = ProtocolLower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* RFC 4291 §2.2 text forms 1 and 2 ("2001:db8:0:0:0:0:0:1", "2001:db8::1"), "/n" optional. */
static BOOLEAN ResponderParseIpv6(PCSTR Text, PUCHAR Address, PULONG Prefix)
{
    USHORT head[8], tail[8];
    ULONG heads = 0, tails = 0, position = 0, i;
    BOOLEAN compressed = FALSE;

    if (Text[0] == ':') {
        if (Text[1] != ':') {
            return FALSE;
        }
        compressed = TRUE;
        position = 2;
    }
    while (Text[position] != '\0' && Text[position] != '/') {
        ULONG value = 0, digits = 0;
        LONG d;
        while ((d = ResponderHexDigit(Text[position])) >= 0) {
            value = value * 16 + (ULONG)d;
            ++position;
            if (++digits > 4) {
                return FALSE;
            }
        }
        if (digits == 0 || heads + tails >= 8) {
            return FALSE;
        }
        if (compressed) {
            tail[tails++] = (USHORT)value;
        } else {
            head[heads++] = (USHORT)value;
        }
        if (Text[position] == '\0' || Text[position] == '/') {
            break;
        }
        if (Text[position] != ':') {
            return FALSE;
        }
        ++position;
        if (Text[position] == ':') {
            if (compressed) {
                return FALSE; /* a second "::" */
            }
            compressed = TRUE;
            ++position;
        } else if (Text[position] == '\0' || Text[position] == '/') {
            return FALSE; /* a single trailing ':' */
        }
    }
    if (compressed ? heads + tails > 7 : heads != 8) {
        return FALSE;
    }
    NdisZeroMemory(Address, 16);
    for (i = 0; i < heads; ++i) {
        ResponderPut16(Address + 2 * i, head[i]);
    }
    for (i = 0; i < tails; ++i) {
        ResponderPut16(Address + 16 - 2 * (tails - i), tail[i]);
    }
    return ResponderParsePrefix(Text, position, 128, Prefix);
}

/* Reads ipv4 / ipv6; FALSE (after a DbgPrint naming it) when one is given and does not parse. */
static BOOLEAN ResponderReadConfiguration(PRESPONDER_BINDING Binding)
{
    NDIS_STRING ipv4 = NDIS_STRING_CONST("ipv4");
    NDIS_STRING ipv6 = NDIS_STRING_CONST("ipv6");
    NDIS_HANDLE bindingConfig = DriverOpenConfiguration(Binding->BindingHandle);
    NDIS_HANDLE driverConfig = DriverOpenConfiguration(g_ResponderProtocolHandle);
    CHAR text[RESPONDER_TEXT_MAX];
    BOOLEAN ok = TRUE;

    if (ResponderReadText(bindingConfig, driverConfig, &ipv4, text)) {
        if (ResponderParseIpv4(text, Binding->Ipv4, &Binding->Ipv4Prefix)) {
            Binding->HasIpv4 = TRUE;
        } else {
            DbgPrint("responder %s: ipv4 \"%s\" is not an IPv4 address (like \"192.0.2.1/24\")\n",
                     Binding->Record->AdapterName, text);
            ok = FALSE;
        }
    }
    if (ResponderReadText(bindingConfig, driverConfig, &ipv6, text)) {
        if (ResponderParseIpv6(text, Binding->Ipv6, &Binding->Ipv6Prefix)) {
            Binding->HasIpv6 = TRUE;
        } else {
            DbgPrint("responder %s: ipv6 \"%s\" is not an IPv6 address (like "
                     "\"2001:db8::1/64\")\n",
                     Binding->Record->AdapterName, text);
            ok = FALSE;
        }
    }
    if (Binding->HasIpv6 && Binding->Ipv6[0] == 0xFF) {
        DbgPrint("responder %s: ipv6 is a multicast address\n", Binding->Record->AdapterName);
        ok = FALSE;
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

/* The record for AdapterName, reset for a new binding (created on first use). */
static PRESPONDER_RECORD ResponderGetRecord(PCSTR AdapterName)
{
    PRESPONDER_RECORD record = NULL, fresh;
    PLIST_ENTRY entry;
    ULONG i;

    fresh = (PRESPONDER_RECORD)NdisAllocateMemoryWithTagPriority(
        g_ResponderProtocolHandle, sizeof(RESPONDER_RECORD), RESPONDER_TAG, NormalPoolPriority);
    NdisAcquireSpinLock(&g_ResponderLock);
    for (entry = g_ResponderRecords.Flink; entry != &g_ResponderRecords; entry = entry->Flink) {
        PRESPONDER_RECORD r = CONTAINING_RECORD(entry, RESPONDER_RECORD, Link);
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
        InsertTailList(&g_ResponderRecords, &record->Link);
    }
    if (record != NULL) {
        NdisZeroMemory(&record->Config, sizeof record->Config);
        for (i = 0; i < RcCounterCount; ++i) {
            InterlockedExchange64(&record->Counters[i], 0);
        }
        InterlockedExchange(&record->Running, 0);
        InterlockedExchange(&record->Bound, 0);
    }
    NdisReleaseSpinLock(&g_ResponderLock);
    if (fresh != NULL) {
        NdisFreeMemoryWithTagPriority(g_ResponderProtocolHandle, fresh, RESPONDER_TAG);
    }
    return record;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS ResponderGetStats(const char *AdapterName, RESPONDER_STATS *Stats)
{
    PLIST_ENTRY entry;
    NDIS_STATUS status = NDIS_STATUS_ADAPTER_NOT_FOUND;

    if (AdapterName == NULL || Stats == NULL) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!g_ResponderLoaded) {
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    }
    NdisAcquireSpinLock(&g_ResponderLock);
    for (entry = g_ResponderRecords.Flink; entry != &g_ResponderRecords; entry = entry->Flink) {
        PRESPONDER_RECORD r = CONTAINING_RECORD(entry, RESPONDER_RECORD, Link);
        if (!ProtocolNameEquals(r->AdapterName, AdapterName)) {
            continue;
        }
        *Stats = r->Config;
        NdisMoveMemory(Stats->AdapterName, r->AdapterName, sizeof Stats->AdapterName);
        Stats->Bound = ReadAcquire(&r->Bound) != 0;
        Stats->Running = ReadAcquire(&r->Running) != 0;
        Stats->FramesReceived = (ULONG64)ResponderRead(r, RcFramesReceived);
        Stats->BytesReceived = (ULONG64)ResponderRead(r, RcBytesReceived);
        Stats->ArpReplies = (ULONG64)ResponderRead(r, RcArpReplies);
        Stats->EchoReplies = (ULONG64)ResponderRead(r, RcEchoReplies);
        Stats->NeighborAdvertisements = (ULONG64)ResponderRead(r, RcNeighborAdvertisements);
        Stats->Echo6Replies = (ULONG64)ResponderRead(r, RcEcho6Replies);
        Stats->Ignored = (ULONG64)ResponderRead(r, RcIgnored);
        Stats->Malformed = (ULONG64)ResponderRead(r, RcMalformed);
        Stats->Dropped = (ULONG64)ResponderRead(r, RcDropped);
        Stats->ResourcesIndications = (ULONG64)ResponderRead(r, RcResourcesIndications);
        Stats->RepliesSent = (ULONG64)ResponderRead(r, RcRepliesSent);
        Stats->SendsCompleted = (ULONG64)ResponderRead(r, RcSendsCompleted);
        Stats->SendsFailed = (ULONG64)ResponderRead(r, RcSendsFailed);
        Stats->OutstandingSends = (ULONG64)ResponderRead(r, RcOutstanding);
        status = NDIS_STATUS_SUCCESS;
        break;
    }
    NdisReleaseSpinLock(&g_ResponderLock);
    return status;
}

/* ---- Busy / pause ------------------------------------------------------------------------- */

/* Drops Count references; the one that reaches zero while a pause waits completes it. The
 * binding may be closed as soon as NdisCompleteNetPnPEvent returns: touch nothing after. */
static VOID ResponderRelease(PRESPONDER_BINDING Binding, LONG Count)
{
    if (InterlockedAdd(&Binding->Busy, -Count) == 0 &&
        InterlockedExchange(&Binding->PausePending, 0) == 1) {
        NdisCompleteNetPnPEvent(Binding->BindingHandle, Binding->PauseNotification,
                                NDIS_STATUS_SUCCESS);
    }
}

/* ---- Replies ------------------------------------------------------------------------------ */

typedef enum _RESPONDER_VERDICT {
    RvIgnored = RcIgnored,
    RvMalformed = RcMalformed,
    RvDropped = RcDropped,
    RvArp = RcArpReplies,
    RvEcho = RcEchoReplies,
    RvNeighbor = RcNeighborAdvertisements,
    RvEcho6 = RcEcho6Replies
} RESPONDER_VERDICT;

/* A reply NBL from the pool with the first Length bytes of Frame copied into its buffer
 * (gathered from every MDL), or NULL (*Verdict = dropped). The NBL is in flight from here:
 * Busy and the outstanding count are taken; ResponderDiscard gives them back. */
static PNET_BUFFER_LIST ResponderNewReply(PRESPONDER_BINDING Binding, PNET_BUFFER Frame,
                                          ULONG Length, PUCHAR *Data)
{
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    PUCHAR buffer, source;

    if (Length > Binding->MaxFrame ||
        ResponderRead(Binding->Record, RcOutstanding) >= RESPONDER_MAX_OUTSTANDING) {
        return NULL;
    }
    nbl = NdisAllocateNetBufferList(Binding->NblPool, 0, 0);
    if (nbl == NULL) {
        return NULL;
    }
    nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    buffer = (PUCHAR)MmGetSystemAddressForMdlSafe(NET_BUFFER_CURRENT_MDL(nb), NormalPagePriority);
    if (buffer == NULL) {
        NdisFreeNetBufferList(nbl);
        return NULL;
    }
    buffer += NET_BUFFER_CURRENT_MDL_OFFSET(nb);
    /* Contiguous data comes back in place (copy it); split data is gathered into buffer. */
    source = (PUCHAR)NdisGetDataBuffer(Frame, Length, buffer, 1, 0);
    if (source == NULL) {
        NdisFreeNetBufferList(nbl);
        return NULL;
    }
    if (source != buffer) {
        NdisMoveMemory(buffer, source, Length);
    }
    InterlockedIncrement(&Binding->Busy);
    ResponderAdd(Binding->Record, RcOutstanding, 1);
    nbl->SourceHandle = Binding->BindingHandle; /* PS-08 */
    *Data = buffer;
    return nbl;
}

static VOID ResponderDiscard(PRESPONDER_BINDING Binding, PNET_BUFFER_LIST Nbl)
{
    NdisFreeNetBufferList(Nbl);
    ResponderAdd(Binding->Record, RcOutstanding, -1);
    ResponderRelease(Binding, 1);
}

static VOID ResponderQueue(PRESPONDER_RX Rx, PNET_BUFFER_LIST Nbl, ULONG Length)
{
    NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(Nbl)) = Length; /* <= DataSize */
    NdisAppendSingleNblToNblQueue(&Rx->Replies, Nbl);
    ++Rx->ReplyCount;
}

/* Ethernet header of a reply: to Destination, from our MAC, EtherType kept. */
static VOID ResponderEthernet(PRESPONDER_BINDING Binding, PUCHAR Frame, const UCHAR *Destination)
{
    UCHAR to[ETH_LENGTH_OF_ADDRESS];
    ETH_COPY_NETWORK_ADDRESS(to, Destination); /* Destination may point into Frame */
    ETH_COPY_NETWORK_ADDRESS(Frame, to);
    ETH_COPY_NETWORK_ADDRESS(Frame + 6, Binding->Mac);
}

/* ARP (RFC 826). Head holds min(Length, RESPONDER_PEEK) bytes of the frame. */
static RESPONDER_VERDICT ResponderArp(PRESPONDER_BINDING Binding, PNET_BUFFER Frame,
                                      const UCHAR *Head, ULONG Length, PRESPONDER_RX Rx)
{
    const UCHAR *arp = Head + ETH_HEADER;
    PNET_BUFFER_LIST nbl;
    PUCHAR out;
    UCHAR requesterMac[ETH_LENGTH_OF_ADDRESS], requesterIp[4];

    if (Length < ETH_HEADER + ARP_LENGTH) {
        return RvMalformed;
    }
    if (ResponderGet16(arp) != 1 || ResponderGet16(arp + 2) != ETHERTYPE_IPV4) {
        return RvIgnored; /* not Ethernet / IPv4 ARP */
    }
    if (arp[4] != ETH_LENGTH_OF_ADDRESS || arp[5] != 4) {
        return RvMalformed; /* lengths that contradict the hardware / protocol types */
    }
    if (ResponderGet16(arp + 6) != 1 || !Binding->HasIpv4 ||
        !ResponderEqual(arp + 24, Binding->Ipv4, 4)) {
        return RvIgnored; /* a reply, or a request for someone else */
    }
    if (ETH_IS_MULTICAST(arp + 8)) {
        return RvMalformed; /* a group sender hardware address */
    }
    ETH_COPY_NETWORK_ADDRESS(requesterMac, arp + 8);
    NdisMoveMemory(requesterIp, arp + 14, 4);
    nbl = ResponderNewReply(Binding, Frame, ETH_HEADER + ARP_LENGTH, &out);
    if (nbl == NULL) {
        return RvDropped;
    }
    ResponderEthernet(Binding, out, requesterMac);
    ResponderPut16(out + ETH_HEADER + 6, 2); /* reply */
    ETH_COPY_NETWORK_ADDRESS(out + ETH_HEADER + 8, Binding->Mac);
    NdisMoveMemory(out + ETH_HEADER + 14, Binding->Ipv4, 4);
    ETH_COPY_NETWORK_ADDRESS(out + ETH_HEADER + 18, requesterMac);
    NdisMoveMemory(out + ETH_HEADER + 24, requesterIp, 4);
    ResponderQueue(Rx, nbl, ETH_HEADER + ARP_LENGTH);
    return RvArp;
}

/* IPv4 ICMP echo (RFC 791, RFC 792). */
static RESPONDER_VERDICT ResponderIpv4(PRESPONDER_BINDING Binding, PNET_BUFFER Frame,
                                       const UCHAR *Head, ULONG HeadLength, ULONG Length,
                                       PRESPONDER_RX Rx)
{
    const UCHAR *ip = Head + ETH_HEADER;
    ULONG headerLength, totalLength, icmpLength;
    PNET_BUFFER_LIST nbl;
    PUCHAR out, icmp;
    UCHAR requesterMac[ETH_LENGTH_OF_ADDRESS], requesterIp[4];
    USHORT sum;

    if (Length < ETH_HEADER + IPV4_HEADER) {
        return RvMalformed;
    }
    headerLength = (ULONG)(ip[0] & 0x0F) * 4;
    totalLength = ResponderGet16(ip + 2);
    if ((ip[0] >> 4) != 4 || headerLength < IPV4_HEADER || totalLength < headerLength ||
        ETH_HEADER + totalLength > Length || ETH_HEADER + headerLength > HeadLength) {
        return RvMalformed;
    }
    if (ResponderFold(ResponderSum(0, ip, headerLength)) != 0xFFFF) {
        return RvMalformed; /* header checksum */
    }
    if (!Binding->HasIpv4 || !ResponderEqual(ip + 16, Binding->Ipv4, 4) ||
        ip[9] != IP_PROTOCOL_ICMP || (ResponderGet16(ip + 6) & 0x3FFF) != 0) {
        return RvIgnored; /* not for us, not ICMP, or a fragment (MF set or an offset) */
    }
    icmpLength = totalLength - headerLength;
    if (icmpLength < 8) {
        return RvMalformed;
    }
    if (ETH_HEADER + headerLength + 2 > HeadLength || ip[headerLength] != ICMP_ECHO_REQUEST) {
        return RvIgnored;
    }
    if (ip[headerLength + 1] != 0) {
        return RvMalformed; /* echo has code 0 */
    }
    if (ETH_IS_MULTICAST(Head + 6)) {
        return RvMalformed;
    }
    ETH_COPY_NETWORK_ADDRESS(requesterMac, Head + 6);
    NdisMoveMemory(requesterIp, ip + 12, 4);
    if (ETH_HEADER + IPV4_HEADER + icmpLength > Binding->MaxFrame) {
        return RvDropped;
    }
    nbl = ResponderNewReply(Binding, Frame, ETH_HEADER + totalLength, &out);
    if (nbl == NULL) {
        return RvDropped;
    }
    icmp = out + ETH_HEADER + headerLength;
    if (ResponderFold(ResponderSum(0, icmp, icmpLength)) != 0xFFFF) {
        ResponderDiscard(Binding, nbl);
        return RvMalformed; /* ICMP checksum */
    }
    if (headerLength != IPV4_HEADER) { /* options are not echoed */
        RtlMoveMemory(out + ETH_HEADER + IPV4_HEADER, icmp, icmpLength); /* overlaps */
        icmp = out + ETH_HEADER + IPV4_HEADER;
    }
    ResponderEthernet(Binding, out, requesterMac);
    ip = out + ETH_HEADER;
    out[ETH_HEADER + 0] = 0x45;
    /* TOS and identification as in the request */
    ResponderPut16(out + ETH_HEADER + 2, IPV4_HEADER + icmpLength);
    ResponderPut16(out + ETH_HEADER + 6, 0); /* flags, fragment offset */
    out[ETH_HEADER + 8] = 64;                /* TTL */
    out[ETH_HEADER + 9] = IP_PROTOCOL_ICMP;
    ResponderPut16(out + ETH_HEADER + 10, 0);
    NdisMoveMemory(out + ETH_HEADER + 12, Binding->Ipv4, 4);
    NdisMoveMemory(out + ETH_HEADER + 16, requesterIp, 4);
    sum = ResponderChecksum(0, out + ETH_HEADER, IPV4_HEADER);
    ResponderPut16(out + ETH_HEADER + 10, sum);
    icmp[0] = ICMP_ECHO_REPLY;
    ResponderPut16(icmp + 2, 0);
    ResponderPut16(icmp + 2, ResponderChecksum(0, icmp, icmpLength));
    ResponderQueue(Rx, nbl, ETH_HEADER + IPV4_HEADER + icmpLength);
    return RvEcho;
}

/* Neighbour solicitation (RFC 4861 §7.1.1 checks, §7.2.4 advertisement). Packet: the copied
 * frame in the reply buffer; PayloadLength: the ICMPv6 message's length. */
static RESPONDER_VERDICT ResponderNeighbor(PRESPONDER_BINDING Binding, PUCHAR Packet,
                                           ULONG PayloadLength, ULONG *ReplyLength)
{
    PUCHAR ip = Packet + ETH_HEADER;
    PUCHAR icmp = ip + IPV6_HEADER;
    UCHAR destinationMac[ETH_LENGTH_OF_ADDRESS], destination[16];
    BOOLEAN unspecified = TRUE, haveSourceMac = FALSE;
    ULONG offset, i;

    if (PayloadLength < ND_HEADER || ip[7] != 255 || icmp[1] != 0) {
        return RvMalformed;
    }
    if (icmp[8] == 0xFF) {
        return RvMalformed; /* a multicast target */
    }
    if (!ResponderEqual(icmp + 8, Binding->Ipv6, 16)) {
        return RvIgnored;
    }
    for (i = 0; i < 16; ++i) {
        if (ip[8 + i] != 0) {
            unspecified = FALSE;
        }
    }
    ETH_COPY_NETWORK_ADDRESS(destinationMac, Packet + 6);
    for (offset = ND_HEADER; offset < PayloadLength;) {
        ULONG optionLength;
        if (PayloadLength - offset < 2) {
            return RvMalformed;
        }
        optionLength = (ULONG)icmp[offset + 1] * 8;
        if (optionLength == 0 || optionLength > PayloadLength - offset) {
            return RvMalformed;
        }
        if (icmp[offset] == ND_OPTION_SOURCE_LINK_ADDRESS) {
            if (unspecified || optionLength < 8) {
                return RvMalformed; /* §7.1.1: none from the unspecified address */
            }
            ETH_COPY_NETWORK_ADDRESS(destinationMac, icmp + offset + 2);
            haveSourceMac = TRUE;
        }
        offset += optionLength;
    }
    if (unspecified && !ResponderIsSolicitedNode(Binding, ip + 24)) {
        return RvMalformed; /* DAD goes to the solicited-node address */
    }
    if (unspecified) {
        NdisMoveMemory(destination, g_AllNodes, 16);
        ETH_COPY_NETWORK_ADDRESS(destinationMac, g_AllNodesMac);
    } else {
        NdisMoveMemory(destination, ip + 8, 16);
        if (!haveSourceMac && ETH_IS_MULTICAST(destinationMac)) {
            return RvMalformed;
        }
    }

    ResponderEthernet(Binding, Packet, destinationMac);
    ip[0] = 0x60;
    ip[1] = ip[2] = ip[3] = 0;
    ResponderPut16(ip + 4, NA_LENGTH);
    ip[6] = IP_PROTOCOL_ICMPV6;
    ip[7] = 255;
    NdisMoveMemory(ip + 8, Binding->Ipv6, 16);
    NdisMoveMemory(ip + 24, destination, 16);
    icmp[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
    icmp[1] = 0;
    ResponderPut16(icmp + 2, 0);
    icmp[4] = unspecified ? 0x20 : 0x60; /* (Solicited +) Override, not Router */
    icmp[5] = icmp[6] = icmp[7] = 0;
    /* the target (icmp + 8) stays: it is our address */
    icmp[ND_HEADER] = ND_OPTION_TARGET_LINK_ADDRESS;
    icmp[ND_HEADER + 1] = 1; /* 8 bytes */
    ETH_COPY_NETWORK_ADDRESS(icmp + ND_HEADER + 2, Binding->Mac);
    ResponderPut16(icmp + 2, ResponderChecksum(
                                 ResponderPseudoSum(ip + 8, ip + 24, NA_LENGTH, IP_PROTOCOL_ICMPV6),
                                 icmp, NA_LENGTH));
    *ReplyLength = ETH_HEADER + IPV6_HEADER + NA_LENGTH;
    return RvNeighbor;
}

/* ICMPv6 (RFC 4443): echo and neighbour solicitation. */
static RESPONDER_VERDICT ResponderIpv6(PRESPONDER_BINDING Binding, PNET_BUFFER Frame,
                                       const UCHAR *Head, ULONG HeadLength, ULONG Length,
                                       PRESPONDER_RX Rx)
{
    const UCHAR *ip = Head + ETH_HEADER;
    ULONG payloadLength, replyLength = 0;
    BOOLEAN toUs, toSolicitedNode;
    UCHAR type;
    PNET_BUFFER_LIST nbl;
    PUCHAR out, icmp;
    RESPONDER_VERDICT verdict;

    if (Length < ETH_HEADER + IPV6_HEADER) {
        return RvMalformed;
    }
    payloadLength = ResponderGet16(ip + 4);
    if ((ip[0] >> 4) != 6 || ETH_HEADER + IPV6_HEADER + payloadLength > Length) {
        return RvMalformed;
    }
    if (!Binding->HasIpv6 || ip[6] != IP_PROTOCOL_ICMPV6) {
        return RvIgnored; /* not ICMPv6 (or behind extension headers) */
    }
    toUs = ResponderEqual(ip + 24, Binding->Ipv6, 16);
    toSolicitedNode = ResponderIsSolicitedNode(Binding, ip + 24);
    if (!toUs && !toSolicitedNode) {
        return RvIgnored;
    }
    if (payloadLength < 4) {
        return RvMalformed;
    }
    if (ETH_HEADER + IPV6_HEADER + 1 > HeadLength) {
        return RvMalformed;
    }
    type = ip[IPV6_HEADER];
    if (!(type == ICMPV6_NEIGHBOR_SOLICITATION || (type == ICMPV6_ECHO_REQUEST && toUs))) {
        return RvIgnored;
    }
    if (type == ICMPV6_ECHO_REQUEST && (payloadLength < 8 || ip[IPV6_HEADER + 1] != 0)) {
        return RvMalformed;
    }
    if (ip[8] == 0xFF) {
        return RvMalformed; /* a multicast source */
    }
    if (type == ICMPV6_ECHO_REQUEST && ETH_IS_MULTICAST(Head + 6)) {
        return RvMalformed;
    }
    /* The reply is built over a copy of the request: room for the larger of the two. */
    if (ETH_HEADER + IPV6_HEADER + payloadLength > Binding->MaxFrame) {
        return RvDropped;
    }
    nbl = ResponderNewReply(Binding, Frame, ETH_HEADER + IPV6_HEADER + payloadLength, &out);
    if (nbl == NULL) {
        return RvDropped;
    }
    icmp = out + ETH_HEADER + IPV6_HEADER;
    if (ResponderFold(ResponderSum(ResponderPseudoSum(out + ETH_HEADER + 8, out + ETH_HEADER + 24,
                                                      payloadLength, IP_PROTOCOL_ICMPV6),
                                   icmp, payloadLength)) != 0xFFFF) {
        ResponderDiscard(Binding, nbl);
        return RvMalformed; /* ICMPv6 checksum */
    }
    if (type == ICMPV6_NEIGHBOR_SOLICITATION) {
        if (ETH_HEADER + IPV6_HEADER + NA_LENGTH > Binding->MaxFrame) {
            ResponderDiscard(Binding, nbl);
            return RvDropped;
        }
        verdict = ResponderNeighbor(Binding, out, payloadLength, &replyLength);
        if (verdict != RvNeighbor) {
            ResponderDiscard(Binding, nbl);
            return verdict;
        }
        ResponderQueue(Rx, nbl, replyLength);
        return RvNeighbor;
    }
    ResponderEthernet(Binding, out, out + 6);
    out[ETH_HEADER + 0] = 0x60;
    out[ETH_HEADER + 1] = out[ETH_HEADER + 2] = out[ETH_HEADER + 3] = 0;
    out[ETH_HEADER + 7] = 64; /* hop limit */
    NdisMoveMemory(out + ETH_HEADER + 24, out + ETH_HEADER + 8, 16);
    NdisMoveMemory(out + ETH_HEADER + 8, Binding->Ipv6, 16);
    icmp[0] = ICMPV6_ECHO_REPLY;
    ResponderPut16(icmp + 2, 0);
    ResponderPut16(icmp + 2,
                   ResponderChecksum(ResponderPseudoSum(out + ETH_HEADER + 8, out + ETH_HEADER + 24,
                                                        payloadLength, IP_PROTOCOL_ICMPV6),
                                     icmp, payloadLength));
    ResponderQueue(Rx, nbl, ETH_HEADER + IPV6_HEADER + payloadLength);
    return RvEcho6;
}

static RESPONDER_VERDICT ResponderInspect(PRESPONDER_BINDING Binding, PNET_BUFFER Frame,
                                          PRESPONDER_RX Rx)
{
    UCHAR storage[RESPONDER_PEEK];
    const ULONG length = NET_BUFFER_DATA_LENGTH(Frame);
    const ULONG headLength = length < RESPONDER_PEEK ? length : RESPONDER_PEEK;
    const UCHAR *head;
    static const UCHAR broadcast[ETH_LENGTH_OF_ADDRESS] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

    Rx->Counters[RcBytesReceived] += length;
    if (length < ETH_HEADER) {
        return RvMalformed;
    }
    head = (const UCHAR *)NdisGetDataBuffer(Frame, headLength, storage, 1, 0);
    if (head == NULL) {
        return RvMalformed; /* the MDLs do not hold DataLength bytes */
    }
    if (!ResponderEqual(head, Binding->Mac, ETH_LENGTH_OF_ADDRESS) &&
        !ResponderEqual(head, broadcast, ETH_LENGTH_OF_ADDRESS) &&
        !(head[0] == 0x33 && head[1] == 0x33)) {
        return RvIgnored; /* another station's frame (promiscuous adapter) */
    }
    switch (ResponderGet16(head + 12)) {
    case ETHERTYPE_ARP: return ResponderArp(Binding, Frame, head, length, Rx);
    case ETHERTYPE_IPV4: return ResponderIpv4(Binding, Frame, head, headLength, length, Rx);
    case ETHERTYPE_IPV6: return ResponderIpv6(Binding, Frame, head, headLength, length, Rx);
    default: return RvIgnored;
    }
}

static VOID ResponderReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext,
                                           PNET_BUFFER_LIST NetBufferLists,
                                           NDIS_PORT_NUMBER PortNumber,
                                           ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;
    PRESPONDER_RECORD record = binding->Record;
    const BOOLEAN dispatch = NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags) != 0;
    RESPONDER_RX rx;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb;
    BOOLEAN running;
    ULONG i;

    UNREFERENCED_PARAMETER(PortNumber);
    UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
    NdisZeroMemory(&rx, sizeof rx);
    NdisInitializeNblQueue(&rx.Replies);
    /* This handler's reference first, then the state: once a pause has cleared Running no new
     * reply can start, and the pause waits for this one. */
    InterlockedIncrement(&binding->Busy);
    running = ReadAcquire(&binding->Running) != 0;
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb)) {
            ++rx.Counters[RcFramesReceived];
            if (!running) {
                ++rx.Counters[RcDropped];
                continue;
            }
            ++rx.Counters[ResponderInspect(binding, nb, &rx)];
        }
    }
    if (NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags)) {
        /* PS-23: the NBLs go back to the miniport when we return; nothing kept (the replies
         * are copies). */
        ++rx.Counters[RcResourcesIndications];
    } else {
        NdisReturnNetBufferLists(binding->BindingHandle, NetBufferLists,
                                 dispatch ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
    }
    rx.Counters[RcRepliesSent] = rx.ReplyCount;
    for (i = 0; i < RcCounterCount; ++i) {
        if (i != RcOutstanding) {
            ResponderAdd(record, (RESPONDER_COUNTER)i, rx.Counters[i]);
        }
    }
    if (rx.ReplyCount != 0) {
        /* Each reply holds its own Busy reference until its completion. */
        NdisSendNetBufferLists(binding->BindingHandle, NdisPopAllFromNblQueue(&rx.Replies),
                               NDIS_DEFAULT_PORT_NUMBER,
                               dispatch ? NDIS_SEND_FLAGS_DISPATCH_LEVEL : 0);
    }
    ResponderRelease(binding, 1); /* this handler's reference: touch nothing after */
}

static VOID ResponderSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext,
                                                PNET_BUFFER_LIST NetBufferList,
                                                ULONG SendCompleteFlags)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;
    PNET_BUFFER_LIST nbl, next;
    LONG completed = 0, failed = 0;

    UNREFERENCED_PARAMETER(SendCompleteFlags);
    /* PS-16: the replies are ours again; back to the pool. */
    for (nbl = NetBufferList; nbl != NULL; nbl = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(nbl);
        NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
        if (NET_BUFFER_LIST_STATUS(nbl) != NDIS_STATUS_SUCCESS) {
            ++failed;
        }
        ++completed;
        NdisFreeNetBufferList(nbl);
    }
    ResponderAdd(binding->Record, RcSendsCompleted, completed);
    ResponderAdd(binding->Record, RcSendsFailed, failed);
    ResponderAdd(binding->Record, RcOutstanding, -(LONG64)completed);
    ResponderRelease(binding, completed); /* touch nothing after */
}

/* ---- Binding -------------------------------------------------------------------------------- */

static VOID ResponderOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;
    ProtocolOpenCloseCompleted(&binding->Wait, Status);
}

static VOID ResponderCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;
    ProtocolOpenCloseCompleted(&binding->Wait, NDIS_STATUS_SUCCESS);
}

static VOID ResponderOidRequestComplete(NDIS_HANDLE ProtocolBindingContext,
                                        PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;
    UNREFERENCED_PARAMETER(OidRequest);
    ProtocolOidCompleted(&binding->Wait, Status);
}

/* The packet filter and, for IPv6, the multicast MACs neighbour discovery needs. */
static VOID ResponderSetFilters(PRESPONDER_BINDING Binding)
{
    PCSTR name = Binding->Record->AdapterName;
    NDIS_STATUS status;

    Binding->PacketFilter =
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST;
    status =
        ProtocolOidRequest(Binding->BindingHandle, &Binding->Wait, NdisRequestSetInformation,
                           OID_GEN_CURRENT_PACKET_FILTER, &Binding->PacketFilter, sizeof(ULONG));
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrint("responder %s: setting the packet filter failed (0x%08lx); receiving may not "
                 "work\n",
                 name, (ULONG)status);
    }
    if (!Binding->HasIpv6) {
        return;
    }
    if (Binding->MaxMulticast < 2) {
        DbgPrint("responder %s: the adapter has no room for 2 multicast addresses (%lu); "
                 "neighbour solicitations may not arrive\n",
                 name, Binding->MaxMulticast);
        return;
    }
    /* RFC 2464 §7: 33:33 and the low 32 bits of the IPv6 multicast address. */
    Binding->MulticastList[0][0] = 0x33;
    Binding->MulticastList[0][1] = 0x33;
    NdisMoveMemory(&Binding->MulticastList[0][2], Binding->SolicitedNode + 12, 4);
    ETH_COPY_NETWORK_ADDRESS(Binding->MulticastList[1], g_AllNodesMac);
    status = ProtocolOidRequest(Binding->BindingHandle, &Binding->Wait, NdisRequestSetInformation,
                                OID_802_3_MULTICAST_LIST, Binding->MulticastList,
                                sizeof Binding->MulticastList);
    if (status != NDIS_STATUS_SUCCESS) {
        DbgPrint("responder %s: setting the multicast list failed (0x%08lx); neighbour "
                 "solicitations may not arrive\n",
                 name, (ULONG)status);
    }
}

static VOID ResponderCloseAndFree(PRESPONDER_BINDING Binding)
{
    if (Binding->NblPool != NULL) {
        NdisFreeNetBufferListPool(Binding->NblPool);
        Binding->NblPool = NULL;
    }
    ProtocolCloseAdapter(Binding->BindingHandle, &Binding->Wait);
    NdisFreeMemoryWithTagPriority(g_ResponderProtocolHandle, Binding, RESPONDER_TAG);
}

static NDIS_STATUS ResponderBindAdapterEx(NDIS_HANDLE ProtocolDriverContext,
                                          NDIS_HANDLE BindContext,
                                          PNDIS_BIND_PARAMETERS BindParameters)
{
    PRESPONDER_BINDING binding;
    NET_BUFFER_LIST_POOL_PARAMETERS pool;
    CHAR name[RESPONDER_MAX_ADAPTER_NAME];
    NDIS_STATUS status;
    ULONG i, mtu;
    BOOLEAN haveMac = FALSE;

    UNREFERENCED_PARAMETER(ProtocolDriverContext);
    if (BindParameters->MediaType != NdisMedium802_3) {
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    }
    ProtocolAdapterNameToAscii(BindParameters->AdapterName, name, sizeof name);

    binding = (PRESPONDER_BINDING)NdisAllocateMemoryWithTagPriority(
        g_ResponderProtocolHandle, sizeof(RESPONDER_BINDING), RESPONDER_TAG, NormalPoolPriority);
    if (binding == NULL) {
        return NDIS_STATUS_RESOURCES;
    }
    NdisZeroMemory(binding, sizeof *binding);
    binding->Record = ResponderGetRecord(name);
    if (binding->Record == NULL) {
        NdisFreeMemoryWithTagPriority(g_ResponderProtocolHandle, binding, RESPONDER_TAG);
        return NDIS_STATUS_RESOURCES;
    }
    ProtocolRequestWaitInitialize(&binding->Wait);
    mtu = BindParameters->MtuSize != 0 ? BindParameters->MtuSize : 1500;
    binding->MaxFrame =
        (mtu < RESPONDER_MAX_FRAME - ETH_HEADER ? mtu : RESPONDER_MAX_FRAME - ETH_HEADER) +
        ETH_HEADER;
    binding->SupportedFilters = BindParameters->SupportedPacketFilters;
    binding->MaxMulticast = BindParameters->MaxMulticastListSize;
    if (BindParameters->MacAddressLength == ETH_LENGTH_OF_ADDRESS) {
        ETH_COPY_NETWORK_ADDRESS(binding->Mac, BindParameters->CurrentMacAddress);
        for (i = 0; i < ETH_LENGTH_OF_ADDRESS; ++i) {
            if (binding->Mac[i] != 0) {
                haveMac = TRUE;
            }
        }
    }

    status = ProtocolOpenAdapter(g_ResponderProtocolHandle, binding, BindContext, BindParameters,
                                 &binding->Wait, &binding->BindingHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        NdisFreeMemoryWithTagPriority(g_ResponderProtocolHandle, binding, RESPONDER_TAG);
        return status;
    }

    if (!ResponderReadConfiguration(binding)) {
        ResponderCloseAndFree(binding);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (binding->HasIpv6) {
        /* RFC 4291 §2.7.1: ff02::1:ff00:0/104 and the low 24 bits of the address. */
        binding->SolicitedNode[0] = 0xFF;
        binding->SolicitedNode[1] = 0x02;
        binding->SolicitedNode[11] = 0x01;
        binding->SolicitedNode[12] = 0xFF;
        NdisMoveMemory(binding->SolicitedNode + 13, binding->Ipv6 + 13, 3);
    }
    if (!haveMac) {
        status =
            ProtocolOidRequest(binding->BindingHandle, &binding->Wait, NdisRequestQueryInformation,
                               OID_802_3_CURRENT_ADDRESS, binding->Mac, ETH_LENGTH_OF_ADDRESS);
        if (status != NDIS_STATUS_SUCCESS) {
            DbgPrint("responder %s: no MAC address in the bind parameters and "
                     "OID_802_3_CURRENT_ADDRESS failed (0x%08lx)\n",
                     name, (ULONG)status);
            ResponderCloseAndFree(binding);
            return status;
        }
    }
    ResponderSetFilters(binding);

    NdisZeroMemory(&pool, sizeof pool);
    pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    pool.fAllocateNetBuffer = TRUE; /* kind (c): NBL + NB + MDL + MaxFrame bytes */
    pool.DataSize = binding->MaxFrame;
    pool.PoolTag = 'lNsR';
    binding->NblPool = NdisAllocateNetBufferListPool(binding->BindingHandle, &pool);
    if (binding->NblPool == NULL) {
        DbgPrint("responder %s: cannot allocate the reply pool\n", name);
        ResponderCloseAndFree(binding);
        return NDIS_STATUS_RESOURCES;
    }

    NdisAcquireSpinLock(&g_ResponderLock);
    binding->Record->Config.HasIpv4 = binding->HasIpv4;
    binding->Record->Config.HasIpv6 = binding->HasIpv6;
    NdisMoveMemory(binding->Record->Config.Ipv4Address, binding->Ipv4, 4);
    binding->Record->Config.Ipv4PrefixLength = binding->Ipv4Prefix;
    NdisMoveMemory(binding->Record->Config.Ipv6Address, binding->Ipv6, 16);
    binding->Record->Config.Ipv6PrefixLength = binding->Ipv6Prefix;
    ETH_COPY_NETWORK_ADDRESS(binding->Record->Config.MacAddress, binding->Mac);
    NdisReleaseSpinLock(&g_ResponderLock);
    InterlockedExchange(&binding->Record->Bound, 1);
    if (!binding->HasIpv4 && !binding->HasIpv6) {
        DbgPrint("responder %s: bound without an ipv4 or ipv6 parameter: answering nothing\n",
                 name);
    } else {
        DbgPrint("responder %s: bound, MAC %02x:%02x:%02x:%02x:%02x:%02x, ipv4 %s, ipv6 %s\n", name,
                 binding->Mac[0], binding->Mac[1], binding->Mac[2], binding->Mac[3],
                 binding->Mac[4], binding->Mac[5], binding->HasIpv4 ? "yes" : "no",
                 binding->HasIpv6 ? "yes" : "no");
    }
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS ResponderUnbindAdapterEx(NDIS_HANDLE UnbindContext,
                                            NDIS_HANDLE ProtocolBindingContext)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;
    PRESPONDER_RECORD r = binding->Record;

    UNREFERENCED_PARAMETER(UnbindContext);
    /* NDIS pauses a binding before unbinding it, so every reply has completed; should one
     * still be out, wait: the pool must not go while NBLs from it are in flight (PS-22). */
    InterlockedExchange(&binding->Running, 0);
    while (ReadAcquire(&binding->Busy) != 0) {
        NdisMSleep(1000);
    }
    DbgPrint("responder %s: received %I64u frames; answered %I64u ARP, %I64u ICMP echo, %I64u "
             "neighbour solicitations, %I64u ICMPv6 echo; ignored %I64u, malformed %I64u, "
             "dropped %I64u; %I64u replies completed (%I64u failed)\n",
             r->AdapterName, (ULONG64)ResponderRead(r, RcFramesReceived),
             (ULONG64)ResponderRead(r, RcArpReplies), (ULONG64)ResponderRead(r, RcEchoReplies),
             (ULONG64)ResponderRead(r, RcNeighborAdvertisements),
             (ULONG64)ResponderRead(r, RcEcho6Replies), (ULONG64)ResponderRead(r, RcIgnored),
             (ULONG64)ResponderRead(r, RcMalformed), (ULONG64)ResponderRead(r, RcDropped),
             (ULONG64)ResponderRead(r, RcSendsCompleted), (ULONG64)ResponderRead(r, RcSendsFailed));
    InterlockedExchange(&r->Running, 0);
    InterlockedExchange(&r->Bound, 0);
    ResponderCloseAndFree(binding);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS ResponderNetPnPEvent(NDIS_HANDLE ProtocolBindingContext,
                                        PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification)
{
    PRESPONDER_BINDING binding = (PRESPONDER_BINDING)ProtocolBindingContext;

    if (binding == NULL) {
        return NDIS_STATUS_SUCCESS; /* events about the protocol as a whole */
    }
    switch (NetPnPEventNotification->NetPnPEvent.NetEvent) {
    case NetEventRestart:
        InterlockedExchange(&binding->Running, 1);
        InterlockedExchange(&binding->Record->Running, 1);
        return NDIS_STATUS_SUCCESS;
    case NetEventPause:
        binding->PauseNotification = NetPnPEventNotification;
        InterlockedIncrement(&binding->Busy); /* this call's own reference */
        InterlockedExchange(&binding->PausePending, 1);
        InterlockedExchange(&binding->Running, 0);
        InterlockedExchange(&binding->Record->Running, 0);
        if (InterlockedDecrement(&binding->Busy) == 0 &&
            InterlockedExchange(&binding->PausePending, 0) == 1) {
            return NDIS_STATUS_SUCCESS;
        }
        /* PS-19: replies still out (or a receive handler still running); the last of them
         * completes the pause. */
        return NDIS_STATUS_PENDING;
    default: return NDIS_STATUS_SUCCESS;
    }
}

/* ---- Driver entry / unload ---------------------------------------------------------------- */

static VOID ResponderUnload(PDRIVER_OBJECT DriverObject)
{
    LIST_ENTRY records;

    UNREFERENCED_PARAMETER(DriverObject);
    if (!g_ResponderLoaded) {
        return;
    }
    NdisDeregisterProtocolDriver(g_ResponderProtocolHandle); /* unbinds what is left */
    InitializeListHead(&records);
    NdisAcquireSpinLock(&g_ResponderLock);
    g_ResponderLoaded = FALSE;
    while (!IsListEmpty(&g_ResponderRecords)) {
        InsertTailList(&records, RemoveHeadList(&g_ResponderRecords));
    }
    NdisReleaseSpinLock(&g_ResponderLock);
    while (!IsListEmpty(&records)) {
        PRESPONDER_RECORD r = CONTAINING_RECORD(RemoveHeadList(&records), RESPONDER_RECORD, Link);
        NdisFreeMemoryWithTagPriority(NULL, r, RESPONDER_TAG);
    }
    NdisFreeSpinLock(&g_ResponderLock);
    g_ResponderProtocolHandle = NULL;
}

NTSTATUS ResponderProtocolDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    if (g_ResponderLoaded) {
        DbgPrint("responder: already loaded\n");
        return STATUS_UNSUCCESSFUL;
    }
    NdisAllocateSpinLock(&g_ResponderLock);
    InitializeListHead(&g_ResponderRecords);

    ProtocolInitializeCharacteristics(&pc, &g_ResponderName);
    pc.BindAdapterHandlerEx = ResponderBindAdapterEx;
    pc.UnbindAdapterHandlerEx = ResponderUnbindAdapterEx;
    pc.OpenAdapterCompleteHandlerEx = ResponderOpenAdapterCompleteEx;
    pc.CloseAdapterCompleteHandlerEx = ResponderCloseAdapterCompleteEx;
    pc.NetPnPEventHandler = ResponderNetPnPEvent;
    pc.OidRequestCompleteHandler = ResponderOidRequestComplete;
    pc.StatusHandlerEx = ProtocolIgnoreStatus;
    pc.ReceiveNetBufferListsHandler = ResponderReceiveNetBufferLists;
    pc.SendNetBufferListsCompleteHandler = ResponderSendNetBufferListsComplete;
    status = NdisRegisterProtocolDriver(NULL, &pc, &g_ResponderProtocolHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        g_ResponderProtocolHandle = NULL;
        NdisFreeSpinLock(&g_ResponderLock);
        DbgPrint("responder: NdisRegisterProtocolDriver failed: 0x%08lx\n", (ULONG)status);
        return (NTSTATUS)status;
    }
    g_ResponderLoaded = TRUE;
    DriverObject->DriverUnload = ResponderUnload;
    return STATUS_SUCCESS;
}
