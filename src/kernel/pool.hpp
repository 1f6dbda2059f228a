// kernel/pool.hpp — the driver-facing pool: NdisAllocateMemory*, ExAllocatePool*, lookaside
// lists. The semantics and verifier checks behind the thin shells in api/kernel_memory_api.cpp.
//
// Allocation gives pool_alloc blocks (kernel/memory.hpp): tagged, accounted per tag and per
// driver. Checks (VER-05): a zero tag is reported (the block is still allocated); a free of
// anything that is not a live pool block is reported and frees nothing; a free with a tag that
// differs from the allocation's is reported and frees the block.
#pragma once

#include <ndis/memory.h>

#include <cstddef>
#include <optional>

namespace ndis::kernel {

void *driver_pool_allocate(const char *api, std::size_t size, ULONG tag, bool zero,
                           std::size_t alignment = 16) noexcept;
// `tag`: the tag the caller says the block has (checked), or nullopt (ExFreePool, NdisFreeMemory).
void driver_pool_free(const char *api, void *block, std::optional<ULONG> tag) noexcept;

// NPAGED_LOOKASIDE_LIST operations (see <ndis/memory.h>).
void lookaside_initialize(NPAGED_LOOKASIDE_LIST *list, PALLOCATE_FUNCTION allocate,
                          PFREE_FUNCTION free, ULONG flags, std::size_t size, ULONG tag,
                          USHORT depth) noexcept;
void *lookaside_allocate(NPAGED_LOOKASIDE_LIST *list) noexcept;
void lookaside_free(NPAGED_LOOKASIDE_LIST *list, void *entry) noexcept;
void lookaside_delete(NPAGED_LOOKASIDE_LIST *list) noexcept;

} // namespace ndis::kernel
