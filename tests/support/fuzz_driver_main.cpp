// fuzz_driver_main.cpp — main() for fuzz targets built without libFuzzer (any compiler).
//
// Usage: fuzz_<name> [-runs=N] [-max_len=N] [-seed=N] [FILE|DIR]...
//   1. runs LLVMFuzzerTestOneInput once on every file given, and on every regular file directly
//      inside every directory given (the corpus);
//   2. then on N pseudo-random inputs (default 20000) of at most max_len bytes (default 4096)
//      from a fixed seed (default 1): half fresh random bytes, half mutated corpus entries, so a
//      failure is reproducible with the same arguments;
//   3. prints a one-line summary and exits non-zero if runtime objects are still alive
//      (OpenNdisGetStats) — a fuzz target must free everything it allocates per input.
// Other -flags (libFuzzer's) are ignored. Each input is an exactly-sized heap copy, so
// sanitizers catch reads past its end. If an input crashes the process (abort(), which is also
// how ASan ends with abort_on_error=1, or SIGSEGV/SIGBUS/SIGFPE/SIGILL), it is written to
// crash-driver-<n> in the working directory first: reproduce with ./fuzz_<name> crash-driver-<n>.
#include <openndis/runtime.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

using Bytes = std::vector<uint8_t>;

// The input being run, for the crash handler.
const uint8_t* volatile g_current = nullptr;
volatile size_t g_current_size = 0;
volatile unsigned long long g_current_index = 0;

// Async-signal-safe: saves the current input to crash-driver-<n>, then dies of the signal.
void on_crash(int sig)
{
    char name[64] = "crash-driver-";
    char digits[24];
    int n = 0;
    unsigned long long v = g_current_index;
    do digits[n++] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0 && n < 24);
    size_t len = std::strlen(name);
    while (n > 0) name[len++] = digits[--n];
    name[len] = '\0';
    if (g_current != nullptr) {
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t ignored = write(fd, g_current, g_current_size);
            (void)ignored;
            close(fd);
            const char msg[] = "\nfuzz driver: crashing input saved to ";
            ignored = write(2, msg, sizeof msg - 1);
            ignored = write(2, name, len);
            ignored = write(2, "\n", 1);
        }
    }
    std::signal(sig, SIG_DFL);
    raise(sig);
}

void run_one(const Bytes& input)
{
    std::unique_ptr<uint8_t[]> copy(new uint8_t[input.size()]);
    if (!input.empty()) std::memcpy(copy.get(), input.data(), input.size());
    g_current_size = input.size();
    g_current = copy.get();
    LLVMFuzzerTestOneInput(copy.get(), input.size());
    g_current = nullptr;
    g_current_index = g_current_index + 1;
}

bool read_file(const std::filesystem::path& path, Bytes& out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

bool flag_value(const char* arg, const char* name, unsigned long long& value)
{
    size_t n = std::strlen(name);
    if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
    value = std::strtoull(arg + n + 1, nullptr, 0);
    return true;
}

Bytes mutate(Bytes input, std::mt19937_64& rng, size_t max_len)
{
    switch (rng() % 4) {
    case 0: // flip a few bytes
        for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n && !input.empty(); ++i)
            input[rng() % input.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        break;
    case 1: // truncate
        input.resize(input.empty() ? 0 : rng() % input.size());
        break;
    case 2: // append random bytes
        for (size_t i = 0, n = 1 + rng() % 64; i < n; ++i) input.push_back(static_cast<uint8_t>(rng()));
        break;
    default: // overwrite a byte with an interesting value
        if (!input.empty()) {
            static constexpr uint8_t k_values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
            input[rng() % input.size()] = k_values[rng() % std::size(k_values)];
        }
        break;
    }
    if (input.size() > max_len) input.resize(max_len);
    return input;
}

} // namespace

int main(int argc, char** argv)
{
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

    unsigned long long runs = 20000, max_len = 4096, seed = 1;
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (arg[0] == '-') {
            if (!flag_value(arg, "-runs", runs) && !flag_value(arg, "-max_len", max_len) &&
                !flag_value(arg, "-seed", seed))
                std::fprintf(stderr, "fuzz driver: ignoring %s\n", arg);
            continue;
        }
        inputs.emplace_back(arg);
    }

    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash);

    auto start = std::chrono::steady_clock::now();
    std::vector<Bytes> corpus;
    for (const auto& path : inputs) {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::directory_iterator(path, ec))
                if (entry.is_regular_file()) files.push_back(entry.path());
            std::sort(files.begin(), files.end()); // same order on every machine
            for (const auto& f : files) {
                Bytes b;
                if (read_file(f, b)) corpus.push_back(std::move(b));
            }
        } else {
            Bytes b;
            if (!read_file(path, b)) {
                std::fprintf(stderr, "fuzz driver: cannot read %s\n", path.c_str());
                return 2;
            }
            corpus.push_back(std::move(b));
        }
    }
    for (const Bytes& b : corpus) run_one(b);

    std::mt19937_64 rng(seed);
    for (unsigned long long i = 0; i < runs; ++i) {
        if (!corpus.empty() && rng() % 2 == 0) {
            run_one(mutate(corpus[rng() % corpus.size()], rng, max_len));
        } else {
            // Mostly short inputs (headers and small frames), sometimes up to max_len.
            size_t limit = rng() % 4 == 0 ? max_len : std::min<unsigned long long>(max_len, 128);
            Bytes b(limit == 0 ? 0 : rng() % (limit + 1));
            for (uint8_t& byte : b) byte = static_cast<uint8_t>(rng());
            run_one(b);
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    OPENNDIS_STATS s{};
    OpenNdisGetStats(&s);
    bool leaked = s.NblPools || s.NbPools || s.Nbls || s.Nbs || s.Mdls || s.NblContexts ||
                  s.MemoryBlocks || s.SgLists;
    std::printf("fuzz driver: %zu corpus inputs + %llu random inputs (seed %llu, max_len %llu) "
                "in %.2f s: %s\n",
                corpus.size(), runs, seed, max_len, seconds, leaked ? "LEAKED" : "ok");
    if (leaked) {
        std::string report(1 << 16, '\0');
        OpenNdisLeakReport(report.data(), report.size());
        std::fprintf(stderr, "%s\n", report.c_str());
        return 1;
    }
    return 0;
}
