// core/nb_ops.hpp — data access and data-start moves on a NET_BUFFER (SPEC DS-30 … DS-37):
// NdisGetDataBuffer, NdisRetreat/AdvanceNetBuffer[List]DataStart, NdisAdjustNetBufferCurrentMdl,
// NdisCopyFromNetBufferToNetBuffer, NdisQueryNetBufferPhysicalCount.
//
// The extern "C" shells in api/nb_data_api.cpp make one call each into these functions; every
// argument check and verifier report lives here, so the NBL-level functions can reuse the
// NB-level ones and still name the API the driver called (`api`). Where the first used byte
// lives is decided by locate() in nb_geometry.hpp, nowhere else. nb_ops.cpp explains the MDL
// bookkeeping of retreat and advance.
//
// Ownership: none of these functions changes who owns the NB or its MDLs. A retreat may add
// an MDL to the head of the NB's chain (owned by the runtime, or by the driver when its
// NetAllocateMdl made it); an advance with FreeMdl TRUE gives such MDLs back to whoever made
// them. The caller must own the NB (and, for NBL-level calls, the NBL) for the whole call.
//
// IRQL <= DISPATCH_LEVEL. Nothing here blocks. GetDataBuffer, copy, physical count, and
// retreat/advance that stay within the existing MDL chain neither allocate, lock nor make a
// system call; only a retreat that needs a new MDL allocates (and an advance frees it).
#pragma once

#include <ndis/nbl.h>
#include <ndis/types.h>

namespace ndis::core {

// NdisGetDataBuffer (DS-30, DS-31). Never modifies the NB.
PVOID nb_get_data_buffer(PNET_BUFFER nb, ULONG bytes_needed, PVOID storage, UINT align_multiple,
                         UINT align_offset) noexcept;

// NdisRetreatNetBufferDataStart (DS-32). `api` names the calling API in verifier reports.
NDIS_STATUS nb_retreat(PNET_BUFFER nb, ULONG delta, ULONG backfill,
                       NET_BUFFER_ALLOCATE_MDL *allocate_mdl, const char *api) noexcept;

// NdisAdvanceNetBufferDataStart (DS-33, DS-35).
void nb_advance(PNET_BUFFER nb, ULONG delta, bool free_mdl, NET_BUFFER_FREE_MDL *free_mdl_fn,
                const char *api) noexcept;

// NdisRetreatNetBufferListDataStart (DS-36): all NBs or none (rollback on failure).
NDIS_STATUS nbl_retreat(PNET_BUFFER_LIST nbl, ULONG delta, ULONG backfill,
                        NET_BUFFER_ALLOCATE_MDL *allocate_mdl,
                        NET_BUFFER_FREE_MDL *free_mdl_fn) noexcept;

// NdisAdvanceNetBufferListDataStart (DS-36).
void nbl_advance(PNET_BUFFER_LIST nbl, ULONG delta, bool free_mdl,
                 NET_BUFFER_FREE_MDL *free_mdl_fn) noexcept;

// NdisAdjustNetBufferCurrentMdl (DS-05): CurrentMdl/CurrentMdlOffset from DataOffset.
void nb_adjust_current_mdl(PNET_BUFFER nb) noexcept;

// NdisCopyFromNetBufferToNetBuffer (DS-37). Neither NB's fields change.
NDIS_STATUS nb_copy(PNET_BUFFER destination, ULONG destination_offset, ULONG bytes_to_copy,
                    PNET_BUFFER source, ULONG source_offset, PULONG bytes_copied) noexcept;

// NdisQueryNetBufferPhysicalCount: 4 KiB pages spanned by the used data, per MDL segment.
ULONG nb_physical_count(PNET_BUFFER nb) noexcept;

} // namespace ndis::core
