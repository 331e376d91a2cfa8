#include "kube/cluster_apply.h"

#include <stdexcept>

#include "api/client.h"
#include "entries/json_parse.h"

namespace trawl::kube {

namespace {

using namespace std::chrono_literals;

struct KindPath {
  const char* kind;
  const char* prefix;  // the group and version's path
  const char* plural;
  bool namespaced;
};
// In the order `clean` deletes them: what runs first, the namespace last.
constexpr KindPath kKinds[] = {
    {"DaemonSet", "/apis/apps/v1", "daemonsets", true},
    {"Deployment", "/apis/apps/v1", "deployments", true},
    {"Service", "/api/v1", "services", true},
    {"Secret", "/api/v1", "secrets", true},
    {"ServiceAccount", "/api/v1", "serviceaccounts", true},
    {"ClusterRoleBinding", "/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", false},
    {"ClusterRole", "/apis/rbac.authorization.k8s.io/v1", "clusterroles", false},
    {"Namespace", "/api/v1", "namespaces", false},
};

const KindPath* kind_path(std::string_view kind) {
  for (const KindPath& k : kKinds)
    if (kind == k.kind) return &k;
  return nullptr;
}

std::string collection(const KindPath& k, const std::string& ns) {
  return std::string(k.prefix) + (k.namespaced ? "/namespaces/" + ns : "") + "/" + k.plural;
}

std::string text_at(const Json& j, std::initializer_list<const char*> path) {
  const Json* at = &j;
  for (const char* key : path)
    if (!at->is_object() || !(at = at->find(key))) return "";
  return at->is_string() ? at->str() : "";
}

int64_t number_at(const Json& j, std::initializer_list<const char*> path) {
  const Json* at = &j;
  for (const char* key : path)
    if (!at->is_object() || !(at = at->find(key))) return 0;
  return at->is_int() ? at->integer() : 0;
}

// The Status message of a refusal, else the body's start.
std::string refusal(int status, const std::string& body) {
  Json j;
  std::string message = parse_json(body, j) ? text_at(j, {"message"}) : "";
  return "HTTP " + std::to_string(status) + ": " +
         (message.empty() ? body.substr(0, 300) : message);
}

Json get_object(ApiClient& client, const std::string& path) {
  auto [status, body] = client.get(path, 30s);
  Json j;
  if (status != 200 || !parse_json(body, j)) return Json();
  return j;
}

}  // namespace

std::string object_path(const Json& object) {
  const KindPath* k = kind_path(text_at(object, {"kind"}));
  if (!k) return "";
  return collection(*k, text_at(object, {"metadata", "namespace"})) + "/" +
         text_at(object, {"metadata", "name"});
}

void apply_object(ApiClient& client, const Json& object) {
  std::string path = object_path(object);
  if (path.empty()) throw std::runtime_error("cannot apply a " + text_at(object, {"kind"}));
  auto [status, body] = client.call("PATCH", path + "?fieldManager=trawl&force=true", object.dump(),
                                    "application/apply-patch+yaml", 60s);
  if (status != 200 && status != 201)
    throw std::runtime_error(text_at(object, {"kind"}) + " " +
                             text_at(object, {"metadata", "name"}) + ": " + refusal(status, body));
}

Rollout rollout(ApiClient& client, const DeploySettings& s) {
  Rollout r;
  Json ds = get_object(client, "/apis/apps/v1/namespaces/" + s.namespace_ + "/daemonsets/" +
                                   s.namespace_ + "-worker");
  r.workers_desired = int(number_at(ds, {"status", "desiredNumberScheduled"}));
  r.workers_ready = int(number_at(ds, {"status", "numberReady"}));
  Json hub = get_object(
      client, "/apis/apps/v1/namespaces/" + s.namespace_ + "/deployments/" + s.namespace_ + "-hub");
  int64_t wanted = number_at(hub, {"spec", "replicas"});
  r.hub_ready = wanted > 0 && number_at(hub, {"status", "readyReplicas"}) >= wanted;
  return r;
}

std::vector<std::string> clean(ApiClient& client, const std::string& ns) {
  std::vector<std::string> done;
  std::string selector =
      "?labelSelector=" + api::url_encode(std::string(kManagedByLabel) + "=" + kManagedByValue);
  for (const KindPath& k : kKinds) {
    if (std::string_view(k.kind) == "Namespace") break;
    auto [status, body] = client.get(collection(k, ns) + selector, 30s);
    Json list;
    size_t n = parse_json(body, list) && list.find("items") && list.find("items")->is_array()
                   ? list.find("items")->items().size()
                   : 0;
    if (status != 200)
      throw std::runtime_error(std::string(k.plural) + ": " + refusal(status, body));
    if (n == 0) continue;
    auto [deleted, answer] = client.call("DELETE", collection(k, ns) + selector, "", "", 60s);
    if (deleted != 200)
      throw std::runtime_error(std::string(k.plural) + ": " + refusal(deleted, answer));
    done.push_back("deleted " + std::to_string(n) + " " + k.plural);
  }
  Json namespace_ = get_object(client, "/api/v1/namespaces/" + ns);
  if (text_at(namespace_, {"metadata", "labels", kManagedByLabel}) == kManagedByValue) {
    auto [status, body] = client.call("DELETE", "/api/v1/namespaces/" + ns, "", "", 60s);
    if (status != 200 && status != 202)
      throw std::runtime_error("namespace: " + refusal(status, body));
    done.push_back("deleted the namespace " + ns);
  }
  return done;
}

}  // namespace trawl::kube
