/*
 * driver_config.c — see driver_config.h.
 */
#include "common/driver_config.h"

NDIS_HANDLE DriverOpenConfiguration(NDIS_HANDLE Handle)
{
    NDIS_CONFIGURATION_OBJECT co;
    NDIS_HANDLE config = NULL;

    NdisZeroMemory(&co, sizeof co);
    co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    co.NdisHandle = Handle;
    return NdisOpenConfigurationEx(&co, &config) == NDIS_STATUS_SUCCESS ? config : NULL;
}
