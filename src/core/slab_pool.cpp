// core/slab_pool.cpp — see slab_pool.hpp.
#include "core/slab_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <new>
#include <shared_mutex>

namespace ndis::core {

// ---- runtime memory ranges (object.hpp) --------------------------------------------------------

namespace {
struct memory_ranges {
    std::shared_mutex lock;
    std::map<std::uintptr_t, std::uintptr_t> ranges; // begin -> end
};
memory_ranges &ranges()
{
    static memory_ranges *r = new memory_ranges; // process lifetime
    return *r;
}
} // namespace

void runtime_memory_add(const void *begin, std::size_t bytes)
{
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    std::unique_lock<std::shared_mutex> g(ranges().lock);
    ranges().ranges[b] = b + bytes;
}

void runtime_memory_remove(const void *begin)
{
    std::unique_lock<std::shared_mutex> g(ranges().lock);
    ranges().ranges.erase(reinterpret_cast<std::uintptr_t>(begin));
}

bool runtime_memory_contains(const void *begin, std::size_t bytes) noexcept
{
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    std::shared_lock<std::shared_mutex> g(ranges().lock);
    auto it = ranges().ranges.upper_bound(b);
    if (it == ranges().ranges.begin()) {
        return false;
    }
    --it;
    return b >= it->first && b + bytes <= it->second;
}

std::atomic<bool> slab_pool::s_fault_armed{false};

namespace {
std::atomic<std::uint32_t> g_fault_skip{0};
std::atomic<std::uint32_t> g_fault_count{0};
std::mutex g_fault_lock;

constexpr std::size_t kPage = 4096;
constexpr std::size_t kSlabTarget = 64 * 1024; // bytes per slab for ordinary pools

std::size_t round_up(std::size_t v, std::size_t a)
{
    return (v + a - 1) / a * a;
}
} // namespace

void slab_pool::inject_failures(std::uint32_t skip, std::uint32_t count) noexcept
{
    std::lock_guard<std::mutex> guard(g_fault_lock);
    g_fault_skip.store(skip, std::memory_order_relaxed);
    g_fault_count.store(count, std::memory_order_relaxed);
    s_fault_armed.store(count != 0, std::memory_order_release);
}

bool slab_pool::fault_should_fail() noexcept
{
    if (!fault_armed()) {
        return false;
    }
    std::lock_guard<std::mutex> guard(g_fault_lock);
    if (g_fault_count.load(std::memory_order_relaxed) == 0) {
        return false;
    }
    if (g_fault_skip.load(std::memory_order_relaxed) != 0) {
        g_fault_skip.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    if (g_fault_count.fetch_sub(1, std::memory_order_relaxed) == 1) {
        s_fault_armed.store(false, std::memory_order_release);
    }
    return true;
}

slab_pool::slab_pool(object_kind kind, std::size_t payload_size, bool verify)
    : kind_(kind), verify_(verify), payload_size_(payload_size)
{
    if (verify_) {
        // [page: ... header][payload pages]: the header stays readable when payload is locked.
        header_offset_ = kPage - sizeof(object_header);
        element_size_ = kPage + round_up(payload_size_, kPage);
        per_slab_ = 16;
    } else {
        header_offset_ = 0;
        element_size_ = round_up(sizeof(object_header) + payload_size_, 64);
        per_slab_ = element_size_ >= kSlabTarget / 4 ? 4 : kSlabTarget / element_size_;
    }
}

slab_pool::~slab_pool()
{
    for (auto &c : caches_) {
        delete c.load(std::memory_order_relaxed);
    }
    for (const slab &s : slabs_) {
        runtime_memory_remove(s.base);
        munmap(s.base, s.bytes);
    }
}

slab_pool::magazine *slab_pool::cache_for(unsigned slot) noexcept
{
    magazine *m = caches_[slot].load(std::memory_order_relaxed);
    if (m == nullptr) {
        // Only the slot's owner thread ever stores here, so no race on creation.
        m = new (std::nothrow) magazine();
        caches_[slot].store(m, std::memory_order_relaxed);
    }
    return m;
}

bool slab_pool::grow_locked() noexcept
{
    const std::size_t bytes = round_up(element_size_ * per_slab_, kPage);
    void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        return false;
    }
    auto *base = static_cast<std::byte *>(mem);
    try {
        slabs_.push_back({base, bytes, per_slab_});
        runtime_memory_add(base, bytes);
    } catch (...) {
        if (!slabs_.empty() && slabs_.back().base == base) {
            slabs_.pop_back();
        }
        munmap(mem, bytes);
        return false;
    }
    // Push in reverse so that the first element is handed out first (nicer to read in tests).
    for (std::size_t i = per_slab_; i-- > 0;) {
        auto *h = reinterpret_cast<object_header *>(base + i * element_size_ + header_offset_);
        init_header(h, this, kind_, 0);
        construct_element(h);
        h->next_free = depot_;
        depot_ = h;
        ++depot_count_;
    }
    return true;
}

object_header *slab_pool::pop_depot_locked() noexcept
{
    if (depot_ == nullptr && !grow_locked()) {
        return nullptr;
    }
    object_header *h = depot_;
    depot_ = h->next_free;
    h->next_free = nullptr;
    --depot_count_;
    return h;
}

object_header *slab_pool::allocate_slow() noexcept
{
    if (fault_should_fail()) {
        return nullptr;
    }
    const unsigned slot = verify_ ? kNoSlot : this_thread_slot();
    magazine *m = slot != kNoSlot ? cache_for(slot) : nullptr;
    std::lock_guard<std::mutex> guard(lock_);
    if (zombie_.load(std::memory_order_relaxed)) {
        return nullptr; // allocation from a destroyed pool: the caller reports it
    }
    if (m != nullptr) {
        // Refill half a magazine, then take one.
        while (m->count < kMagazineSize / 2) {
            object_header *h = pop_depot_locked();
            if (h == nullptr) {
                break;
            }
            m->items[m->count++] = h;
        }
        if (m->count == 0) {
            return nullptr;
        }
        object_header *h = m->items[--m->count];
        h->state.store(object_state::live, std::memory_order_relaxed);
        return h;
    }
    object_header *h = pop_depot_locked();
    if (h != nullptr) {
        if (verify_) {
            // Out of quarantine: unlock the payload and rebuild what the poison overwrote.
            protect(h, true);
            construct_element(h);
        }
        h->state.store(object_state::live, std::memory_order_relaxed);
    }
    return h;
}

void slab_pool::protect(object_header *h, bool accessible) noexcept
{
    auto *payload = reinterpret_cast<std::byte *>(h) + sizeof(object_header);
    mprotect(payload, element_size_ - kPage, accessible ? PROT_READ | PROT_WRITE : PROT_NONE);
}

void slab_pool::recycle_slow(object_header *h) noexcept
{
    if (zombie_.load(std::memory_order_acquire)) {
        zombie_release();
        return;
    }
    std::lock_guard<std::mutex> guard(lock_);
    if (verify_) {
        // Poison, lock, and park in quarantine; release the oldest parked element for reuse.
        std::memset(reinterpret_cast<std::byte *>(h) + sizeof(object_header), 0xDD,
                    element_size_ - kPage);
        protect(h, false);
        h->state.store(object_state::quarantined, std::memory_order_release);
        quarantine_.push_back(h);
        if (quarantine_.size() > kQuarantine) {
            object_header *old = quarantine_.front();
            quarantine_.pop_front();
            old->state.store(object_state::free, std::memory_order_release);
            old->next_free = depot_;
            depot_ = old;
            ++depot_count_;
        }
        return;
    }
    const unsigned slot = this_thread_slot();
    magazine *m = slot != kNoSlot ? cache_for(slot) : nullptr;
    if (m != nullptr) {
        // Flush half the magazine to the depot, then keep this one.
        while (m->count > kMagazineSize / 2) {
            object_header *o = m->items[--m->count];
            o->next_free = depot_;
            depot_ = o;
            ++depot_count_;
        }
        m->items[m->count++] = h;
        return;
    }
    h->next_free = depot_;
    depot_ = h;
    ++depot_count_;
}

void slab_pool::zombie_release() noexcept
{
    // Each of the elements that were live at destroy() is freed exactly once (mark_free
    // guarantees it), so exactly one caller sees the count reach zero and deletes the pool.
    if (zombie_left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        delete this;
    }
}

void slab_pool::collect_live_locked(std::vector<object_header *> &out) const
{
    for (const slab &s : slabs_) {
        for (std::size_t i = 0; i < s.elements; ++i) {
            auto *h = reinterpret_cast<object_header *>(s.base + i * element_size_ +
                                                        header_offset_);
            if (h->state.load(std::memory_order_acquire) == object_state::live) {
                out.push_back(h);
            }
        }
    }
}

void slab_pool::collect_live(std::vector<object_header *> &out) const
{
    std::lock_guard<std::mutex> guard(lock_);
    collect_live_locked(out);
}

std::size_t slab_pool::live_count() const
{
    std::lock_guard<std::mutex> guard(lock_);
    std::size_t n = 0;
    for (const slab &s : slabs_) {
        for (std::size_t i = 0; i < s.elements; ++i) {
            auto *h = reinterpret_cast<const object_header *>(s.base + i * element_size_ +
                                                              header_offset_);
            n += h->state.load(std::memory_order_acquire) == object_state::live;
        }
    }
    return n;
}

} // namespace ndis::core
