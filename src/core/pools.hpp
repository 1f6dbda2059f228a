// core/pools.hpp — NBL pools, NB pools and the MDL allocator (SPEC §2).
//
// nbl_pool and nb_pool are slab pools (slab_pool.hpp) whose elements hold an NBL or NB and
// everything preallocated with it, laid out as object.hpp describes. The pool object itself is
// what NdisAllocateNetBufferListPool returns as the pool handle and what NBL/NB NdisPoolHandle
// point at; from_handle() recognises one by its magic.
//
// Ownership: the pool owns every element's memory for its whole life; a live element belongs
// to whoever allocated it (or to whoever it was handed to). free() gives it back.
#pragma once

#include "core/slab_pool.hpp"

#include <ndis/nblapi.h>

#include <atomic>
#include <functional>
#include <cstdint>
#include <string>

namespace ndis::kernel {
struct driver_identity;
}

namespace ndis::core {

inline constexpr std::uint64_t kNblPoolMagic = 0x4E424C506F6F6C21ULL; // "NBLPool!"
inline constexpr std::uint64_t kNbPoolMagic = 0x4E42506F6F6C2121ULL;  // "NBPool!!"

enum class nbl_pool_kind : std::uint8_t { bare, with_nb, with_data };

// What a pool handle points at: a standard-layout block at a fixed place inside the pool, so
// that recognising a handle (from_handle) reads plain data, never a polymorphic object through a
// pointer of unknown type. NBL/NB NdisPoolHandle hold the same address (POOL-07).
struct pool_handle_block {
    std::uint64_t magic;
    slab_pool *pool;
};

class nbl_pool final : public slab_pool {
public:
    // Validates the parameters (POOL-01, POOL-02) and makes a pool, or reports and returns null.
    static nbl_pool *create(NDIS_HANDLE owner, const NET_BUFFER_LIST_POOL_PARAMETERS *params,
                            bool internal = false) noexcept;
    static nbl_pool *from_handle(NDIS_HANDLE handle) noexcept;

    // NdisAllocateNetBufferList. ctx/backfill already validated. Null when out of memory.
    PNET_BUFFER_LIST allocate(USHORT context_size, USHORT context_backfill) noexcept;
    // NdisFreeNetBufferList for an NBL whose header is `h` (already known to be ours).
    static void free(object_header *h, PNET_BUFFER_LIST nbl, const char *api) noexcept;
    // NdisFreeNetBufferListPool.
    void destroy(const char *api) noexcept;

    nbl_pool_kind pool_kind() const noexcept { return kind_; }
    ULONG tag() const noexcept { return tag_; }
    UCHAR protocol_id() const noexcept { return protocol_id_; }
    USHORT context_size() const noexcept { return context_size_; }
    ULONG data_size() const noexcept { return data_size_; }
    bool internal() const noexcept { return internal_; }
    NDIS_HANDLE owner() const noexcept { return owner_; }
    const kernel::driver_identity *creator() const noexcept { return creator_; }
    std::string describe() const;

    // Runtime-owned pools for NdisAllocateClone/Fragment/Reassembled… with a NULL pool handle:
    // kind (a) and kind (b). Never destroyed; not counted as live pools.
    static nbl_pool *runtime_bare();
    static nbl_pool *runtime_with_nb();

    // The NDIS_HANDLE drivers see for this pool.
    NDIS_HANDLE handle() noexcept { return &handle_; }

protected:
    void construct_element(object_header *primary) noexcept override;

private:
    nbl_pool(NDIS_HANDLE owner, const NET_BUFFER_LIST_POOL_PARAMETERS &p, bool verify,
             bool internal);
    ~nbl_pool() override;

    pool_handle_block handle_{kNblPoolMagic, this};
    const kernel::driver_identity *creator_; // the driver in whose call the pool was made
    NDIS_HANDLE owner_;
    nbl_pool_kind kind_;
    UCHAR protocol_id_;
    USHORT context_size_;
    ULONG tag_;
    ULONG data_size_;
    bool internal_;
    // Offsets from the primary header (0 = absent).
    std::size_t nb_header_off_ = 0;
    std::size_t mdl_header_off_ = 0;
    std::size_t context_off_ = 0;
    std::size_t data_off_ = 0;

};

class nb_pool final : public slab_pool {
public:
    static nb_pool *create(NDIS_HANDLE owner, const NET_BUFFER_POOL_PARAMETERS *params,
                           bool internal = false) noexcept;
    static nb_pool *from_handle(NDIS_HANDLE handle) noexcept;

    // NdisAllocateNetBuffer (data_size 0 pools) / NdisAllocateNetBufferMdlAndData (others).
    PNET_BUFFER allocate(PMDL chain, ULONG data_offset, SIZE_T data_length) noexcept;
    PNET_BUFFER allocate_with_data() noexcept;
    static void free(object_header *h, PNET_BUFFER nb, const char *api) noexcept;
    void destroy(const char *api) noexcept;

    ULONG tag() const noexcept { return tag_; }
    ULONG data_size() const noexcept { return data_size_; }
    bool internal() const noexcept { return internal_; }
    NDIS_HANDLE owner() const noexcept { return owner_; }
    const kernel::driver_identity *creator() const noexcept { return creator_; }
    std::string describe() const;

    static nb_pool *runtime_pool(); // DataSize 0, runtime-owned

    // The NDIS_HANDLE drivers see for this pool.
    NDIS_HANDLE handle() noexcept { return &handle_; }

protected:
    void construct_element(object_header *primary) noexcept override;

private:
    nb_pool(NDIS_HANDLE owner, const NET_BUFFER_POOL_PARAMETERS &p, bool internal);
    ~nb_pool() override;

    pool_handle_block handle_{kNbPoolMagic, this};
    const kernel::driver_identity *creator_;
    NDIS_HANDLE owner_;
    ULONG tag_;
    ULONG data_size_;
    bool internal_;
    std::size_t mdl_header_off_ = 0;
    std::size_t data_off_ = 0;
};

// ---- MDLs -------------------------------------------------------------------------------
// NdisAllocateMdl: an MDL describing [va, va + length), from a process-wide slab pool.
PMDL mdl_allocate(void *va, ULONG length) noexcept;
// An MDL and a runtime-owned buffer of `size` bytes in one tagged block (retreat, DS-32).
PMDL mdl_allocate_with_buffer(ULONG size) noexcept;
// Frees either kind. Reports and returns false for foreign MDLs and double frees.
bool mdl_free(PMDL mdl, const char *api) noexcept;
// Fills an MDL's fields to describe [va, va + length) (mapped, non-paged).
void mdl_describe(PMDL mdl, void *va, ULONG length) noexcept;

// Frees the MDLs a retreat allocated at the head of `nb`'s chain that NdisAdvance… left there
// (recorded in the NB's header), so freeing an NB never leaks them.
void nb_release_retreat_mdls(PNET_BUFFER nb) noexcept;

// ---- Accounting -------------------------------------------------------------------------
struct live_counts {
    std::uint64_t nbl_pools = 0, nb_pools = 0, nbls = 0, nbs = 0, mdls = 0, contexts = 0;
};
live_counts count_live() noexcept;
void append_leak_report(std::string &out);
// Calls fn(primary header) for every live NBL of every NBL pool (zombies included), under the
// pool registry lock and each pool's lock: the watchdog's scan for overdue sends.
void for_each_live_nbl(const std::function<void(object_header *)> &fn);

// What the pools a driver created (inside one of its calls: DriverEntry, MiniportInitializeEx,
// ProtocolBindAdapterEx …) still hold: pools not freed, and NBLs/NBs still allocated from its
// pools (freed or not). One line per pool in `lines`. For the host's report at unload.
struct driver_pool_usage {
    std::uint64_t pools = 0, objects = 0;
};
driver_pool_usage pools_left_by(const kernel::driver_identity *driver, std::string &lines);

// Context blocks made by NdisAllocateNetBufferListContext (and external base blocks).
extern std::atomic<std::int64_t> g_live_context_blocks;
extern std::atomic<std::int64_t> g_live_buffer_mdls;

inline constexpr ULONG kContextTag = 0x7874434E; // 'NCtx' in memory order: "NCtx"
inline constexpr ULONG kRetreatTag = 0x7472524E; // "NRrt"

} // namespace ndis::core
