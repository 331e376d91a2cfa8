#include "kube/cluster_watch.h"

#include <random>

#include "api/client.h"
#include "kube/api_client.h"
#include "kube/objects_json.h"
#include "kube/watch_stream.h"

namespace trawl::kube {

namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Status's message of an answer other than 200, else its start.
std::string refusal(int status, const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view message;
  if (!parser.parse(body).get(e) && !e["message"].get_string().get(message))
    return "HTTP " + std::to_string(status) + ": " + std::string(message);
  return "HTTP " + std::to_string(status) + ": " + body.substr(0, 200);
}

struct ListPage {
  std::vector<Object> objects;
  std::string version, next;  // the list's resourceVersion; the continue token
  size_t unreadable = 0;
};

ListPage read_page(const std::string& body, const ResourceType& r) {
  simdjson::dom::parser parser;
  simdjson::dom::element list;
  simdjson::dom::array items;
  if (parser.parse(body).get(list) || list["items"].get_array().get(items))
    throw std::runtime_error(r.name + ": the list is not a JSON list");
  ListPage page;
  std::string_view v;
  if (!list["metadata"]["resourceVersion"].get_string().get(v)) page.version = v;
  if (!list["metadata"]["continue"].get_string().get(v)) page.next = v;
  for (simdjson::dom::element item : items) {
    Object o;
    std::string error;
    if (parse_object(item, o, error, r.kind))
      page.objects.push_back(std::move(o));
    else
      ++page.unreadable;
  }
  return page;
}

// Every page of `r`'s list: its objects and version. A continue token that
// expired (410) starts the list again.
ListPage list_all(ApiClient& client, Credentials& credentials, const ResourceType& r, int page_size,
                  std::chrono::milliseconds timeout) {
  ListPage all;
  std::string next;
  for (int restarts = 0;;) {
    std::string target = r.path + "?limit=" + std::to_string(page_size);
    if (!next.empty()) target += "&continue=" + api::url_encode(next);
    auto [status, body] = client.get(target, timeout);
    if (status == 410 && !next.empty() && ++restarts < 5) {
      all = {}, next.clear();
      continue;
    }
    if (status == 401) credentials.refused();
    if (status != 200) throw std::runtime_error("list " + r.name + ": " + refusal(status, body));
    ListPage page = read_page(body, r);
    for (Object& o : page.objects) all.objects.push_back(std::move(o));
    all.unreadable += page.unreadable;
    all.version = page.version;
    next = page.next;
    if (next.empty()) return all;
  }
}

}  // namespace

const std::vector<ResourceType>& identity_resources() {
  static const std::vector<ResourceType> kResources = {
      {"namespaces", "Namespace", "/api/v1/namespaces"},
      {"nodes", "Node", "/api/v1/nodes"},
      {"replicasets", "ReplicaSet", "/apis/apps/v1/replicasets"},
      {"jobs", "Job", "/apis/batch/v1/jobs"},
      {"endpointslices", "EndpointSlice", "/apis/discovery.k8s.io/v1/endpointslices"},
      {"services", "Service", "/api/v1/services"},
      {"pods", "Pod", "/api/v1/pods"},
  };
  return kResources;
}

ClusterWatch::ClusterWatch(ClusterAccess access, NamesKeeper& keeper, WatchSettings settings)
    : access_(std::move(access)), credentials_(access_), keeper_(keeper), settings_(settings) {
  for (size_t i = 0; i < identity_resources().size(); ++i)
    clients_.push_back(std::make_unique<ApiClient>(access_, credentials_));
  for (size_t i = 0; i < clients_.size(); ++i)
    threads_.emplace_back([this, i] { run(identity_resources()[i], *clients_[i]); });
}

ClusterWatch::~ClusterWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& c : clients_) c->stop();
  for (auto& t : threads_) t.join();
}

void ClusterWatch::run(const ResourceType& r, ApiClient& client) {
  std::string version;  // empty: list first
  int failures = 0;
  for (bool listed = false;;) {
    try {
      if (version.empty()) {
        if (r.kind == "Pod" && !listed) wait_for_owners();
        version = list(client, r);
        count(r, [&](ResourceWatchStats& s) { ++s.lists, s.relists += listed; });
        if (!listed && (r.kind == "ReplicaSet" || r.kind == "Job")) {
          std::lock_guard lock(mutex_);
          ++owner_kinds_listed_;
          wake_.notify_all();
        }
        listed = true;
      }
      if (watch(client, r, version) == WatchEnd::kRelist) version.clear();
      failures = 0;
    } catch (const Stopped&) {
      return;
    } catch (const std::exception& e) {
      count(r,
            [&](ResourceWatchStats& s) { ++s.errors, s.synced = false, s.last_error = e.what(); });
      pause(++failures);
    }
    std::lock_guard lock(mutex_);
    if (stopping_) return;
  }
}

std::string ClusterWatch::list(ApiClient& client, const ResourceType& r) {
  ListPage all = list_all(client, credentials_, r, settings_.page_size, settings_.request_timeout);
  keeper_.replace(r.kind, all.objects, now_us());
  count(r, [&](ResourceWatchStats& s) { s.malformed += all.unreadable; });
  if (all.version.empty()) throw std::runtime_error("list " + r.name + ": no resourceVersion");
  return all.version;
}

// Until the server ends the watch (its timeout: resume), or it must be listed
// again: the version is gone (410), or an event could not be read, which may
// have been a change.
ClusterWatch::WatchEnd ClusterWatch::watch(ApiClient& client, const ResourceType& r,
                                           std::string& version) {
  thread_local std::mt19937 random(std::random_device{}());
  int timeout_s = std::uniform_int_distribution<int>(300, 600)(random);
  std::string target =
      r.path + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + api::url_encode(version) +
      "&timeoutSeconds=" + std::to_string(timeout_s);
  count(r, [](ResourceWatchStats& s) { ++s.watches, s.synced = true; });
  WatchStream events;
  WatchEnd end = WatchEnd::kResume;
  std::string error_body;
  auto on_bytes = [&](std::string_view bytes) {
    events.feed(bytes);
    WatchEvent e;
    std::string error;
    while (events.next(e, error)) {
      int64_t now = now_us();
      if (!error.empty() || (e.type != WatchEvent::Type::kError && e.resource_version.empty())) {
        count(r, [](ResourceWatchStats& s) { ++s.malformed; });
        end = WatchEnd::kRelist;
        return false;
      }
      if (e.type == WatchEvent::Type::kError) {
        if (e.error_code != 410)
          throw std::runtime_error("watch " + r.name + ": " + e.error_message);
        count(r, [](ResourceWatchStats& s) { ++s.expired; });
        end = WatchEnd::kRelist;
        return false;
      }
      version = e.resource_version;
      bool bookmark = e.type == WatchEvent::Type::kBookmark;
      if (!bookmark) keeper_.apply(e.object, e.type == WatchEvent::Type::kDeleted, now);
      count(r, [&](ResourceWatchStats& s) {
        ++(bookmark ? s.bookmarks : s.events);
        s.last_event_us = now;
      });
    }
    return true;
  };
  int status = client.stream(target, settings_.idle, on_bytes, error_body);
  if (status == 410) {
    count(r, [](ResourceWatchStats& s) { ++s.expired; });
    return WatchEnd::kRelist;
  }
  if (status == 401) credentials_.refused();
  if (status != 200)
    throw std::runtime_error("watch " + r.name + ": " + refusal(status, error_body));
  return end;
}

// Pods are first listed after their owners (a little while at most), so a
// pod's workload is its Deployment or CronJob from the start, not its
// ReplicaSet or Job until those arrive.
void ClusterWatch::wait_for_owners() {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, settings_.request_timeout,
                 [this] { return stopping_ || owner_kinds_listed_ >= 2; });
}

// Waits before the next try: doubling from the least wait to the most, each
// between half and one and a half times that, so watchers that failed
// together do not come back together.
void ClusterWatch::pause(int failures) {
  thread_local std::mt19937 random(std::random_device{}());
  double base = double(settings_.backoff_min.count()) * double(1u << std::min(failures - 1, 16));
  base = std::min(base, double(settings_.backoff_max.count()));
  auto wait = std::chrono::milliseconds(
      int64_t(base * std::uniform_real_distribution<double>(0.5, 1.5)(random)));
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, wait, [this] { return stopping_; });
}

std::shared_ptr<NameHistory> list_cluster(const ClusterAccess& access,
                                          std::chrono::milliseconds timeout) {
  Credentials credentials(access);
  ApiClient client(access, credentials);
  auto history = std::make_shared<NameHistory>();
  std::vector<Object> objects;
  for (const ResourceType& r : identity_resources()) {
    ListPage all = list_all(client, credentials, r, 500, timeout);
    for (Object& o : all.objects) objects.push_back(std::move(o));
  }
  history->apply_list(objects, now_us());
  return history;
}

}  // namespace trawl::kube
