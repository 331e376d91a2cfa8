#include <iostream>
#include <optional>

#include "api/client.h"
#include "cli/commands.h"
#include "entries/json_parse.h"
#include "sinks/sinks.h"

namespace trawl {

namespace {

struct ClientOptions {
  std::string query;
  std::string server = "http://127.0.0.1:8899";
  std::string token;
  bool json = false;
  uint64_t limit = 100;
};

bool connect_options(const ClientOptions& o, api::ServerUrl& url, std::string& token,
                     const char* command) {
  std::string error;
  if (!api::ServerUrl::parse(o.server, url, error)) {
    std::cerr << "trawl " << command << ": --server: " << error << "\n";
    return false;
  }
  token = o.token;
  if (token.empty())
    if (const char* t = std::getenv("TRAWL_TOKEN")) token = t;
  return true;
}

// An entry as JSON text, printed as a line of JSON or a table row.
class Printer {
 public:
  explicit Printer(bool json) : json_(json) {}
  void print(std::string_view entry_json) {
    if (json_) {
      std::fwrite(entry_json.data(), 1, entry_json.size(), stdout);
      std::fputc('\n', stdout);
      return;
    }
    Entry e;
    if (!read_entry_json(entry_json, e)) return;
    if (!table_) table_.emplace(stdout);  // the header comes with the first row
    table_->emit(std::move(e));
  }
  void flush() {
    if (table_) table_->flush();
    std::fflush(stdout);
  }

 private:
  bool json_;
  std::optional<TableSink> table_;
};

// Reports an API error body ({"error": ...}) and returns the exit code.
int api_error(const char* command, int status, const std::string& body) {
  Json j;
  std::string message = body;
  if (parse_json(body, j) && j.is_object())
    if (const Json* e = j.find("error"); e && e->is_string()) message = e->str();
  std::cerr << "trawl " << command << ": " << message << " (HTTP " << status << ")\n";
  return status == 400 ? 2 : 1;
}

int run_query(const ClientOptions& o) {
  api::ServerUrl url;
  std::string token;
  if (!connect_options(o, url, token, "query")) return 2;
  try {
    auto [status, body] = api::http_get(
        url, "/api/entries?limit=" + std::to_string(o.limit) + "&q=" + api::url_encode(o.query),
        token);
    if (status != 200) return api_error("query", status, body);
    // The entries come as one JSON object; each is printed as it is.
    Json page;
    if (!parse_json(body, page) || !page.find("entries")) {
      std::cerr << "trawl query: the worker answered something else than entries\n";
      return 1;
    }
    Printer printer(o.json);
    for (const Json& e : page.find("entries")->items()) printer.print(e.dump());
    printer.flush();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "trawl query: " << e.what() << "\n";
    return 1;
  }
}

int run_tail(const ClientOptions& o) {
  api::ServerUrl url;
  std::string token;
  if (!connect_options(o, url, token, "tail")) return 2;
  int rc = 0;
  try {
    Printer printer(o.json);
    api::stream(url, o.query, token, [&](const std::string& message) {
      Json j;
      if (!parse_json(message, j) || !j.is_object()) return true;
      if (const Json* s = j.find("control")) {  // the worker's word on the stream
        if (const Json* err = s->find("error")) {
          std::cerr << "trawl tail: " << err->str() << "\n";
          rc = 2;
          return false;
        }
        if (const Json* skipped = s->find("skipped"))
          std::cerr << "trawl tail: " << skipped->integer()
                    << " entries skipped so far (this client fell behind)\n";
        else if (s->find("query"))  // from here on, every entry stored that matches
          std::cerr << "trawl tail: live\n";
        return true;
      }
      printer.print(message);
      printer.flush();
      return true;
    });
  } catch (const std::exception& e) {
    std::cerr << "trawl tail: " << e.what() << "\n";
    return 1;
  }
  return rc;
}

void add_common(CLI::App* c, ClientOptions& o) {
  c->add_option("query", o.query, "KFL query (../shared/spec/kfl.md); empty: everything");
  c->add_option("--server", o.server, "the worker's API")->capture_default_str();
  c->add_option("--token", o.token, "bearer token (also TRAWL_TOKEN)");
  c->add_flag("--json", o.json, "one JSON entry per line");
}

}  // namespace

void add_client_commands(CLI::App& app, int& exit_code) {
  auto q = std::make_shared<ClientOptions>();
  CLI::App* query = app.add_subcommand("query", "Entries a running worker keeps, newest first");
  add_common(query, *q);
  query->add_option("--limit", q->limit, "at most this many entries")->capture_default_str();
  query->callback([q, &exit_code]() { exit_code = run_query(*q); });

  auto t = std::make_shared<ClientOptions>();
  CLI::App* tail = app.add_subcommand("tail", "Entries as a running worker captures them");
  add_common(tail, *t);
  tail->callback([t, &exit_code]() { exit_code = run_tail(*t); });
}

}  // namespace trawl
