// Subcommands of the trawl binary.
#pragma once

#include <CLI/CLI.hpp>

namespace trawl {

// Registers `trawl read`; the callback runs it and sets `exit_code`.
void add_read_command(CLI::App& app, int& exit_code);

}  // namespace trawl
