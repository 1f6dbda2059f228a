// api/stack_api.cpp — extern "C" entry points of miniports and protocols (registration,
// binding, the send and receive paths, OIDs, status, configuration).
//
// Thin shells (STYLE principle 1): resolve the handle (a wrong one is reported with the SPEC ID
// and the call does nothing or returns its failure value), then one call into core.
// Ownership on the hand-off calls:
//   NdisSendNetBufferLists            the protocol gives up the chain until its completion (PS-11)
//   NdisMSendNetBufferListsComplete   the miniport gives the chain back; it is done with it (MS-05)
//   NdisMIndicateReceiveNetBufferLists without RESOURCES: the protocols own the NBLs until they
//                                     return them; with RESOURCES: only for the call (MS-19)
//   NdisReturnNetBufferLists          the protocol gives the NBLs back (PS-24)
#include "core/stack.hpp"
#include "kernel/memory.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

using namespace ndis::core;
using ndis::verifier::failure;

namespace ndis::core {
NDIS_STATUS config_open(PNDIS_CONFIGURATION_OBJECT object, PNDIS_HANDLE out);
void config_close(NDIS_HANDLE handle);
void config_read(PNDIS_STATUS status, PNDIS_CONFIGURATION_PARAMETER *value, NDIS_HANDLE handle,
                 PNDIS_STRING keyword, NDIS_PARAMETER_TYPE type);
void config_write(PNDIS_STATUS status, NDIS_HANDLE handle, PNDIS_STRING keyword,
                  PNDIS_CONFIGURATION_PARAMETER value);
void config_read_network_address(PNDIS_STATUS status, PVOID *address, PUINT length,
                                 NDIS_HANDLE handle);
} // namespace ndis::core

namespace {

adapter *adapter_or_report(const char *api, NDIS_HANDLE h)
{
    adapter *a = adapter::from_handle(h);
    if (a == nullptr) [[unlikely]] {
        ndis::verifier::report(failure::adapter_handle_invalid, api, h,
                               "{} is not a live NdisMiniportHandle", h);
    }
    return a;
}

binding *binding_or_report(const char *api, NDIS_HANDLE h)
{
    binding *b = binding::from_handle(h);
    if (b == nullptr) [[unlikely]] {
        ndis::verifier::report(failure::binding_handle_invalid, api, h,
                               "{} is not a live NdisBindingHandle", h);
    }
    return b;
}

std::atomic<unsigned> g_partial_cancel_id{0};

} // namespace

extern "C" {

// ================================ miniport ======================================================

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMRegisterMiniportDriver(
    PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
    PNDIS_HANDLE NdisMiniportDriverHandle)
{
    return register_miniport(DriverObject, RegistryPath, MiniportDriverContext,
                             MiniportDriverCharacteristics, NdisMiniportDriverHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle)
{
    auto *d = resolve<miniport_driver>(NdisMiniportDriverHandle, handle_kind::miniport_driver);
    if (d == nullptr) {
        ndis::verifier::report(failure::adapter_handle_invalid, "NdisMDeregisterMiniportDriver",
                               NdisMiniportDriverHandle,
                               "{} is not a registered miniport driver handle",
                               NdisMiniportDriverHandle);
        return;
    }
    miniport_driver_forget(d);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMSetMiniportAttributes(
    NDIS_HANDLE NdisMiniportAdapterHandle, PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes)
{
    adapter *a = adapter_or_report("NdisMSetMiniportAttributes", NdisMiniportAdapterHandle);
    return a != nullptr ? set_attributes(a, MiniportAttributes) : NDIS_STATUS_INVALID_PARAMETER;
}

NDIS_EXPORTED_ROUTINE VOID NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle)
{
    if (adapter *a = adapter_or_report("NdisMPauseComplete", MiniportAdapterHandle)) {
        pause_complete(a);
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                NDIS_STATUS Status)
{
    if (adapter *a = adapter_or_report("NdisMRestartComplete", MiniportAdapterHandle)) {
        restart_complete(a, Status);
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                   PNDIS_OID_REQUEST OidRequest,
                                                   NDIS_STATUS Status)
{
    if (adapter *a = adapter_or_report("NdisMOidRequestComplete", MiniportAdapterHandle)) {
        oid_complete(a, OidRequest, Status);
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle,
                                                 PNDIS_STATUS_INDICATION StatusIndication)
{
    adapter *a = adapter_or_report("NdisMIndicateStatusEx", MiniportAdapterHandle);
    if (a == nullptr) {
        return;
    }
    if (StatusIndication == nullptr ||
        StatusIndication->Header.Type != NDIS_OBJECT_TYPE_STATUS_INDICATION) {
        ndis::verifier::report(failure::null_argument, "NdisMIndicateStatusEx", StatusIndication,
                               "StatusIndication is NULL or not of type "
                               "NDIS_OBJECT_TYPE_STATUS_INDICATION (0x98)");
        return;
    }
    indicate_status(a, StatusIndication);
}

NDIS_EXPORTED_ROUTINE VOID NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle,
                                                           PNET_BUFFER_LIST NetBufferLists,
                                                           ULONG SendCompleteFlags)
{
    if (adapter *a = adapter_or_report("NdisMSendNetBufferListsComplete", MiniportAdapterHandle)) {
        send_complete(a, NetBufferLists, SendCompleteFlags);
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle,
                                                              PNET_BUFFER_LIST NetBufferLists,
                                                              NDIS_PORT_NUMBER PortNumber,
                                                              ULONG NumberOfNetBufferLists,
                                                              ULONG ReceiveFlags)
{
    if (adapter *a =
            adapter_or_report("NdisMIndicateReceiveNetBufferLists", MiniportAdapterHandle)) {
        indicate_receive(a, NetBufferLists, PortNumber, NumberOfNetBufferLists, ReceiveFlags);
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisMResetComplete(NDIS_HANDLE MiniportAdapterHandle,
                                              NDIS_STATUS Status, BOOLEAN AddressingReset)
{
    if (adapter *a = adapter_or_report("NdisMResetComplete", MiniportAdapterHandle)) {
        reset_complete(a, Status, AddressingReset); // ST-17
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisMGetDeviceProperty(NDIS_HANDLE MiniportAdapterHandle,
                                                  PDEVICE_OBJECT *PhysicalDeviceObject,
                                                  PDEVICE_OBJECT *FunctionalDeviceObject,
                                                  PDEVICE_OBJECT *NextDeviceObject,
                                                  PCM_RESOURCE_LIST *AllocatedResources,
                                                  PCM_RESOURCE_LIST *AllocatedResourcesTranslated)
{
    (void)MiniportAdapterHandle;
    // A user-space adapter has no device objects and no hardware resources.
    for (PDEVICE_OBJECT *p : {PhysicalDeviceObject, FunctionalDeviceObject, NextDeviceObject}) {
        if (p != nullptr) {
            *p = nullptr;
        }
    }
    for (PCM_RESOURCE_LIST *p : {AllocatedResources, AllocatedResourcesTranslated}) {
        if (p != nullptr) {
            *p = nullptr;
        }
    }
}

// ================================ protocol ======================================================

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisRegisterProtocolDriver(
    NDIS_HANDLE ProtocolDriverContext,
    PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics, PNDIS_HANDLE NdisProtocolHandle)
{
    return register_protocol(ProtocolDriverContext, ProtocolCharacteristics, NdisProtocolHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle)
{
    auto *p = resolve<protocol_driver>(NdisProtocolHandle, handle_kind::protocol_driver);
    if (p == nullptr) {
        ndis::verifier::report(failure::binding_handle_invalid, "NdisDeregisterProtocolDriver",
                               NdisProtocolHandle, "{} is not a registered protocol handle",
                               NdisProtocolHandle);
        return;
    }
    protocol_driver_forget(p);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle,
                                                    NDIS_HANDLE ProtocolBindingContext,
                                                    PNDIS_OPEN_PARAMETERS OpenParameters,
                                                    NDIS_HANDLE BindContext,
                                                    PNDIS_HANDLE NdisBindingHandle)
{
    return open_adapter(NdisProtocolHandle, ProtocolBindingContext, OpenParameters, BindContext,
                        NdisBindingHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisCompleteBindAdapterEx(NDIS_HANDLE BindAdapterContext,
                                                     NDIS_STATUS Status)
{
    bind_complete(BindAdapterContext, Status);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle)
{
    binding *b = binding_or_report("NdisCloseAdapterEx", NdisBindingHandle);
    return b != nullptr ? close_adapter(b) : NDIS_STATUS_INVALID_PARAMETER;
}

NDIS_EXPORTED_ROUTINE VOID NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext)
{
    unbind_complete(UnbindContext);
}

NDIS_EXPORTED_ROUTINE VOID NdisCompleteNetPnPEvent(NDIS_HANDLE NdisBindingHandle,
                                                   PNET_PNP_EVENT_NOTIFICATION NetPnPEvent,
                                                   NDIS_STATUS Status)
{
    (void)NetPnPEvent;
    if (binding *b = binding_or_report("NdisCompleteNetPnPEvent", NdisBindingHandle)) {
        pnp_complete(b, Status);
    }
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle,
                                                 PNDIS_OID_REQUEST OidRequest)
{
    binding *b = binding_or_report("NdisOidRequest", NdisBindingHandle);
    return b != nullptr ? oid_request(b, OidRequest) : NDIS_STATUS_INVALID_PARAMETER;
}

NDIS_EXPORTED_ROUTINE VOID NdisCancelOidRequest(NDIS_HANDLE NdisBindingHandle, PVOID RequestId)
{
    binding *b = binding_or_report("NdisCancelOidRequest", NdisBindingHandle);
    if (b == nullptr) {
        return;
    }
    adapter *a = b->target;
    ndis::kernel::driver_scope scope(a->driver->identity);
    a->handlers->CancelOidRequestHandler(a->context, RequestId);
}

NDIS_EXPORTED_ROUTINE VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle,
                                                  PNET_BUFFER_LIST NetBufferLists,
                                                  NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    binding *b = binding::from_handle(NdisBindingHandle);
    if (b == nullptr) [[unlikely]] {
        ndis::verifier::report(failure::binding_handle_invalid, "NdisSendNetBufferLists",
                               NdisBindingHandle,
                               "{} is not a live NdisBindingHandle; the NBLs cannot be sent or "
                               "completed (they stay with the caller)",
                               NdisBindingHandle);
        return;
    }
    send(b, NetBufferLists, PortNumber, SendFlags);
}

NDIS_EXPORTED_ROUTINE VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle,
                                                    PNET_BUFFER_LIST NetBufferLists,
                                                    ULONG ReturnFlags)
{
    if (binding *b = binding_or_report("NdisReturnNetBufferLists", NdisBindingHandle)) {
        return_nbls(b, NetBufferLists, ReturnFlags);
    }
}

NDIS_EXPORTED_ROUTINE VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle,
                                                        PVOID CancelId)
{
    binding *b = binding_or_report("NdisCancelSendNetBufferLists", NdisBindingHandle);
    if (b == nullptr) {
        return;
    }
    // CAN-04, §16 point 1: forwarded only to a miniport that registered MiniportCancelSend.
    adapter *a = b->target;
    if (a->handlers->CancelSendHandler != nullptr) {
        ndis::kernel::driver_scope scope(a->driver->identity);
        a->handlers->CancelSendHandler(a->context, CancelId);
    }
}

NDIS_EXPORTED_ROUTINE UCHAR NdisGeneratePartialCancelId(VOID)
{
    // CAN-01: a value for the top byte of a driver's cancel ids, different on each call until
    // the 8-bit space wraps.
    return static_cast<UCHAR>(g_partial_cancel_id.fetch_add(1, std::memory_order_relaxed) + 1);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisQueryAdapterInstanceName(PNDIS_STRING AdapterInstanceName,
                                                               NDIS_HANDLE NdisBindingHandle)
{
    binding *b = binding_or_report("NdisQueryAdapterInstanceName", NdisBindingHandle);
    if (b == nullptr || AdapterInstanceName == nullptr) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    // The caller frees the buffer with NdisFreeMemory.
    const NDIS_STRING &name = b->target->ndis_name;
    auto *buffer = static_cast<PWCH>(
        ndis::kernel::tagged_alloc(name.MaximumLength, 0x6D614E4E /* "NNam" */));
    if (buffer == nullptr) {
        return NDIS_STATUS_RESOURCES;
    }
    std::memcpy(buffer, name.Buffer, name.MaximumLength);
    AdapterInstanceName->Buffer = buffer;
    AdapterInstanceName->Length = name.Length;
    AdapterInstanceName->MaximumLength = name.MaximumLength;
    return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE UINT NdisGetVersion(VOID)
{
    return OPENNDIS_NDIS_RUNTIME_VERSION;
}

// ================================ configuration =================================================

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
                                                          PNDIS_HANDLE ConfigurationHandle)
{
    return config_open(ConfigObject, ConfigurationHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisReadConfiguration(PNDIS_STATUS Status,
                                                 PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                                                 NDIS_HANDLE ConfigurationHandle,
                                                 PNDIS_STRING Keyword,
                                                 NDIS_PARAMETER_TYPE ParameterType)
{
    config_read(Status, ParameterValue, ConfigurationHandle, Keyword, ParameterType);
}

NDIS_EXPORTED_ROUTINE VOID NdisWriteConfiguration(PNDIS_STATUS Status,
                                                  NDIS_HANDLE ConfigurationHandle,
                                                  PNDIS_STRING Keyword,
                                                  PNDIS_CONFIGURATION_PARAMETER ParameterValue)
{
    config_write(Status, ConfigurationHandle, Keyword, ParameterValue);
}

NDIS_EXPORTED_ROUTINE VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)
{
    config_close(ConfigurationHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisReadNetworkAddress(PNDIS_STATUS Status, PVOID *NetworkAddress,
                                                  PUINT NetworkAddressLength,
                                                  NDIS_HANDLE ConfigurationHandle)
{
    config_read_network_address(Status, NetworkAddress, NetworkAddressLength,
                                ConfigurationHandle);
}

NDIS_EXPORTED_ROUTINE VOID NdisOpenConfigurationKeyByName(PNDIS_STATUS Status,
                                                          NDIS_HANDLE ConfigurationHandle,
                                                          PNDIS_STRING SubKeyName,
                                                          PNDIS_HANDLE SubKeyHandle)
{
    (void)ConfigurationHandle;
    (void)SubKeyName;
    // Topology parameter tables are flat: there are no subkeys to open.
    *SubKeyHandle = nullptr;
    *Status = NDIS_STATUS_FAILURE;
}

NDIS_EXPORTED_ROUTINE VOID NdisOpenConfigurationKeyByIndex(PNDIS_STATUS Status,
                                                           NDIS_HANDLE ConfigurationHandle,
                                                           ULONG Index, PNDIS_STRING KeyName,
                                                           PNDIS_HANDLE KeyHandle)
{
    (void)ConfigurationHandle;
    (void)Index;
    (void)KeyName;
    *KeyHandle = nullptr;
    *Status = NDIS_STATUS_FAILURE;
}

} // extern "C"
