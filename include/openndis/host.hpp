// openndis/host.hpp — the C++ embedding API of the host (the same stack as openndis/host.h).
//
// Abstract
//   ndis::host::stack loads drivers (built-in by service name, an ELF shared object exporting
//   DriverEntry, or a DriverEntry function of the caller), creates adapters, binds protocols,
//   brings everything up in NDIS order, runs it, tears it down in NDIS order and reports
//   what was left behind. ndis::host::parse_topology reads a topology file (TOML) into a
//   ndis::host::topology without loading anything; errors carry FILE:LINE:COLUMN.
//
//   Methods return false (and keep the message in last_error()) instead of throwing; nothing
//   is started when a topology is bad. Configuration, start() and stop() from one thread at a
//   time, at PASSIVE_LEVEL. The run-time control methods (pause_adapter … rebind) and the
//   readers (adapters(), bindings() …) may be called from any plain thread while traffic flows:
//   control operations on one stack run one at a time (a mutex), stop() waits for one in
//   progress, and a [[schedule]] (see schedule_spec) runs them on the host's own thread.
//
// Usage
//     ndis::host::stack s;
//     if (!s.load_topology_file("examples/topologies/null.toml") || !s.start()) {
//         std::cerr << s.last_error() << '\n';
//         return 1;
//     }
//     std::this_thread::sleep_for(std::chrono::seconds(1));
//     const ndis::host::teardown_report r = s.stop();
//     for (const auto &a : s.adapters()) std::cout << a.name << ' ' << a.sent << '\n';
//     return r.clean() ? 0 : 1;
//
//   Building in code (tests):
//     s.add_driver("mymp", &MyMiniportEntry);
//     s.add_driver("pktgen");                              // built-in
//     s.add_adapter("a0", "mymp", {{"Speed", 1000}, {"Mode", "fast"}});
//
// Compiles alone as C++20. Exported from libopenndis.so.
#ifndef OPENNDIS_HOST_HPP
#define OPENNDIS_HOST_HPP

#include <ndis/oid.h>
#include <openndis/host.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace ndis::host {

// A parameter value: TOML integer → NdisParameterInteger, TOML string → NdisParameterString.
using param_value = std::variant<std::int64_t, std::string>;

// Parameters in the order they were given (keys compare case-insensitively, unique).
struct param {
    std::string key;
    param_value value;
    template <typename I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
    param(std::string k, I v) : key(std::move(k)), value(static_cast<std::int64_t>(v))
    {
    }
    param(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
    param(std::string k, const char *v) : key(std::move(k)), value(std::string(v)) {}
};
using param_list = std::vector<param>;

// Where something was written (a topology file); empty file: built in code.
struct location {
    std::string file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    bool known() const noexcept { return line != 0; }
    // "file:line:column: " or "" when unknown.
    std::string prefix() const
    {
        return known() ? file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": "
                       : std::string();
    }
};

struct driver_spec {
    std::string name;                   // service name
    std::string path;                   // external shared object ("" : built-in or entry)
    PDRIVER_INITIALIZE entry = nullptr; // a DriverEntry of the caller's (not from a file)
    param_list params;                  // [driver.params]
    location where, where_path;
};

// The faulty miniport decorator around one adapter ([adapter.faulty]; README "Fault injection").
// Every behaviour draws from one PRNG per adapter seeded with `seed`: one sending thread over an
// inline-completing miniport gives the same run every time.
struct fault_spec {
    std::uint64_t seed = 1;
    double fail_fraction = 0;               // of the NBLs not completed inline: failed
    std::vector<std::string> fail_statuses; // MS-08 names ("RESOURCES" …); empty: all seven
    std::string fail_mode = "mixed";        // "before" the inner miniport, "after" it, "mixed"
    std::uint32_t delay_us_max = 0;         // hold each completion 0 … N µs
    bool reorder = false;                   // deliver completions in random order (MS-07)
    bool merge = false;                     // one call for completions of several sends
    bool split = false;                     // several calls for one completion chain
    std::uint32_t merge_window_us = 500;    // how long merge holds when there is no delay
    double inline_fraction = 0;             // completed with SUCCESS inside the send (PS-15)
    std::uint32_t pend_pause_ms = 0, pend_restart_ms = 0, pend_reset_ms = 0;
    std::uint64_t drop_after = 0;           // never complete the N-th NBL (1-based; 0: never)
    double drop_fraction = 0;               // never complete this fraction
};

struct adapter_spec {
    std::string name;   // the adapter instance name protocols see
    std::string driver; // a miniport's service name
    param_list params;  // [adapter.params]
    std::optional<fault_spec> faults; // [adapter.faulty]: decorated with the faulty decorator
    location where, where_driver, where_faults;
};

// The watchdog's limits ([watchdog]; defaults as NDIS's, VER-06 / VER-07). Process-wide: the
// stack that starts sets them.
struct watchdog_spec {
    bool enabled = true;
    std::chrono::milliseconds send_timeout{30000};      // NdisTimedDataSend
    std::chrono::milliseconds hang_timeout{22000};      // NdisTimedDataHang
    std::chrono::milliseconds oid_timeout{12000};       // NdisTimedOidComplete
    std::chrono::milliseconds operation_timeout{10000}; // pause / restart (0x7C/0x25)
    std::chrono::milliseconds period{1000};             // how often it checks
    location where;
};

struct binding_spec {
    std::string protocol; // the protocol's registered Name (or its service name)
    std::string adapter;
    param_list params;    // [binding.params]
    location where, where_protocol, where_adapter;
};

// One [[schedule]] entry: a run-time control action the host performs by itself while the
// stack runs (from start() to stop()), on its scheduler thread, in time order.
//   action    "pause", "restart", "pause_restart" (an adapter with its bindings, or one binding
//             with `protocol`), "reset", "power_cycle" (an adapter), "unbind", "rebind",
//             "unbind_rebind" (a binding: `protocol` required). '-' may stand for '_'.
//   at_ms     once, this long after start() finished; or
//   every_ms  repeatedly: at every_ms, 2 × every_ms, … after start(), `count` times (0: until
//             stop). Exactly one of the two.
//   jitter_ms each run is delayed by a pseudo-random 0 … jitter_ms drawn from `seed`: the same
//             seed gives the same delays (reproducible).
struct schedule_spec {
    std::string action;
    std::string adapter;
    std::string protocol; // binding actions; "" : the adapter
    std::optional<std::uint64_t> at_ms, every_ms;
    std::uint64_t jitter_ms = 0;
    std::uint64_t seed = 0;
    std::uint64_t count = 0;
    location where, where_action, where_adapter, where_protocol;
};

// What the scheduler did with one entry (schedule_results(): live while running, the values
// at stop() afterwards).
struct schedule_result {
    std::string action, adapter, protocol;
    location where;
    std::uint64_t runs = 0, ok = 0, failed = 0;
    std::string last_error; // of the last failed run
};

struct topology {
    std::string source;   // file name (or the name given to a string)
    std::string base_dir; // relative driver paths are resolved against it ("" : cwd)
    std::vector<driver_spec> drivers;
    std::vector<adapter_spec> adapters;
    std::vector<binding_spec> bindings;
    std::optional<watchdog_spec> watchdog; // [watchdog]
    std::vector<schedule_spec> schedule; // [[schedule]]
};

// Parses and checks a topology (TOML) without loading anything: syntax, known keys, types,
// required keys, duplicate names, references from adapters to [[driver]]s and from bindings
// to [[adapter]]s. On failure `error` holds one "FILE:LINE:COL: what" line per problem.
NDIS_EXPORTED_ROUTINE bool parse_topology(std::string_view text, std::string_view source_name,
                                          topology &out, std::string &error);
NDIS_EXPORTED_ROUTINE bool parse_topology_file(const std::string &path, topology &out,
                                               std::string &error);

// The process-wide built-in driver table: libopenndis.so's own drivers (null, loopback,
// pktgen …) plus registered ones, which take precedence (see OpenNdisHostRegisterBuiltinDriver).
NDIS_EXPORTED_ROUTINE void register_builtin_driver(std::string_view name,
                                                   PDRIVER_INITIALIZE entry);
NDIS_EXPORTED_ROUTINE std::vector<std::string> builtin_driver_names();

// Counters (NBLs). Live while running; the values at teardown afterwards.
// What the faulty decorator of an adapter did (NBLs; calls for merged / split / reordered).
struct fault_counters {
    bool attached = false;
    std::uint64_t sent = 0, completed = 0;
    std::vector<std::pair<std::string, std::uint64_t>> failed; // by status name (MS-08 order)
    std::uint64_t delayed = 0, reordered = 0, merged = 0, split = 0, inlined = 0, dropped = 0;
    std::uint64_t pended_pauses = 0, pended_restarts = 0, pended_resets = 0;
    std::vector<const void *> dropped_nbls; // the first 64 dropped
    std::uint64_t failed_total() const noexcept
    {
        std::uint64_t n = 0;
        for (const auto &f : failed) {
            n += f.second;
        }
        return n;
    }
};
struct adapter_counters {
    std::string name, driver, state;
    std::uint64_t sent = 0, completed = 0, indicated = 0, returned = 0;
    std::int64_t sends_outstanding = 0, receives_outstanding = 0;
    fault_counters faults; // attached == false: not decorated
    std::uint64_t resets = 0; // MiniportResetEx calls (by the host or after a hang)
    std::uint64_t hangs = 0;  // MiniportCheckForHangEx answers TRUE
    std::string power;        // "D0" … "D3": the last OID_PNP_SET_POWER that succeeded
};
struct binding_counters {
    std::string protocol, adapter, state;
    bool explicit_binding = false; // from [[binding]] / add_binding (not "every protocol")
    std::uint64_t sent = 0, completed = 0, received = 0;
    std::int64_t sends_outstanding = 0, receives_outstanding = 0;
};

// What stop() found. Counts are objects alive after teardown that were not before start.
struct NDIS_EXPORTED_ROUTINE teardown_report {
    std::uint64_t nbls = 0, nbs = 0, mdls = 0, nbl_pools = 0, nb_pools = 0, nbl_contexts = 0;
    std::uint64_t memory_blocks = 0, memory_bytes = 0;
    std::uint64_t timers = 0, work_items = 0;
    std::uint64_t open_bindings = 0, live_adapters = 0;
    std::uint64_t verifier_reports = 0;
    std::vector<std::string> left_behind;      // one line per problem, "driver 'x': …"
    std::vector<std::string> verifier_messages; // "[driver] message" (at most 100 kept)
    std::string leak_report;                    // OpenNdisLeakReport text when anything leaked

    bool clean() const noexcept { return left_behind.empty() && verifier_reports == 0; }
    std::string text() const; // human-readable, one line per item; "clean\n" when clean
};

class NDIS_EXPORTED_ROUTINE stack {
public:
    stack();
    ~stack(); // stop() if running
    stack(const stack &) = delete;
    stack &operator=(const stack &) = delete;

    // ---- configuration (before start) ----
    bool load_topology(const topology &t);
    bool load_topology_file(const std::string &path);
    bool load_topology_string(std::string_view text, std::string_view source_name = "<string>");
    bool add_driver(std::string_view name, std::string_view path = {}, param_list params = {});
    bool add_driver(std::string_view name, PDRIVER_INITIALIZE entry, param_list params = {});
    bool set_driver_params(std::string_view name, param_list params);
    bool add_adapter(std::string_view name, std::string_view driver, param_list params = {});
    bool add_adapter(std::string_view name, std::string_view driver, param_list params,
                     fault_spec faults);
    // Decorates (or, with std::nullopt, no longer decorates) an adapter added before.
    bool set_adapter_faults(std::string_view adapter, std::optional<fault_spec> faults);
    // The watchdog's limits for this stack's runs (enabled by default, NDIS's limits).
    bool set_watchdog(const watchdog_spec &limits);
    bool add_binding(std::string_view protocol, std::string_view adapter,
                     param_list params = {});

    // ---- running ----
    // Loads the drivers, checks the topology against what they registered, unloads them.
    bool check();
    bool start();
    teardown_report stop();
    bool running() const noexcept;

    // Run-time control (while running; any thread; one operation at a time per stack). Each
    // returns false with last_error() naming what is wrong (unknown adapter or binding, a state
    // the operation is not legal in, a driver's failure) and leaves the stack as it was, or,
    // where a driver failed half-way, with every adapter and binding back in the state it had.
    // last_error() is shared by the threads that use the stack: read it right after the call.
    bool pause_adapter(std::string_view adapter);   // the bindings above first (ST-20)
    bool restart_adapter(std::string_view adapter); // then its paused bindings
    bool pause_binding(std::string_view protocol, std::string_view adapter);
    bool restart_binding(std::string_view protocol, std::string_view adapter);
    // MiniportResetEx with RESET_START / RESET_END to the bindings (ST-14 … ST-17).
    bool reset_adapter(std::string_view adapter);
    // NDIS 6 order: pause the bindings above and the adapter (ST-20), OID_PNP_SET_POWER D3,
    // then D0, then restart the adapter and the bindings that were running (ST-19).
    bool power_cycle_adapter(std::string_view adapter);
    // OID_PNP_SET_POWER alone, in Running or Paused (no pause: for tests of ST-19).
    bool set_adapter_power(std::string_view adapter, NDIS_DEVICE_POWER_STATE state);
    // ProtocolUnbindAdapterEx: the binding stays listed in bindings() as "Unbound" with its
    // counters at the unbind, until rebind() opens it again (counting from zero).
    bool unbind(std::string_view protocol, std::string_view adapter);
    // ProtocolBindAdapterEx again with the binding's [binding.params]; NetEventRestart too when
    // the adapter is running.
    bool rebind(std::string_view protocol, std::string_view adapter);

    // ---- the schedule ----
    // Adds an entry (before start()); checked like a [[schedule]] table of a topology file.
    bool add_schedule(schedule_spec entry);
    std::vector<schedule_result> schedule_results() const;

    // ---- reading ----
    std::vector<adapter_counters> adapters() const;
    std::vector<binding_counters> bindings() const;
    std::optional<adapter_counters> adapter(std::string_view name) const;
    std::optional<binding_counters> binding(std::string_view protocol,
                                            std::string_view adapter) const;
    const std::string &last_error() const noexcept;
    const teardown_report &last_report() const noexcept;

    // How long each control step waits for a driver that pended it (process-wide).
    static void set_control_timeout(std::chrono::milliseconds timeout) noexcept;

    struct impl;

private:
    std::unique_ptr<impl> _impl;
};

} // namespace ndis::host

#endif // OPENNDIS_HOST_HPP
