// test_kernel_debug_internal.cpp — DbgPrint (Windows formats, per-driver prefix, levels),
// assertions, breakpoints, bug checks, event log, and the runtime's driver_scope / irql_guard
// (SPEC VER-01; API_SURFACE "Diagnostics").
//
// White-box (links openndis_internal): DbgPrint output is captured with
// ndis::kernel::set_debug_sink; driver_scope / irql_guard are the internal API the runtime uses
// around calls into drivers.
// The assertions under test exist in checked builds only (DBG=1), whatever the build type.
#undef DBG
#define DBG 1
#include "openndis_test.hpp"

#include "kernel/debug.hpp"
#include "kernel/irql.hpp"
#include "kernel/strings.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>

namespace {

using openndis::test::VerifierCapture;
namespace k = ndis::kernel;

// Captures DbgPrint output for the lifetime of the object.
class Output {
public:
    Output() { k::set_debug_sink(&Output::Sink, this, &_old, &_old_context); }
    ~Output() { k::set_debug_sink(_old, _old_context); }
    std::string text()
    {
        std::lock_guard<std::mutex> g(_lock);
        return _text;
    }

private:
    static void Sink(void *context, std::string_view text)
    {
        auto *self = static_cast<Output *>(context);
        std::lock_guard<std::mutex> g(self->_lock);
        self->_text.append(text);
    }
    std::mutex _lock;
    std::string _text;
    k::debug_sink _old = nullptr;
    void *_old_context = nullptr;
};

TEST(KernelDbgPrint, PrefixesEveryLineWithTheCurrentDriver)
{
    Output out;
    {
        k::driver_scope scope("null");
        DbgPrint("link %s\n", "up");
        DbgPrint("two\nlines\n");
        DbgPrint("partial ");
        DbgPrint("line\n");
        {
            k::driver_scope inner("loopback");
            DbgPrint("inner\n");
        }
        DbgPrint("outer again\n");
    }
    DbgPrint("no driver\n");
    EXPECT_EQ(out.text(), "[null] link up\n"
                          "[null] two\n[null] lines\n"
                          "[null] partial line\n"
                          "[loopback] inner\n"
                          "[null] outer again\n"
                          "no driver\n");
}

std::string Format(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    std::string s = k::format_windows(format, args);
    va_end(args);
    return s;
}

TEST(KernelDbgPrint, WindowsFormats)
{
    const ULONG ul = 0xFFFFFFFFu;
    EXPECT_EQ(Format("%lu %lx %ld", ul, ul, static_cast<LONG>(-5)), "4294967295 ffffffff -5")
        << "l is 32 bits, as on Windows";
    EXPECT_EQ(Format("%I64d %I64x %lld %llu", -1LL, 0x123456789ABCULL, 5LL, 6ULL),
              "-1 123456789abc 5 6");
    EXPECT_EQ(Format("%Iu %Ix %zu", SIZE_T{7}, ULONG_PTR{255}, SIZE_T{9}), "7 ff 9");
    EXPECT_EQ(Format("%hd %hhu %hu", 70000, 257, 65537), "4464 1 1");
    EXPECT_EQ(Format("%5d|%-5d|%05d|%+d|%#x", 42, 42, 42, 42, 255), "   42|42   |00042|+42|0xff");
    EXPECT_EQ(Format("%*d|%.*s", 4, 7, 2, "abcdef"), "   7|ab");
    EXPECT_EQ(Format("%p", reinterpret_cast<void *>(0xABC)), "0000000000000ABC");
    EXPECT_EQ(Format("%s %hs %s", "narrow", "h", static_cast<const char *>(nullptr)),
              "narrow h (null)");
    const WCHAR wide[] = {'w', 0xE9, 0};
    EXPECT_EQ(Format("%ws|%ls|%S|%.1ws", wide, wide, wide, wide), "w\xC3\xA9|w\xC3\xA9|w\xC3\xA9|w");
    UNICODE_STRING u = RTL_CONSTANT_STRING(u"adapter");
    ANSI_STRING a = RTL_CONSTANT_STRING("ansi");
    EXPECT_EQ(Format("%wZ %Z %wZ", &u, &a, static_cast<UNICODE_STRING *>(nullptr)),
              "adapter ansi (null)");
    EXPECT_EQ(Format("%c%C%wc%%", 'x', static_cast<WCHAR>('y'), static_cast<WCHAR>('z')), "xyz%");
    EXPECT_EQ(Format("%.2f %e", 1.5, 100.0), "1.50 1.000000e+02");
    int n = 0;
    EXPECT_EQ(Format("a%nb", &n), "ab");
    EXPECT_EQ(n, 0) << "%n is never written";
    EXPECT_EQ(Format("%y trailing %"), "%y trailing %");
}

TEST(KernelDbgPrint, DbgPrintExLevels)
{
    Output out;
    k::set_dbgprint_level(DPFLTR_WARNING_LEVEL);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL, "error\n");
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_WARNING_LEVEL, "warning\n");
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_TRACE_LEVEL, "trace\n");
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_MASK | 0x2, "mask warning\n");
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_MASK | 0x8, "mask info\n");
    k::set_dbgprint_level(DPFLTR_INFO_LEVEL);
    KdPrint(("kd %u\n", 3u));
    KdPrintEx((DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "kdex\n"));
    EXPECT_EQ(out.text(), "error\nwarning\nmask warning\nkd 3\nkdex\n");
}

TEST(KernelDbgPrint, EventAndErrorLog)
{
    Output out;
    k::driver_scope scope("evt");
    const WCHAR strings[] = {'o', 'n', 'e', 0, 't', 'w', 'o', 0};
    EXPECT_EQ(NdisWriteEventLogEntry(nullptr, 0x40001234, 7, 2, const_cast<WCHAR *>(strings), 4,
                                     nullptr),
              NDIS_STATUS_SUCCESS);
    NdisWriteErrorLogEntry(nullptr, 0xC0001389u, 2, 0x11u, 0x22u);
    const std::string text = out.text();
    EXPECT_NE(text.find("[evt] event log: EventCode 0x40001234, UniqueEventValue 7, strings: "
                        "\"one\", \"two\", 4 bytes of data\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("ErrorCode 0xC0001389, values 0x00000011 0x00000022"), std::string::npos)
        << text;
}

// ---- Assertions ----------------------------------------------------------------------------
TEST(KernelAssert, FailedAssertionIsAReportAndExecutionContinues) // VER-01
{
    static_assert(DBG, "debug test builds assert");
    VerifierCapture cap;
    int x = 1;
    {
        k::driver_scope scope("asrt");
        ASSERT(x == 1);
        ASSERT(x == 2);
        NT_ASSERT(x > 5);
        ASSERTMSG("must be zero", x == 0);
        NT_ASSERTMSG("negative", x < 0);
        EXPECT_TRUE(NT_VERIFY(x == 1));
        EXPECT_FALSE(NT_VERIFY(x == 3));
    }
    EXPECT_VERIFIER_REPORTS(cap, "VER-01", "VER-01", "VER-01", "VER-01", "VER-01");
    const auto messages = cap.messages();
    ASSERT_EQ(messages.size(), 5u);
    EXPECT_NE(messages[0].find("[asrt] assertion 'x == 2' failed at"), std::string::npos)
        << messages[0];
    EXPECT_NE(messages[0].find("test_kernel_debug_internal.cpp:"), std::string::npos);
    EXPECT_NE(messages[2].find("'x == 0' failed"), std::string::npos);
    EXPECT_NE(messages[2].find(": must be zero"), std::string::npos) << messages[2];
}

TEST(KernelAssert, DbgBreakPointIsReported) // VER-01
{
    VerifierCapture cap;
    DbgBreakPoint();
    EXPECT_VERIFIER_REPORTS(cap, "VER-01");
    EXPECT_EQ(cap.records()[0].name, "debug_break");
}

TEST(KernelAssertDeathTest, KeBugCheckExStops)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            k::driver_scope scope("crash");
            KeBugCheckEx(0x7C, 0x14, 1, 2, 3);
        },
        "STOP: 0x0000007C \\(0x0000000000000014.*in driver 'crash'");
}

// ---- Internal API: driver_scope, irql_guard, strings --------------------------------------
TEST(KernelInternal, IrqlGuardAndDriverScope)
{
    EXPECT_EQ(k::current_irql(), PASSIVE_LEVEL);
    {
        k::irql_guard g;
        EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
        {
            k::irql_guard nested;
            EXPECT_EQ(nested.old_irql(), DISPATCH_LEVEL);
        }
        EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    }
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    const k::driver_identity *a = k::intern_driver("alpha");
    EXPECT_EQ(a, k::intern_driver("alpha")) << "interned";
    EXPECT_EQ(k::current_driver(), nullptr);
    {
        k::driver_scope s(a);
        EXPECT_EQ(k::current_driver_name(), "alpha");
        std::string other = "?";
        std::thread([&] { other = std::string(k::current_driver_name()); }).join();
        EXPECT_EQ(other, "") << "per thread";
    }
    EXPECT_EQ(k::current_driver(), nullptr);
}

TEST(KernelInternal, Utf8Conversions)
{
    k::unicode_string name("caf\xC3\xA9 \xF0\x9F\x98\x80");
    UNICODE_STRING *u = name.get();
    EXPECT_EQ(u->Length, 14);
    EXPECT_EQ(u->MaximumLength, 16);
    EXPECT_EQ(u->Buffer[7], 0);
    EXPECT_EQ(k::to_utf8(u), "caf\xC3\xA9 \xF0\x9F\x98\x80");
    EXPECT_EQ(name.utf8(), k::to_utf8(u));
    k::unicode_string copy = name;
    EXPECT_EQ(k::to_utf8(copy.get()), name.utf8());
    EXPECT_NE(copy.get()->Buffer, name.get()->Buffer);
    const WCHAR lone[] = {'a', 0xD800, 'b'};
    EXPECT_EQ(k::to_utf8(lone, 3), "a\xEF\xBF\xBD" "b") << "unpaired surrogate: U+FFFD";
    EXPECT_EQ(k::to_utf16("\xE9"), u"\u00E9") << "invalid UTF-8 byte: Latin-1";
    EXPECT_EQ(k::to_utf8(static_cast<const UNICODE_STRING *>(nullptr)), "");
}

} // namespace
