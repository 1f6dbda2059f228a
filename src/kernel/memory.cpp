// kernel/memory.cpp — see memory.hpp.
#include "kernel/memory.hpp"

#include "kernel/irql.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace ndis::kernel {
namespace {

constexpr std::uint64_t kLiveMagic = 0x4D454D4C49564521ULL; // "MEMLIVE!"
constexpr std::uint64_t kDeadMagic = 0x4D454D4445414421ULL; // "MEMDEAD!"

struct alignas(16) block_header {
    std::uint64_t magic;
    std::uint64_t size;
    ULONG tag;
    ULONG slot;
    std::uint64_t offset; // from the start of the malloc'ed area to this header
};
static_assert(sizeof(block_header) == 32);

constexpr std::size_t kSlots = 1024; // distinct tags tracked exactly; slot 0 collects overflow

struct tag_slot {
    std::atomic<std::uint64_t> key{0}; // 0 = free, else (1 << 32) | tag
    std::atomic<std::int64_t> blocks{0};
    std::atomic<std::int64_t> bytes{0};
};

tag_slot g_slots[kSlots];
std::atomic<std::int64_t> g_blocks{0};
std::atomic<std::int64_t> g_bytes{0};

// Finds or claims the slot of `tag` (linear probing, claims by CAS; never released).
ULONG slot_for(ULONG tag) noexcept
{
    const std::uint64_t key = (std::uint64_t{1} << 32) | tag;
    std::size_t h = (static_cast<std::size_t>(tag) * 2654435761u) % (kSlots - 1) + 1;
    for (std::size_t i = 0; i < kSlots - 1; ++i) {
        std::uint64_t seen = g_slots[h].key.load(std::memory_order_acquire);
        if (seen == 0 &&
            g_slots[h].key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) {
            return static_cast<ULONG>(h);
        }
        if (seen == key) {
            return static_cast<ULONG>(h);
        }
        h = h + 1 == kSlots ? 1 : h + 1;
    }
    return 0;
}

} // namespace

void *tagged_alloc(std::size_t size, ULONG tag, bool zero, std::size_t alignment) noexcept
{
    if (alignment < 16 || (alignment & (alignment - 1)) != 0 || alignment > 4096) {
        return nullptr;
    }
    if (size > (SIZE_MAX >> 2)) {
        return nullptr;
    }
    // The user block starts `prefix` bytes into the area; the header sits just before it.
    const std::size_t prefix = std::max(sizeof(block_header), alignment);
    void *raw = std::aligned_alloc(alignment, (prefix + size + alignment - 1) & ~(alignment - 1));
    if (raw == nullptr) {
        return nullptr;
    }
    auto *h = reinterpret_cast<block_header *>(static_cast<char *>(raw) + prefix -
                                               sizeof(block_header));
    h->magic = kLiveMagic;
    h->size = size;
    h->tag = tag;
    h->slot = slot_for(tag);
    h->offset = prefix - sizeof(block_header);
    void *user = h + 1;
    if (zero) {
        std::memset(user, 0, size);
    }
    g_slots[h->slot].blocks.fetch_add(1, std::memory_order_relaxed);
    g_slots[h->slot].bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
    g_blocks.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
    return user;
}

bool tagged_is_live(const void *block) noexcept
{
    if (block == nullptr || (reinterpret_cast<std::uintptr_t>(block) & 15) != 0) {
        return false;
    }
    const auto *h = static_cast<const block_header *>(block) - 1;
    return h->magic == kLiveMagic;
}

bool tagged_free(void *block) noexcept
{
    if (!tagged_is_live(block)) {
        return false;
    }
    auto *h = static_cast<block_header *>(block) - 1;
    h->magic = kDeadMagic;
    g_slots[h->slot].blocks.fetch_sub(1, std::memory_order_relaxed);
    g_slots[h->slot].bytes.fetch_sub(static_cast<std::int64_t>(h->size),
                                     std::memory_order_relaxed);
    g_blocks.fetch_sub(1, std::memory_order_relaxed);
    g_bytes.fetch_sub(static_cast<std::int64_t>(h->size), std::memory_order_relaxed);
    std::free(reinterpret_cast<char *>(h) - h->offset);
    return true;
}

memory_totals memory_live_totals() noexcept
{
    memory_totals t;
    t.blocks = static_cast<std::uint64_t>(g_blocks.load(std::memory_order_relaxed));
    t.bytes = static_cast<std::uint64_t>(g_bytes.load(std::memory_order_relaxed));
    return t;
}

std::string tag_to_string(ULONG tag)
{
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const char c = static_cast<char>((tag >> (8 * i)) & 0xFF);
        s.push_back(c >= 0x20 && c < 0x7F ? c : '.');
    }
    return s;
}

void memory_append_report(std::string &out)
{
    for (std::size_t i = 0; i < kSlots; ++i) {
        const auto blocks = g_slots[i].blocks.load(std::memory_order_relaxed);
        if (blocks == 0) {
            continue;
        }
        const auto bytes = g_slots[i].bytes.load(std::memory_order_relaxed);
        if (i == 0) {
            out += fmt::format("  tag (untracked): {} blocks, {} bytes\n", blocks, bytes);
        } else {
            out += fmt::format("  tag '{}': {} blocks, {} bytes\n",
                               tag_to_string(static_cast<ULONG>(g_slots[i].key.load(std::memory_order_relaxed))),
                               blocks, bytes);
        }
    }
}

// ---- Driver pool memory ------------------------------------------------------------------
namespace {

// Which live blocks are driver pool memory, and whose. Sharded by address so that threads
// allocating at once rarely meet on one mutex.
struct pool_registry {
    static constexpr std::size_t kShards = 64;
    struct shard {
        std::mutex lock;
        std::unordered_map<const void *, const driver_identity *> blocks;
    };
    shard shards[kShards];

    shard &of(const void *p) noexcept
    {
        const auto v = reinterpret_cast<std::uintptr_t>(p) >> 4;
        return shards[(v * 0x9E3779B97F4A7C15ULL) >> 58];
    }
};

pool_registry &registry()
{
    static auto *r = new pool_registry; // never destroyed: blocks may be freed at exit
    return *r;
}

const block_header *header_of(const void *block) noexcept
{
    return static_cast<const block_header *>(block) - 1;
}

} // namespace

void *pool_alloc(std::size_t size, ULONG tag, bool zero, std::size_t alignment) noexcept
{
    void *p = tagged_alloc(size, tag, zero, alignment);
    if (p == nullptr) {
        return nullptr;
    }
    auto &shard = registry().of(p);
    try {
        std::lock_guard<std::mutex> guard(shard.lock);
        shard.blocks.emplace(p, current_driver());
    } catch (...) {
        tagged_free(p);
        return nullptr;
    }
    return p;
}

bool pool_free(void *block, pool_block_info *info) noexcept
{
    if (block == nullptr) {
        return false;
    }
    auto &shard = registry().of(block);
    const driver_identity *driver = nullptr;
    {
        std::lock_guard<std::mutex> guard(shard.lock);
        auto it = shard.blocks.find(block);
        if (it == shard.blocks.end()) {
            return false;
        }
        driver = it->second;
        shard.blocks.erase(it);
    }
    if (info != nullptr) {
        const block_header *h = header_of(block);
        info->tag = h->tag;
        info->size = h->size;
        info->driver = driver;
    }
    tagged_free(block);
    return true;
}

bool pool_is_live(const void *block) noexcept
{
    if (block == nullptr) {
        return false;
    }
    auto &shard = registry().of(block);
    std::lock_guard<std::mutex> guard(shard.lock);
    return shard.blocks.count(block) != 0;
}

memory_totals pool_live_for(const driver_identity *driver)
{
    memory_totals t;
    for (auto &shard : registry().shards) {
        std::lock_guard<std::mutex> guard(shard.lock);
        for (const auto &[block, owner] : shard.blocks) {
            if (owner == driver) {
                ++t.blocks;
                t.bytes += header_of(block)->size;
            }
        }
    }
    return t;
}

void pool_append_report(std::string &out, const driver_identity *driver)
{
    std::map<ULONG, memory_totals> by_tag;
    for (auto &shard : registry().shards) {
        std::lock_guard<std::mutex> guard(shard.lock);
        for (const auto &[block, owner] : shard.blocks) {
            if (owner == driver) {
                memory_totals &t = by_tag[header_of(block)->tag];
                ++t.blocks;
                t.bytes += header_of(block)->size;
            }
        }
    }
    for (const auto &[tag, t] : by_tag) {
        out += fmt::format("  tag '{}': {} blocks, {} bytes\n", tag_to_string(tag), t.blocks,
                           t.bytes);
    }
}

} // namespace ndis::kernel
