// core/slab_pool.hpp — fixed-size elements in slabs, with a per-thread magazine in front.
//
// The allocator under every NBL pool, NB pool and the MDL allocator. Each element starts with
// its primary object_header (core/object.hpp); subclasses lay out the rest (an NBL plus its
// preallocated NB, MDL, context block and data, for instance) in construct_element().
//
// Fast path (allocate / recycle): one thread_local read for the thread's slot, then a pop or
// push on that slot's magazine — no lock, no atomic read-modify-write, no system call. A
// magazine that runs empty refills half its capacity from the pool's depot under the pool's
// own mutex; one that runs full flushes half back. Slabs are mmap'ed and never returned until
// the pool is destroyed, so element addresses stay valid for the pool's life.
//
// Verify pools (NET_BUFFER_LIST_POOL_FLAG_VERIFY, POOL-13) take a different road: every element
// is page aligned with its header on a page of its own, and the payload pages are made
// inaccessible (PROT_NONE) while the element sits in a FIFO quarantine after being freed; an
// element is reused only after kQuarantine later frees. A use after free faults at once; a
// double free is reported because the header stays readable.
//
// Destroying a pool that still has live elements reports each of them (POOL-10) and turns the
// pool into a zombie: it is deleted when the last of those elements is freed, so nothing the
// driver still holds dangles.
#pragma once

#include "core/object.hpp"
#include "core/thread_slot.hpp"
#include "verifier/verifier.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace ndis::core {

class slab_pool {
public:
    static constexpr std::uint32_t kMagazineSize = 64;
    static constexpr std::size_t kQuarantine = 64;

    // `payload_size` counts everything after the primary header.
    slab_pool(object_kind kind, std::size_t payload_size, bool verify);
    virtual ~slab_pool();
    slab_pool(const slab_pool &) = delete;
    slab_pool &operator=(const slab_pool &) = delete;

    // Returns a free element's primary header, marked live; nullptr when memory runs out (or an
    // injected failure fires).
    object_header *allocate() noexcept
    {
        if (__builtin_expect(!verify_ && !fault_armed(), 1)) {
            const unsigned slot = this_thread_slot();
            if (__builtin_expect(slot != kNoSlot, 1)) {
                magazine *m = caches_[slot].load(std::memory_order_relaxed);
                if (__builtin_expect(m != nullptr && m->count != 0, 1)) {
                    object_header *h = m->items[--m->count];
                    h->state.store(object_state::live, std::memory_order_relaxed);
                    return h;
                }
            }
        }
        return allocate_slow();
    }

    // Marks a live element free. False when it was not live (double free): nothing changed.
    // With the verifier's checks on (the default) this is an atomic exchange, so that even two
    // threads racing to free the same object are caught; with them off, a plain check-and-store
    // (a sequential double free is still caught) keeps the locked instruction off the hot path.
    static bool mark_free(object_header *h) noexcept
    {
        if (__builtin_expect(verifier::checks_enabled(), 1)) {
            object_state expected = object_state::live;
            return h->state.compare_exchange_strong(expected, object_state::free,
                                                    std::memory_order_acq_rel);
        }
        if (h->state.load(std::memory_order_relaxed) != object_state::live) {
            return false;
        }
        h->state.store(object_state::free, std::memory_order_relaxed);
        return true;
    }

    // Returns an element (already mark_free'd) to the pool. May delete a zombie pool: the
    // caller must not touch the pool afterwards.
    void recycle(object_header *h) noexcept
    {
        if (__builtin_expect(!verify_ && !zombie_.load(std::memory_order_relaxed), 1)) {
            const unsigned slot = this_thread_slot();
            if (__builtin_expect(slot != kNoSlot, 1)) {
                magazine *m = caches_[slot].load(std::memory_order_relaxed);
                if (__builtin_expect(m != nullptr && m->count < kMagazineSize, 1)) {
                    m->items[m->count++] = h;
                    return;
                }
            }
        }
        recycle_slow(h);
    }

    // Destroys the pool: reports (through `report_live`) and keeps alive what is still out.
    // Returns the number of live elements found (0: the pool was deleted).
    template <typename Report> std::size_t destroy(Report &&report_live)
    {
        std::vector<object_header *> live;
        {
            std::lock_guard<std::mutex> guard(lock_);
            collect_live_locked(live);
            if (!live.empty()) {
                zombie_left_.store(live.size(), std::memory_order_relaxed);
                zombie_.store(true, std::memory_order_release);
            }
        }
        for (object_header *h : live) {
            report_live(h);
        }
        if (live.empty()) {
            delete this;
        }
        return live.size();
    }

    bool destroyed() const noexcept { return zombie_.load(std::memory_order_acquire); }
    bool verify() const noexcept { return verify_; }
    object_kind kind() const noexcept { return kind_; }

    // Live elements right now (a consistent-enough snapshot; takes the pool lock).
    std::size_t live_count() const;
    void collect_live(std::vector<object_header *> &out) const;
    // Calls fn(header) for every live element, under the pool lock (so nothing it reads can be
    // unmapped meanwhile); fn must not call back into the pool.
    template <typename F> void for_each_live(F &&fn) const
    {
        std::lock_guard<std::mutex> guard(lock_);
        for (const slab &s : slabs_) {
            for (std::size_t i = 0; i < s.elements; ++i) {
                auto *h = reinterpret_cast<object_header *>(s.base + i * element_size_ +
                                                            header_offset_);
                if (h->state.load(std::memory_order_acquire) == object_state::live) {
                    fn(h);
                }
            }
        }
    }

    // Process-wide fault injection: after `skip` more allocations, fail `count` of them.
    static void inject_failures(std::uint32_t skip, std::uint32_t count) noexcept;
    static bool fault_armed() noexcept
    {
        return s_fault_armed.load(std::memory_order_relaxed);
    }
    static bool fault_should_fail() noexcept;

protected:
    // Sets up a fresh element's headers (primary already initialised for kind()).
    virtual void construct_element(object_header *primary) noexcept = 0;
    std::size_t payload_size() const noexcept { return payload_size_; }

private:
    struct alignas(64) magazine {
        std::uint32_t count = 0;
        object_header *items[kMagazineSize];
    };

    object_header *allocate_slow() noexcept;
    void recycle_slow(object_header *h) noexcept;
    bool grow_locked() noexcept;
    object_header *pop_depot_locked() noexcept;
    magazine *cache_for(unsigned slot) noexcept;
    void collect_live_locked(std::vector<object_header *> &out) const;
    void protect(object_header *h, bool accessible) noexcept;
    void zombie_release() noexcept;

    const object_kind kind_;
    const bool verify_;
    const std::size_t payload_size_;
    std::size_t element_size_ = 0;  // bytes per element, header included
    std::size_t header_offset_ = 0; // primary header offset inside an element
    std::size_t per_slab_ = 0;

    mutable std::mutex lock_;
    object_header *depot_ = nullptr;
    std::size_t depot_count_ = 0;
    struct slab {
        std::byte *base;
        std::size_t bytes;
        std::size_t elements;
    };
    std::vector<slab> slabs_;
    std::deque<object_header *> quarantine_;

    std::atomic<magazine *> caches_[kMaxThreadSlots] = {};
    std::atomic<bool> zombie_{false};
    std::atomic<std::size_t> zombie_left_{0};

    static std::atomic<bool> s_fault_armed;
};

} // namespace ndis::core
