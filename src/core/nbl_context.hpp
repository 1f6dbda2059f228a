// core/nbl_context.hpp — NdisAllocateNetBufferListContext / NdisFreeNetBufferListContext
// (DS-13 … DS-17).
//
// NBL context space is a stack of NET_BUFFER_LIST_CONTEXT blocks linked through Next, the
// newest first. Each block's used data runs from ContextData + Offset to ContextData + Size.
// Allocating lowers the top block's Offset when it has that much unused space, otherwise pushes
// a new block of size + backfill whose Offset is backfill. Freeing raises Offset and pops a
// block pushed by an allocation once it is entirely unused. The block made when the NBL was
// allocated (the "base" block, remembered in the NBL's private header) is never popped, and
// freeing more than was allocated on it is reported (DS-17).
#pragma once

#include <ndis/nbl.h>

namespace ndis::core {

NDIS_STATUS nbl_context_allocate(PNET_BUFFER_LIST nbl, USHORT size, USHORT backfill,
                                 ULONG tag) noexcept;
void nbl_context_free(PNET_BUFFER_LIST nbl, USHORT size) noexcept;

} // namespace ndis::core
