// host/stack.cpp — ndis::host::stack: a topology brought up and torn down in NDIS order.
//
// Bring-up (start):
//   1. load every driver in order (driver_loader: DriverEntry), attach [driver.params]
//   2. check the topology against what the drivers registered: every adapter names a miniport,
//      every [[binding]] a registered protocol — an error here starts nothing and unloads all
//   3. MiniportInitializeEx for every adapter (core::adapter_initialize; adapters are Paused)
//   4. ProtocolBindAdapterEx: the [[binding]] entries, or with none every protocol × every
//      adapter (a protocol that declines an adapter — NDIS_STATUS_UNSUPPORTED_MEDIA or no open —
//      is not an error then)
//   5. restart bottom-up: MiniportRestart for every adapter, then NetEventRestart for every
//      binding (ST-20)
//   A failure at 3–5 tears down what is up (as stop) and returns the error.
// Tear-down (stop): NetEventPause for every binding → MiniportPause for every adapter →
//   counters snapshot → ProtocolUnbindAdapterEx → MiniportHaltEx → unload drivers (protocols
//   first, reverse load order) → dispatcher threads joined (when no other stack runs) → the
//   report: per-driver timers / work items / pool memory (driver_loader), runtime objects that
//   were not alive before start (OPENNDIS_STATS), bindings and adapters teardown could not
//   remove, and every verifier report made while the stack lived (collected by a sink that
//   forwards to whatever sink was installed before).
//
// The core objects (core::adapter, core::binding) are deleted by adapter_halt / unbind; the
// records here keep names, parameters and the final counters, and drop their pointers then.
//
// Run-time control (pause / restart / reset / power / unbind / rebind, and the [[schedule]])
// may come from any thread while the stack runs: every operation, start(), the teardown and
// every reader of the records hold `control_lock`, so they run one at a time and never see a
// record whose core object is being deleted. The scheduler thread (host/schedule.hpp) takes the
// same lock for each action; stop() joins it first, without the lock, then tears down.
// An unbound binding keeps its record (state "Unbound", counters at the unbind) so that
// rebind() can open it again with the same [binding.params].
#include "host/driver_loader.hpp"
#include "host/schedule.hpp"
#include "host/topology.hpp"

#include "core/faulty.hpp"
#include "core/stack.hpp"
#include "core/watchdog.hpp"
#include "kernel/accounting.hpp"
#include "kernel/dispatcher.hpp"
#include "kernel/irql.hpp"

#include <openndis/host.hpp>
#include <openndis/runtime.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace ndis::host {

namespace {

std::atomic<int> g_running_stacks{0};

core::param_map to_param_map(const param_list &params)
{
    core::param_map m;
    for (const param &p : params) {
        if (const auto *i = std::get_if<std::int64_t>(&p.value)) {
            m[p.key] = *i;
        } else {
            m[p.key] = std::get<std::string>(p.value);
        }
    }
    return m;
}

std::string status_text(NDIS_STATUS s)
{
    const char *name = nullptr;
    switch (s) {
    case NDIS_STATUS_SUCCESS: name = "NDIS_STATUS_SUCCESS"; break;
    case NDIS_STATUS_PENDING: name = "NDIS_STATUS_PENDING"; break;
    case NDIS_STATUS_FAILURE: name = "NDIS_STATUS_FAILURE"; break;
    case NDIS_STATUS_RESOURCES: name = "NDIS_STATUS_RESOURCES"; break;
    case NDIS_STATUS_UNSUPPORTED_MEDIA: name = "NDIS_STATUS_UNSUPPORTED_MEDIA"; break;
    case NDIS_STATUS_INVALID_STATE: name = "NDIS_STATUS_INVALID_STATE"; break;
    case NDIS_STATUS_ADAPTER_NOT_FOUND: name = "NDIS_STATUS_ADAPTER_NOT_FOUND"; break;
    case NDIS_STATUS_NOT_SUPPORTED: name = "NDIS_STATUS_NOT_SUPPORTED"; break;
    case NDIS_STATUS_RESET_IN_PROGRESS: name = "NDIS_STATUS_RESET_IN_PROGRESS"; break;
    case NDIS_STATUS_HARD_ERRORS: name = "NDIS_STATUS_HARD_ERRORS"; break;
    case NDIS_STATUS_SOFT_ERRORS: name = "NDIS_STATUS_SOFT_ERRORS"; break;
    case NDIS_STATUS_INVALID_DATA: name = "NDIS_STATUS_INVALID_DATA"; break;
    case NDIS_STATUS_INVALID_LENGTH: name = "NDIS_STATUS_INVALID_LENGTH"; break;
    case NDIS_STATUS_INVALID_OID: name = "NDIS_STATUS_INVALID_OID"; break;
    default: break;
    }
    return name != nullptr ? fmt::format("{} (0x{:08x})", name, static_cast<ULONG>(s))
                           : fmt::format("0x{:08x}", static_cast<ULONG>(s));
}

std::string power_name(NDIS_DEVICE_POWER_STATE p)
{
    return p >= NdisDeviceStateD0 && p <= NdisDeviceStateD3
               ? "D" + std::to_string(static_cast<int>(p) - 1)
               : "D?(" + std::to_string(static_cast<int>(p)) + ")";
}

bool adapter_alive(const core::adapter *a)
{
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    return std::any_of(r.adapters.begin(), r.adapters.end(),
                       [a](const auto &u) { return u.get() == a; });
}

bool binding_alive(const core::binding *b)
{
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    return std::any_of(r.bindings.begin(), r.bindings.end(),
                       [b](const auto &u) { return u.get() == b; });
}

// ---- verifier reports while stacks live ------------------------------------------------------
// One sink for every active stack; it forwards each report to the sink installed before the
// first stack started (the test harness's, ndisctl's, or none).
struct report_collector {
    std::vector<std::string> messages;
    std::uint64_t count = 0;
};

struct sink_chain {
    std::mutex lock;
    std::vector<report_collector *> active;
    OPENNDIS_VERIFIER_SINK *previous = nullptr;
    void *previous_context = nullptr;
};

sink_chain &chain()
{
    static sink_chain *c = new sink_chain; // reports may arrive during exit
    return *c;
}

VOID host_sink(PVOID, const OPENNDIS_VERIFIER_REPORT *report)
{
    auto &c = chain();
    OPENNDIS_VERIFIER_SINK *next = nullptr;
    void *next_context = nullptr;
    {
        std::lock_guard<std::mutex> g(c.lock);
        const std::string_view driver = kernel::current_driver_name();
        for (report_collector *rc : c.active) {
            ++rc->count;
            if (rc->messages.size() < 100) {
                rc->messages.push_back(
                    (driver.empty() ? std::string() : "[" + std::string(driver) + "] ") +
                    (report->Message != nullptr ? report->Message : "?"));
            }
        }
        next = c.previous;
        next_context = c.previous_context;
    }
    if (next != nullptr) {
        next(next_context, report);
    }
}

void collect_reports(report_collector *rc)
{
    auto &c = chain();
    std::lock_guard<std::mutex> g(c.lock);
    if (c.active.empty()) {
        c.previous = OpenNdisVerifierSetSink(host_sink, nullptr, &c.previous_context);
    }
    c.active.push_back(rc);
}

void stop_collecting(report_collector *rc)
{
    auto &c = chain();
    std::lock_guard<std::mutex> g(c.lock);
    c.active.erase(std::remove(c.active.begin(), c.active.end(), rc), c.active.end());
    if (c.active.empty()) {
        void *current_context = nullptr;
        OPENNDIS_VERIFIER_SINK *current =
            OpenNdisVerifierSetSink(c.previous, c.previous_context, &current_context);
        if (current != host_sink) {
            // Someone replaced our sink meanwhile: leave theirs.
            OpenNdisVerifierSetSink(current, current_context, nullptr);
        }
        c.previous = nullptr;
        c.previous_context = nullptr;
    }
}

} // namespace

// ================================ records ==========================================================

struct stack::impl {
    enum class phase { configured, running };

    struct driver_rec {
        driver_spec spec;
        std::string resolved_path;
        std::unique_ptr<detail::loaded_driver> loaded;
    };
    struct adapter_rec {
        adapter_spec spec;
        core::adapter *live = nullptr;
        adapter_counters last;
    };
    struct binding_rec {
        binding_spec spec;
        bool explicit_binding = true;
        core::binding *live = nullptr;
        binding_counters last;
    };

    std::atomic<phase> state{phase::configured};
    mutable std::mutex control_lock; // see the file comment
    std::string error;
    std::vector<driver_rec> drivers;
    std::vector<adapter_rec> adapters;
    std::vector<binding_spec> binding_specs; // explicit ones
    std::vector<binding_rec> bindings;       // of the current / last run
    teardown_report report;
    report_collector collector;
    OPENNDIS_STATS baseline{};
    kernel::kernel_counts kernel_baseline{};
    bool counted_running = false;
    watchdog_spec watchdog;
    bool watchdog_started = false;
    std::vector<schedule_spec> schedule_specs;
    std::unique_ptr<detail::scheduler> scheduler; // while running with a schedule
    std::vector<schedule_result> schedule_last;   // the results at the last stop()

    bool fail(std::string message)
    {
        error = std::move(message);
        return false;
    }

    driver_rec *find_driver(std::string_view name)
    {
        for (auto &d : drivers) {
            if (equal_nocase(d.spec.name, name)) {
                return &d;
            }
        }
        return nullptr;
    }
    adapter_rec *find_adapter(std::string_view name)
    {
        for (auto &a : adapters) {
            if (equal_nocase(a.spec.name, name)) {
                return &a;
            }
        }
        return nullptr;
    }
    binding_rec *find_binding(std::string_view protocol, std::string_view adapter)
    {
        for (auto &b : bindings) {
            if (equal_nocase(b.spec.adapter, adapter) &&
                (equal_nocase(b.spec.protocol, protocol) ||
                 (b.live != nullptr && binding_alive(b.live) &&
                  equal_nocase(b.live->protocol->service, protocol)))) {
                return &b;
            }
        }
        return nullptr;
    }

    // ---- configuration ----
    bool add_driver(driver_spec spec, const std::string &base_dir)
    {
        if (state != phase::configured) {
            return fail("the stack is running: drivers are added before start()");
        }
        const std::string at = spec.where.prefix();
        if (!valid_service_name(spec.name)) {
            return fail(fmt::format("{}driver name '{}' is not a service name (1 to 64 letters, "
                                    "digits, '_', '-' or '.')",
                                    at, spec.name));
        }
        if (driver_rec *o = find_driver(spec.name)) {
            return fail(fmt::format("{}driver '{}' is already part of the stack{}", at, spec.name,
                                    o->spec.where.known()
                                        ? fmt::format(" (line {})", o->spec.where.line)
                                        : std::string()));
        }
        if (std::string e = check_params(spec.params); !e.empty()) {
            return fail(fmt::format("{}driver '{}': {}", at, spec.name, e));
        }
        driver_rec d;
        if (!spec.path.empty()) {
            d.resolved_path = spec.path;
            if (spec.path.front() != '/' && spec.path.find('/') != std::string::npos &&
                !base_dir.empty()) {
                d.resolved_path = base_dir + spec.path; // relative to the topology file
            }
        } else if (spec.entry == nullptr && detail::find_builtin(spec.name) == nullptr) {
            std::string names;
            for (const std::string &n : detail::builtin_names()) {
                names += names.empty() ? n : ", " + n;
            }
            return fail(fmt::format("{}driver '{}': no built-in driver of that name (built-in: "
                                    "{}); an external driver needs 'path'",
                                    at, spec.name, names.empty() ? "none registered" : names));
        }
        d.spec = std::move(spec);
        drivers.push_back(std::move(d));
        return true;
    }

    bool add_adapter(adapter_spec spec)
    {
        if (state != phase::configured) {
            return fail("the stack is running: adapters are added before start()");
        }
        const std::string at = spec.where.prefix();
        if (!valid_object_name(spec.name)) {
            return fail(fmt::format("{}adapter name '{}' must be 1 to 256 printable ASCII "
                                    "characters",
                                    at, spec.name));
        }
        if (adapter_rec *o = find_adapter(spec.name)) {
            return fail(fmt::format("{}adapter '{}' is already part of the stack{}", at, spec.name,
                                    o->spec.where.known()
                                        ? fmt::format(" (line {})", o->spec.where.line)
                                        : std::string()));
        }
        if (find_driver(spec.driver) == nullptr) {
            return fail(fmt::format("{}adapter '{}': driver '{}' is not part of the stack (add "
                                    "the driver first)",
                                    spec.where_driver.known() ? spec.where_driver.prefix() : at,
                                    spec.name, spec.driver));
        }
        if (std::string e = check_params(spec.params); !e.empty()) {
            return fail(fmt::format("{}adapter '{}': {}", at, spec.name, e));
        }
        if (spec.faults) {
            if (std::string e = check_fault_spec(*spec.faults); !e.empty()) {
                return fail(fmt::format("{}adapter '{}': faulty decorator: {}",
                                        spec.where_faults.known() ? spec.where_faults.prefix()
                                                                  : at,
                                        spec.name, e));
            }
        }
        adapter_rec a;
        a.spec = std::move(spec);
        adapters.push_back(std::move(a));
        return true;
    }

    bool add_binding(binding_spec spec)
    {
        if (state != phase::configured) {
            return fail("the stack is running: bindings are added before start()");
        }
        const std::string at = spec.where.prefix();
        if (spec.protocol.empty()) {
            return fail(at + "binding: the protocol name is empty");
        }
        if (find_adapter(spec.adapter) == nullptr) {
            return fail(fmt::format("{}binding of '{}': no adapter is named '{}'",
                                    spec.where_adapter.known() ? spec.where_adapter.prefix() : at,
                                    spec.protocol, spec.adapter));
        }
        for (const binding_spec &o : binding_specs) {
            if (equal_nocase(o.protocol, spec.protocol) && equal_nocase(o.adapter, spec.adapter)) {
                return fail(fmt::format("{}binding of '{}' to '{}' is already part of the stack",
                                        at, spec.protocol, spec.adapter));
            }
        }
        if (std::string e = check_params(spec.params); !e.empty()) {
            return fail(fmt::format("{}binding of '{}' to '{}': {}", at, spec.protocol,
                                    spec.adapter, e));
        }
        binding_specs.push_back(std::move(spec));
        return true;
    }

    bool load_topology(const topology &t)
    {
        if (state != phase::configured) {
            return fail("the stack is running: a topology is loaded before start()");
        }
        // All or nothing: work on a copy of the configuration.
        auto saved_drivers_size = drivers.size();
        auto saved_adapters_size = adapters.size();
        auto saved_bindings_size = binding_specs.size();
        auto saved_schedule_size = schedule_specs.size();
        auto rollback = [&]() {
            drivers.resize(saved_drivers_size);
            adapters.resize(saved_adapters_size);
            binding_specs.resize(saved_bindings_size);
            schedule_specs.resize(saved_schedule_size);
            return false;
        };
        for (const driver_spec &d : t.drivers) {
            if (!add_driver(d, t.base_dir)) {
                return rollback();
            }
        }
        for (const adapter_spec &a : t.adapters) {
            if (!add_adapter(a)) {
                return rollback();
            }
        }
        for (const binding_spec &b : t.bindings) {
            if (!add_binding(b)) {
                return rollback();
            }
        }
        if (t.watchdog) {
            if (std::string e = check_watchdog_spec(*t.watchdog); !e.empty()) {
                fail(t.watchdog->where.prefix() + "[watchdog]: " + e);
                return rollback();
            }
            watchdog = *t.watchdog;
        }
        for (const schedule_spec &e : t.schedule) {
            if (!add_schedule(e)) {
                return rollback();
            }
        }
        return true;
    }

    bool add_schedule(schedule_spec spec)
    {
        if (state != phase::configured) {
            return fail("the stack is running: schedule entries are added before start()");
        }
        const std::string at = spec.where.prefix();
        if (std::string e = detail::check_schedule_entry(spec); !e.empty()) {
            return fail(fmt::format("{}schedule: {}", at, e));
        }
        if (find_adapter(spec.adapter) == nullptr) {
            return fail(fmt::format("{}schedule: {} of '{}': no adapter is named '{}'",
                                    spec.where_adapter.known() ? spec.where_adapter.prefix() : at,
                                    spec.action, spec.adapter, spec.adapter));
        }
        // With explicit bindings the pair is known now; otherwise start() checks it once every
        // protocol has bound.
        if (!spec.protocol.empty() && !binding_specs.empty() &&
            std::none_of(binding_specs.begin(), binding_specs.end(), [&spec](const auto &b) {
                return equal_nocase(b.protocol, spec.protocol) &&
                       equal_nocase(b.adapter, spec.adapter);
            })) {
            return fail(fmt::format("{}schedule: {}: no [[binding]] of '{}' to '{}'",
                                    spec.where_protocol.known() ? spec.where_protocol.prefix()
                                                                : at,
                                    spec.action, spec.protocol, spec.adapter));
        }
        schedule_specs.push_back(std::move(spec));
        return true;
    }

    // ---- bring-up ----
    core::protocol_driver *find_loaded_protocol(std::string_view name)
    {
        for (auto &d : drivers) {
            if (!d.loaded) {
                continue;
            }
            for (core::protocol_driver *p : d.loaded->protocols()) {
                if (equal_nocase(p->name, name)) {
                    return p;
                }
            }
        }
        for (auto &d : drivers) { // the service name works too
            if (d.loaded && equal_nocase(d.spec.name, name) && !d.loaded->protocols().empty()) {
                return d.loaded->protocols().front();
            }
        }
        return nullptr;
    }

    std::string protocol_names()
    {
        std::string names;
        for (auto &d : drivers) {
            if (!d.loaded) {
                continue;
            }
            for (core::protocol_driver *p : d.loaded->protocols()) {
                names += names.empty() ? p->name : ", " + p->name;
            }
        }
        return names.empty() ? "none" : names;
    }

    // Steps 1 and 2. On failure everything loaded is unloaded again.
    bool load_and_check()
    {
        for (auto &d : drivers) {
            d.loaded = std::make_unique<detail::loaded_driver>(d.spec.name, d.resolved_path,
                                                               d.spec.entry);
            std::string e;
            const core::param_map params = to_param_map(d.spec.params);
            if (!d.loaded->load(e, &params)) {
                d.loaded.reset();
                error = (d.spec.where_path.known() ? d.spec.where_path.prefix()
                                                   : d.spec.where.prefix()) +
                        e;
                unload_all_quietly();
                return false;
            }
            d.loaded->set_params(params);
        }
        std::string problems;
        for (auto &a : adapters) {
            driver_rec *d = find_driver(a.spec.driver);
            if (d->loaded->miniports().empty()) {
                problems += fmt::format(
                    "{}adapter '{}': driver '{}' is not a miniport (it registered {})\n",
                    a.spec.where_driver.known() ? a.spec.where_driver.prefix()
                                                : a.spec.where.prefix(),
                    a.spec.name, d->spec.name, d->loaded->kind() == "protocol"
                                                   ? "a protocol: " + protocol_names_of(*d)
                                                   : d->loaded->kind());
            }
        }
        for (auto &b : binding_specs) {
            if (find_loaded_protocol(b.protocol) == nullptr) {
                problems += fmt::format(
                    "{}binding to '{}': no protocol named '{}' is registered (registered: {})\n",
                    b.where_protocol.known() ? b.where_protocol.prefix() : b.where.prefix(),
                    b.adapter, b.protocol, protocol_names());
            }
        }
        if (!problems.empty()) {
            problems.pop_back();
            error = problems;
            unload_all_quietly();
            return false;
        }
        return true;
    }

    static std::string protocol_names_of(const driver_rec &d)
    {
        std::string names;
        for (core::protocol_driver *p : d.loaded->protocols()) {
            names += (names.empty() ? "'" : ", '") + p->name + "'";
        }
        return names;
    }

    void unload_all_quietly()
    {
        std::vector<std::string> ignored;
        std::uint64_t t = 0, w = 0;
        unload_all(ignored, t, w);
    }

    void unload_all(std::vector<std::string> &left, std::uint64_t &timers,
                    std::uint64_t &work_items)
    {
        // Protocols first (top-down), each group in reverse load order.
        for (int pass = 0; pass < 2; ++pass) {
            for (auto it = drivers.rbegin(); it != drivers.rend(); ++it) {
                if (!it->loaded || !it->loaded->loaded()) {
                    continue;
                }
                const bool is_protocol = !it->loaded->protocols().empty();
                if ((pass == 0) != is_protocol) {
                    continue;
                }
                it->loaded->unload(left, timers, work_items);
            }
        }
        for (auto &d : drivers) {
            d.loaded.reset();
        }
    }

    adapter_counters snapshot(const adapter_rec &a) const
    {
        adapter_counters c = a.last;
        c.name = a.spec.name;
        c.driver = a.spec.driver;
        if (a.live != nullptr && adapter_alive(a.live)) {
            const core::adapter *x = a.live;
            c.state = core::to_string(x->state.load());
            c.resets = x->resets.load(std::memory_order_relaxed);
            c.hangs = x->hangs.load(std::memory_order_relaxed);
            c.power = power_name(x->power.load());
            c.sent = x->sent.load(std::memory_order_relaxed);
            c.completed = x->completed.load(std::memory_order_relaxed);
            c.indicated = x->indicated.load(std::memory_order_relaxed);
            c.returned = x->returned.load(std::memory_order_relaxed);
            c.sends_outstanding = x->sends_outstanding.load(std::memory_order_relaxed);
            c.receives_outstanding = x->receives_outstanding.load(std::memory_order_relaxed);
            core::fault_stats f;
            if (core::faulty_stats(x, f)) {
                c.faults = to_counters(f);
            }
        } else if (c.state.empty()) {
            c.state = "Halted";
        }
        if (c.power.empty()) {
            c.power = "D0";
        }
        return c;
    }

    static fault_counters to_counters(const core::fault_stats &f)
    {
        fault_counters c;
        c.attached = true;
        c.sent = f.sent;
        c.completed = f.completed;
        for (std::size_t i = 0; i < f.failed.size(); ++i) {
            c.failed.emplace_back(core::fault_status_name(i), f.failed[i]);
        }
        c.delayed = f.delayed;
        c.reordered = f.reordered;
        c.merged = f.merged;
        c.split = f.split;
        c.inlined = f.inlined;
        c.dropped = f.dropped;
        c.pended_pauses = f.pended_pauses;
        c.pended_restarts = f.pended_restarts;
        c.pended_resets = f.pended_resets;
        c.dropped_nbls.assign(f.dropped_nbls.begin(), f.dropped_nbls.end());
        return c;
    }

    binding_counters snapshot(const binding_rec &b) const
    {
        binding_counters c = b.last;
        c.protocol = b.spec.protocol;
        c.adapter = b.spec.adapter;
        c.explicit_binding = b.explicit_binding;
        if (b.live != nullptr && binding_alive(b.live)) {
            const core::binding *x = b.live;
            c.state = core::to_string(x->state.load());
            c.sent = x->sent.load(std::memory_order_relaxed);
            c.completed = x->completed.load(std::memory_order_relaxed);
            c.received = x->received.load(std::memory_order_relaxed);
            c.sends_outstanding = x->sends_outstanding.load(std::memory_order_relaxed);
            c.receives_outstanding = x->receives_outstanding.load(std::memory_order_relaxed);
        } else if (c.state.empty()) {
            c.state = "Unbound";
        }
        return c;
    }

    bool bind_one(core::protocol_driver *p, adapter_rec &a, const binding_spec *spec)
    {
        core::binding *b = nullptr;
        const core::param_map params =
            spec != nullptr ? to_param_map(spec->params) : core::param_map{};
        const NDIS_STATUS s = core::bind(p, a.live, params, &b);
        if (spec == nullptr && (s == NDIS_STATUS_UNSUPPORTED_MEDIA ||
                                (s == NDIS_STATUS_SUCCESS && b == nullptr))) {
            return true; // the protocol does not want this adapter: as NDIS, no error
        }
        const std::string at = spec != nullptr ? spec->where.prefix() : std::string();
        if (s != NDIS_STATUS_SUCCESS) {
            return fail(fmt::format("{}binding of '{}' to '{}': ProtocolBindAdapterEx failed with "
                                    "{}",
                                    at, p->name, a.spec.name, status_text(s)));
        }
        if (b == nullptr) {
            return fail(fmt::format("{}binding of '{}' to '{}': the protocol declined the adapter "
                                    "(it did not open it)",
                                    at, p->name, a.spec.name));
        }
        binding_rec r;
        if (spec != nullptr) {
            r.spec = *spec;
        } else {
            r.spec.protocol = p->name;
            r.spec.adapter = a.spec.name;
            r.explicit_binding = false;
        }
        r.spec.protocol = p->name; // the registered Name, whatever the file said
        r.live = b;
        bindings.push_back(std::move(r));
        return true;
    }

    bool start()
    {
        if (state != phase::configured) {
            return fail("the stack is already running");
        }
        if (kernel::current_irql() != PASSIVE_LEVEL) {
            return fail("start() must be called at PASSIVE_LEVEL");
        }
        error.clear();
        report = teardown_report{};
        bindings.clear();
        for (auto &a : adapters) {
            a.live = nullptr;
            a.last = adapter_counters{};
        }
        OpenNdisGetStats(&baseline);
        kernel_baseline = kernel::count_kernel_objects();
        collector = report_collector{};
        collect_reports(&collector);
        g_running_stacks.fetch_add(1);
        counted_running = true;
        state = phase::running; // from here on, stop() undoes whatever is up
        if (watchdog.enabled) {
            core::watchdog::configure({watchdog.send_timeout, watchdog.hang_timeout,
                                       watchdog.oid_timeout, watchdog.operation_timeout,
                                       watchdog.period});
            core::watchdog::start();
            watchdog_started = true;
        }

        if (!load_and_check()) {
            const std::string e = error;
            teardown();
            error = e;
            return false;
        }
        auto abort_start = [this]() {
            const std::string e = error;
            teardown();
            error = e + (report.clean() ? std::string()
                                        : "\nteardown after the failed start:\n" + report.text());
            return false;
        };
        // 3. adapters
        for (auto &a : adapters) {
            driver_rec *d = find_driver(a.spec.driver);
            core::adapter *x = nullptr;
            const NDIS_STATUS s = core::adapter_initialize(
                d->loaded->miniports().front(), a.spec.name, to_param_map(a.spec.params), &x);
            if (s != NDIS_STATUS_SUCCESS) {
                fail(fmt::format("{}adapter '{}': MiniportInitializeEx of driver '{}' failed "
                                 "with {}",
                                 a.spec.where.prefix(), a.spec.name, d->spec.name,
                                 status_text(s)));
                return abort_start();
            }
            a.live = x;
            if (a.spec.faults) {
                std::string e;
                if (!core::faulty_attach(x, to_fault_config(*a.spec.faults), &e)) {
                    fail(fmt::format("{}adapter '{}': faulty decorator: {}",
                                     a.spec.where_faults.prefix(), a.spec.name, e));
                    return abort_start();
                }
            }
        }
        // 4. bindings
        if (!binding_specs.empty()) {
            for (const binding_spec &spec : binding_specs) {
                core::protocol_driver *p = find_loaded_protocol(spec.protocol);
                if (!bind_one(p, *find_adapter(spec.adapter), &spec)) {
                    return abort_start();
                }
            }
        } else {
            for (auto &a : adapters) {
                for (auto &d : drivers) {
                    for (core::protocol_driver *p : d.loaded->protocols()) {
                        if (!bind_one(p, a, nullptr)) {
                            return abort_start();
                        }
                    }
                }
            }
        }
        // The schedule's bindings exist (implicit bindings are known only now).
        for (const schedule_spec &e : schedule_specs) {
            if (!e.protocol.empty() && find_binding(e.protocol, e.adapter) == nullptr) {
                fail(fmt::format("{}schedule: {}: '{}' did not bind to '{}' (bound: {})",
                                 e.where_protocol.known() ? e.where_protocol.prefix()
                                                          : e.where.prefix(),
                                 e.action, e.protocol, e.adapter, binding_names()));
                return abort_start();
            }
        }
        // 5. restart bottom-up
        for (auto &a : adapters) {
            const NDIS_STATUS s = core::adapter_restart(a.live);
            if (s != NDIS_STATUS_SUCCESS) {
                fail(fmt::format("{}adapter '{}': MiniportRestart failed with {}",
                                 a.spec.where.prefix(), a.spec.name, status_text(s)));
                return abort_start();
            }
        }
        for (auto &b : bindings) {
            const NDIS_STATUS s = core::binding_restart(b.live);
            if (s != NDIS_STATUS_SUCCESS) {
                fail(fmt::format("{}binding of '{}' to '{}': NetEventRestart failed with {}",
                                 b.spec.where.prefix(), b.spec.protocol, b.spec.adapter,
                                 status_text(s)));
                return abort_start();
            }
        }
        // 6. the schedule, on its own thread, from now on
        schedule_last.clear();
        if (!schedule_specs.empty()) {
            scheduler = std::make_unique<detail::scheduler>(
                schedule_specs, [this](const schedule_spec &e, std::string &err) {
                    std::lock_guard<std::mutex> g(control_lock);
                    if (state != phase::running) {
                        err = "the stack is not running";
                        return false;
                    }
                    return run_scheduled(e, err);
                });
            scheduler->start();
        }
        return true;
    }

    std::string binding_names() const
    {
        std::string names;
        for (const auto &b : bindings) {
            names += (names.empty() ? "" : ", ") + b.spec.protocol + " -> " + b.spec.adapter;
        }
        return names.empty() ? "none" : names;
    }

    // Stops the scheduler thread (waiting for an action in progress) and keeps its results.
    // Called WITHOUT control_lock held: the action in progress needs it.
    void stop_scheduler()
    {
        std::unique_ptr<detail::scheduler> s;
        {
            std::lock_guard<std::mutex> g(control_lock);
            s = std::move(scheduler);
        }
        if (s) {
            s->stop();
            std::lock_guard<std::mutex> g(control_lock);
            schedule_last = s->results();
        }
    }

    // ---- tear-down ----
    void teardown()
    {
        std::vector<std::string> &left = report.left_behind;
        // Pause top-down: bindings, then adapters.
        for (auto it = bindings.rbegin(); it != bindings.rend(); ++it) {
            if (it->live != nullptr && binding_alive(it->live) &&
                it->live->state.load() == core::binding_state::running) {
                core::binding_pause(it->live);
            }
        }
        for (auto it = adapters.rbegin(); it != adapters.rend(); ++it) {
            if (it->live != nullptr && adapter_alive(it->live) &&
                it->live->state.load() == core::adapter_state::running) {
                core::adapter_pause(it->live);
            }
        }
        // Unbind.
        for (auto it = bindings.rbegin(); it != bindings.rend(); ++it) {
            if (it->live == nullptr || !binding_alive(it->live)) {
                it->live = nullptr;
                continue;
            }
            it->last = snapshot(*it);
            core::unbind(it->live);
            it->live = nullptr;
            it->last.state = "Unbound";
        }
        // Halt.
        for (auto it = adapters.rbegin(); it != adapters.rend(); ++it) {
            if (it->live == nullptr || !adapter_alive(it->live)) {
                it->live = nullptr;
                continue;
            }
            it->last = snapshot(*it);
            const NDIS_STATUS s = core::adapter_halt(it->live);
            if (s == NDIS_STATUS_SUCCESS) {
                it->live = nullptr;
                it->last.state = "Halted";
            } else {
                left.push_back(fmt::format("adapter '{}': MiniportHaltEx could not run ({})",
                                           it->spec.name, status_text(s)));
            }
        }
        // Anything still open on our adapters (a protocol that opened behind our back)?
        {
            auto &r = core::registry();
            std::lock_guard<std::recursive_mutex> g(r.lock);
            for (auto &b : r.bindings) {
                for (auto &a : adapters) {
                    if (a.live != nullptr && b->target == a.live) {
                        left.push_back(fmt::format("binding of '{}' to '{}' is still open",
                                                   b->protocol->name, a.spec.name));
                        ++report.open_bindings;
                    }
                }
            }
        }
        // Unload (halts whatever an unload leaves, through *_driver_forget).
        unload_all(left, report.timers, report.work_items);
        for (auto &a : adapters) {
            if (a.live != nullptr) {
                if (adapter_alive(a.live)) {
                    left.push_back(fmt::format("adapter '{}' is still alive after its driver "
                                               "unloaded",
                                               a.spec.name));
                    ++report.live_adapters;
                }
                a.live = nullptr;
                a.last.state = "Halted";
            }
        }
        // Completions the faulty decorator dropped on purpose (their NBLs are left alive).
        for (auto &a : adapters) {
            if (!a.last.faults.dropped_nbls.empty()) { // dropped and not released
                std::string nbls;
                for (const void *p : a.last.faults.dropped_nbls) {
                    nbls += fmt::format("{}{}", nbls.empty() ? "" : ", ", p);
                }
                left.push_back(fmt::format("adapter '{}': the faulty decorator dropped {} send "
                                           "completion(s) on purpose (NBL {})",
                                           a.spec.name, a.last.faults.dropped_nbls.size(),
                                           nbls));
            }
        }
        if (watchdog_started) {
            watchdog_started = false;
            core::watchdog::stop();
        }
        // Deferred work finishes; the runtime threads go away with the last stack.
        if (counted_running) {
            counted_running = false;
            if (g_running_stacks.fetch_sub(1) == 1) {
                kernel::dispatcher::shutdown();
            }
        }
        // Runtime objects left alive (not alive before start).
        OPENNDIS_STATS now{};
        OpenNdisGetStats(&now);
        auto grew = [](ULONGLONG after, ULONGLONG before) {
            return after > before ? after - before : 0;
        };
        report.nbls = grew(now.Nbls, baseline.Nbls);
        report.nbs = grew(now.Nbs, baseline.Nbs);
        report.mdls = grew(now.Mdls, baseline.Mdls);
        report.nbl_pools = grew(now.NblPools, baseline.NblPools);
        report.nb_pools = grew(now.NbPools, baseline.NbPools);
        report.nbl_contexts = grew(now.NblContexts, baseline.NblContexts);
        report.memory_blocks = grew(now.MemoryBlocks, baseline.MemoryBlocks);
        report.memory_bytes = grew(now.MemoryBytes, baseline.MemoryBytes);
        const kernel::kernel_counts k = kernel::count_kernel_objects();
        if (report.nbls || report.nbs || report.mdls || report.nbl_pools || report.nb_pools ||
            report.nbl_contexts) {
            left.push_back(fmt::format("runtime objects left alive: {} NBL(s), {} NB(s), {} "
                                       "MDL(s), {} NBL pool(s), {} NB pool(s), {} NBL context(s)",
                                       report.nbls, report.nbs, report.mdls, report.nbl_pools,
                                       report.nb_pools, report.nbl_contexts));
        }
        if (report.memory_blocks != 0) {
            left.push_back(fmt::format("tagged memory left allocated: {} block(s), {} bytes",
                                       report.memory_blocks, report.memory_bytes));
        }
        if (report.timers == 0 && k.timers > kernel_baseline.timers) {
            report.timers = k.timers - kernel_baseline.timers;
            left.push_back(fmt::format("{} timer object(s) left allocated", report.timers));
        }
        if (report.work_items == 0 && k.work_items > kernel_baseline.work_items) {
            report.work_items = k.work_items - kernel_baseline.work_items;
            left.push_back(fmt::format("{} work item(s) left allocated", report.work_items));
        }
        if (!left.empty()) {
            std::string text(4096, '\0');
            const std::size_t need = OpenNdisLeakReport(text.data(), text.size());
            if (need >= text.size()) {
                text.assign(need + 1, '\0');
                OpenNdisLeakReport(text.data(), text.size());
            }
            text.resize(std::min(need, text.size() - 1));
            std::string kernel_lines;
            kernel::append_kernel_leak_report(kernel_lines);
            report.leak_report = text + kernel_lines;
        }
        stop_collecting(&collector);
        report.verifier_reports = collector.count;
        report.verifier_messages = std::move(collector.messages);
        state = phase::configured;
    }

    // ---- run-time control (control_lock held) ----
    bool need_running(std::string &err)
    {
        if (state != phase::running) {
            err = "the stack is not running";
            return false;
        }
        return true;
    }

    adapter_rec *live_adapter(std::string_view name, std::string &err)
    {
        adapter_rec *a = find_adapter(name);
        if (a == nullptr) {
            err = fmt::format("no adapter is named '{}'", name);
            return nullptr;
        }
        if (a->live == nullptr || !adapter_alive(a->live)) {
            err = fmt::format("adapter '{}' is not up", name);
            return nullptr;
        }
        return a;
    }

    binding_rec *known_binding(std::string_view protocol, std::string_view adapter,
                               std::string &err)
    {
        binding_rec *b = find_binding(protocol, adapter);
        if (b == nullptr) {
            err = fmt::format("no binding of '{}' to '{}' (bindings: {})", protocol, adapter,
                              binding_names());
        }
        return b;
    }

    binding_rec *open_binding(std::string_view protocol, std::string_view adapter,
                              std::string &err)
    {
        binding_rec *b = known_binding(protocol, adapter, err);
        if (b != nullptr && (b->live == nullptr || !binding_alive(b->live))) {
            err = fmt::format("binding of '{}' to '{}' is unbound (rebind it first)", protocol,
                              adapter);
            return nullptr;
        }
        return b;
    }

    bool op_pause_adapter(std::string_view name, std::string &err)
    {
        adapter_rec *a = live_adapter(name, err);
        if (a == nullptr) {
            return false;
        }
        const core::adapter_state st = a->live->state.load();
        if (st == core::adapter_state::paused) {
            return true; // already: the bindings above cannot run on a paused adapter
        }
        if (st != core::adapter_state::running) {
            err = fmt::format("adapter '{}' cannot pause while {}", name, core::to_string(st));
            return false;
        }
        const NDIS_STATUS s = core::adapter_pause(a->live);
        if (s != NDIS_STATUS_SUCCESS) {
            err = fmt::format("adapter '{}': pause failed with {}", name, status_text(s));
            return false;
        }
        return true;
    }

    bool op_restart_adapter(std::string_view name, std::string &err)
    {
        adapter_rec *a = live_adapter(name, err);
        if (a == nullptr) {
            return false;
        }
        NDIS_STATUS s = NDIS_STATUS_SUCCESS;
        const core::adapter_state st = a->live->state.load();
        if (st == core::adapter_state::paused) {
            s = core::adapter_restart(a->live);
        } else if (st != core::adapter_state::running) {
            err = fmt::format("adapter '{}' cannot restart while {}", name, core::to_string(st));
            return false;
        }
        if (s != NDIS_STATUS_SUCCESS) {
            err = fmt::format("adapter '{}': MiniportRestart failed with {}", name,
                              status_text(s));
            return false;
        }
        for (auto &b : bindings) { // bottom-up: the bindings above restart after it (ST-20)
            if (b.live != nullptr && b.live->target == a->live &&
                b.live->state.load() == core::binding_state::paused) {
                s = core::binding_restart(b.live);
                if (s != NDIS_STATUS_SUCCESS) {
                    err = fmt::format("binding of '{}' to '{}': NetEventRestart failed with {}",
                                      b.spec.protocol, name, status_text(s));
                    return false;
                }
            }
        }
        return true;
    }

    bool op_pause_binding(std::string_view protocol, std::string_view adapter, std::string &err)
    {
        binding_rec *b = open_binding(protocol, adapter, err);
        if (b == nullptr) {
            return false;
        }
        const core::binding_state st = b->live->state.load();
        if (st == core::binding_state::paused) {
            return true;
        }
        if (st != core::binding_state::running) {
            err = fmt::format("binding of '{}' to '{}' cannot pause while {}", protocol, adapter,
                              core::to_string(st));
            return false;
        }
        const NDIS_STATUS s = core::binding_pause(b->live);
        if (s != NDIS_STATUS_SUCCESS) {
            err = fmt::format("binding of '{}' to '{}': pause failed with {}", protocol, adapter,
                              status_text(s));
            return false;
        }
        return true;
    }

    bool op_restart_binding(std::string_view protocol, std::string_view adapter,
                            std::string &err)
    {
        binding_rec *b = open_binding(protocol, adapter, err);
        if (b == nullptr) {
            return false;
        }
        if (b->live->target->state.load() != core::adapter_state::running) {
            err = fmt::format("binding of '{}' to '{}': the adapter is not running (restart it "
                              "first)",
                              protocol, adapter);
            return false;
        }
        const core::binding_state st = b->live->state.load();
        if (st == core::binding_state::running) {
            return true;
        }
        if (st != core::binding_state::paused) {
            err = fmt::format("binding of '{}' to '{}' cannot restart while {}", protocol,
                              adapter, core::to_string(st));
            return false;
        }
        const NDIS_STATUS s = core::binding_restart(b->live);
        if (s != NDIS_STATUS_SUCCESS) {
            err = fmt::format("binding of '{}' to '{}': NetEventRestart failed with {}",
                              protocol, adapter, status_text(s));
            return false;
        }
        return true;
    }

    // ST-14 … ST-17. The host starts resets in Paused or Running (a reset of its own never
    // overlaps a pause: control operations are serialized; one after a hang may).
    bool op_reset(std::string_view name, std::string &err)
    {
        adapter_rec *a = live_adapter(name, err);
        if (a == nullptr) {
            return false;
        }
        const core::adapter_state st = a->live->state.load();
        if (st != core::adapter_state::paused && st != core::adapter_state::running) {
            err = fmt::format("adapter '{}' cannot be reset while {}", name, core::to_string(st));
            return false;
        }
        const NDIS_STATUS s = core::adapter_reset(a->live);
        switch (s) {
        case NDIS_STATUS_SUCCESS:
        case NDIS_STATUS_SOFT_ERRORS: // reset, with errors the miniport recovered from
            return true;
        case NDIS_STATUS_NOT_SUPPORTED:
            err = fmt::format("adapter '{}': driver '{}' has no MiniportResetEx", name,
                              a->spec.driver);
            return false;
        case NDIS_STATUS_RESET_IN_PROGRESS:
            err = fmt::format("adapter '{}': a reset is already in progress (after a hang)",
                              name);
            return false;
        default:
            err = fmt::format("adapter '{}': reset failed with {}", name, status_text(s));
            return false;
        }
    }

    bool op_set_power(std::string_view name, NDIS_DEVICE_POWER_STATE power, std::string &err)
    {
        adapter_rec *a = live_adapter(name, err);
        if (a == nullptr) {
            return false;
        }
        if (power < NdisDeviceStateD0 || power > NdisDeviceStateD3) {
            err = fmt::format("adapter '{}': {} is not a device power state (D0 … D3)", name,
                              static_cast<int>(power));
            return false;
        }
        const core::adapter_state st = a->live->state.load();
        if (st != core::adapter_state::paused && st != core::adapter_state::running) {
            err = fmt::format("adapter '{}': no power request while {} (ST-07)", name,
                              core::to_string(st));
            return false;
        }
        const NDIS_STATUS s = core::adapter_set_power(a->live, power);
        if (s != NDIS_STATUS_SUCCESS) {
            err = fmt::format("adapter '{}': OID_PNP_SET_POWER {} failed with {}", name,
                              power_name(power), status_text(s));
            return false;
        }
        return true;
    }

    // ST-19, ST-20: pause the stack above the adapter and the adapter, D3, D0, restart the
    // adapter, then the bindings that were running. Whatever fails, the adapter and bindings
    // end running again if they were (in D0 if the miniport allows), and the first error is
    // reported.
    bool op_power_cycle(std::string_view name, std::string &err)
    {
        adapter_rec *a = live_adapter(name, err);
        if (a == nullptr) {
            return false;
        }
        core::adapter *x = a->live;
        const core::adapter_state st = x->state.load();
        if (st != core::adapter_state::paused && st != core::adapter_state::running) {
            err = fmt::format("adapter '{}' cannot be power-cycled while {}", name,
                              core::to_string(st));
            return false;
        }
        const bool was_running = st == core::adapter_state::running;
        std::vector<binding_rec *> were_running;
        for (auto &b : bindings) {
            if (b.live != nullptr && b.live->target == x &&
                b.live->state.load() == core::binding_state::running) {
                were_running.push_back(&b);
            }
        }
        auto first = [&err](std::string e) {
            if (err.empty()) {
                err = std::move(e);
            }
        };
        err.clear();
        if (was_running) {
            const NDIS_STATUS s = core::adapter_pause(x); // the bindings first (ST-20)
            if (s != NDIS_STATUS_SUCCESS) {
                first(fmt::format("adapter '{}': pause failed with {}", name, status_text(s)));
            }
        }
        NDIS_STATUS s = core::adapter_set_power(x, NdisDeviceStateD3);
        if (s != NDIS_STATUS_SUCCESS) {
            first(fmt::format("adapter '{}': OID_PNP_SET_POWER D3 failed with {}", name,
                              status_text(s)));
        }
        s = core::adapter_set_power(x, NdisDeviceStateD0);
        if (s != NDIS_STATUS_SUCCESS) {
            first(fmt::format("adapter '{}': OID_PNP_SET_POWER D0 failed with {}", name,
                              status_text(s)));
        }
        if (was_running && x->state.load() == core::adapter_state::paused) {
            s = core::adapter_restart(x);
            if (s != NDIS_STATUS_SUCCESS) {
                first(fmt::format("adapter '{}': MiniportRestart failed with {}", name,
                                  status_text(s)));
            }
        }
        if (x->state.load() == core::adapter_state::running) {
            for (binding_rec *b : were_running) {
                if (b->live->state.load() != core::binding_state::paused) {
                    continue;
                }
                s = core::binding_restart(b->live);
                if (s != NDIS_STATUS_SUCCESS) {
                    first(fmt::format("binding of '{}' to '{}': NetEventRestart failed with {}",
                                      b->spec.protocol, name, status_text(s)));
                }
            }
        }
        return err.empty();
    }

    bool op_unbind(std::string_view protocol, std::string_view adapter, std::string &err)
    {
        binding_rec *b = open_binding(protocol, adapter, err);
        if (b == nullptr) {
            return false;
        }
        const core::binding_state st = b->live->state.load();
        if (st != core::binding_state::running && st != core::binding_state::paused) {
            err = fmt::format("binding of '{}' to '{}' cannot unbind while {}", protocol, adapter,
                              core::to_string(st));
            return false;
        }
        if (st == core::binding_state::running) {
            core::binding_pause(b->live); // first, so that the counters kept are final (PS-19)
        }
        b->last = snapshot(*b);
        const NDIS_STATUS s = core::unbind(b->live); // always closes
        b->live = nullptr;
        b->last.state = "Unbound";
        b->last.sends_outstanding = 0;
        b->last.receives_outstanding = 0;
        if (s != NDIS_STATUS_SUCCESS) {
            err = fmt::format("binding of '{}' to '{}': unbind finished with {}", protocol,
                              adapter, status_text(s));
            return false;
        }
        return true;
    }

    bool op_rebind(std::string_view protocol, std::string_view adapter, std::string &err)
    {
        binding_rec *b = known_binding(protocol, adapter, err);
        if (b == nullptr) {
            return false;
        }
        if (b->live != nullptr && binding_alive(b->live)) {
            err = fmt::format("binding of '{}' to '{}' is bound (unbind it first)", protocol,
                              adapter);
            return false;
        }
        adapter_rec *a = live_adapter(b->spec.adapter, err);
        if (a == nullptr) {
            return false;
        }
        const core::adapter_state st = a->live->state.load();
        if (st != core::adapter_state::paused && st != core::adapter_state::running) {
            err = fmt::format("binding of '{}' to '{}': the adapter is {}", protocol, adapter,
                              core::to_string(st));
            return false;
        }
        core::protocol_driver *p = find_loaded_protocol(b->spec.protocol);
        if (p == nullptr) {
            err = fmt::format("binding of '{}' to '{}': the protocol is not registered any more",
                              protocol, adapter);
            return false;
        }
        core::binding *nb = nullptr;
        NDIS_STATUS s = core::bind(p, a->live, to_param_map(b->spec.params), &nb);
        if (s != NDIS_STATUS_SUCCESS || nb == nullptr) {
            err = s != NDIS_STATUS_SUCCESS
                      ? fmt::format("binding of '{}' to '{}': ProtocolBindAdapterEx failed with {}",
                                    protocol, adapter, status_text(s))
                      : fmt::format("binding of '{}' to '{}': the protocol declined the adapter",
                                    protocol, adapter);
            return false;
        }
        b->live = nb;
        b->last = binding_counters{};
        if (a->live->state.load() == core::adapter_state::running) {
            s = core::binding_restart(nb);
            if (s != NDIS_STATUS_SUCCESS) {
                // All or nothing: close it again rather than leave it open and paused.
                err = fmt::format("binding of '{}' to '{}': NetEventRestart failed with {}; the "
                                  "binding was closed again",
                                  protocol, adapter, status_text(s));
                b->last = snapshot(*b);
                core::unbind(nb);
                b->live = nullptr;
                b->last.state = "Unbound";
                return false;
            }
        }
        return true;
    }

    bool run_scheduled(const schedule_spec &e, std::string &err)
    {
        const auto action = detail::parse_schedule_action(e.action);
        if (!action) {
            err = "unknown action '" + e.action + "'";
            return false;
        }
        const bool on_binding = !e.protocol.empty();
        switch (*action) {
        case detail::schedule_action::pause:
            return on_binding ? op_pause_binding(e.protocol, e.adapter, err)
                              : op_pause_adapter(e.adapter, err);
        case detail::schedule_action::restart:
            return on_binding ? op_restart_binding(e.protocol, e.adapter, err)
                              : op_restart_adapter(e.adapter, err);
        case detail::schedule_action::pause_restart:
            return on_binding ? op_pause_binding(e.protocol, e.adapter, err) &&
                                    op_restart_binding(e.protocol, e.adapter, err)
                              : op_pause_adapter(e.adapter, err) &&
                                    op_restart_adapter(e.adapter, err);
        case detail::schedule_action::reset: return op_reset(e.adapter, err);
        case detail::schedule_action::power_cycle: return op_power_cycle(e.adapter, err);
        case detail::schedule_action::unbind: return op_unbind(e.protocol, e.adapter, err);
        case detail::schedule_action::rebind: return op_rebind(e.protocol, e.adapter, err);
        case detail::schedule_action::unbind_rebind:
            return op_unbind(e.protocol, e.adapter, err) &&
                   op_rebind(e.protocol, e.adapter, err);
        }
        return false;
    }

    // A public control call: one at a time, the message kept for last_error().
    template <typename F>
    bool control(F &&op)
    {
        std::lock_guard<std::mutex> g(control_lock);
        std::string err;
        if (!need_running(err) || !op(err)) {
            error = std::move(err);
            return false;
        }
        return true;
    }
};

// ================================ teardown_report ==================================================

std::string teardown_report::text() const
{
    if (clean()) {
        return "clean: nothing left behind, no verifier report\n";
    }
    std::string out;
    for (const std::string &l : left_behind) {
        out += "left behind: " + l + "\n";
    }
    if (verifier_reports != 0) {
        out += fmt::format("verifier: {} report(s)\n", verifier_reports);
        for (const std::string &m : verifier_messages) {
            out += "  " + m + "\n";
        }
        if (verifier_messages.size() < verifier_reports) {
            out += fmt::format("  … and {} more\n", verifier_reports - verifier_messages.size());
        }
    }
    if (!leak_report.empty()) {
        out += "leak report:\n" + leak_report;
        if (out.back() != '\n') {
            out += '\n';
        }
    }
    return out;
}

// ================================ stack ============================================================

stack::stack() : _impl(std::make_unique<impl>()) {}

stack::~stack()
{
    if (_impl && _impl->state == impl::phase::running) {
        _impl->stop_scheduler();
        std::lock_guard<std::mutex> g(_impl->control_lock);
        _impl->teardown();
    }
}

bool stack::load_topology(const topology &t)
{
    return _impl->load_topology(t);
}

bool stack::load_topology_file(const std::string &path)
{
    topology t;
    std::string e;
    if (!parse_topology_file(path, t, e)) {
        return _impl->fail(e);
    }
    return _impl->load_topology(t);
}

bool stack::load_topology_string(std::string_view text, std::string_view source_name)
{
    topology t;
    std::string e;
    if (!parse_topology(text, source_name, t, e)) {
        return _impl->fail(e);
    }
    return _impl->load_topology(t);
}

bool stack::add_driver(std::string_view name, std::string_view path, param_list params)
{
    driver_spec d;
    d.name = name;
    d.path = path;
    d.params = std::move(params);
    return _impl->add_driver(std::move(d), {});
}

bool stack::add_driver(std::string_view name, PDRIVER_INITIALIZE entry, param_list params)
{
    if (entry == nullptr) {
        return _impl->fail(fmt::format("driver '{}': the DriverEntry function is NULL", name));
    }
    driver_spec d;
    d.name = name;
    d.entry = entry;
    d.params = std::move(params);
    return _impl->add_driver(std::move(d), {});
}

bool stack::set_driver_params(std::string_view name, param_list params)
{
    if (_impl->state != impl::phase::configured) {
        return _impl->fail("the stack is running: parameters are set before start()");
    }
    impl::driver_rec *d = _impl->find_driver(name);
    if (d == nullptr) {
        return _impl->fail(fmt::format("driver '{}' is not part of the stack", name));
    }
    if (std::string e = check_params(params); !e.empty()) {
        return _impl->fail(fmt::format("driver '{}': {}", name, e));
    }
    d->spec.params = std::move(params);
    return true;
}

bool stack::add_adapter(std::string_view name, std::string_view driver, param_list params)
{
    adapter_spec a;
    a.name = name;
    a.driver = driver;
    a.params = std::move(params);
    return _impl->add_adapter(std::move(a));
}

bool stack::add_adapter(std::string_view name, std::string_view driver, param_list params,
                        fault_spec faults)
{
    adapter_spec a;
    a.name = name;
    a.driver = driver;
    a.params = std::move(params);
    a.faults = std::move(faults);
    return _impl->add_adapter(std::move(a));
}

bool stack::set_adapter_faults(std::string_view name, std::optional<fault_spec> faults)
{
    if (_impl->state != impl::phase::configured) {
        return _impl->fail("the stack is running: faults are set before start()");
    }
    impl::adapter_rec *a = _impl->find_adapter(name);
    if (a == nullptr) {
        return _impl->fail(fmt::format("adapter '{}' is not part of the stack", name));
    }
    if (faults) {
        if (std::string e = check_fault_spec(*faults); !e.empty()) {
            return _impl->fail(fmt::format("adapter '{}': faulty decorator: {}", name, e));
        }
    }
    a->spec.faults = std::move(faults);
    return true;
}

bool stack::set_watchdog(const watchdog_spec &limits)
{
    if (_impl->state != impl::phase::configured) {
        return _impl->fail("the stack is running: the watchdog is set before start()");
    }
    if (std::string e = check_watchdog_spec(limits); !e.empty()) {
        return _impl->fail("watchdog: " + e);
    }
    _impl->watchdog = limits;
    return true;
}

bool stack::add_binding(std::string_view protocol, std::string_view adapter, param_list params)
{
    binding_spec b;
    b.protocol = protocol;
    b.adapter = adapter;
    b.params = std::move(params);
    return _impl->add_binding(std::move(b));
}

bool stack::check()
{
    if (_impl->state != impl::phase::configured) {
        return _impl->fail("the stack is running");
    }
    _impl->error.clear();
    const bool ok = _impl->load_and_check();
    if (ok) {
        _impl->unload_all_quietly();
    }
    if (g_running_stacks.load() == 0) {
        kernel::dispatcher::shutdown();
    }
    return ok;
}

bool stack::start()
{
    std::lock_guard<std::mutex> g(_impl->control_lock);
    return _impl->start();
}

teardown_report stack::stop()
{
    if (_impl->state != impl::phase::running) {
        _impl->fail("the stack is not running");
        return _impl->report;
    }
    _impl->stop_scheduler(); // first: it may be in an action, which needs the lock
    std::lock_guard<std::mutex> g(_impl->control_lock);
    if (_impl->state != impl::phase::running) {
        return _impl->report; // another thread stopped it meanwhile
    }
    _impl->teardown();
    return _impl->report;
}

bool stack::running() const noexcept
{
    return _impl->state == impl::phase::running;
}

bool stack::pause_adapter(std::string_view name)
{
    return _impl->control([&](std::string &e) { return _impl->op_pause_adapter(name, e); });
}

bool stack::restart_adapter(std::string_view name)
{
    return _impl->control([&](std::string &e) { return _impl->op_restart_adapter(name, e); });
}

bool stack::pause_binding(std::string_view protocol, std::string_view adapter)
{
    return _impl->control(
        [&](std::string &e) { return _impl->op_pause_binding(protocol, adapter, e); });
}

bool stack::restart_binding(std::string_view protocol, std::string_view adapter)
{
    return _impl->control(
        [&](std::string &e) { return _impl->op_restart_binding(protocol, adapter, e); });
}

bool stack::reset_adapter(std::string_view name)
{
    return _impl->control([&](std::string &e) { return _impl->op_reset(name, e); });
}

bool stack::power_cycle_adapter(std::string_view name)
{
    return _impl->control([&](std::string &e) { return _impl->op_power_cycle(name, e); });
}

bool stack::set_adapter_power(std::string_view name, NDIS_DEVICE_POWER_STATE state)
{
    return _impl->control([&](std::string &e) { return _impl->op_set_power(name, state, e); });
}

bool stack::unbind(std::string_view protocol, std::string_view adapter)
{
    return _impl->control([&](std::string &e) { return _impl->op_unbind(protocol, adapter, e); });
}

bool stack::rebind(std::string_view protocol, std::string_view adapter)
{
    return _impl->control([&](std::string &e) { return _impl->op_rebind(protocol, adapter, e); });
}

bool stack::add_schedule(schedule_spec entry)
{
    return _impl->add_schedule(std::move(entry));
}

std::vector<schedule_result> stack::schedule_results() const
{
    std::lock_guard<std::mutex> g(_impl->control_lock);
    return _impl->scheduler ? _impl->scheduler->results() : _impl->schedule_last;
}

std::vector<adapter_counters> stack::adapters() const
{
    std::lock_guard<std::mutex> g(_impl->control_lock);
    std::vector<adapter_counters> out;
    for (const auto &a : _impl->adapters) {
        out.push_back(_impl->snapshot(a));
    }
    return out;
}

std::vector<binding_counters> stack::bindings() const
{
    std::lock_guard<std::mutex> g(_impl->control_lock);
    std::vector<binding_counters> out;
    for (const auto &b : _impl->bindings) {
        out.push_back(_impl->snapshot(b));
    }
    return out;
}

std::optional<adapter_counters> stack::adapter(std::string_view name) const
{
    std::lock_guard<std::mutex> g(_impl->control_lock);
    if (impl::adapter_rec *a = _impl->find_adapter(name)) {
        return _impl->snapshot(*a);
    }
    return std::nullopt;
}

std::optional<binding_counters> stack::binding(std::string_view protocol,
                                               std::string_view adapter) const
{
    std::lock_guard<std::mutex> g(_impl->control_lock);
    if (impl::binding_rec *b = _impl->find_binding(protocol, adapter)) {
        return _impl->snapshot(*b);
    }
    return std::nullopt;
}

const std::string &stack::last_error() const noexcept
{
    return _impl->error;
}

const teardown_report &stack::last_report() const noexcept
{
    return _impl->report;
}

void stack::set_control_timeout(std::chrono::milliseconds timeout) noexcept
{
    core::set_control_timeout(timeout);
}

} // namespace ndis::host
