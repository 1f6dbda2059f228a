// api/nbl_pool_api.cpp — extern "C" entry points: pools, NBL/NB/MDL allocation, contexts.
//
// Each entry point is a thin shell (STYLE principle 1): check the arguments the verifier can
// check cheaply, resolve the handle or object to its runtime object, make one call into core,
// return. Rule breaks are reported with the SPEC ID and the documented failure value returned;
// nothing here throws.
#include "core/nbl_context.hpp"
#include "core/nbl_derive.hpp"
#include "core/nb_geometry.hpp"
#include "core/pools.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

using ndis::core::nb_pool;
using ndis::core::nbl_pool;
using ndis::core::object_header;
using ndis::core::object_kind;
using ndis::core::probe_header;
using ndis::verifier::failure;

namespace {

bool context_amount_ok(const char *api, const void *object, USHORT size, USHORT backfill)
{
    if ((size | backfill) % MEMORY_ALLOCATION_ALIGNMENT == 0) {
        return true;
    }
    ndis::verifier::report(failure::nbl_context_unaligned, api, object,
                           "ContextSize {} / ContextBackFill {} are not multiples of "
                           "MEMORY_ALLOCATION_ALIGNMENT (16)",
                           size, backfill);
    return false;
}

nbl_pool *nbl_pool_or_report(const char *api, NDIS_HANDLE handle)
{
    nbl_pool *pool = nbl_pool::from_handle(handle);
    if (pool == nullptr || pool->destroyed()) {
        ndis::verifier::report(failure::pool_invalid_handle, api, handle,
                               "{} is not a live NET_BUFFER_LIST pool handle", handle);
        return nullptr;
    }
    return pool;
}

nb_pool *nb_pool_or_report(const char *api, NDIS_HANDLE handle)
{
    nb_pool *pool = nb_pool::from_handle(handle);
    if (pool == nullptr || pool->destroyed()) {
        ndis::verifier::report(failure::pool_invalid_handle, api, handle,
                               "{} is not a live NET_BUFFER pool handle", handle);
        return nullptr;
    }
    return pool;
}

// MdlChain NULL ⇒ offset = length = 0; otherwise the window must fit the chain (DS-03).
bool chain_window_ok(const char *api, PMDL chain, ULONG offset, SIZE_T length,
                     failure null_with_length = failure::mdl_null_with_length)
{
    if (chain == nullptr) {
        if (offset != 0 || length != 0) {
            ndis::verifier::report(null_with_length, api, nullptr,
                                   "MdlChain is NULL but DataOffset {} / DataLength {} are not 0",
                                   offset, length);
            return false;
        }
        return true;
    }
    if (length > MAXULONG) {
        ndis::verifier::report(failure::nb_data_beyond_chain, api, chain,
                               "DataLength {} does not fit a ULONG (DS-07)", length);
        return false;
    }
    const std::uint64_t bytes = ndis::core::mdl_chain_bytes(chain);
    if (std::uint64_t{offset} + length > bytes) {
        ndis::verifier::report(failure::nb_data_beyond_chain, api, chain,
                               "DataOffset {} + DataLength {} exceeds the MDL chain's {} bytes",
                               offset, length, bytes);
        return false;
    }
    return true;
}

} // namespace

extern "C" {

// ---- NBL pools ------------------------------------------------------------------------------

NDIS_EXPORTED_ROUTINE NDIS_HANDLE
NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, NET_BUFFER_LIST_POOL_PARAMETERS const *Parameters)
{
    nbl_pool *pool = nbl_pool::create(NdisHandle, Parameters);
    return pool != nullptr ? pool->handle() : nullptr;
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle)
{
    constexpr const char *api = "NdisFreeNetBufferListPool";
    nbl_pool *pool = nbl_pool_or_report(api, PoolHandle);
    if (pool == nullptr) {
        return;
    }
    if (pool->internal()) {
        ndis::verifier::report(failure::pool_invalid_handle, api, PoolHandle,
                               "{} is a runtime-owned pool", PoolHandle);
        return;
    }
    pool->destroy(api);
}

NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle,
                                                                 USHORT ContextSize,
                                                                 USHORT ContextBackFill)
{
    constexpr const char *api = "NdisAllocateNetBufferList";
    nbl_pool *pool = nbl_pool_or_report(api, PoolHandle);
    if (pool == nullptr || !context_amount_ok(api, PoolHandle, ContextSize, ContextBackFill)) {
        return nullptr;
    }
    return pool->allocate(ContextSize, ContextBackFill);
}

NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST
NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                      USHORT ContextBackFill, PMDL MdlChain, ULONG DataOffset,
                                      SIZE_T DataLength)
{
    constexpr const char *api = "NdisAllocateNetBufferAndNetBufferList";
    nbl_pool *pool = nbl_pool_or_report(api, PoolHandle);
    if (pool == nullptr || !context_amount_ok(api, PoolHandle, ContextSize, ContextBackFill)) {
        return nullptr;
    }
    if (pool->pool_kind() != ndis::core::nbl_pool_kind::with_nb) {
        ndis::verifier::report(failure::pool_wrong_kind, api, PoolHandle,
                               "{} is not a pool of NBLs with one preallocated NB and no data "
                               "(fAllocateNetBuffer TRUE, DataSize 0)",
                               pool->describe());
        return nullptr;
    }
    if (!chain_window_ok(api, MdlChain, DataOffset, DataLength)) {
        return nullptr;
    }
    PNET_BUFFER_LIST nbl = pool->allocate(ContextSize, ContextBackFill);
    if (nbl != nullptr) {
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        nb->MdlChain = MdlChain;
        nb->DataOffset = DataOffset;
        nb->DataLength = static_cast<ULONG>(DataLength);
        ndis::core::nb_adjust_current(nb);
    }
    return nbl;
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
    constexpr const char *api = "NdisFreeNetBufferList";
    object_header *h = probe_header(NetBufferList, object_kind::nbl);
    if (h == nullptr) {
        ndis::verifier::report(failure::nbl_foreign, api, NetBufferList,
                               "{} is not an NBL allocated from an NDIS pool",
                               static_cast<const void *>(NetBufferList));
        return;
    }
    const bool live = h->state.load(std::memory_order_acquire) == ndis::core::object_state::live;
    switch (live ? ndis::core::derived_kind_of(h) : ndis::core::derived_kind::none) {
    case ndis::core::derived_kind::none: // (a freed NBL goes here too: reported as a double free)
        nbl_pool::free(h, NetBufferList, api);
        return;
    // A derived NBL freed with the plain free would leak its NBs and MDLs: report the wrong
    // API, then free it the right way so that nothing is lost.
    case ndis::core::derived_kind::clone:
        ndis::verifier::report(failure::clone_free_wrong_api, api, NetBufferList,
                               "NBL {} is a clone: free it with NdisFreeCloneNetBufferList",
                               static_cast<const void *>(NetBufferList));
        ndis::core::clone_free(h, NetBufferList, api);
        return;
    case ndis::core::derived_kind::fragment:
        ndis::verifier::report(failure::fragment_free_wrong_api, api, NetBufferList,
                               "NBL {} is a fragment NBL: free it with "
                               "NdisFreeFragmentNetBufferList",
                               static_cast<const void *>(NetBufferList));
        ndis::core::fragment_free(h, NetBufferList, 0, api);
        return;
    case ndis::core::derived_kind::reassembled:
        ndis::verifier::report(failure::reassembly_free_wrong_api, api, NetBufferList,
                               "NBL {} is a reassembled NBL: free it with "
                               "NdisFreeReassembledNetBufferList",
                               static_cast<const void *>(NetBufferList));
        ndis::core::reassembled_free(h, NetBufferList, 0, api);
        return;
    }
}

NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisGetPoolFromNetBufferList(NET_BUFFER_LIST const *NetBufferList)
{
    return NetBufferList->NdisPoolHandle;
}

// ---- NB pools -------------------------------------------------------------------------------

NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle,
                                                            NET_BUFFER_POOL_PARAMETERS const *Parameters)
{
    nb_pool *pool = nb_pool::create(NdisHandle, Parameters);
    return pool != nullptr ? pool->handle() : nullptr;
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle)
{
    constexpr const char *api = "NdisFreeNetBufferPool";
    nb_pool *pool = nb_pool_or_report(api, PoolHandle);
    if (pool == nullptr) {
        return;
    }
    if (pool->internal()) {
        ndis::verifier::report(failure::pool_invalid_handle, api, PoolHandle,
                               "{} is a runtime-owned pool", PoolHandle);
        return;
    }
    pool->destroy(api);
}

NDIS_EXPORTED_ROUTINE PNET_BUFFER NdisAllocateNetBuffer(NDIS_HANDLE PoolHandle, PMDL MdlChain,
                                                        ULONG DataOffset, SIZE_T DataLength)
{
    constexpr const char *api = "NdisAllocateNetBuffer";
    nb_pool *pool = nb_pool_or_report(api, PoolHandle);
    if (pool == nullptr) {
        return nullptr;
    }
    if (pool->data_size() != 0) {
        ndis::verifier::report(failure::nb_pool_wrong_kind, api, PoolHandle,
                               "{} carries data: use NdisAllocateNetBufferMdlAndData",
                               pool->describe());
        return nullptr;
    }
    if (!chain_window_ok(api, MdlChain, DataOffset, DataLength, failure::nb_mdl_null_with_length)) {
        return nullptr;
    }
    return pool->allocate(MdlChain, DataOffset, DataLength);
}

NDIS_EXPORTED_ROUTINE PNET_BUFFER NdisAllocateNetBufferMdlAndData(NDIS_HANDLE PoolHandle)
{
    constexpr const char *api = "NdisAllocateNetBufferMdlAndData";
    nb_pool *pool = nb_pool_or_report(api, PoolHandle);
    if (pool == nullptr) {
        return nullptr;
    }
    if (pool->data_size() == 0) {
        ndis::verifier::report(failure::nb_pool_wrong_kind, api, PoolHandle,
                               "{} has DataSize 0: use NdisAllocateNetBuffer", pool->describe());
        return nullptr;
    }
    return pool->allocate_with_data();
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBuffer(PNET_BUFFER NetBuffer)
{
    constexpr const char *api = "NdisFreeNetBuffer";
    object_header *h = probe_header(NetBuffer, object_kind::nb);
    if (h == nullptr) {
        ndis::verifier::report(failure::nb_foreign, api, NetBuffer,
                               "{} is not an NB allocated from an NDIS pool",
                               static_cast<const void *>(NetBuffer));
        return;
    }
    if (h->flags & ndis::core::kFlagPreallocated) {
        ndis::verifier::report(failure::prealloc_freed_individually, api, NetBuffer,
                               "NB {} was preallocated with NBL {}: NdisFreeNetBufferList frees it",
                               static_cast<const void *>(NetBuffer), h->aux_ptr);
        return;
    }
    nb_pool::free(h, NetBuffer, api);
}

NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisGetPoolFromNetBuffer(NET_BUFFER const *NetBuffer)
{
    return NetBuffer->NdisPoolHandle;
}

// ---- MDLs -----------------------------------------------------------------------------------

NDIS_EXPORTED_ROUTINE PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress,
                                           ULONG Length)
{
    (void)NdisHandle;
    if (VirtualAddress == nullptr && Length != 0) {
        ndis::verifier::report(failure::null_argument, "NdisAllocateMdl", nullptr,
                               "VirtualAddress is NULL with Length {}", Length);
        return nullptr;
    }
    return ndis::core::mdl_allocate(VirtualAddress, Length);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeMdl(PMDL Mdl)
{
    ndis::core::mdl_free(Mdl, "NdisFreeMdl");
}

NDIS_EXPORTED_ROUTINE PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length,
                                         BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PVOID Irp)
{
    (void)SecondaryBuffer;
    (void)ChargeQuota;
    (void)Irp;
    if (VirtualAddress == nullptr && Length != 0) {
        ndis::verifier::report(failure::null_argument, "IoAllocateMdl", nullptr,
                               "VirtualAddress is NULL with Length {}", Length);
        return nullptr;
    }
    PMDL mdl = ndis::core::mdl_allocate(VirtualAddress, Length);
    if (mdl != nullptr) {
        // Io MDLs are not yet "built for non-paged pool" until MmBuildMdlForNonPagedPool; the
        // address is still resolvable (ndis/mdl.h), so drivers that skip the call keep working.
        mdl->MdlFlags = 0;
    }
    return mdl;
}

NDIS_EXPORTED_ROUTINE VOID IoFreeMdl(PMDL Mdl)
{
    ndis::core::mdl_free(Mdl, "IoFreeMdl");
}

// ---- NBL context ----------------------------------------------------------------------------

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList,
                                                                   USHORT ContextSize,
                                                                   USHORT ContextBackFill,
                                                                   ULONG PoolTag)
{
    return ndis::core::nbl_context_allocate(NetBufferList, ContextSize, ContextBackFill, PoolTag);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList,
                                                        USHORT ContextSize)
{
    ndis::core::nbl_context_free(NetBufferList, ContextSize);
}

} // extern "C"
