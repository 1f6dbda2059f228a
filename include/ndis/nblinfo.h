/*
 * ndis/nblinfo.h — the NDIS_NET_BUFFER_LIST_INFO slot indices (SPEC §15.5, OOB-01 … OOB-03).
 *
 * Abstract
 *   NET_BUFFER_LIST.NetBufferListInfo is an array of pointer-sized out-of-band slots, indexed by
 *   this enumeration. OpenNDIS targets the current x64 WDK: MaxNetBufferListInfo is 27.
 *   The structures that give the slots meaning (checksum, LSO, 802.1Q, hash, …) are in
 *   <ndis/nbloob.h>.
 */
#ifndef OPENNDIS_NDIS_NBLINFO_H
#define OPENNDIS_NDIS_NBLINFO_H

#include <ndis/types.h>

typedef enum _NDIS_NET_BUFFER_LIST_INFO {
    TcpIpChecksumNetBufferListInfo = 0,
    TcpOffloadBytesTransferred = 0,
    IPsecOffloadV1NetBufferListInfo = 1,
    IPsecOffloadV2NetBufferListInfo = 1,
    TcpLargeSendNetBufferListInfo = 2,
    TcpReceiveNoPush = 2,
    ClassificationHandleNetBufferListInfo = 3,
    Ieee8021QNetBufferListInfo = 4,
    NetBufferListCancelId = 5,
    MediaSpecificInformation = 6,
    NetBufferListFrameType = 7,
    NetBufferListProtocolId = 7,
    NetBufferListHashValue = 8,
    NetBufferListHashInfo = 9,
    WfpNetBufferListInfo = 10,
    IPsecOffloadV2TunnelNetBufferListInfo = 11,
    IPsecOffloadV2HeaderNetBufferListInfo = 12,
    NetBufferListCorrelationId = 13,
    NetBufferListFilteringInfo = 14,
    MediaSpecificInformationEx = 15,
    NblOriginalInterfaceIfIndex = 16,
    NblReAuthWfpFlowContext = 16,
    TcpReceiveBytesTransferred = 17,
    NrtNameResolutionId = 17,
    UdpRecvSegCoalesceOffloadInfo = 17,
    SwitchForwardingReserved = 18,
    SwitchForwardingDetail = 19,
    VirtualSubnetInfo = 20,
    IMReserved = 21,
    TcpRecvSegCoalesceInfo = 22,
    UdpSegmentationOffloadInfo = 22,
    RscTcpTimestampDelta = 23,
    TcpSendOffloadsSupplementalNetBufferListInfo = 23,
    GftOffloadInformation = 24,
    GftFlowEntryId = 25,
    NetBufferListInfoReserved3 = 26,
    MaxNetBufferListInfo = 27
} NDIS_NET_BUFFER_LIST_INFO, *PNDIS_NET_BUFFER_LIST_INFO;

#endif /* OPENNDIS_NDIS_NBLINFO_H */
