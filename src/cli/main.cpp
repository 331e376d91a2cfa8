#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"trawl: network observability and forensics for Kubernetes"};
  app.require_subcommand(1);
  int exit_code = 0;
  trawl::add_read_command(app, exit_code);
  trawl::add_capture_command(app, exit_code);
  trawl::add_client_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
