/*
 * ndis/port.h — NDIS ports: port characteristics, port state, port arrays and the miniport
 * port calls (NdisMAllocatePort, NdisMFreePort, NdisMNetPnPEvent).
 *
 * Abstract
 *   An NDIS 6 miniport adapter always has the default port (NDIS_DEFAULT_PORT_NUMBER, 0). A
 *   miniport that registered with NDIS_MINIPORT_ATTRIBUTES_CONTROLS_DEFAULT_PORT, or that
 *   wants more ports, allocates them with NdisMAllocatePort, which assigns the number in
 *   NDIS_PORT_CHARACTERISTICS.PortNumber. It then announces them with NdisMNetPnPEvent:
 *     NetEventPortActivation:   NET_PNP_EVENT.Buffer -> the first NDIS_PORT of a list linked
 *                               through NDIS_PORT.Next (BufferLength = sizeof(NDIS_PORT));
 *     NetEventPortDeactivation: NET_PNP_EVENT.Buffer -> an array of NDIS_PORT_NUMBER
 *                               (BufferLength = count * sizeof(NDIS_PORT_NUMBER)).
 *   Deactivated ports are released with NdisMFreePort. OID_GEN_ENUMERATE_PORTS answers with an
 *   NDIS_PORT_ARRAY, OID_GEN_PORT_STATE with an NDIS_PORT_STATE, and
 *   OID_GEN_PORT_AUTHENTICATION_PARAMETERS sets an NDIS_PORT_AUTHENTICATION_PARAMETERS.
 *   Layouts are the x64 WDK's (NDIS_PORT_CHARACTERISTICS 0x40 bytes, NDIS_PORT 0x60).
 *
 * Usage
 *     NDIS_PORT_CHARACTERISTICS pc = {0};
 *     pc.Header.Type = NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS;
 *     pc.Header.Revision = NDIS_PORT_CHARACTERISTICS_REVISION_1;
 *     pc.Header.Size = NDIS_SIZEOF_PORT_CHARACTERISTICS_REVISION_1;
 *     pc.Type = NdisPortTypeUndefined;
 *     if (NdisMAllocatePort(AdapterHandle, &pc) == NDIS_STATUS_SUCCESS) use(pc.PortNumber);
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_PORT_H
#define OPENNDIS_NDIS_PORT_H

#include <ndis/types.h>
#include <ndis/constants.h>
#include <ndis/oid.h>
#include <ndis/ndisdriver.h>

NDIS_EXTERN_C_BEGIN

/* Port numbers are 24 bits wide; 0 is the default port. */
#define NDIS_MAXIMUM_PORTS 0x1000000

typedef enum _NDIS_PORT_TYPE {
    NdisPortTypeUndefined,       /* 0 */
    NdisPortTypeBridge,          /* 1 */
    NdisPortTypeRasConnection,   /* 2 */
    NdisPortType8021xSupplicant, /* 3 */
    NdisPortTypeNdisImPlatform,  /* 4: 6.30 */
    NdisPortTypeMax              /* 5 */
} NDIS_PORT_TYPE, *PNDIS_PORT_TYPE;

typedef enum _NDIS_PORT_CONTROL_STATE {
    NdisPortControlStateUnknown,      /* 0 */
    NdisPortControlStateControlled,   /* 1 */
    NdisPortControlStateUncontrolled  /* 2 */
} NDIS_PORT_CONTROL_STATE, *PNDIS_PORT_CONTROL_STATE;
/* The WDK also spells it with a double L. */
typedef NDIS_PORT_CONTROL_STATE NDIS_PORT_CONTROLL_STATE, *PNDIS_PORT_CONTROLL_STATE;

typedef enum _NDIS_PORT_AUTHORIZATION_STATE {
    NdisPortAuthorizationUnknown, /* 0 */
    NdisPortAuthorized,           /* 1 */
    NdisPortUnauthorized,         /* 2 */
    NdisPortReauthorizing         /* 3 */
} NDIS_PORT_AUTHORIZATION_STATE, *PNDIS_PORT_AUTHORIZATION_STATE;

/* ---- OID_GEN_PORT_AUTHENTICATION_PARAMETERS, NDIS_MINIPORT_INIT_PARAMETERS.DefaultPortAuthStates
 *      (x64: 20 bytes; Header.Type = NDIS_OBJECT_TYPE_DEFAULT) ------------------------------ */
#define NDIS_PORT_AUTHENTICATION_PARAMETERS_REVISION_1 1

typedef struct _NDIS_PORT_AUTHENTICATION_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_CONTROL_STATE SendControlState;
    NDIS_PORT_CONTROL_STATE RcvControlState;
    NDIS_PORT_AUTHORIZATION_STATE SendAuthorizationState;
    NDIS_PORT_AUTHORIZATION_STATE RcvAuthorizationState;
} NDIS_PORT_AUTHENTICATION_PARAMETERS, *PNDIS_PORT_AUTHENTICATION_PARAMETERS;

#define NDIS_SIZEOF_PORT_AUTHENTICATION_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PORT_AUTHENTICATION_PARAMETERS, RcvAuthorizationState)

/* ---- NDIS_PORT_CHARACTERISTICS (x64: 0x40 bytes; Header.Type =
 *      NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS) ------------------------------------------------ */
#define NDIS_PORT_CHARACTERISTICS_REVISION_1 1

/* NDIS_PORT_CHARACTERISTICS.Flags: ignore the four control/authorization states below and use
 * the adapter's defaults (NDIS_MINIPORT_INIT_PARAMETERS.DefaultPortAuthStates). */
#define NDIS_PORT_CHAR_USE_DEFAULT_AUTH_SETTINGS 0x00000001

typedef struct _NDIS_PORT_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber; /* out of NdisMAllocatePort */
    ULONG Flags;
    NDIS_PORT_TYPE Type;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NET_IF_DIRECTION_TYPE Direction;
    NDIS_PORT_CONTROL_STATE SendControlState;
    NDIS_PORT_CONTROL_STATE RcvControlState;
    NDIS_PORT_AUTHORIZATION_STATE SendAuthorizationState;
    NDIS_PORT_AUTHORIZATION_STATE RcvAuthorizationState;
} NDIS_PORT_CHARACTERISTICS, *PNDIS_PORT_CHARACTERISTICS;

#define NDIS_SIZEOF_PORT_CHARACTERISTICS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_PORT_CHARACTERISTICS, RcvAuthorizationState)

/* ---- NDIS_PORT: an element of the NetEventPortActivation list (x64: 0x60 bytes) -------- */
typedef struct _NDIS_PORT NDIS_PORT, *PNDIS_PORT;
struct _NDIS_PORT {
    PNDIS_PORT Next;
    PVOID NdisReserved;
    PVOID MiniportReserved;
    PVOID ProtocolReserved;
    NDIS_PORT_CHARACTERISTICS PortCharacteristics;
};

/* ---- OID_GEN_ENUMERATE_PORTS (x64: 0x50 bytes with one element; Header.Type =
 *      NDIS_OBJECT_TYPE_DEFAULT). Element i is at (PUCHAR)a + OffsetFirstPort + i*ElementSize. */
#define NDIS_PORT_ARRAY_REVISION_1 1

typedef struct _NDIS_PORT_ARRAY {
    NDIS_OBJECT_HEADER Header;
    ULONG NumberOfPorts;
    ULONG OffsetFirstPort;
    ULONG ElementSize;
    NDIS_PORT_CHARACTERISTICS Ports[1];
} NDIS_PORT_ARRAY, *PNDIS_PORT_ARRAY;

#define NDIS_SIZEOF_PORT_ARRAY_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_PORT_ARRAY, Ports)

/* ---- OID_GEN_PORT_STATE, NDIS_STATUS_PORT_STATE (x64: 48 bytes; Header.Type =
 *      NDIS_OBJECT_TYPE_DEFAULT) --------------------------------------------------------------- */
#define NDIS_PORT_STATE_REVISION_1 1

typedef struct _NDIS_PORT_STATE {
    NDIS_OBJECT_HEADER Header;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NET_IF_DIRECTION_TYPE Direction;
    NDIS_PORT_CONTROL_STATE SendControlState;
    NDIS_PORT_CONTROL_STATE RcvControlState;
    NDIS_PORT_AUTHORIZATION_STATE SendAuthorizationState;
    NDIS_PORT_AUTHORIZATION_STATE RcvAuthorizationState;
    ULONG Flags;
} NDIS_PORT_STATE, *PNDIS_PORT_STATE;

#define NDIS_SIZEOF_PORT_STATE_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_PORT_STATE, Flags)

/* ---- Miniport port calls ------------------------------------------------------------------ */

/* PASSIVE_LEVEL. Fills PortCharacteristics->PortNumber on success. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMAllocatePort(
    _In_ NDIS_HANDLE NdisMiniportHandle,
    _Inout_ PNDIS_PORT_CHARACTERISTICS PortCharacteristics);

/* PASSIVE_LEVEL. The port must have been deactivated (NetEventPortDeactivation) first. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMFreePort(_In_ NDIS_HANDLE NdisMiniportHandle,
                                                _In_ NDIS_PORT_NUMBER PortNumber);

/* PASSIVE_LEVEL. Forwards a miniport-originated PnP event (port activation/deactivation) to the
 * bound protocols and filters; returns once they have all completed it. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisMNetPnPEvent(
    _In_ NDIS_HANDLE MiniportAdapterHandle,
    _In_ PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_PORT_H */
