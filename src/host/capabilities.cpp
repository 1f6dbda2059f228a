// capabilities.cpp — OpenNdisDropCapabilities (openndis/host.h): after the stack is up, the
// built-in Linux miniports (afpacket: CAP_NET_RAW, tap: CAP_NET_ADMIN) need no capability any
// more — their sockets and fds are open — so a host may give them all up.
//
// Linux capabilities belong to threads: capset(2) changes the calling thread's sets only, and a
// thread passes its sets on to the threads it creates. The function therefore drops the calling
// thread's effective, permitted and inheritable sets and its ambient set, and sets
// PR_SET_NO_NEW_PRIVS (no execve can give them back). Threads that already exist keep theirs.
// It cannot be undone: a later restart of the stack in this process that must open sockets or
// create TAP interfaces again fails (hence opt-in: `ndisctl run --drop-caps`; tests never call it).
#include <openndis/host.h>

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisDropCapabilities(VOID)
{
    __user_cap_header_struct header{};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0; // the calling thread
    // Ambient first (it would otherwise be cleared implicitly, but say so explicitly).
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (syscall(SYS_capset, &header, data) != 0) {
        return NDIS_STATUS_FAILURE;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return NDIS_STATUS_FAILURE;
    }
    return NDIS_STATUS_SUCCESS;
}
