#include <sstream>

#include "debug/debug_test_util.h"

namespace nabla {
namespace {

const debug::DataIssue* issue(const debug::DataReport& r, const std::string& kind) {
  for (const auto& i : r.issues)
    if (i.kind == kind) return &i;
  return nullptr;
}

TEST(DataChecks, CleanDataHasNoIssues) {
  manual_seed(1);
  Tensor x = Tensor::uniform({100, 4}, 0, 1);
  Tensor y = Tensor::from_vector(std::vector<int64_t>(100, 0));
  for (int64_t i = 0; i < 100; ++i) y.data<int64_t>()[i] = i % 3;
  debug::DataReport r = debug::check_dataset(x, y, {.num_classes = 3});
  EXPECT_TRUE(r.ok()) << r.str();
  EXPECT_EQ(r.class_counts.at(0), 34);
  EXPECT_EQ(r.class_counts.at(2), 33);
}

TEST(DataChecks, FindsNonFiniteFeaturesWithTheirPosition) {
  Tensor x = Tensor::ones({5, 3});
  x.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
  auto r = debug::check_dataset(x, Tensor(), {.classification = false});
  const auto* i = issue(r, "non_finite_features");
  ASSERT_NE(i, nullptr) << r.str();
  EXPECT_EQ(i->severity, debug::Severity::error);
  EXPECT_NE(i->message.find("1 NaN and 0 Inf values (first at sample 2, feature 1)"), std::string::npos) << i->message;
}

TEST(DataChecks, FindsLabelsOutOfRangeAndOfTheWrongType) {
  Tensor x = Tensor::uniform({4, 2}, 0, 1);
  auto r = debug::check_dataset(x, Tensor::from_vector(std::vector<int64_t>{0, 1, 10, -1}), {.num_classes = 10});
  const auto* i = issue(r, "label_out_of_range");
  ASSERT_NE(i, nullptr) << r.str();
  EXPECT_NE(i->message.find("2 labels are outside [0, 10) (max label 10, first bad at sample 2)"), std::string::npos)
      << i->message;
  auto r2 = debug::check_dataset(x, Tensor::from_vector(std::vector<float>{0.5f, 1, 0, 2}), {.num_classes = 3});
  EXPECT_TRUE(r2.has("label_not_integer")) << r2.str();
}

TEST(DataChecks, UnscaledPixelsSuggestDividingBy255) {
  Tensor x = Tensor::uniform({50, 6}, 0, 255);
  auto r = debug::check_dataset(x, Tensor(), {.classification = false});
  const auto* i = issue(r, "features_not_scaled");
  ASSERT_NE(i, nullptr) << r.str();
  EXPECT_NE(i->message.find("divide by 255"), std::string::npos) << i->message;
}

TEST(DataChecks, ConstantFeaturesAndClassImbalance) {
  Tensor x = Tensor::uniform({40, 3}, 0, 1);
  for (int64_t r = 0; r < 40; ++r) x.data<float>()[r * 3 + 1] = 0.5f;
  std::vector<int64_t> labels(40, 0);
  labels[0] = labels[1] = 1;
  auto r = debug::check_dataset(x, Tensor::from_vector(labels), {.num_classes = 2});
  const auto* c = issue(r, "constant_features");
  ASSERT_NE(c, nullptr) << r.str();
  EXPECT_NE(c->message.find("1 of 3 features are constant (first: feature 1)"), std::string::npos) << c->message;
  const auto* im = issue(r, "class_imbalance");
  ASSERT_NE(im, nullptr) << r.str();
  EXPECT_NE(im->message.find("class 0 has 38 samples, class 1 has 2"), std::string::npos) << im->message;
  EXPECT_NE(im->message.find("class_weight"), std::string::npos);
}

TEST(DataChecks, WorksOnAPipeline) {
  Tensor x = Tensor::uniform({64, 2}, 0, 255);
  Tensor y = Tensor::from_vector(std::vector<int64_t>(64, 1));
  auto ds = data::Dataset::from_tensor_slices(x, y).batch(16);
  auto r = debug::check_dataset(ds, {.num_classes = 2});
  EXPECT_EQ(r.samples, 64);
  EXPECT_TRUE(r.has("features_not_scaled")) << r.str();
  EXPECT_EQ(r.class_counts.at(1), 64);
}

TEST(DataChecks, FitWarnsAboutUnscaledInputsBeforeTraining) {
  std::ostringstream warn;
  debug::set_fit_data_checks(true, &warn);
  manual_seed(2);
  Sequential m({layers::Dense(3, "softmax", {.input_shape = {4}})});
  m.compile("sgd", "sparse_categorical_crossentropy");
  Tensor x = Tensor::uniform({16, 4}, 0, 255);
  Tensor y = Tensor::from_vector(std::vector<int64_t>(16, 2));
  m.fit(x, y, {.epochs = 1, .batch_size = 16, .verbose = 0});
  debug::set_fit_data_checks(true, &std::cerr);
  EXPECT_NE(warn.str().find("Warning: data check [features_not_scaled]"), std::string::npos) << warn.str();
}

// Token ids into an Embedding are not unscaled features, and per-step class ids [N, T] are not one-hot rows: fit on
// a sequence-labelling model warns about neither (it did: "features not scaled", and an imbalance between the
// "argmax" columns of the id rows).
TEST(DataChecks, FitOnTokenIdsAndPerStepLabelsHasNoFalseWarnings) {
  std::ostringstream warn;
  debug::set_fit_data_checks(true, &warn);
  manual_seed(3);
  Sequential m({layers::Embedding(50, 4, {.input_shape = {5}}), layers::Dense(10, "softmax")});
  m.compile("adam", "sparse_categorical_crossentropy");
  std::vector<int64_t> ids(64 * 5), labels(64 * 5);
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = int64_t(i * 7 % 50);
    labels[i] = int64_t(i % 10);
  }
  Tensor x = Tensor::from_vector(ids).reshape({64, 5});
  Tensor y = Tensor::from_vector(labels).reshape({64, 5});
  m.fit(x, y, {.epochs = 1, .batch_size = 32, .verbose = 0});
  debug::set_fit_data_checks(true, &std::cerr);
  EXPECT_EQ(warn.str(), "");
  // The checks still run on such labels: an id past the output's 10 classes is reported.
  debug::DataCheckOptions o{.num_classes = 10, .check_scaling = false, .sparse_labels = true};
  labels[7] = 12;
  auto r = debug::check_dataset(x, Tensor::from_vector(labels).reshape({64, 5}), o);
  ASSERT_NE(issue(r, "label_out_of_range"), nullptr) << r.str();
  EXPECT_FALSE(r.has("features_not_scaled"));
}

}  // namespace
}  // namespace nabla
