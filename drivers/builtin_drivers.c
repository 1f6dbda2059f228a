/*
 * builtin_drivers.c — the table of builtin_drivers.h.
 */
#include "builtin_drivers.h"

const OPENNDIS_BUILTIN_DRIVER OpenNdisBuiltinDrivers[] = {
    {"null", NullMiniportDriverEntry},
    {"loopback", LoopbackMiniportDriverEntry},
    {"pktgen", PktgenProtocolDriverEntry},
    {"afpacket", AfpacketMiniportDriverEntry},
    {"tap", TapMiniportDriverEntry},
    {"responder", ResponderProtocolDriverEntry},
    {"capture", CaptureProtocolDriverEntry},
};

const ULONG OpenNdisBuiltinDriverCount =
    (ULONG)(sizeof(OpenNdisBuiltinDrivers) / sizeof(OpenNdisBuiltinDrivers[0]));
