/*
 * ndis/memory.h — pool memory with tags, memory helpers and non-paged lookaside lists.
 *
 * Abstract
 *   Pool memory. NdisAllocateMemoryWithTagPriority, NdisAllocateMemoryWithTag, ExAllocatePool2,
 *   ExAllocatePoolWithTag / Zero / Uninitialized give 16-byte aligned blocks accounted under
 *   their four-character pool tag: OpenNdisGetStats counts them, OpenNdisLeakReport lists live
 *   blocks per tag, and a test or the host fails on anything left behind (SPEC VER-05). Any of
 *   NdisFreeMemory, NdisFreeMemoryWithTag(Priority), ExFreePool and ExFreePoolWithTag frees any
 *   of them, as on Windows. The verifier reports (VER-05) a free of something that is not a live
 *   pool block (foreign pointer or double free: nothing is freed), a zero tag at allocation, and
 *   a tag at free that differs from the one given at allocation (the block is freed anyway).
 *   "Paged" and "non-paged" are the same memory here; Priority is accepted and ignored.
 *
 *   Memory helpers (NdisMoveMemory, RtlCopyMemory, …) are the C library's, as in the WDK.
 *
 *   NPAGED_LOOKASIDE_LIST keeps up to Depth freed entries for reuse (x64 layout: 128 bytes,
 *   cache-line aligned). Entries come from the driver's Allocate routine, or from pool memory
 *   under the list's Tag when Allocate is NULL; NdisDeleteNPagedLookasideList gives the cached
 *   entries back through Free (or ExFreePool). Safe to use from many threads at
 *   IRQL <= DISPATCH_LEVEL; Allocate/Free routines are called without any lock held.
 *
 * Usage
 *     PVOID p = NdisAllocateMemoryWithTagPriority(NdisHandle, 256, 'xxxM', NormalPoolPriority);
 *     if (p == NULL) return NDIS_STATUS_RESOURCES;
 *     NdisZeroMemory(p, 256);
 *     NdisFreeMemoryWithTagPriority(NdisHandle, p, 'xxxM');
 */
#ifndef OPENNDIS_NDIS_MEMORY_H
#define OPENNDIS_NDIS_MEMORY_H

#include <ndis/types.h>
#include <ndis/sync.h>

#include <string.h>

NDIS_EXTERN_C_BEGIN

/* ---- Pool types, flags and priorities (wdm.h) --------------------------------------------- */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = NonPagedPool,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,
    MaxPoolType = 7,
    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,
    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,
    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544
} POOL_TYPE;

typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_REQUIRED_START 0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RESERVED1 0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
#define POOL_FLAG_RESERVED2 0x0000000000000200ULL
#define POOL_FLAG_RESERVED3 0x0000000000000400ULL
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL
#define POOL_FLAG_OPTIONAL_END 0x8000000000000000ULL

typedef enum _EX_POOL_PRIORITY {
    LowPoolPriority = 0,
    LowPoolPrioritySpecialPoolOverrun = 8,
    LowPoolPrioritySpecialPoolUnderrun = 9,
    NormalPoolPriority = 16,
    NormalPoolPrioritySpecialPoolOverrun = 24,
    NormalPoolPrioritySpecialPoolUnderrun = 25,
    HighPoolPriority = 32,
    HighPoolPrioritySpecialPoolOverrun = 40,
    HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/* NdisFreeMemory MemoryFlags */
#define NDIS_MEMORY_CONTIGUOUS 0x00000001
#define NDIS_MEMORY_NONCACHED 0x00000002

/* ---- Allocation ------------------------------------------------------------------------- */
/* Zeroed block, or NULL. NdisHandle attributes the block (it may be NULL). */
NDIS_EXPORTED_ROUTINE PVOID NdisAllocateMemoryWithTagPriority(_In_opt_ NDIS_HANDLE NdisHandle,
                                                              _In_ UINT Length, _In_ ULONG Tag,
                                                              _In_ EX_POOL_PRIORITY Priority);
/* NDIS_STATUS_SUCCESS and *VirtualAddress, or NDIS_STATUS_FAILURE and NULL. Not zeroed. */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAllocateMemoryWithTag(_Out_ PVOID *VirtualAddress,
                                                            _In_ UINT Length, _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE VOID NdisFreeMemory(_In_ PVOID VirtualAddress, _In_ UINT Length,
                                          _In_ UINT MemoryFlags);
NDIS_EXPORTED_ROUTINE VOID NdisFreeMemoryWithTag(_In_ PVOID VirtualAddress, _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE VOID NdisFreeMemoryWithTagPriority(_In_opt_ NDIS_HANDLE NdisHandle,
                                                         _In_ PVOID VirtualAddress,
                                                         _In_ ULONG Tag);

/* Zeroed unless POOL_FLAG_UNINITIALIZED; CACHE_ALIGNED gives 64-byte alignment. */
NDIS_EXPORTED_ROUTINE PVOID ExAllocatePool2(_In_ POOL_FLAGS Flags, _In_ SIZE_T NumberOfBytes,
                                            _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE PVOID ExAllocatePool3(_In_ POOL_FLAGS Flags, _In_ SIZE_T NumberOfBytes,
                                            _In_ ULONG Tag, _In_opt_ PVOID ExtendedParameters,
                                            _In_ ULONG ExtendedParametersCount);
/* Not zeroed (deprecated on Windows, still common). */
NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolWithTag(_In_ POOL_TYPE PoolType,
                                                  _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolWithTagPriority(_In_ POOL_TYPE PoolType,
                                                          _In_ SIZE_T NumberOfBytes,
                                                          _In_ ULONG Tag,
                                                          _In_ EX_POOL_PRIORITY Priority);
NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolZero(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
                                               _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE PVOID ExAllocatePoolUninitialized(_In_ POOL_TYPE PoolType,
                                                        _In_ SIZE_T NumberOfBytes,
                                                        _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE VOID ExFreePoolWithTag(_In_ PVOID P, _In_ ULONG Tag);
NDIS_EXPORTED_ROUTINE VOID ExFreePool(_In_ PVOID P);

/* ---- Memory helpers --------------------------------------------------------------------- */
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlSecureZeroMemory(Destination, Length) RtlZeroMemory(Destination, Length)
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlCopyBytes RtlCopyMemory
#define RtlZeroBytes RtlZeroMemory
#define RtlFillBytes RtlFillMemory
/* Number of leading bytes that are equal. */
NDIS_EXPORTED_ROUTINE SIZE_T RtlCompareMemory(_In_ const VOID *Source1, _In_ const VOID *Source2,
                                              _In_ SIZE_T Length);

#define NdisMoveMemory(Destination, Source, Length) RtlCopyMemory(Destination, Source, Length)
#define NdisZeroMemory(Destination, Length) RtlZeroMemory(Destination, Length)
#define NdisEqualMemory(Source1, Source2, Length) RtlEqualMemory(Source1, Source2, Length)
#define NdisFillMemory(Destination, Length, Fill) RtlFillMemory(Destination, Length, Fill)
#define NdisRetrieveUlong(Destination, Source) RtlCopyMemory(Destination, Source, sizeof(ULONG))
#define NdisStoreUlong(Destination, Value)                  \
    do {                                                    \
        ULONG openndis_value_ = (Value);                    \
        RtlCopyMemory(Destination, &openndis_value_, sizeof(ULONG)); \
    } while (0)

#define NdisGetPhysicalAddressHigh(_PhysicalAddress) ((_PhysicalAddress).HighPart)
#define NdisSetPhysicalAddressHigh(_PhysicalAddress, _Value) \
    ((_PhysicalAddress).HighPart) = (_Value)
#define NdisGetPhysicalAddressLow(_PhysicalAddress) ((_PhysicalAddress).LowPart)
#define NdisSetPhysicalAddressLow(_PhysicalAddress, _Value) ((_PhysicalAddress).LowPart) = (_Value)

/* ---- Non-paged lookaside lists ---------------------------------------------------------- */
typedef PVOID(ALLOCATE_FUNCTION)(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
                                 _In_ ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID(FREE_FUNCTION)(_In_ PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
typedef struct _LOOKASIDE_LIST_EX *PLOOKASIDE_LIST_EX;
typedef PVOID(ALLOCATE_FUNCTION_EX)(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
                                    _In_ ULONG Tag, _Inout_ PLOOKASIDE_LIST_EX Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef VOID(FREE_FUNCTION_EX)(_In_ PVOID Buffer, _Inout_ PLOOKASIDE_LIST_EX Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/* x64 layout (0x60 bytes). The list head and its lock live in ListHead; drivers treat the
 * structure as opaque. */
typedef struct DECLSPEC_CACHEALIGN _GENERAL_LOOKASIDE {
    union {
        SLIST_HEADER ListHead;
        SINGLE_LIST_ENTRY SingleListHead;
        struct {
            PSINGLE_LIST_ENTRY Entries; /* cached entries, linked through their first pointer */
            KSPIN_LOCK Lock;            /* protects Entries and the counters below */
        } OpenNdis;
    };
    USHORT Depth; /* entries currently cached */
    USHORT MaximumDepth;
    ULONG TotalAllocates;
    union {
        ULONG AllocateMisses;
        ULONG AllocateHits;
    };
    ULONG TotalFrees;
    union {
        ULONG FreeMisses;
        ULONG FreeHits;
    };
    POOL_TYPE Type;
    ULONG Tag;
    ULONG Size;
    union {
        PALLOCATE_FUNCTION_EX AllocateEx;
        PALLOCATE_FUNCTION Allocate;
    };
    union {
        PFREE_FUNCTION_EX FreeEx;
        PFREE_FUNCTION Free;
    };
    LIST_ENTRY ListEntry;
    ULONG LastTotalAllocates;
    union {
        ULONG LastAllocateMisses;
        ULONG LastAllocateHits;
    };
    ULONG Future[2];
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct DECLSPEC_CACHEALIGN _NPAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

/* Allocate / Free NULL: pool memory under Tag. Flags must be 0. Depth 0: a default (256). Size
 * is rounded up to hold a pointer. */
NDIS_EXPORTED_ROUTINE VOID NdisInitializeNPagedLookasideList(
    _Out_ PNPAGED_LOOKASIDE_LIST Lookaside, _In_opt_ PALLOCATE_FUNCTION Allocate,
    _In_opt_ PFREE_FUNCTION Free, _In_ ULONG Flags, _In_ SIZE_T Size, _In_ ULONG Tag,
    _In_ USHORT Depth);
/* An entry of Size bytes (not zeroed), or NULL. */
NDIS_EXPORTED_ROUTINE PVOID NdisAllocateFromNPagedLookasideList(
    _Inout_ PNPAGED_LOOKASIDE_LIST Lookaside);
NDIS_EXPORTED_ROUTINE VOID NdisFreeToNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside,
                                                         _In_ PVOID Entry);
/* Frees the cached entries. Entries still allocated stay the driver's (free them with Free). */
NDIS_EXPORTED_ROUTINE VOID NdisDeleteNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside);

#define ExInitializeNPagedLookasideList(Lookaside, Allocate, Free, Flags, Size, Tag, Depth) \
    NdisInitializeNPagedLookasideList(Lookaside, Allocate, Free, Flags, Size, Tag, Depth)
#define ExAllocateFromNPagedLookasideList(Lookaside) NdisAllocateFromNPagedLookasideList(Lookaside)
#define ExFreeToNPagedLookasideList(Lookaside, Entry) \
    NdisFreeToNPagedLookasideList(Lookaside, Entry)
#define ExDeleteNPagedLookasideList(Lookaside) NdisDeleteNPagedLookasideList(Lookaside)

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_MEMORY_H */
