// core/nbl_context.cpp — see nbl_context.hpp.
#include "core/nbl_context.hpp"

#include "core/object.hpp"
#include "core/pools.hpp"
#include "kernel/memory.hpp"
#include "verifier/verifier.hpp"

#include <ndis/status.h>

namespace ndis::core {

using verifier::failure;

NDIS_STATUS nbl_context_allocate(PNET_BUFFER_LIST nbl, USHORT size, USHORT backfill,
                                 ULONG tag) noexcept
{
    constexpr const char *api = "NdisAllocateNetBufferListContext";
    if (size == 0) {
        // Nothing to allocate: such a request would own no bytes, so a later free could not tell
        // its block from another request's (DS-15 pairs every free with one allocation).
        verifier::report(failure::context_size_unaligned, api, nbl,
                         "ContextSize 0: NdisAllocateNetBufferListContext needs a non-zero size");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (size % sizeof(void *) != 0 || backfill % sizeof(void *) != 0) {
        verifier::report(failure::context_size_unaligned, api, nbl,
                         "ContextSize {} / ContextBackFill {} not multiples of sizeof(PVOID) (8)",
                         size, backfill);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    PNET_BUFFER_LIST_CONTEXT top = nbl->Context;
    if (top != nullptr && top->Offset >= size) {
        top->Offset = static_cast<USHORT>(top->Offset - size);
        return NDIS_STATUS_SUCCESS;
    }
    const unsigned total = unsigned{size} + backfill;
    if (total > 0xFFF0) {
        return NDIS_STATUS_RESOURCES;
    }
    if (slab_pool::fault_should_fail()) {
        return NDIS_STATUS_RESOURCES;
    }
    void *mem = kernel::tagged_alloc(sizeof(NET_BUFFER_LIST_CONTEXT) + total, tag, false);
    if (mem == nullptr) {
        return NDIS_STATUS_RESOURCES;
    }
    g_live_context_blocks.fetch_add(1, std::memory_order_relaxed);
    auto *c = static_cast<PNET_BUFFER_LIST_CONTEXT>(mem);
    c->Next = top;
    c->Size = static_cast<USHORT>(total);
    c->Offset = backfill;
    nbl->Context = c;
    return NDIS_STATUS_SUCCESS;
}

void nbl_context_free(PNET_BUFFER_LIST nbl, USHORT size) noexcept
{
    constexpr const char *api = "NdisFreeNetBufferListContext";
    PNET_BUFFER_LIST_CONTEXT top = nbl->Context;
    if (top == nullptr) {
        verifier::report(failure::context_free_mismatch, api, nbl,
                         "NBL {} has no context to free ({} bytes asked)",
                         static_cast<const void *>(nbl), size);
        return;
    }
    const object_header *h = header_of(nbl);
    const bool is_base = top == h->aux_ptr;
    const unsigned limit = is_base ? h->aux32 : top->Size;
    if (unsigned{top->Offset} + size > limit) {
        if (is_base) {
            verifier::report(failure::context_base_freed, api, nbl,
                             "freeing {} bytes would release context reserved when NBL {} was "
                             "allocated (only {} bytes were added since)",
                             size, static_cast<const void *>(nbl), limit - top->Offset);
        } else {
            verifier::report(failure::context_free_mismatch, api, nbl,
                             "freeing {} bytes but the top context block of NBL {} holds only "
                             "{} used bytes (allocate/free must pair LIFO)",
                             size, static_cast<const void *>(nbl), limit - top->Offset);
        }
        return;
    }
    top->Offset = static_cast<USHORT>(top->Offset + size);
    if (!is_base && top->Offset == top->Size) {
        nbl->Context = top->Next;
        if (kernel::tagged_free(top)) {
            g_live_context_blocks.fetch_sub(1, std::memory_order_relaxed);
        }
    }
}

} // namespace ndis::core
