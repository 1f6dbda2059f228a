// api/kernel_debug_api.cpp — extern "C" entry points: DbgPrint, assertions, breakpoints, bug
// checks, event log (<ndis/debug.h>). Thin shells over kernel/debug.
#include "kernel/debug.hpp"
#include "kernel/irql.hpp"
#include "kernel/strings.hpp"

#include <ndis.h>

#include <cstdarg>
#include <fmt/format.h>
#include <string>

namespace k = ndis::kernel;

extern "C" {

NDIS_EXPORTED_ROUTINE ULONG DbgPrint(PCSTR Format, ...)
{
    va_list args;
    va_start(args, Format);
    try {
        k::debug_print(k::format_windows(Format, args));
    } catch (...) {
    }
    va_end(args);
    return STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format,
                                        va_list arglist)
{
    if (!k::dbgprint_enabled(ComponentId, Level)) {
        return STATUS_SUCCESS;
    }
    try {
        k::debug_print(k::format_windows(Format, arglist));
    } catch (...) {
    }
    return STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level,
                                                  PCCH Format, va_list arglist)
{
    if (!k::dbgprint_enabled(ComponentId, Level)) {
        return STATUS_SUCCESS;
    }
    try {
        std::string text = Prefix != nullptr ? Prefix : "";
        text += k::format_windows(Format, arglist);
        k::debug_print(text);
    } catch (...) {
    }
    return STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list args;
    va_start(args, Format);
    const ULONG status = vDbgPrintEx(ComponentId, Level, Format, args);
    va_end(args);
    return status;
}

NDIS_EXPORTED_ROUTINE VOID RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName,
                                     ULONG LineNumber, PSTR MutableMessage)
{
    k::assertion_failed(static_cast<const char *>(VoidFailedAssertion),
                        static_cast<const char *>(VoidFileName), LineNumber, MutableMessage);
}

NDIS_EXPORTED_ROUTINE VOID DbgBreakPoint(VOID) { k::debug_break(); }

NDIS_EXPORTED_ROUTINE VOID DbgBreakPointWithStatus(ULONG Status)
{
    (void)Status;
    k::debug_break();
}

NDIS_EXPORTED_ROUTINE VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
                                        ULONG_PTR BugCheckParameter2,
                                        ULONG_PTR BugCheckParameter3,
                                        ULONG_PTR BugCheckParameter4)
{
    k::bug_check(BugCheckCode, BugCheckParameter1, BugCheckParameter2, BugCheckParameter3,
                 BugCheckParameter4);
}

NDIS_EXPORTED_ROUTINE VOID KeBugCheck(ULONG BugCheckCode) { k::bug_check(BugCheckCode, 0, 0, 0, 0); }

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisWriteEventLogEntry(PVOID LogHandle, NDIS_STATUS EventCode,
                                                         ULONG UniqueEventValue,
                                                         USHORT NumStrings, PVOID StringsList,
                                                         ULONG DataSize, PVOID Data)
{
    (void)LogHandle;
    (void)Data;
    try {
        std::string text = fmt::format("event log: EventCode 0x{:08X}, UniqueEventValue {}",
                                       static_cast<ULONG>(EventCode), UniqueEventValue);
        const auto *s = static_cast<const WCHAR *>(StringsList);
        for (USHORT i = 0; s != nullptr && i < NumStrings; ++i) {
            const std::size_t n = k::wide_length(s);
            text += i == 0 ? ", strings: \"" : ", \"";
            text += k::to_utf8(s, n);
            text += '"';
            s += n + 1;
        }
        if (DataSize != 0) {
            text += fmt::format(", {} bytes of data", DataSize);
        }
        text += '\n';
        k::debug_print(text);
    } catch (...) {
    }
    return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE VOID NdisWriteErrorLogEntry(NDIS_HANDLE NdisAdapterHandle,
                                                  NDIS_ERROR_CODE ErrorCode,
                                                  ULONG NumberOfErrorValues, ...)
{
    va_list args;
    va_start(args, NumberOfErrorValues);
    try {
        std::string text = fmt::format("error log: adapter {} ErrorCode 0x{:08X}",
                                       static_cast<const void *>(NdisAdapterHandle), ErrorCode);
        for (ULONG i = 0; i < NumberOfErrorValues; ++i) {
            text += fmt::format("{}0x{:08X}", i == 0 ? ", values " : " ", va_arg(args, ULONG));
        }
        text += '\n';
        k::debug_print(text);
    } catch (...) {
    }
    va_end(args);
}

} // extern "C"
