/*
 * ndis/config.h — reading and writing a driver's configuration (the registry on Windows).
 *
 * Abstract
 *   A miniport opens its adapter's configuration in MiniportInitializeEx with
 *   NdisOpenConfigurationEx (NDIS_CONFIGURATION_OBJECT.NdisHandle = the miniport adapter handle;
 *   a filter passes its filter module handle together with
 *   NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION, or its driver handle), reads keywords with
 *   NdisReadConfiguration and NdisReadNetworkAddress, and closes the handle with
 *   NdisCloseConfiguration. The NDIS_CONFIGURATION_PARAMETER returned by NdisReadConfiguration
 *   belongs to NDIS and stays valid until the configuration handle is closed. Where OpenNDIS
 *   keeps the values (its configuration store standing in for the registry) is the
 *   implementation's business; names, types and semantics are the WDK's. Layouts are x64.
 *
 * Usage
 *     NDIS_CONFIGURATION_OBJECT co = {0};
 *     co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
 *     co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
 *     co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
 *     co.NdisHandle = MiniportAdapterHandle;
 *     if (NdisOpenConfigurationEx(&co, &h) == NDIS_STATUS_SUCCESS) {
 *         NdisReadConfiguration(&st, &p, h, &keyword, NdisParameterInteger);
 *         if (st == NDIS_STATUS_SUCCESS) value = p->ParameterData.IntegerData;
 *         NdisCloseConfiguration(h);
 *     }
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_CONFIG_H
#define OPENNDIS_NDIS_CONFIG_H

#include <ndis/types.h>
#include <ndis/constants.h>

NDIS_EXTERN_C_BEGIN

/* ---- NDIS_CONFIGURATION_OBJECT (x64: 0x18 bytes; Header.Type =
 *      NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT) ------------------------------------------------ */
#define NDIS_CONFIGURATION_OBJECT_REVISION_1 1

/* NDIS_CONFIGURATION_OBJECT.Flags */
#define NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION 0x00000001

typedef struct _NDIS_CONFIGURATION_OBJECT {
    NDIS_OBJECT_HEADER Header;
    NDIS_HANDLE NdisHandle; /* miniport adapter, filter module or driver handle */
    ULONG Flags;
} NDIS_CONFIGURATION_OBJECT, *PNDIS_CONFIGURATION_OBJECT;

#define NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_CONFIGURATION_OBJECT, Flags)

/* ---- Parameters ---------------------------------------------------------------------------- */
typedef enum _NDIS_PARAMETER_TYPE {
    NdisParameterInteger,     /* 0: REG_SZ read as a decimal number -> IntegerData */
    NdisParameterHexInteger,  /* 1: REG_SZ read as a hexadecimal number -> IntegerData */
    NdisParameterString,      /* 2: REG_SZ -> StringData */
    NdisParameterMultiString, /* 3: REG_MULTI_SZ -> StringData (NUL-separated) */
    NdisParameterBinary       /* 4: REG_BINARY -> BinaryData */
} NDIS_PARAMETER_TYPE, *PNDIS_PARAMETER_TYPE;

typedef struct {
    USHORT Length; /* bytes */
    PVOID Buffer;
} BINARY_DATA;

/* x64: 0x18 bytes, ParameterData at 8. */
typedef struct _NDIS_CONFIGURATION_PARAMETER {
    NDIS_PARAMETER_TYPE ParameterType;
    union {
        ULONG IntegerData;
        NDIS_STRING StringData;
        BINARY_DATA BinaryData;
    } ParameterData;
} NDIS_CONFIGURATION_PARAMETER, *PNDIS_CONFIGURATION_PARAMETER;

/* ---- Calls (all PASSIVE_LEVEL) ------------------------------------------------------------- */

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisOpenConfigurationEx(
    _In_ PNDIS_CONFIGURATION_OBJECT ConfigObject,
    _Out_ PNDIS_HANDLE ConfigurationHandle);

/* *ParameterValue belongs to NDIS; valid until NdisCloseConfiguration(ConfigurationHandle). */
NDIS_EXPORTED_ROUTINE VOID NdisReadConfiguration(
    _Out_ PNDIS_STATUS Status,
    _Out_ PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
    _In_ NDIS_HANDLE ConfigurationHandle,
    _In_ PNDIS_STRING Keyword,
    _In_ NDIS_PARAMETER_TYPE ParameterType);

NDIS_EXPORTED_ROUTINE VOID NdisWriteConfiguration(
    _Out_ PNDIS_STATUS Status,
    _In_ NDIS_HANDLE ConfigurationHandle,
    _In_ PNDIS_STRING Keyword,
    _In_ PNDIS_CONFIGURATION_PARAMETER ParameterValue);

/* Also closes the subkey handles opened from it and frees every parameter it returned. */
NDIS_EXPORTED_ROUTINE VOID NdisCloseConfiguration(_In_ NDIS_HANDLE ConfigurationHandle);

/* The "NetworkAddress" keyword (a locally administered MAC address) parsed from hex;
 * *NetworkAddress belongs to NDIS, like NdisReadConfiguration's result. */
NDIS_EXPORTED_ROUTINE VOID NdisReadNetworkAddress(
    _Out_ PNDIS_STATUS Status,
    _Outptr_ PVOID *NetworkAddress,
    _Out_ PUINT NetworkAddressLength,
    _In_ NDIS_HANDLE ConfigurationHandle);

/* Subkeys; the returned handle is closed with NdisCloseConfiguration. */
NDIS_EXPORTED_ROUTINE VOID NdisOpenConfigurationKeyByName(
    _Out_ PNDIS_STATUS Status,
    _In_ NDIS_HANDLE ConfigurationHandle,
    _In_ PNDIS_STRING SubKeyName,
    _Out_ PNDIS_HANDLE SubKeyHandle);

NDIS_EXPORTED_ROUTINE VOID NdisOpenConfigurationKeyByIndex(
    _Out_ PNDIS_STATUS Status,
    _In_ NDIS_HANDLE ConfigurationHandle,
    _In_ ULONG Index,
    _Out_ PNDIS_STRING KeyName,
    _Out_ PNDIS_HANDLE KeyHandle);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_CONFIG_H */
