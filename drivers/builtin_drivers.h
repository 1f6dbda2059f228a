/*
 * builtin_drivers.h — the drivers built into libopenndis.so, by service name.
 *
 * Abstract
 *   Each built-in driver lives in its own folder under drivers/ and is written only against
 *   <ndis.h> in plain C11 (they prove the API). Its DriverEntry has a unique name so that all
 *   of them can be linked into one library; the host loads a built-in driver by calling that
 *   entry point with a DRIVER_OBJECT and a RegistryPath ending in the service name, exactly as
 *   it calls an external driver's DriverEntry.
 *
 *     service    entry point                    kind      folder
 *     null       NullMiniportDriverEntry        miniport  drivers/miniport/null/
 *     loopback   LoopbackMiniportDriverEntry    miniport  drivers/miniport/loopback/
 *     pktgen     PktgenProtocolDriverEntry      protocol  drivers/protocol/pktgen/
 *     afpacket   AfpacketMiniportDriverEntry    miniport  drivers/miniport/afpacket/ (Linux
 *                                                         interface via AF_PACKET rings)
 *     tap        TapMiniportDriverEntry         miniport  drivers/miniport/tap/ (a TAP
 *                                                         interface it creates)
 *     responder  ResponderProtocolDriverEntry   protocol  drivers/protocol/responder/
 *     capture    CaptureProtocolDriverEntry     protocol  drivers/protocol/capture/
 *
 *   Unloading: a miniport's MiniportDriverUnload is its characteristics' UnloadHandler; a
 *   protocol sets DriverObject->DriverUnload. Both deregister the driver. A driver can be
 *   loaded again after it was unloaded, but not twice at once (DriverEntry then fails with
 *   STATUS_UNSUCCESSFUL).
 *
 *   The symbols are hidden in libopenndis.so (the host is inside it); tests reach them through
 *   the openndis_internal archive. Counters: drivers/protocol/pktgen/pktgen.h,
 *   drivers/protocol/responder/responder.h, drivers/protocol/capture/capture.h.
 *
 * Usage (host)
 *     for (ULONG i = 0; i < OpenNdisBuiltinDriverCount; ++i)
 *         if (strcmp(OpenNdisBuiltinDrivers[i].ServiceName, name) == 0)
 *             status = OpenNdisBuiltinDrivers[i].DriverEntry(&driverObject, &registryPath);
 */
#ifndef OPENNDIS_DRIVERS_BUILTIN_DRIVERS_H
#define OPENNDIS_DRIVERS_BUILTIN_DRIVERS_H

#include <ndis/types.h>
#include <ndis/wdm.h>

NDIS_EXTERN_C_BEGIN

typedef struct _OPENNDIS_BUILTIN_DRIVER {
    PCSTR ServiceName;             /* "null", "loopback", "pktgen", "responder", "capture" */
    PDRIVER_INITIALIZE DriverEntry;
} OPENNDIS_BUILTIN_DRIVER, *POPENNDIS_BUILTIN_DRIVER;

DRIVER_INITIALIZE NullMiniportDriverEntry;
DRIVER_INITIALIZE LoopbackMiniportDriverEntry;
DRIVER_INITIALIZE PktgenProtocolDriverEntry;
DRIVER_INITIALIZE AfpacketMiniportDriverEntry;
DRIVER_INITIALIZE TapMiniportDriverEntry;
DRIVER_INITIALIZE ResponderProtocolDriverEntry;
DRIVER_INITIALIZE CaptureProtocolDriverEntry;

extern const OPENNDIS_BUILTIN_DRIVER OpenNdisBuiltinDrivers[];
extern const ULONG OpenNdisBuiltinDriverCount;

NDIS_EXTERN_C_END

#endif /* OPENNDIS_DRIVERS_BUILTIN_DRIVERS_H */
