// Versions on disk: policies, labels, a failed load leaving the serving version, unloading, readiness.
#include "nabla/serve/model_manager.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "nabla/serve/serve_error.h"
#include "serve_test_util.h"

namespace nabla::serve {
namespace {

namespace fs = std::filesystem;
using testing::save_version;
using testing::small_model;

ModelConfig config(const std::string& base, VersionPolicy policy = {}) {
  ModelConfig c;
  c.name = "m";
  c.base_path = base;
  c.version_policy = policy;
  return c;
}

std::string state_of(const ModelManager& mm, int64_t v) {
  return mm.model_status("m", {v, std::nullopt})["model_version_status"][0]["state"].get<std::string>();
}

struct ModelManagerDisk : ::testing::Test {
  ModelManagerDisk() : base(nabla::testing::temp_dir() + "/models") {
    save_version(*small_model(), base, 1);
    save_version(*small_model(), base, 2);
    fs::create_directories(base + "/tmp");       // ignored: not an integer
    fs::create_directories(base + "/3a");        // ignored
  }
  std::string base;
};

TEST_F(ModelManagerDisk, LatestLoadsTheNewestOnly) {
  ModelManager mm({config(base)});
  std::string why;
  EXPECT_FALSE(mm.ready(&why));
  EXPECT_NE(why.find("loading its first versions"), std::string::npos);
  mm.poll_once();
  EXPECT_TRUE(mm.ready());
  EXPECT_EQ(mm.servable("m", {})->version(), 2);
  EXPECT_EQ(mm.model_status("m", {})["model_version_status"].size(), 1u);
  EXPECT_THROW(mm.servable("m", {1, std::nullopt}), ServeError);
}

TEST_F(ModelManagerDisk, AllSpecificAndLabels) {
  VersionPolicy all;
  all.kind = VersionPolicy::Kind::kAll;
  ModelConfig c = config(base, all);
  c.version_labels = {{"stable", 1}, {"canary", 2}};
  ModelManager mm({c});
  mm.poll_once();
  EXPECT_EQ(mm.servable("m", {})->version(), 2);
  EXPECT_EQ(mm.servable("m", {std::nullopt, "stable"})->version(), 1);
  EXPECT_EQ(mm.servable("m", {std::nullopt, "canary"})->version(), 2);
  try {
    mm.servable("m", {std::nullopt, "beta"});
    ADD_FAILURE();
  } catch (const ServeError& e) {
    EXPECT_EQ(e.code, StatusCode::kNotFound);
  }
  VersionPolicy specific;
  specific.kind = VersionPolicy::Kind::kSpecific;
  specific.versions = {1};
  ModelManager ms({config(base, specific)});
  ms.poll_once();
  EXPECT_EQ(ms.servable("m", {})->version(), 1);
}

TEST_F(ModelManagerDisk, FailedVersionLeavesTheServingOneThenANewFileIsRetried) {
  ModelManager mm({config(base)});
  mm.poll_once();
  fs::create_directories(base + "/3");
  std::ofstream(base + "/3/model.keras") << "not a zip";
  mm.poll_once();
  EXPECT_EQ(state_of(mm, 3), "END");
  const auto st = mm.model_status("m", {3, std::nullopt})["model_version_status"][0]["status"];
  EXPECT_EQ(st["error_code"], "UNKNOWN");
  EXPECT_NE(st["error_message"].get<std::string>().find("model.keras"), std::string::npos) << st;
  EXPECT_EQ(mm.servable("m", {})->version(), 2);  // still served
  EXPECT_EQ(state_of(mm, 2), "AVAILABLE");
  EXPECT_TRUE(mm.ready());

  fs::remove_all(base + "/3");
  save_version(*small_model(), base, 3);
  mm.poll_once();
  EXPECT_EQ(state_of(mm, 3), "AVAILABLE");
  EXPECT_EQ(state_of(mm, 2), "END");  // unloaded once 3 serves
  EXPECT_EQ(mm.servable("m", {})->version(), 3);

  // The newest removed: the one before it comes back.
  fs::remove_all(base + "/3");
  mm.poll_once();
  EXPECT_EQ(mm.servable("m", {})->version(), 2);
  EXPECT_EQ(state_of(mm, 3), "END");
}

TEST_F(ModelManagerDisk, UnloadedServableFinishesItsRequests) {
  ModelManager mm({config(base)});
  mm.poll_once();
  std::shared_ptr<Servable> held = mm.servable("m", {});
  save_version(*small_model(), base, 5);
  mm.poll_once();
  EXPECT_EQ(state_of(mm, 2), "END");
  // A request that took version 2 before the unload still runs on it.
  auto out = held->predict({Tensor::ones(Shape{1, 4})});
  EXPECT_EQ(out[0].shape(), (Shape{1, 3}));
}

TEST_F(ModelManagerDisk, BatchingAndMetricsThroughTheManager) {
  Metrics metrics;
  ManagerOptions o;
  BatchingParameters& bp = o.batching.emplace();  // (not a copy of a temporary: GCC 12 -O1 warns on that)
  bp.max_batch_size = 8;
  bp.allowed_batch_sizes = {2, 8};
  o.metrics = &metrics;
  ModelManager mm({config(base)}, o);
  mm.poll_once();
  auto out = mm.servable("m", {})->predict({Tensor::ones(Shape{3, 4})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 3}));
  const std::string text = metrics.prometheus_text(mm.prometheus_gauges());
  EXPECT_NE(text.find("nabla_serve_padded_batch_size_bucket{model=\"m\",version=\"2\",le=\"8\"}"), std::string::npos);
  EXPECT_NE(text.find("nabla_serve_batch_queue_depth{model=\"m\",version=\"2\"} 0"), std::string::npos) << text;
}

}  // namespace
}  // namespace nabla::serve
