// ndisctl — run OpenNDIS topologies from the command line.
//
//   ndisctl run TOPOLOGY.toml [--seconds N]   bring the stack up, run N seconds (or until
//                                             SIGINT/SIGTERM), tear it down, print counters
//           [--at MS:ACTION:[PROTOCOL:]ADAPTER]…  add [[schedule]] entries (once, MS after start)
//           [--control]                       read control commands from stdin while running,
//                                             one per line, each answered "ok" or "error: …"
//                                             (see kControlHelp); end of input stops the run
//                                             unless --seconds is given
//   ndisctl demo [--timeout S]                the embedded demo: pktgen over null and over a
//                                             loopback pair, until pktgen sent its Count
//   ndisctl validate TOPOLOGY.toml [--no-load]  parse and check (loads the drivers to check
//                                             adapters name miniports and bindings protocols)
//   ndisctl --version
//
// Output: the counter tables and the teardown summary on stdout; DbgPrint lines, verifier
// reports and errors on stderr. Exit status: 0 ok, 1 load/start failure or bad usage, 2 the
// teardown found something left behind or a verifier report, 3 (demo) counts not as expected.
#include "ndisctl.hpp"

#ifdef OPENNDIS_NDISCTL_HAVE_PKTGEN
#include "protocol/pktgen/pktgen.h"
#endif

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <strings.h>
#include <thread>
#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;

std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig)
{
    g_signal.store(sig);
}

void install_signal_handlers()
{
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int fail(const std::string &message)
{
    fmt::print(stderr, "ndisctl: {}\n", message);
    return ndisctl::kExitLoadFailure;
}

double seconds_since(clock_type::time_point t0)
{
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// ---- run -------------------------------------------------------------------------------------

constexpr const char *kControlHelp =
    "pause ADAPTER | pause PROTOCOL ADAPTER | restart ADAPTER | restart PROTOCOL ADAPTER | "
    "reset ADAPTER | power-cycle ADAPTER | power ADAPTER D0..D3 | unbind PROTOCOL ADAPTER | "
    "rebind PROTOCOL ADAPTER | stats | help | quit";

std::vector<std::string> split(const std::string &text, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    out.push_back(cur);
    return out;
}

// --at MS:ACTION:ADAPTER or MS:ACTION:PROTOCOL:ADAPTER → a schedule entry; "" or the problem.
std::string parse_at(const std::string &text, ndis::host::schedule_spec &e)
{
    const std::vector<std::string> f = split(text, ':');
    if (f.size() != 3 && f.size() != 4) {
        return fmt::format("--at {}: expected MS:ACTION:ADAPTER or MS:ACTION:PROTOCOL:ADAPTER",
                           text);
    }
    std::uint64_t ms = 0;
    if (f[0].empty() ||
        f[0].find_first_not_of("0123456789") != std::string::npos || f[0].size() > 10) {
        return fmt::format("--at {}: '{}' is not a number of milliseconds", text, f[0]);
    }
    ms = std::stoull(f[0]);
    e.at_ms = ms;
    e.action = f[1];
    std::replace(e.action.begin(), e.action.end(), '-', '_');
    if (f.size() == 4) {
        e.protocol = f[2];
        e.adapter = f[3];
    } else {
        e.adapter = f[2];
    }
    return {};
}

std::optional<NDIS_DEVICE_POWER_STATE> power_state(std::string_view d)
{
    if (d.size() == 2 && (d[0] == 'D' || d[0] == 'd') && d[1] >= '0' && d[1] <= '3') {
        return static_cast<NDIS_DEVICE_POWER_STATE>(NdisDeviceStateD0 + (d[1] - '0'));
    }
    return std::nullopt;
}

// One --control command; prints its answer ("ok" or "error: …", after the table for stats).
void control_command(ndis::host::stack &s, const std::string &line, bool &quit, double ran)
{
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string t; in >> t;) {
        w.push_back(t);
    }
    if (w.empty() || w[0].front() == '#') {
        return;
    }
    std::string cmd = w[0];
    std::replace(cmd.begin(), cmd.end(), '_', '-');
    auto usage = [](const char *u) { fmt::print("error: usage: {}\n", u); };
    auto answer = [&s](bool ok) {
        if (ok) {
            fmt::print("ok\n");
        } else {
            fmt::print("error: {}\n", s.last_error());
        }
    };
    if ((cmd == "pause" || cmd == "restart") && (w.size() == 2 || w.size() == 3)) {
        const bool pause = cmd == "pause";
        answer(w.size() == 2 ? (pause ? s.pause_adapter(w[1]) : s.restart_adapter(w[1]))
                             : (pause ? s.pause_binding(w[1], w[2])
                                      : s.restart_binding(w[1], w[2])));
    } else if (cmd == "pause" || cmd == "restart") {
        usage("pause|restart ADAPTER  or  pause|restart PROTOCOL ADAPTER");
    } else if (cmd == "reset") {
        w.size() == 2 ? answer(s.reset_adapter(w[1])) : usage("reset ADAPTER");
    } else if (cmd == "power-cycle") {
        w.size() == 2 ? answer(s.power_cycle_adapter(w[1])) : usage("power-cycle ADAPTER");
    } else if (cmd == "power") {
        const auto d = w.size() == 3 ? power_state(w[2]) : std::nullopt;
        d ? answer(s.set_adapter_power(w[1], *d)) : usage("power ADAPTER D0|D1|D2|D3");
    } else if (cmd == "unbind" || cmd == "rebind") {
        if (w.size() != 3) {
            usage(cmd == "unbind" ? "unbind PROTOCOL ADAPTER" : "rebind PROTOCOL ADAPTER");
        } else {
            answer(cmd == "unbind" ? s.unbind(w[1], w[2]) : s.rebind(w[1], w[2]));
        }
    } else if (cmd == "stats") {
        ndisctl::print_counters(stdout, s.adapters(), s.bindings(), ran);
        ndisctl::print_schedule(stdout, s.schedule_results());
        fmt::print("ok\n");
    } else if (cmd == "help") {
        fmt::print("commands: {}\nok\n", kControlHelp);
    } else if (cmd == "quit" || cmd == "exit") {
        quit = true;
        fmt::print("ok\n");
    } else {
        fmt::print("error: unknown command '{}' (commands: {})\n", w[0], kControlHelp);
    }
    std::fflush(stdout);
}

// Reads what stdin has (waiting at most `wait`); whole lines go to `lines`. False at the end of
// the input.
bool read_stdin_lines(std::string &pending, std::vector<std::string> &lines,
                      std::chrono::milliseconds wait)
{
    pollfd p{};
    p.fd = STDIN_FILENO;
    p.events = POLLIN;
    const int n = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (n <= 0) {
        return n == 0 || errno == EINTR;
    }
    char buf[4096];
    const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
    if (got < 0) {
        return errno == EINTR || errno == EAGAIN;
    }
    if (got == 0) {
        if (!pending.empty()) {
            lines.push_back(pending);
            pending.clear();
        }
        return false;
    }
    pending.append(buf, static_cast<std::size_t>(got));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        lines.push_back(pending.substr(0, nl));
        pending.erase(0, nl + 1);
    }
    return true;
}

int cmd_run(const std::string &path, double seconds, const std::vector<std::string> &at,
            bool control, bool keep_caps)
{
    ndis::host::stack s;
    if (!s.load_topology_file(path)) {
        return fail(s.last_error());
    }
    for (const std::string &a : at) {
        ndis::host::schedule_spec e;
        if (std::string problem = parse_at(a, e); !problem.empty()) {
            return fail(problem);
        }
        if (!s.add_schedule(std::move(e))) {
            return fail("--at " + a + ": " + s.last_error());
        }
    }
    install_signal_handlers();
    if (!s.start()) {
        return fail(s.last_error());
    }
    if (!keep_caps) {
        // The drivers opened their sockets / TAP fds in start(): no thread needs privileges now.
        if (OpenNdisDropCapabilities() != NDIS_STATUS_SUCCESS) {
            fmt::print(stderr, "ndisctl: dropping capabilities failed; running with them\n");
        }
    }
    const auto t0 = clock_type::now();
    if (seconds > 0) {
        fmt::print(stderr, "ndisctl: {} is up; running for {} s (Ctrl-C stops)\n", path, seconds);
    } else {
        fmt::print(stderr, "ndisctl: {} is up; running until {}\n", path,
                   control ? "'quit' or the end of the input" : "Ctrl-C");
    }
    const auto deadline = t0 + std::chrono::duration_cast<clock_type::duration>(
                                   std::chrono::duration<double>(seconds > 0 ? seconds : 0));
    bool reading = control, quit = false;
    std::string pending;
    while (!quit && g_signal.load() == 0 && (seconds <= 0 || clock_type::now() < deadline)) {
        if (!reading) {
            if (control && seconds <= 0) {
                break; // the input ended: nothing else can stop the run
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        std::vector<std::string> lines;
        reading = read_stdin_lines(pending, lines, std::chrono::milliseconds(10));
        for (const std::string &l : lines) {
            if (!quit) {
                control_command(s, l, quit, seconds_since(t0));
            }
        }
    }
    const double ran = seconds_since(t0);
    if (g_signal.load() != 0) {
        fmt::print(stderr, "ndisctl: signal {}: tearing down\n", g_signal.load());
    }
    const ndis::host::teardown_report r = s.stop();
    fmt::print("{}: ran {:.3f} s\n", path, ran);
    ndisctl::print_counters(stdout, s.adapters(), s.bindings(), ran);
    ndisctl::print_schedule(stdout, s.schedule_results());
    return ndisctl::print_teardown(stdout, r) ? ndisctl::kExitOk : ndisctl::kExitLeftBehind;
}

// ---- validate --------------------------------------------------------------------------------

int cmd_validate(const std::string &path, bool no_load)
{
    ndis::host::topology t;
    std::string error;
    if (!ndis::host::parse_topology_file(path, t, error)) {
        return fail(error);
    }
    ndis::host::stack s;
    if (!s.load_topology(t)) {
        return fail(s.last_error());
    }
    if (!no_load && !s.check()) {
        return fail(s.last_error());
    }
    fmt::print("{}: OK ({} driver(s), {} adapter(s), {} binding(s){}{})\n", path,
               t.drivers.size(), t.adapters.size(),
               t.bindings.empty() ? std::string("every protocol to every adapter")
                                  : std::to_string(t.bindings.size()),
               t.schedule.empty() ? std::string()
                                  : fmt::format(", {} schedule entr{}", t.schedule.size(),
                                                t.schedule.size() == 1 ? "y" : "ies"),
               no_load ? "; drivers not loaded" : "");
    return ndisctl::kExitOk;
}

// ---- demo ------------------------------------------------------------------------------------

std::optional<std::int64_t> int_param(const ndis::host::param_list &params, std::string_view key)
{
    for (const auto &p : params) {
        if (p.key.size() == key.size() && strncasecmp(p.key.c_str(), key.data(), key.size()) == 0) {
            if (const auto *i = std::get_if<std::int64_t>(&p.value)) {
                return *i;
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> string_param(const ndis::host::param_list &params,
                                        std::string_view key)
{
    for (const auto &p : params) {
        if (p.key.size() == key.size() && strncasecmp(p.key.c_str(), key.data(), key.size()) == 0) {
            if (const auto *s = std::get_if<std::string>(&p.value)) {
                return *s;
            }
        }
    }
    return std::nullopt;
}

bool same(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The demo's senders: every adapter pktgen binds to, with its loopback peer ("" : none).
struct sender {
    std::string adapter;
    std::string peer;
};

std::vector<sender> senders_of(const ndis::host::topology &t)
{
    auto peer_of = [&t](const ndis::host::adapter_spec &a) -> std::string {
        const auto pair = string_param(a.params, "Pair");
        const auto pair_number = int_param(a.params, "Pair");
        if (!pair && !pair_number) {
            return {};
        }
        for (const auto &o : t.adapters) { // loopback: adapters with the same Pair are peers
            if (!same(o.name, a.name) && same(o.driver, a.driver) &&
                ((pair && string_param(o.params, "Pair") == pair) ||
                 (pair_number && int_param(o.params, "Pair") == pair_number))) {
                return o.name;
            }
        }
        return {};
    };
    std::vector<sender> out;
    for (const auto &a : t.adapters) {
        bool bound = t.bindings.empty();
        for (const auto &b : t.bindings) {
            bound = bound || (same(b.adapter, a.name) && same(b.protocol, "pktgen"));
        }
        if (bound) {
            out.push_back({a.name, same(a.driver, "loopback") ? peer_of(a) : std::string()});
        }
    }
    return out;
}

#ifdef OPENNDIS_NDISCTL_HAVE_PKTGEN

std::optional<PKTGEN_STATS> pktgen_stats(const std::string &adapter)
{
    PKTGEN_STATS st{};
    if (PktgenGetStats(adapter.c_str(), &st) != NDIS_STATUS_SUCCESS) {
        return std::nullopt;
    }
    return st;
}

// Distinct frames that came back for good (a PAUSED completion is sent again).
std::uint64_t frames_done(const PKTGEN_STATS &st)
{
    return st.CompletedFrames - st.CompletedPaused;
}

int cmd_demo(double timeout)
{
    ndis::host::topology t;
    std::string error;
    if (!ndis::host::parse_topology(ndisctl::demo_topology, "demo.toml (embedded)", t, error)) {
        return fail(error);
    }
    const std::vector<sender> senders = senders_of(t);
    ndis::host::stack s;
    if (!s.load_topology(t)) {
        return fail(s.last_error());
    }
    install_signal_handlers();
    fmt::print("ndisctl demo: pktgen over null and over a loopback pair "
               "(examples/topologies/demo.toml)\n");
    if (!s.start()) {
        return fail(s.last_error());
    }
    const auto t0 = clock_type::now();
    // Done when every transmitting binding has its Count back and every peer received it.
    auto done = [&senders]() {
        for (const sender &e : senders) {
            const auto st = pktgen_stats(e.adapter);
            if (!st) {
                return false;
            }
            if (!st->Transmit) {
                continue;
            }
            if (st->Count == 0 || frames_done(*st) < st->Count || st->OutstandingNbls != 0) {
                return false;
            }
            if (!e.peer.empty()) {
                const auto p = pktgen_stats(e.peer);
                if (!p || p->PktgenFramesReceived < st->Count) {
                    return false;
                }
            }
        }
        return true;
    };
    bool finished = false;
    while (g_signal.load() == 0 && seconds_since(t0) < timeout) {
        if (done()) {
            finished = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double ran = seconds_since(t0);
    // pktgen's numbers before the teardown unloads it.
    std::vector<std::optional<PKTGEN_STATS>> stats, peers;
    for (const sender &e : senders) {
        stats.push_back(pktgen_stats(e.adapter));
        peers.push_back(e.peer.empty() ? std::nullopt : pktgen_stats(e.peer));
    }
    const ndis::host::teardown_report r = s.stop();

    bool matched = finished;
    std::uint64_t frames = 0;
    for (std::size_t i = 0; i < senders.size(); ++i) {
        const sender &e = senders[i];
        if (!stats[i]) {
            fmt::print("  {:<6} pktgen is not bound: FAILED\n", e.adapter);
            matched = false;
            continue;
        }
        const PKTGEN_STATS &st = *stats[i];
        if (!st.Transmit) {
            continue;
        }
        frames += st.CompletedSuccess;
        bool ok = st.Count != 0 && st.CompletedSuccess == st.Count &&
                  st.FramesSent - st.RetriedFrames == st.Count;
        std::string line = fmt::format("  {:<6} sent {} frames in {} calls, {} completed "
                                       "SUCCESS",
                                       e.adapter, st.FramesSent - st.RetriedFrames,
                                       st.SendCalls, st.CompletedSuccess);
        if (!e.peer.empty()) {
            const std::uint64_t received = peers[i] ? peers[i]->PktgenFramesReceived : 0;
            const std::uint64_t errors =
                peers[i] ? peers[i]->SequenceErrors + peers[i]->PatternErrors : 0;
            ok = ok && received == st.Count && errors == 0;
            line += fmt::format("; {} received {} ({} errors)", e.peer, received, errors);
        }
        matched = matched && ok;
        fmt::print("{}  {}\n", line, ok ? "ok" : fmt::format("EXPECTED {}", st.Count));
    }
    fmt::print("  {} frames completed in {:.3f} s: {:.2f} M frames/s\n", frames, ran,
               ran > 0 ? static_cast<double>(frames) / ran / 1e6 : 0.0);
    ndisctl::print_counters(stdout, s.adapters(), s.bindings(), ran);
    const bool clean = ndisctl::print_teardown(stdout, r);
    if (!finished) {
        fmt::print(stderr, "ndisctl demo: pktgen did not finish within {} s\n", timeout);
    }
    if (!clean) {
        fmt::print("demo: FAILED (something was left behind)\n");
        return ndisctl::kExitLeftBehind;
    }
    if (!matched) {
        fmt::print("demo: FAILED (counts differ from what the topology asks)\n");
        return ndisctl::kExitDemoMismatch;
    }
    fmt::print("demo: OK\n");
    return ndisctl::kExitOk;
}

#else

int cmd_demo(double)
{
    return fail("this ndisctl was built without the built-in drivers (drivers/)");
}

#endif

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"ndisctl: run NDIS 6 drivers in a Linux process (OpenNDIS)", "ndisctl"};
    app.set_version_flag("--version", "ndisctl (OpenNDIS) " OPENNDIS_VERSION_STRING);
    app.require_subcommand(1);

    std::string run_path;
    double run_seconds = 0;
    bool run_keep_caps = false;
    CLI::App *run = app.add_subcommand("run", "run a topology, tear it down, print counters");
    run->add_option("topology", run_path, "topology file (TOML)")->required();
    run->add_option("--seconds,-s", run_seconds,
                    "how long to run (default: until SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    run->add_flag("--keep-caps", run_keep_caps,
                  "keep the process's Linux capabilities while running (by default every "
                  "thread gives them up once the stack is up: afpacket/tap need them only to "
                  "start)");
    std::vector<std::string> run_at;
    bool run_control = false;
    run->add_option("--at", run_at,
                    "MS:ACTION:ADAPTER or MS:ACTION:PROTOCOL:ADAPTER: perform ACTION (pause, "
                    "restart, pause_restart, reset, power_cycle, unbind, rebind, unbind_rebind) "
                    "MS milliseconds after start (repeatable)");
    run->add_flag("--control", run_control,
                  "read control commands from stdin while running, one per line (pause, "
                  "restart, reset, power-cycle, power, unbind, rebind, stats, help, quit); each "
                  "is answered 'ok' or 'error: ...'");

    double demo_timeout = 30;
    CLI::App *demo = app.add_subcommand("demo", "pktgen over null and over a loopback pair");
    demo->add_option("--timeout", demo_timeout, "give up after this many seconds")
        ->check(CLI::PositiveNumber);

    std::string validate_path;
    bool no_load = false;
    CLI::App *validate = app.add_subcommand("validate", "parse and check a topology file");
    validate->add_option("topology", validate_path, "topology file (TOML)")->required();
    validate->add_flag("--no-load", no_load,
                       "do not load the drivers (checks the file alone)");

    if (argc < 2) {
        fmt::print(stderr, "{}", app.help());
        return ndisctl::kExitLoadFailure;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : ndisctl::kExitLoadFailure;
    }
    if (run->parsed()) {
        return cmd_run(run_path, run_seconds, run_at, run_control, run_keep_caps);
    }
    if (demo->parsed()) {
        return cmd_demo(demo_timeout);
    }
    if (validate->parsed()) {
        return cmd_validate(validate_path, no_load);
    }
    return ndisctl::kExitLoadFailure;
}
