/*
 * protocol_common.h — what the built-in protocol drivers (pktgen, responder, capture) do the
 * same way around a binding: fill NDIS_PROTOCOL_DRIVER_CHARACTERISTICS (header, versions,
 * name), open the adapter inside ProtocolBindAdapterEx, make an OID request, close the adapter
 * — each waiting when NDIS pends it —, read their parameters and compare adapter names.
 *
 * Abstract
 *   A binding keeps one PROTOCOL_REQUEST_WAIT (initialized with ProtocolRequestWaitInitialize)
 *   and its NdisBindingHandle. ProtocolOpenAdapter calls NdisOpenAdapterEx for an 802.3
 *   adapter (every frame type) with the binding as ProtocolBindingContext; ProtocolOidRequest
 *   sends one query or set (default port) through NdisOidRequest from the NDIS_OID_REQUEST in
 *   the PROTOCOL_REQUEST_WAIT; ProtocolCloseAdapter calls NdisCloseAdapterEx. When NDIS answers
 *   NDIS_STATUS_PENDING each waits (PASSIVE_LEVEL) until the driver's completion handler
 *   forwards the status with ProtocolOpenCloseCompleted or ProtocolOidCompleted, and returns
 *   that status. One request of each kind at a time per binding (the bind, unbind and PnP
 *   handlers of one binding are not called at once).
 *   ProtocolReadParameter reads a parameter from the binding's table, else the driver's (both
 *   opened with DriverOpenConfiguration). ProtocolAdapterNameToAscii renders an adapter name
 *   for messages and statistics records ('?' for what is not printable ASCII);
 *   ProtocolNameEquals compares two such names ignoring case. ProtocolIgnoreStatus is the
 *   ProtocolStatusEx of a protocol that acts on no status indication.
 *   Written only against <ndis.h>, like the drivers that use it.
 */
#ifndef OPENNDIS_DRIVERS_PROTOCOL_COMMON_H
#define OPENNDIS_DRIVERS_PROTOCOL_COMMON_H

#include <ndis.h>

#include "common/driver_config.h"

typedef struct _PROTOCOL_REQUEST_WAIT {
    NDIS_EVENT OpenCloseEvent;
    NDIS_STATUS OpenCloseStatus;
    NDIS_EVENT OidEvent;
    NDIS_STATUS OidStatus;
    NDIS_OID_REQUEST OidRequest; /* the request in flight; NDIS owns it until it completes */
} PROTOCOL_REQUEST_WAIT, *PPROTOCOL_REQUEST_WAIT;

/* Zeroes Characteristics and fills the header (revision 2), NDIS_PROTOCOL_MAJOR/MINOR_VERSION,
 * driver version 1.0 and Name; the driver then sets its handlers. */
VOID ProtocolInitializeCharacteristics(_Out_ PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS Characteristics,
                                       _In_ PCNDIS_STRING Name);

VOID ProtocolRequestWaitInitialize(_Out_ PPROTOCOL_REQUEST_WAIT Wait);

/* NdisOpenAdapterEx on BindParameters->AdapterName, medium 802.3; *BindingHandle on success. */
NDIS_STATUS
ProtocolOpenAdapter(_In_ NDIS_HANDLE ProtocolHandle, _In_ NDIS_HANDLE ProtocolBindingContext,
                    _In_ NDIS_HANDLE BindContext, _In_ PNDIS_BIND_PARAMETERS BindParameters,
                    _Inout_ PPROTOCOL_REQUEST_WAIT Wait, _Out_ PNDIS_HANDLE BindingHandle);

/* Type is NdisRequestQueryInformation or NdisRequestSetInformation. */
NDIS_STATUS ProtocolOidRequest(_In_ NDIS_HANDLE BindingHandle, _Inout_ PPROTOCOL_REQUEST_WAIT Wait,
                               _In_ NDIS_REQUEST_TYPE Type, _In_ NDIS_OID Oid,
                               _Inout_updates_bytes_(Length) PVOID Buffer, _In_ ULONG Length);

VOID ProtocolCloseAdapter(_In_ NDIS_HANDLE BindingHandle, _Inout_ PPROTOCOL_REQUEST_WAIT Wait);

/* From ProtocolOpenAdapterCompleteEx (its status) and ProtocolCloseAdapterCompleteEx
 * (NDIS_STATUS_SUCCESS). */
VOID ProtocolOpenCloseCompleted(_Inout_ PPROTOCOL_REQUEST_WAIT Wait, _In_ NDIS_STATUS Status);
/* From ProtocolOidRequestComplete. */
VOID ProtocolOidCompleted(_Inout_ PPROTOCOL_REQUEST_WAIT Wait, _In_ NDIS_STATUS Status);

/* The parameter from the binding's table, else the driver's; NULL when neither has it (either
 * handle may be NULL). */
PNDIS_CONFIGURATION_PARAMETER ProtocolReadParameter(_In_opt_ NDIS_HANDLE BindingConfig,
                                                    _In_opt_ NDIS_HANDLE DriverConfig,
                                                    _In_ PNDIS_STRING Keyword,
                                                    _In_ NDIS_PARAMETER_TYPE Type);

/* ASCII lower case; ProtocolNameEquals compares NUL-terminated ASCII names ignoring case. */
CHAR ProtocolLower(_In_ CHAR c);
BOOLEAN ProtocolNameEquals(_In_ PCSTR A, _In_ PCSTR B);

/* ProtocolStatusEx for a protocol that acts on no status indication. */
PROTOCOL_STATUS_EX ProtocolIgnoreStatus;

/* Name (may be NULL: "") as NUL-terminated ASCII in Out (Size bytes), cut to fit. */
VOID ProtocolAdapterNameToAscii(_In_opt_ PCNDIS_STRING Name, _Out_writes_(Size) PCHAR Out,
                                _In_ ULONG Size);

#endif /* OPENNDIS_DRIVERS_PROTOCOL_COMMON_H */
