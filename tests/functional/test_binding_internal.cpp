// test_binding_internal.cpp — registration, binding, pause/restart, OIDs, status indications
// and configuration through the core control API (SPEC PS-01 … PS-06, PS-19, PS-21, MS-01,
// MS-02, ST-02, ST-09, ST-11, VER-07, §15.9).
#include "common/stack_fixture.hpp"
#include "openndis_test.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace ft;
namespace core = ndis::core;
using openndis::test::VerifierCapture;

namespace {

const ConfigResult *find(const std::vector<ConfigResult> &v, const std::string &key)
{
    for (const ConfigResult &r : v) {
        if (r.key == key) {
            return &r;
        }
    }
    return nullptr;
}

class Binding : public ::testing::Test {
protected:
    void SetUp() override
    {
        mp = &s.miniport("capture");
        p = &s.protocol("inject");
        a = s.adapter(*mp, "eth0");
        ASSERT_NE(a, nullptr);
    }
    Stack s;
    CaptureMiniport *mp = nullptr;
    InjectProtocol *p = nullptr;
    CaptureAdapter *a = nullptr;
};

} // namespace

// ================================ opening ========================================================

// PS-03, PS-06, ST-02: initialize leaves the adapter Paused; a bind opens it inside
// ProtocolBindAdapterEx and the fresh binding is Paused until NetEventRestart.
TEST(BindingStates, ST02_PS06_InitializedAdapterAndOpenedBindingArePaused)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0", {}, /*restart=*/false);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::paused);
    EXPECT_EQ(a->restart_calls.load(), 0);
    InjectBinding *b = s.bind(p, a, {}, /*restart=*/false);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(p.bind_calls.load(), 1);
    EXPECT_EQ(b->open_status, NDIS_STATUS_SUCCESS);
    EXPECT_NE(b->handle, nullptr);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::paused);
    EXPECT_TRUE(b->pnp_events().empty());
    // OIDs are allowed on a paused binding (PS-06).
    UCHAR mac[6] = {};
    const OidResult r = b->query(OID_802_3_CURRENT_ADDRESS, mac, sizeof mac);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(std::memcmp(mac, a->current_mac, 6), 0);
    // Sends are not (ST-04).
    const auto t = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(t[0]), NDIS_STATUS_PAUSED);
    EXPECT_EQ(a->captured_count(), 0u);
    // NDIS order: miniport first, then the binding (ST-20).
    ASSERT_EQ(core::adapter_restart(Stack::core(a)), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(core::binding_restart(Stack::core(b)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(b->pnp_events(), (std::vector<NET_PNP_EVENT_CODE>{NetEventRestart}));
    const auto t2 = b->send({.nbls = 2});
    EXPECT_EQ(b->completion_status().at(t2[1]), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->captured_count(), 2u);
}

// PS-04: NdisOpenAdapterEx outside ProtocolBindAdapterEx — with the BindContext of a bind that
// has finished, or none — is reported and fails; no binding is made.
TEST_F(Binding, PS04_OpenOutsideBindReportedAndFails)
{
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    NDIS_HANDLE stale = p->last_bind_context;
    ASSERT_NE(stale, nullptr);
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    UINT selected = 99;
    NDIS_OPEN_PARAMETERS op{};
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    NdisStr name("eth0");
    op.AdapterName = name.get();
    op.MediumArray = media;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &selected;
    for (NDIS_HANDLE ctx : {stale, static_cast<NDIS_HANDLE>(nullptr)}) {
        VerifierCapture cap;
        NDIS_HANDLE h = nullptr;
        const NDIS_STATUS st = NdisOpenAdapterEx(p->protocol_handle, b, &op, ctx, &h);
        EXPECT_NE(st, NDIS_STATUS_SUCCESS);
        EXPECT_NE(st, NDIS_STATUS_PENDING);
        EXPECT_EQ(h, nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "PS-04");
    }
    EXPECT_EQ(selected, 99u);
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    EXPECT_EQ(r.bindings.size(), 1u);
}

// PS-04: an open whose medium array does not contain the adapter's medium fails with
// NDIS_STATUS_UNSUPPORTED_MEDIA; the bind fails with it; nothing is left open.
TEST(BindingMedia, PS04_MediumMismatchIsUnsupportedMedia)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &wan = s.protocol("wan-only", [](InjectProtocol &q) {
        q.media = {NdisMediumWan, NdisMediumNative802_11};
    });
    InjectProtocol &multi = s.protocol("multi", [](InjectProtocol &q) {
        q.media = {NdisMediumWan, NdisMedium802_3};
    });
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    EXPECT_EQ(s.bind(wan, a, {}, true, &st), nullptr);
    EXPECT_EQ(st, NDIS_STATUS_UNSUPPORTED_MEDIA);
    ASSERT_EQ(wan.failed_bindings().size(), 1u);
    EXPECT_EQ(wan.failed_bindings()[0]->open_status, NDIS_STATUS_UNSUPPORTED_MEDIA);
    EXPECT_TRUE(wan.bindings().empty());
    EXPECT_TRUE(Stack::core(a)->bindings.empty());
    // A medium array containing it selects its index.
    InjectBinding *b = s.bind(multi, a);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->selected_medium, 1u);
    EXPECT_EQ(Stack::core(a)->bindings.size(), 1u);
}

// PS-03: a bind answered NDIS_STATUS_PENDING, the open and NdisCompleteBindAdapterEx made later
// from another thread; the binding works like a synchronous one.
TEST_F(Binding, PS03_PendedBindCompletedFromAnotherThread)
{
    p->bind_mode = BindMode::PendFromThread;
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(p->last_bind_status.load(), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(b->open_status, NDIS_STATUS_SUCCESS);
    ASSERT_NE(Stack::core(b), nullptr);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::running);
    const auto t = b->send({.nbls = 3});
    EXPECT_EQ(b->completed_tags(), t);
    // A pended bind whose open fails completes the bind with that failure.
    InjectProtocol &wan = s.protocol("wan", [](InjectProtocol &q) {
        q.media = {NdisMediumWan};
        q.bind_mode = BindMode::PendFromThread;
    });
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    EXPECT_EQ(s.bind(wan, a, {}, true, &st), nullptr);
    EXPECT_EQ(st, NDIS_STATUS_UNSUPPORTED_MEDIA);
}

// ================================ bind parameters ===============================================

// PS-03, PS-25: NDIS_BIND_PARAMETERS carry the adapter's attributes as the miniport set them
// (medium, MTU, MAC, link speeds, backfill sizes, filters, options, interface type, names).
TEST(BindParameters, CarryTheAdaptersAttributes)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth7",
                                  {{"Mtu", std::int64_t{1400}},
                                   {"DataBackFill", std::int64_t{64}},
                                   {"ContextBackFill", std::int64_t{32}},
                                   {"LinkSpeed", std::int64_t{100000000}},
                                   {"NetworkAddress", std::string("02-AA-BB-CC-DD-EE")}});
    ASSERT_NE(a, nullptr);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    const BindInfo &i = b->info;
    EXPECT_EQ(i.revision, NDIS_BIND_PARAMETERS_REVISION_4);
    EXPECT_GE(i.size, NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1);
    EXPECT_EQ(i.adapter_name, "eth7");
    EXPECT_EQ(i.bound_adapter_name, "eth7");
    EXPECT_EQ(i.protocol_section, "inject");
    EXPECT_EQ(i.medium, NdisMedium802_3);
    EXPECT_EQ(i.physical_medium, NdisPhysicalMedium802_3);
    EXPECT_EQ(i.mtu, 1400u);
    EXPECT_EQ(i.data_backfill, 64u);
    EXPECT_EQ(i.context_backfill, 32u);
    EXPECT_EQ(i.max_xmit_speed, 100000000u);
    EXPECT_EQ(i.xmit_speed, 100000000u);
    EXPECT_EQ(i.max_rcv_speed, 100000000u);
    EXPECT_EQ(i.rcv_speed, 100000000u);
    EXPECT_EQ(i.connect_state, MediaConnectStateConnected);
    EXPECT_EQ(i.duplex_state, MediaDuplexStateFull);
    EXPECT_EQ(i.lookahead, 1400u);
    EXPECT_EQ(i.mac_length, 6u);
    const UCHAR want_mac[6] = {0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE};
    EXPECT_EQ(std::memcmp(i.mac, want_mac, 6), 0);
    EXPECT_EQ(i.supported_filters,
              static_cast<ULONG>(NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
                                 NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST |
                                 NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL));
    EXPECT_EQ(i.mac_options & NDIS_MAC_OPTION_NO_LOOPBACK,
              static_cast<ULONG>(NDIS_MAC_OPTION_NO_LOOPBACK));
    EXPECT_EQ(i.if_type, static_cast<NET_IFTYPE>(IF_TYPE_ETHERNET_CSMACD));
    EXPECT_EQ(i.access_type, NET_IF_ACCESS_BROADCAST);
    EXPECT_TRUE(i.connector_present);
    EXPECT_EQ(b->selected_medium, 0u);
}

// NDIS_BIND_PARAMETERS.BoundIfIndex / LowestIfIndex name the interface the protocol binds to:
// with no filter modules both are the miniport adapter's IfIndex (the one
// NDIS_MINIPORT_INIT_PARAMETERS gave MiniportInitializeEx).
TEST(BindParameters, BoundAndLowestIfIndexAreTheAdaptersIfIndex)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p = s.protocol("inject");
    CaptureAdapter *a = s.adapter(mp, "eth0");
    ASSERT_NE(a, nullptr);
    EXPECT_NE(a->if_index, 0u);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->info.bound_if_index, a->if_index);
    EXPECT_EQ(b->info.lowest_if_index, a->if_index);
}

// ================================ pended pause and restart ======================================

// ST-09, ST-05, §15.9: MiniportRestart and MiniportPause answered PENDING, completed by
// NdisMRestartComplete / NdisMPauseComplete from another thread; the adapter goes Running and
// Paused and works in between.
TEST(PendedStateChanges, ST09_MiniportRestartAndPausePended)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.restart_mode = Pend::FromThread;
        m.pause_mode = Pend::FromThread;
    });
    InjectProtocol &p = s.protocol("inject");
    NDIS_STATUS st = NDIS_STATUS_FAILURE;
    CaptureAdapter *a = s.adapter(mp, "eth0", {}, true, &st);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(st, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::running);
    EXPECT_EQ(a->restart_calls.load(), 1);
    InjectBinding *b = s.bind(p, a);
    ASSERT_NE(b, nullptr);
    const auto t = b->send({.nbls = 2});
    EXPECT_EQ(b->completion_status().at(t[0]), NDIS_STATUS_SUCCESS);

    ASSERT_EQ(core::adapter_pause(Stack::core(a)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->pause_calls.load(), 1);
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::paused);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::paused); // ST-20: bindings first
    ASSERT_EQ(core::adapter_restart(Stack::core(a)), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(core::binding_restart(Stack::core(b)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::running);
    const auto t2 = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(t2[0]), NDIS_STATUS_SUCCESS);
}

// ST-09: a pended restart that completes with a failure leaves the adapter Paused.
TEST(PendedStateChanges, ST09_PendedRestartFailureLeavesAdapterPaused)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.restart_mode = Pend::FromThread;
        m.restart_status = NDIS_STATUS_RESOURCES;
    });
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    CaptureAdapter *a = s.adapter(mp, "eth0", {}, true, &st);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(st, NDIS_STATUS_RESOURCES);
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::paused);
    mp.restart_status = NDIS_STATUS_SUCCESS;
    EXPECT_EQ(core::adapter_restart(Stack::core(a)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::running);
}

// PS-19, PS-21: NetEventRestart and NetEventPause answered PENDING, completed with
// NdisCompleteNetPnPEvent from another thread.
TEST_F(Binding, PS19_PS21_ProtocolPauseAndRestartPended)
{
    p->pause_mode = Pend::FromThread;
    p->restart_mode = Pend::FromThread;
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::running);
    b->send({.nbls = 1});
    ASSERT_EQ(core::binding_pause(Stack::core(b)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::paused);
    const auto t = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(t[0]), NDIS_STATUS_PAUSED);
    ASSERT_EQ(core::binding_restart(Stack::core(b)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::running);
    EXPECT_EQ(b->pnp_events(),
              (std::vector<NET_PNP_EVENT_CODE>{NetEventRestart, NetEventPause, NetEventRestart}));
}

// ST-11: NdisMPauseComplete / NdisMRestartComplete with no pause / restart pending is reported
// (0x7C/0x1F) and changes nothing.
TEST_F(Binding, ST11_PauseOrRestartCompleteWithoutOperationReported)
{
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    {
        VerifierCapture cap;
        NdisMPauseComplete(a->handle);
        EXPECT_VERIFIER_REPORTS(cap, "ST-11");
    }
    {
        VerifierCapture cap;
        NdisMRestartComplete(a->handle, NDIS_STATUS_SUCCESS);
        EXPECT_VERIFIER_REPORTS(cap, "ST-11");
    }
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::running);
    const auto t = b->send({.nbls = 1});
    EXPECT_EQ(b->completion_status().at(t[0]), NDIS_STATUS_SUCCESS);
    // And after a completed (synchronous) pause, a late NdisMPauseComplete is still unexpected.
    ASSERT_EQ(core::adapter_pause(Stack::core(a)), NDIS_STATUS_SUCCESS);
    {
        VerifierCapture cap;
        NdisMPauseComplete(a->handle);
        EXPECT_VERIFIER_REPORTS(cap, "ST-11");
    }
    EXPECT_EQ(Stack::core(a)->state.load(), core::adapter_state::paused);
}

// ================================ OIDs ===========================================================

namespace {

void check_oids(InjectBinding *b, CaptureAdapter *a, bool pended)
{
    UCHAR mac[6] = {};
    OidResult r = b->query(OID_802_3_CURRENT_ADDRESS, mac, sizeof mac);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r.pended, pended);
    EXPECT_EQ(r.bytes, 6u);
    EXPECT_EQ(std::memcmp(mac, a->current_mac, 6), 0);
    if (pended) {
        EXPECT_NE(r.completed_on, std::this_thread::get_id());
    }

    r = b->query(OID_802_3_PERMANENT_ADDRESS, mac, sizeof mac);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(std::memcmp(mac, a->permanent_mac, 6), 0);

    ULONG v = 0;
    r = b->query(OID_GEN_MAXIMUM_FRAME_SIZE, &v, sizeof v);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(v, a->mtu);

    r = b->query(OID_GEN_LINK_SPEED, &v, sizeof v);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(v, static_cast<ULONG>(a->link_speed / 100));

    r = b->query(OID_GEN_MEDIA_CONNECT_STATUS, &v, sizeof v);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(v, static_cast<ULONG>(NdisMediaStateConnected));

    ULONG filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    r = b->set(OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter);
    EXPECT_EQ(r.status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r.pended, pended);
    EXPECT_EQ(r.bytes, sizeof filter);
    EXPECT_EQ(a->packet_filter(), filter);
    EXPECT_EQ(Stack::core(b)->packet_filter.load(), filter); // what NDIS keeps per binding

    // Too small a buffer: BUFFER_TOO_SHORT with BytesNeeded.
    UCHAR small[2];
    r = b->query(OID_802_3_CURRENT_ADDRESS, small, sizeof small);
    EXPECT_EQ(r.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    EXPECT_EQ(r.needed, 6u);
    // Unsupported filter bits and unknown OIDs are refused, the filter unchanged.
    ULONG bad = 0x80000000u;
    r = b->set(OID_GEN_CURRENT_PACKET_FILTER, &bad, sizeof bad);
    EXPECT_EQ(r.status, NDIS_STATUS_NOT_SUPPORTED);
    EXPECT_EQ(Stack::core(b)->packet_filter.load(), filter);
    r = b->query(0x00FFFFFF, &v, sizeof v);
    EXPECT_EQ(r.status, NDIS_STATUS_NOT_SUPPORTED);
}

} // namespace

// NdisOidRequest → MiniportOidRequest answered synchronously.
TEST_F(Binding, OidsSynchronous)
{
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    check_oids(b, a, false);
    EXPECT_EQ(b->oid_completions.load(), 0); // no ProtocolOidRequestComplete for sync answers
    const auto oids = a->oids();
    ASSERT_GE(oids.size(), 6u);
    EXPECT_EQ(oids[0].oid, static_cast<NDIS_OID>(OID_802_3_CURRENT_ADDRESS));
    EXPECT_EQ(oids[0].type, NdisRequestQueryInformation);
}

// NdisOidRequest answered PENDING; NdisMOidRequestComplete from another thread →
// ProtocolOidRequestComplete with the miniport's status and data.
TEST_F(Binding, OidsPendedCompletedFromAnotherThread)
{
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    mp->oid_pended = true;
    check_oids(b, a, true);
    EXPECT_EQ(b->oid_completions.load(), 9); // one per request check_oids makes
}

// VER-07 (0x7C/0x26): NdisMOidRequestComplete for a request that is not pending — completed
// twice, or completed after the miniport had answered it synchronously — is reported and does
// not reach the protocol.
TEST_F(Binding, VER07_OidCompletionNotPendingReported)
{
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    UCHAR mac[6];
    NDIS_STATUS st;
    // Pended, completed once by the miniport, then once more.
    mp->oid_pended = true;
    PNDIS_OID_REQUEST r1 = b->start_oid(NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS,
                                        mac, sizeof mac, &st);
    ASSERT_EQ(st, NDIS_STATUS_PENDING);
    ASSERT_TRUE(b->wait_oid(r1, &st));
    EXPECT_EQ(st, NDIS_STATUS_SUCCESS);
    mp->helpers.join_all();
    EXPECT_EQ(b->oid_completions.load(), 1);
    {
        VerifierCapture cap;
        NdisMOidRequestComplete(a->handle, r1, NDIS_STATUS_SUCCESS);
        EXPECT_VERIFIER_REPORTS(cap, "VER-07");
    }
    EXPECT_EQ(b->oid_completions.load(), 1);
    b->free_oid(r1);

    // Answered synchronously, then "completed".
    mp->oid_pended = false;
    PNDIS_OID_REQUEST r2 = b->start_oid(NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS,
                                        mac, sizeof mac, &st);
    ASSERT_EQ(st, NDIS_STATUS_SUCCESS);
    {
        VerifierCapture cap;
        NdisMOidRequestComplete(a->handle, r2, NDIS_STATUS_SUCCESS);
        EXPECT_VERIFIER_REPORTS(cap, "VER-07");
    }
    EXPECT_EQ(b->oid_completions.load(), 1)
        << "ProtocolOidRequestComplete called for a request the miniport had already answered";
    b->free_oid(r2);
}

// ================================ status indications ============================================

// NdisMIndicateStatusEx(NDIS_STATUS_LINK_STATE) reaches ProtocolStatusEx of every binding of
// the adapter with the miniport's buffer; NDIS keeps the new state; a protocol without
// ProtocolStatusEx (PS-02: optional) is simply skipped.
TEST_F(Binding, LinkStateIndicationReachesProtocolStatusEx)
{
    InjectBinding *b1 = s.bind(*p, a);
    InjectProtocol &p2 = s.protocol("inject2");
    InjectBinding *b2 = s.bind(p2, a, {}, /*restart=*/false); // paused bindings get status too
    InjectProtocol &mute = s.protocol("mute", [](InjectProtocol &q) {
        q.tweak = [](NDIS_PROTOCOL_DRIVER_CHARACTERISTICS &c) { c.StatusHandlerEx = nullptr; };
    });
    InjectBinding *b3 = s.bind(mute, a);
    ASSERT_NE(b1, nullptr);
    ASSERT_NE(b2, nullptr);
    ASSERT_NE(b3, nullptr);
    a->indicate_link_state(MediaConnectStateDisconnected, 100'000'000ULL);
    for (InjectBinding *b : {b1, b2}) {
        const auto st = b->statuses();
        ASSERT_EQ(st.size(), 1u);
        EXPECT_EQ(st[0].code, NDIS_STATUS_LINK_STATE);
        EXPECT_EQ(st[0].source, a->handle);
        ASSERT_TRUE(st[0].has_link_state);
        EXPECT_EQ(st[0].link.MediaConnectState, MediaConnectStateDisconnected);
        EXPECT_EQ(st[0].link.XmitLinkSpeed, 100'000'000ULL);
        EXPECT_EQ(st[0].link.RcvLinkSpeed, 100'000'000ULL);
    }
    EXPECT_TRUE(b3->statuses().empty());
    EXPECT_EQ(Stack::core(a)->connect_state.load(), MediaConnectStateDisconnected);
    ULONG v = 0;
    EXPECT_EQ(b1->query(OID_GEN_MEDIA_CONNECT_STATUS, &v, sizeof v).status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(v, static_cast<ULONG>(NdisMediaStateDisconnected));
    // A binding made now sees the new state in its bind parameters.
    InjectProtocol &p4 = s.protocol("inject4");
    InjectBinding *b4 = s.bind(p4, a);
    ASSERT_NE(b4, nullptr);
    EXPECT_EQ(b4->info.connect_state, MediaConnectStateDisconnected);
    EXPECT_EQ(b4->info.xmit_speed, 100'000'000ULL);
}

// ================================ configuration ==================================================

// NdisOpenConfigurationEx / NdisReadConfiguration / NdisReadNetworkAddress on the adapter's
// parameter table (integer, string, hex, conversions, case-insensitive keys, missing keys), the
// miniport driver's, the protocol driver's and the binding's.
TEST(Configuration, AdapterDriverAndBindingParameterTables)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.adapter_probes = {{"Name", NdisParameterString},  {"HexKey", NdisParameterHexInteger},
                            {"NumString", NdisParameterInteger}, {"Mixed", NdisParameterString},
                            {"Missing", NdisParameterInteger},   {"mtu", NdisParameterInteger},
                            {"NotANumber", NdisParameterInteger}};
        m.driver_probes = {{"DriverKey", NdisParameterInteger},
                           {"DriverText", NdisParameterString},
                           {"Name", NdisParameterString}};
    });
    InjectProtocol &p = s.protocol("inject", [](InjectProtocol &q) {
        q.protocol_probes = {{"ProtoKey", NdisParameterInteger}, {"BindKey", NdisParameterString}};
        q.binding_probes = {{"BindKey", NdisParameterString},
                            {"BindNum", NdisParameterInteger},
                            {"ProtoKey", NdisParameterInteger}};
    });
    // [driver.params] as the host would set them after loading.
    Stack::core(mp)->params = {{"DriverKey", std::int64_t{42}},
                               {"DriverText", std::string("hello")}};
    Stack::core(p)->params = {{"ProtoKey", std::int64_t{7}}};

    CaptureAdapter *a = s.adapter(mp, "eth0",
                                  {{"Mtu", std::int64_t{9000}},
                                   {"Name", std::string("eth-test")},
                                   {"HexKey", std::string("1F")},
                                   {"NumString", std::string("1234")},
                                   {"Mixed", std::int64_t{77}},
                                   {"NotANumber", std::string("12ab")},
                                   {"NetworkAddress", std::string("02-11-22-33-44-55")}});
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->config_open_status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->mtu, 9000u);
    const ConfigResult *r = find(a->adapter_config, "Name");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->got, NdisParameterString);
    EXPECT_EQ(r->text, "eth-test");
    r = find(a->adapter_config, "HexKey");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->integer, 0x1Fu);
    r = find(a->adapter_config, "NumString");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->got, NdisParameterInteger);
    EXPECT_EQ(r->integer, 1234u);
    r = find(a->adapter_config, "Mixed");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->text, "77");
    r = find(a->adapter_config, "Missing");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->status, NDIS_STATUS_SUCCESS);
    r = find(a->adapter_config, "mtu"); // keys compare case-insensitively, like registry names
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->integer, 9000u);
    r = find(a->adapter_config, "NotANumber");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->status, NDIS_STATUS_SUCCESS);
    // NdisReadNetworkAddress.
    EXPECT_EQ(a->network_address_status, NDIS_STATUS_SUCCESS);
    const UCHAR want[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    EXPECT_EQ(std::memcmp(a->current_mac, want, 6), 0);
    // The miniport driver's table, read with NdisMiniportDriverHandle.
    r = find(a->driver_config, "DriverKey");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->integer, 42u);
    r = find(a->driver_config, "DriverText");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->text, "hello");
    r = find(a->driver_config, "Name"); // the adapter's keys are not the driver's
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->status, NDIS_STATUS_SUCCESS);

    InjectBinding *b = s.bind(p, a, {{"BindKey", std::string("abc")}, {"BindNum", std::int64_t{5}}});
    ASSERT_NE(b, nullptr);
    // The protocol driver's table (NdisProtocolHandle).
    r = find(b->protocol_config, "ProtoKey");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->integer, 7u);
    r = find(b->protocol_config, "BindKey");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->status, NDIS_STATUS_SUCCESS);
    // The binding's table (NdisBindingHandle).
    EXPECT_EQ(b->binding_config_open_status, NDIS_STATUS_SUCCESS);
    r = find(b->binding_config, "BindKey");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(r->text, "abc");
    r = find(b->binding_config, "BindNum");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->integer, 5u);
    r = find(b->binding_config, "ProtoKey");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->status, NDIS_STATUS_SUCCESS);
    // The MAC read from the configuration is what the protocol sees.
    EXPECT_EQ(std::memcmp(b->info.mac, want, 6), 0);
    UCHAR mac[6];
    EXPECT_EQ(b->query(OID_802_3_CURRENT_ADDRESS, mac, 6).status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(std::memcmp(mac, want, 6), 0);
}

// NdisReadNetworkAddress with no or a malformed NetworkAddress fails; the adapter keeps its
// permanent address. NdisOpenConfigurationEx on a handle that is none of the four is refused.
TEST(Configuration, BadNetworkAddressAndBadHandle)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    CaptureAdapter *a1 = s.adapter(mp, "eth0", {{"NetworkAddress", std::string("02-zz-00")}});
    CaptureAdapter *a2 = s.adapter(mp, "eth1");
    ASSERT_NE(a1, nullptr);
    ASSERT_NE(a2, nullptr);
    for (CaptureAdapter *a : {a1, a2}) {
        EXPECT_NE(a->network_address_status, NDIS_STATUS_SUCCESS);
        EXPECT_EQ(std::memcmp(a->current_mac, a->permanent_mac, 6), 0);
    }
    int not_a_handle = 0;
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    {
        VerifierCapture cap;
        auto got = read_config(&not_a_handle, {{"X", NdisParameterInteger}}, &st);
        EXPECT_TRUE(got.empty());
        EXPECT_EQ(cap.size(), 1u);
    }
    EXPECT_NE(st, NDIS_STATUS_SUCCESS);
}

// ================================ registration ===================================================

namespace {

NDIS_STATUS register_miniport_with(Stack &s, const std::string &name,
                                   std::function<void(NDIS_MINIPORT_DRIVER_CHARACTERISTICS &)> t)
{
    CaptureMiniport &m = s.miniport(name, [&](CaptureMiniport &x) { x.tweak = t; }, false);
    return m.register_status;
}

NDIS_STATUS register_protocol_with(Stack &s, const std::string &name,
                                   std::function<void(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS &)> t)
{
    InjectProtocol &p = s.protocol(name, [&](InjectProtocol &x) { x.tweak = t; }, false);
    return p.register_status;
}

} // namespace

// MS-01, MS-02: NdisMRegisterMiniportDriver refuses a wrong header or revision
// (BAD_CHARACTERISTICS), a major version other than 6 (BAD_VERSION) and missing required
// handlers (BAD_CHARACTERISTICS), each reported; it accepts revisions 1-3, a NULL
// CancelSendHandler (§16 point 1), and CheckForHang only together with Reset.
TEST(Registration, MS01_MS02_MiniportCharacteristics)
{
    Stack s;
    struct Case {
        const char *name;
        std::function<void(NDIS_MINIPORT_DRIVER_CHARACTERISTICS &)> tweak;
        NDIS_STATUS want;
    };
    auto reset = [](NDIS_HANDLE, PBOOLEAN) -> NDIS_STATUS { return NDIS_STATUS_SUCCESS; };
    auto hang = [](NDIS_HANDLE) -> BOOLEAN { return FALSE; };
    const Case cases[] = {
        {"bad_type", [](auto &c) { c.Header.Type = NDIS_OBJECT_TYPE_DEFAULT; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"bad_revision", [](auto &c) { c.Header.Revision = 9; }, NDIS_STATUS_BAD_CHARACTERISTICS},
        {"short_size", [](auto &c) { c.Header.Size = 16; }, NDIS_STATUS_BAD_CHARACTERISTICS},
        {"version5", [](auto &c) { c.MajorNdisVersion = 5; }, NDIS_STATUS_BAD_VERSION},
        {"no_send", [](auto &c) { c.SendNetBufferListsHandler = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_return", [](auto &c) { c.ReturnNetBufferListsHandler = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_initialize", [](auto &c) { c.InitializeHandlerEx = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_pause", [](auto &c) { c.PauseHandler = nullptr; }, NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_oid", [](auto &c) { c.OidRequestHandler = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"hang_without_reset",
         [hang](auto &c) {
             c.CheckForHangHandlerEx = hang;
             c.ResetHandlerEx = nullptr;
         },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"hang_with_reset",
         [hang, reset](auto &c) {
             c.CheckForHangHandlerEx = hang;
             c.ResetHandlerEx = reset;
         },
         NDIS_STATUS_SUCCESS},
        {"no_cancel_send", [](auto &c) { c.CancelSendHandler = nullptr; }, NDIS_STATUS_SUCCESS},
        {"revision1",
         [](auto &c) {
             c.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
             c.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
         },
         NDIS_STATUS_SUCCESS},
        {"revision3",
         [](auto &c) {
             c.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
             c.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
         },
         NDIS_STATUS_SUCCESS},
    };
    for (const Case &c : cases) {
        VerifierCapture cap;
        const NDIS_STATUS st = register_miniport_with(s, std::string("mp_") + c.name, c.tweak);
        EXPECT_EQ(st, c.want) << c.name;
        if (c.want == NDIS_STATUS_SUCCESS) {
            EXPECT_EQ(cap.size(), 0u) << c.name;
            EXPECT_NE(Stack::core(*s.miniports.back()), nullptr) << c.name;
        } else {
            ASSERT_EQ(cap.size(), 1u) << c.name;
            const auto rec = cap.records()[0];
            if (c.want == NDIS_STATUS_BAD_VERSION) {
                EXPECT_EQ(rec.name, "ndis_version_bad") << c.name;
            } else {
                EXPECT_EQ(rec.spec_id, "MS-02") << c.name;
            }
            EXPECT_EQ(s.miniports.back()->driver_handle, nullptr) << c.name;
            EXPECT_EQ(core::find_miniport(std::string("mp_") + c.name), nullptr) << c.name;
        }
    }
}

// PS-01, PS-02: NdisRegisterProtocolDriver refuses a wrong header, a major version other than 6,
// missing required handlers (send-complete and receive explicitly) or Name, and a second
// protocol of the same Name; StatusHandlerEx may be NULL; revision 1 is accepted.
TEST(Registration, PS01_PS02_ProtocolCharacteristics)
{
    Stack s;
    struct Case {
        const char *name;
        std::function<void(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS &)> tweak;
        NDIS_STATUS want;
    };
    const Case cases[] = {
        {"bad_type", [](auto &c) { c.Header.Type = NDIS_OBJECT_TYPE_DEFAULT; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"version5", [](auto &c) { c.MajorNdisVersion = 5; }, NDIS_STATUS_BAD_VERSION},
        {"no_send_complete", [](auto &c) { c.SendNetBufferListsCompleteHandler = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_receive", [](auto &c) { c.ReceiveNetBufferListsHandler = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_bind", [](auto &c) { c.BindAdapterHandlerEx = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_pnp", [](auto &c) { c.NetPnPEventHandler = nullptr; },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_name",
         [](auto &c) {
             c.Name.Buffer = nullptr;
             c.Name.Length = 0;
         },
         NDIS_STATUS_BAD_CHARACTERISTICS},
        {"no_status", [](auto &c) { c.StatusHandlerEx = nullptr; }, NDIS_STATUS_SUCCESS},
        {"revision1",
         [](auto &c) {
             c.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
             c.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
         },
         NDIS_STATUS_SUCCESS},
    };
    for (const Case &c : cases) {
        VerifierCapture cap;
        const NDIS_STATUS st = register_protocol_with(s, std::string("pr_") + c.name, c.tweak);
        EXPECT_EQ(st, c.want) << c.name;
        if (c.want == NDIS_STATUS_SUCCESS) {
            EXPECT_EQ(cap.size(), 0u) << c.name;
        } else {
            ASSERT_EQ(cap.size(), 1u) << c.name;
            const auto rec = cap.records()[0];
            if (c.want == NDIS_STATUS_BAD_VERSION) {
                EXPECT_EQ(rec.name, "protocol_ndis_version_bad") << c.name;
                EXPECT_EQ(rec.spec_id, "PS-01") << c.name;
            } else {
                EXPECT_EQ(rec.spec_id, "PS-02") << c.name;
            }
            EXPECT_EQ(s.protocols.back()->protocol_handle, nullptr) << c.name;
            EXPECT_EQ(core::find_protocol(std::string("pr_") + c.name), nullptr) << c.name;
        }
    }
    // A second protocol with a registered Name.
    VerifierCapture cap;
    EXPECT_EQ(register_protocol_with(s, "pr_no_status", {}), NDIS_STATUS_FAILURE);
    EXPECT_VERIFIER_REPORTS(cap, "PS-02");
}

// ================================ tear-down paths ================================================

// Unbinding a running binding pauses it first (NetEventPause), then ProtocolUnbindAdapterEx
// closes it; the NdisBindingHandle is dead afterwards and NDIS forgets the binding.
TEST_F(Binding, UnbindPausesThenClosesTheBinding)
{
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    b->send({.nbls = 2});
    ASSERT_EQ(core::unbind(Stack::core(b)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(b->pnp_events(), (std::vector<NET_PNP_EVENT_CODE>{NetEventRestart, NetEventPause}));
    EXPECT_EQ(p->unbind_calls.load(), 1);
    EXPECT_TRUE(b->unbound.load());
    EXPECT_TRUE(Stack::core(a)->bindings.empty());
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    EXPECT_TRUE(r.bindings.empty());
}

// NdisDeregisterProtocolDriver unbinds what the protocol still has; NdisMDeregisterMiniportDriver
// halts what the miniport still has (after unbinding the protocols above it); both from the
// drivers' unload routines.
TEST(Unload, DeregistrationTearsDownWhatIsLeft)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture");
    InjectProtocol &p1 = s.protocol("inject1");
    InjectProtocol &p2 = s.protocol("inject2");
    CaptureAdapter *a1 = s.adapter(mp, "eth0");
    CaptureAdapter *a2 = s.adapter(mp, "eth1");
    ASSERT_NE(a1, nullptr);
    ASSERT_NE(a2, nullptr);
    InjectBinding *b11 = s.bind(p1, a1);
    InjectBinding *b12 = s.bind(p1, a2);
    InjectBinding *b21 = s.bind(p2, a1);
    ASSERT_NE(b11, nullptr);
    ASSERT_NE(b12, nullptr);
    ASSERT_NE(b21, nullptr);
    b11->send({.nbls = 3});
    p1.driver_object()->DriverUnload(p1.driver_object());
    EXPECT_EQ(p1.unload_calls.load(), 1);
    EXPECT_EQ(p1.unbind_calls.load(), 2);
    EXPECT_TRUE(b11->unbound.load());
    EXPECT_TRUE(b12->unbound.load());
    EXPECT_FALSE(b21->unbound.load());
    EXPECT_EQ(core::find_protocol("inject1"), nullptr);
    mp.driver_object()->DriverUnload(mp.driver_object());
    EXPECT_EQ(mp.halt_calls.load(), 2);
    EXPECT_TRUE(a1->halted.load());
    EXPECT_TRUE(a2->halted.load());
    EXPECT_TRUE(b21->unbound.load());
    EXPECT_EQ(core::find_miniport("capture"), nullptr);
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    EXPECT_TRUE(r.adapters.empty());
    EXPECT_TRUE(r.bindings.empty());
}

// ST-02: MiniportInitializeEx failing leaves no adapter behind (Halted).
TEST(Initialize, ST02_FailedInitializeLeavesNothing)
{
    Stack s;
    CaptureMiniport &mp = s.miniport("capture", [](CaptureMiniport &m) {
        m.initialize_status = NDIS_STATUS_RESOURCES;
    });
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    EXPECT_EQ(s.adapter(mp, "eth0", {}, true, &st), nullptr);
    EXPECT_EQ(st, NDIS_STATUS_RESOURCES);
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    EXPECT_TRUE(r.adapters.empty());
    EXPECT_TRUE(Stack::core(mp)->adapters.empty());
}

// ================================ pended open and close ==========================================

namespace {

// Turns on the runtime's pended open/close for one test.
struct PendOpenClose {
    PendOpenClose() { OpenNdisSetPendOpenClose(TRUE); }
    ~PendOpenClose() { OpenNdisSetPendOpenClose(FALSE); }
};

} // namespace

// PS-04, PS-05: NdisOpenAdapterEx may answer PENDING; the open finishes on another thread in
// ProtocolOpenAdapterCompleteEx, and only then are the binding handle and SelectedMediumIndex
// defined (written before the call). The binding is Paused after it (PS-06) and works as usual;
// NdisCloseAdapterEx may pend too, and the binding lives until ProtocolCloseAdapterCompleteEx.
TEST_F(Binding, PS04_PS05_PendedOpenAndCloseCompleteThroughTheirHandlers)
{
    PendOpenClose pend;
    InjectBinding *b = s.bind(*p, a, {}, /*restart=*/false);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->open_pended.load()) << "NdisOpenAdapterEx answered PENDING";
    EXPECT_EQ(b->open_complete_calls.load(), 1);
    EXPECT_EQ(b->open_complete_status.load(), NDIS_STATUS_SUCCESS);
    ASSERT_NE(b->handle, nullptr);
    EXPECT_EQ(b->open_complete_handle.load(), b->handle)
        << "the binding handle is written before ProtocolOpenAdapterCompleteEx (PS-05)";
    EXPECT_EQ(b->selected_medium, 0u);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::paused);
    ASSERT_EQ(core::binding_restart(Stack::core(b)), NDIS_STATUS_SUCCESS);
    const auto t = b->send({.nbls = 3});
    EXPECT_EQ(b->completion_status().at(t[2]), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(a->captured_count(), 3u);

    ASSERT_EQ(core::unbind(Stack::core(b)), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(b->close_status.load(), NDIS_STATUS_PENDING);
    EXPECT_EQ(b->close_complete_calls.load(), 1);
    auto &r = core::registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    EXPECT_TRUE(r.bindings.empty());
}

// PS-03 with PS-05: a protocol that pends its bind and opens from another thread, where the open
// pends too, is bound once both have completed.
TEST_F(Binding, PS03_PS05_PendedBindWithPendedOpen)
{
    PendOpenClose pend;
    p->bind_mode.store(BindMode::PendFromThread);
    InjectBinding *b = s.bind(*p, a);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->open_pended.load());
    EXPECT_EQ(b->open_complete_calls.load(), 1);
    EXPECT_EQ(Stack::core(b)->state.load(), core::binding_state::running);
    const auto t = b->send({.nbls = 2});
    EXPECT_EQ(b->completion_status().at(t[1]), NDIS_STATUS_SUCCESS);
}
