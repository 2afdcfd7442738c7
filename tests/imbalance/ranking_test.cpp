// metrics::roc_auc_score and average_precision_score against scikit-learn's values for the same inputs
// (tests/imbalance/make_ranking_fixtures.py wrote ranking_fixtures.json with scikit-learn 1.2.1).
#include <fstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace nabla {
namespace {

using namespace metrics;

nlohmann::json fixtures() {
  std::ifstream f(std::string(NABLA_TESTS_DIR) + "/imbalance/ranking_fixtures.json");
  EXPECT_TRUE(f.good()) << "ranking_fixtures.json missing";
  return nlohmann::json::parse(f);
}

Tensor vec(const nlohmann::json& j) { return Tensor::from_vector<double>(j.get<std::vector<double>>()); }

TEST(RankingScores, MatchScikitLearnExactly) {
  nlohmann::json all = fixtures();
  ASSERT_GE(all["cases"].size(), 8u);
  for (const auto& c : all["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    Tensor y, s, w;
    RankingOptions o;
    if (c.contains("class_id")) {
      o.class_id = c["class_id"].get<int64_t>();
      y = Tensor::from_vector<int64_t>(c["y_true"].get<std::vector<int64_t>>());
      auto rows = c["y_score"].get<std::vector<std::vector<double>>>();
      std::vector<double> flat;
      for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
      s = Tensor::from_vector<double>(flat, Shape{int64_t(rows.size()), int64_t(rows[0].size())});
    } else {
      y = vec(c["y_true"]);
      s = vec(c["y_score"]);
    }
    if (c.contains("sample_weight")) w = vec(c["sample_weight"]);
    EXPECT_NEAR(roc_auc_score(y, s, o, w), c["roc_auc"].get<double>(), 1e-12);
    EXPECT_NEAR(average_precision_score(y, s, o, w), c["average_precision"].get<double>(), 1e-12);
  }
}

TEST(RankingScores, DifferFromKerasThresholdedAucWhereScoresCrowd) {
  // The skewed, confident classifier of the fixtures: the streaming AUC metric (Keras's 200 thresholds) puts most
  // scores of both classes in one bucket and reports about 0.79; the exact area is 0.967.
  nlohmann::json c = fixtures()["cases"][0];
  ASSERT_EQ(c["name"], "skewed_confident");
  Tensor y = vec(c["y_true"]), s = vec(c["y_score"]).to(f32);
  EXPECT_NEAR(roc_auc_score(y, s), c["roc_auc"].get<double>(), 1e-12);
  EXPECT_LT(keras_auc_score(y, s), c["roc_auc"].get<double>() - 0.1);
}

TEST(RankingScores, BadInputsAreNamed) {
  Tensor s = Tensor::from_vector<float>({0.1f, 0.9f, 0.4f});
  testing::expect_error_contains<ValueError>([&] { roc_auc_score(Tensor::from_vector<float>({1, 1, 1}), s); },
                                             {"only one class"});
  testing::expect_error_contains<ValueError>([&] { roc_auc_score(Tensor::from_vector<float>({0, 2, 1}), s); },
                                             {"index 1", "class_id"});
  testing::expect_error_contains<ValueError>(
      [&] { average_precision_score(Tensor::from_vector<float>({0, 1}), Tensor::zeros({2, 3})); }, {"class_id"});
  testing::expect_error_contains<ValueError>(
      [&] { roc_auc_score(Tensor::from_vector<float>({0, 1, 0}), Tensor::from_vector<float>({0.1f, NAN, 0.2f})); },
      {"not finite"});
  // No positives: sklearn warns and returns 0 for average precision.
  EXPECT_EQ(average_precision_score(Tensor::from_vector<float>({0, 0, 0}), s), 0.0);
}

}  // namespace
}  // namespace nabla
