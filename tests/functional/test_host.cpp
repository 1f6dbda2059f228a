// test_host.cpp — the host (src/host) through its embedding APIs (openndis/host.hpp, host.h):
// topology parsing and its error messages, bring-up and teardown in NDIS order with recording
// test drivers, parameters reaching drivers, teardown reports, external driver load failures,
// run-time pause/restart, and the C API.
//
// The test drivers here are registered as built-in drivers ("rec_mp", "rec_proto", …) so that
// topologies name them without a path, exactly like null/loopback/pktgen. Every callback appends
// a line to a global event log, which the order tests compare.
#include "openndis_test.hpp"

#include <openndis/host.h>
#include <openndis/host.hpp>

#include <ndis.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

// ---- the event log ----------------------------------------------------------------------------

std::mutex g_log_lock;
std::vector<std::string> g_log;

void note(std::string line)
{
    std::lock_guard<std::mutex> g(g_log_lock);
    g_log.push_back(std::move(line));
}

std::vector<std::string> take_log()
{
    std::lock_guard<std::mutex> g(g_log_lock);
    std::vector<std::string> out;
    out.swap(g_log);
    return out;
}

std::string narrow(const NDIS_STRING *s)
{
    std::string out;
    if (s != nullptr && s->Buffer != nullptr) {
        for (USHORT i = 0; i < s->Length / sizeof(WCHAR); ++i) {
            out.push_back(static_cast<char>(s->Buffer[i]));
        }
    }
    return out;
}

// Reads every parameter the tests use from a configuration handle: "Num" (integer) and "Tag"
// (string); returns "Num=…,Tag=…" with "-" for an absent one.
std::string read_config(NDIS_HANDLE handle)
{
    NDIS_CONFIGURATION_OBJECT co{};
    co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
    co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
    co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
    co.NdisHandle = handle;
    NDIS_HANDLE config = nullptr;
    if (NdisOpenConfigurationEx(&co, &config) != NDIS_STATUS_SUCCESS) {
        return "no-config";
    }
    std::string out;
    NDIS_STATUS status;
    PNDIS_CONFIGURATION_PARAMETER p = nullptr;
    NDIS_STRING num = NDIS_STRING_CONST("Num");
    NdisReadConfiguration(&status, &p, config, &num, NdisParameterInteger);
    out += "Num=" + (status == NDIS_STATUS_SUCCESS ? std::to_string(p->ParameterData.IntegerData)
                                                   : std::string("-"));
    NDIS_STRING tag = NDIS_STRING_CONST("Tag");
    NdisReadConfiguration(&status, &p, config, &tag, NdisParameterString);
    out += ",Tag=" + (status == NDIS_STATUS_SUCCESS ? narrow(&p->ParameterData.StringData)
                                                    : std::string("-"));
    NdisCloseConfiguration(config);
    return out;
}

// ---- rec_mp: a recording miniport that completes every send inline ---------------------------

struct mp_adapter {
    NDIS_HANDLE handle = nullptr;
    std::string name;
    std::atomic<std::uint64_t> completed{0};
};

NDIS_HANDLE g_mp_handle = nullptr;
std::atomic<bool> g_mp_leak_on_halt{false};
// rec_proto "forgets" its NBL pool at unbind (the test frees the pools afterwards).
std::atomic<bool> g_proto_leak_pool{false};
std::vector<NDIS_HANDLE> g_proto_leaked_pools;
std::atomic<bool> g_mp_fail_init{false};
std::vector<void *> g_mp_leaked_blocks; // plain pointers, not runtime objects
constexpr ULONG kMpTag = 'pmeR';

NDIS_STATUS mp_initialize(NDIS_HANDLE handle, NDIS_HANDLE, PNDIS_MINIPORT_INIT_PARAMETERS)
{
    const std::string config = read_config(handle);
    note("mp:Initialize " + config);
    if (g_mp_fail_init.load()) {
        return NDIS_STATUS_RESOURCES;
    }
    void *block = NdisAllocateMemoryWithTagPriority(g_mp_handle, sizeof(mp_adapter), kMpTag,
                                                    NormalPoolPriority);
    auto *a = new (block) mp_adapter;
    a->handle = handle;
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg{};
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.MiniportAdapterContext = a;
    NdisMSetMiniportAttributes(handle, reinterpret_cast<PNDIS_MINIPORT_ADAPTER_ATTRIBUTES>(&reg));
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen{};
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.MediaType = NdisMedium802_3;
    gen.MtuSize = 1500;
    gen.MediaConnectState = MediaConnectStateConnected;
    gen.MacAddressLength = 6;
    NdisMSetMiniportAttributes(handle, reinterpret_cast<PNDIS_MINIPORT_ADAPTER_ATTRIBUTES>(&gen));
    return NDIS_STATUS_SUCCESS;
}

void mp_halt(NDIS_HANDLE context, NDIS_HALT_ACTION)
{
    auto *a = static_cast<mp_adapter *>(context);
    note("mp:Halt completed=" + std::to_string(a->completed.load()));
    a->~mp_adapter();
    if (g_mp_leak_on_halt.load()) {
        g_mp_leaked_blocks.push_back(a); // "forgotten": the teardown report must name it
        return;
    }
    NdisFreeMemoryWithTagPriority(g_mp_handle, a, kMpTag);
}

void mp_unload(PDRIVER_OBJECT)
{
    note("mp:Unload");
    NdisMDeregisterMiniportDriver(g_mp_handle);
}

NDIS_STATUS mp_pause(NDIS_HANDLE, PNDIS_MINIPORT_PAUSE_PARAMETERS)
{
    note("mp:Pause");
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS mp_restart(NDIS_HANDLE, PNDIS_MINIPORT_RESTART_PARAMETERS)
{
    note("mp:Restart");
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS mp_oid(NDIS_HANDLE, PNDIS_OID_REQUEST)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}

void mp_send(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER, ULONG flags)
{
    auto *a = static_cast<mp_adapter *>(context);
    std::uint64_t n = 0;
    for (PNET_BUFFER_LIST n1 = nbls; n1 != nullptr; n1 = NET_BUFFER_LIST_NEXT_NBL(n1)) {
        NET_BUFFER_LIST_STATUS(n1) = NDIS_STATUS_SUCCESS;
        ++n;
    }
    a->completed += n;
    NdisMSendNetBufferListsComplete(a->handle, nbls,
                                    NDIS_TEST_SEND_AT_DISPATCH_LEVEL(flags)
                                        ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                                        : 0);
}

void mp_return(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG) {}
void mp_cancel_send(NDIS_HANDLE, PVOID) {}
void mp_pnp(NDIS_HANDLE, PNET_DEVICE_PNP_EVENT) {}
void mp_shutdown(NDIS_HANDLE, NDIS_SHUTDOWN_ACTION) {}
void mp_cancel_oid(NDIS_HANDLE, PVOID) {}

NTSTATUS rec_mp_entry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
    note("mp:DriverEntry " + narrow(&driver->DriverName) + " " + narrow(registry) + " irql=" +
         std::to_string(KeGetCurrentIrql()));
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc{};
    mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    mc.MajorNdisVersion = 6;
    mc.InitializeHandlerEx = mp_initialize;
    mc.HaltHandlerEx = mp_halt;
    mc.UnloadHandler = mp_unload;
    mc.PauseHandler = mp_pause;
    mc.RestartHandler = mp_restart;
    mc.OidRequestHandler = mp_oid;
    mc.SendNetBufferListsHandler = mp_send;
    mc.ReturnNetBufferListsHandler = mp_return;
    mc.CancelSendHandler = mp_cancel_send;
    mc.DevicePnPEventNotifyHandler = mp_pnp;
    mc.ShutdownHandlerEx = mp_shutdown;
    mc.CancelOidRequestHandler = mp_cancel_oid;
    return NdisMRegisterMiniportDriver(driver, registry, nullptr, &mc, &g_mp_handle);
}

// ---- rec_proto: a recording protocol; binds to 802.3 adapters; sends on request --------------

struct proto_binding {
    NDIS_HANDLE handle = nullptr;
    std::string adapter;
    NDIS_HANDLE pool = nullptr;
    std::atomic<std::uint64_t> completed_ok{0}, completed_other{0};
};

NDIS_HANDLE g_proto_handle = nullptr;
std::mutex g_bindings_lock;
std::vector<proto_binding *> g_bindings;

proto_binding *binding_to(const std::string &adapter)
{
    std::lock_guard<std::mutex> g(g_bindings_lock);
    for (proto_binding *b : g_bindings) {
        if (b->adapter == adapter) {
            return b;
        }
    }
    return nullptr;
}

// Sends `count` NBLs in one chain on the binding to `adapter`.
void send_on(const std::string &adapter, int count)
{
    proto_binding *b = binding_to(adapter);
    ASSERT_NE(b, nullptr) << adapter;
    PNET_BUFFER_LIST head = nullptr;
    for (int i = 0; i < count; ++i) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(b->pool, 0, 0);
        ASSERT_NE(nbl, nullptr);
        nbl->SourceHandle = b->handle;
        NET_BUFFER_LIST_NEXT_NBL(nbl) = head;
        head = nbl;
    }
    NdisSendNetBufferLists(b->handle, head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

NDIS_STATUS proto_bind(NDIS_HANDLE, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS bp)
{
    const std::string adapter = narrow(bp->AdapterName);
    note("proto:Bind " + adapter + " driver:" + read_config(g_proto_handle));
    auto *b = new proto_binding;
    b->adapter = adapter;
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS op{};
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    op.AdapterName = bp->AdapterName;
    op.MediumArray = media;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &selected;
    const NDIS_STATUS s = NdisOpenAdapterEx(g_proto_handle, b, &op, bind_context, &b->handle);
    if (s != NDIS_STATUS_SUCCESS) {
        note("proto:Declined " + adapter);
        delete b;
        return s;
    }
    note("proto:Opened " + adapter + " binding:" + read_config(b->handle));
    NET_BUFFER_LIST_POOL_PARAMETERS pp{};
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    pp.fAllocateNetBuffer = TRUE;
    pp.DataSize = 60;
    pp.PoolTag = 'torP';
    b->pool = NdisAllocateNetBufferListPool(g_proto_handle, &pp);
    std::lock_guard<std::mutex> g(g_bindings_lock);
    g_bindings.push_back(b);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS proto_unbind(NDIS_HANDLE, NDIS_HANDLE context)
{
    auto *b = static_cast<proto_binding *>(context);
    note("proto:Unbind " + b->adapter + " ok=" + std::to_string(b->completed_ok.load()) +
         " other=" + std::to_string(b->completed_other.load()));
    {
        std::lock_guard<std::mutex> g(g_bindings_lock);
        g_bindings.erase(std::remove(g_bindings.begin(), g_bindings.end(), b), g_bindings.end());
    }
    NdisCloseAdapterEx(b->handle);
    if (g_proto_leak_pool.load()) {
        g_proto_leaked_pools.push_back(b->pool);
    } else {
        NdisFreeNetBufferListPool(b->pool);
    }
    delete b;
    return NDIS_STATUS_SUCCESS;
}

void proto_open_complete(NDIS_HANDLE, NDIS_STATUS) {}
void proto_close_complete(NDIS_HANDLE) {}

NDIS_STATUS proto_pnp(NDIS_HANDLE context, PNET_PNP_EVENT_NOTIFICATION n)
{
    auto *b = static_cast<proto_binding *>(context);
    const std::string who = b != nullptr ? b->adapter : std::string("(driver)");
    if (n->NetPnPEvent.NetEvent == NetEventRestart) {
        note("proto:Restart " + who);
    } else if (n->NetPnPEvent.NetEvent == NetEventPause) {
        note("proto:Pause " + who);
    }
    return NDIS_STATUS_SUCCESS;
}

void proto_oid_complete(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS) {}
void proto_status(NDIS_HANDLE, PNDIS_STATUS_INDICATION) {}

void proto_receive(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER, ULONG,
                   ULONG flags)
{
    auto *b = static_cast<proto_binding *>(context);
    if (!NDIS_TEST_RECEIVE_CANNOT_PEND(flags)) {
        NdisReturnNetBufferLists(b->handle, nbls,
                                 NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(flags)
                                     ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL
                                     : 0);
    }
}

void proto_send_complete(NDIS_HANDLE context, PNET_BUFFER_LIST nbls, ULONG)
{
    auto *b = static_cast<proto_binding *>(context);
    for (PNET_BUFFER_LIST n = nbls, next; n != nullptr; n = next) {
        next = NET_BUFFER_LIST_NEXT_NBL(n);
        NET_BUFFER_LIST_NEXT_NBL(n) = nullptr;
        if (NET_BUFFER_LIST_STATUS(n) == NDIS_STATUS_SUCCESS) {
            ++b->completed_ok;
        } else {
            ++b->completed_other;
        }
        NdisFreeNetBufferList(n);
    }
}

void proto_unload(PDRIVER_OBJECT)
{
    note("proto:Unload");
    NdisDeregisterProtocolDriver(g_proto_handle);
}

NTSTATUS rec_proto_entry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
    note("proto:DriverEntry " + narrow(&driver->DriverName) + " " + narrow(registry));
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc{};
    pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    pc.MajorNdisVersion = 6;
    NDIS_STRING name = NDIS_STRING_CONST("RECPROTO"); // registered Name ≠ service name
    pc.Name = name;
    pc.BindAdapterHandlerEx = proto_bind;
    pc.UnbindAdapterHandlerEx = proto_unbind;
    pc.OpenAdapterCompleteHandlerEx = proto_open_complete;
    pc.CloseAdapterCompleteHandlerEx = proto_close_complete;
    pc.NetPnPEventHandler = proto_pnp;
    pc.OidRequestCompleteHandler = proto_oid_complete;
    pc.StatusHandlerEx = proto_status;
    pc.ReceiveNetBufferListsHandler = proto_receive;
    pc.SendNetBufferListsCompleteHandler = proto_send_complete;
    driver->DriverUnload = proto_unload;
    const NDIS_STATUS st = NdisRegisterProtocolDriver(nullptr, &pc, &g_proto_handle);
    if (st == NDIS_STATUS_SUCCESS) {
        // [driver.params] are readable inside DriverEntry, as the registry is on Windows.
        note("proto:DriverEntry config:" + read_config(g_proto_handle));
    }
    return st;
}

// Drivers that go wrong in DriverEntry.
NTSTATUS failing_entry(PDRIVER_OBJECT, PUNICODE_STRING)
{
    note("failing:DriverEntry");
    return STATUS_INSUFFICIENT_RESOURCES;
}

NTSTATUS empty_entry(PDRIVER_OBJECT, PUNICODE_STRING)
{
    note("empty:DriverEntry");
    return STATUS_SUCCESS;
}

class Host : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        ndis::host::register_builtin_driver("rec_mp", rec_mp_entry);
        ndis::host::register_builtin_driver("rec_proto", rec_proto_entry);
        ndis::host::register_builtin_driver("failing", failing_entry);
        ndis::host::register_builtin_driver("empty", empty_entry);
    }
    void SetUp() override
    {
        take_log();
        g_mp_leak_on_halt = false;
        g_proto_leak_pool = false;
        g_mp_fail_init = false;
    }
};

constexpr const char *kTwoAdapters = R"(
[[driver]]
name = "rec_mp"
[[driver]]
name = "rec_proto"
[driver.params]
Num = 7

[[adapter]]
name = "a0"
driver = "rec_mp"
[adapter.params]
Num = 1
Tag = "first"

[[adapter]]
name = "a1"
driver = "rec_mp"
[adapter.params]
Num = 2
)";

// ---- topology parsing ------------------------------------------------------------------------

TEST(HostTopology, ParsesEveryPart)
{
    ndis::host::topology t;
    std::string e;
    ASSERT_TRUE(ndis::host::parse_topology(R"(
# comment
[[driver]]
name = "null"
[[driver]]
name = "ext"
path = "/opt/x/libext.so"
[driver.params]
Zeta = 1
Alpha = "a"

[[adapter]]
name = "n0"
driver = "null"
[adapter.params]
Speed = 4294967295
Mode = "fast"
Neg = -5

[[binding]]
protocol = "EXT"
adapter = "n0"
params = { Count = 10 }
)",
                                           "t.toml", t, e))
        << e;
    EXPECT_EQ(t.source, "t.toml");
    ASSERT_EQ(t.drivers.size(), 2u);
    EXPECT_EQ(t.drivers[0].name, "null");
    EXPECT_EQ(t.drivers[0].path, "");
    EXPECT_EQ(t.drivers[0].where.line, 4u);
    EXPECT_EQ(t.drivers[1].path, "/opt/x/libext.so");
    ASSERT_EQ(t.drivers[1].params.size(), 2u);
    EXPECT_EQ(t.drivers[1].params[0].key, "Zeta"); // file order, not sorted
    EXPECT_EQ(std::get<std::int64_t>(t.drivers[1].params[0].value), 1);
    EXPECT_EQ(std::get<std::string>(t.drivers[1].params[1].value), "a");
    ASSERT_EQ(t.adapters.size(), 1u);
    EXPECT_EQ(t.adapters[0].name, "n0");
    EXPECT_EQ(t.adapters[0].driver, "null");
    ASSERT_EQ(t.adapters[0].params.size(), 3u);
    EXPECT_EQ(std::get<std::int64_t>(t.adapters[0].params[0].value), 4294967295LL);
    EXPECT_EQ(std::get<std::int64_t>(t.adapters[0].params[2].value), -5);
    ASSERT_EQ(t.bindings.size(), 1u);
    EXPECT_EQ(t.bindings[0].protocol, "EXT");
    EXPECT_EQ(t.bindings[0].adapter, "n0");
    EXPECT_EQ(t.bindings[0].where.line, 21u);
    ASSERT_EQ(t.bindings[0].params.size(), 1u);
}

TEST(HostTopology, EmptyFileIsAnEmptyTopology)
{
    ndis::host::topology t;
    std::string e;
    EXPECT_TRUE(ndis::host::parse_topology("# nothing\n", "e.toml", t, e)) << e;
    EXPECT_TRUE(t.drivers.empty() && t.adapters.empty() && t.bindings.empty());
}

struct bad_case {
    const char *text;
    const char *expected; // substring of the error, with "FILE:LINE:COL:"
};

TEST(HostTopology, EveryErrorKindNamesItsLine)
{
    const bad_case cases[] = {
        {"[[driver]]\nname = \"x\"\npath = 'a\n", "b.toml:3:"},
        {"[[driver]]\nname = \"null\"\n[[adapterr]]\nname = \"a\"\n",
         "b.toml:3:3: unknown top-level key 'adapterr'"},
        {"[driver]\nname = \"null\"\n", "b.toml:1:2: 'driver' must be an array of tables"},
        {"[[driver]]\nname = \"null\"\nflavour = 1\n",
         "b.toml:3:1: [[driver]]: unknown key 'flavour' (expected name, path, params)"},
        {"[[driver]]\npath = \"x.so\"\n", "b.toml:1:1: [[driver]]: missing key 'name'"},
        {"[[driver]]\nname = \"n\"\n[[adapter]]\nname = \"a\"\ndriver = 3\n",
         "b.toml:5:10: [[adapter]]: 'driver' must be a string, not an integer"},
        {"[[driver]]\nname = \"n\"\n[[driver]]\nname = \"N\"\n",
         "b.toml:4:8: [[driver]]: duplicate driver name 'N' (first at line 2)"},
        {"[[driver]]\nname = \"n\"\n[[adapter]]\nname = \"a\"\ndriver = \"n\"\n[[adapter]]\n"
         "name = \"a\"\ndriver = \"n\"\n",
         "b.toml:7:8: [[adapter]]: duplicate adapter name 'a' (first at line 4)"},
        {"[[driver]]\nname = \"n\"\n[[adapter]]\nname = \"a\"\ndriver = \"m\"\n",
         "b.toml:5:10: [[adapter]] 'a': driver 'm' is not declared by any [[driver]]"},
        {"[[driver]]\nname = \"n\"\n[[adapter]]\nname = \"a\"\ndriver = \"n\"\n[[binding]]\n"
         "protocol = \"p\"\nadapter = \"b\"\n",
         "b.toml:8:11: [[binding]] of 'p': no [[adapter]] is named 'b'"},
        {"[[driver]]\nname = \"n\"\n[[adapter]]\nname = \"a\"\ndriver = \"n\"\n[[binding]]\n"
         "protocol = \"p\"\nadapter = \"a\"\n[[binding]]\nprotocol = \"P\"\nadapter = \"A\"\n",
         "b.toml:10:12: [[binding]]: duplicate binding of 'P' to 'A' (first at line 7)"},
        {"[[driver]]\nname = \"n\"\n[driver.params]\nOn = true\n",
         "b.toml:4:6: [driver.params] of 'n': 'On' is a boolean"},
        {"[[driver]]\nname = \"n\"\n[driver.params]\nList = [1, 2]\n",
         "b.toml:4:8: [driver.params] of 'n': 'List' is an array"},
        {"[[driver]]\nname = \"n\"\n[driver.params.sub]\nX = 1\n",
         "[driver.params] of 'n': 'sub' is a table"},
        {"[[driver]]\nname = \"n\"\n[driver.params]\nBig = 4294967296\n",
         "b.toml:4:1: [driver.params] of 'n': parameter 'Big' = 4294967296 does not fit in 32 bits"},
        {"[[driver]]\nname = \"n\"\n[driver.params]\nKey = 1\nkey = 2\n",
         "[driver.params] of 'n': 'Key' and 'key' are the same parameter"},
        {"[[driver]]\nname = \"n\"\nparams = 5\n",
         "b.toml:3:10: [[driver]] 'n': 'params' must be a table ([driver.params]), not an integer"},
        {"[[driver]]\nname = \"has space\"\n", "b.toml:2:8: [[driver]]: name 'has space' is not a "
                                               "service name"},
    };
    for (const bad_case &c : cases) {
        ndis::host::topology t;
        std::string e;
        EXPECT_FALSE(ndis::host::parse_topology(c.text, "b.toml", t, e)) << c.text;
        EXPECT_NE(e.find(c.expected), std::string::npos)
            << "expected: " << c.expected << "\ngot:      " << e << "\nfor:\n"
            << c.text;
    }
}

TEST(HostTopology, AllProblemsReportedInFileOrder)
{
    ndis::host::topology t;
    std::string e;
    EXPECT_FALSE(ndis::host::parse_topology(
        "[[adapter]]\nname = 1\ndriver = \"x\"\n[[driver]]\nnam = \"y\"\n", "m.toml", t, e));
    const auto first = e.find("m.toml:2:");
    const auto second = e.find("m.toml:4:");
    const auto third = e.find("m.toml:5:");
    EXPECT_NE(first, std::string::npos) << e;
    EXPECT_NE(second, std::string::npos) << e;
    EXPECT_NE(third, std::string::npos) << e;
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);
}

TEST(HostTopology, MissingFileNamesIt)
{
    ndis::host::topology t;
    std::string e;
    EXPECT_FALSE(ndis::host::parse_topology_file("/nonexistent/topo.toml", t, e));
    EXPECT_NE(e.find("/nonexistent/topo.toml: cannot open the topology file"), std::string::npos)
        << e;
}

TEST_F(Host, UnknownBuiltinIsAnErrorWithItsLine)
{
    ndis::host::stack s;
    EXPECT_FALSE(s.load_topology_string("\n[[driver]]\nname = \"no_such_driver\"\n", "u.toml"));
    EXPECT_NE(s.last_error().find("u.toml:3:8: driver 'no_such_driver': no built-in driver of "
                                  "that name"),
              std::string::npos)
        << s.last_error();
    EXPECT_NE(s.last_error().find("rec_mp"), std::string::npos) << "lists the built-ins";
}

// ---- bring-up and teardown -------------------------------------------------------------------

TEST_F(Host, BringUpAndTeardownFollowNdisOrder) // ST-02, ST-20, PS-06
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "two.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    EXPECT_TRUE(s.running());
    const auto up = take_log();
    const std::vector<std::string> expected_up = {
        "mp:DriverEntry \\Driver\\rec_mp "
        "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\rec_mp irql=0",
        "proto:DriverEntry \\Driver\\rec_proto "
        "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\rec_proto",
        "proto:DriverEntry config:Num=7,Tag=-",
        "mp:Initialize Num=1,Tag=first",
        "mp:Initialize Num=2,Tag=-",
        "proto:Bind a0 driver:Num=7,Tag=-",
        "proto:Opened a0 binding:Num=-,Tag=-",
        "proto:Bind a1 driver:Num=7,Tag=-",
        "proto:Opened a1 binding:Num=-,Tag=-",
        "mp:Restart",
        "mp:Restart",
        "proto:Restart a0",
        "proto:Restart a1",
    };
    EXPECT_EQ(up, expected_up);

    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
    EXPECT_FALSE(s.running());
    const auto down = take_log();
    const std::vector<std::string> expected_down = {
        "proto:Pause a1", "proto:Pause a0",
        "mp:Pause",       "mp:Pause",
        "proto:Unbind a1 ok=0 other=0",
        "proto:Unbind a0 ok=0 other=0",
        "mp:Halt completed=0",
        "mp:Halt completed=0",
        "proto:Unload",   "mp:Unload",
    };
    EXPECT_EQ(down, expected_down);
}

TEST_F(Host, TrafficIsCountedAndNothingIsLeftBehind) // PS-14
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "two.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    send_on("a0", 5);
    send_on("a1", 3);
    send_on("a0", 2);
    auto a0 = s.adapter("a0");
    ASSERT_TRUE(a0.has_value());
    EXPECT_EQ(a0->sent, 7u);
    EXPECT_EQ(a0->completed, 7u);
    EXPECT_EQ(a0->state, "Running");
    auto b1 = s.binding("RECPROTO", "a1");
    ASSERT_TRUE(b1.has_value());
    EXPECT_EQ(b1->sent, 3u);
    EXPECT_EQ(b1->completed, 3u);
    EXPECT_FALSE(b1->explicit_binding);
    EXPECT_TRUE(s.binding("rec_proto", "a1").has_value()) << "the service name works too";

    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
    // The counters survive the teardown.
    a0 = s.adapter("a0");
    ASSERT_TRUE(a0.has_value());
    EXPECT_EQ(a0->completed, 7u);
    EXPECT_EQ(a0->state, "Halted");
    const auto bindings = s.bindings();
    ASSERT_EQ(bindings.size(), 2u);
    EXPECT_EQ(bindings[0].adapter, "a0");
    EXPECT_EQ(bindings[0].completed, 7u);
    EXPECT_EQ(bindings[0].state, "Unbound");
    const auto log = take_log();
    EXPECT_NE(std::find(log.begin(), log.end(), "proto:Unbind a0 ok=7 other=0"), log.end());
}

TEST_F(Host, ExplicitBindingsGetTheirParameters)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(std::string(kTwoAdapters) + R"(
[[binding]]
protocol = "RECPROTO"
adapter = "a1"
[binding.params]
Num = 99
Tag = "b"
)",
                                       "b.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    const auto log = take_log();
    EXPECT_NE(std::find(log.begin(), log.end(), "proto:Opened a1 binding:Num=99,Tag=b"), log.end());
    EXPECT_EQ(std::count_if(log.begin(), log.end(),
                            [](const std::string &l) { return l.rfind("proto:Bind", 0) == 0; }),
              1)
        << "only the [[binding]] is bound";
    ASSERT_EQ(s.bindings().size(), 1u);
    EXPECT_TRUE(s.bindings()[0].explicit_binding);
    EXPECT_TRUE(s.stop().clean());
}

TEST_F(Host, DriverParametersAreReadableInDriverEntry)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "d.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    const auto log = take_log();
    EXPECT_NE(std::find(log.begin(), log.end(), "proto:DriverEntry config:Num=7,Tag=-"), log.end());
    EXPECT_TRUE(s.stop().clean());
}

TEST_F(Host, BindingToAnUnknownProtocolStartsNothing)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(std::string(kTwoAdapters) + R"(
[[binding]]
protocol = "nosuchproto"
adapter = "a0"
)",
                                       "p.toml"))
        << s.last_error();
    EXPECT_FALSE(s.start());
    EXPECT_NE(s.last_error().find("p.toml:23:12: binding to 'a0': no protocol named "
                                  "'nosuchproto' is registered (registered: RECPROTO)"),
              std::string::npos)
        << s.last_error();
    EXPECT_FALSE(s.running());
    const auto log = take_log();
    for (const std::string &l : log) {
        EXPECT_EQ(l.find("Initialize"), std::string::npos) << "nothing is started: " << l;
    }
    EXPECT_NE(std::find(log.begin(), log.end(), "mp:Unload"), log.end()) << "drivers unloaded";
    EXPECT_NE(std::find(log.begin(), log.end(), "proto:Unload"), log.end());
}

TEST_F(Host, AdapterOfAProtocolDriverStartsNothing)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(R"([[driver]]
name = "rec_proto"
[[adapter]]
name = "x0"
driver = "rec_proto"
)",
                                       "np.toml"))
        << s.last_error();
    EXPECT_FALSE(s.check());
    EXPECT_NE(s.last_error().find("np.toml:5:10: adapter 'x0': driver 'rec_proto' is not a "
                                  "miniport (it registered a protocol: 'RECPROTO')"),
              std::string::npos)
        << s.last_error();
    EXPECT_FALSE(s.start());
    EXPECT_NE(s.last_error().find("is not a miniport"), std::string::npos) << s.last_error();
}

TEST_F(Host, CheckLoadsAndUnloadsWithoutStarting)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "c.toml")) << s.last_error();
    EXPECT_TRUE(s.check()) << s.last_error();
    const auto log = take_log();
    const std::vector<std::string> expected = {
        "mp:DriverEntry \\Driver\\rec_mp "
        "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\rec_mp irql=0",
        "proto:DriverEntry \\Driver\\rec_proto "
        "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\rec_proto",
        "proto:DriverEntry config:Num=7,Tag=-",
        "proto:Unload",
        "mp:Unload",
    };
    EXPECT_EQ(log, expected);
    // And the same stack still starts afterwards.
    ASSERT_TRUE(s.start()) << s.last_error();
    EXPECT_TRUE(s.stop().clean());
}

TEST_F(Host, FailedInitializeTearsDownWhatIsUp)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "f.toml")) << s.last_error();
    g_mp_fail_init = true;
    EXPECT_FALSE(s.start());
    EXPECT_NE(s.last_error().find("f.toml:10:8: adapter 'a0': MiniportInitializeEx of driver "
                                  "'rec_mp' failed with NDIS_STATUS_RESOURCES"),
              std::string::npos)
        << s.last_error();
    EXPECT_FALSE(s.running());
    EXPECT_TRUE(s.last_report().clean()) << s.last_report().text();
}

TEST_F(Host, DriverEntryFailures)
{
    {
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("failing"));
        EXPECT_FALSE(s.start());
        EXPECT_NE(s.last_error().find("driver 'failing': DriverEntry failed with 0xc000009a"),
                  std::string::npos)
            << s.last_error();
    }
    {
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("empty"));
        EXPECT_FALSE(s.start());
        EXPECT_NE(s.last_error().find("driver 'empty': DriverEntry returned 0x00000000 but "
                                      "registered neither a miniport"),
                  std::string::npos)
            << s.last_error();
    }
}

TEST_F(Host, LeftBehindMemoryIsReportedPerDriver) // VER-05
{
    openndis::test::VerifierCapture cap;
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "l.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    g_mp_leak_on_halt = true;
    const ndis::host::teardown_report r = s.stop();
    EXPECT_FALSE(r.clean());
    const std::string text = r.text();
    EXPECT_NE(text.find("driver 'rec_mp': 2 pool block(s)"), std::string::npos) << text;
    EXPECT_NE(text.find("Remp"), std::string::npos) << "names the tag: " << text;
    EXPECT_GE(r.memory_blocks, 2u);
    EXPECT_GE(r.verifier_reports, 1u);
    EXPECT_TRUE(cap.has("VER-05")) << text;
    // Clean up what the driver "forgot" (one block per adapter).
    cap.clear();
    for (void *block : g_mp_leaked_blocks) {
        NdisFreeMemoryWithTagPriority(nullptr, block, kMpTag);
    }
    g_mp_leaked_blocks.clear();
}

// Pools (and the NBLs in them) are blamed on the driver in whose call they were made: the
// protocol that allocated its pool in ProtocolBindAdapterEx and never freed it is named, with the
// pool's tag.
TEST_F(Host, LeftBehindPoolsAreReportedPerDriver) // POOL-10, VER-05
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "l.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    g_proto_leak_pool = true;
    const ndis::host::teardown_report r = s.stop();
    EXPECT_FALSE(r.clean());
    const std::string text = r.text();
    EXPECT_NE(text.find("driver 'rec_proto': 2 NBL/NB pool(s)"), std::string::npos) << text;
    EXPECT_EQ(text.find("driver 'rec_mp': 2 NBL/NB pool(s)"), std::string::npos) << text;
    for (NDIS_HANDLE pool : g_proto_leaked_pools) {
        NdisFreeNetBufferListPool(pool);
    }
    g_proto_leaked_pools.clear();
}

TEST_F(Host, ExternalDriverLoadFailuresNameThePathAndWhy)
{
    {
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("ghost", "/nonexistent/libghost.so"));
        EXPECT_FALSE(s.start());
        EXPECT_NE(s.last_error().find("driver 'ghost': cannot load '/nonexistent/libghost.so': "),
                  std::string::npos)
            << s.last_error();
        EXPECT_NE(s.last_error().find("No such file"), std::string::npos) << "dlerror() text";
    }
    {
        const std::string junk = ::testing::TempDir() + "openndis_not_elf.so";
        std::ofstream(junk) << "this is not an ELF file\n";
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("junk", junk));
        EXPECT_FALSE(s.start());
        EXPECT_NE(s.last_error().find("driver 'junk': cannot load '" + junk + "': "),
                  std::string::npos)
            << s.last_error();
        std::remove(junk.c_str());
    }
    {
        // A real shared object without DriverEntry.
        ndis::host::stack s;
        ASSERT_TRUE(s.add_driver("libm", "libm.so.6"));
        EXPECT_FALSE(s.start());
        EXPECT_NE(s.last_error().find("driver 'libm': 'libm.so.6' does not export DriverEntry"),
                  std::string::npos)
            << s.last_error();
    }
    {
        // From a topology file: the error carries the line of `path`.
        ndis::host::stack s;
        ASSERT_TRUE(s.load_topology_string("[[driver]]\nname = \"ghost\"\n"
                                           "path = \"/nonexistent/libghost.so\"\n",
                                           "g.toml"));
        EXPECT_FALSE(s.start());
        EXPECT_NE(s.last_error().find("g.toml:3:8: driver 'ghost': cannot load"),
                  std::string::npos)
            << s.last_error();
    }
}

TEST_F(Host, RuntimePauseAndRestart) // ST-20
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "r.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    take_log();
    ASSERT_TRUE(s.pause_adapter("a1")) << s.last_error();
    EXPECT_EQ(take_log(), (std::vector<std::string>{"proto:Pause a1", "mp:Pause"}));
    EXPECT_EQ(s.adapter("a1")->state, "Paused");
    EXPECT_EQ(s.binding("RECPROTO", "a1")->state, "Paused");
    send_on("a1", 4); // completed by the runtime with NDIS_STATUS_PAUSED (ST-04)
    ASSERT_TRUE(s.restart_adapter("a1")) << s.last_error();
    EXPECT_EQ(take_log(), (std::vector<std::string>{"mp:Restart", "proto:Restart a1"}));
    ASSERT_TRUE(s.pause_binding("RECPROTO", "a0")) << s.last_error();
    ASSERT_TRUE(s.restart_binding("rec_proto", "a0")) << s.last_error();
    EXPECT_EQ(take_log(), (std::vector<std::string>{"proto:Pause a0", "proto:Restart a0"}));
    EXPECT_FALSE(s.pause_adapter("nope"));
    EXPECT_TRUE(s.stop().clean());
    const auto log = take_log();
    EXPECT_NE(std::find(log.begin(), log.end(), "proto:Unbind a1 ok=0 other=4"), log.end());
}

TEST_F(Host, ConfigurationErrorsInCode)
{
    ndis::host::stack s;
    EXPECT_FALSE(s.add_adapter("a0", "rec_mp"));
    EXPECT_NE(s.last_error().find("driver 'rec_mp' is not part of the stack"), std::string::npos);
    ASSERT_TRUE(s.add_driver("rec_mp"));
    EXPECT_FALSE(s.add_driver("REC_MP"));
    EXPECT_FALSE(s.add_adapter("a0", "rec_mp", {{"Big", 1LL << 40}}));
    EXPECT_NE(s.last_error().find("does not fit in 32 bits"), std::string::npos);
    ASSERT_TRUE(s.add_adapter("a0", "rec_mp", {{"Num", 3}, {"Tag", "t"}}));
    EXPECT_FALSE(s.add_binding("RECPROTO", "a9"));
    s.stop();
    EXPECT_NE(s.last_error().find("not running"), std::string::npos);
}

TEST_F(Host, StackStartsAgainAfterStop)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "again.toml")) << s.last_error();
    for (int round = 0; round < 3; ++round) {
        ASSERT_TRUE(s.start()) << s.last_error();
        send_on("a0", round + 1);
        EXPECT_TRUE(s.stop().clean());
        EXPECT_EQ(s.adapter("a0")->completed, static_cast<std::uint64_t>(round + 1));
    }
}

TEST_F(Host, DestructorStopsARunningStack)
{
    {
        ndis::host::stack s;
        ASSERT_TRUE(s.load_topology_string(kTwoAdapters, "d.toml")) << s.last_error();
        ASSERT_TRUE(s.start()) << s.last_error();
        send_on("a0", 3);
    }
    const auto log = take_log();
    EXPECT_EQ(log.back(), "mp:Unload");
}

// ---- the built-in drivers (libopenndis.so's own) ---------------------------------------------

TEST(HostBuiltins, PktgenOverNullAndLoopbackFromAString)
{
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(R"(
[[driver]]
name = "null"
[[driver]]
name = "loopback"
[[driver]]
name = "pktgen"
[driver.params]
Count = 2000
NblsPerSend = 16
[[adapter]]
name = "n0"
driver = "null"
[[adapter]]
name = "l0"
driver = "loopback"
[adapter.params]
Pair = 7
[[adapter]]
name = "l1"
driver = "loopback"
[adapter.params]
Pair = 7
# The receiver first: bindings restart in this order, and a binding that is not running yet
# gets no indications.
[[binding]]
protocol = "pktgen"
adapter = "l1"
[binding.params]
Transmit = 0
[[binding]]
protocol = "pktgen"
adapter = "n0"
[[binding]]
protocol = "pktgen"
adapter = "l0"
)",
                                       "builtin.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    // Adapter counters: a binding's `completed` also counts NBLs the runtime completed itself
    // (NDIS_STATUS_PAUSED for a send that raced the restart), which pktgen then sends again.
    auto finished = [&s]() {
        return s.adapter("n0")->completed >= 2000 && s.adapter("l0")->completed >= 2000 &&
               s.binding("pktgen", "l1")->received >= 2000;
    };
    while (!finished() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(finished());
    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
    EXPECT_EQ(s.adapter("n0")->sent, 2000u);
    EXPECT_EQ(s.adapter("n0")->completed, 2000u);
    EXPECT_EQ(s.adapter("l0")->completed, 2000u);
    EXPECT_EQ(s.adapter("l1")->indicated, 2000u);
    EXPECT_EQ(s.adapter("l1")->returned, 2000u);
    EXPECT_EQ(s.binding("pktgen", "l1")->sent, 0u);
    EXPECT_EQ(s.binding("pktgen", "l1")->received, 2000u);
    const auto bindings = s.bindings();
    ASSERT_EQ(bindings.size(), 3u);
    EXPECT_EQ(bindings[0].adapter, "l1") << "[[binding]] order is kept";
}

// ---- the C API -------------------------------------------------------------------------------

TEST_F(Host, CApiBuildsRunsAndReports)
{
    POPENNDIS_STACK s = nullptr;
    ASSERT_EQ(OpenNdisStackCreate(&s), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackAddDriverEntry(s, "c_mp", rec_mp_entry), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackAddDriverEntry(s, "c_proto", rec_proto_entry), NDIS_STATUS_SUCCESS);
    const OPENNDIS_PARAM driver_params[] = {{"Num", OpenNdisParamInteger, 11, nullptr}};
    EXPECT_EQ(OpenNdisStackSetDriverParams(s, "c_proto", driver_params, 1), NDIS_STATUS_SUCCESS);
    const OPENNDIS_PARAM params[] = {{"Num", OpenNdisParamInteger, 5, nullptr},
                                     {"Tag", OpenNdisParamString, 0, "cee"}};
    EXPECT_EQ(OpenNdisStackAddAdapter(s, "c0", "c_mp", params, 2), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackAddAdapter(s, "c1", "c_mp", nullptr, 0), NDIS_STATUS_SUCCESS);
    const OPENNDIS_PARAM bparams[] = {{"Tag", OpenNdisParamString, 0, "bee"}};
    EXPECT_EQ(OpenNdisStackAddBinding(s, "RECPROTO", "c0", bparams, 1), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(OpenNdisStackAddBinding(s, "RECPROTO", "nope", nullptr, 0), NDIS_STATUS_FAILURE);
    char err[512];
    EXPECT_GT(OpenNdisStackGetLastError(s, err, sizeof err), 0u);
    EXPECT_NE(std::strstr(err, "no adapter is named 'nope'"), nullptr) << err;

    ASSERT_EQ(OpenNdisStackStart(s), NDIS_STATUS_SUCCESS);
    EXPECT_TRUE(OpenNdisStackIsRunning(s));
    const auto up = take_log();
    EXPECT_NE(std::find(up.begin(), up.end(), "mp:Initialize Num=5,Tag=cee"), up.end());
    EXPECT_NE(std::find(up.begin(), up.end(), "proto:Bind c0 driver:Num=11,Tag=-"), up.end());
    EXPECT_NE(std::find(up.begin(), up.end(), "proto:Opened c0 binding:Num=-,Tag=bee"), up.end());
    send_on("c0", 6);

    OPENNDIS_ADAPTER_COUNTERS ac;
    ASSERT_EQ(OpenNdisStackGetAdapterCounters(s, "c0", &ac), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(ac.Sent, 6u);
    EXPECT_STREQ(ac.State, "Running");
    EXPECT_EQ(OpenNdisStackGetAdapterCounters(s, "zz", &ac), NDIS_STATUS_ADAPTER_NOT_FOUND);

    OPENNDIS_TEARDOWN_REPORT r;
    EXPECT_EQ(OpenNdisStackStop(s, &r), NDIS_STATUS_SUCCESS);
    EXPECT_TRUE(r.Clean);
    EXPECT_EQ(r.Nbls, 0u);
    OPENNDIS_BINDING_COUNTERS bc;
    ASSERT_EQ(OpenNdisStackGetBindingCounters(s, "RECPROTO", "c0", &bc), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(bc.Completed, 6u);
    EXPECT_STREQ(bc.State, "Unbound");
    EXPECT_EQ(OpenNdisStackStop(s, &r), NDIS_STATUS_INVALID_STATE);
    OpenNdisStackDestroy(s);
}

TEST_F(Host, CApiTopologyErrorsGoToTheBuffer)
{
    POPENNDIS_STACK s = nullptr;
    ASSERT_EQ(OpenNdisStackCreate(&s), NDIS_STATUS_SUCCESS);
    char err[256];
    EXPECT_NE(OpenNdisStackLoadTopologyString(s, "[[driver]]\nname = 5\n", "s.toml", err,
                                              sizeof err),
              NDIS_STATUS_SUCCESS);
    EXPECT_NE(std::strstr(err, "s.toml:2:8: [[driver]]: 'name' must be a string"), nullptr)
        << err;
    EXPECT_NE(OpenNdisStackLoadTopologyFile(s, "/nonexistent.toml", err, sizeof err),
              NDIS_STATUS_SUCCESS);
    EXPECT_NE(std::strstr(err, "/nonexistent.toml: cannot open"), nullptr) << err;
    char tiny[8];
    EXPECT_NE(OpenNdisStackLoadTopologyString(s, "x = 1\n", nullptr, tiny, sizeof tiny),
              NDIS_STATUS_SUCCESS);
    EXPECT_EQ(std::strlen(tiny), 7u) << "truncated and NUL-terminated";
    EXPECT_EQ(OpenNdisStackStart(nullptr), NDIS_STATUS_INVALID_PARAMETER);
    OpenNdisStackDestroy(s);
    OpenNdisStackDestroy(nullptr);
}

} // namespace

// ---- the faulty decorator and the watchdog through the host ---------------------------------------

constexpr const char *kFaultyNull = R"(
[[driver]]
name = "null"
[[driver]]
name = "rec_proto"

[[adapter]]
name = "null0"
driver = "null"
[adapter.faulty]
seed = SEED
fail_fraction = 0.3
fail_statuses = ["RESOURCES", "NDIS_STATUS_SEND_ABORTED", "paused"]
reorder = true
split = true
)";

std::string pointer_text(const void *p)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", p);
    return buf;
}

std::string faulty_null(int seed)
{
    std::string t = kFaultyNull;
    t.replace(t.find("SEED"), 4, std::to_string(seed));
    return t;
}

TEST(HostTopology, FaultyAndWatchdogTablesAreParsed)
{
    ndis::host::topology t;
    std::string e;
    ASSERT_TRUE(ndis::host::parse_topology(faulty_null(5) + R"(
[watchdog]
send_timeout_ms = 100
period_ms = 5
enabled = true
)",
                                           "f.toml", t, e))
        << e;
    ASSERT_EQ(t.adapters.size(), 1u);
    ASSERT_TRUE(t.adapters[0].faults.has_value());
    const ndis::host::fault_spec &f = *t.adapters[0].faults;
    EXPECT_EQ(f.seed, 5u);
    EXPECT_DOUBLE_EQ(f.fail_fraction, 0.3);
    EXPECT_EQ(f.fail_statuses,
              (std::vector<std::string>{"RESOURCES", "NDIS_STATUS_SEND_ABORTED", "paused"}));
    EXPECT_TRUE(f.reorder);
    EXPECT_TRUE(f.split);
    EXPECT_FALSE(f.merge);
    ASSERT_TRUE(t.watchdog.has_value());
    EXPECT_EQ(t.watchdog->send_timeout, std::chrono::milliseconds(100));
    EXPECT_EQ(t.watchdog->period, std::chrono::milliseconds(5));
    EXPECT_EQ(t.watchdog->hang_timeout, std::chrono::milliseconds(22000)); // VER-06 default
}

TEST(HostTopology, FaultyAndWatchdogErrorsNameTheirLine)
{
    ndis::host::topology t;
    std::string e;
    EXPECT_FALSE(ndis::host::parse_topology(R"([[driver]]
name = "null"
[[adapter]]
name = "n0"
driver = "null"
[adapter.faulty]
fail_fraction = 1.5
fail_statuses = ["SUCCESS"]
shuffle = true
delay_us_max = -3
[watchdog]
period_ms = 0
)",
                                            "bad.toml", t, e));
    EXPECT_NE(e.find("bad.toml:7:17: [adapter.faulty] of 'n0': 'fail_fraction' = 1.5 is not a "
                     "fraction from 0 to 1"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("bad.toml:8:18: [adapter.faulty] of 'n0': fail_statuses: 'SUCCESS' is not a "
                     "send completion failure status (MS-08"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("bad.toml:9:1: [adapter.faulty] of 'n0': unknown key 'shuffle'"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("bad.toml:10:16: [adapter.faulty] of 'n0': 'delay_us_max' must be an "
                     "integer from 0 to 10000000"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("bad.toml:12:13: [watchdog]: 'period_ms' must be at least 1"),
              std::string::npos)
        << e;
}

// MS-06, MS-08: over the built-in null miniport, every NBL comes back exactly once with SUCCESS
// or one of the chosen failures; the decorator's counters match what the protocol saw, and the
// same seed gives the same counts (reproducible), another seed other counts.
TEST_F(Host, FaultyOverNullExactlyOnceAndReproducible)
{
    auto run = [](int seed) {
        ndis::host::stack s;
        EXPECT_TRUE(s.load_topology_string(faulty_null(seed), "f.toml")) << s.last_error();
        EXPECT_TRUE(s.start()) << s.last_error();
        for (int i = 0; i < 20; ++i) {
            send_on("null0", 5);
        }
        const ndis::host::teardown_report r = s.stop();
        EXPECT_TRUE(r.clean()) << r.text();
        const auto a = s.adapter("null0");
        EXPECT_TRUE(a.has_value() && a->faults.attached);
        return a.value_or(ndis::host::adapter_counters{});
    };
    const auto first = run(9);
    auto log = take_log();
    const std::uint64_t failed = first.faults.failed_total();
    EXPECT_GT(failed, 10u);
    EXPECT_EQ(first.faults.sent, 100u);
    EXPECT_EQ(first.faults.completed, 100u);
    const std::string expect = "proto:Unbind null0 ok=" + std::to_string(100 - failed) +
                               " other=" + std::to_string(failed);
    EXPECT_NE(std::find(log.begin(), log.end(), expect), log.end()) << expect;
    for (const auto &[status, n] : first.faults.failed) {
        if (status != "RESOURCES" && status != "SEND_ABORTED" && status != "PAUSED") {
            EXPECT_EQ(n, 0u) << status;
        }
    }
    const auto again = run(9);
    EXPECT_EQ(again.faults.failed, first.faults.failed);
    const auto other = run(10);
    EXPECT_NE(other.faults.failed, first.faults.failed);
    take_log();
}

// VER-06 (NdisTimedDataSend), VER-07 (0x7C/0x27): a completion the decorator drops is reported by
// the watchdog (adapter, binding, NBL) and shows in the host's teardown report as left behind.
TEST_F(Host, DroppedCompletionIsReportedAndLeftBehind)
{
    openndis::test::VerifierCapture cap;
    ndis::host::stack::set_control_timeout(std::chrono::milliseconds(200));
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(R"(
[[driver]]
name = "null"
[[driver]]
name = "rec_proto"
[[adapter]]
name = "null0"
driver = "null"
[adapter.faulty]
drop_after = 2
[watchdog]
send_timeout_ms = 50
period_ms = 10
)",
                                       "drop.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    send_on("null0", 3);
    ASSERT_TRUE(cap.wait_for(1, std::chrono::seconds(3)));
    const auto a = s.adapter("null0");
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->faults.dropped_nbls.size(), 1u);
    const void *dropped = a->faults.dropped_nbls[0];
    const ndis::host::teardown_report r = s.stop();
    ndis::host::stack::set_control_timeout(std::chrono::milliseconds(10000));
    EXPECT_FALSE(r.clean());
    const std::string text = r.text();
    EXPECT_NE(text.find("adapter 'null0': the faulty decorator dropped 1 send completion(s) on "
                        "purpose (NBL " + pointer_text(dropped) + ")"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("runtime objects left alive: 1 NBL(s)"), std::string::npos) << text;
    // The watchdog's report: once, naming the adapter, the binding's protocol and the NBL.
    EXPECT_EQ(cap.count("VER-06"), 1u);
    for (const auto &rec : cap.records()) {
        if (rec.spec_id == "VER-06") {
            EXPECT_NE(rec.message.find("adapter 'null0' (driver 'null')"), std::string::npos);
            EXPECT_NE(rec.message.find("protocol 'RECPROTO'"), std::string::npos);
            EXPECT_NE(rec.message.find(pointer_text(dropped)), std::string::npos);
        } else {
            // The teardown waiting for the lost send, and the pool freed with it still out.
            // ... and the halt that had to go ahead with it outstanding (ST-12).
            EXPECT_TRUE(rec.spec_id == "ST-21" || rec.spec_id == "PS-22" ||
                        rec.spec_id == "POOL-10" || rec.spec_id == "ST-12")
                << rec.message;
        }
    }
    NdisFreeNetBufferList(static_cast<PNET_BUFFER_LIST>(const_cast<void *>(dropped)));
    take_log();
}

// PS-05: the built-in pktgen copes with an NdisOpenAdapterEx and an NdisCloseAdapterEx that
// pend (ProtocolOpenAdapterCompleteEx / ProtocolCloseAdapterCompleteEx from a runtime thread).
TEST(HostBuiltins, PS05_PktgenWithPendedOpenAndClose)
{
    OpenNdisSetPendOpenClose(TRUE);
    ndis::host::stack s;
    ASSERT_TRUE(s.load_topology_string(R"(
[[driver]]
name = "null"
[[driver]]
name = "pktgen"
[driver.params]
Count = 500
[[adapter]]
name = "n0"
driver = "null"
)",
                                       "pend.toml"))
        << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (s.adapter("n0")->completed < 500 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    const ndis::host::teardown_report r = s.stop();
    OpenNdisSetPendOpenClose(FALSE);
    EXPECT_TRUE(r.clean()) << r.text();
    EXPECT_EQ(s.adapter("n0")->completed, 500u);
    EXPECT_EQ(s.bindings().size(), 1u);
}
