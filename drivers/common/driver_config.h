/*
 * driver_config.h — opening a parameter table, as every built-in driver does: a miniport for its
 * adapter (NdisMiniportHandle), a protocol for itself (its NdisProtocolHandle) and for a binding
 * (its NdisBindingHandle). Written only against <ndis.h>.
 */
#ifndef OPENNDIS_DRIVERS_DRIVER_CONFIG_H
#define OPENNDIS_DRIVERS_DRIVER_CONFIG_H

#include <ndis.h>

/* NdisOpenConfigurationEx on Handle; the configuration handle (for NdisReadConfiguration, closed
 * with NdisCloseConfiguration), or NULL when there is none. */
NDIS_HANDLE DriverOpenConfiguration(_In_ NDIS_HANDLE Handle);

#endif /* OPENNDIS_DRIVERS_DRIVER_CONFIG_H */
