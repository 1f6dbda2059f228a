// stack_fixture.cpp — see stack_fixture.hpp.
#include "stack_fixture.hpp"

#include <gtest/gtest.h>

namespace ft {

Stack::Stack() : old_timeout_(ndis::core::control_timeout())
{
    // Tests pend operations for tens of milliseconds; a driver that never answers should fail
    // a test quickly instead of stalling it for the default 10 s.
    ndis::core::set_control_timeout(5s);
}

Stack::~Stack()
{
    teardown();
    ndis::core::set_control_timeout(old_timeout_);
}

NDIS_STATUS Stack::load(CaptureMiniport &m)
{
    ndis::core::set_loading_service(&m.service);
    const NTSTATUS s = CaptureMiniportDriverEntry(m.driver_object(), m.registry_path());
    ndis::core::set_loading_service(nullptr);
    return s;
}

NDIS_STATUS Stack::load(InjectProtocol &p)
{
    ndis::core::set_loading_service(&p.name);
    const NTSTATUS s = InjectProtocolDriverEntry(p.driver_object(), p.registry_path());
    ndis::core::set_loading_service(nullptr);
    return s;
}

CaptureMiniport &Stack::miniport(const std::string &service,
                                 const std::function<void(CaptureMiniport &)> &configure,
                                 bool expect_success)
{
    miniports.push_back(std::make_unique<CaptureMiniport>(service));
    CaptureMiniport &m = *miniports.back();
    if (configure) {
        configure(m);
    }
    const NDIS_STATUS s = load(m);
    if (expect_success) {
        EXPECT_EQ(s, NDIS_STATUS_SUCCESS) << "loading miniport " << service;
    }
    return m;
}

InjectProtocol &Stack::protocol(const std::string &name,
                                const std::function<void(InjectProtocol &)> &configure,
                                bool expect_success)
{
    protocols.push_back(std::make_unique<InjectProtocol>(name));
    InjectProtocol &p = *protocols.back();
    if (configure) {
        configure(p);
    }
    const NDIS_STATUS s = load(p);
    if (expect_success) {
        EXPECT_EQ(s, NDIS_STATUS_SUCCESS) << "loading protocol " << name;
    }
    return p;
}

CaptureAdapter *Stack::adapter(CaptureMiniport &m, const std::string &name,
                               const ndis::core::param_map &params, bool restart,
                               NDIS_STATUS *out)
{
    ndis::core::miniport_driver *d = core(m);
    if (d == nullptr) {
        ADD_FAILURE() << "miniport " << m.service << " is not registered";
        return nullptr;
    }
    ndis::core::adapter *a = nullptr;
    NDIS_STATUS s = ndis::core::adapter_initialize(d, name, params, &a);
    if (s == NDIS_STATUS_SUCCESS && restart) {
        s = ndis::core::adapter_restart(a);
    }
    if (out != nullptr) {
        *out = s;
    }
    if (a == nullptr) {
        return nullptr;
    }
    return static_cast<CaptureAdapter *>(a->context);
}

InjectBinding *Stack::bind(InjectProtocol &p, CaptureAdapter *a,
                           const ndis::core::param_map &params, bool restart, NDIS_STATUS *out)
{
    ndis::core::protocol_driver *pd = core(p);
    ndis::core::adapter *ca = a != nullptr ? core(a) : nullptr;
    if (pd == nullptr || ca == nullptr) {
        ADD_FAILURE() << "bind: protocol or adapter missing";
        return nullptr;
    }
    ndis::core::binding *b = nullptr;
    NDIS_STATUS s = ndis::core::bind(pd, ca, params, &b);
    if (s == NDIS_STATUS_SUCCESS && b != nullptr && restart) {
        s = ndis::core::binding_restart(b);
    }
    if (out != nullptr) {
        *out = s;
    }
    if (b == nullptr) {
        return nullptr;
    }
    return static_cast<InjectBinding *>(b->context);
}

ndis::core::adapter *Stack::core(CaptureAdapter *a)
{
    return ndis::core::adapter::from_handle(a->handle);
}

ndis::core::binding *Stack::core(InjectBinding *b)
{
    return b->handle != nullptr ? ndis::core::binding::from_handle(b->handle) : nullptr;
}

ndis::core::miniport_driver *Stack::core(CaptureMiniport &m)
{
    return ndis::core::resolve<ndis::core::miniport_driver>(
        m.driver_handle, ndis::core::handle_kind::miniport_driver);
}

ndis::core::protocol_driver *Stack::core(InjectProtocol &p)
{
    return ndis::core::resolve<ndis::core::protocol_driver>(
        p.protocol_handle, ndis::core::handle_kind::protocol_driver);
}

void Stack::release_everything()
{
    for (auto &m : miniports) {
        for (CaptureAdapter *a : m->adapters()) {
            if (a->halted.load()) {
                continue;
            }
            SendPolicy p = a->policy();
            p.completer = Completer::Inline;
            p.status = NDIS_STATUS_SUCCESS;
            p.flags = FlagMode::Truth;
            a->set_policy(p);
            a->complete_pending(CaptureAdapter::From::Caller);
        }
    }
    for (auto &p : protocols) {
        for (InjectBinding *b : p->bindings()) {
            if (b->unbound.load()) {
                continue;
            }
            b->receive_mode.store(ReceiveMode::ReturnNow);
            std::vector<PNET_BUFFER_LIST> held = b->take_held();
            if (!held.empty()) {
                b->return_nbls(held);
            }
        }
    }
}

void Stack::teardown()
{
    if (torn_down_) {
        return;
    }
    torn_down_ = true;
    release_everything();

    // ST-20: bindings pause first, then the adapters; then unbind and halt.
    std::vector<ndis::core::adapter *> adapters;
    for (auto &m : miniports) {
        for (CaptureAdapter *a : m->adapters()) {
            // (A halted adapter's handle points into freed memory: never resolve it.)
            if (a->halted.load()) {
                continue;
            }
            if (ndis::core::adapter *ca = core(a)) {
                adapters.push_back(ca);
            }
        }
    }
    for (ndis::core::adapter *a : adapters) {
        std::vector<ndis::core::binding *> above;
        {
            std::shared_lock<std::shared_mutex> g(a->bindings_lock);
            above = a->bindings;
        }
        for (ndis::core::binding *b : above) {
            if (b->state.load() == ndis::core::binding_state::running) {
                ndis::core::binding_pause(b);
            }
        }
        if (a->state.load() == ndis::core::adapter_state::running) {
            ndis::core::adapter_pause(a);
        }
        for (ndis::core::binding *b : above) {
            ndis::core::unbind(b);
        }
        ndis::core::adapter_halt(a);
    }
    for (auto &p : protocols) {
        if (p->protocol_handle != nullptr) {
            p->driver_object()->DriverUnload(p->driver_object());
        }
    }
    for (auto &m : miniports) {
        if (m->driver_handle != nullptr) {
            m->driver_object()->DriverUnload(m->driver_object());
        }
    }
    for (auto &p : protocols) {
        p->helpers.join_all();
    }
    for (auto &m : miniports) {
        m->helpers.join_all();
    }

    // Nothing of ours is left in the runtime.
    {
        auto &r = ndis::core::registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        EXPECT_TRUE(r.adapters.empty()) << r.adapters.size() << " adapter(s) left";
        EXPECT_TRUE(r.bindings.empty()) << r.bindings.size() << " binding(s) left";
        EXPECT_TRUE(r.miniports.empty()) << r.miniports.size() << " miniport driver(s) left";
        EXPECT_TRUE(r.protocols.empty()) << r.protocols.size() << " protocol driver(s) left";
    }
    if (check_invariants) {
        for (auto &m : miniports) {
            EXPECT_EQ(m->flag_lies.load(), 0)
                << "miniport " << m->service
                << ": the runtime passed a DISPATCH_LEVEL flag that did not match the IRQL "
                   "(IRQL-02)";
            for (CaptureAdapter *a : m->adapters()) {
                EXPECT_EQ(a->rx_outstanding(), 0u) << "receive NBLs never returned (MS-19)";
            }
        }
        for (auto &p : protocols) {
            EXPECT_EQ(p->flag_lies.load(), 0)
                << "protocol " << p->name
                << ": the runtime passed a DISPATCH_LEVEL flag that did not match the IRQL "
                   "(IRQL-04)";
            EXPECT_EQ(p->wrong_binding.load(), 0)
                << "protocol " << p->name << ": completions on the wrong binding (PS-14)";
            EXPECT_EQ(p->damaged.load(), 0)
                << "protocol " << p->name << ": NBLs changed between send and completion: "
                << p->first_damage();
            for (InjectBinding *b : p->bindings()) {
                for (const auto &[tag, n] : b->completion_counts()) {
                    EXPECT_EQ(n, 1) << "NBL tag " << tag << " completed " << n
                                    << " times (PS-14)";
                }
                EXPECT_EQ(b->completed_count(), b->sent_count())
                    << "binding " << b->id << ": sent " << b->sent_count() << ", completed "
                    << b->completed_count();
            }
        }
    }
}

std::vector<Tag> tags_of(const std::vector<Tag> &all, unsigned owner_id)
{
    std::vector<Tag> out;
    for (Tag t : all) {
        if (tag_owner(t) == owner_id) {
            out.push_back(t);
        }
    }
    return out;
}

} // namespace ft
