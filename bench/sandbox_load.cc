// Load generator for the sandbox on loopback (not a test): replayed
// requests/s (one key) and new creates/s (fresh keys), SQLite store by
// default. Starts the sandbox in-process unless --port is given.
//
//   sandbox_load [--seconds S] [--connections N] [--pipeline P] [--threads T]
//                [--memory] [--db PATH|postgres://URL] [--port PORT]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "idem/sandbox.h"
#include "sandbox/load_generator.h"

int main(int argc, char** argv) {
  double seconds = 3;
  int connections = 4;
  int pipeline = 1;
  int threads = 2;
  bool memory = false;
  int port = 0;
  std::string db;  // --db: a SQLite path or a postgres:// URL instead of a temp SQLite file
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--seconds")
      seconds = std::atof(next());
    else if (arg == "--connections")
      connections = std::atoi(next());
    else if (arg == "--pipeline")
      pipeline = std::atoi(next());
    else if (arg == "--threads")
      threads = std::atoi(next());
    else if (arg == "--memory")
      memory = true;
    else if (arg == "--db")
      db = next();
    else if (arg == "--port")
      port = std::atoi(next());
    else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("idem-sandbox-load-" + std::to_string(getpid()));
  std::unique_ptr<idem::Sandbox> sandbox;
  if (port == 0) {
    idem::SandboxOptions options;
    options.port = 0;
    options.threads = threads;
    // The load measures keyed replays of session creates: keys on every
    // endpoint, as the ideal profile keeps them (Didit honours them on AML only).
    options.profile = idem::SandboxProfile::kIdeal;
    if (!db.empty()) {
      options.db_path = db;
    } else if (!memory) {
      std::filesystem::create_directories(dir);
      options.db_path = (dir / "sandbox.db").string();
    }
    auto started = idem::Sandbox::Start(options);
    if (!started) {
      std::fprintf(stderr, "%s\n", started.error().ToString().c_str());
      return 1;
    }
    sandbox = std::move(*started);
    port = sandbox->port();
  }
  std::printf("store=%s connections=%d pipeline=%d server_threads=%d seconds=%.1f\n",
              !db.empty() && db.rfind("postgres", 0) == 0 ? "postgres"
              : memory                                    ? "memory"
                                                          : "sqlite",
              connections, pipeline, threads, seconds);
  for (auto mode :
       {idem::SandboxLoadOptions::Mode::kReplay, idem::SandboxLoadOptions::Mode::kCreate}) {
    idem::SandboxLoadOptions load;
    load.port = static_cast<std::uint16_t>(port);
    load.mode = mode;
    load.connections = connections;
    load.pipeline = pipeline;
    load.duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    auto r = idem::RunSandboxLoad(load);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    std::printf("%-8s %10.0f req/s  (%llu requests in %.2f s, %llu unexpected)\n",
                mode == idem::SandboxLoadOptions::Mode::kReplay ? "replays" : "creates",
                r->requests_per_second, static_cast<unsigned long long>(r->requests), r->seconds,
                static_cast<unsigned long long>(r->unexpected));
  }
  if (sandbox) sandbox->Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
