/*
 * ndis/debug.h — DbgPrint, assertions, breakpoints, bug checks and the event log.
 *
 * Abstract
 *   DbgPrint / DbgPrintEx / vDbgPrintEx / KdPrint write to stderr; every line starts with the
 *   name of the driver the runtime is calling into, e.g. "[null] link up". The format is
 *   Windows': ULONG is printed with %lu / %lx (l means 32 bits, as on Windows); %I64d, %lld,
 *   %Id / %Iu / %Ix (pointer-sized), %zu, %p, %hs, and the wide conversions %ws / %ls / %S
 *   (PWSTR, UTF-16), %wZ (PUNICODE_STRING), %Z (PANSI_STRING), %C / %wc (WCHAR) all work.
 *   (There is no printf format attribute: Windows format strings are not what GCC checks.)
 *   DbgPrintEx prints levels 0 … 3 (error, warning, trace, info) by default; set
 *   OPENNDIS_DBGPRINT_LEVEL=N to print only levels <= N (-1: none).
 *
 *   DBG follows the usual Linux convention unless the driver defines it: 1 when NDEBUG is not
 *   defined (debug builds), 0 otherwise. With DBG, ASSERT / ASSERTMSG / NT_ASSERT /
 *   NT_ASSERTMSG check their expression; a failed one is a verifier report (VER-01,
 *   assert_failed) naming the expression, file, line and driver, after which execution
 *   continues (unless the verifier action is "abort"). NT_VERIFY always evaluates its
 *   expression and returns it as a BOOLEAN. KdPrint / KdPrintEx print only with DBG.
 *   DbgBreakPoint is reported (VER-01, debug_break). Set OPENNDIS_BREAK_ON_ASSERT=1 to raise
 *   SIGTRAP (stop in the debugger) on a failed assertion or DbgBreakPoint.
 *   KeBugCheckEx prints the stop code and parameters and aborts the process.
 *
 * Usage
 *     DbgPrint("%s: %lu frames on %wZ\n", __func__, (ULONG)count, &adapterName);
 *     ASSERT(nbl != NULL);
 *     NT_ASSERTMSG("queue must be empty at halt", IsListEmpty(&queue));
 */
#ifndef OPENNDIS_NDIS_DEBUG_H
#define OPENNDIS_NDIS_DEBUG_H

#include <ndis/types.h>

#include <stdarg.h>

#ifndef DBG
#ifdef NDEBUG
#define DBG 0
#else
#define DBG 1
#endif
#endif

NDIS_EXTERN_C_BEGIN

/* ---- Debug output ------------------------------------------------------------------------- */
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000

#define DPFLTR_SYSTEM_ID 0
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82
#define DPFLTR_DEFAULT_ID 101

/* Return STATUS_SUCCESS (as ULONG). */
NDIS_EXPORTED_ROUTINE ULONG DbgPrint(_In_z_ PCSTR Format, ...);
/* Level: 0 … 31 a level number, else a mask (DPFLTR_MASK | bits). */
NDIS_EXPORTED_ROUTINE ULONG DbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level,
                                       _In_z_ PCSTR Format, ...);
NDIS_EXPORTED_ROUTINE ULONG vDbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level,
                                        _In_z_ PCCH Format, _In_ va_list arglist);
NDIS_EXPORTED_ROUTINE ULONG vDbgPrintExWithPrefix(_In_z_ PCCH Prefix, _In_ ULONG ComponentId,
                                                  _In_ ULONG Level, _In_z_ PCCH Format,
                                                  _In_ va_list arglist);
#define DbgPrintReturnControlC DbgPrint

#if DBG
#define KdPrint(_x_) ((void)DbgPrint _x_)
#define KdPrintEx(_x_) ((void)DbgPrintEx _x_)
#define vKdPrintEx(_x_) ((void)vDbgPrintEx _x_)
#define KdBreakPoint() DbgBreakPoint()
#else
#define KdPrint(_x_) ((void)0)
#define KdPrintEx(_x_) ((void)0)
#define vKdPrintEx(_x_) ((void)0)
#define KdBreakPoint() ((void)0)
#endif

/* ---- Assertions --------------------------------------------------------------------------- */
/* Reports a failed assertion (VER-01); Message may be NULL. Returns unless the verifier action
 * is "abort". */
NDIS_EXPORTED_ROUTINE VOID RtlAssert(_In_ PVOID VoidFailedAssertion, _In_ PVOID VoidFileName,
                                     _In_ ULONG LineNumber, _In_opt_ PSTR MutableMessage);

#define OPENNDIS_ASSERT_FAIL(exp_text, msg) \
    RtlAssert((PVOID)(exp_text), (PVOID)__FILE__, (ULONG)__LINE__, (PSTR)(msg))

#if DBG
#define ASSERT(exp) ((void)((exp) ? 0 : (OPENNDIS_ASSERT_FAIL(#exp, NULL), 0)))
#define ASSERTMSG(msg, exp) ((void)((exp) ? 0 : (OPENNDIS_ASSERT_FAIL(#exp, msg), 0)))
#define RTL_SOFT_ASSERT(exp) ASSERT(exp)
#define RTL_SOFT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_ASSERT_ASSUME(exp) ASSERT(exp)
#define NT_ASSERTMSG_ASSUME(msg, exp) ASSERTMSG(msg, exp)
#define NT_VERIFY(exp) ((exp) ? (BOOLEAN)TRUE : (OPENNDIS_ASSERT_FAIL(#exp, NULL), (BOOLEAN)FALSE))
#define NT_VERIFYMSG(msg, exp) \
    ((exp) ? (BOOLEAN)TRUE : (OPENNDIS_ASSERT_FAIL(#exp, msg), (BOOLEAN)FALSE))
#else
#define ASSERT(exp) ((void)0)
#define ASSERTMSG(msg, exp) ((void)0)
#define RTL_SOFT_ASSERT(exp) ((void)0)
#define RTL_SOFT_ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERT(exp) ((void)0)
#define NT_ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERT_ASSUME(exp) ((void)0)
#define NT_ASSERTMSG_ASSUME(msg, exp) ((void)0)
#define NT_VERIFY(exp) ((exp) ? (BOOLEAN)TRUE : (BOOLEAN)FALSE)
#define NT_VERIFYMSG(msg, exp) ((exp) ? (BOOLEAN)TRUE : (BOOLEAN)FALSE)
#endif
#define NT_ANALYSIS_ASSUME(exp) ((void)0)

/* ---- Breakpoints and bug checks ------------------------------------------------------------ */
NDIS_EXPORTED_ROUTINE VOID DbgBreakPoint(VOID);
NDIS_EXPORTED_ROUTINE VOID DbgBreakPointWithStatus(_In_ ULONG Status);
#define DbgRaiseAssertionFailure() DbgBreakPoint()

/* Prints "*** STOP: 0x…" with the parameters and the current driver, then abort(). */
NDIS_EXPORTED_ROUTINE __attribute__((noreturn)) VOID KeBugCheckEx(
    _In_ ULONG BugCheckCode, _In_ ULONG_PTR BugCheckParameter1, _In_ ULONG_PTR BugCheckParameter2,
    _In_ ULONG_PTR BugCheckParameter3, _In_ ULONG_PTR BugCheckParameter4);
NDIS_EXPORTED_ROUTINE __attribute__((noreturn)) VOID KeBugCheck(_In_ ULONG BugCheckCode);

#define BUGCODE_NDIS_DRIVER 0x7C
#define DRIVER_IRQL_NOT_LESS_OR_EQUAL 0xD1
#define IRQL_NOT_LESS_OR_EQUAL 0x0A
#define IRQL_NOT_GREATER_OR_EQUAL 0x09
#define KERNEL_SECURITY_CHECK_FAILURE 0x139
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0xC4
#define BAD_POOL_CALLER 0xC2

/* ---- Event and error log (printed to stderr) ---------------------------------------------- */
typedef ULONG NDIS_ERROR_CODE, *PNDIS_ERROR_CODE;

/* StringsList: NumStrings NUL-terminated UTF-16 strings one after another. NDIS_STATUS_SUCCESS. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisWriteEventLogEntry(_In_ PVOID LogHandle,
                                                         _In_ NDIS_STATUS EventCode,
                                                         _In_ ULONG UniqueEventValue,
                                                         _In_ USHORT NumStrings,
                                                         _In_opt_ PVOID StringsList,
                                                         _In_ ULONG DataSize,
                                                         _In_opt_ PVOID Data);
/* NumberOfErrorValues ULONG values follow. */
NDIS_EXPORTED_ROUTINE VOID NdisWriteErrorLogEntry(_In_ NDIS_HANDLE NdisAdapterHandle,
                                                  _In_ NDIS_ERROR_CODE ErrorCode,
                                                  _In_ ULONG NumberOfErrorValues, ...);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_DEBUG_H */
