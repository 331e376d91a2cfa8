#include <malloc.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // glibc's heap trims its top at 128 KiB and serves large blocks by mmap
  // until it has seen them freed: a large entry text freed at the top and the
  // next one allocated gave pages back and faulted them in again (Redis: three
  // times the page faults, 15% of the time, depending on where allocations
  // happened to lie). Large blocks come from the heap (up to glibc's own 32 MiB
  // ceiling), which keeps 1 MiB spare at its top and gives back past 8 MiB.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  mallopt(M_TOP_PAD, 1 << 20);
  CLI::App app{"trawl: network observability and forensics for Kubernetes"};
  app.require_subcommand(1);
  int exit_code = 0;
  trawl::add_read_command(app, exit_code);
  trawl::add_capture_command(app, exit_code);
  trawl::add_client_commands(app, exit_code);
  trawl::add_hub_command(app, exit_code);
  trawl::add_deploy_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
