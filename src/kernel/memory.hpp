// kernel/memory.hpp — tagged non-paged "pool" memory with per-tag accounting.
//
// Every block the runtime (or, later, a driver through NdisAllocateMemoryWithTagPriority)
// allocates carries a 32-byte header with a magic value, the pool tag and the size, so that
// a free of something that was never allocated is caught, and so that live memory can be
// reported per tag at teardown. Counters are lock-free (a fixed open-addressing table of
// atomics keyed by tag); allocation itself is malloc: this is not on the send hot path.
#pragma once

#include <ndis/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ndis::kernel {

// Returns 16-byte aligned memory, zeroed when `zero`, or nullptr. Counts under `tag`.
void *tagged_alloc(std::size_t size, ULONG tag, bool zero = true) noexcept;

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

} // namespace ndis::kernel
