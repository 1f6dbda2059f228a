// capabilities.cpp — OpenNdisDropCapabilities (openndis/host.h): after the stack is up, the
// built-in Linux miniports (afpacket: CAP_NET_RAW, tap: CAP_NET_ADMIN) need no capability any
// more — their sockets and fds are open — so a host gives them all up.
//
// Linux capabilities belong to threads: capset(2) changes the calling thread's sets only. The
// process has threads already (the dispatcher's DPC, timer and worker threads, the drivers'
// receive threads), so the function does what glibc does for setuid(2): it asks every thread of
// the process, with a signal whose handler makes the calls for its own thread, to clear its
// effective, permitted, inheritable and ambient sets and to set PR_SET_NO_NEW_PRIVS (no execve
// can give them back). Then it reads /proc/self/task/*/status and repeats for any thread whose
// CapEff or CapPrm is not empty yet (one created meanwhile by a thread that had not dropped);
// it succeeds only when every thread has none. It cannot be undone: a later restart of the
// stack in this process that must open sockets or create TAP interfaces again fails.
#include <openndis/host.h>

#include <dirent.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

std::atomic<int> g_pending{0};

// Clears the calling thread's capability sets; async-signal-safe (system calls only).
bool drop_own() noexcept
{
    __user_cap_header_struct header{};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0; // the calling thread
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (syscall(SYS_capset, &header, data) != 0) {
        return false;
    }
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

void on_drop_signal(int)
{
    const int saved = errno;
    (void)drop_own();
    g_pending.fetch_sub(1, std::memory_order_acq_rel);
    errno = saved;
}

// The threads of this process, except the caller.
std::vector<pid_t> other_threads()
{
    std::vector<pid_t> out;
    const auto self = static_cast<pid_t>(syscall(SYS_gettid));
    if (DIR *d = opendir("/proc/self/task")) {
        while (const dirent *e = readdir(d)) {
            const long tid = std::strtol(e->d_name, nullptr, 10);
            if (tid > 0 && tid != self) {
                out.push_back(static_cast<pid_t>(tid));
            }
        }
        closedir(d);
    }
    return out;
}

// True when the thread has an empty effective and permitted set (or is gone).
bool thread_has_none(pid_t tid)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/task/%d/status", static_cast<int>(tid));
    FILE *f = std::fopen(path, "r");
    if (f == nullptr) {
        return true; // exited
    }
    bool none = true;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::strncmp(line, "CapEff:", 7) == 0 || std::strncmp(line, "CapPrm:", 7) == 0) {
            none = none && std::strtoull(line + 7, nullptr, 16) == 0;
        }
    }
    std::fclose(f);
    return none;
}

} // namespace

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisDropCapabilities(VOID)
{
    static std::mutex one_at_a_time;
    std::lock_guard<std::mutex> guard(one_at_a_time);
    if (!drop_own()) {
        return NDIS_STATUS_FAILURE;
    }
    const int sig = SIGRTMIN + 7;
    struct sigaction action {};
    struct sigaction previous {};
    action.sa_handler = on_drop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(sig, &action, &previous) != 0) {
        return NDIS_STATUS_FAILURE;
    }
    const pid_t pid = getpid();
    bool all = false;
    for (int round = 0; round < 5; ++round) {
        std::vector<pid_t> left;
        for (pid_t tid : other_threads()) {
            if (!thread_has_none(tid)) {
                left.push_back(tid);
            }
        }
        if (left.empty()) {
            all = true;
            break;
        }
        for (pid_t tid : left) {
            g_pending.fetch_add(1, std::memory_order_acq_rel);
            if (syscall(SYS_tgkill, pid, tid, sig) != 0) {
                g_pending.fetch_sub(1, std::memory_order_acq_rel); // it exited meanwhile
            }
        }
        // Wait (bounded: a thread blocking the signal never answers) for the handlers.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        while (g_pending.load(std::memory_order_acquire) > 0 &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    // A handler still to run after this would find the previous action: keep ours if any is.
    if (g_pending.load(std::memory_order_acquire) == 0) {
        sigaction(sig, &previous, nullptr);
    }
    return all ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}
