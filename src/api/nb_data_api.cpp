// api/nb_data_api.cpp — extern "C" entry points: NET_BUFFER data access, retreat and advance,
// copy, physical count (SPEC DS-30 … DS-37).
//
// Thin shells (STYLE principle 1): each makes exactly one call into core/nb_ops.hpp, which
// checks the arguments, reports rule breaks with their SPEC IDs and returns the documented
// failure value. Ownership does not move: the caller owns the NB/NBL before, during and after
// each call. IRQL <= DISPATCH_LEVEL; nothing here blocks or throws.
#include "core/nb_ops.hpp"

#include <ndis.h>

extern "C" {

NDIS_EXPORTED_ROUTINE PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded,
                                              PVOID Storage, UINT AlignMultiple,
                                              UINT AlignOffset)
{
    return ndis::core::nb_get_data_buffer(NetBuffer, BytesNeeded, Storage, AlignMultiple,
                                          AlignOffset);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisRetreatNetBufferDataStart(
    PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
    NET_BUFFER_ALLOCATE_MDL *AllocateMdlHandler)
{
    return ndis::core::nb_retreat(NetBuffer, DataOffsetDelta, DataBackFill, AllocateMdlHandler,
                                  "NdisRetreatNetBufferDataStart");
}

NDIS_EXPORTED_ROUTINE VOID NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer,
                                                         ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                                         NET_BUFFER_FREE_MDL *FreeMdlHandler)
{
    ndis::core::nb_advance(NetBuffer, DataOffsetDelta, FreeMdl != FALSE, FreeMdlHandler,
                           "NdisAdvanceNetBufferDataStart");
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisRetreatNetBufferListDataStart(
    PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta, ULONG DataBackFill,
    NET_BUFFER_ALLOCATE_MDL *AllocateMdlHandler, NET_BUFFER_FREE_MDL *FreeMdlHandler)
{
    return ndis::core::nbl_retreat(NetBufferList, DataOffsetDelta, DataBackFill,
                                   AllocateMdlHandler, FreeMdlHandler);
}

NDIS_EXPORTED_ROUTINE VOID NdisAdvanceNetBufferListDataStart(
    PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
    NET_BUFFER_FREE_MDL *FreeMdlMdlHandler)
{
    ndis::core::nbl_advance(NetBufferList, DataOffsetDelta, FreeMdl != FALSE, FreeMdlMdlHandler);
}

NDIS_EXPORTED_ROUTINE VOID NdisAdjustNetBufferCurrentMdl(PNET_BUFFER NetBuffer)
{
    ndis::core::nb_adjust_current_mdl(NetBuffer);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(
    PNET_BUFFER Destination, ULONG DestinationOffset, ULONG BytesToCopy, PNET_BUFFER Source,
    ULONG SourceOffset, PULONG BytesCopied)
{
    return ndis::core::nb_copy(Destination, DestinationOffset, BytesToCopy, Source,
                               SourceOffset, BytesCopied);
}

NDIS_EXPORTED_ROUTINE ULONG NdisQueryNetBufferPhysicalCount(PNET_BUFFER NetBuffer)
{
    return ndis::core::nb_physical_count(NetBuffer);
}

} // extern "C"
