// kernel/sync.hpp — spin lock, interlocked-list and read/write lock semantics behind
// api/kernel_sync_api.cpp (IRQL handling, LOCK_STATE bookkeeping, verifier checks).
// The lock mechanics are in spinlock.hpp and rwlock.hpp.
#pragma once

#include "kernel/rwlock.hpp"

#include <ndis/sync.h>

#include <cstdint>

namespace ndis::kernel {
struct driver_identity;
}

// The object behind PNDIS_RW_LOCK_EX (opaque to drivers; declared in <ndis/sync.h>).
struct _NDIS_RW_LOCK_EX {
    std::uint64_t magic;
    ndis::kernel::rw_words words;
    std::uintptr_t writer;
    NDIS_HANDLE owner;
    const ndis::kernel::driver_identity *driver;
};

namespace ndis::kernel {

// ---- Spin locks ------------------------------------------------------------------------------
KIRQL spin_acquire_raise(KSPIN_LOCK *lock, const char *api) noexcept;
void spin_release_lower(KSPIN_LOCK *lock, KIRQL new_irql, const char *api) noexcept;
// The AtDpcLevel / Dpr forms: report when the caller is below DISPATCH_LEVEL.
void spin_acquire_at_dpc(KSPIN_LOCK *lock, const char *api) noexcept;
void spin_release_at_dpc(KSPIN_LOCK *lock, const char *api) noexcept;
void spin_check_free(const KSPIN_LOCK *lock, const char *api) noexcept;

// ---- Lists under a spin lock -------------------------------------------------------------
PLIST_ENTRY interlocked_insert_head(PLIST_ENTRY head, PLIST_ENTRY entry, KSPIN_LOCK *lock) noexcept;
PLIST_ENTRY interlocked_insert_tail(PLIST_ENTRY head, PLIST_ENTRY entry, KSPIN_LOCK *lock) noexcept;
PLIST_ENTRY interlocked_remove_head(PLIST_ENTRY head, KSPIN_LOCK *lock) noexcept;
PSINGLE_LIST_ENTRY interlocked_push(PSINGLE_LIST_ENTRY head, PSINGLE_LIST_ENTRY entry,
                                    KSPIN_LOCK *lock) noexcept;
PSINGLE_LIST_ENTRY interlocked_pop(PSINGLE_LIST_ENTRY head, KSPIN_LOCK *lock) noexcept;
ULONG interlocked_add_ulong(PULONG addend, ULONG increment, KSPIN_LOCK *lock) noexcept;

// ---- NDIS_RW_LOCK_EX ---------------------------------------------------------------------
NDIS_RW_LOCK_EX *rw_ex_allocate(NDIS_HANDLE owner) noexcept;
void rw_ex_free(NDIS_RW_LOCK_EX *lock) noexcept;
void rw_ex_acquire(NDIS_RW_LOCK_EX *lock, LOCK_STATE_EX *state, UCHAR flags, bool write) noexcept;
void rw_ex_release(NDIS_RW_LOCK_EX *lock, LOCK_STATE_EX *state) noexcept;
std::uint64_t live_rw_locks() noexcept;

// ---- NDIS_RW_LOCK ----------------------------------------------------------------------------
void rw_initialize(NDIS_RW_LOCK *lock) noexcept;
void rw_acquire(NDIS_RW_LOCK *lock, bool write, LOCK_STATE *state) noexcept;
void rw_release(NDIS_RW_LOCK *lock, LOCK_STATE *state) noexcept;

} // namespace ndis::kernel
