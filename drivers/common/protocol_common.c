/*
 * protocol_common.c — see protocol_common.h.
 */
#include "common/protocol_common.h"

VOID ProtocolInitializeCharacteristics(PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS Characteristics,
                                       PCNDIS_STRING Name)
{
    NdisZeroMemory(Characteristics, sizeof *Characteristics);
    Characteristics->Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    Characteristics->Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics->Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    Characteristics->MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    Characteristics->MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    Characteristics->MajorDriverVersion = 1;
    Characteristics->MinorDriverVersion = 0;
    Characteristics->Name = *Name;
}

VOID ProtocolRequestWaitInitialize(PPROTOCOL_REQUEST_WAIT Wait)
{
    NdisZeroMemory(Wait, sizeof *Wait);
    NdisInitializeEvent(&Wait->OpenCloseEvent);
    NdisInitializeEvent(&Wait->OidEvent);
}

NDIS_STATUS ProtocolOpenAdapter(NDIS_HANDLE ProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
                                NDIS_HANDLE BindContext, PNDIS_BIND_PARAMETERS BindParameters,
                                PPROTOCOL_REQUEST_WAIT Wait, PNDIS_HANDLE BindingHandle)
{
    NDIS_OPEN_PARAMETERS open;
    NDIS_MEDIUM media[1] = {NdisMedium802_3};
    UINT selected = 0;
    NDIS_STATUS status;

    NdisZeroMemory(&open, sizeof open);
    open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    open.AdapterName = BindParameters->AdapterName;
    open.MediumArray = media;
    open.MediumArraySize = 1;
    open.SelectedMediumIndex = &selected;
    open.FrameTypeArray = NULL; /* every frame type */
    open.FrameTypeArraySize = 0;
    NdisResetEvent(&Wait->OpenCloseEvent);
    status = NdisOpenAdapterEx(ProtocolHandle, ProtocolBindingContext, &open, BindContext,
                               BindingHandle);
    if (status == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&Wait->OpenCloseEvent, 0);
        status = Wait->OpenCloseStatus;
    }
    return status;
}

NDIS_STATUS ProtocolOidRequest(NDIS_HANDLE BindingHandle, PPROTOCOL_REQUEST_WAIT Wait,
                               NDIS_REQUEST_TYPE Type, NDIS_OID Oid, PVOID Buffer, ULONG Length)
{
    PNDIS_OID_REQUEST request = &Wait->OidRequest;
    NDIS_STATUS status;

    NdisZeroMemory(request, sizeof *request);
    request->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    request->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    request->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    request->RequestType = Type;
    request->PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    if (Type == NdisRequestQueryInformation) {
        request->DATA.QUERY_INFORMATION.Oid = Oid;
        request->DATA.QUERY_INFORMATION.InformationBuffer = Buffer;
        request->DATA.QUERY_INFORMATION.InformationBufferLength = Length;
    } else {
        request->DATA.SET_INFORMATION.Oid = Oid;
        request->DATA.SET_INFORMATION.InformationBuffer = Buffer;
        request->DATA.SET_INFORMATION.InformationBufferLength = Length;
    }
    NdisResetEvent(&Wait->OidEvent);
    status = NdisOidRequest(BindingHandle, request);
    if (status == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&Wait->OidEvent, 0);
        status = Wait->OidStatus;
    }
    return status;
}

VOID ProtocolCloseAdapter(NDIS_HANDLE BindingHandle, PPROTOCOL_REQUEST_WAIT Wait)
{
    NdisResetEvent(&Wait->OpenCloseEvent);
    if (NdisCloseAdapterEx(BindingHandle) == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&Wait->OpenCloseEvent, 0);
    }
}

VOID ProtocolOpenCloseCompleted(PPROTOCOL_REQUEST_WAIT Wait, NDIS_STATUS Status)
{
    Wait->OpenCloseStatus = Status;
    NdisSetEvent(&Wait->OpenCloseEvent);
}

VOID ProtocolOidCompleted(PPROTOCOL_REQUEST_WAIT Wait, NDIS_STATUS Status)
{
    Wait->OidStatus = Status;
    NdisSetEvent(&Wait->OidEvent);
}

PNDIS_CONFIGURATION_PARAMETER ProtocolReadParameter(NDIS_HANDLE BindingConfig,
                                                    NDIS_HANDLE DriverConfig, PNDIS_STRING Keyword,
                                                    NDIS_PARAMETER_TYPE Type)
{
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER value = NULL;

    if (BindingConfig != NULL) {
        NdisReadConfiguration(&status, &value, BindingConfig, Keyword, Type);
        if (status == NDIS_STATUS_SUCCESS) {
            return value;
        }
    }
    if (DriverConfig != NULL) {
        NdisReadConfiguration(&status, &value, DriverConfig, Keyword, Type);
        if (status == NDIS_STATUS_SUCCESS) {
            return value;
        }
    }
    return NULL;
}

VOID ProtocolAdapterNameToAscii(PCNDIS_STRING Name, PCHAR Out, ULONG Size)
{
    ULONG i;

    for (i = 0; Name != NULL && i + 1 < Size && i < Name->Length / sizeof(WCHAR); ++i) {
        const WCHAR c = Name->Buffer[i];
        Out[i] = (c >= 0x20 && c < 0x7F) ? (CHAR)c : '?';
    }
    Out[i] = '\0';
}

CHAR ProtocolLower(CHAR c)
{
    return (c >= 'A' && c <= 'Z') ? (CHAR)(c - 'A' + 'a') : c;
}

BOOLEAN ProtocolNameEquals(PCSTR A, PCSTR B)
{
    while (*A != '\0' && ProtocolLower(*A) == ProtocolLower(*B)) {
        ++A;
        ++B;
    }
    return *A == '\0' && *B == '\0';
}

VOID ProtocolIgnoreStatus(NDIS_HANDLE ProtocolBindingContext,
                          PNDIS_STATUS_INDICATION StatusIndication)
{
    UNREFERENCED_PARAMETER(ProtocolBindingContext);
    UNREFERENCED_PARAMETER(StatusIndication);
}
