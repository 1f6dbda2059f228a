// stack_fixture.hpp — builds a stack of test drivers with the core control API and tears it
// down in NDIS order (SPEC ST-20): pause the bindings, pause the adapters, unbind, halt, unload
// the protocols, unload the miniports. Nothing is left behind: the fixture checks the registry
// is empty of its drivers and the drivers' invariant counters (IRQL-02/IRQL-04 flag lies,
// completions on the wrong binding, damaged NBLs) are 0.
//
// Usage
//     ft::Stack s;
//     auto &mp = s.miniport("capture");
//     auto &p = s.protocol("inject");
//     ft::CaptureAdapter *a = s.adapter(mp, "eth0");      // initialized and restarted
//     ft::InjectBinding *b = s.bind(p, a);                 // bound and restarted
//     b->send({.nbls = 4});
//     ...                                                  // ~Stack tears everything down
#pragma once

#include "test_drivers.hpp"

#include "core/params.hpp"
#include "core/stack.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ft {

class Stack {
public:
    Stack();
    ~Stack();
    Stack(const Stack &) = delete;
    Stack &operator=(const Stack &) = delete;

    // A capture miniport, loaded (DriverEntry); `configure` runs before DriverEntry.
    CaptureMiniport &miniport(const std::string &service,
                              const std::function<void(CaptureMiniport &)> &configure = {},
                              bool expect_success = true);
    // An inject protocol, loaded.
    InjectProtocol &protocol(const std::string &name,
                             const std::function<void(InjectProtocol &)> &configure = {},
                             bool expect_success = true);

    // MiniportInitializeEx (+ MiniportRestart when `restart`). Null on failure (status in *out).
    CaptureAdapter *adapter(CaptureMiniport &m, const std::string &name,
                            const ndis::core::param_map &params = {}, bool restart = true,
                            NDIS_STATUS *out = nullptr);
    // ProtocolBindAdapterEx (+ NetEventRestart when `restart`). Null on failure.
    InjectBinding *bind(InjectProtocol &p, CaptureAdapter *a,
                        const ndis::core::param_map &params = {}, bool restart = true,
                        NDIS_STATUS *out = nullptr);

    static ndis::core::adapter *core(CaptureAdapter *a);
    static ndis::core::binding *core(InjectBinding *b);
    static ndis::core::miniport_driver *core(CaptureMiniport &m);
    static ndis::core::protocol_driver *core(InjectProtocol &p);

    // Loads a driver (DriverEntry between set_loading_service calls), as the host does.
    static NDIS_STATUS load(CaptureMiniport &m);
    static NDIS_STATUS load(InjectProtocol &p);

    // Completes what the miniports hold and returns what the protocols hold (so that the
    // tear-down never waits on a test's leftovers).
    void release_everything();
    // NDIS-order tear-down; idempotent. Checks the invariants (gtest EXPECTs).
    void teardown();

    std::vector<std::unique_ptr<CaptureMiniport>> miniports;
    std::vector<std::unique_ptr<InjectProtocol>> protocols;
    bool check_invariants = true;

private:
    bool torn_down_ = false;
    std::chrono::milliseconds old_timeout_;
};

// Tags of `all` that belong to `owner_id` (binding or adapter id), in order.
std::vector<Tag> tags_of(const std::vector<Tag> &all, unsigned owner_id);

} // namespace ft
