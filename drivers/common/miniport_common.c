/*
 * miniport_common.c — see miniport_common.h.
 */
#include "common/miniport_common.h"

VOID MiniportInitializeCharacteristics(PNDIS_MINIPORT_DRIVER_CHARACTERISTICS Characteristics)
{
    NdisZeroMemory(Characteristics, sizeof *Characteristics);
    Characteristics->Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    Characteristics->Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics->Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics->MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
    Characteristics->MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
    Characteristics->MajorDriverVersion = 1;
    Characteristics->MinorDriverVersion = 0;
}

NTSTATUS MiniportRegisterDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                                PNDIS_MINIPORT_DRIVER_CHARACTERISTICS Characteristics,
                                NDIS_HANDLE *DriverHandle, PCSTR Driver)
{
    NDIS_STATUS status;

    if (*DriverHandle != NULL) {
        DbgPrint("%s: already loaded\n", Driver);
        return STATUS_UNSUCCESSFUL;
    }
    status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, Characteristics,
                                         DriverHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        *DriverHandle = NULL;
        DbgPrint("%s: NdisMRegisterMiniportDriver failed: 0x%08lx\n", Driver, (ULONG)status);
    }
    return (NTSTATUS)status;
}

VOID MiniportDeregisterDriver(NDIS_HANDLE *DriverHandle)
{
    if (*DriverHandle != NULL) {
        NdisMDeregisterMiniportDriver(*DriverHandle);
        *DriverHandle = NULL;
    }
}

NDIS_STATUS EthernetSetAdapterAttributes(NDIS_HANDLE MiniportAdapterHandle,
                                         NDIS_HANDLE MiniportAdapterContext,
                                         const ETHERNET_ADAPTER_ATTRIBUTES *Attributes)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    NDIS_STATUS status;

    NdisZeroMemory(&reg, sizeof reg);
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
    reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
    reg.MiniportAdapterContext = MiniportAdapterContext;
    reg.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
    reg.CheckForHangTimeInSeconds = Attributes->CheckForHangTimeInSeconds;
    reg.InterfaceType = NdisInterfaceInternal;
    status =
        NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
    if (status != NDIS_STATUS_SUCCESS) {
        return status;
    }

    NdisZeroMemory(&gen, sizeof gen);
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
    gen.MediaType = NdisMedium802_3;
    gen.PhysicalMediumType = NdisPhysicalMedium802_3;
    gen.MtuSize = Attributes->Mtu;
    gen.MaxXmitLinkSpeed = Attributes->LinkSpeed;
    gen.MaxRcvLinkSpeed = Attributes->LinkSpeed;
    gen.XmitLinkSpeed = Attributes->ConnectState == MediaConnectStateConnected
                            ? Attributes->LinkSpeed
                            : NDIS_LINK_SPEED_UNKNOWN;
    gen.RcvLinkSpeed = gen.XmitLinkSpeed;
    gen.MediaConnectState = Attributes->ConnectState;
    gen.MediaDuplexState = MediaDuplexStateFull;
    gen.LookaheadSize = Attributes->Mtu;
    gen.MacOptions = ETHERNET_MAC_OPTIONS;
    gen.SupportedPacketFilters = ETHERNET_SUPPORTED_FILTERS;
    gen.MaxMulticastListSize = ETHERNET_MAX_MULTICAST;
    gen.MacAddressLength = ETH_LENGTH_OF_ADDRESS;
    ETH_COPY_NETWORK_ADDRESS(gen.PermanentMacAddress, Attributes->PermanentAddress);
    ETH_COPY_NETWORK_ADDRESS(gen.CurrentMacAddress, Attributes->CurrentAddress);
    gen.AccessType = NET_IF_ACCESS_BROADCAST;
    gen.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    gen.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    gen.IfType = IF_TYPE_ETHERNET_CSMACD;
    gen.IfConnectorPresent = Attributes->IfConnectorPresent;
    gen.SupportedStatistics = Attributes->SupportedStatistics;
    gen.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
    gen.SupportedOidList = (PNDIS_OID)EthernetSupportedOids;
    gen.SupportedOidListLength = EthernetSupportedOidsSize;
    gen.AutoNegotiationFlags = NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED |
                               NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED |
                               NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED;
    return NdisMSetMiniportAttributes(MiniportAdapterHandle,
                                      (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);
}

ULONG MiniportReadUlong(NDIS_HANDLE Config, PNDIS_STRING Key, ULONG Default, ULONG Min, ULONG Max,
                        PCSTR Driver, ULONG Number)
{
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER value;

    NdisReadConfiguration(&status, &value, Config, Key, NdisParameterInteger);
    if (status != NDIS_STATUS_SUCCESS) {
        return Default;
    }
    if (value->ParameterData.IntegerData < Min || value->ParameterData.IntegerData > Max) {
        DbgPrint("%s%lu: %wZ %lu out of range %lu..%lu, using %lu\n", Driver, Number, Key,
                 value->ParameterData.IntegerData, Min, Max, Default);
        return Default;
    }
    return value->ParameterData.IntegerData;
}

VOID MiniportIgnoreDevicePnPEvent(NDIS_HANDLE MiniportAdapterContext,
                                  PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

VOID MiniportNothingToShutDown(NDIS_HANDLE MiniportAdapterContext,
                               NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    /* No hardware to quiesce. */
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(ShutdownAction);
}

VOID MiniportNoOidToCancel(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    /* Every OID is answered synchronously: nothing is ever pending. */
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}

VOID MiniportNoSendToCancel(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    /* Sends complete inside MiniportSendNetBufferLists: nothing is ever held. */
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(CancelId);
}
