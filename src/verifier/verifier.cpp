// verifier/verifier.cpp — report formatting, counting and delivery (see verifier.hpp).
#include "verifier/verifier.hpp"

#include <openndis/runtime.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace ndis::verifier {

std::atomic<bool> g_checks_enabled{true};

namespace {

std::atomic<int> g_action{OpenNdisVerifierLog};
std::atomic<std::uint64_t> g_reports{0};

struct sink_state {
    std::mutex lock;
    OPENNDIS_VERIFIER_SINK *sink = nullptr;
    void *context = nullptr;
};

sink_state &sink()
{
    static sink_state *state = new sink_state; // never destroyed: reports may come at exit
    return *state;
}

} // namespace

void report_message(failure f, const char *api, const void *object, std::string message) noexcept
{
    const failure_info info = describe(f);
    std::string line;
    try {
        line = fmt::format("{}: {} ({}, {})", api ? api : "?", message, info.spec_id, info.name);
    } catch (...) {
        line = "verifier: report could not be formatted";
    }
    g_reports.fetch_add(1, std::memory_order_relaxed);

    const int action = g_action.load(std::memory_order_relaxed);
    OPENNDIS_VERIFIER_SINK *fn = nullptr;
    void *ctx = nullptr;
    {
        auto &s = sink();
        std::lock_guard<std::mutex> guard(s.lock);
        fn = s.sink;
        ctx = s.context;
    }
    const std::string name(info.name);
    const std::string spec(info.spec_id);
    if (fn != nullptr) {
        OPENNDIS_VERIFIER_REPORT r{};
        r.Code = static_cast<ULONG>(f);
        r.Name = name.c_str();
        r.SpecId = spec.c_str();
        r.Api = api;
        r.Object = object;
        r.Message = line.c_str();
        fn(ctx, &r);
    }
    if (action >= OpenNdisVerifierLog) {
        std::fprintf(stderr, "openndis verifier: %s\n", line.c_str());
    }
    if (action == OpenNdisVerifierAbort) {
        std::fflush(stderr);
        std::abort();
    }
}

std::uint64_t report_count() noexcept
{
    return g_reports.load(std::memory_order_relaxed);
}

} // namespace ndis::verifier

extern "C" {

NDIS_EXPORTED_ROUTINE VOID OpenNdisVerifierSetAction(OPENNDIS_VERIFIER_ACTION Action)
{
    ndis::verifier::g_action.store(static_cast<int>(Action), std::memory_order_relaxed);
}

NDIS_EXPORTED_ROUTINE OPENNDIS_VERIFIER_ACTION OpenNdisVerifierGetAction(VOID)
{
    return static_cast<OPENNDIS_VERIFIER_ACTION>(
        ndis::verifier::g_action.load(std::memory_order_relaxed));
}

NDIS_EXPORTED_ROUTINE OPENNDIS_VERIFIER_SINK *OpenNdisVerifierSetSink(OPENNDIS_VERIFIER_SINK *Sink,
                                                                      PVOID Context,
                                                                      PVOID *OldContext)
{
    auto &s = ndis::verifier::sink();
    std::lock_guard<std::mutex> guard(s.lock);
    OPENNDIS_VERIFIER_SINK *old = s.sink;
    if (OldContext != nullptr) {
        *OldContext = s.context;
    }
    s.sink = Sink;
    s.context = Context;
    return old;
}

NDIS_EXPORTED_ROUTINE VOID OpenNdisVerifierEnable(BOOLEAN Enable)
{
    ndis::verifier::g_checks_enabled.store(Enable != FALSE, std::memory_order_relaxed);
}

} // extern "C"
