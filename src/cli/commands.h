// Subcommands of the trawl binary.
#pragma once

#include <CLI/CLI.hpp>

namespace trawl {

// Registers `trawl read`; the callback runs it and sets `exit_code`.
void add_read_command(CLI::App& app, int& exit_code);
// `trawl capture`: live capture, store and API (the worker).
void add_capture_command(CLI::App& app, int& exit_code);
// `trawl query` and `trawl tail`: clients of a running worker.
void add_client_commands(CLI::App& app, int& exit_code);
// `trawl hub`: one API over several workers.
void add_hub_command(CLI::App& app, int& exit_code);
// `trawl manifests`: the cluster deployment.
void add_deploy_commands(CLI::App& app, int& exit_code);

}  // namespace trawl
