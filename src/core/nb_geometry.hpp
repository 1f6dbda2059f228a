// core/nb_geometry.hpp — MDL-chain arithmetic and the NB/NBL geometry checks (DS-02 … DS-06).
//
// A NET_BUFFER is the window [DataOffset, DataOffset + DataLength) over its MDL chain;
// CurrentMdl / CurrentMdlOffset name the MDL and offset of byte DataOffset. locate() is the one
// place that turns a chain offset into (MDL, offset); everything that moves the data start
// (allocate, retreat, advance, adjust, clone, fragment) goes through it, so they all agree on
// where the first byte lives: in the first MDL that still has bytes at that offset, skipping
// zero-length MDLs; at the very end of the chain, the last MDL at offset ByteCount.
#pragma once

#include <ndis/nbl.h>

#include <cstdint>
#include <string>

namespace ndis::core {

// Longest MDL chain or NB list the checks walk before calling it cyclic or corrupt.
inline constexpr std::size_t kMaxChainWalk = 1u << 20;

inline std::uint64_t mdl_chain_bytes(const MDL *m) noexcept
{
    std::uint64_t total = 0;
    for (std::size_t n = 0; m != nullptr && n < kMaxChainWalk; m = m->Next, ++n) {
        total += m->ByteCount;
    }
    return total;
}

struct mdl_position {
    PMDL mdl;
    ULONG offset;
};

// The MDL holding byte `offset` of the chain (see the file comment for the boundary rule).
// Returns {nullptr, 0} for an empty chain and {nullptr, 0} too when offset lies beyond the end.
inline mdl_position locate(PMDL chain, std::uint64_t offset) noexcept
{
    PMDL m = chain;
    PMDL last = nullptr;
    while (m != nullptr) {
        if (offset < m->ByteCount) {
            return {m, static_cast<ULONG>(offset)};
        }
        offset -= m->ByteCount;
        last = m;
        m = m->Next;
    }
    if (offset == 0 && last != nullptr) {
        return {last, last->ByteCount};
    }
    return {nullptr, 0};
}

// Re-derives CurrentMdl / CurrentMdlOffset from DataOffset (DS-05).
inline void nb_adjust_current(PNET_BUFFER nb) noexcept
{
    const mdl_position p = locate(nb->MdlChain, nb->DataOffset);
    nb->CurrentMdl = p.mdl;
    nb->CurrentMdlOffset = p.offset;
}

// Address of the byte at `pos` (caller guarantees pos.mdl != nullptr).
inline std::uint8_t *mdl_address(const mdl_position &pos) noexcept
{
    return static_cast<std::uint8_t *>(MmGetSystemAddressForMdlSafe(pos.mdl, NormalPagePriority)) +
           pos.offset;
}

// Checks DS-03 / DS-04 for one NB. On failure returns false and says why in `why`.
bool nb_check(const NET_BUFFER *nb, std::string *why);

// Checks every NB of one NBL (and DS-19 flag consistency). On failure says which NB and why.
bool nbl_check(const NET_BUFFER_LIST *nbl, std::string *why);

} // namespace ndis::core
