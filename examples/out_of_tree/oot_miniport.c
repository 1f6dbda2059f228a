/*
 * oot_miniport.c — an out-of-tree NDIS 6 miniport in plain C, built as a shared object
 * (liboot_miniport.so) against an OpenNDIS build tree and loaded by `ndisctl run` by path.
 *
 * Abstract
 *   The smallest useful miniport: an Ethernet adapter with no wire. Every NBL sent to it is
 *   completed at once with NDIS_STATUS_SUCCESS (nothing is echoed back), and at halt the adapter
 *   prints how many NBLs and frames it completed. It reads one parameter from its
 *   [adapter.params]: `Speed` (Mbit/s, default 1000). Nothing here is OpenNDIS-specific: the same
 *   source compiles with the WDK.
 *
 * Ownership
 *   MiniportSendNetBufferLists receives the chain from NDIS and owns it until it hands it back
 *   with NdisMSendNetBufferListsComplete (here: inside the send call, which NDIS allows).
 */
#define NDIS60_MINIPORT 1
#include <ndis.h>

#define OOT_TAG ((ULONG)'tooM') /* "Moot" in a pool dump */

typedef struct _OOT_ADAPTER {
    NDIS_HANDLE AdapterHandle;
    ULONG IfIndex;
    ULONG64 Speed;
    volatile LONG64 NblsCompleted;
    volatile LONG64 FramesCompleted;
} OOT_ADAPTER, *POOT_ADAPTER;

static NDIS_HANDLE OotDriverHandle;

DRIVER_INITIALIZE DriverEntry;
MINIPORT_INITIALIZE OotInitialize;
MINIPORT_HALT OotHalt;
MINIPORT_UNLOAD OotUnload;
MINIPORT_PAUSE OotPause;
MINIPORT_RESTART OotRestart;
MINIPORT_OID_REQUEST OotOidRequest;
MINIPORT_SEND_NET_BUFFER_LISTS OotSend;
MINIPORT_RETURN_NET_BUFFER_LISTS OotReturn;
MINIPORT_CANCEL_SEND OotCancelSend;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY OotPnpNotify;
MINIPORT_SHUTDOWN OotShutdown;
MINIPORT_CANCEL_OID_REQUEST OotCancelOid;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;
    NDIS_STATUS status;

    NdisZeroMemory(&mc, sizeof mc);
    mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
    mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
    mc.MajorDriverVersion = 1;
    mc.InitializeHandlerEx = OotInitialize;
    mc.HaltHandlerEx = OotHalt;
    mc.UnloadHandler = OotUnload;
    mc.PauseHandler = OotPause;
    mc.RestartHandler = OotRestart;
    mc.OidRequestHandler = OotOidRequest;
    mc.SendNetBufferListsHandler = OotSend;
    mc.ReturnNetBufferListsHandler = OotReturn;
    mc.CancelSendHandler = OotCancelSend;
    mc.DevicePnPEventNotifyHandler = OotPnpNotify;
    mc.ShutdownHandlerEx = OotShutdown;
    mc.CancelOidRequestHandler = OotCancelOid;

    status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &OotDriverHandle);
    DbgPrint("oot_miniport: DriverEntry %wZ: 0x%08x\n", RegistryPath, (unsigned)status);
    return status;
}

VOID OotUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisMDeregisterMiniportDriver(OotDriverHandle);
}

static ULONG OotReadSpeed(NDIS_HANDLE AdapterHandle)
{
    NDIS_CONFIGURATION_OBJECT co;
    NDIS_HANDLE config = NULL;
    PNDIS_CONFIGURATION_PARAMETER value = NULL;
    NDIS_STRING keyword = NDIS_STRING_CONST("Speed");
    NDIS_STATUS status;
    ULONG speed = 1000;

    co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    co.NdisHandle = AdapterHandle;
    co.Flags = 0;
    if (NdisOpenConfigurationEx(&co, &config) != NDIS_STATUS_SUCCESS)
        return speed;
    NdisReadConfiguration(&status, &value, config, &keyword, NdisParameterInteger);
    if (status == NDIS_STATUS_SUCCESS && value->ParameterData.IntegerData != 0)
        speed = value->ParameterData.IntegerData;
    NdisCloseConfiguration(config);
    return speed;
}

NDIS_STATUS OotInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                          PNDIS_MINIPORT_INIT_PARAMETERS InitParameters)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    static const UCHAR mac[ETH_LENGTH_OF_ADDRESS] = {0x02, 0x00, 0x00, 0x00, 0x0e, 0x01};
    POOT_ADAPTER adapter;
    NDIS_STATUS status;

    UNREFERENCED_PARAMETER(MiniportDriverContext);
    adapter = (POOT_ADAPTER)NdisAllocateMemoryWithTagPriority(OotDriverHandle, sizeof *adapter,
                                                              OOT_TAG, NormalPoolPriority);
    if (adapter == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(adapter, sizeof *adapter);
    adapter->AdapterHandle = MiniportAdapterHandle;
    adapter->IfIndex = InitParameters->IfIndex;

    NdisZeroMemory(&reg, sizeof reg);
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.MiniportAdapterContext = adapter;
    reg.InterfaceType = NdisInterfaceInternal;
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle,
                                        (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
    if (status != NDIS_STATUS_SUCCESS)
        goto fail;

    adapter->Speed = (ULONG64)OotReadSpeed(MiniportAdapterHandle) * 1000000ULL;

    NdisZeroMemory(&gen, sizeof gen);
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.MediaType = NdisMedium802_3;
    gen.PhysicalMediumType = NdisPhysicalMedium802_3;
    gen.MtuSize = 1500;
    gen.MaxXmitLinkSpeed = gen.XmitLinkSpeed = adapter->Speed;
    gen.MaxRcvLinkSpeed = gen.RcvLinkSpeed = adapter->Speed;
    gen.MediaConnectState = MediaConnectStateConnected;
    gen.MediaDuplexState = MediaDuplexStateFull;
    gen.LookaheadSize = 1500;
    gen.MacOptions = NDIS_MAC_OPTION_NO_LOOPBACK;
    gen.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    gen.MacAddressLength = ETH_LENGTH_OF_ADDRESS;
    NdisMoveMemory(gen.PermanentMacAddress, mac, ETH_LENGTH_OF_ADDRESS);
    NdisMoveMemory(gen.CurrentMacAddress, mac, ETH_LENGTH_OF_ADDRESS);
    gen.AccessType = NET_IF_ACCESS_BROADCAST;
    gen.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    gen.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    gen.IfType = IF_TYPE_ETHERNET_CSMACD;
    gen.IfConnectorPresent = TRUE;
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle,
                                        (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);
    if (status != NDIS_STATUS_SUCCESS)
        goto fail;
    DbgPrint("oot_miniport: adapter %u up at %llu Mbit/s\n", (unsigned)adapter->IfIndex,
             (unsigned long long)(adapter->Speed / 1000000ULL));
    return NDIS_STATUS_SUCCESS;

fail:
    NdisFreeMemoryWithTagPriority(OotDriverHandle, adapter, OOT_TAG);
    return status;
}

VOID OotHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    POOT_ADAPTER adapter = (POOT_ADAPTER)MiniportAdapterContext;

    UNREFERENCED_PARAMETER(HaltAction);
    DbgPrint("oot_miniport: adapter %u halted: completed %lld NBL(s), %lld frame(s)\n",
             (unsigned)adapter->IfIndex, (long long)adapter->NblsCompleted,
             (long long)adapter->FramesCompleted);
    NdisFreeMemoryWithTagPriority(OotDriverHandle, adapter, OOT_TAG);
}

NDIS_STATUS OotPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS Params)
{
    /* Nothing is ever held: every send was completed inside the send call. */
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(Params);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS OotRestart(NDIS_HANDLE MiniportAdapterContext,
                       PNDIS_MINIPORT_RESTART_PARAMETERS Params)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(Params);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS OotOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(OidRequest);
    return NDIS_STATUS_NOT_SUPPORTED;
}

VOID OotSend(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    POOT_ADAPTER adapter = (POOT_ADAPTER)MiniportAdapterContext;
    PNET_BUFFER_LIST nbl;
    LONG64 nbls = 0, frames = 0;

    UNREFERENCED_PARAMETER(PortNumber);
    for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
        PNET_BUFFER nb;
        for (nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb != NULL; nb = NET_BUFFER_NEXT_NB(nb))
            ++frames;
        NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
        ++nbls;
    }
    InterlockedAdd64(&adapter->NblsCompleted, nbls);
    InterlockedAdd64(&adapter->FramesCompleted, frames);
    NdisMSendNetBufferListsComplete(adapter->AdapterHandle, NetBufferLists,
                                    NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags)
                                        ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                                        : 0);
}

VOID OotReturn(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
               ULONG ReturnFlags)
{
    /* This miniport never indicates receives, so nothing ever comes back. */
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(NetBufferLists);
    UNREFERENCED_PARAMETER(ReturnFlags);
}

VOID OotCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(CancelId);
}

VOID OotPnpNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT Event)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(Event);
}

VOID OotShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION Action)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(Action);
}

VOID OotCancelOid(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(MiniportAdapterContext);
    UNREFERENCED_PARAMETER(RequestId);
}
