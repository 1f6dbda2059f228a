// test_pool_threads.cpp — NBL / NB / MDL pools and NBL contexts used from many threads at once
// (SPEC POOL-04 … POOL-11, POOL-13, DS-13, DS-17; DESIGN.md "Hot path": a per-thread magazine in
// front of every pool, refilled from / flushed to the pool's depot under the pool's lock).
//
// CrossThreadHandOff
//   Four workers allocate from shared pools of every kind: NBL pools (a) bare, (b) with one NB,
//   (c) with NB + MDL + data, a verify pool (POOL-13), NB pools with and without data, MDLs from
//   NdisAllocateMdl, NBL contexts from NdisAllocateNetBufferListContext (both a new block and the
//   backfill of the preallocated one). Every byte a driver may write (NBL/NB ProtocolReserved and
//   MiniportReserved, context data, preallocated data) gets a pattern derived from (allocating
//   thread, sequence number); MDLs describe an address range derived from it. Each object goes
//   through a mutex-protected inbox to ANOTHER worker, which checks the pattern, the geometry the
//   runtime set up and the pool identity, then frees it. So every free is remote: objects land in
//   the freeing thread's magazine and reach the allocating thread only through the pool's depot.
//   Meanwhile a fifth thread creates a short-lived pool of a random kind and shape, allocates from
//   it past a magazine's size, frees in random order and destroys it, over and over; and a sixth
//   reads OpenNdisGetStats / OpenNdisLeakReport all along (counts must stay plausible).
//   At the end every live-object count (OpenNdisGetStats) is what it was before, no verifier report
//   was made, and at least 10^6 objects went through (at scale 1).
//
// MagazineRefillAndFlush
//   Eight threads each allocate 10^5 NBLs from three shared pools (one per kind) in bursts of 1..64
//   and free them on the same thread in random order, holding up to ~200 at a time, so each
//   thread's magazines keep running empty (refill half from the depot) and full (flush half to
//   it). A pattern in every live NBL proves no NBL is handed out twice.
//
// FreeFromThreadLocalDestructorKeepsThreadSlots
//   Regression test for a thread-slot leak: a pool call from a thread_local destructor that runs
//   after the thread gave its slot back must not take (and leak) a new slot.
//
// Environment
//   OPENNDIS_STRESS_SCALE  multiplies the amount of work (default 1; 0.1 for a smoke run).
//   OPENNDIS_STRESS_SEED   the seed of every random choice (default: random). It is printed; a
//                          failing run can be replayed with the same choices (thread interleaving
//                          itself is not reproducible).
#include "openndis_test.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr ULONG kPoolTag = 0x74536E4F;    // "OnSt" in memory order
constexpr ULONG kContextTag = 0x78436E4F; // "OnCx"

// ---- environment ---------------------------------------------------------------------------

double stress_scale()
{
    const char *s = std::getenv("OPENNDIS_STRESS_SCALE");
    if (s == nullptr || *s == '\0') {
        return 1.0;
    }
    char *end = nullptr;
    const double v = std::strtod(s, &end);
    return end != s && v > 0 ? v : 1.0;
}

std::uint64_t stress_seed()
{
    const char *s = std::getenv("OPENNDIS_STRESS_SEED");
    if (s != nullptr && *s != '\0') {
        return std::strtoull(s, nullptr, 0);
    }
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
}

// Prints (and records in the XML report) the seed and scale of the running test.
std::uint64_t announce_seed(double scale)
{
    const std::uint64_t seed = stress_seed();
    std::printf("[   SEED   ] OPENNDIS_STRESS_SEED=%" PRIu64 " OPENNDIS_STRESS_SCALE=%g\n", seed,
                scale);
    std::fflush(stdout);
    ::testing::Test::RecordProperty("seed", std::to_string(seed));
    return seed;
}

std::uint64_t scaled(double base, double scale)
{
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(base * scale));
}

// ---- randomness and patterns -----------------------------------------------------------------

std::uint64_t mix(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

class rng {
public:
    explicit rng(std::uint64_t seed) : _state(seed) {}
    std::uint64_t next() { return mix(_state++); }
    // Uniform in [0, n).
    std::uint32_t below(std::uint32_t n)
    {
        return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
    }
    bool chance(std::uint32_t one_in) { return below(one_in) == 0; }

private:
    std::uint64_t _state;
};

// The identity of an object: who allocated it and its number on that thread.
std::uint64_t key_of(unsigned thread, std::uint64_t seq)
{
    return (std::uint64_t{thread} << 48) ^ seq;
}

// Distinct pattern streams for the different fields of one object.
enum salt : std::uint64_t {
    kSaltNblProtocol = 1,
    kSaltNblMiniport,
    kSaltNbProtocol,
    kSaltNbMiniport,
    kSaltContext,
    kSaltExtraContext,
    kSaltData,
    kSaltGeometry,
};

std::uint64_t stream(std::uint64_t key, salt s)
{
    return mix(key * 16 + s);
}

void fill(void *p, std::size_t n, std::uint64_t key, salt s)
{
    const std::uint64_t base = stream(key, s);
    auto *b = static_cast<unsigned char *>(p);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const std::uint64_t w = mix(base + i);
        std::memcpy(b + i, &w, 8);
    }
    if (i < n) {
        const std::uint64_t w = mix(base + i);
        std::memcpy(b + i, &w, n - i);
    }
}

bool intact(const void *p, std::size_t n, std::uint64_t key, salt s)
{
    const std::uint64_t base = stream(key, s);
    const auto *b = static_cast<const unsigned char *>(p);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const std::uint64_t w = mix(base + i);
        if (std::memcmp(b + i, &w, 8) != 0) {
            return false;
        }
    }
    if (i < n) {
        const std::uint64_t w = mix(base + i);
        return std::memcmp(b + i, &w, n - i) == 0;
    }
    return true;
}

// Address range an MDL of object `key` describes: inside g_arena (never written; MDLs only
// describe it). `offset` is a data offset inside the range, for NBs over that MDL.
alignas(4096) unsigned char g_arena[1 << 16];

struct geometry {
    unsigned char *va;
    ULONG length;
    ULONG offset;
};

geometry geometry_of(std::uint64_t key)
{
    const std::uint64_t r = stream(key, kSaltGeometry);
    geometry g;
    g.length = 64 + static_cast<ULONG>(r % 1024);
    g.va = g_arena + (r >> 16) % (sizeof(g_arena) - 2048);
    g.offset = static_cast<ULONG>((r >> 40) % g.length); // < length: the NB's CurrentMdl is it
    return g;
}

// ---- failures seen by worker threads (reported on the test thread) ---------------------------

class failure_log {
public:
    void add(const std::string &what)
    {
        if (_count.fetch_add(1, std::memory_order_relaxed) < kKept) {
            std::lock_guard<std::mutex> guard(_lock);
            _messages.push_back(what);
        }
    }
    std::uint64_t count() const { return _count.load(std::memory_order_relaxed); }
    std::string summary() const
    {
        std::lock_guard<std::mutex> guard(_lock);
        std::ostringstream out;
        out << _count.load() << " failure(s); first ones:";
        for (const std::string &m : _messages) {
            out << "\n  " << m;
        }
        return out.str();
    }

private:
    static constexpr std::uint64_t kKept = 20;
    std::atomic<std::uint64_t> _count{0};
    mutable std::mutex _lock;
    std::vector<std::string> _messages;
};

std::string describe(const char *what, unsigned thread, std::uint64_t seq, const void *object)
{
    std::ostringstream out;
    out << what << " (object " << object << ", allocated by thread " << thread << " as #" << seq
        << ")";
    return out.str();
}

// ---- pools -----------------------------------------------------------------------------------

NDIS_HANDLE make_nbl_pool(bool with_nb, ULONG data_size, USHORT context_size, bool verify = false)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = verify ? NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2
                               : NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = verify ? NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2
                           : NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = with_nb ? TRUE : FALSE;
    p.ContextSize = context_size;
    p.PoolTag = kPoolTag;
    p.DataSize = data_size;
    p.Flags = verify ? NET_BUFFER_LIST_POOL_FLAG_VERIFY : 0;
    return NdisAllocateNetBufferListPool(nullptr, &p);
}

NDIS_HANDLE make_nb_pool(ULONG data_size)
{
    NET_BUFFER_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.PoolTag = kPoolTag;
    p.DataSize = data_size;
    return NdisAllocateNetBufferPool(nullptr, &p);
}

// Shape of an NBL or NB pool: what each of its objects carries.
struct pool_shape {
    bool nbl = true;       // NBL pool (else NB pool)
    bool with_nb = false;  // NBL pools: fAllocateNetBuffer
    ULONG data_size = 0;   // DataSize
    USHORT pool_ctx = 0;   // NBL pools: ContextSize of the pool
    bool verify = false;   // NBL pools: NET_BUFFER_LIST_POOL_FLAG_VERIFY
};

// ---- one object in flight --------------------------------------------------------------------

enum class kind : std::uint8_t {
    nbl_bare,        // (a) NdisAllocateNetBufferList, preallocated context or none
    nbl_bare_ctx,    // (a) + NdisAllocateNetBufferListContext: a new context block
    nbl_nb,          // (b) NdisAllocateNetBufferList: NBL + empty NB
    nbl_nb_mdl,      // (b) NdisAllocateNetBufferAndNetBufferList over an NdisAllocateMdl MDL
    nbl_data,        // (c) NBL + NB + MDL + data, context with backfill
    nbl_data_ctx,    // (c) + NdisAllocateNetBufferListContext from the preallocated backfill
    nbl_verify,      // (c) from a verify pool (POOL-13)
    nb_bare,         // NdisAllocateNetBuffer, no MDL
    nb_data,         // NdisAllocateNetBufferMdlAndData
    mdl,             // NdisAllocateMdl
};
constexpr unsigned kKinds = 10;

struct item {
    kind what;
    std::uint8_t thread;
    USHORT ctx;      // NBL: ContextSize asked at allocation
    USHORT backfill; // NBL: ContextBackFill asked at allocation
    std::uint64_t seq;
    void *object;
    NDIS_HANDLE pool;
};

// Shared pools of CrossThreadHandOff.
constexpr ULONG kDataSize = 1514;
constexpr ULONG kNbDataSize = 256;
constexpr ULONG kVerifyDataSize = 128;
constexpr USHORT kExtraContext = 32; // bytes added with NdisAllocateNetBufferListContext

struct shared_pools {
    NDIS_HANDLE nbl_bare = make_nbl_pool(false, 0, 16);
    NDIS_HANDLE nbl_nb = make_nbl_pool(true, 0, 0);
    NDIS_HANDLE nbl_data = make_nbl_pool(true, kDataSize, 32);
    NDIS_HANDLE nbl_verify = make_nbl_pool(true, kVerifyDataSize, 16, true);
    NDIS_HANDLE nb_bare = make_nb_pool(0);
    NDIS_HANDLE nb_data = make_nb_pool(kNbDataSize);

    bool ok() const
    {
        return nbl_bare && nbl_nb && nbl_data && nbl_verify && nb_bare && nb_data;
    }
    ~shared_pools()
    {
        for (NDIS_HANDLE p : {nbl_bare, nbl_nb, nbl_data, nbl_verify}) {
            if (p != nullptr) {
                NdisFreeNetBufferListPool(p);
            }
        }
        for (NDIS_HANDLE p : {nb_bare, nb_data}) {
            if (p != nullptr) {
                NdisFreeNetBufferPool(p);
            }
        }
    }
};

// ---- stamping and checking the fields of each object -------------------------------------------

void stamp_nbl(PNET_BUFFER_LIST nbl, std::uint64_t key)
{
    fill(nbl->ProtocolReserved, sizeof(nbl->ProtocolReserved), key, kSaltNblProtocol);
    fill(nbl->MiniportReserved, sizeof(nbl->MiniportReserved), key, kSaltNblMiniport);
}

void stamp_nb(PNET_BUFFER nb, std::uint64_t key)
{
    fill(nb->ProtocolReserved, sizeof(nb->ProtocolReserved), key, kSaltNbProtocol);
    fill(nb->MiniportReserved, sizeof(nb->MiniportReserved), key, kSaltNbMiniport);
}

// Context data an NBL was allocated with: ctx used bytes at NET_BUFFER_LIST_CONTEXT_DATA_START.
void stamp_context(PNET_BUFFER_LIST nbl, USHORT ctx, std::uint64_t key, salt s)
{
    if (ctx != 0) {
        fill(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx, key, s);
    }
}

// Checks the NBL-level pattern and runtime-set fields; returns the first problem or nullptr.
const char *check_nbl(PNET_BUFFER_LIST nbl, const item &it, std::uint64_t key)
{
    if (NdisGetPoolFromNetBufferList(nbl) != it.pool) {
        return "NdisGetPoolFromNetBufferList is not the allocating pool (POOL-07)";
    }
    if (nbl->Next != nullptr || nbl->ParentNetBufferList != nullptr || nbl->ChildRefCount != 0) {
        return "NBL Next/ParentNetBufferList/ChildRefCount changed";
    }
    if (!intact(nbl->ProtocolReserved, sizeof(nbl->ProtocolReserved), key, kSaltNblProtocol) ||
        !intact(nbl->MiniportReserved, sizeof(nbl->MiniportReserved), key, kSaltNblMiniport)) {
        return "NBL ProtocolReserved/MiniportReserved pattern overwritten";
    }
    return nullptr;
}

const char *check_nb(PNET_BUFFER nb, NDIS_HANDLE pool, std::uint64_t key)
{
    if (nb == nullptr) {
        return "NB missing";
    }
    if (NdisGetPoolFromNetBuffer(nb) != pool) {
        return "NdisGetPoolFromNetBuffer is not the allocating pool (POOL-07)";
    }
    if (nb->Next != nullptr) {
        return "NB Next changed";
    }
    if (!intact(nb->ProtocolReserved, sizeof(nb->ProtocolReserved), key, kSaltNbProtocol) ||
        !intact(nb->MiniportReserved, sizeof(nb->MiniportReserved), key, kSaltNbMiniport)) {
        return "NB ProtocolReserved/MiniportReserved pattern overwritten";
    }
    return nullptr;
}

// An NB's preallocated MDL + data of `size` bytes: geometry as allocated, pattern intact.
const char *check_data(PNET_BUFFER nb, ULONG size, std::uint64_t key)
{
    PMDL m = nb->MdlChain;
    if (m == nullptr || nb->CurrentMdl != m || nb->DataOffset != 0 || nb->CurrentMdlOffset != 0 ||
        nb->DataLength != size || m->Next != nullptr || MmGetMdlByteCount(m) != size) {
        return "preallocated MDL/data geometry changed";
    }
    if (!intact(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), size, key, kSaltData)) {
        return "preallocated data pattern overwritten";
    }
    return nullptr;
}

const char *check_mdl(PMDL m, std::uint64_t key)
{
    const geometry g = geometry_of(key);
    if (m == nullptr || m->Next != nullptr || MmGetMdlVirtualAddress(m) != g.va ||
        MmGetSystemAddressForMdlSafe(m, NormalPagePriority) != g.va ||
        MmGetMdlByteCount(m) != g.length) {
        return "MDL geometry is not what NdisAllocateMdl described";
    }
    return nullptr;
}

// Counts objects (NBL, NB, MDL, context block) that each kind allocates separately.
unsigned objects_of(const item &it)
{
    switch (it.what) {
    case kind::nbl_bare_ctx:
    case kind::nbl_data_ctx:
    case kind::nbl_nb_mdl:
        return 2;
    default:
        return 1;
    }
}

// Allocates one object of `what` for (thread, seq) and stamps its pattern. object is nullptr
// when an allocation failed (recorded in `log`).
item make_item(const shared_pools &pools, kind what, unsigned thread, std::uint64_t seq, rng &r,
               failure_log &log)
{
    item it{what, static_cast<std::uint8_t>(thread), 0, 0, seq, nullptr, nullptr};
    const std::uint64_t key = key_of(thread, seq);
    auto fail = [&](const char *msg, const void *obj) {
        log.add(describe(msg, thread, seq, obj));
    };
    switch (what) {
    case kind::nbl_bare:
    case kind::nbl_bare_ctx: {
        it.pool = pools.nbl_bare;
        it.ctx = r.chance(2) ? 16 : 0; // the pool's preallocated 16 bytes, or no context
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(it.pool, it.ctx, 0);
        if (nbl == nullptr) {
            fail("NdisAllocateNetBufferList (bare) returned NULL", nullptr);
            return it;
        }
        stamp_nbl(nbl, key);
        stamp_context(nbl, it.ctx, key, kSaltContext);
        if (what == kind::nbl_bare_ctx) {
            // No backfill left in the preallocated block (or no block): a new one (DS-13).
            if (NdisAllocateNetBufferListContext(nbl, kExtraContext, 0, kContextTag) !=
                NDIS_STATUS_SUCCESS) {
                fail("NdisAllocateNetBufferListContext failed", nbl);
                NdisFreeNetBufferList(nbl);
                return it;
            }
            stamp_context(nbl, kExtraContext, key, kSaltExtraContext);
        }
        it.object = nbl;
        return it;
    }
    case kind::nbl_nb: {
        it.pool = pools.nbl_nb;
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(it.pool, 0, 0);
        if (nbl == nullptr) {
            fail("NdisAllocateNetBufferList (with NB) returned NULL", nullptr);
            return it;
        }
        stamp_nbl(nbl, key);
        if (nbl->FirstNetBuffer != nullptr) {
            stamp_nb(nbl->FirstNetBuffer, key);
        }
        it.object = nbl;
        return it;
    }
    case kind::nbl_nb_mdl: {
        it.pool = pools.nbl_nb;
        const geometry g = geometry_of(key);
        PMDL m = NdisAllocateMdl(nullptr, g.va, g.length);
        if (m == nullptr) {
            fail("NdisAllocateMdl returned NULL", nullptr);
            return it;
        }
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(it.pool, 0, 0, m, g.offset,
                                                                     g.length - g.offset);
        if (nbl == nullptr) {
            fail("NdisAllocateNetBufferAndNetBufferList returned NULL", nullptr);
            NdisFreeMdl(m);
            return it;
        }
        stamp_nbl(nbl, key);
        if (nbl->FirstNetBuffer != nullptr) {
            stamp_nb(nbl->FirstNetBuffer, key);
        }
        it.object = nbl;
        return it;
    }
    case kind::nbl_data:
    case kind::nbl_data_ctx:
    case kind::nbl_verify: {
        const bool verify = what == kind::nbl_verify;
        it.pool = verify ? pools.nbl_verify : pools.nbl_data;
        if (verify) {
            it.ctx = 16;
        } else {
            // Pool ContextSize 32: 16 used + 16 backfill, or 32 used.
            it.ctx = r.chance(2) ? 16 : 32;
            it.backfill = static_cast<USHORT>(32 - it.ctx);
            if (what == kind::nbl_data_ctx) {
                it.ctx = 16;
                it.backfill = 16;
            }
        }
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(it.pool, it.ctx, it.backfill);
        if (nbl == nullptr) {
            fail("NdisAllocateNetBufferList (with data) returned NULL", nullptr);
            return it;
        }
        stamp_nbl(nbl, key);
        stamp_context(nbl, it.ctx, key, kSaltContext);
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        if (nb != nullptr && nb->MdlChain != nullptr) {
            stamp_nb(nb, key);
            fill(MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority),
                 verify ? kVerifyDataSize : kDataSize, key, kSaltData);
        }
        if (what == kind::nbl_data_ctx) {
            // 16 bytes from the preallocated block's backfill: no new block.
            if (NdisAllocateNetBufferListContext(nbl, 16, 0, kContextTag) != NDIS_STATUS_SUCCESS) {
                fail("NdisAllocateNetBufferListContext (backfill) failed", nbl);
                NdisFreeNetBufferList(nbl);
                return it;
            }
            stamp_context(nbl, 16, key, kSaltExtraContext);
        }
        it.object = nbl;
        return it;
    }
    case kind::nb_bare: {
        it.pool = pools.nb_bare;
        PNET_BUFFER nb = NdisAllocateNetBuffer(it.pool, nullptr, 0, 0);
        if (nb == nullptr) {
            fail("NdisAllocateNetBuffer returned NULL", nullptr);
            return it;
        }
        stamp_nb(nb, key);
        it.object = nb;
        return it;
    }
    case kind::nb_data: {
        it.pool = pools.nb_data;
        PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(it.pool);
        if (nb == nullptr) {
            fail("NdisAllocateNetBufferMdlAndData returned NULL", nullptr);
            return it;
        }
        stamp_nb(nb, key);
        if (nb->MdlChain != nullptr) {
            fill(MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority), kNbDataSize, key,
                 kSaltData);
        }
        it.object = nb;
        return it;
    }
    case kind::mdl: {
        const geometry g = geometry_of(key);
        PMDL m = NdisAllocateMdl(nullptr, g.va, g.length);
        if (m == nullptr) {
            fail("NdisAllocateMdl returned NULL", nullptr);
            return it;
        }
        it.object = m;
        return it;
    }
    }
    return it;
}

// Checks an object's pattern and what the runtime set up, then frees it (always, so a failed
// check does not also leak). Problems go to `log`.
void check_and_free(const item &it, unsigned self, failure_log &log)
{
    const std::uint64_t key = key_of(it.thread, it.seq);
    const char *problem = nullptr;
    if (it.thread == self) {
        problem = "freed on the allocating thread (test bug: hand-off must cross threads)";
    }
    auto note = [&](const char *p) {
        if (problem == nullptr) {
            problem = p;
        }
    };
    switch (it.what) {
    case kind::nbl_bare:
    case kind::nbl_bare_ctx: {
        auto *nbl = static_cast<PNET_BUFFER_LIST>(it.object);
        note(check_nbl(nbl, it, key));
        if (nbl->FirstNetBuffer != nullptr) {
            note("bare NBL has a FirstNetBuffer (POOL-04)");
        }
        if (it.what == kind::nbl_bare_ctx) {
            PNET_BUFFER_LIST_CONTEXT top = nbl->Context;
            if (top == nullptr || NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl) != kExtraContext ||
                !intact(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), kExtraContext, key,
                        kSaltExtraContext)) {
                note("NBL context block from NdisAllocateNetBufferListContext overwritten");
            }
            NdisFreeNetBufferListContext(nbl, kExtraContext);
        }
        if (it.ctx != 0) {
            if (nbl->Context == nullptr || nbl->Context->Offset != 0 ||
                !intact(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), it.ctx, key, kSaltContext)) {
                note("preallocated NBL context overwritten");
            }
        } else if (nbl->Context != nullptr) {
            note("NBL allocated without context has one");
        }
        NdisFreeNetBufferList(nbl);
        break;
    }
    case kind::nbl_nb:
    case kind::nbl_nb_mdl: {
        auto *nbl = static_cast<PNET_BUFFER_LIST>(it.object);
        note(check_nbl(nbl, it, key));
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        note(check_nb(nb, it.pool, key));
        PMDL m = nullptr;
        if (nb != nullptr) {
            m = nb->MdlChain;
            if (it.what == kind::nbl_nb) {
                if (m != nullptr || nb->DataLength != 0 || nb->DataOffset != 0) {
                    note("NB of a DataSize-0 NBL pool is not empty");
                }
            } else {
                const geometry g = geometry_of(key);
                note(check_mdl(m, key));
                if (nb->CurrentMdl != m || nb->DataOffset != g.offset ||
                    nb->CurrentMdlOffset != g.offset || nb->DataLength != g.length - g.offset) {
                    note("NdisAllocateNetBufferAndNetBufferList NB geometry changed (POOL-06)");
                }
            }
        }
        NdisFreeNetBufferList(nbl);
        if (it.what == kind::nbl_nb_mdl && m != nullptr) {
            NdisFreeMdl(m); // the caller's MDL: never freed with the NBL (POOL-08)
        }
        break;
    }
    case kind::nbl_data:
    case kind::nbl_data_ctx:
    case kind::nbl_verify: {
        auto *nbl = static_cast<PNET_BUFFER_LIST>(it.object);
        const ULONG size = it.what == kind::nbl_verify ? kVerifyDataSize : kDataSize;
        note(check_nbl(nbl, it, key));
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        note(check_nb(nb, it.pool, key));
        if (nb != nullptr) {
            note(check_data(nb, size, key));
        }
        if (it.what == kind::nbl_data_ctx) {
            if (nbl->Context == nullptr || nbl->Context->Offset != 0 ||
                !intact(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 16, key, kSaltExtraContext)) {
                note("context taken from the preallocated backfill overwritten");
            }
            NdisFreeNetBufferListContext(nbl, 16);
        }
        if (nbl->Context == nullptr || nbl->Context->Offset != it.backfill ||
            !intact(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), it.ctx, key, kSaltContext)) {
            note("preallocated NBL context overwritten");
        }
        NdisFreeNetBufferList(nbl);
        break;
    }
    case kind::nb_bare: {
        auto *nb = static_cast<PNET_BUFFER>(it.object);
        note(check_nb(nb, it.pool, key));
        if (nb->MdlChain != nullptr || nb->DataLength != 0) {
            note("NB allocated without MDL chain has data");
        }
        NdisFreeNetBuffer(nb);
        break;
    }
    case kind::nb_data: {
        auto *nb = static_cast<PNET_BUFFER>(it.object);
        note(check_nb(nb, it.pool, key));
        note(check_data(nb, kNbDataSize, key));
        NdisFreeNetBuffer(nb);
        break;
    }
    case kind::mdl: {
        auto *m = static_cast<PMDL>(it.object);
        note(check_mdl(m, key));
        NdisFreeMdl(m);
        break;
    }
    }
    if (problem != nullptr) {
        log.add(describe(problem, it.thread, it.seq, it.object));
    }
}

// Picks the kind of the next object: mostly the fast-path kinds, a few slow ones.
kind pick_kind(rng &r)
{
    // Weights out of 64: verify pools cost two mprotect calls per object, so they stay rare.
    static constexpr std::array<std::uint8_t, kKinds> kWeights = {8, 6, 8, 6, 8, 5, 1, 8, 7, 7};
    std::uint32_t x = r.below(64);
    for (unsigned k = 0; k < kKinds; ++k) {
        if (x < kWeights[k]) {
            return static_cast<kind>(k);
        }
        x -= kWeights[k];
    }
    return kind::nbl_bare;
}

// ---- an inbox: a mutex-protected queue between threads ----------------------------------------

class inbox {
public:
    void push(std::vector<item> &batch)
    {
        std::lock_guard<std::mutex> guard(_lock);
        _items.insert(_items.end(), batch.begin(), batch.end());
        batch.clear();
    }
    // Moves everything queued into `out` (emptied first).
    void take_all(std::vector<item> &out)
    {
        out.clear();
        std::lock_guard<std::mutex> guard(_lock);
        out.assign(_items.begin(), _items.end());
        _items.clear();
    }
    bool empty() const
    {
        std::lock_guard<std::mutex> guard(_lock);
        return _items.empty();
    }

private:
    mutable std::mutex _lock;
    std::deque<item> _items;
};

// ---- the short-lived pools of the fifth thread --------------------------------------------------

// One round: a new pool of a random shape, objects allocated and freed in random order past a
// magazine's worth, pool destroyed. Returns the number of objects that went through.
std::uint64_t churn_round(rng &r, unsigned thread, std::uint64_t &seq, failure_log &log)
{
    pool_shape s;
    s.nbl = !r.chance(3);
    if (s.nbl) {
        s.with_nb = !r.chance(3);
        s.data_size = s.with_nb && r.chance(2) ? 1 + r.below(4096) : 0;
        s.pool_ctx = static_cast<USHORT>(16 * r.below(4));
        s.verify = s.with_nb && r.chance(16);
    } else {
        s.data_size = r.chance(2) ? 1 + r.below(2048) : 0;
    }
    NDIS_HANDLE pool = s.nbl ? make_nbl_pool(s.with_nb, s.data_size, s.pool_ctx, s.verify)
                             : make_nb_pool(s.data_size);
    if (pool == nullptr) {
        log.add("churn: could not create a pool");
        return 0;
    }
    struct held {
        void *object;
        std::uint64_t seq;
    };
    std::vector<held> live;
    std::uint64_t went_through = 0;

    auto check_free_one = [&](std::size_t i) {
        const held h = live[i];
        live[i] = live.back();
        live.pop_back();
        const std::uint64_t key = key_of(thread, h.seq);
        const char *problem = nullptr;
        if (s.nbl) {
            auto *nbl = static_cast<PNET_BUFFER_LIST>(h.object);
            if (NdisGetPoolFromNetBufferList(nbl) != pool ||
                !intact(nbl->ProtocolReserved, sizeof(nbl->ProtocolReserved), key,
                        kSaltNblProtocol) ||
                (s.pool_ctx != 0 &&
                 !intact(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), s.pool_ctx, key, kSaltContext))) {
                problem = "churn: NBL pattern or pool overwritten";
            } else if (s.with_nb && (nbl->FirstNetBuffer == nullptr ||
                                     !intact(nbl->FirstNetBuffer->ProtocolReserved,
                                             sizeof(nbl->FirstNetBuffer->ProtocolReserved), key,
                                             kSaltNbProtocol))) {
                problem = "churn: NB of NBL pattern overwritten";
            } else if (s.data_size != 0 && !intact(MmGetSystemAddressForMdlSafe(
                                                       nbl->FirstNetBuffer->MdlChain,
                                                       NormalPagePriority),
                                                   s.data_size, key, kSaltData)) {
                problem = "churn: NBL data pattern overwritten";
            }
            NdisFreeNetBufferList(nbl);
        } else {
            auto *nb = static_cast<PNET_BUFFER>(h.object);
            if (NdisGetPoolFromNetBuffer(nb) != pool ||
                !intact(nb->ProtocolReserved, sizeof(nb->ProtocolReserved), key,
                        kSaltNbProtocol) ||
                (s.data_size != 0 &&
                 !intact(MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority),
                         s.data_size, key, kSaltData))) {
                problem = "churn: NB pattern or pool overwritten";
            }
            NdisFreeNetBuffer(nb);
        }
        if (problem != nullptr) {
            log.add(describe(problem, thread, h.seq, h.object));
        }
    };

    // A few phases of "allocate some, free some", ending with everything freed.
    const unsigned phases = 1 + r.below(4);
    for (unsigned phase = 0; phase < phases; ++phase) {
        const unsigned n = 1 + r.below(s.verify ? 40 : 200);
        for (unsigned i = 0; i < n; ++i) {
            const std::uint64_t my_seq = seq++;
            const std::uint64_t key = key_of(thread, my_seq);
            void *object = nullptr;
            if (s.nbl) {
                PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, s.pool_ctx, 0);
                if (nbl != nullptr) {
                    stamp_nbl(nbl, key);
                    stamp_context(nbl, s.pool_ctx, key, kSaltContext);
                    if (s.with_nb && nbl->FirstNetBuffer != nullptr) {
                        stamp_nb(nbl->FirstNetBuffer, key);
                        if (s.data_size != 0) {
                            fill(MmGetSystemAddressForMdlSafe(nbl->FirstNetBuffer->MdlChain,
                                                              NormalPagePriority),
                                 s.data_size, key, kSaltData);
                        }
                    }
                }
                object = nbl;
            } else {
                PNET_BUFFER nb = s.data_size != 0 ? NdisAllocateNetBufferMdlAndData(pool)
                                                  : NdisAllocateNetBuffer(pool, nullptr, 0, 0);
                if (nb != nullptr) {
                    stamp_nb(nb, key);
                    if (s.data_size != 0) {
                        fill(MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority),
                             s.data_size, key, kSaltData);
                    }
                }
                object = nb;
            }
            if (object == nullptr) {
                log.add(describe("churn: allocation returned NULL", thread, my_seq, nullptr));
                continue;
            }
            live.push_back({object, my_seq});
            ++went_through;
        }
        const bool last = phase + 1 == phases;
        std::size_t to_free = last ? live.size() : r.below(static_cast<std::uint32_t>(live.size()) + 1);
        while (to_free-- != 0) {
            check_free_one(r.below(static_cast<std::uint32_t>(live.size())));
        }
    }
    if (s.nbl) {
        NdisFreeNetBufferListPool(pool);
    } else {
        NdisFreeNetBufferPool(pool);
    }
    return went_through;
}

void expect_same_counts(const OPENNDIS_STATS &before, const OPENNDIS_STATS &after)
{
    EXPECT_EQ(after.NblPools, before.NblPools);
    EXPECT_EQ(after.NbPools, before.NbPools);
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.NblContexts, before.NblContexts);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
    EXPECT_EQ(after.MemoryBytes, before.MemoryBytes);
    EXPECT_EQ(after.VerifierReports, before.VerifierReports);
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ================================================================================================

TEST(PoolThreads, CrossThreadHandOff)
{
    const double scale = stress_scale();
    const std::uint64_t seed = announce_seed(scale);
    constexpr unsigned kWorkers = 4;
    constexpr unsigned kChurnThread = kWorkers;
    constexpr std::uint64_t kMaxInFlight = 4096;
    // ~1.15 objects per item: 4 × 400 000 items ≈ 1.8 × 10^6 objects, plus the churn thread's.
    const std::uint64_t items_per_worker = scaled(400000, scale);
    const std::uint64_t min_objects = scaled(1e6, scale);

    const OPENNDIS_STATS before = openndis::test::live_objects();
    const auto t0 = std::chrono::steady_clock::now();
    failure_log log;
    std::atomic<std::uint64_t> objects{0};
    std::atomic<std::uint64_t> in_flight{0};
    std::atomic<unsigned> workers_done{0};
    std::atomic<std::uint64_t> churn_rounds{0};
    {
        shared_pools pools;
        ASSERT_TRUE(pools.ok());
        std::array<inbox, kWorkers> inboxes;

        auto worker = [&](unsigned self) {
            rng r(mix(seed ^ (0x100 + self)));
            std::array<std::vector<item>, kWorkers> outgoing;
            std::vector<item> incoming;
            std::uint64_t mine = 0;

            auto drain = [&] {
                inboxes[self].take_all(incoming);
                for (const item &it : incoming) {
                    check_and_free(it, self, log);
                }
                in_flight.fetch_sub(incoming.size(), std::memory_order_relaxed);
            };

            for (std::uint64_t seq = 0; seq < items_per_worker;) {
                // A burst of 1..32 objects, each to a random other worker.
                const unsigned burst = 1 + r.below(32);
                for (unsigned b = 0; b < burst && seq < items_per_worker; ++b, ++seq) {
                    item it = make_item(pools, pick_kind(r), self, seq, r, log);
                    if (it.object == nullptr) {
                        continue;
                    }
                    mine += objects_of(it);
                    const unsigned to = (self + 1 + r.below(kWorkers - 1)) % kWorkers;
                    outgoing[to].push_back(it);
                }
                for (unsigned to = 0; to < kWorkers; ++to) {
                    if (!outgoing[to].empty()) {
                        in_flight.fetch_add(outgoing[to].size(), std::memory_order_relaxed);
                        inboxes[to].push(outgoing[to]);
                    }
                }
                drain();
                while (in_flight.load(std::memory_order_relaxed) > kMaxInFlight) {
                    std::this_thread::yield();
                    drain();
                }
            }
            workers_done.fetch_add(1, std::memory_order_acq_rel);
            for (;;) {
                const bool all_done =
                    workers_done.load(std::memory_order_acquire) == kWorkers;
                drain();
                if (all_done && inboxes[self].empty()) {
                    break; // nobody sends any more and everything sent here was freed
                }
                std::this_thread::yield();
            }
            objects.fetch_add(mine, std::memory_order_relaxed);
        };

        auto churner = [&] {
            rng r(mix(seed ^ 0xC0FFEE));
            std::uint64_t seq = 0;
            std::uint64_t mine = 0;
            std::uint64_t rounds = 0;
            while (workers_done.load(std::memory_order_acquire) < kWorkers || rounds < 20) {
                mine += churn_round(r, kChurnThread, seq, log);
                ++rounds;
            }
            objects.fetch_add(mine, std::memory_order_relaxed);
            churn_rounds.store(rounds, std::memory_order_relaxed);
        };

        // Reads the live counters and the leak report while everything else runs (as a live
        // counter display would): accounting walks pools that grow, and the churn pools being
        // created and destroyed. Live objects can never exceed what the test holds at most.
        std::atomic<bool> stop_observer{false};
        std::atomic<std::uint64_t> observations{0};
        auto observer = [&] {
            // In flight: <= kMaxInFlight + a burst per worker, <= 2 objects each; churn <= 800.
            const std::uint64_t max_live = 2 * (kMaxInFlight + kWorkers * 32) + 4 * 200 + 100;
            std::string report(1 << 16, '\0');
            for (std::uint64_t n = 0; !stop_observer.load(std::memory_order_acquire); ++n) {
                OPENNDIS_STATS s{};
                OpenNdisGetStats(&s);
                const std::uint64_t live = (s.Nbls - before.Nbls) + (s.Nbs - before.Nbs) +
                                           (s.Mdls - before.Mdls) +
                                           (s.NblContexts - before.NblContexts);
                if (s.NblPools < before.NblPools + 4 || s.NblPools > before.NblPools + 5 ||
                    s.NbPools < before.NbPools + 2 || s.NbPools > before.NbPools + 3 ||
                    live > max_live) {
                    std::ostringstream out;
                    out << "observer: implausible counts: NblPools " << s.NblPools << ", NbPools "
                        << s.NbPools << ", live objects " << live << " (before: NblPools "
                        << before.NblPools << ", NbPools " << before.NbPools << ")";
                    log.add(out.str());
                }
                if (n % 16 == 0) {
                    OpenNdisLeakReport(report.data(), report.size());
                }
                observations.fetch_add(1, std::memory_order_relaxed);
                std::this_thread::sleep_for(std::chrono::microseconds(500));
            }
        };

        std::thread watching(observer);
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < kWorkers; ++t) {
            threads.emplace_back(worker, t);
        }
        threads.emplace_back(churner);
        for (std::thread &t : threads) {
            t.join();
        }
        stop_observer.store(true, std::memory_order_release);
        watching.join();
        EXPECT_EQ(in_flight.load(), 0u);
        EXPECT_GT(observations.load(), 0u);
    } // shared pools freed here
    const OPENNDIS_STATS after = openndis::test::live_objects();

    std::printf("[   INFO   ] %" PRIu64 " objects in %.2f s (%" PRIu64 " short-lived pools)\n",
                objects.load(), seconds_since(t0), churn_rounds.load());
    EXPECT_EQ(log.count(), 0u) << log.summary();
    EXPECT_GE(objects.load(), min_objects);
    expect_same_counts(before, after);
}

TEST(PoolThreads, MagazineRefillAndFlush)
{
    const double scale = stress_scale();
    const std::uint64_t seed = announce_seed(scale);
    constexpr unsigned kThreads = 8;
    constexpr ULONG kSmallData = 64;
    const std::uint64_t nbls_per_thread = scaled(100000, scale);

    const OPENNDIS_STATS before = openndis::test::live_objects();
    const auto t0 = std::chrono::steady_clock::now();
    failure_log log;
    {
        const std::array<NDIS_HANDLE, 3> pools = {make_nbl_pool(false, 0, 0),
                                                  make_nbl_pool(true, 0, 0),
                                                  make_nbl_pool(true, kSmallData, 0)};
        const bool ok = pools[0] && pools[1] && pools[2];
        EXPECT_TRUE(ok);

        auto run = [&](unsigned self) {
            rng r(mix(seed ^ (0x200 + self)));
            struct held {
                PNET_BUFFER_LIST nbl;
                std::uint64_t seq;
                unsigned pool;
            };
            std::vector<held> live;
            live.reserve(300);

            auto check_free_one = [&](std::size_t i) {
                const held h = live[i];
                live[i] = live.back();
                live.pop_back();
                const std::uint64_t key = key_of(self, h.seq);
                PNET_BUFFER_LIST nbl = h.nbl;
                const bool ok_nbl =
                    NdisGetPoolFromNetBufferList(nbl) == pools[h.pool] &&
                    intact(nbl->ProtocolReserved, sizeof(nbl->ProtocolReserved), key,
                           kSaltNblProtocol) &&
                    (h.pool == 0) == (nbl->FirstNetBuffer == nullptr) &&
                    (h.pool != 2 ||
                     intact(MmGetSystemAddressForMdlSafe(nbl->FirstNetBuffer->MdlChain,
                                                         NormalPagePriority),
                            kSmallData, key, kSaltData));
                if (!ok_nbl) {
                    log.add(describe("NBL pattern, pool or NB overwritten while held", self,
                                     h.seq, nbl));
                }
                NdisFreeNetBufferList(nbl);
            };

            for (std::uint64_t seq = 0; seq < nbls_per_thread;) {
                const unsigned burst = 1 + r.below(64);
                const unsigned p = r.below(3);
                for (unsigned b = 0; b < burst && seq < nbls_per_thread; ++b, ++seq) {
                    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pools[p], 0, 0);
                    if (nbl == nullptr) {
                        log.add(describe("NdisAllocateNetBufferList returned NULL", self, seq,
                                         nullptr));
                        continue;
                    }
                    const std::uint64_t key = key_of(self, seq);
                    stamp_nbl(nbl, key);
                    if (p == 2) {
                        fill(MmGetSystemAddressForMdlSafe(nbl->FirstNetBuffer->MdlChain,
                                                          NormalPagePriority),
                             kSmallData, key, kSaltData);
                    }
                    live.push_back({nbl, seq, p});
                }
                // Free in random order down to a random level 0..192 (often several magazines'
                // worth at once, often a few).
                const std::size_t keep = r.below(193);
                while (live.size() > keep) {
                    check_free_one(r.below(static_cast<std::uint32_t>(live.size())));
                }
            }
            while (!live.empty()) {
                check_free_one(r.below(static_cast<std::uint32_t>(live.size())));
            }
        };

        if (ok) {
            std::vector<std::thread> threads;
            for (unsigned t = 0; t < kThreads; ++t) {
                threads.emplace_back(run, t);
            }
            for (std::thread &t : threads) {
                t.join();
            }
        }
        for (NDIS_HANDLE p : pools) {
            if (p != nullptr) {
                NdisFreeNetBufferListPool(p);
            }
        }
    }
    const OPENNDIS_STATS after = openndis::test::live_objects();
    std::printf("[   INFO   ] %u threads x %" PRIu64 " NBLs in %.2f s\n", kThreads,
                nbls_per_thread, seconds_since(t0));
    EXPECT_EQ(log.count(), 0u) << log.summary();
    expect_same_counts(before, after);
}

// Holds an NBL freed by a thread_local destructor when the thread exits.
struct freed_at_thread_exit {
    PNET_BUFFER_LIST nbl = nullptr;
    ~freed_at_thread_exit()
    {
        if (nbl != nullptr) {
            NdisFreeNetBufferList(nbl);
        }
    }
};
thread_local freed_at_thread_exit t_freed_at_exit;

// A thread that builds a thread_local object before its first pool call and frees an NBL from
// that object's destructor (a driver's per-thread state, say) must not cost the process a
// thread slot: otherwise, after kMaxThreadSlots (256) such threads, every thread takes the pools'
// locked path for good. Observed through the magazines: with per-thread caches, an NBL that
// thread A freed stays in A's magazine, so a concurrent thread B does not get it; without slots
// both go through the depot and B gets A's NBL back.
// (core/thread_slot.cpp: a thread that gave its slot back takes the locked path from then on.)
TEST(PoolThreads, FreeFromThreadLocalDestructorKeepsThreadSlots)
{
    NDIS_HANDLE pool = make_nbl_pool(false, 0, 0);
    ASSERT_NE(pool, nullptr);
    for (unsigned i = 0; i < 300; ++i) {
        std::thread([&] {
            t_freed_at_exit.nbl = nullptr; // constructed before this thread's first pool call
            t_freed_at_exit.nbl = NdisAllocateNetBufferList(pool, 0, 0);
        }).join();
    }

    std::mutex lock;
    std::condition_variable changed;
    int stage = 0;
    PNET_BUFFER_LIST freed_by_a = nullptr;
    PNET_BUFFER_LIST got_by_b = nullptr;
    auto advance = [&](int to) {
        {
            std::lock_guard<std::mutex> guard(lock);
            stage = to;
        }
        changed.notify_all();
    };
    auto wait_for = [&](int at_least) {
        std::unique_lock<std::mutex> guard(lock);
        changed.wait(guard, [&] { return stage >= at_least; });
    };
    std::thread a([&] {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
        NdisFreeNetBufferList(nbl);
        freed_by_a = nbl;
        advance(1);
        wait_for(2); // stay alive (and keep the slot) while B allocates
    });
    std::thread b([&] {
        wait_for(1);
        got_by_b = NdisAllocateNetBufferList(pool, 0, 0);
        advance(2);
    });
    a.join();
    b.join();
    EXPECT_NE(got_by_b, freed_by_a)
        << "a concurrent thread got the NBL another thread had just freed: neither has a "
           "per-thread cache any more (thread slots exhausted by exiting threads)";
    if (got_by_b != nullptr) {
        NdisFreeNetBufferList(got_by_b);
    }
    NdisFreeNetBufferListPool(pool);
}

} // namespace
