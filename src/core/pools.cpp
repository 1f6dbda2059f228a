// core/pools.cpp — see pools.hpp.
#include "core/pools.hpp"

#include "core/nb_geometry.hpp"
#include "kernel/irql.hpp"
#include "kernel/memory.hpp"
#include "verifier/verifier.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <new>
#include <set>

namespace ndis::core {

std::atomic<std::int64_t> g_live_context_blocks{0};
std::atomic<std::int64_t> g_live_buffer_mdls{0};

namespace {

using verifier::failure;

constexpr std::size_t kContextHeader = sizeof(NET_BUFFER_LIST_CONTEXT); // 16
static_assert(kContextHeader == 16);

std::size_t align16(std::size_t v)
{
    return (v + 15) & ~std::size_t{15};
}

// ---- registry of live pools (for accounting and leak reports) ---------------------------
struct registry {
    std::mutex lock;
    std::set<nbl_pool *> nbl_pools;
    std::set<nb_pool *> nb_pools;
};
registry &pools()
{
    static registry *r = new registry; // never destroyed: pools may outlive static destruction
    return *r;
}

// ---- the MDL slab pool ---------------------------------------------------------------------
class mdl_slab final : public slab_pool {
public:
    mdl_slab() : slab_pool(object_kind::mdl, sizeof(MDL), false) {}

protected:
    void construct_element(object_header *) noexcept override {}
};

mdl_slab &mdls()
{
    static mdl_slab *pool = new mdl_slab; // process lifetime
    return *pool;
}

// Writes the fixed part of a context block and returns it.
PNET_BUFFER_LIST_CONTEXT make_context(void *memory, USHORT size, USHORT offset)
{
    auto *c = static_cast<PNET_BUFFER_LIST_CONTEXT>(memory);
    c->Next = nullptr;
    c->Size = size;
    c->Offset = offset;
    return c;
}

} // namespace

void mdl_describe(PMDL mdl, void *va, ULONG length) noexcept
{
    mdl->Next = nullptr;
    mdl->Size = static_cast<CSHORT>(sizeof(MDL));
    mdl->MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL | MDL_ALLOCATED_FIXED_SIZE;
    mdl->Process = nullptr;
    mdl->MappedSystemVa = va;
    mdl->StartVa = PAGE_ALIGN(va);
    mdl->ByteOffset = BYTE_OFFSET(va);
    mdl->ByteCount = length;
}

// ================================ nbl_pool ===================================================

nbl_pool::nbl_pool(NDIS_HANDLE owner, const NET_BUFFER_LIST_POOL_PARAMETERS &p, bool verify,
                   bool internal)
    : slab_pool(object_kind::nbl,
                [&p] {
                    // Everything after the primary header: NBL [, hdr NB][, hdr MDL][, ctx][, data]
                    std::size_t n = sizeof(NET_BUFFER_LIST);
                    if (p.fAllocateNetBuffer) {
                        n += sizeof(object_header) + sizeof(NET_BUFFER);
                        if (p.DataSize != 0) {
                            n += sizeof(object_header) + sizeof(MDL);
                        }
                    }
                    if (p.ContextSize != 0) {
                        n += align16(kContextHeader + p.ContextSize);
                    }
                    return n + align16(p.DataSize);
                }(),
                verify),
      creator_(kernel::current_driver()), owner_(owner),
      kind_(!p.fAllocateNetBuffer ? nbl_pool_kind::bare
            : p.DataSize == 0     ? nbl_pool_kind::with_nb
                                  : nbl_pool_kind::with_data),
      protocol_id_(p.ProtocolId), context_size_(p.ContextSize), tag_(p.PoolTag),
      data_size_(p.DataSize), internal_(internal)
{
    std::size_t off = sizeof(object_header) + sizeof(NET_BUFFER_LIST);
    if (kind_ != nbl_pool_kind::bare) {
        nb_header_off_ = off;
        off += sizeof(object_header) + sizeof(NET_BUFFER);
        if (kind_ == nbl_pool_kind::with_data) {
            mdl_header_off_ = off;
            off += sizeof(object_header) + sizeof(MDL);
        }
    }
    if (context_size_ != 0) {
        context_off_ = off;
        off += align16(kContextHeader + context_size_);
    }
    if (data_size_ != 0) {
        data_off_ = off;
    }
    std::lock_guard<std::mutex> guard(pools().lock);
    pools().nbl_pools.insert(this);
}

nbl_pool::~nbl_pool()
{
    std::lock_guard<std::mutex> guard(pools().lock);
    pools().nbl_pools.erase(this);
}

void nbl_pool::construct_element(object_header *primary) noexcept
{
    auto *base = reinterpret_cast<std::byte *>(primary);
    if (nb_header_off_ != 0) {
        auto *h = reinterpret_cast<object_header *>(base + nb_header_off_);
        init_header(h, this, object_kind::nb, kFlagPreallocated);
        h->aux_ptr = object_after<NET_BUFFER_LIST>(primary);
    }
    if (mdl_header_off_ != 0) {
        auto *h = reinterpret_cast<object_header *>(base + mdl_header_off_);
        init_header(h, this, object_kind::mdl, kFlagPreallocated);
        h->aux_ptr = object_after<NET_BUFFER_LIST>(primary);
    }
}

nbl_pool *nbl_pool::create(NDIS_HANDLE owner, const NET_BUFFER_LIST_POOL_PARAMETERS *p,
                           bool internal) noexcept
{
    constexpr const char *api = "NdisAllocateNetBufferListPool";
    if (p == nullptr) {
        verifier::report(failure::null_argument, api, nullptr, "Parameters is NULL");
        return nullptr;
    }
    if (p->Header.Type != NDIS_OBJECT_TYPE_DEFAULT ||
        (p->Header.Revision != NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 &&
         p->Header.Revision != NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2) ||
        p->Header.Size < NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 ||
        (p->Header.Revision == NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 &&
         p->Header.Size < NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2)) {
        verifier::report(failure::pool_bad_header, api, p,
                         "Header {{Type 0x{:02x}, Revision {}, Size {}}} is not "
                         "{{NDIS_OBJECT_TYPE_DEFAULT 0x80, revision 1 (size >= {}) or 2 (size >= {})}}",
                         p->Header.Type, p->Header.Revision, p->Header.Size,
                         NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
                         NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2);
        return nullptr;
    }
    if (p->ContextSize % MEMORY_ALLOCATION_ALIGNMENT != 0) {
        verifier::report(failure::pool_bad_parameters, api, p,
                         "ContextSize {} is not a multiple of MEMORY_ALLOCATION_ALIGNMENT (16)",
                         p->ContextSize);
        return nullptr;
    }
    if (!p->fAllocateNetBuffer && p->DataSize != 0) {
        verifier::report(failure::pool_bad_parameters, api, p,
                         "DataSize {} requires fAllocateNetBuffer TRUE", p->DataSize);
        return nullptr;
    }
    if (p->DataSize > (1u << 30)) {
        verifier::report(failure::pool_bad_parameters, api, p,
                         "DataSize {} is larger than OpenNDIS supports (1 GiB)", p->DataSize);
        return nullptr;
    }
    const bool revision2 = p->Header.Revision >= NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2;
    const ULONG flags = revision2 ? p->Flags : 0;
    if (flags & ~static_cast<ULONG>(NET_BUFFER_LIST_POOL_FLAG_VERIFY)) {
        verifier::report(failure::pool_bad_parameters, api, p, "unknown Flags 0x{:x}", flags);
        return nullptr;
    }
    NET_BUFFER_LIST_POOL_PARAMETERS copy = *p;
    if (!revision2) {
        copy.Flags = 0;
    }
    return new (std::nothrow)
        nbl_pool(owner, copy, (flags & NET_BUFFER_LIST_POOL_FLAG_VERIFY) != 0, internal);
}

namespace {
// Reads the block a handle points at without assuming anything about it (it may be garbage: that
// is what is being checked), hence no address-sanitizer instrumentation for this one read.
__attribute__((no_sanitize("address", "thread"))) slab_pool *pool_of_handle(NDIS_HANDLE handle,
                                                                 std::uint64_t magic) noexcept
{
    if (handle == nullptr || (reinterpret_cast<std::uintptr_t>(handle) & 7) != 0) {
        return nullptr;
    }
    pool_handle_block block;
    std::memcpy(&block, handle, sizeof block);
    return block.magic == magic ? block.pool : nullptr;
}
} // namespace

nbl_pool *nbl_pool::from_handle(NDIS_HANDLE handle) noexcept
{
    return static_cast<nbl_pool *>(pool_of_handle(handle, kNblPoolMagic));
}

PNET_BUFFER_LIST nbl_pool::allocate(USHORT context_size, USHORT context_backfill) noexcept
{
    // A context that does not fit the preallocated block gets a block of its own, allocated
    // first so that a failure leaves nothing to undo. NET_BUFFER_LIST_CONTEXT sizes are USHORTs.
    const unsigned total = unsigned{context_size} + context_backfill;
    void *external = nullptr;
    if (total > context_size_) {
        if (total > 0xFFF0 || slab_pool::fault_should_fail()) {
            return nullptr;
        }
        external = kernel::tagged_alloc(kContextHeader + total, kContextTag, false);
        if (external == nullptr) {
            return nullptr;
        }
    }
    object_header *h = slab_pool::allocate();
    if (__builtin_expect(h == nullptr, 0)) {
        kernel::tagged_free(external);
        return nullptr;
    }
    auto *base = reinterpret_cast<std::byte *>(h);
    auto *nbl = object_after<NET_BUFFER_LIST>(h);
    zero_object(nbl);
    nbl->NdisPoolHandle = handle();
    h->flags = 0;
    h->route.store(kRouteWithOwner, std::memory_order_relaxed);
    if (nb_header_off_ != 0) {
        auto *nbh = reinterpret_cast<object_header *>(base + nb_header_off_);
        nbh->aux32 = 0;
        nbh->state.store(object_state::live, std::memory_order_relaxed);
        auto *nb = object_after<NET_BUFFER>(nbh);
        zero_object(nb);
        nb->NdisPoolHandle = handle();
        nbl->FirstNetBuffer = nb;
        if (mdl_header_off_ != 0) {
            auto *mh = reinterpret_cast<object_header *>(base + mdl_header_off_);
            mh->state.store(object_state::live, std::memory_order_relaxed);
            PMDL mdl = object_after<MDL>(mh);
            mdl_describe(mdl, base + data_off_, data_size_);
            nb->MdlChain = mdl;
            nb->CurrentMdl = mdl;
            nb->DataLength = data_size_;
        }
    }
    h->aux_ptr = nullptr;
    h->aux32 = 0;
    if (total != 0) {
        PNET_BUFFER_LIST_CONTEXT c;
        if (external == nullptr) {
            c = make_context(base + context_off_, context_size_,
                             static_cast<USHORT>(context_size_ - context_size));
        } else {
            g_live_context_blocks.fetch_add(1, std::memory_order_relaxed);
            c = make_context(external, static_cast<USHORT>(total), context_backfill);
            h->flags |= kFlagContextExternal;
        }
        nbl->Context = c;
        h->aux_ptr = c;
        h->aux32 = c->Offset;
    }
    return nbl;
}

void nbl_pool::free(object_header *h, PNET_BUFFER_LIST nbl, const char *api) noexcept
{
    auto *pool = static_cast<nbl_pool *>(h->pool);
    if (!mark_free(h)) {
        verifier::report(failure::nbl_double_free, api, nbl,
                         "NBL {} is not allocated (freed twice, or never allocated)",
                         static_cast<const void *>(nbl));
        return;
    }
    if (nbl->ChildRefCount != 0) {
        verifier::report(failure::parent_freed_with_children, api, nbl,
                         "NBL {} freed with ChildRefCount {} (children still alive)",
                         static_cast<const void *>(nbl), nbl->ChildRefCount);
    }
    // Context blocks added by NdisAllocateNetBufferListContext that were never freed (DS-17):
    // report once and free them so nothing leaks.
    auto *base_ctx = static_cast<PNET_BUFFER_LIST_CONTEXT>(h->aux_ptr);
    PNET_BUFFER_LIST_CONTEXT c = nbl->Context;
    std::size_t extra = 0;
    while (c != nullptr && c != base_ctx) {
        PNET_BUFFER_LIST_CONTEXT next = c->Next;
        if (kernel::tagged_free(c)) {
            g_live_context_blocks.fetch_sub(1, std::memory_order_relaxed);
        }
        ++extra;
        c = next;
    }
    if (extra != 0) {
        verifier::report(failure::context_leaked_at_free, api, nbl,
                         "NBL {} freed with {} context block(s) from "
                         "NdisAllocateNetBufferListContext still allocated",
                         static_cast<const void *>(nbl), extra);
    }
    if (extra == 0 && base_ctx != nullptr && c == base_ctx && c->Offset != h->aux32) {
        // Space taken from the base block by NdisAllocateNetBufferListContext, never given back.
        verifier::report(failure::context_leaked_at_free, api, nbl,
                         "NBL {} freed with {} bytes of context from "
                         "NdisAllocateNetBufferListContext still allocated",
                         static_cast<const void *>(nbl),
                         static_cast<long>(h->aux32) - static_cast<long>(c->Offset));
    }
    if ((h->flags & kFlagContextExternal) && base_ctx != nullptr) {
        kernel::tagged_free(base_ctx);
        g_live_context_blocks.fetch_sub(1, std::memory_order_relaxed);
    }
    if (pool->nb_header_off_ != 0) {
        auto *nbh = reinterpret_cast<object_header *>(reinterpret_cast<std::byte *>(h) +
                                                      pool->nb_header_off_);
        PNET_BUFFER nb = object_after<NET_BUFFER>(nbh);
        nb_release_retreat_mdls(nb);
        nbh->state.store(object_state::free, std::memory_order_relaxed);
        if (pool->mdl_header_off_ != 0) {
            reinterpret_cast<object_header *>(reinterpret_cast<std::byte *>(h) +
                                              pool->mdl_header_off_)
                ->state.store(object_state::free, std::memory_order_relaxed);
        }
    }
    pool->recycle(h);
}

void nbl_pool::destroy(const char *api) noexcept
{
    const std::string what = describe();
    slab_pool::destroy([&](object_header *h) {
        verifier::report(failure::pool_freed_with_objects, api, object_after<NET_BUFFER_LIST>(h),
                         "{} freed while NBL {} is still allocated", what,
                         static_cast<const void *>(object_after<NET_BUFFER_LIST>(h)));
    });
}

std::string nbl_pool::describe() const
{
    const char *k = kind_ == nbl_pool_kind::bare      ? "NBL"
                    : kind_ == nbl_pool_kind::with_nb ? "NBL+NB"
                                                      : "NBL+NB+data";
    return fmt::format("NBL pool {} (tag '{}', {}, ContextSize {}, DataSize {}{})",
                       static_cast<const void *>(this), kernel::tag_to_string(tag_), k,
                       context_size_, data_size_, verify() ? ", verify" : "");
}

nbl_pool *nbl_pool::runtime_bare()
{
    static nbl_pool *p = [] {
        NET_BUFFER_LIST_POOL_PARAMETERS params{};
        params.Header = {NDIS_OBJECT_TYPE_DEFAULT, NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
                         NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1};
        params.PoolTag = 0x6C62524E; // "NRbl"
        return create(nullptr, &params, true);
    }();
    return p;
}

nbl_pool *nbl_pool::runtime_with_nb()
{
    static nbl_pool *p = [] {
        NET_BUFFER_LIST_POOL_PARAMETERS params{};
        params.Header = {NDIS_OBJECT_TYPE_DEFAULT, NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
                         NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1};
        params.fAllocateNetBuffer = TRUE;
        params.PoolTag = 0x6E62524E; // "NRbn"
        return create(nullptr, &params, true);
    }();
    return p;
}

// ================================ nb_pool ====================================================

nb_pool::nb_pool(NDIS_HANDLE owner, const NET_BUFFER_POOL_PARAMETERS &p, bool internal)
    : slab_pool(object_kind::nb,
                sizeof(NET_BUFFER) +
                    (p.DataSize != 0 ? sizeof(object_header) + sizeof(MDL) + align16(p.DataSize)
                                     : 0),
                false),
      creator_(kernel::current_driver()), owner_(owner), tag_(p.PoolTag), data_size_(p.DataSize),
      internal_(internal)
{
    if (data_size_ != 0) {
        mdl_header_off_ = sizeof(object_header) + sizeof(NET_BUFFER);
        data_off_ = mdl_header_off_ + sizeof(object_header) + sizeof(MDL);
    }
    std::lock_guard<std::mutex> guard(pools().lock);
    pools().nb_pools.insert(this);
}

nb_pool::~nb_pool()
{
    std::lock_guard<std::mutex> guard(pools().lock);
    pools().nb_pools.erase(this);
}

void nb_pool::construct_element(object_header *primary) noexcept
{
    if (mdl_header_off_ != 0) {
        auto *h = reinterpret_cast<object_header *>(reinterpret_cast<std::byte *>(primary) +
                                                    mdl_header_off_);
        init_header(h, this, object_kind::mdl, kFlagPreallocated);
        h->aux_ptr = object_after<NET_BUFFER>(primary);
    }
}

nb_pool *nb_pool::create(NDIS_HANDLE owner, const NET_BUFFER_POOL_PARAMETERS *p,
                         bool internal) noexcept
{
    constexpr const char *api = "NdisAllocateNetBufferPool";
    if (p == nullptr) {
        verifier::report(failure::null_argument, api, nullptr, "Parameters is NULL");
        return nullptr;
    }
    if (p->Header.Type != NDIS_OBJECT_TYPE_DEFAULT ||
        p->Header.Revision != NET_BUFFER_POOL_PARAMETERS_REVISION_1 ||
        p->Header.Size < NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1) {
        verifier::report(failure::nb_pool_bad_parameters, api, p,
                         "Header {{Type 0x{:02x}, Revision {}, Size {}}} is not "
                         "{{NDIS_OBJECT_TYPE_DEFAULT 0x80, revision 1, size >= {}}}",
                         p->Header.Type, p->Header.Revision, p->Header.Size,
                         NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1);
        return nullptr;
    }
    if (p->DataSize > (1u << 30)) {
        verifier::report(failure::nb_pool_bad_parameters, api, p,
                         "DataSize {} is larger than OpenNDIS supports (1 GiB)", p->DataSize);
        return nullptr;
    }
    return new (std::nothrow) nb_pool(owner, *p, internal);
}

nb_pool *nb_pool::from_handle(NDIS_HANDLE handle) noexcept
{
    return static_cast<nb_pool *>(pool_of_handle(handle, kNbPoolMagic));
}

PNET_BUFFER nb_pool::allocate(PMDL chain, ULONG data_offset, SIZE_T data_length) noexcept
{
    object_header *h = slab_pool::allocate();
    if (__builtin_expect(h == nullptr, 0)) {
        return nullptr;
    }
    auto *nb = object_after<NET_BUFFER>(h);
    zero_object(nb);
    h->aux32 = 0;
    h->flags = 0;
    nb->NdisPoolHandle = handle();
    nb->MdlChain = chain;
    nb->DataOffset = data_offset;
    nb->DataLength = static_cast<ULONG>(data_length);
    nb_adjust_current(nb);
    return nb;
}

PNET_BUFFER nb_pool::allocate_with_data() noexcept
{
    object_header *h = slab_pool::allocate();
    if (__builtin_expect(h == nullptr, 0)) {
        return nullptr;
    }
    auto *base = reinterpret_cast<std::byte *>(h);
    auto *nb = object_after<NET_BUFFER>(h);
    zero_object(nb);
    h->aux32 = 0;
    h->flags = 0;
    nb->NdisPoolHandle = handle();
    auto *mh = reinterpret_cast<object_header *>(base + mdl_header_off_);
    mh->state.store(object_state::live, std::memory_order_relaxed);
    PMDL mdl = object_after<MDL>(mh);
    mdl_describe(mdl, base + data_off_, data_size_);
    nb->MdlChain = mdl;
    nb->CurrentMdl = mdl;
    nb->DataLength = data_size_;
    return nb;
}

void nb_pool::free(object_header *h, PNET_BUFFER nb, const char *api) noexcept
{
    auto *pool = static_cast<nb_pool *>(h->pool);
    if (!mark_free(h)) {
        verifier::report(failure::nb_double_free, api, nb,
                         "NB {} is not allocated (freed twice, or never allocated)",
                         static_cast<const void *>(nb));
        return;
    }
    nb_release_retreat_mdls(nb);
    if (pool->mdl_header_off_ != 0) {
        reinterpret_cast<object_header *>(reinterpret_cast<std::byte *>(h) +
                                          pool->mdl_header_off_)
            ->state.store(object_state::free, std::memory_order_relaxed);
    }
    pool->recycle(h);
}

void nb_pool::destroy(const char *api) noexcept
{
    const std::string what = describe();
    slab_pool::destroy([&](object_header *h) {
        verifier::report(failure::pool_freed_with_objects, api, object_after<NET_BUFFER>(h),
                         "{} freed while NB {} is still allocated", what,
                         static_cast<const void *>(object_after<NET_BUFFER>(h)));
    });
}

std::string nb_pool::describe() const
{
    return fmt::format("NB pool {} (tag '{}', DataSize {})", static_cast<const void *>(this),
                       kernel::tag_to_string(tag_), data_size_);
}

nb_pool *nb_pool::runtime_pool()
{
    static nb_pool *p = [] {
        NET_BUFFER_POOL_PARAMETERS params{};
        params.Header = {NDIS_OBJECT_TYPE_DEFAULT, NET_BUFFER_POOL_PARAMETERS_REVISION_1,
                         NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1};
        params.PoolTag = 0x624E524E; // "NRNb"
        return create(nullptr, &params, true);
    }();
    return p;
}

// ================================ MDLs =======================================================

PMDL mdl_allocate(void *va, ULONG length) noexcept
{
    object_header *h = mdls().allocate();
    if (h == nullptr) {
        return nullptr;
    }
    h->flags = 0;
    PMDL mdl = object_after<MDL>(h);
    mdl_describe(mdl, va, length);
    return mdl;
}

PMDL mdl_allocate_with_buffer(ULONG size) noexcept
{
    if (slab_pool::fault_should_fail()) {
        return nullptr;
    }
    void *mem = kernel::tagged_alloc(sizeof(object_header) + sizeof(MDL) + align16(size),
                                     kRetreatTag, false);
    if (mem == nullptr) {
        return nullptr;
    }
    auto *h = static_cast<object_header *>(mem);
    try {
        runtime_memory_add(mem, sizeof(object_header) + sizeof(MDL));
    } catch (...) {
        kernel::tagged_free(mem);
        return nullptr;
    }
    init_header(h, nullptr, object_kind::mdl, kFlagOwnsBuffer);
    h->state.store(object_state::live, std::memory_order_relaxed);
    PMDL mdl = object_after<MDL>(h);
    mdl_describe(mdl, reinterpret_cast<std::byte *>(mdl + 1), size);
    g_live_buffer_mdls.fetch_add(1, std::memory_order_relaxed);
    return mdl;
}

bool mdl_free(PMDL mdl, const char *api) noexcept
{
    object_header *h = probe_header(mdl, object_kind::mdl);
    if (h == nullptr) {
        verifier::report(failure::mdl_foreign_free, api, mdl,
                         "MDL {} was not allocated by NdisAllocateMdl (or is corrupt)",
                         static_cast<const void *>(mdl));
        return false;
    }
    if (h->flags & kFlagPreallocated) {
        verifier::report(failure::prealloc_freed_individually, api, mdl,
                         "MDL {} was preallocated with an NBL/NB and is freed with it",
                         static_cast<const void *>(mdl));
        return false;
    }
    if (!slab_pool::mark_free(h)) {
        verifier::report(failure::mdl_double_free, api, mdl, "MDL {} freed twice",
                         static_cast<const void *>(mdl));
        return false;
    }
    if (h->flags & kFlagOwnsBuffer) {
        h->magic = 0;
        runtime_memory_remove(h);
        g_live_buffer_mdls.fetch_sub(1, std::memory_order_relaxed);
        kernel::tagged_free(h);
    } else {
        mdls().recycle(h);
    }
    return true;
}

void nb_release_retreat_mdls(PNET_BUFFER nb) noexcept
{
    object_header *nbh = header_of(nb);
    std::uint32_t n = nbh->aux32;
    nbh->aux32 = 0;
    while (n-- != 0 && nb->MdlChain != nullptr) {
        PMDL m = nb->MdlChain;
        object_header *mh = probe_header(m, object_kind::mdl);
        if (mh == nullptr || !(mh->flags & kFlagOwnsBuffer)) {
            break; // made by the caller's allocate handler: the caller frees it
        }
        nb->MdlChain = m->Next;
        mdl_free(m, "NdisFreeNetBuffer");
    }
}

// ================================ accounting =================================================

live_counts count_live() noexcept
{
    live_counts c;
    {
        std::lock_guard<std::mutex> guard(pools().lock);
        for (nbl_pool *p : pools().nbl_pools) {
            c.nbl_pools += !p->internal();
            c.nbls += p->live_count();
        }
        for (nb_pool *p : pools().nb_pools) {
            c.nb_pools += !p->internal();
            c.nbs += p->live_count();
        }
    }
    c.mdls = mdls().live_count() +
             static_cast<std::uint64_t>(g_live_buffer_mdls.load(std::memory_order_relaxed));
    c.contexts = static_cast<std::uint64_t>(g_live_context_blocks.load(std::memory_order_relaxed));
    return c;
}

void for_each_live_nbl(const std::function<void(object_header *)> &fn)
{
    std::lock_guard<std::mutex> guard(pools().lock);
    for (nbl_pool *p : pools().nbl_pools) {
        p->for_each_live(fn);
    }
}

driver_pool_usage pools_left_by(const kernel::driver_identity *driver, std::string &lines)
{
    driver_pool_usage u;
    std::lock_guard<std::mutex> guard(pools().lock);
    for (nbl_pool *p : pools().nbl_pools) {
        if (p->internal() || p->creator() != driver) {
            continue;
        }
        const std::size_t live = p->live_count();
        ++u.pools;
        u.objects += live;
        lines += fmt::format("  {}{}: {} NBL(s) allocated\n", p->describe(),
                             p->destroyed() ? " [freed, waiting for its NBLs]" : "", live);
    }
    for (nb_pool *p : pools().nb_pools) {
        if (p->internal() || p->creator() != driver) {
            continue;
        }
        const std::size_t live = p->live_count();
        ++u.pools;
        u.objects += live;
        lines += fmt::format("  {}{}: {} NB(s) allocated\n", p->describe(),
                             p->destroyed() ? " [freed, waiting for its NBs]" : "", live);
    }
    return u;
}

void append_leak_report(std::string &out)
{
    constexpr std::size_t kListed = 16;
    std::lock_guard<std::mutex> guard(pools().lock);
    std::vector<object_header *> live;
    for (nbl_pool *p : pools().nbl_pools) {
        live.clear();
        p->collect_live(live);
        if (!p->internal() || !live.empty()) {
            out += fmt::format("{}{}: {} NBL(s) allocated\n", p->describe(),
                               p->destroyed() ? " [freed by its owner]" : "", live.size());
        }
        for (std::size_t i = 0; i < std::min(live.size(), kListed); ++i) {
            out += fmt::format("  NBL {}\n",
                               static_cast<const void *>(object_after<NET_BUFFER_LIST>(live[i])));
        }
    }
    for (nb_pool *p : pools().nb_pools) {
        live.clear();
        p->collect_live(live);
        if (!p->internal() || !live.empty()) {
            out += fmt::format("{}{}: {} NB(s) allocated\n", p->describe(),
                               p->destroyed() ? " [freed by its owner]" : "", live.size());
        }
        for (std::size_t i = 0; i < std::min(live.size(), kListed); ++i) {
            out += fmt::format("  NB {}\n",
                               static_cast<const void *>(object_after<NET_BUFFER>(live[i])));
        }
    }
    live.clear();
    mdls().collect_live(live);
    const auto buffer_mdls = g_live_buffer_mdls.load(std::memory_order_relaxed);
    if (!live.empty() || buffer_mdls != 0) {
        out += fmt::format("MDLs: {} from NdisAllocateMdl, {} with runtime buffers (retreat)\n",
                           live.size(), buffer_mdls);
        for (std::size_t i = 0; i < std::min(live.size(), kListed); ++i) {
            out += fmt::format("  MDL {}\n", static_cast<const void *>(object_after<MDL>(live[i])));
        }
    }
    const auto ctx = g_live_context_blocks.load(std::memory_order_relaxed);
    if (ctx != 0) {
        out += fmt::format("NBL context blocks: {}\n", ctx);
    }
}

} // namespace ndis::core
