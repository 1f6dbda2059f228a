// kernel/irql.cpp — see irql.hpp.
#include "kernel/irql.hpp"

#include "verifier/verifier.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>

namespace ndis::kernel {

constinit thread_local thread_state t_thread __attribute__((tls_model("initial-exec"))){};

namespace {

struct driver_registry {
    std::mutex lock;
    std::unordered_map<std::string, std::unique_ptr<driver_identity>> by_name;
};

driver_registry &registry()
{
    static auto *r = new driver_registry; // never destroyed: identities are immortal
    return *r;
}

} // namespace

const driver_identity *intern_driver(std::string_view name)
{
    auto &r = registry();
    std::lock_guard<std::mutex> guard(r.lock);
    auto it = r.by_name.find(std::string(name));
    if (it != r.by_name.end()) {
        return it->second.get();
    }
    auto identity = std::make_unique<driver_identity>();
    identity->name = std::string(name);
    const driver_identity *result = identity.get();
    r.by_name.emplace(identity->name, std::move(identity));
    return result;
}

std::string_view current_driver_name() noexcept
{
    const driver_identity *d = t_thread.driver;
    return d != nullptr ? std::string_view(d->name) : std::string_view();
}

std::string driver_prefix()
{
    const driver_identity *d = t_thread.driver;
    if (d == nullptr) {
        return {};
    }
    std::string s;
    s.reserve(d->name.size() + 3);
    s += '[';
    s += d->name;
    s += "] ";
    return s;
}

KIRQL raise_irql(KIRQL new_irql, const char *api) noexcept
{
    const KIRQL old = t_thread.irql;
    if (new_irql < old) {
        verifier::report(verifier::failure::irql_raise_lower_mismatch, api, nullptr,
                         "{}raise to IRQL {} below the current IRQL {} (bug check 0x9 "
                         "IRQL_NOT_GREATER_OR_EQUAL on Windows); IRQL left at {}",
                         driver_prefix(), new_irql, old, old);
        return old;
    }
    t_thread.irql = new_irql;
    return old;
}

void lower_irql(KIRQL new_irql, const char *api) noexcept
{
    const KIRQL old = t_thread.irql;
    if (new_irql > old) {
        verifier::report(verifier::failure::irql_raise_lower_mismatch, api, nullptr,
                         "{}lower to IRQL {} above the current IRQL {} (bug check 0xA "
                         "IRQL_NOT_LESS_OR_EQUAL on Windows); IRQL left at {}",
                         driver_prefix(), new_irql, old, old);
        return;
    }
    t_thread.irql = new_irql;
}

bool callback_frame::report(const char *what, const void *fn) noexcept
{
    const KIRQL now = t_thread.irql;
    const std::uint32_t locks = t_thread.spinlocks_held;
    verifier::report(verifier::failure::irql_not_restored, what, fn,
                     "{}{} {} returned at IRQL {} holding {} spin lock(s); it was called at IRQL "
                     "{} holding {} (acquire/release and raise/lower must balance before a "
                     "handler returns)",
                     driver_prefix(), what, fn, now, locks, _irql, _locks);
    // Repair what can be repaired: the IRQL. Locks still held stay held (their owner token is
    // this thread); the count is reset so the next check starts from a clean baseline.
    t_thread.irql = _irql;
    t_thread.spinlocks_held = _locks;
    return false;
}

} // namespace ndis::kernel
