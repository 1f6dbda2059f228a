// kernel/memory.hpp — tagged non-paged "pool" memory with per-tag accounting.
//
// Every block the runtime (or a driver through NdisAllocateMemoryWithTagPriority) allocates
// carries a 32-byte header with a magic value, the pool tag and the size, so that a free of
// something that was never allocated is caught, and so that live memory can be reported per
// tag at teardown. Counters are lock-free (a fixed open-addressing table of atomics keyed by
// tag); allocation itself is malloc: this is not on the send hot path.
//
// Pool memory handed to drivers (pool_alloc / pool_free: NdisAllocateMemory*, ExAllocatePool*,
// lookaside entries, strings from the Rtl conversions) is also entered in a sharded registry
// that remembers which driver (driver_scope) allocated it. A driver's free is checked against
// the registry before anything is read around the pointer, so a stack address, a malloc'ed
// pointer, a runtime object or a block freed already is reported (VER-05) without touching
// memory that is not ours — ASan stays quiet and nothing is corrupted.
#pragma once

#include <ndis/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ndis::kernel {

struct driver_identity;

// Returns memory aligned to `alignment` (16 or a larger power of two), zeroed when `zero`, or
// nullptr. Counts under `tag`.
void *tagged_alloc(std::size_t size, ULONG tag, bool zero = true,
                   std::size_t alignment = 16) noexcept;

// Frees a block from tagged_alloc. Returns false (and frees nothing) for a foreign pointer.
bool tagged_free(void *block) noexcept;

// True when `block` came from tagged_alloc and is live.
bool tagged_is_live(const void *block) noexcept;

struct memory_totals {
    std::uint64_t blocks = 0;
    std::uint64_t bytes = 0;
};
memory_totals memory_live_totals() noexcept;

// Appends one line per tag with live blocks ("  tag 'Xnbl': 3 blocks, 4096 bytes").
void memory_append_report(std::string &out);

// Renders a tag the way WinDbg does: the four characters in memory order ('lbnX' → "Xnbl").
std::string tag_to_string(ULONG tag);

// ---- Driver pool memory ------------------------------------------------------------------
// A tagged block owned by the current driver (current_driver()), registered as pool memory.
void *pool_alloc(std::size_t size, ULONG tag, bool zero, std::size_t alignment = 16) noexcept;

struct pool_block_info {
    ULONG tag = 0;
    std::size_t size = 0;
    const driver_identity *driver = nullptr;
};

// Frees a block from pool_alloc and returns true (with what it was in *info when not null);
// false, touching nothing, when `block` is not live pool memory.
bool pool_free(void *block, pool_block_info *info = nullptr) noexcept;
bool pool_is_live(const void *block) noexcept;

// Live pool blocks of `driver` (nullptr: blocks allocated outside any driver_scope).
memory_totals pool_live_for(const driver_identity *driver);
// One line per tag with live pool blocks of `driver` ("  tag 'Xnbl': 3 blocks, 4096 bytes").
void pool_append_report(std::string &out, const driver_identity *driver);

} // namespace ndis::kernel
