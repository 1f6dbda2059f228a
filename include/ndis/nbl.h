/*
 * ndis/nbl.h — NET_BUFFER, NET_BUFFER_LIST, NET_BUFFER_LIST_CONTEXT and their accessors.
 *
 * Abstract
 *   The NDIS 6 packet model (SPEC §1). An NBL chain is a NULL-terminated list through Next; each
 *   NBL owns a NULL-terminated list of NET_BUFFERs (one frame each); each NB is a window
 *   [DataOffset, DataOffset + DataLength) over its MDL chain, with CurrentMdl/CurrentMdlOffset
 *   naming the MDL and offset of the first used byte (DS-04).
 *   Field names and order are the x64 WDK's (DS-08, DS-09, DS-13), so sizeof(NET_BUFFER) is 176
 *   and sizeof(NET_BUFFER_LIST) is 368 as on Windows. As in the current WDK, the header unions
 *   can be reached both directly (nbl->Next) and through the classic names
 *   (nbl->NetBufferListHeader.NetBufferListData.Next), in C and in C++.
 *
 * Who may write what
 *   NdisPoolHandle, NdisReserved*, Link: the runtime only.  SourceHandle: the originator (DS-23).
 *   ProtocolReserved / MiniportReserved / Scratch: the current owner of that role (DS-12, DS-21).
 *   ParentNetBufferList / ChildRefCount: the driver that derived the child (POOL-16).
 *
 * Usage
 *     for (PNET_BUFFER_LIST nbl = chain; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
 *         for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
 *             total += NET_BUFFER_DATA_LENGTH(nb);
 */
#ifndef OPENNDIS_NDIS_NBL_H
#define OPENNDIS_NDIS_NBL_H

#include <ndis/types.h>
#include <ndis/mdl.h>
#include <ndis/nblinfo.h>

NDIS_EXTERN_C_BEGIN

typedef struct _NET_BUFFER NET_BUFFER, *PNET_BUFFER;
typedef struct _NET_BUFFER_LIST NET_BUFFER_LIST, *PNET_BUFFER_LIST;
typedef struct _NET_BUFFER_LIST_CONTEXT NET_BUFFER_LIST_CONTEXT, *PNET_BUFFER_LIST_CONTEXT;
typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS NET_BUFFER_LIST_POOL_PARAMETERS,
    *PNET_BUFFER_LIST_POOL_PARAMETERS;
typedef struct _NET_BUFFER_POOL_PARAMETERS NET_BUFFER_POOL_PARAMETERS,
    *PNET_BUFFER_POOL_PARAMETERS;

/* ---- Scatter/gather list (SG-08; hdr wdm.h) -------------------------------------------- */
typedef struct _SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    SCATTER_GATHER_ELEMENT Elements[];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

/* ---- Shared memory description (NDIS 6.20) --------------------------------------------- */
typedef struct _NET_BUFFER_SHARED_MEMORY NET_BUFFER_SHARED_MEMORY, *PNET_BUFFER_SHARED_MEMORY;
struct _NET_BUFFER_SHARED_MEMORY {
    PNET_BUFFER_SHARED_MEMORY NextSharedMemorySegment;
    ULONG SharedMemoryFlags;
    NDIS_HANDLE SharedMemoryHandle;
    ULONG SharedMemoryOffset;
    ULONG SharedMemoryLength;
};

/* ---- NET_BUFFER (DS-07, DS-08) ---------------------------------------------------------- */
typedef union _NET_BUFFER_DATA_LENGTH {
    ULONG DataLength;
    SIZE_T stDataLength;
} NET_BUFFER_DATA_LENGTH, *PNET_BUFFER_DATA_LENGTH;

typedef struct _NET_BUFFER_DATA {
    PNET_BUFFER Next;
    PMDL CurrentMdl;
    ULONG CurrentMdlOffset;
    union {
        ULONG DataLength;
        SIZE_T stDataLength;
        NET_BUFFER_DATA_LENGTH NbDataLength;
    };
    PMDL MdlChain;
    ULONG DataOffset;
} NET_BUFFER_DATA, *PNET_BUFFER_DATA;

typedef union _NET_BUFFER_HEADER {
    NET_BUFFER_DATA NetBufferData;
    SLIST_HEADER Link;
} NET_BUFFER_HEADER, *PNET_BUFFER_HEADER;

struct _NET_BUFFER {
    union {
        struct {
            PNET_BUFFER Next;
            PMDL CurrentMdl;
            ULONG CurrentMdlOffset;
            union {
                ULONG DataLength;
                SIZE_T stDataLength;
            };
            PMDL MdlChain;
            ULONG DataOffset;
        };
        SLIST_HEADER Link;
        NET_BUFFER_HEADER NetBufferHeader; /* same storage, classic spelling */
    };
    USHORT ChecksumBias;
    USHORT Reserved;
    NDIS_HANDLE NdisPoolHandle;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[6];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[4];
    NDIS_PHYSICAL_ADDRESS DataPhysicalAddress;
    union {
        PNET_BUFFER_SHARED_MEMORY SharedMemoryInfo;
        PSCATTER_GATHER_LIST ScatterGatherList;
    };
};

/* ---- NET_BUFFER_LIST_CONTEXT (DS-13) ---------------------------------------------------- */
struct _NET_BUFFER_LIST_CONTEXT {
    PNET_BUFFER_LIST_CONTEXT Next;
    USHORT Size;   /* whole block: used + unused bytes */
    USHORT Offset; /* unused prefix; used data starts at ContextData + Offset */
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR ContextData[];
};

/* ---- NET_BUFFER_LIST (DS-09) ------------------------------------------------------------ */
typedef struct _NET_BUFFER_LIST_DATA {
    PNET_BUFFER_LIST Next;
    PNET_BUFFER FirstNetBuffer;
} NET_BUFFER_LIST_DATA, *PNET_BUFFER_LIST_DATA;

typedef union _NET_BUFFER_LIST_HEADER {
    NET_BUFFER_LIST_DATA NetBufferListData;
    SLIST_HEADER Link;
} NET_BUFFER_LIST_HEADER, *PNET_BUFFER_LIST_HEADER;

struct _NET_BUFFER_LIST {
    union {
        struct {
            PNET_BUFFER_LIST Next;
            PNET_BUFFER FirstNetBuffer;
        };
        SLIST_HEADER Link;
        NET_BUFFER_LIST_HEADER NetBufferListHeader; /* same storage, classic spelling */
    };
    PNET_BUFFER_LIST_CONTEXT Context;
    PNET_BUFFER_LIST ParentNetBufferList;
    NDIS_HANDLE NdisPoolHandle;
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[4];
    DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[2];
    PVOID Scratch;
    NDIS_HANDLE SourceHandle;
    ULONG NblFlags;
    LONG ChildRefCount;
    ULONG Flags;
    union {
        NDIS_STATUS Status;
        ULONG NdisReserved2;
    };
    PVOID NetBufferListInfo[MaxNetBufferListInfo];
};

/* ---- NET_BUFFER accessors (DS-10) ------------------------------------------------------- */
#define NET_BUFFER_NEXT_NB(_NB) ((_NB)->Next)
#define NET_BUFFER_FIRST_MDL(_NB) ((_NB)->MdlChain)
#define NET_BUFFER_DATA_LENGTH(_NB) ((_NB)->DataLength)
#define NET_BUFFER_DATA_OFFSET(_NB) ((_NB)->DataOffset)
#define NET_BUFFER_CURRENT_MDL(_NB) ((_NB)->CurrentMdl)
#define NET_BUFFER_CURRENT_MDL_OFFSET(_NB) ((_NB)->CurrentMdlOffset)
#define NET_BUFFER_PROTOCOL_RESERVED(_NB) ((_NB)->ProtocolReserved)
#define NET_BUFFER_MINIPORT_RESERVED(_NB) ((_NB)->MiniportReserved)
#define NET_BUFFER_CHECKSUM_BIAS(_NB) ((_NB)->ChecksumBias)
#define NET_BUFFER_DATA_PHYSICAL_ADDRESS(_NB) ((_NB)->DataPhysicalAddress)
#define NET_BUFFER_FIRST_SHARED_MEM_INFO(_NB) ((_NB)->SharedMemoryInfo)
#define NET_BUFFER_SHARED_MEM_NEXT_SEGMENT(_SHI) ((_SHI)->NextSharedMemorySegment)
#define NET_BUFFER_SHARED_MEM_FLAGS(_SHI) ((_SHI)->SharedMemoryFlags)
#define NET_BUFFER_SHARED_MEM_HANDLE(_SHI) ((_SHI)->SharedMemoryHandle)
#define NET_BUFFER_SHARED_MEM_OFFSET(_SHI) ((_SHI)->SharedMemoryOffset)
#define NET_BUFFER_SHARED_MEM_LENGTH(_SHI) ((_SHI)->SharedMemoryLength)
#define NET_BUFFER_SCATTER_GATHER_LIST(_NB) ((_NB)->ScatterGatherList)

/* ---- NET_BUFFER_LIST accessors (DS-10) -------------------------------------------------- */
#define NET_BUFFER_LIST_NEXT_NBL(_NBL) ((_NBL)->Next)
#define NET_BUFFER_LIST_FIRST_NB(_NBL) ((_NBL)->FirstNetBuffer)
#define NET_BUFFER_LIST_FLAGS(_NBL) ((_NBL)->Flags)
#define NET_BUFFER_LIST_NBL_FLAGS(_NBL) ((_NBL)->NblFlags)
#define NET_BUFFER_LIST_PROTOCOL_RESERVED(_NBL) ((_NBL)->ProtocolReserved)
#define NET_BUFFER_LIST_MINIPORT_RESERVED(_NBL) ((_NBL)->MiniportReserved)
#define NET_BUFFER_LIST_CONTEXT_DATA_START(_NBL) \
    ((PUCHAR)(((_NBL)->Context) + 1) + (_NBL)->Context->Offset)
/* §16 point 3: follows the header, i.e. the whole block size (used + unused). */
#define NET_BUFFER_LIST_CONTEXT_DATA_SIZE(_NBL) (((_NBL)->Context)->Size)
#define NET_BUFFER_LIST_STATUS(_NBL) ((_NBL)->Status)
#define NET_BUFFER_LIST_INFO(_NBL, _Id) ((_NBL)->NetBufferListInfo[(_Id)])

/* ---- NblFlags (DS-18) ------------------------------------------------------------------- */
#define NDIS_NBL_FLAGS_SEND_READ_ONLY 0x00000001
#define NDIS_NBL_FLAGS_RECV_READ_ONLY 0x00000002
#define NDIS_NBL_FLAGS_HD_SPLIT 0x00000100
#define NDIS_NBL_FLAGS_IS_IPV4 0x00000200
#define NDIS_NBL_FLAGS_IS_IPV6 0x00000400
#define NDIS_NBL_FLAGS_IS_TCP 0x00000800
#define NDIS_NBL_FLAGS_IS_UDP 0x00001000
#define NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER 0x00002000
#define NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD 0x00004000
#define NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET 0x00008000
#define NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT 0x00010000

#define NdisSetNblFlag(_NBL, _F) ((_NBL)->NblFlags |= (_F))
#define NdisClearNblFlag(_NBL, _F) ((_NBL)->NblFlags &= ~(_F))
#define NdisTestNblFlag(_NBL, _F) (((_NBL)->NblFlags & (_F)) != 0)
#define NdisTestNblFlags(_NBL, _F) (((_NBL)->NblFlags & (_F)) == (_F))

/* ---- Flags ownership masks (DS-20) ------------------------------------------------------
 * These are the NDIS 6.0 masks. OpenNDIS reports NDIS 6.86 from NdisGetVersion, so protocols
 * may also use bits 0x00000003 (NDIS_NBL_FLAGS_PROTOCOL_RESERVED_NDIS630), which NDIS no longer
 * uses from 6.30 on. */
#define NBL_FLAGS_PROTOCOL_RESERVED 0xFFF00000
#define NBL_FLAGS_MINIPORT_RESERVED 0x0000F000
#define NBL_FLAGS_SCRATCH 0x000F0000
#define NBL_FLAGS_NDIS_RESERVED 0x00000FFF
#define NDIS_NBL_FLAGS_PROTOCOL_RESERVED_NDIS630 0xFFF00003
#define NDIS_NBL_FLAGS_NDIS_RESERVED_NDIS630 0x00000FFC

#define NBL_TEST_FLAG(_NBL, _F) (((_NBL)->Flags & (_F)) != 0)
#define NBL_SET_FLAG(_NBL, _F) ((_NBL)->Flags |= (_F))
#define NBL_CLEAR_FLAG(_NBL, _F) ((_NBL)->Flags &= ~(_F))
#define NBL_SET_PROT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags |= ((_F) & NBL_FLAGS_PROTOCOL_RESERVED))
#define NBL_CLEAR_PROT_RSVD_FLAG(_NBL, _F) \
    ((_NBL)->Flags &= ~((_F) & NBL_FLAGS_PROTOCOL_RESERVED))
#define NBL_TEST_PROT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags & ((_F) & NBL_FLAGS_PROTOCOL_RESERVED))
#define NBL_SET_MINIPORT_RSVD_FLAG(_NBL, _F) \
    ((_NBL)->Flags |= ((_F) & NBL_FLAGS_MINIPORT_RESERVED))
#define NBL_CLEAR_MINIPORT_RSVD_FLAG(_NBL, _F) \
    ((_NBL)->Flags &= ~((_F) & NBL_FLAGS_MINIPORT_RESERVED))
#define NBL_TEST_MINIPORT_RSVD_FLAG(_NBL, _F) \
    ((_NBL)->Flags & ((_F) & NBL_FLAGS_MINIPORT_RESERVED))

/* ---- Clone flags (§15.3) ---------------------------------------------------------------- */
#define NDIS_CLONE_FLAGS_RESERVED 0x00000001
#define NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS 0x00000002

/* ---- Allocate/free MDL handlers used by retreat/advance (DS-32, DS-33) ------------------ */
typedef PMDL(NET_BUFFER_ALLOCATE_MDL)(_Inout_ PULONG BufferSize);
typedef NET_BUFFER_ALLOCATE_MDL *PNET_BUFFER_ALLOCATE_MDL_HANDLER;
typedef VOID(NET_BUFFER_FREE_MDL)(_In_ PMDL Mdl);
typedef NET_BUFFER_FREE_MDL *PNET_BUFFER_FREE_MDL_HANDLER;

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_NBL_H */
