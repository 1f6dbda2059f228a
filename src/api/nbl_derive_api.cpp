// api/nbl_derive_api.cpp — extern "C" entry points: clone, fragment and reassembled NBLs, and
// NdisCopySend/ReceiveNetBufferListInfo (SPEC POOL-14 … POOL-21).
//
// Thin shells (STYLE principle 1): check what the verifier can check cheaply (NULL and foreign
// NBLs, flags, pool handles and kinds, lengths), resolve the pools, make one call into
// core/nbl_derive, return. A rule break is reported with its SPEC ID and the documented failure
// value (NULL, or nothing freed) returned. The decided semantics are at the top of
// core/nbl_derive.cpp.
//
// Ownership: the source NBL stays the caller's and is not modified; the derived NBL returned is
// the caller's until it passes it to the matching NdisFree…NetBufferList.
#include "core/nbl_derive.hpp"
#include "core/pools.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

#include <algorithm>
#include <cstdint>

using ndis::core::derived_kind;
using ndis::core::nb_pool;
using ndis::core::nbl_pool;
using ndis::core::nbl_pool_kind;
using ndis::core::object_header;
using ndis::core::object_kind;
using ndis::core::object_state;
using ndis::core::probe_header;
using ndis::verifier::failure;

namespace {

// A source NBL: non-NULL, made by a pool, allocated (DS-27).
bool source_ok(const char *api, const NET_BUFFER_LIST *nbl)
{
    if (nbl == nullptr) {
        ndis::verifier::report(failure::null_argument, api, nullptr,
                               "OriginalNetBufferList is NULL");
        return false;
    }
    const object_header *h = probe_header(nbl, object_kind::nbl);
    if (h == nullptr) {
        ndis::verifier::report(failure::nbl_foreign, api, nbl,
                               "{} is not an NBL allocated from an NDIS pool",
                               static_cast<const void *>(nbl));
        return false;
    }
    if (h->state.load(std::memory_order_acquire) != object_state::live) {
        ndis::verifier::report(failure::nbl_foreign, api, nbl,
                               "{} is not an allocated NBL (already freed?)",
                               static_cast<const void *>(nbl));
        return false;
    }
    return true;
}

// A derived NBL given to one of the free functions: live, and made by the matching allocator.
// Returns its header, or reports and returns nullptr (the caller then frees nothing).
object_header *derived_or_report(const char *api, PNET_BUFFER_LIST nbl, derived_kind want,
                                 failure wrong_api, const char *allocator)
{
    if (nbl == nullptr) {
        ndis::verifier::report(failure::null_argument, api, nullptr, "NET_BUFFER_LIST is NULL");
        return nullptr;
    }
    object_header *h = probe_header(nbl, object_kind::nbl);
    if (h == nullptr) {
        ndis::verifier::report(failure::nbl_foreign, api, nbl,
                               "{} is not an NBL allocated from an NDIS pool",
                               static_cast<const void *>(nbl));
        return nullptr;
    }
    if (h->state.load(std::memory_order_acquire) != object_state::live) {
        ndis::verifier::report(failure::nbl_double_free, api, nbl,
                               "NBL {} is not allocated (freed twice, or never allocated)",
                               static_cast<const void *>(nbl));
        return nullptr;
    }
    const derived_kind kind = ndis::core::derived_kind_of(h);
    if (kind != want) {
        const char *what = kind == derived_kind::clone      ? "a clone"
                           : kind == derived_kind::fragment ? "a fragment NBL"
                           : kind == derived_kind::reassembled
                               ? "a reassembled NBL"
                               : "an ordinary pool NBL";
        ndis::verifier::report(wrong_api, api, nbl,
                               "NBL {} was not allocated by {} (it is {}): nothing freed",
                               static_cast<const void *>(nbl), allocator, what);
        return nullptr;
    }
    return h;
}

// The NBL pool of a clone or fragment: NULL → the runtime's kind-(a) pool; kinds (a), (b).
nbl_pool *derive_nbl_pool(const char *api, NDIS_HANDLE handle)
{
    if (handle == nullptr) {
        return nbl_pool::runtime_bare();
    }
    nbl_pool *pool = nbl_pool::from_handle(handle);
    if (pool == nullptr || pool->destroyed()) {
        ndis::verifier::report(failure::pool_invalid_handle, api, handle,
                               "{} is not a live NET_BUFFER_LIST pool handle", handle);
        return nullptr;
    }
    if (pool->pool_kind() == nbl_pool_kind::with_data) {
        ndis::verifier::report(failure::pool_wrong_kind, api, handle,
                               "{} preallocates data: a derived NBL describes the source's data; "
                               "use a pool with DataSize 0",
                               pool->describe());
        return nullptr;
    }
    return pool;
}

// The NB pool of a clone or fragment: NULL → the runtime's NB pool; DataSize must be 0.
nb_pool *derive_nb_pool(const char *api, NDIS_HANDLE handle)
{
    if (handle == nullptr) {
        return nb_pool::runtime_pool();
    }
    nb_pool *pool = nb_pool::from_handle(handle);
    if (pool == nullptr || pool->destroyed()) {
        ndis::verifier::report(failure::pool_invalid_handle, api, handle,
                               "{} is not a live NET_BUFFER pool handle", handle);
        return nullptr;
    }
    if (pool->data_size() != 0) {
        ndis::verifier::report(failure::nb_pool_wrong_kind, api, handle,
                               "{} preallocates data: a derived NB describes the source's data; "
                               "use a pool with DataSize 0",
                               pool->describe());
        return nullptr;
    }
    return pool;
}

bool copy_args_ok(const char *api, const NET_BUFFER_LIST *dest, const NET_BUFFER_LIST *src)
{
    if (dest == nullptr || src == nullptr) {
        ndis::verifier::report(failure::null_argument, api, dest == nullptr ? src : dest,
                               "{} is NULL",
                               dest == nullptr ? "DestNetBufferList" : "SrcNetBufferList");
        return false;
    }
    return true;
}

} // namespace

extern "C" {

// ---- clones (POOL-14, POOL-15) -----------------------------------------------------------

NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateCloneNetBufferList(
    PNET_BUFFER_LIST OriginalNetBufferList, NDIS_HANDLE NetBufferListPoolHandle,
    NDIS_HANDLE NetBufferPoolHandle, ULONG AllocateCloneFlags)
{
    constexpr const char *api = "NdisAllocateCloneNetBufferList";
    if (!source_ok(api, OriginalNetBufferList)) {
        return nullptr;
    }
    if (AllocateCloneFlags & ~static_cast<ULONG>(NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)) {
        ndis::verifier::report(failure::clone_bad_flags, api, OriginalNetBufferList,
                               "AllocateCloneFlags 0x{:x} has bits other than "
                               "NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS (0x2) set",
                               AllocateCloneFlags);
        return nullptr;
    }
    nbl_pool *nbls = derive_nbl_pool(api, NetBufferListPoolHandle);
    if (nbls == nullptr) {
        return nullptr;
    }
    nb_pool *nbs = derive_nb_pool(api, NetBufferPoolHandle);
    if (nbs == nullptr) {
        return nullptr;
    }
    return ndis::core::clone_allocate(
        OriginalNetBufferList, nbls, nbs,
        (AllocateCloneFlags & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) != 0, api);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeCloneNetBufferList(PNET_BUFFER_LIST CloneNetBufferList,
                                                      ULONG FreeCloneFlags)
{
    constexpr const char *api = "NdisFreeCloneNetBufferList";
    object_header *h = derived_or_report(api, CloneNetBufferList, derived_kind::clone,
                                         failure::clone_free_wrong_api,
                                         "NdisAllocateCloneNetBufferList");
    if (h == nullptr) {
        return;
    }
    const ULONG recorded =
        (h->flags & ndis::core::kFlagCloneOriginalMdls) ? NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS : 0;
    if (FreeCloneFlags != recorded) {
        ndis::verifier::report(failure::clone_flags_mismatch, api, CloneNetBufferList,
                               "FreeCloneFlags 0x{:x} differ from the AllocateCloneFlags 0x{:x} of "
                               "clone {}: freed according to the allocation's flags",
                               FreeCloneFlags, recorded,
                               static_cast<const void *>(CloneNetBufferList));
    }
    ndis::core::clone_free(h, CloneNetBufferList, api);
}

// ---- fragments (POOL-18, POOL-19) --------------------------------------------------------

NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateFragmentNetBufferList(
    PNET_BUFFER_LIST OriginalNetBufferList, NDIS_HANDLE NetBufferListPool,
    NDIS_HANDLE NetBufferPool, ULONG StartOffset, ULONG MaximumLength, ULONG DataOffsetDelta,
    ULONG DataBackFill, ULONG AllocateFragmentFlags)
{
    constexpr const char *api = "NdisAllocateFragmentNetBufferList";
    if (!source_ok(api, OriginalNetBufferList)) {
        return nullptr;
    }
    if (AllocateFragmentFlags != 0 || MaximumLength == 0) {
        ndis::verifier::report(failure::fragment_bad_parameters, api, OriginalNetBufferList,
                               "AllocateFragmentFlags 0x{:x} (must be 0), MaximumLength {} "
                               "(must not be 0)",
                               AllocateFragmentFlags, MaximumLength);
        return nullptr;
    }
    if (std::uint64_t{DataOffsetDelta} + DataBackFill > MAXULONG) {
        ndis::verifier::report(failure::fragment_bad_parameters, api, OriginalNetBufferList,
                               "DataOffsetDelta {} + DataBackFill {} does not fit a ULONG",
                               DataOffsetDelta, DataBackFill);
        return nullptr;
    }
    nbl_pool *nbls = derive_nbl_pool(api, NetBufferListPool);
    if (nbls == nullptr) {
        return nullptr;
    }
    nb_pool *nbs = derive_nb_pool(api, NetBufferPool);
    if (nbs == nullptr) {
        return nullptr;
    }
    const ndis::core::data_after_start d =
        ndis::core::measure_data_after(OriginalNetBufferList, StartOffset);
    if (d.nbs == 0) {
        ndis::verifier::report(failure::fragment_bad_parameters, api, OriginalNetBufferList,
                               "no NB of NBL {} has data after StartOffset {}: nothing to "
                               "fragment",
                               static_cast<const void *>(OriginalNetBufferList), StartOffset);
        return nullptr;
    }
    const std::uint64_t longest = std::min<std::uint64_t>(d.largest, MaximumLength);
    if (longest + DataOffsetDelta > MAXULONG) {
        ndis::verifier::report(failure::fragment_bad_parameters, api, OriginalNetBufferList,
                               "a {}-byte fragment retreated by DataOffsetDelta {} would not fit "
                               "DataLength (ULONG)",
                               longest, DataOffsetDelta);
        return nullptr;
    }
    return ndis::core::fragment_allocate(OriginalNetBufferList, nbls, nbs, StartOffset,
                                         MaximumLength, DataOffsetDelta, DataBackFill, api);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeFragmentNetBufferList(PNET_BUFFER_LIST FragmentNetBufferList,
                                                         ULONG DataOffsetDelta,
                                                         ULONG FreeFragmentFlags)
{
    constexpr const char *api = "NdisFreeFragmentNetBufferList";
    object_header *h = derived_or_report(api, FragmentNetBufferList, derived_kind::fragment,
                                         failure::fragment_free_wrong_api,
                                         "NdisAllocateFragmentNetBufferList");
    if (h == nullptr) {
        return;
    }
    if (FreeFragmentFlags != 0) {
        ndis::verifier::report(failure::fragment_bad_parameters, api, FragmentNetBufferList,
                               "FreeFragmentFlags 0x{:x} must be 0 (freed anyway)",
                               FreeFragmentFlags);
    }
    ndis::core::fragment_free(h, FragmentNetBufferList, DataOffsetDelta, api);
}

// ---- reassembly (POOL-20) ----------------------------------------------------------------

NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateReassembledNetBufferList(
    PNET_BUFFER_LIST FragmentNetBufferList, NDIS_HANDLE NetBufferAndNetBufferListPoolHandle,
    ULONG StartOffset, ULONG DataOffsetDelta, ULONG DataBackFill, ULONG AllocateReassembleFlags)
{
    constexpr const char *api = "NdisAllocateReassembledNetBufferList";
    if (!source_ok(api, FragmentNetBufferList)) {
        return nullptr;
    }
    if (AllocateReassembleFlags != 0) {
        ndis::verifier::report(failure::reassembly_bad_parameters, api, FragmentNetBufferList,
                               "AllocateReassembleFlags 0x{:x} must be 0",
                               AllocateReassembleFlags);
        return nullptr;
    }
    if (std::uint64_t{DataOffsetDelta} + DataBackFill > MAXULONG) {
        ndis::verifier::report(failure::reassembly_bad_parameters, api, FragmentNetBufferList,
                               "DataOffsetDelta {} + DataBackFill {} does not fit a ULONG",
                               DataOffsetDelta, DataBackFill);
        return nullptr;
    }
    nbl_pool *pool = nbl_pool::runtime_with_nb();
    if (NetBufferAndNetBufferListPoolHandle != nullptr) {
        pool = nbl_pool::from_handle(NetBufferAndNetBufferListPoolHandle);
        if (pool == nullptr || pool->destroyed()) {
            ndis::verifier::report(failure::pool_invalid_handle, api,
                                   NetBufferAndNetBufferListPoolHandle,
                                   "{} is not a live NET_BUFFER_LIST pool handle",
                                   NetBufferAndNetBufferListPoolHandle);
            return nullptr;
        }
        if (pool->pool_kind() != nbl_pool_kind::with_nb) {
            ndis::verifier::report(failure::reassembly_bad_parameters, api,
                                   NetBufferAndNetBufferListPoolHandle,
                                   "{} is not a pool of NBLs with one preallocated NB and no "
                                   "data (fAllocateNetBuffer TRUE, DataSize 0)",
                                   pool->describe());
            return nullptr;
        }
    }
    const ndis::core::data_after_start d =
        ndis::core::measure_data_after(FragmentNetBufferList, StartOffset);
    if (d.nbs == 0) {
        ndis::verifier::report(failure::reassembly_bad_parameters, api, FragmentNetBufferList,
                               "no NB of NBL {} has data after StartOffset {}: nothing to "
                               "reassemble",
                               static_cast<const void *>(FragmentNetBufferList), StartOffset);
        return nullptr;
    }
    if (d.total + DataOffsetDelta > MAXULONG) {
        ndis::verifier::report(failure::reassembly_bad_parameters, api, FragmentNetBufferList,
                               "{} reassembled bytes + DataOffsetDelta {} would not fit "
                               "DataLength (ULONG)",
                               d.total, DataOffsetDelta);
        return nullptr;
    }
    return ndis::core::reassembled_allocate(FragmentNetBufferList, pool, StartOffset,
                                            DataOffsetDelta, DataBackFill, api);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeReassembledNetBufferList(
    PNET_BUFFER_LIST ReassembledNetBufferList, ULONG DataOffsetDelta, ULONG FreeReassembleFlags)
{
    constexpr const char *api = "NdisFreeReassembledNetBufferList";
    object_header *h = derived_or_report(api, ReassembledNetBufferList,
                                         derived_kind::reassembled,
                                         failure::reassembly_free_wrong_api,
                                         "NdisAllocateReassembledNetBufferList");
    if (h == nullptr) {
        return;
    }
    if (FreeReassembleFlags != 0) {
        ndis::verifier::report(failure::reassembly_bad_parameters, api, ReassembledNetBufferList,
                               "FreeReassembleFlags 0x{:x} must be 0 (freed anyway)",
                               FreeReassembleFlags);
    }
    ndis::core::reassembled_free(h, ReassembledNetBufferList, DataOffsetDelta, api);
}

// ---- OOB copies (POOL-21) ----------------------------------------------------------------

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCopySendNetBufferListInfo(PNET_BUFFER_LIST DestNetBufferList,
                                                                PNET_BUFFER_LIST SrcNetBufferList)
{
    if (!copy_args_ok("NdisCopySendNetBufferListInfo", DestNetBufferList, SrcNetBufferList)) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    ndis::core::copy_info_slots(DestNetBufferList, SrcNetBufferList,
                                ndis::core::kSendInfoSlots);
    return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCopyReceiveNetBufferListInfo(
    PNET_BUFFER_LIST DestNetBufferList, PNET_BUFFER_LIST SrcNetBufferList)
{
    if (!copy_args_ok("NdisCopyReceiveNetBufferListInfo", DestNetBufferList, SrcNetBufferList)) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    ndis::core::copy_info_slots(DestNetBufferList, SrcNetBufferList,
                                ndis::core::kReceiveInfoSlots);
    return NDIS_STATUS_SUCCESS;
}

} // extern "C"
