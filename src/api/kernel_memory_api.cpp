// api/kernel_memory_api.cpp — extern "C" entry points: pool memory, lookaside lists, memory
// and string helpers, list fail-fast (<ndis/memory.h>, <ndis/strings.h>, <ndis/list.h>).
// Thin shells over src/kernel.
#include "kernel/debug.hpp"
#include "kernel/irql.hpp"
#include "kernel/pool.hpp"
#include "kernel/strings.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

namespace k = ndis::kernel;
using ndis::verifier::failure;

namespace {

std::size_t alignment_for(POOL_FLAGS flags)
{
    return (flags & POOL_FLAG_CACHE_ALIGNED) != 0 ? 64 : 16;
}

std::size_t alignment_for(POOL_TYPE type)
{
    return (type == NonPagedPoolCacheAligned || type == PagedPoolCacheAligned ||
            type == NonPagedPoolNxCacheAligned || type == NonPagedPoolCacheAlignedMustS)
               ? 64
               : 16;
}

} // namespace

extern "C" {

// ---- Pool ------------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length,
                                                              ULONG Tag, EX_POOL_PRIORITY Priority)
{
    (void)NdisHandle;
    (void)Priority;
    return k::driver_pool_allocate("NdisAllocateMemoryWithTagPriority", Length, Tag, true);
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAllocateMemoryWithTag(PVOID *VirtualAddress, UINT Length,
                                                            ULONG Tag)
{
    if (VirtualAddress == nullptr) {
        ndis::verifier::report(failure::null_argument, "NdisAllocateMemoryWithTag", nullptr,
                               "{}VirtualAddress is NULL", k::driver_prefix());
        return NDIS_STATUS_FAILURE;
    }
    *VirtualAddress = k::driver_pool_allocate("NdisAllocateMemoryWithTag", Length, Tag, false);
    return *VirtualAddress != nullptr ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
    (void)Length;
    (void)MemoryFlags;
    k::driver_pool_free("NdisFreeMemory", VirtualAddress, std::nullopt);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeMemoryWithTag(PVOID VirtualAddress, ULONG Tag)
{
    k::driver_pool_free("NdisFreeMemoryWithTag", VirtualAddress, Tag);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle,
                                                         PVOID VirtualAddress, ULONG Tag)
{
    (void)NdisHandle;
    k::driver_pool_free("NdisFreeMemoryWithTagPriority", VirtualAddress, Tag);
}

NDIS_EXPORTED_ROUTINE PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    void *p = k::driver_pool_allocate("ExAllocatePool2", NumberOfBytes, Tag,
                                      (Flags & POOL_FLAG_UNINITIALIZED) == 0,
                                      alignment_for(Flags));
    if (p == nullptr && (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0) {
        std::fprintf(stderr, "openndis: ExAllocatePool2(POOL_FLAG_RAISE_ON_FAILURE): out of "
                             "memory (%zu bytes)\n",
                     static_cast<std::size_t>(NumberOfBytes));
        std::abort();
    }
    return p;
}

NDIS_EXPORTED_ROUTINE PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                                            PVOID ExtendedParameters,
                                            ULONG ExtendedParametersCount)
{
    (void)ExtendedParameters;
    (void)ExtendedParametersCount;
    return ExAllocatePool2(Flags, NumberOfBytes, Tag);
}

NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                  ULONG Tag)
{
    return k::driver_pool_allocate("ExAllocatePoolWithTag", NumberOfBytes, Tag, false,
                                   alignment_for(PoolType));
}

NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType,
                                                          SIZE_T NumberOfBytes, ULONG Tag,
                                                          EX_POOL_PRIORITY Priority)
{
    (void)Priority;
    return k::driver_pool_allocate("ExAllocatePoolWithTagPriority", NumberOfBytes, Tag, false,
                                   alignment_for(PoolType));
}

NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return k::driver_pool_allocate("ExAllocatePoolZero", NumberOfBytes, Tag, true,
                                   alignment_for(PoolType));
}

NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                        ULONG Tag)
{
    return k::driver_pool_allocate("ExAllocatePoolUninitialized", NumberOfBytes, Tag, false,
                                   alignment_for(PoolType));
}

NDIS_EXPORTED_ROUTINE VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    k::driver_pool_free("ExFreePoolWithTag", P, Tag);
}

NDIS_EXPORTED_ROUTINE VOID ExFreePool(PVOID P) { k::driver_pool_free("ExFreePool", P, std::nullopt); }

NDIS_EXPORTED_ROUTINE SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2,
                                              SIZE_T Length)
{
    const auto *a = static_cast<const unsigned char *>(Source1);
    const auto *b = static_cast<const unsigned char *>(Source2);
    SIZE_T i = 0;
    while (i < Length && a[i] == b[i]) {
        ++i;
    }
    return i;
}

// ---- Lookaside lists -------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID NdisInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
                                                             PALLOCATE_FUNCTION Allocate,
                                                             PFREE_FUNCTION Free, ULONG Flags,
                                                             SIZE_T Size, ULONG Tag, USHORT Depth)
{
    k::lookaside_initialize(Lookaside, Allocate, Free, Flags, Size, Tag, Depth);
}

NDIS_EXPORTED_ROUTINE PVOID NdisAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    return k::lookaside_allocate(Lookaside);
}

NDIS_EXPORTED_ROUTINE VOID NdisFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
                                                         PVOID Entry)
{
    k::lookaside_free(Lookaside, Entry);
}

NDIS_EXPORTED_ROUTINE VOID NdisDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    k::lookaside_delete(Lookaside);
}

// ---- Lists -----------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID FatalListEntryError(PVOID p1, PVOID p2, PVOID p3)
{
    ndis::verifier::report(failure::list_entry_corrupt, "FatalListEntryError", p1,
                           "{}LIST_ENTRY links are inconsistent at {} (neighbours {}, {}): an "
                           "entry inserted twice, removed twice, or overwritten",
                           k::driver_prefix(), p1, p2, p3);
    k::bug_check(KERNEL_SECURITY_CHECK_FAILURE, 3 /* FAST_FAIL_CORRUPT_LIST_ENTRY */,
                 reinterpret_cast<ULONG_PTR>(p1), reinterpret_cast<ULONG_PTR>(p2),
                 reinterpret_cast<ULONG_PTR>(p3));
}

// ---- Strings ---------------------------------------------------------------------------------
NDIS_EXPORTED_ROUTINE VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString,
                                                PCWSTR SourceString)
{
    std::size_t bytes = k::wide_length(SourceString) * sizeof(WCHAR);
    if (bytes > UNICODE_STRING_MAX_BYTES - sizeof(WCHAR)) {
        bytes = UNICODE_STRING_MAX_BYTES - sizeof(WCHAR);
    }
    DestinationString->Buffer = const_cast<PWCH>(SourceString);
    DestinationString->Length = static_cast<USHORT>(SourceString != nullptr ? bytes : 0);
    DestinationString->MaximumLength =
        static_cast<USHORT>(SourceString != nullptr ? bytes + sizeof(WCHAR) : 0);
}

NDIS_EXPORTED_ROUTINE VOID NdisInitUnicodeString(PNDIS_STRING Destination, PCWSTR Source)
{
    RtlInitUnicodeString(Destination, Source);
}

NDIS_EXPORTED_ROUTINE VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString)
{
    std::size_t n = 0;
    if (SourceString != nullptr) {
        while (SourceString[n] != '\0' && n < 0xFFFE) {
            ++n;
        }
    }
    DestinationString->Buffer = const_cast<PCHAR>(SourceString);
    DestinationString->Length = static_cast<USHORT>(n);
    DestinationString->MaximumLength = static_cast<USHORT>(SourceString != nullptr ? n + 1 : 0);
}

NDIS_EXPORTED_ROUTINE VOID RtlInitString(PSTRING DestinationString, PCSTR SourceString)
{
    RtlInitAnsiString(DestinationString, SourceString);
}

NDIS_EXPORTED_ROUTINE VOID NdisInitAnsiString(PNDIS_ANSI_STRING Destination, PCSTR Source)
{
    RtlInitAnsiString(Destination, Source);
}

NDIS_EXPORTED_ROUTINE BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1,
                                                    PCUNICODE_STRING String2,
                                                    BOOLEAN CaseInSensitive)
{
    return k::equal(*String1, *String2, CaseInSensitive != FALSE) ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE LONG RtlCompareUnicodeString(PCUNICODE_STRING String1,
                                                   PCUNICODE_STRING String2,
                                                   BOOLEAN CaseInSensitive)
{
    return k::compare(*String1, *String2, CaseInSensitive != FALSE);
}

NDIS_EXPORTED_ROUTINE BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2,
                                             BOOLEAN CaseInSensitive)
{
    return k::equal(*String1, *String2, CaseInSensitive != FALSE) ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE BOOLEAN NdisEqualString(PNDIS_STRING String1, PNDIS_STRING String2,
                                              BOOLEAN CaseInsensitive)
{
    return RtlEqualUnicodeString(String1, String2, CaseInsensitive);
}

NDIS_EXPORTED_ROUTINE WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter)
{
    return k::upcase(SourceCharacter);
}

NDIS_EXPORTED_ROUTINE WCHAR RtlDowncaseUnicodeChar(WCHAR SourceCharacter)
{
    return k::downcase(SourceCharacter);
}

NDIS_EXPORTED_ROUTINE VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
                                                PCUNICODE_STRING SourceString)
{
    if (SourceString == nullptr || SourceString->Buffer == nullptr) {
        DestinationString->Length = 0;
        return;
    }
    const USHORT room = static_cast<USHORT>(DestinationString->MaximumLength & ~1u);
    const USHORT bytes = SourceString->Length < room ? SourceString->Length : room;
    RtlMoveMemory(DestinationString->Buffer, SourceString->Buffer, bytes);
    DestinationString->Length = bytes;
    if (bytes + sizeof(WCHAR) <= DestinationString->MaximumLength) {
        DestinationString->Buffer[bytes / sizeof(WCHAR)] = 0;
    }
}

NDIS_EXPORTED_ROUTINE NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
                                                              PCUNICODE_STRING Source)
{
    if (Source == nullptr || Source->Length == 0) {
        return STATUS_SUCCESS;
    }
    const std::size_t total = static_cast<std::size_t>(Destination->Length) + Source->Length;
    if (total > Destination->MaximumLength) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    RtlMoveMemory(reinterpret_cast<char *>(Destination->Buffer) + Destination->Length,
                  Source->Buffer, Source->Length);
    Destination->Length = static_cast<USHORT>(total);
    if (total + sizeof(WCHAR) <= Destination->MaximumLength) {
        Destination->Buffer[total / sizeof(WCHAR)] = 0;
    }
    return STATUS_SUCCESS;
}

NDIS_EXPORTED_ROUTINE NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, Source);
    return RtlAppendUnicodeStringToString(Destination, &s);
}

NDIS_EXPORTED_ROUTINE NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString,
                                                            PCANSI_STRING SourceString,
                                                            BOOLEAN AllocateDestinationString)
{
    return k::ansi_to_unicode(DestinationString, SourceString, AllocateDestinationString != FALSE);
}

NDIS_EXPORTED_ROUTINE NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString,
                                                            PCUNICODE_STRING SourceString,
                                                            BOOLEAN AllocateDestinationString)
{
    return k::unicode_to_ansi(DestinationString, SourceString, AllocateDestinationString != FALSE);
}

NDIS_EXPORTED_ROUTINE VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)
{
    if (UnicodeString->Buffer != nullptr) {
        k::free_string_buffer("RtlFreeUnicodeString", UnicodeString->Buffer);
    }
    UnicodeString->Buffer = nullptr;
    UnicodeString->Length = UnicodeString->MaximumLength = 0;
}

NDIS_EXPORTED_ROUTINE VOID RtlFreeAnsiString(PANSI_STRING AnsiString)
{
    if (AnsiString->Buffer != nullptr) {
        k::free_string_buffer("RtlFreeAnsiString", AnsiString->Buffer);
    }
    AnsiString->Buffer = nullptr;
    AnsiString->Length = AnsiString->MaximumLength = 0;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAnsiStringToUnicodeString(PNDIS_STRING DestinationString,
                                                                PNDIS_ANSI_STRING SourceString)
{
    return static_cast<NDIS_STATUS>(k::ansi_to_unicode(DestinationString, SourceString, false));
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisUnicodeStringToAnsiString(PNDIS_ANSI_STRING DestinationString,
                                                                PNDIS_STRING SourceString)
{
    return static_cast<NDIS_STATUS>(k::unicode_to_ansi(DestinationString, SourceString, false));
}

NDIS_EXPORTED_ROUTINE NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base,
                                                         PULONG Value)
{
    return k::unicode_to_integer(String, Base, Value);
}

NDIS_EXPORTED_ROUTINE NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base,
                                                         PUNICODE_STRING String)
{
    return k::integer_to_unicode(Value, Base, String);
}

} // extern "C"
