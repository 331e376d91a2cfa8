#include "kube/manifests.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>

#include "kube/cluster_apply.h"
#include "kube/yaml_text.h"

namespace trawl::kube {
namespace {

// The YAML read back as yaml-cpp reads it: quoted scalars tagged "!".
void expect_same(const Json& j, const YAML::Node& y, const std::string& where) {
  if (j.is_object()) {
    ASSERT_TRUE(y.IsMap()) << where;
    ASSERT_EQ(y.size(), j.fields().size()) << where;
    for (const auto& [k, v] : j.fields()) expect_same(v, y[k], where + "." + k);
  } else if (j.is_array()) {
    ASSERT_TRUE(y.IsSequence()) << where;
    ASSERT_EQ(y.size(), j.items().size()) << where;
    for (size_t i = 0; i < y.size(); ++i) expect_same(j.items()[i], y[i], where + "[]");
  } else if (j.is_string()) {
    ASSERT_TRUE(y.IsScalar()) << where;
    EXPECT_EQ(y.Scalar(), j.str()) << where;
    bool plain = y.Tag() == "?";
    bool looks_typed = j.str().empty() || j.str() == "true" || j.str() == "No" ||
                       j.str() == "null" || std::isdigit(static_cast<unsigned char>(j.str()[0]));
    if (looks_typed && j.str() != "100m") EXPECT_FALSE(plain) << where << " must be quoted";
  } else {
    EXPECT_EQ(y.Scalar(), j.dump()) << where;
  }
}

TEST(YamlText, ReadsBackAsTheSameValuesWithAmbiguousStringsQuoted) {
  Json v = Json::Object{
      {"plain", "web-0"},
      {"numeric", "8080"},
      {"address", "0.0.0.0"},
      {"yes-word", "No"},
      {"bool-word", "true"},
      {"null-word", "null"},
      {"empty", ""},
      {"quantity", "100m"},
      {"colon", "a: b # not a comment"},
      {"quote", "say \"hi\"\n\ttab"},
      {"number", 3},
      {"flag", false},
      {"empty-map", Json::object()},
      {"empty-list", Json::array()},
      {"8080", "a numeric key"},
      {"list", Json::Array{"x", Json::Array{"nested", "seq"}, Json::Object{{"k", 1}, {"l", "v"}},
                           Json::Object{{"deep", Json::Array{Json::Object{{"a", "b"}}}}}}}};
  std::string text = yaml_text(v);
  YAML::Node y = YAML::Load(text);
  expect_same(v, y, "");
}

TEST(DeployManifests, KeepExpressionFromNamespacesAndPodRegex) {
  DeploySettings s;
  EXPECT_EQ(keep_expression(s), "");
  s.namespaces = {"shop"};
  EXPECT_EQ(keep_expression(s), R"(src.namespace == "shop" or dst.namespace == "shop")");
  s.pod_regex = R"(^web-\d+"$)";
  EXPECT_EQ(keep_expression(s),
            R"((src.namespace == "shop" or dst.namespace == "shop") and )"
            R"((src.name.matches("^web-\\d+\"$") or dst.name.matches("^web-\\d+\"$")))");
  s.namespaces.clear();
  EXPECT_EQ(keep_expression(s),
            R"(src.name.matches("^web-\\d+\"$") or dst.name.matches("^web-\\d+\"$"))");
}

TEST(DeployManifests, TokensAreRandomLettersAndDigits) {
  std::string a = generate_token(), b = generate_token();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  for (char c : a + b) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
}

TEST(DeployManifests, EveryObjectIsLabelledAndNamespacedWhereItShouldBe) {
  DeploySettings s;
  s.namespace_ = "observability";
  s.create_namespace = false;
  auto objects = manifests(s);
  ASSERT_EQ(objects.size(), 8u);  // no Namespace
  for (const Json& o : objects) {
    const Json* meta = o.find("metadata");
    ASSERT_TRUE(meta);
    EXPECT_EQ(meta->find("labels")->find(kManagedByLabel)->str(), kManagedByValue);
    std::string kind = o.find("kind")->str();
    bool cluster_scoped = kind == "ClusterRole" || kind == "ClusterRoleBinding";
    EXPECT_EQ(meta->find("namespace") == nullptr, cluster_scoped) << kind;
    if (!cluster_scoped) EXPECT_EQ(meta->find("namespace")->str(), "observability");
    EXPECT_TRUE(meta->find("name")->str().starts_with("observability-")) << kind;
  }
}

}  // namespace
}  // namespace trawl::kube

namespace trawl::kube {
namespace {

TEST(DeployManifests, EveryObjectHasItsRestPath) {
  DeploySettings s;
  std::vector<std::string> paths;
  for (const Json& o : manifests(s)) paths.push_back(object_path(o));
  EXPECT_EQ(paths,
            (std::vector<std::string>{
                "/api/v1/namespaces/trawl", "/api/v1/namespaces/trawl/serviceaccounts/trawl-worker",
                "/api/v1/namespaces/trawl/serviceaccounts/trawl-hub",
                "/api/v1/namespaces/trawl/secrets/trawl-token",
                "/apis/rbac.authorization.k8s.io/v1/clusterroles/trawl-hub",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/trawl-hub",
                "/api/v1/namespaces/trawl/services/trawl-hub",
                "/apis/apps/v1/namespaces/trawl/deployments/trawl-hub",
                "/apis/apps/v1/namespaces/trawl/daemonsets/trawl-worker"}));
  EXPECT_EQ(object_path(Json::Object{{"kind", "ConfigMap"}}), "");
}

}  // namespace
}  // namespace trawl::kube
