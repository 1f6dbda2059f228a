// kernel/sync.cpp — see sync.hpp.
#include "kernel/sync.hpp"

#include "kernel/irql.hpp"
#include "kernel/memory.hpp"
#include "kernel/spinlock.hpp"
#include "verifier/verifier.hpp"

#include <ndis/list.h>

#include <atomic>
#include <mutex>
#include <new>
#include <unordered_set>

namespace ndis::kernel {
namespace {

using verifier::failure;

constexpr std::uint64_t kRwMagic = 0x58454B434F4C5752ULL; // "RWLOCKEX"
constexpr ULONG kRwTag = 'kLwR';                          // "RwLk" in memory order

constexpr UCHAR kStateRead = 1;
constexpr UCHAR kStateWrite = 2;
constexpr UCHAR kFlagRaised = 0x80; // LOCK_STATE_EX.Flags: we raised the IRQL

struct rw_registry {
    std::mutex lock;
    std::unordered_set<const NDIS_RW_LOCK_EX *> live;
    std::atomic<std::uint64_t> count{0};
};

rw_registry &rw_live()
{
    static auto *r = new rw_registry; // never destroyed
    return *r;
}

bool rw_ex_valid(const NDIS_RW_LOCK_EX *lock, const char *api)
{
    if (lock == nullptr || lock->magic != kRwMagic) {
        verifier::report(failure::kernel_invalid_handle, api, lock,
                         "{}{} is not a live NDIS_RW_LOCK_EX (NdisAllocateRWLock)",
                         driver_prefix(), static_cast<const void *>(lock));
        return false;
    }
    return true;
}

// The write-owner word of an NDIS_RW_LOCK is its SpinLock field (pointer-sized).
std::uintptr_t *writer_of(NDIS_RW_LOCK *lock) noexcept
{
    return reinterpret_cast<std::uintptr_t *>(&lock->SpinLock);
}

rw_words *words_of(NDIS_RW_LOCK *lock) noexcept
{
    static_assert(sizeof(rw_words) <= sizeof(NDIS_RW_LOCK::RefCountEx));
    return reinterpret_cast<rw_words *>(lock->RefCountEx);
}

} // namespace

// ---- Spin locks ------------------------------------------------------------------------------
KIRQL spin_acquire_raise(KSPIN_LOCK *lock, const char *api) noexcept
{
    const KIRQL old = current_irql();
    if (old > DISPATCH_LEVEL) {
        verifier::report(failure::irql_too_high, api, lock,
                         "{}spin lock {} acquired at IRQL {} (allowed up to DISPATCH_LEVEL)",
                         driver_prefix(), static_cast<const void *>(lock), old);
    } else {
        set_irql(DISPATCH_LEVEL);
    }
    spin_acquire(lock, api);
    return old;
}

void spin_release_lower(KSPIN_LOCK *lock, KIRQL new_irql, const char *api) noexcept
{
    if (!spin_release(lock, api)) {
        return; // reported; the IRQL is left alone (the lock was not ours)
    }
    lower_irql(new_irql, api);
}

void spin_acquire_at_dpc(KSPIN_LOCK *lock, const char *api) noexcept
{
    if (current_irql() < DISPATCH_LEVEL) {
        verifier::report(failure::spinlock_dpr_below_dispatch, api, lock,
                         "{}spin lock {} acquired at IRQL {}: the caller must be at "
                         "DISPATCH_LEVEL (use NdisAcquireSpinLock / KeAcquireSpinLock)",
                         driver_prefix(), static_cast<const void *>(lock), current_irql());
    }
    spin_acquire(lock, api);
}

void spin_release_at_dpc(KSPIN_LOCK *lock, const char *api) noexcept
{
    spin_release(lock, api);
}

void spin_check_free(const KSPIN_LOCK *lock, const char *api) noexcept
{
    if (spin_is_held(lock)) {
        verifier::report(failure::lock_freed_while_held, api, lock,
                         "{}spin lock {} freed while held", driver_prefix(),
                         static_cast<const void *>(lock));
    }
}

// ---- Lists under a spin lock -------------------------------------------------------------
namespace {

class raised_lock {
public:
    raised_lock(KSPIN_LOCK *lock, const char *api) noexcept
        : _lock(lock), _api(api), _old(spin_acquire_raise(lock, api))
    {
    }
    ~raised_lock() { spin_release_lower(_lock, _old, _api); }
    raised_lock(const raised_lock &) = delete;
    raised_lock &operator=(const raised_lock &) = delete;

private:
    KSPIN_LOCK *_lock;
    const char *_api;
    KIRQL _old;
};

} // namespace

PLIST_ENTRY interlocked_insert_head(PLIST_ENTRY head, PLIST_ENTRY entry, KSPIN_LOCK *lock) noexcept
{
    raised_lock guard(lock, "ExInterlockedInsertHeadList");
    PLIST_ENTRY first = IsListEmpty(head) ? nullptr : head->Flink;
    InsertHeadList(head, entry);
    return first;
}

PLIST_ENTRY interlocked_insert_tail(PLIST_ENTRY head, PLIST_ENTRY entry, KSPIN_LOCK *lock) noexcept
{
    raised_lock guard(lock, "ExInterlockedInsertTailList");
    PLIST_ENTRY last = IsListEmpty(head) ? nullptr : head->Blink;
    InsertTailList(head, entry);
    return last;
}

PLIST_ENTRY interlocked_remove_head(PLIST_ENTRY head, KSPIN_LOCK *lock) noexcept
{
    raised_lock guard(lock, "ExInterlockedRemoveHeadList");
    if (IsListEmpty(head)) {
        return nullptr;
    }
    return RemoveHeadList(head);
}

PSINGLE_LIST_ENTRY interlocked_push(PSINGLE_LIST_ENTRY head, PSINGLE_LIST_ENTRY entry,
                                    KSPIN_LOCK *lock) noexcept
{
    raised_lock guard(lock, "ExInterlockedPushEntryList");
    PSINGLE_LIST_ENTRY first = head->Next;
    PushEntryList(head, entry);
    return first;
}

PSINGLE_LIST_ENTRY interlocked_pop(PSINGLE_LIST_ENTRY head, KSPIN_LOCK *lock) noexcept
{
    raised_lock guard(lock, "ExInterlockedPopEntryList");
    return PopEntryList(head);
}

ULONG interlocked_add_ulong(PULONG addend, ULONG increment, KSPIN_LOCK *lock) noexcept
{
    raised_lock guard(lock, "ExInterlockedAddUlong");
    const ULONG initial = *addend;
    *addend = initial + increment;
    return initial;
}

// ---- Read/write locks: common ------------------------------------------------------------
namespace {

// Raises unless the caller says (truthfully) it is at DISPATCH_LEVEL. Returns whether it raised.
bool raise_for_rw(const void *lock, UCHAR flags, KIRQL *old, const char *api) noexcept
{
    *old = current_irql();
    if ((flags & NDIS_RWL_AT_DISPATCH_LEVEL) != 0) {
        if (*old < DISPATCH_LEVEL) {
            verifier::report(failure::irql_flag_mismatch, api, lock,
                             "{}NDIS_RWL_AT_DISPATCH_LEVEL passed at IRQL {}: the flag must be "
                             "set only when the caller is at DISPATCH_LEVEL (IRQL-02); raising",
                             driver_prefix(), *old);
            set_irql(DISPATCH_LEVEL);
            return true;
        }
        return false;
    }
    if (*old > DISPATCH_LEVEL) {
        verifier::report(failure::irql_too_high, api, lock,
                         "{}read/write lock {} acquired at IRQL {}", driver_prefix(), lock, *old);
        return false;
    }
    set_irql(DISPATCH_LEVEL);
    return true;
}

} // namespace

// ---- NDIS_RW_LOCK_EX -------------------------------------------------------------------------
NDIS_RW_LOCK_EX *rw_ex_allocate(NDIS_HANDLE owner) noexcept
{
    void *memory = tagged_alloc(sizeof(NDIS_RW_LOCK_EX), kRwTag, true);
    if (memory == nullptr) {
        return nullptr;
    }
    auto *lock = new (memory) NDIS_RW_LOCK_EX{};
    lock->magic = kRwMagic;
    lock->owner = owner;
    lock->driver = current_driver();
    rw_init(&lock->words, &lock->writer);
    auto &r = rw_live();
    try {
        std::lock_guard<std::mutex> guard(r.lock);
        r.live.insert(lock);
    } catch (...) {
        tagged_free(memory);
        return nullptr;
    }
    r.count.fetch_add(1, std::memory_order_relaxed);
    return lock;
}

void rw_ex_free(NDIS_RW_LOCK_EX *lock) noexcept
{
    constexpr const char *api = "NdisFreeRWLock";
    auto &r = rw_live();
    {
        std::lock_guard<std::mutex> guard(r.lock);
        if (lock == nullptr || r.live.erase(lock) == 0) {
            verifier::report(failure::kernel_invalid_handle, api, lock,
                             "{}{} is not a live NDIS_RW_LOCK_EX (never allocated, or freed "
                             "already)",
                             driver_prefix(), static_cast<const void *>(lock));
            return;
        }
    }
    if (rw_is_held(&lock->words)) {
        verifier::report(failure::lock_freed_while_held, api, lock,
                         "{}read/write lock {} freed while held", driver_prefix(),
                         static_cast<const void *>(lock));
    }
    rw_forget(lock);
    lock->magic = 0;
    r.count.fetch_sub(1, std::memory_order_relaxed);
    tagged_free(lock);
}

void rw_ex_acquire(NDIS_RW_LOCK_EX *lock, LOCK_STATE_EX *state, UCHAR flags, bool write) noexcept
{
    const char *api = write ? "NdisAcquireRWLockWrite" : "NdisAcquireRWLockRead";
    if (!rw_ex_valid(lock, api)) {
        return;
    }
    if (state == nullptr) {
        verifier::report(failure::null_argument, api, lock, "{}LockState is NULL",
                         driver_prefix());
        return;
    }
    KIRQL old;
    const bool raised = raise_for_rw(lock, flags, &old, api);
    if (write) {
        rw_acquire_write(&lock->words, &lock->writer, lock, api);
    } else {
        rw_acquire_read(&lock->words, &lock->writer, lock, api);
    }
    state->OldIrql = old;
    state->LockState = write ? kStateWrite : kStateRead;
    state->Flags = static_cast<UCHAR>((flags & NDIS_RWL_AT_DISPATCH_LEVEL) |
                                      (raised ? kFlagRaised : 0));
}

void rw_ex_release(NDIS_RW_LOCK_EX *lock, LOCK_STATE_EX *state) noexcept
{
    constexpr const char *api = "NdisReleaseRWLock";
    if (!rw_ex_valid(lock, api)) {
        return;
    }
    if (state == nullptr) {
        verifier::report(failure::null_argument, api, lock, "{}LockState is NULL",
                         driver_prefix());
        return;
    }
    bool ok = false;
    if (state->LockState == kStateWrite) {
        ok = rw_release_write(&lock->words, &lock->writer);
    } else if (state->LockState == kStateRead) {
        ok = rw_release_read(&lock->words, lock);
    }
    if (!ok) {
        verifier::report(failure::rwlock_release_not_held, api, lock,
                         "{}read/write lock {} released with a LOCK_STATE_EX that holds nothing "
                         "(released twice, or never acquired by this thread)",
                         driver_prefix(), static_cast<const void *>(lock));
        return;
    }
    state->LockState = 0;
    if ((state->Flags & kFlagRaised) != 0) {
        lower_irql(state->OldIrql, api);
    }
}

std::uint64_t live_rw_locks() noexcept
{
    return rw_live().count.load(std::memory_order_relaxed);
}

// ---- NDIS_RW_LOCK ----------------------------------------------------------------------------
void rw_initialize(NDIS_RW_LOCK *lock) noexcept
{
    *lock = NDIS_RW_LOCK{};
    rw_forget(lock);
    rw_init(words_of(lock), writer_of(lock));
}

void rw_acquire(NDIS_RW_LOCK *lock, bool write, LOCK_STATE *state) noexcept
{
    constexpr const char *api = "NdisAcquireReadWriteLock";
    if (lock == nullptr || state == nullptr) {
        verifier::report(failure::null_argument, api, lock, "{}Lock or LockState is NULL",
                         driver_prefix());
        return;
    }
    KIRQL old;
    raise_for_rw(lock, 0, &old, api);
    if (write) {
        rw_acquire_write(words_of(lock), writer_of(lock), lock, api);
    } else {
        rw_acquire_read(words_of(lock), writer_of(lock), lock, api);
    }
    state->OldIrql = old;
    state->LockState = write ? kStateWrite : kStateRead;
}

void rw_release(NDIS_RW_LOCK *lock, LOCK_STATE *state) noexcept
{
    constexpr const char *api = "NdisReleaseReadWriteLock";
    if (lock == nullptr || state == nullptr) {
        verifier::report(failure::null_argument, api, lock, "{}Lock or LockState is NULL",
                         driver_prefix());
        return;
    }
    bool ok = false;
    if (state->LockState == kStateWrite) {
        ok = rw_release_write(words_of(lock), writer_of(lock));
    } else if (state->LockState == kStateRead) {
        ok = rw_release_read(words_of(lock), lock);
    }
    if (!ok) {
        verifier::report(failure::rwlock_release_not_held, api, lock,
                         "{}read/write lock {} released with a LOCK_STATE that holds nothing",
                         driver_prefix(), static_cast<const void *>(lock));
        return;
    }
    state->LockState = 0;
    lower_irql(state->OldIrql, api);
}

} // namespace ndis::kernel
