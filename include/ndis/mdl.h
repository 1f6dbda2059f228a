/*
 * ndis/mdl.h — memory descriptor lists (MDLs) and the NDIS/Mm helpers drivers use on them.
 *
 * Abstract
 *   An MDL describes one virtually contiguous buffer: StartVa (page aligned) + ByteOffset is its
 *   first byte, ByteCount its length; MappedSystemVa is the address drivers read and write.
 *   MDLs chain through Next; a NET_BUFFER's data lives in such a chain (SPEC DS-28).
 *   In OpenNDIS every buffer is already mapped: MmGetSystemAddressForMdlSafe never fails for an
 *   MDL built by NdisAllocateMdl, MmInitializeMdl + MmBuildMdlForNonPagedPool, or the runtime.
 *
 * Usage
 *     PMDL mdl = NdisAllocateMdl(NdisHandle, buffer, length);   // describes buffer[0, length)
 *     PVOID va; ULONG len;
 *     NdisQueryMdl(mdl, &va, &len, NormalPagePriority);
 *     NdisFreeMdl(mdl);                                          // frees the MDL, not the buffer
 */
#ifndef OPENNDIS_NDIS_MDL_H
#define OPENNDIS_NDIS_MDL_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

typedef struct _MDL {
    struct _MDL *Next;
    CSHORT Size;
    CSHORT MdlFlags;
    struct _EPROCESS *Process;
    PVOID MappedSystemVa;
    PVOID StartVa;
    ULONG ByteCount;
    ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000

typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority = 0,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;

#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))

/* Every OpenNDIS buffer is mapped; an MDL that was never "built" still resolves to its VA. */
#define MmGetSystemAddressForMdlSafe(Mdl, Priority) \
    (((Mdl)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) \
         ? ((Mdl)->MappedSystemVa) \
         : ((void)(Priority), MmGetMdlVirtualAddress(Mdl)))
#define MmGetSystemAddressForMdl(Mdl) MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority)

#define MmSizeOfMdl(Base, Length) \
    ((SIZE_T)(sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length)))

#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length) \
    do { \
        (MemoryDescriptorList)->Next = (PMDL)NULL; \
        (MemoryDescriptorList)->Size = (CSHORT)MmSizeOfMdl(BaseVa, Length); \
        (MemoryDescriptorList)->MdlFlags = 0; \
        (MemoryDescriptorList)->Process = (PEPROCESS)NULL; \
        (MemoryDescriptorList)->StartVa = (PVOID)PAGE_ALIGN(BaseVa); \
        (MemoryDescriptorList)->ByteOffset = BYTE_OFFSET(BaseVa); \
        (MemoryDescriptorList)->ByteCount = (ULONG)(Length); \
        (MemoryDescriptorList)->MappedSystemVa = (PVOID)(BaseVa); \
    } while (0)

#define MmPrepareMdlForReuse(Mdl) ((void)(Mdl))

/* Marks a caller-built MDL as describing mapped, non-paged memory (all memory here). */
static inline void MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    MemoryDescriptorList->MappedSystemVa =
        (PVOID)((PCHAR)MemoryDescriptorList->StartVa + MemoryDescriptorList->ByteOffset);
    MemoryDescriptorList->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

#ifndef ARGUMENT_PRESENT
#define ARGUMENT_PRESENT(ArgumentPointer) ((CHAR *)((ULONG_PTR)(ArgumentPointer)) != (CHAR *)NULL)
#endif

/* ---- NDIS MDL helpers (ndis.h) ---------------------------------------------------------- */
#define NDIS_MDL_LINKAGE(_Mdl) ((_Mdl)->Next)
#define NdisGetNextMdl(_CurrentMdl, _NextMdl) \
    do { \
        *(_NextMdl) = (_CurrentMdl)->Next; \
    } while (0)
#define NdisAdjustMdlLength(_Mdl, _Length) ((_Mdl)->ByteCount = (ULONG)(_Length))
#define NdisQueryMdl(_Mdl, _VirtualAddress, _Length, _Priority) \
    do { \
        if (ARGUMENT_PRESENT(_VirtualAddress)) { \
            *(PVOID *)(_VirtualAddress) = MmGetSystemAddressForMdlSafe(_Mdl, _Priority); \
        } \
        *(_Length) = MmGetMdlByteCount(_Mdl); \
    } while (0)
#define NdisQueryMdlOffset(_Mdl, _Offset, _Length) \
    do { \
        *(_Offset) = MmGetMdlByteOffset(_Mdl); \
        *(_Length) = MmGetMdlByteCount(_Mdl); \
    } while (0)
#define NDIS_MDL_TO_SPAN_PAGES(_Mdl) \
    (MmGetMdlByteCount(_Mdl) == 0 \
         ? 1 \
         : ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(_Mdl), MmGetMdlByteCount(_Mdl)))
#define NdisGetMdlPhysicalArraySize(_Mdl, _ArraySize) \
    (*(_ArraySize) = NDIS_MDL_TO_SPAN_PAGES(_Mdl))

/*
 * NdisAllocateMdl — allocates an MDL that describes VirtualAddress[0, Length). Returns NULL on
 * failure. IRQL <= DISPATCH_LEVEL. The MDL does not own the buffer. OpenNDIS accepts Length 0
 * (a zero-length MDL, legal anywhere in a chain); VirtualAddress may then be NULL.
 */
NDIS_EXPORTED_ROUTINE PMDL NdisAllocateMdl(_In_ NDIS_HANDLE NdisHandle, _In_ PVOID VirtualAddress,
                                           _In_ ULONG Length);

/* NdisFreeMdl — frees an MDL from NdisAllocateMdl (never the buffer it describes). */
NDIS_EXPORTED_ROUTINE VOID NdisFreeMdl(_In_ PMDL Mdl);

/* IoAllocateMdl / IoFreeMdl — WDM spellings of the same allocator (Irp ignored, may be NULL). */
NDIS_EXPORTED_ROUTINE PMDL IoAllocateMdl(_In_opt_ PVOID VirtualAddress, _In_ ULONG Length,
                                         _In_ BOOLEAN SecondaryBuffer, _In_ BOOLEAN ChargeQuota,
                                         _Inout_opt_ PVOID Irp);
NDIS_EXPORTED_ROUTINE VOID IoFreeMdl(_In_ PMDL Mdl);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_MDL_H */
