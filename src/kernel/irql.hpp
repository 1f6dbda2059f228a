// kernel/irql.hpp — per-thread emulated IRQL, the "current driver" context, and callback checks.
//
// Every thread has one constant-initialised thread_local `thread_state` (no TLS guard) in the
// initial-exec TLS model, so reading it is one %fs-relative load: its IRQL (PASSIVE by default),
// how many spin locks it holds, the driver the runtime is currently calling into, and the role
// of runtime threads (DPC thread, worker). Its address is the thread's owner token, stored in
// held lock words. (initial-exec: libopenndis.so is loaded with the program; a host that
// dlopen()s it relies on glibc's static TLS reserve, which the 128-byte state fits.)
//
// What the rest of the runtime uses:
//   current_irql()                  the thread's IRQL
//   irql_guard g;                   raise to DISPATCH_LEVEL for a scope (no-op if already there)
//   driver_scope s(identity);       "we are calling into driver X" for a scope; DbgPrint prefixes
//                                   its lines with X's name; timers/DPCs/work items created in
//                                   the scope are attributed to X (leak reports per driver)
//   intern_driver("null")           the immortal identity of a driver name (call once per driver)
//   callback_frame f; ... f.check("DPC routine", fn);
//                                   around a call into a driver: reports (IRQL-07) a callback
//                                   that returns at another IRQL or holding more/fewer spin
//                                   locks, and restores the IRQL.
#pragma once

#include <ndis/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ndis::kernel {

// The name of a driver as the runtime knows it (its service name). Identities are interned and
// never freed, so a pointer to one may be kept anywhere (timers, DPCs, log lines).
struct driver_identity {
    std::string name;
};

// The identity for `name` (the same pointer for the same name, process-wide). Thread-safe.
const driver_identity *intern_driver(std::string_view name);

enum class thread_role : std::uint8_t { none, dpc, worker, timer };

struct alignas(16) thread_state {
    KIRQL irql = PASSIVE_LEVEL;
    thread_role role = thread_role::none;
    bool in_dpc_routine = false; // running a (non-threaded) DPC routine
    bool dbg_line_start = true;  // DbgPrint: the next character starts a line
    std::uint32_t spinlocks_held = 0;
    std::int32_t processor = -1; // DPC thread: the processor whose queue it serves
    const driver_identity *driver = nullptr;
    // Read/write locks this thread holds for read (recursion is allowed; a write acquire by a
    // reader is a deadlock). Small and linear: a thread rarely holds more than one or two.
    static constexpr int kMaxReadLocks = 8;
    const void *read_locks[kMaxReadLocks] = {};
    std::uint32_t read_depth[kMaxReadLocks] = {};
};

extern constinit thread_local thread_state t_thread __attribute__((tls_model("initial-exec")));

inline thread_state &this_thread() noexcept { return t_thread; }
inline KIRQL current_irql() noexcept { return t_thread.irql; }
inline bool at_dispatch() noexcept { return t_thread.irql >= DISPATCH_LEVEL; }

// Unique per live thread, non-zero, low 4 bits clear (lock words use bit 0 as a flag).
inline std::uintptr_t thread_token() noexcept
{
    return reinterpret_cast<std::uintptr_t>(&t_thread);
}

// Sets the IRQL without checks (runtime threads, fix-ups after a misbehaving callback).
inline void set_irql(KIRQL irql) noexcept { t_thread.irql = irql; }

// KeRaiseIrql / KeLowerIrql semantics with the IRQL-01 reports; `api` names the caller.
KIRQL raise_irql(KIRQL new_irql, const char *api) noexcept;
void lower_irql(KIRQL new_irql, const char *api) noexcept;

// Raise to DISPATCH_LEVEL for the lifetime of the guard (left alone when already at or above).
class irql_guard {
public:
    irql_guard() noexcept : _old(t_thread.irql)
    {
        if (_old < DISPATCH_LEVEL) {
            t_thread.irql = DISPATCH_LEVEL;
        }
    }
    ~irql_guard() { t_thread.irql = _old; }
    irql_guard(const irql_guard &) = delete;
    irql_guard &operator=(const irql_guard &) = delete;
    KIRQL old_irql() const noexcept { return _old; }

private:
    KIRQL _old;
};

// "The runtime is calling into this driver" for a scope. Nests; restores the previous one.
class driver_scope {
public:
    explicit driver_scope(const driver_identity *driver) noexcept : _previous(t_thread.driver)
    {
        t_thread.driver = driver;
    }
    explicit driver_scope(std::string_view name) : driver_scope(intern_driver(name)) {}
    ~driver_scope() { t_thread.driver = _previous; }
    driver_scope(const driver_scope &) = delete;
    driver_scope &operator=(const driver_scope &) = delete;

private:
    const driver_identity *_previous;
};

inline const driver_identity *current_driver() noexcept { return t_thread.driver; }
// The current driver's name, or "" outside any driver_scope.
std::string_view current_driver_name() noexcept;
// "[name] " or "" — the prefix of log lines and reports.
std::string driver_prefix();

// Snapshot of IRQL and held spin locks before a call into a driver; check() after it.
class callback_frame {
public:
    callback_frame() noexcept : _irql(t_thread.irql), _locks(t_thread.spinlocks_held) {}
    // Reports (irql_not_restored, IRQL-07) if the callback changed either; restores the IRQL and
    // the held-lock count (the locks themselves stay held).
    // `what` describes the callback ("DPC routine", "timer callback", …); `fn` is its address.
    // Returns true when all was well.
    bool check(const char *what, const void *fn) noexcept
    {
        if (t_thread.irql == _irql && t_thread.spinlocks_held == _locks) [[likely]] {
            return true;
        }
        return report(what, fn);
    }

private:
    bool report(const char *what, const void *fn) noexcept;
    KIRQL _irql;
    std::uint32_t _locks;
};

} // namespace ndis::kernel
