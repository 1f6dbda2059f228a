// verifier/failure.hpp — the closed list of rule breaks OpenNDIS detects at run time.
//
// One enumerator per rule, each with a stable number, a short name and the SPEC ID it enforces.
// Reports go through verifier::report() (verifier.hpp); the action (count / log / abort) and the
// sink are set through the embedding API (openndis/runtime.h). Add new failures at the end of the
// list and never renumber: tests and tools refer to the numbers.
#pragma once

#include <cstdint>
#include <string_view>

namespace ndis::verifier {

#define OPENNDIS_FAILURES(X)                                                                    \
    X(pool_bad_parameters, 1, "POOL-02")           /* pool parameters rejected */               \
    X(pool_bad_header, 2, "POOL-01")               /* Header type/revision/size wrong */        \
    X(pool_invalid_handle, 3, "POOL-03")           /* NULL or unknown pool handle */            \
    X(pool_freed_with_objects, 4, "POOL-10")       /* one report per object still out */        \
    X(pool_wrong_kind, 5, "POOL-06")               /* API not legal on this pool's kind */      \
    X(nb_pool_wrong_kind, 6, "POOL-11")            /* NB API not legal on this pool's kind */   \
    X(nbl_foreign, 7, "DS-27")                     /* NBL not allocated from an NDIS pool */    \
    X(nb_foreign, 8, "DS-27")                      /* NB not allocated from an NDIS pool */     \
    X(nbl_double_free, 9, "POOL-08")               /* NBL freed when not allocated */           \
    X(nb_double_free, 10, "POOL-11")               /* NB freed when not allocated */            \
    X(prealloc_freed_individually, 11, "POOL-09")  /* NB/MDL preallocated with an NBL */        \
    X(mdl_foreign_free, 12, "VER-05")              /* NdisFreeMdl on an MDL it did not make */  \
    X(mdl_double_free, 13, "VER-05")               /* MDL freed twice */                        \
    X(mdl_null_with_length, 14, "POOL-06")         /* MdlChain NULL but offset/length != 0 */   \
    X(nb_geometry_invalid, 15, "DS-04")            /* CurrentMdl/Offset/DataOffset disagree */  \
    X(nb_data_beyond_chain, 16, "DS-03")           /* DataOffset+DataLength > chain size */     \
    X(context_size_unaligned, 17, "DS-16")         /* context amount not a multiple */          \
    X(context_free_mismatch, 18, "DS-15")          /* free without matching allocate */         \
    X(context_base_freed, 19, "DS-17")             /* freed the context reserved at alloc */    \
    X(context_leaked_at_free, 20, "DS-17")         /* NBL freed with added context */           \
    X(nbl_context_unaligned, 21, "POOL-05")        /* NBL ContextSize/BackFill not aligned */   \
    X(clone_flags_mismatch, 22, "POOL-15")         /* free flags differ from allocate flags */  \
    X(clone_free_wrong_api, 23, "POOL-15")         /* NBL not a clone / wrong free function */  \
    X(fragment_bad_parameters, 24, "POOL-18")      /* flags != 0, MaximumLength 0, … */         \
    X(reassembly_bad_parameters, 25, "POOL-20")    /* flags != 0, pool not kind (b), … */       \
    X(parent_freed_with_children, 26, "POOL-16")   /* ChildRefCount != 0 at free */             \
    X(get_data_buffer_bad_alignment, 27, "DS-31")  /* AlignMultiple/AlignOffset invalid */      \
    X(advance_beyond_data, 28, "DS-33")            /* advance delta > DataLength */             \
    X(retreat_bad_parameters, 29, "DS-32")         /* delta would overflow, … */                \
    X(copy_bad_parameters, 30, "DS-37")            /* NULL NB or out-of-range offsets */        \
    X(nbl_flags_inconsistent, 31, "DS-19")         /* IS_IPV4+IS_IPV6, TCP without IP, … */     \
    X(reassembly_free_wrong_api, 32, "POOL-20")    /* NBL not from reassembly */                \
    X(fragment_free_wrong_api, 33, "POOL-19")      /* NBL not from fragment */                  \
    X(null_argument, 34, "VER-03")                 /* required pointer argument NULL */         \
    X(clone_bad_flags, 35, "POOL-14")              /* AllocateCloneFlags has unknown bits */     \
    X(nb_pool_bad_parameters, 36, "POOL-11")       /* NB pool header / parameters rejected */    \
    X(nb_mdl_null_with_length, 37, "POOL-11")      /* NdisAllocateNetBuffer: NULL MDL, len != 0 */\
    X(irql_raise_lower_mismatch, 38, "IRQL-01")    /* raise below / lower above current */       \
    X(irql_too_high, 39, "IRQL-01")                /* called above the IRQL it allows */         \
    X(irql_wait_at_dispatch, 40, "IRQL-06")        /* blocking wait at DISPATCH (0x7C/0x14) */   \
    X(irql_flag_mismatch, 41, "IRQL-02")           /* *_DISPATCH_LEVEL flag below DISPATCH */    \
    X(irql_not_restored, 42, "IRQL-07")            /* callback left IRQL / lock changed */       \
    X(spinlock_recursive, 43, "IRQL-07")           /* acquired by its holder: deadlock */        \
    X(spinlock_release_not_held, 44, "IRQL-07")    /* released by a non-holder */                \
    X(spinlock_dpr_below_dispatch, 45, "IRQL-07")  /* Dpr/AtDpcLevel acquire < DISPATCH */       \
    X(lock_freed_while_held, 46, "IRQL-07")        /* spin / RW lock freed while held */         \
    X(rwlock_recursive_write, 47, "IRQL-07")       /* write acquire by a holder: deadlock */     \
    X(rwlock_release_not_held, 48, "IRQL-07")      /* RW release without acquire */              \
    X(stall_too_long, 49, "IRQL-08")               /* NdisStallExecution > 50 us */              \
    X(assert_failed, 50, "VER-01")                 /* ASSERT / NT_ASSERT failed */               \
    X(debug_break, 51, "VER-01")                   /* DbgBreakPoint called */                    \
    X(timer_bad_characteristics, 52, "VER-01")     /* NDIS_TIMER_CHARACTERISTICS invalid */      \
    X(timer_freed_while_set, 53, "VER-05")         /* NdisFreeTimerObject on armed timer */      \
    X(timer_leaked, 54, "VER-05")                  /* timer object alive at teardown */          \
    X(workitem_double_queue, 55, "VER-01")         /* queued while already queued */             \
    X(workitem_freed_while_queued, 56, "VER-05")   /* work item freed before it ran */           \
    X(workitem_leaked, 57, "VER-05")               /* work item alive at teardown */             \
    X(memory_foreign_free, 58, "VER-05")           /* free of non-pool / freed memory */         \
    X(memory_tag_missing, 59, "VER-05")            /* pool allocation with tag 0 */              \
    X(memory_tag_mismatch, 60, "VER-05")           /* free tag != allocation tag */              \
    X(memory_leaked, 61, "VER-05")                 /* pool memory alive at teardown */           \
    X(kernel_invalid_handle, 62, "VER-01")         /* timer/work item/RW lock not live */        \
    X(list_entry_corrupt, 63, "VER-01")            /* LIST_ENTRY links broken (0x139) */ \
    /* ---- drivers, bindings and the data path (100 and up) ---- */                       \
    X(miniport_characteristics_bad, 100, "MS-02")  /* missing handler, bad header/version */   \
    X(protocol_characteristics_bad, 101, "PS-02")  /* missing handler, bad header/version */   \
    X(ndis_version_bad, 102, "MS-01")              /* MajorNdisVersion is not 6 */             \
    X(adapter_handle_invalid, 103, "MS-18")        /* not a live NdisMiniportHandle */          \
    X(binding_handle_invalid, 104, "PS-07")        /* not a live NdisBindingHandle */           \
    X(open_outside_bind, 105, "PS-04")             /* NdisOpenAdapterEx outside bind (0x16) */  \
    X(nbl_source_handle_mismatch, 106, "PS-08")    /* SourceHandle != NdisBindingHandle */      \
    X(nbl_sent_not_from_pool, 107, "PS-09")        /* sent NBL not from an NDIS pool */         \
    X(nbl_already_outstanding, 108, "PS-14")       /* sent again before its completion */       \
    X(nbl_completed_not_outstanding, 109, "MS-06") /* completed twice, or never sent here */    \
    X(send_complete_bad_status, 110, "MS-08")      /* Status not allowed on a send */           \
    X(nbl_geometry_at_boundary, 111, "DS-04")      /* bad NB geometry handed across */          \
    X(receive_while_paused, 112, "ST-08")          /* indicated while Paused/Halted */          \
    X(receive_source_handle, 113, "MS-18")         /* indicated NBL SourceHandle wrong */       \
    X(return_not_indicated, 114, "PS-24")          /* returned NBL not indicated to binding */  \
    X(pause_complete_unexpected, 115, "ST-11")     /* NdisMPauseComplete, no pause (0x1F) */    \
    X(restart_complete_unexpected, 116, "ST-11")   /* NdisMRestartComplete, no restart */       \
    X(oid_complete_unexpected, 117, "VER-07")      /* OID completed but not pending (0x26) */   \
    X(attributes_bad, 118, "ST-02")                /* NdisMSetMiniportAttributes misuse */      \
    X(pause_return_bad, 119, "ST-06")              /* MiniportPause not SUCCESS/PENDING */      \
    X(state_transition_illegal, 120, "ST-01")      /* request not legal in this state */        \
    X(outstanding_at_unbind, 121, "PS-22")         /* NBLs outstanding at close (0x7C/0x27) */  \
    X(operation_timed_out, 122, "ST-21")           /* pended operation never completed */       \
    X(bind_complete_unexpected, 123, "PS-03")      /* NdisCompleteBindAdapterEx misuse */       \
    X(pnp_complete_unexpected, 124, "PS-19")       /* NdisCompleteNetPnPEvent misuse */         \
    X(config_bad, 125, "VER-01")                   /* configuration API misuse */               \
    X(completion_source_unknown, 126, "MS-11")     /* completed NBL's SourceHandle unknown */  \
    X(protocol_ndis_version_bad, 127, "PS-01")     /* protocol MajorNdisVersion is not 6 */     \
    X(reset_complete_unexpected, 128, "ST-17")     /* NdisMResetComplete, no pending reset */   \
    X(reset_left_sends, 129, "ST-16")              /* 6.30+ reset done with sends held */       \
    X(reset_return_bad, 130, "ST-15")              /* MiniportResetEx returned a bad status */  \
    X(halt_with_outstanding, 131, "ST-12")         /* halt with sends/receives/OIDs pending */ \
    /* ---- the watchdog and the faulty decorator (150-159) ---- */                       \
    X(watchdog_send_overdue, 150, "VER-06")        /* NdisTimedDataSend: send not completed */ \
    X(watchdog_send_hang, 151, "VER-06")           /* NdisTimedDataHang: no completion */      \
    X(watchdog_oid_overdue, 152, "VER-06")         /* NdisTimedOidComplete: OID too slow */    \
    X(watchdog_operation_slow, 153, "ST-21")       /* pause/restart too slow (0x7C/0x25) */    \
    X(faulty_held_at_halt, 154, "MS-06")           /* decorator still holds NBLs at halt */

enum class failure : std::uint16_t {
#define OPENNDIS_FAILURE_ENUM(name, number, spec) name = number,
    OPENNDIS_FAILURES(OPENNDIS_FAILURE_ENUM)
#undef OPENNDIS_FAILURE_ENUM
};

struct failure_info {
    failure code;
    std::string_view name;
    std::string_view spec_id;
};

// Name and SPEC ID of a failure code (constexpr table lookup).
constexpr failure_info describe(failure f)
{
    switch (f) {
#define OPENNDIS_FAILURE_CASE(name, number, spec) \
    case failure::name:                          \
        return {failure::name, #name, spec};
        OPENNDIS_FAILURES(OPENNDIS_FAILURE_CASE)
#undef OPENNDIS_FAILURE_CASE
    }
    return {f, "unknown", "?"};
}

} // namespace ndis::verifier
