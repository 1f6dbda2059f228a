// core/object.hpp — the runtime-private header in front of every NBL, NB and MDL OpenNDIS makes.
//
// Drivers see only the WDK structures. Immediately before each NET_BUFFER_LIST, NET_BUFFER and
// MDL the runtime allocates sits an object_header (48 bytes, 16-byte aligned) that says who made
// the object (its slab pool), what it is, whether it is live, and a few per-kind fields the
// runtime needs and drivers must not be able to scribble on (unlike NdisReserved).
//
//   magic   kObjectMagic ^ address of the header: a pointer that does not carry it was not made
//           by the runtime (DS-27: NBLs/NBs only from pools; NdisFreeMdl on foreign MDLs).
//   state   free / live / quarantined; exchanged atomically on free, so a double free is caught
//           even when two threads race to free the same object.
//
// Layout of one element of each pool kind (see nbl_pool.hpp):
//   NBL pool (a): [hdr|NBL][ctx block?]
//   NBL pool (b): [hdr|NBL][hdr|NB][ctx block?]
//   NBL pool (c): [hdr|NBL][hdr|NB][hdr|MDL][ctx block?][data]
//   NB pool:      [hdr|NB] or [hdr|NB][hdr|MDL][data]
//   MDL:          [hdr|MDL] (slab) or [hdr|MDL][buffer] (retreat allocation, tagged memory)
#pragma once

#include <ndis/nbl.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ndis::core {

class slab_pool;

inline constexpr std::uint64_t kObjectMagic = 0x4F70656E4E444953ULL; // "OpenNDIS"

enum class object_kind : std::uint8_t { none = 0, nbl = 1, nb = 2, mdl = 3 };
enum class object_state : std::uint8_t { free = 0, live = 1, quarantined = 2 };

// Per-kind flag bits (object_header::flags).
enum : std::uint8_t {
    kFlagPreallocated = 0x01,   // NB/MDL made together with an NBL (or NB): not freed alone
    kFlagContextExternal = 0x02,// NBL: the context block given at allocation is tagged memory
    kFlagOwnsBuffer = 0x04,     // MDL: buffer follows the MDL in the same tagged block
    kFlagClone = 0x08,          // NBL: made by NdisAllocateCloneNetBufferList
    kFlagCloneOriginalMdls = 0x10, // NBL: clone made with NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS
    kFlagFragment = 0x20,       // NBL: made by NdisAllocateFragmentNetBufferList
    kFlagReassembled = 0x40,    // NBL: made by NdisAllocateReassembledNetBufferList
};

struct alignas(16) object_header {
    std::uint64_t magic;
    slab_pool *pool;                 // owning slab pool (nullptr for tagged-memory MDLs)
    object_header *next_free;        // free-list link (primary header of an element only)
    object_kind kind;
    std::atomic<object_state> state;
    std::uint8_t flags;
    std::atomic<std::uint8_t> route; // NBL: where it is on the data path (nbl_route), verifier
    std::uint32_t aux32;             // NB: retreat-allocated MDLs at the head of MdlChain
                                     // NBL: Offset of the base context block at allocation
    void *aux_ptr;                   // NBL: base context block; NB/MDL (prealloc): owner NBL/NB
    // NBL, kept with `route` (verifier checks on): the watchdog epoch (core/watchdog.hpp, a
    // coarse millisecond clock) at NdisSendNetBufferLists, and the send the watchdog already
    // reported as overdue (equal to sent_at once reported), so it reports each stuck NBL once.
    std::atomic<std::uint32_t> sent_at;
    std::atomic<std::uint32_t> overdue_reported;
};
static_assert(sizeof(object_header) == 48);

// Zeroes a 16-byte-aligned object whose size is a multiple of 16 with plain 16-byte stores.
// (A memset of this size is inlined by GCC as `rep stos`, which costs more than the rest of
// an NBL allocation; the empty asm keeps compilers from turning the loop back into a memset.)
template <typename T> inline void zero_object(T *object) noexcept
{
    static_assert(sizeof(T) % 16 == 0 && alignof(T) >= 16);
    using v16 = long long __attribute__((vector_size(16), aligned(16)));
    auto *q = reinterpret_cast<v16 *>(object);
    for (std::size_t i = 0; i < sizeof(T) / 16; ++i) {
        q[i] = v16{0, 0};
        __asm__ volatile("" : : "r"(q) : "memory");
    }
}

// Where an NBL is on the data path (object_header::route), kept when the verifier's checks are
// on: it turns a double send, a double completion or a stray return into a report.
enum nbl_route : std::uint8_t {
    kRouteWithOwner = 0, // with the driver that allocated it (or that it was handed back to)
    kRouteSending = 1,   // inside NDIS / a miniport after NdisSendNetBufferLists
    kRouteIndicated = 2, // with protocols after NdisMIndicateReceiveNetBufferLists
};

inline object_header *header_of(void *object) noexcept
{
    return reinterpret_cast<object_header *>(object) - 1;
}
inline const object_header *header_of(const void *object) noexcept
{
    return reinterpret_cast<const object_header *>(object) - 1;
}
template <typename T> inline T *object_after(object_header *h) noexcept
{
    return reinterpret_cast<T *>(h + 1);
}

inline void init_header(object_header *h, slab_pool *pool, object_kind kind,
                        std::uint8_t flags) noexcept
{
    h->magic = kObjectMagic ^ reinterpret_cast<std::uintptr_t>(h);
    h->pool = pool;
    h->next_free = nullptr;
    h->kind = kind;
    h->state.store(object_state::free, std::memory_order_relaxed);
    h->flags = flags;
    h->route.store(0, std::memory_order_relaxed);
    h->aux32 = 0;
    h->aux_ptr = nullptr;
    h->sent_at.store(0, std::memory_order_relaxed);
    h->overdue_reported.store(0, std::memory_order_relaxed);
}

// Memory the runtime hands objects out of: every slab, and every tagged block that holds an
// MDL with its buffer. probe_header() consults it when an object's header would lie on another
// page than the object itself, so that it never reads a page nobody mapped.
void runtime_memory_add(const void *begin, std::size_t bytes);
void runtime_memory_remove(const void *begin);
bool runtime_memory_contains(const void *begin, std::size_t bytes) noexcept;

// Reads the header before `object` and returns it if it is a runtime header of `kind`; else
// nullptr. Reading the bytes before a foreign object is deliberate (that is how foreign objects
// are recognised), so the sanitizers are told not to instrument this one read. It is safe: when
// the header lies on the object's own page the read cannot fault (the object's page is mapped),
// and otherwise the header is read only if it lies inside runtime memory.
__attribute__((no_sanitize("address", "thread"))) inline object_header *
probe_header(const void *object, object_kind kind) noexcept
{
    const auto addr = reinterpret_cast<std::uintptr_t>(object);
    if (object == nullptr || (addr & 15) != 0 || addr < 4096 + sizeof(object_header)) {
        return nullptr;
    }
    auto *h = reinterpret_cast<object_header *>(addr) - 1;
    if ((addr & 4095) < sizeof(object_header) &&
        !runtime_memory_contains(h, sizeof(object_header))) [[unlikely]] {
        return nullptr;
    }
    if (h->magic != (kObjectMagic ^ reinterpret_cast<std::uintptr_t>(h)) || h->kind != kind) {
        return nullptr;
    }
    return h;
}

} // namespace ndis::core
