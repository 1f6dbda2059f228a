// core/nbl_derive.hpp — derived NBLs: clones, fragments, reassembled NBLs, and the OOB copy
// helpers that go with them (SPEC POOL-14 … POOL-21). The decided semantics are written down at
// the top of nbl_derive.cpp.
//
// The extern "C" shells (api/nbl_derive_api.cpp) check the arguments, resolve the pools and call
// one function here; these functions assume valid arguments and do the work: allocate NBL, NBs
// and MDLs, describe the source's bytes (never copy them), and undo everything on failure.
//
// Ownership: a derived NBL and everything hanging off it (its NBs, the MDLs made for them, MDLs
// a retreat added) belong to the caller until it hands the NBL to the matching free function.
// The source NBL, its NBs, MDLs and data are never modified or freed here; the caller keeps the
// source alive while the derived NBL lives (POOL-16).
//
// Usage (from the shells):
//     PNET_BUFFER_LIST c = clone_allocate(orig, nbls, nbs, true, "NdisAllocateCloneNetBufferList");
//     ...
//     clone_free(header_of(c), c, "NdisFreeCloneNetBufferList");
#pragma once

#include "core/object.hpp"
#include "core/pools.hpp"

#include <ndis/nblapi.h>
#include <ndis/nblinfo.h>

#include <cstdint>
#include <span>

namespace ndis::core {

// MDL header flag (object_header::flags of an MDL; flags are per object kind): an MDL made here
// for a derived NB. The free functions release exactly the MDLs that carry it, so MDLs a driver
// linked in (a retreat through its own NetAllocateMdl handler, say) are left to the driver and
// the source's MDLs are never touched. mdl_allocate() clears flags, so a recycled MDL never
// inherits the mark.
inline constexpr std::uint8_t kFlagDerivedMdl = 0x08;
static_assert((kFlagDerivedMdl & (kFlagPreallocated | kFlagOwnsBuffer)) == 0,
              "kFlagDerivedMdl must not collide with the other MDL header flags");

enum class derived_kind : std::uint8_t { none, clone, fragment, reassembled };

// What made the NBL whose header is `h` (from the flags recorded at allocation).
inline derived_kind derived_kind_of(const object_header *h) noexcept
{
    if (h->flags & kFlagClone) {
        return derived_kind::clone;
    }
    if (h->flags & kFlagFragment) {
        return derived_kind::fragment;
    }
    if (h->flags & kFlagReassembled) {
        return derived_kind::reassembled;
    }
    return derived_kind::none;
}

// The NetBufferListInfo slots each copy function copies (documented in nbl_derive.cpp).
inline constexpr NDIS_NET_BUFFER_LIST_INFO kSendInfoSlots[] = {
    TcpIpChecksumNetBufferListInfo,        // 0
    IPsecOffloadV1NetBufferListInfo,       // 1
    TcpLargeSendNetBufferListInfo,         // 2
    Ieee8021QNetBufferListInfo,            // 4
    NetBufferListCancelId,                 // 5
    MediaSpecificInformation,              // 6
    NetBufferListProtocolId,               // 7
    IPsecOffloadV2TunnelNetBufferListInfo, // 11
    IPsecOffloadV2HeaderNetBufferListInfo, // 12
    NetBufferListFilteringInfo,            // 14
    VirtualSubnetInfo,                     // 20
};
inline constexpr NDIS_NET_BUFFER_LIST_INFO kReceiveInfoSlots[] = {
    TcpIpChecksumNetBufferListInfo,        // 0
    IPsecOffloadV1NetBufferListInfo,       // 1
    TcpReceiveNoPush,                      // 2
    Ieee8021QNetBufferListInfo,            // 4
    MediaSpecificInformation,              // 6
    NetBufferListFrameType,                // 7
    NetBufferListHashValue,                // 8
    NetBufferListHashInfo,                 // 9
    IPsecOffloadV2TunnelNetBufferListInfo, // 11
    IPsecOffloadV2HeaderNetBufferListInfo, // 12
    NetBufferListFilteringInfo,            // 14
    VirtualSubnetInfo,                     // 20
};

// Copies NetBufferListInfo[slot] from `src` to `dest` for each listed slot, nothing else.
void copy_info_slots(PNET_BUFFER_LIST dest, const NET_BUFFER_LIST *src,
                     std::span<const NDIS_NET_BUFFER_LIST_INFO> slots) noexcept;

// Used data of an NBL's NBs after skipping `start_offset` bytes of each.
struct data_after_start {
    std::uint64_t total = 0;   // sum over NBs of max(DataLength - start_offset, 0)
    std::uint64_t largest = 0; // largest single such remainder
    std::size_t nbs = 0;       // NBs with a non-empty remainder
};
data_after_start measure_data_after(const NET_BUFFER_LIST *nbl, ULONG start_offset) noexcept;

// NdisAllocateCloneNetBufferList after validation: `nbls` is kind (a) or (b), `nbs` has
// DataSize 0. Null when an allocation failed (nothing leaked) or the source geometry is corrupt
// (reported under `api`).
PNET_BUFFER_LIST clone_allocate(PNET_BUFFER_LIST original, nbl_pool *nbls, nb_pool *nbs,
                                bool use_original_mdls, const char *api) noexcept;
// Frees a live clone (header `h`) according to the flags recorded at allocation.
void clone_free(object_header *h, PNET_BUFFER_LIST clone, const char *api) noexcept;

// NdisAllocateFragmentNetBufferList after validation (maximum_length != 0; the source has data
// after start_offset; fragment length + delta fits a ULONG).
PNET_BUFFER_LIST fragment_allocate(PNET_BUFFER_LIST original, nbl_pool *nbls, nb_pool *nbs,
                                   ULONG start_offset, ULONG maximum_length,
                                   ULONG data_offset_delta, ULONG data_backfill,
                                   const char *api) noexcept;
// Advances every fragment NB by `data_offset_delta` (freeing retreat MDLs), frees it all.
void fragment_free(object_header *h, PNET_BUFFER_LIST fragment, ULONG data_offset_delta,
                   const char *api) noexcept;

// NdisAllocateReassembledNetBufferList after validation: `pool` is kind (b); the source has
// data after start_offset and the total (+ delta) fits a ULONG.
PNET_BUFFER_LIST reassembled_allocate(PNET_BUFFER_LIST fragments, nbl_pool *pool,
                                      ULONG start_offset, ULONG data_offset_delta,
                                      ULONG data_backfill, const char *api) noexcept;
void reassembled_free(object_header *h, PNET_BUFFER_LIST reassembled, ULONG data_offset_delta,
                      const char *api) noexcept;

} // namespace ndis::core
