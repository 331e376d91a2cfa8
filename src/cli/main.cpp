#include <malloc.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // The heap keeps 1 MiB spare at its top when it shrinks: a large entry text
  // freed and the next one allocated then reuse pages instead of giving them
  // back and faulting them in again (measured on Redis: three times the page
  // faults and 15% of the time, depending on where allocations happen to lie).
  mallopt(M_TOP_PAD, 1 << 20);
  CLI::App app{"trawl: network observability and forensics for Kubernetes"};
  app.require_subcommand(1);
  int exit_code = 0;
  trawl::add_read_command(app, exit_code);
  trawl::add_capture_command(app, exit_code);
  trawl::add_client_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
