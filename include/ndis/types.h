/*
 * ndis/types.h — Windows base types, SAL annotations and helper macros for OpenNDIS.
 *
 * Abstract
 *   Everything a driver written against the WDK expects from <wdm.h>/<ntdef.h> before it
 *   includes <ndis.h>: the base integer types with *Windows* widths on LP64 Linux (ULONG and
 *   LONG are 32-bit, ULONG_PTR and SIZE_T pointer-sized), BOOLEAN, NTSTATUS / NDIS_STATUS,
 *   handles, LIST_ENTRY / SINGLE_LIST_ENTRY / SLIST_HEADER, LARGE_INTEGER, UNICODE_STRING,
 *   NDIS_OBJECT_HEADER, KIRQL, and the SAL annotations drivers carry (empty here).
 *
 * Usage
 *   Drivers include <ndis.h>, which includes this header first. It compiles alone as C11 and
 *   as C++20.
 */
#ifndef OPENNDIS_NDIS_TYPES_H
#define OPENNDIS_NDIS_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Pool tags are multi-character constants ('lbnX') in every WDK driver; MSVC accepts them
 * silently, so OpenNDIS does too for code that includes <ndis.h>. */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Wmultichar"
#endif

#ifdef __cplusplus
#define NDIS_EXTERN_C_BEGIN extern "C" {
#define NDIS_EXTERN_C_END }
#else
#define NDIS_EXTERN_C_BEGIN
#define NDIS_EXTERN_C_END
#endif

/* Symbols exported by libopenndis.so (the NDIS.SYS of OpenNDIS). */
#define NDIS_EXPORTED_ROUTINE __attribute__((visibility("default")))
#define NDISAPI
#define NTAPI
#define NTSYSAPI
#define FASTCALL
#define FORCEINLINE static inline __attribute__((always_inline))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#define EXPORT

/* ---- Base integer types, Windows widths (LLP64 model) on LP64 ---------------------------- */
typedef void VOID, *PVOID, **PPVOID;
typedef const void *PCVOID;
typedef char CHAR, *PCHAR, *PSTR;
typedef const char *PCSTR, *PCCH;
typedef unsigned char UCHAR, *PUCHAR;
typedef int16_t SHORT, *PSHORT, CSHORT;
typedef uint16_t USHORT, *PUSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef int32_t INT, *PINT;
typedef uint32_t UINT, *PUINT;
/* long long, as on Windows, so that "%llu" / "%lld" format them without warnings. */
typedef long long LONGLONG, *PLONGLONG, LONG64, *PLONG64, INT64;
typedef unsigned long long ULONGLONG, *PULONGLONG, ULONG64, *PULONG64, UINT64, DWORD64;
typedef int8_t INT8;
typedef uint8_t UINT8;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef int32_t INT32, LONG32;
typedef uint32_t UINT32, ULONG32, DWORD, *PDWORD;
typedef uint16_t WORD;
typedef uint8_t BYTE, *PBYTE;
typedef intptr_t LONG_PTR, *PLONG_PTR, INT_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, UINT_PTR, DWORD_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef intptr_t SSIZE_T;
typedef ULONG_PTR KAFFINITY;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef int BOOL;
typedef uint16_t WCHAR, *PWCHAR, *PWCH, *PWSTR;
typedef const uint16_t *PCWCH, *PCWSTR;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef int NDIS_STATUS, *PNDIS_STATUS;
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef PVOID HANDLE, *PHANDLE;
typedef UCHAR KIRQL, *PKIRQL;
typedef ULONG NDIS_PORT_NUMBER, *PNDIS_PORT_NUMBER;
typedef ULONG NDIS_OID, *PNDIS_OID;
typedef char CCHAR;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

/* ---- Argument annotations (IN/OUT/OPTIONAL and SAL): documentation only ------------------ */
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef CONST
#define CONST const
#endif
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _In_z_
#define _In_opt_z_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_result_buffer_(x)
#define _Out_writes_(x)
#define _Out_writes_opt_(x)
#define _Out_writes_bytes_(x)
#define _Out_writes_bytes_opt_(x)
#define _Out_writes_bytes_all_(x)
#define _Out_writes_bytes_all_opt_(x)
#define _Out_writes_bytes_to_(x, y)
#define _In_reads_(x)
#define _In_reads_opt_(x)
#define _In_reads_bytes_(x)
#define _In_reads_bytes_opt_(x)
#define _Inout_updates_(x)
#define _Inout_updates_bytes_(x)
#define _Field_size_(x)
#define _Field_size_opt_(x)
#define _Field_size_bytes_(x)
#define _Field_size_bytes_opt_(x)
#define _Field_size_part_(x, y)
#define _Field_range_(x, y)
#define _Field_z_
#define _Ret_maybenull_
#define _Ret_notnull_
#define _Ret_range_(x, y)
#define _Ret_writes_bytes_maybenull_(x)
#define _Result_nullonfailure_
#define _Must_inspect_result_
#define _Check_return_
#define _Success_(x)
#define _Post_invalid_
#define _Post_ptr_invalid_
#define _Post_notnull_
#define _Post_maybenull_
#define _Post_writable_byte_size_(x)
#define _Pre_notnull_
#define _Pre_maybenull_
#define _Pre_satisfies_(x)
#define _Points_to_data_
#define _Null_terminated_
#define _Literal_
#define _Notliteral_
#define _Reserved_
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _When_(c, a)
#define _At_(t, a)
#define _At_buffer_(t, i, c, a)
#define _Analysis_assume_(x)
#define _Analysis_mode_(x)
#define _Use_decl_annotations_
#define _Function_class_(x)
#define _Struct_size_bytes_(x)
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_requires_resource_held_(x)
#define _Requires_lock_held_(x)
#define _Requires_lock_not_held_(x)
#define _Acquires_lock_(x)
#define _Releases_lock_(x)
#define _Acquires_exclusive_lock_(x)
#define _Acquires_shared_lock_(x)
#define _Releases_exclusive_lock_(x)
#define _Releases_shared_lock_(x)
#define _Guarded_by_(x)
#define _Interlocked_
#define _Interlocked_operand_
#define _IRQL_requires_(x)
#define _IRQL_requires_max_(x)
#define _IRQL_requires_min_(x)
#define _IRQL_requires_same_
#define _IRQL_raises_(x)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(k, v)
#define _IRQL_restores_global_(k, v)
#define _IRQL_always_function_max_(x)
#define _IRQL_always_function_min_(x)
#define _Dispatch_type_(x)
#define __drv_aliasesMem
#define __drv_allocatesMem(x)
#define __drv_freesMem(x)
#define __drv_maxIRQL(x)
#define __drv_minIRQL(x)
#define __drv_requiresIRQL(x)
#define __drv_setsIRQL(x)
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_savesIRQLGlobal(k, v)
#define __drv_restoresIRQLGlobal(k, v)
#define __drv_when(c, a)
#define __drv_dispatchType(x)
#define __drv_functionClass(x)
#define __drv_preferredFunction(f, r)
#define __drv_reportError(x)
#define __drv_strictType(t, m)
#define __drv_strictTypeMatch(x)
#define __drv_isObjectPointer
#define __drv_mustHold(x)
#define __drv_mustHoldCriticalRegion
#define __drv_neverHold(x)
#define __drv_acquiresResource(x)
#define __drv_releasesResource(x)
#define __drv_valueIs(x)
#define __drv_inTry
/* Pre-Vista SAL (__in, __out, ...) clashes with identifiers in the C++ standard library, so it
 * is only defined on request: compile old driver code with -DOPENNDIS_LEGACY_SAL, and include
 * <ndis.h> after any C++ standard header. */
#ifdef OPENNDIS_LEGACY_SAL
#define __in
#define __out
#define __inout
#define __in_opt
#define __out_opt
#define __inout_opt
#define __in_bcount(x)
#define __out_bcount(x)
#define __in_ecount(x)
#define __out_ecount(x)
#define __deref_out
#define __checkReturn
#endif

/* ---- IRQL levels ------------------------------------------------------------------------ */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15

/* ---- Alignment, pages and record helpers ------------------------------------------------ */
#define MEMORY_ALLOCATION_ALIGNMENT 16
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment) \
    (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment) - 1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment) ((PVOID)ALIGN_DOWN_BY(address, alignment))
#define ALIGN_UP_POINTER_BY(address, alignment) ((PVOID)ALIGN_UP_BY(address, alignment))
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))
#define ALIGN_DOWN_POINTER(address, type) ALIGN_DOWN_POINTER_BY(address, sizeof(type))
#define ALIGN_UP_POINTER(address, type) ALIGN_UP_POINTER_BY(address, sizeof(type))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & ((ULONG_PTR)PAGE_SIZE - 1)))
#define BYTES_TO_PAGES(Size) \
    (((ULONG_PTR)(Size) >> PAGE_SHIFT) + (((ULONG_PTR)(Size) & (PAGE_SIZE - 1)) != 0))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
    ((ULONG)((((ULONG_PTR)(Size)) >> PAGE_SHIFT) + \
             ((BYTE_OFFSET(Va) + BYTE_OFFSET(Size) + PAGE_SIZE - 1) >> PAGE_SHIFT)))

#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
    (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(A) (sizeof(A) / sizeof((A)[0]))
#define ARRAYSIZE(A) RTL_NUMBER_OF(A)
/* offsetof, not the WDK's &((type *)0)->field: the same value, without a member access through
 * a null pointer (which clang's UBSan reports). */
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - offsetof(type, field)))
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#ifdef __cplusplus
#define C_ASSERT(e) static_assert(e, #e)
#else
#define C_ASSERT(e) _Static_assert(e, #e)
#endif
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)
#define MAXULONG 0xffffffffUL
#define MAXLONG 0x7fffffffL
#define MAXUSHORT 0xffff
#define MAXUCHAR 0xff
#define MAXULONG_PTR (~((ULONG_PTR)0))
#define MAXSIZE_T (~((SIZE_T)0))
#define MAXLONGLONG (0x7fffffffffffffffLL)
#define PAGED_CODE() ((void)0)
#define PAGED_CODE_LOCKED() ((void)0)
#define INIT_CODE_SEG

/* ---- Lists ------------------------------------------------------------------------------ */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
    struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

/* x64 layout: 16 bytes, 16-byte aligned. */
typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
    struct {
        ULONGLONG Alignment;
        ULONGLONG Region;
    };
    struct {
        ULONGLONG Depth : 16;
        ULONGLONG Sequence : 48;
        ULONGLONG Reserved : 4;
        ULONGLONG NextEntry : 60;
    } HeaderX64;
} SLIST_HEADER, *PSLIST_HEADER;

/* ---- 64-bit integers and physical addresses --------------------------------------------- */
typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;
typedef PHYSICAL_ADDRESS NDIS_PHYSICAL_ADDRESS, *PNDIS_PHYSICAL_ADDRESS;

/* ---- Strings ---------------------------------------------------------------------------- */
typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes, not counting a terminator */
    USHORT MaximumLength; /* bytes */
    PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;
typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;

typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING;
typedef STRING NDIS_ANSI_STRING, *PNDIS_ANSI_STRING;

/* ---- NDIS object header (every versioned NDIS structure starts with one) ---------------- */
typedef struct _NDIS_OBJECT_HEADER {
    UCHAR Type;
    UCHAR Revision;
    USHORT Size;
} NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;

/* Opaque kernel objects drivers only pass around. */
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _EPROCESS *PEPROCESS;

#endif /* OPENNDIS_NDIS_TYPES_H */
