/*
 * ndis.h — the OpenNDIS driver-facing C API.
 *
 * Abstract
 *   Include this, as on Windows, from any NDIS 6 protocol, filter or miniport driver. The names,
 *   structure layouts and semantics are the WDK's; the implementation is libopenndis.so
 *   (link with -lopenndis). Each topic lives in its own header under ndis/, and each of those
 *   compiles on its own as C11 and as C++20.
 *
 *   ndis/types.h     base types with Windows widths, SAL annotations, helper macros
 *   ndis/status.h    NDIS_STATUS / NTSTATUS codes
 *   ndis/constants.h send/receive/return flags, packet filters, object types, revisions, …
 *   ndis/mdl.h       MDLs and the MDL helpers
 *   ndis/nblinfo.h   NDIS_NET_BUFFER_LIST_INFO slot indices
 *   ndis/nbl.h       NET_BUFFER, NET_BUFFER_LIST and their accessor macros
 *   ndis/nbloob.h    out-of-band info structures (checksum, LSO, 802.1Q, hash, cancel id, …)
 *   ndis/nblapi.h    pools, allocation, retreat/advance, clone/fragment/reassemble
 *   ndis/nblqueue.h  NBL queue and classify helpers (C, with a C++ wrapper)
 *   ndis/irql.h      emulated IRQL, processor numbers
 *   ndis/sync.h      spin locks, read/write locks, interlocked operations
 *   ndis/list.h      LIST_ENTRY / SINGLE_LIST_ENTRY helpers
 *   ndis/memory.h    tagged pool memory, memory helpers, lookaside lists
 *   ndis/strings.h   UNICODE_STRING / ANSI_STRING (UTF-16 WCHAR; u"" literals)
 *   ndis/ntintsafe.h overflow-checked arithmetic, bit helpers
 *   ndis/dpc.h       KDPC on runtime DPC threads
 *   ndis/timer.h     NDIS timer objects, system time, delays
 *   ndis/workitem.h  NDIS I/O work items
 *   ndis/event.h     NDIS_EVENT
 *   ndis/debug.h     DbgPrint, ASSERT, DbgBreakPoint, KeBugCheckEx, event log
 */
#ifndef OPENNDIS_NDIS_H
#define OPENNDIS_NDIS_H

#ifndef NDIS_SUPPORT_NDIS6
#define NDIS_SUPPORT_NDIS6 1
#endif

#include <ndis/types.h>
#include <ndis/status.h>
#include <ndis/constants.h>
#include <ndis/mdl.h>
#include <ndis/nblinfo.h>
#include <ndis/nbl.h>
#include <ndis/nbloob.h>
#include <ndis/nblapi.h>
#include <ndis/nblqueue.h>
#include <ndis/irql.h>
#include <ndis/sync.h>
#include <ndis/list.h>
#include <ndis/memory.h>
#include <ndis/strings.h>
#include <ndis/ntintsafe.h>
#include <ndis/dpc.h>
#include <ndis/timer.h>
#include <ndis/workitem.h>
#include <ndis/event.h>
#include <ndis/debug.h>
#include <ndis/wdm.h>
#include <ndis/oid.h>
#include <ndis/ndisdriver.h>
#include <ndis/port.h>
#include <ndis/config.h>
#include <ndis/miniport.h>
#include <ndis/protocol.h>

#endif /* OPENNDIS_NDIS_H */
