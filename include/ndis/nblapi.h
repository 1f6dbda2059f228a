/*
 * ndis/nblapi.h — pools and the NET_BUFFER_LIST / NET_BUFFER / MDL functions (SPEC §1, §2).
 *
 * Abstract
 *   NBLs and NBs exist only inside pools (DS-27). An NBL pool is one of three kinds (POOL-04):
 *     (a) fAllocateNetBuffer FALSE            — bare NBLs;
 *     (b) fAllocateNetBuffer TRUE, DataSize 0 — each NBL comes with one NB (no data);
 *     (c) fAllocateNetBuffer TRUE, DataSize N — NBL + NB + MDL + N-byte buffer, preallocated.
 *   Allocation and free are O(1), lock-free and system-call-free on the common path: a
 *   per-thread magazine sits in front of each pool.
 *
 * Ownership
 *   The caller owns what it allocates until it hands an NBL to NDIS (NdisSendNetBufferLists,
 *   NdisMIndicateReceiveNetBufferLists, …) and again once NDIS hands it back. Freeing an NBL
 *   frees what was preallocated with it (NB, MDL, data), never NBs allocated separately (POOL-08).
 *
 * Usage
 *     NET_BUFFER_LIST_POOL_PARAMETERS p = {0};
 *     p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
 *     p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
 *     p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
 *     p.fAllocateNetBuffer = TRUE;
 *     p.DataSize = 1514;
 *     p.PoolTag = 'lbnX';
 *     NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &p);
 *     PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);   // NBL+NB+MDL+1514 bytes
 *     ...
 *     NdisFreeNetBufferList(nbl);
 *     NdisFreeNetBufferListPool(pool);
 */
#ifndef OPENNDIS_NDIS_NBLAPI_H
#define OPENNDIS_NDIS_NBLAPI_H

#include <ndis/types.h>
#include <ndis/nbl.h>

NDIS_EXTERN_C_BEGIN

#ifndef NDIS_OBJECT_TYPE_DEFAULT
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#endif

/* ---- Pool parameters (POOL-01, POOL-11, POOL-13) ---------------------------------------- */
struct _NET_BUFFER_LIST_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    UCHAR ProtocolId;
    BOOLEAN fAllocateNetBuffer;
    USHORT ContextSize;
    ULONG PoolTag;
    ULONG DataSize;
    ULONG Flags; /* revision 2 */
};
#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 1
#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 2
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize)
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, Flags)
#define NET_BUFFER_LIST_POOL_FLAG_VERIFY 0x00000001

struct _NET_BUFFER_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG PoolTag;
    ULONG DataSize;
};
#define NET_BUFFER_POOL_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1 \
    RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_POOL_PARAMETERS, DataSize)

/* ---- Pools ------------------------------------------------------------------------------ */
NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisAllocateNetBufferListPool(
    _In_opt_ NDIS_HANDLE NdisHandle, _In_ NET_BUFFER_LIST_POOL_PARAMETERS const *Parameters);
NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferListPool(_In_ NDIS_HANDLE PoolHandle);
NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisAllocateNetBufferPool(
    _In_opt_ NDIS_HANDLE NdisHandle, _In_ NET_BUFFER_POOL_PARAMETERS const *Parameters);
NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferPool(_In_ NDIS_HANDLE PoolHandle);

/* ---- NBLs and NBs ----------------------------------------------------------------------- */
NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateNetBufferList(_In_ NDIS_HANDLE PoolHandle,
                                                                 _In_ USHORT ContextSize,
                                                                 _In_ USHORT ContextBackFill);
NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(
    _In_ NDIS_HANDLE PoolHandle, _In_ USHORT ContextSize, _In_ USHORT ContextBackFill,
    _In_opt_ PMDL MdlChain, _In_ ULONG DataOffset, _In_ SIZE_T DataLength);
NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferList(_In_ PNET_BUFFER_LIST NetBufferList);

NDIS_EXPORTED_ROUTINE PNET_BUFFER NdisAllocateNetBuffer(_In_ NDIS_HANDLE PoolHandle,
                                                        _In_opt_ PMDL MdlChain,
                                                        _In_ ULONG DataOffset,
                                                        _In_ SIZE_T DataLength);
NDIS_EXPORTED_ROUTINE PNET_BUFFER NdisAllocateNetBufferMdlAndData(_In_ NDIS_HANDLE PoolHandle);
NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBuffer(_In_ PNET_BUFFER NetBuffer);

NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisGetPoolFromNetBufferList(
    _In_ NET_BUFFER_LIST const *NetBufferList);
NDIS_EXPORTED_ROUTINE NDIS_HANDLE NdisGetPoolFromNetBuffer(_In_ NET_BUFFER const *NetBuffer);

/* ---- NBL context (DS-13 … DS-17) -------------------------------------------------------- */
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisAllocateNetBufferListContext(
    _In_ PNET_BUFFER_LIST NetBufferList, _In_ USHORT ContextSize, _In_ USHORT ContextBackFill,
    _In_ ULONG PoolTag);
NDIS_EXPORTED_ROUTINE VOID NdisFreeNetBufferListContext(_In_ PNET_BUFFER_LIST NetBufferList,
                                                        _In_ USHORT ContextSize);

/* ---- Data access, retreat and advance (DS-30 … DS-37) ----------------------------------- */
NDIS_EXPORTED_ROUTINE PVOID NdisGetDataBuffer(_In_ PNET_BUFFER NetBuffer, _In_ ULONG BytesNeeded,
                                              _In_opt_ PVOID Storage, _In_ UINT AlignMultiple,
                                              _In_ UINT AlignOffset);
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisRetreatNetBufferDataStart(
    _In_ PNET_BUFFER NetBuffer, _In_ ULONG DataOffsetDelta, _In_ ULONG DataBackFill,
    _In_opt_ NET_BUFFER_ALLOCATE_MDL *AllocateMdlHandler);
NDIS_EXPORTED_ROUTINE VOID NdisAdvanceNetBufferDataStart(
    _In_ PNET_BUFFER NetBuffer, _In_ ULONG DataOffsetDelta, _In_ BOOLEAN FreeMdl,
    _In_opt_ NET_BUFFER_FREE_MDL *FreeMdlHandler);
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisRetreatNetBufferListDataStart(
    _In_ PNET_BUFFER_LIST NetBufferList, _In_ ULONG DataOffsetDelta, _In_ ULONG DataBackFill,
    _In_opt_ NET_BUFFER_ALLOCATE_MDL *AllocateMdlHandler,
    _In_opt_ NET_BUFFER_FREE_MDL *FreeMdlHandler);
NDIS_EXPORTED_ROUTINE VOID NdisAdvanceNetBufferListDataStart(
    _In_ PNET_BUFFER_LIST NetBufferList, _In_ ULONG DataOffsetDelta, _In_ BOOLEAN FreeMdl,
    _In_opt_ NET_BUFFER_FREE_MDL *FreeMdlMdlHandler);
NDIS_EXPORTED_ROUTINE VOID NdisAdjustNetBufferCurrentMdl(_In_ PNET_BUFFER NetBuffer);
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(
    _In_ PNET_BUFFER Destination, _In_ ULONG DestinationOffset, _In_ ULONG BytesToCopy,
    _In_ PNET_BUFFER Source, _In_ ULONG SourceOffset, _Out_ PULONG BytesCopied);
NDIS_EXPORTED_ROUTINE ULONG NdisQueryNetBufferPhysicalCount(_In_ PNET_BUFFER NetBuffer);

/* ---- Clones, fragments, reassembly (POOL-14 … POOL-21) ---------------------------------- */
NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateCloneNetBufferList(
    _In_ PNET_BUFFER_LIST OriginalNetBufferList, _In_opt_ NDIS_HANDLE NetBufferListPoolHandle,
    _In_opt_ NDIS_HANDLE NetBufferPoolHandle, _In_ ULONG AllocateCloneFlags);
NDIS_EXPORTED_ROUTINE VOID NdisFreeCloneNetBufferList(_In_ PNET_BUFFER_LIST CloneNetBufferList,
                                                      _In_ ULONG FreeCloneFlags);
NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateFragmentNetBufferList(
    _In_ PNET_BUFFER_LIST OriginalNetBufferList, _In_opt_ NDIS_HANDLE NetBufferListPool,
    _In_opt_ NDIS_HANDLE NetBufferPool, _In_ ULONG StartOffset, _In_ ULONG MaximumLength,
    _In_ ULONG DataOffsetDelta, _In_ ULONG DataBackFill, _In_ ULONG AllocateFragmentFlags);
NDIS_EXPORTED_ROUTINE VOID NdisFreeFragmentNetBufferList(
    _In_ PNET_BUFFER_LIST FragmentNetBufferList, _In_ ULONG DataOffsetDelta,
    _In_ ULONG FreeFragmentFlags);
NDIS_EXPORTED_ROUTINE PNET_BUFFER_LIST NdisAllocateReassembledNetBufferList(
    _In_ PNET_BUFFER_LIST FragmentNetBufferList,
    _In_opt_ NDIS_HANDLE NetBufferAndNetBufferListPoolHandle, _In_ ULONG StartOffset,
    _In_ ULONG DataOffsetDelta, _In_ ULONG DataBackFill, _In_ ULONG AllocateReassembleFlags);
NDIS_EXPORTED_ROUTINE VOID NdisFreeReassembledNetBufferList(
    _In_ PNET_BUFFER_LIST ReassembledNetBufferList, _In_ ULONG DataOffsetDelta,
    _In_ ULONG FreeReassembleFlags);
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCopySendNetBufferListInfo(
    _In_ PNET_BUFFER_LIST DestNetBufferList, _In_ PNET_BUFFER_LIST SrcNetBufferList);
NDIS_EXPORTED_ROUTINE NDIS_STATUS NdisCopyReceiveNetBufferListInfo(
    _In_ PNET_BUFFER_LIST DestNetBufferList, _In_ PNET_BUFFER_LIST SrcNetBufferList);

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_NBLAPI_H */
