#include <filesystem>
#include <fstream>
#include <iterator>

#include "test_util.h"

namespace nabla {
namespace {

std::unique_ptr<Sequential> mlp(int64_t hidden = 8) {
  auto m = std::make_unique<Sequential>(
      std::vector<nn::LayerPtr>{layers::Dense(hidden, "relu", {.input_shape = {3}}), layers::Dense(2)});
  m->build_if_possible();
  return m;
}

TEST(WeightsIO, RoundTripRestoresIdenticalWeights) {
  manual_seed(3);
  auto a = mlp();
  auto b = mlp();
  std::string path = testing::temp_dir() + "/sub/dir/m.weights";
  a->save_weights(path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  Tensor x = Tensor::uniform({5, 3}, -1, 1);
  EXPECT_GT(nabla::abs((*a)(x) - (*b)(x)).sum().item(), 0.0);  // different initialisations
  b->load_weights(path);
  auto wa = a->get_weights(), wb = b->get_weights();
  ASSERT_EQ(wa.size(), 4u);
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_EQ(wa[i].to_vector<float>(), wb[i].to_vector<float>());
  EXPECT_EQ((*a)(x).to_vector<float>(), (*b)(x).to_vector<float>());
}

TEST(WeightsIO, ShapeMismatchNamesWeightAndBothShapes) {
  auto a = mlp(8);
  auto b = mlp(4);
  std::string path = testing::temp_dir() + "/m.weights";
  a->save_weights(path);
  auto before = b->get_weights();
  testing::expect_error_contains<ShapeError>([&] { b->load_weights(path); },
                                             {b->layers()[0]->name() + "/kernel", "(3, 4)", "(3, 8)"});
  // Nothing was written on failure.
  EXPECT_EQ(b->get_weights()[0].to_vector<float>(), before[0].to_vector<float>());
}

TEST(WeightsIO, CountMismatchAndBadFilesAreReported) {
  auto a = mlp();
  Sequential one({layers::Dense(2, "", {.input_shape = {3}})});
  one.build_if_possible();
  std::string dir = testing::temp_dir();
  a->save_weights(dir + "/a.w");
  testing::expect_error_contains<ShapeError>([&] { one.load_weights(dir + "/a.w"); }, {"holds 4 weights", "has 2"});

  std::ofstream(dir + "/junk.w") << "this is not a weights file";
  testing::expect_error_contains<IOError>([&] { a->load_weights(dir + "/junk.w"); }, {"bad magic"});
  testing::expect_error_contains<IOError>([&] { a->load_weights(dir + "/missing.w"); }, {"cannot open"});

  auto size = std::filesystem::file_size(dir + "/a.w");
  std::filesystem::resize_file(dir + "/a.w", size - 4);
  testing::expect_error_contains<IOError>([&] { a->load_weights(dir + "/a.w"); }, {"truncated"});
}

TEST(WeightsIO, ConfigIsRecordedWhenAskedAndIgnoredOnLoad) {
  auto a = mlp();
  a->compile("rmsprop", "mse");
  std::string path = testing::temp_dir() + "/full.weights";
  save_weights(*a, path, true);
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("\"config\""), std::string::npos);
  EXPECT_NE(bytes.find("\"RMSprop\""), std::string::npos);
  // Each layer's Keras config (Layer::get_config).
  EXPECT_NE(bytes.find("\"activation\":\"relu\""), std::string::npos);
  EXPECT_NE(bytes.find("\"units\":8"), std::string::npos);
  auto b = mlp();
  b->load_weights(path);
  EXPECT_EQ(b->get_weights()[2].to_vector<float>(), a->get_weights()[2].to_vector<float>());
}

TEST(WeightsIO, UnbuiltModelIsReported) {
  Sequential m({layers::Dense(2)});
  testing::expect_error_contains<Error>([&] { m.save_weights(testing::temp_dir() + "/x.w"); }, {"not built"});
}

TEST(WeightsIO, SetWeightsChecksShapes) {
  auto a = mlp();
  auto w = a->get_weights();
  w[1] = Tensor::zeros({7});
  testing::expect_error_contains<ShapeError>([&] { a->set_weights(w); }, {"/bias", "(8,)", "(7,)"});
}

}  // namespace
}  // namespace nabla
