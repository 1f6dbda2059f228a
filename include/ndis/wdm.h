/*
 * ndis/wdm.h — the slice of <wdm.h> an NDIS driver touches: DRIVER_OBJECT and its role types.
 *
 * Abstract
 *   DriverEntry receives a DRIVER_OBJECT and the registry path of its service. NDIS drivers
 *   hand both to NdisMRegisterMiniportDriver (miniports) or keep them for their own device
 *   objects (protocols, e.g. ndisprot fills MajorFunction[]). The layout is the x64 WDK's
 *   (0x150 bytes, MajorFunction at 0x70), so code that pokes fields directly keeps working.
 *   IRPs, device objects, fast I/O and CM resource lists stay opaque: OpenNDIS has no I/O
 *   manager, they only appear behind pointers.
 *
 *   DriverEntry
 *     The WDK does not declare DriverEntry; drivers do. netvmini even defines it as
 *     NDIS_STATUS DriverEntry(PVOID, PVOID), so a C declaration here would break it. In C++ the
 *     declaration is what gives DriverEntry C linkage (the host finds it with dlsym), so this
 *     header declares `DRIVER_INITIALIZE DriverEntry;` inside extern "C" for C++ only. A C
 *     driver may opt in with -DOPENNDIS_DECLARE_DRIVER_ENTRY to have its definition checked.
 *
 * Usage
 *     DRIVER_INITIALIZE DriverEntry;
 *     DRIVER_UNLOAD     MyUnload;
 *     NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
 *     {
 *         DriverObject->DriverUnload = MyUnload;
 *         ...
 *     }
 *   Included by <ndis.h>; compiles alone as C11 and as C++20.
 */
#ifndef OPENNDIS_NDIS_WDM_H
#define OPENNDIS_NDIS_WDM_H

#include <ndis/types.h>

NDIS_EXTERN_C_BEGIN

/* ---- Opaque I/O-manager objects --------------------------------------------------------- */
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _IRP IRP, *PIRP;
typedef struct _FAST_IO_DISPATCH FAST_IO_DISPATCH, *PFAST_IO_DISPATCH;
/* Resource lists (ntddk.h): NDIS_RESOURCE_LIST is a CM_PARTIAL_RESOURCE_LIST. */
typedef struct _CM_PARTIAL_RESOURCE_LIST CM_PARTIAL_RESOURCE_LIST, *PCM_PARTIAL_RESOURCE_LIST;
typedef struct _CM_RESOURCE_LIST CM_RESOURCE_LIST, *PCM_RESOURCE_LIST;

/* ---- Driver role types (wdm.h) ---------------------------------------------------------- */
typedef NTSTATUS(DRIVER_INITIALIZE)(_In_ PDRIVER_OBJECT DriverObject,
                                    _In_ PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;

typedef VOID(DRIVER_UNLOAD)(_In_ PDRIVER_OBJECT DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;

typedef NTSTATUS(DRIVER_ADD_DEVICE)(_In_ PDRIVER_OBJECT DriverObject,
                                    _In_ PDEVICE_OBJECT PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;

typedef NTSTATUS(DRIVER_DISPATCH)(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_RAISED;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_PAGED;

typedef VOID(DRIVER_STARTIO)(_Inout_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;

/* ---- IRP major function codes (wdm.h) --------------------------------------------------- */
#define IRP_MJ_CREATE                   0x00
#define IRP_MJ_CREATE_NAMED_PIPE        0x01
#define IRP_MJ_CLOSE                    0x02
#define IRP_MJ_READ                     0x03
#define IRP_MJ_WRITE                    0x04
#define IRP_MJ_QUERY_INFORMATION        0x05
#define IRP_MJ_SET_INFORMATION          0x06
#define IRP_MJ_QUERY_EA                 0x07
#define IRP_MJ_SET_EA                   0x08
#define IRP_MJ_FLUSH_BUFFERS            0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION   0x0b
#define IRP_MJ_DIRECTORY_CONTROL        0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL      0x0d
#define IRP_MJ_DEVICE_CONTROL           0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL  0x0f
#define IRP_MJ_SHUTDOWN                 0x10
#define IRP_MJ_LOCK_CONTROL             0x11
#define IRP_MJ_CLEANUP                  0x12
#define IRP_MJ_CREATE_MAILSLOT          0x13
#define IRP_MJ_QUERY_SECURITY           0x14
#define IRP_MJ_SET_SECURITY             0x15
#define IRP_MJ_POWER                    0x16
#define IRP_MJ_SYSTEM_CONTROL           0x17
#define IRP_MJ_DEVICE_CHANGE            0x18
#define IRP_MJ_QUERY_QUOTA              0x19
#define IRP_MJ_SET_QUOTA                0x1a
#define IRP_MJ_PNP                      0x1b
#define IRP_MJ_PNP_POWER                IRP_MJ_PNP
#define IRP_MJ_MAXIMUM_FUNCTION         0x1b

/* DRIVER_OBJECT.Type / DEVICE_OBJECT.Type */
#define IO_TYPE_DEVICE                  0x00000003
#define IO_TYPE_DRIVER                  0x00000004

/* ---- DRIVER_EXTENSION and DRIVER_OBJECT (x64: 0x28 and 0x150 bytes) --------------------- */
typedef struct _DRIVER_EXTENSION {
    struct _DRIVER_OBJECT *DriverObject;
    PDRIVER_ADD_DEVICE AddDevice;
    ULONG Count;
    UNICODE_STRING ServiceKeyName;
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

struct _DRIVER_OBJECT {
    CSHORT Type;                  /* IO_TYPE_DRIVER */
    CSHORT Size;                  /* sizeof(DRIVER_OBJECT) plus extension */
    PDEVICE_OBJECT DeviceObject;  /* devices the driver created (ndisprot's control device) */
    ULONG Flags;
    PVOID DriverStart;            /* OpenNDIS: the shared object's load address */
    ULONG DriverSize;
    PVOID DriverSection;          /* OpenNDIS: runtime-private, never touched by drivers */
    PDRIVER_EXTENSION DriverExtension;
    UNICODE_STRING DriverName;    /* "\Driver\<service>" */
    PUNICODE_STRING HardwareDatabase;
    PFAST_IO_DISPATCH FastIoDispatch;
    PDRIVER_INITIALIZE DriverInit;
    PDRIVER_STARTIO DriverStartIo;
    PDRIVER_UNLOAD DriverUnload;
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
};

/* ---- DriverEntry (see "DriverEntry" in the abstract) ------------------------------------ */
#if defined(__cplusplus) || defined(OPENNDIS_DECLARE_DRIVER_ENTRY)
DRIVER_INITIALIZE DriverEntry;
#endif

NDIS_EXTERN_C_END

#endif /* OPENNDIS_NDIS_WDM_H */
