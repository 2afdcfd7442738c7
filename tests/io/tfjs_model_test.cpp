// save_model / load_model on TF.js Layers files (io/tfjs_model.h) inside nabla: models come back predicting
// identically with their optimizer state, and bad files fail naming the file and the entry.
// io.interop.tfjs_model checks the same files against TF.js 4.22 itself.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nabla/io/model_file.h"
#include "nabla/nabla.h"
#include "test_util.h"

namespace nabla {
namespace {

using testing::expect_error_contains;

std::shared_ptr<Sequential> trained_cnn(optim::OptimizerPtr opt) {
  manual_seed(3);
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Conv2D(4, 3, "relu", {.input_shape = {8, 8, 1}}), layers::MaxPooling2D(), layers::BatchNormalization(),
      layers::Dropout(0.25), layers::Flatten(), layers::Dense(3, "softmax")});
  m->compile(opt, "sparse_categorical_crossentropy", {"accuracy"});
  Tensor x = Tensor::uniform({16, 8, 8, 1}, 0, 1), y = Tensor::zeros({16}, i64);
  m->fit(x, y, {.epochs = 1, .batch_size = 8, .verbose = 0});
  return m;
}

TEST(TfjsModel, RoundTripsPredictionsAndAdamState) {
  auto m = trained_cnn(std::make_shared<optim::Adam>(0.01));
  const std::string dir = testing::temp_dir() + "/tfjs_cnn";
  save_model(*m, dir + "/");  // a directory
  ASSERT_TRUE(std::filesystem::exists(dir + "/model.json"));
  auto loaded = load_model(dir);
  Tensor x = Tensor::uniform({4, 8, 8, 1}, 0, 1);
  EXPECT_EQ(m->predict(x).to_vector<float>(), loaded->predict(x).to_vector<float>());
  ASSERT_TRUE(loaded->compiled());
  EXPECT_EQ(loaded->optimizer().class_name(), "Adam");
  EXPECT_EQ(loaded->optimizer().iterations(), m->optimizer().iterations());
  auto a = m->optimizer().variables(m->trainable_weights()), b = loaded->optimizer().variables(loaded->trainable_weights());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 2; i < a.size(); ++i) EXPECT_EQ(a[i].second.to_vector<float>(), b[i].second.to_vector<float>()) << i;
  EXPECT_FALSE(load_model(dir + "/model.json", {.compile = false})->compiled());
}

TEST(TfjsModel, SgdMomentumIsScaledToTfjsAccumulations) {
  auto m = trained_cnn(std::make_shared<optim::SGD>(0.1, 0.9));
  const std::string path = testing::temp_dir() + "/sgd/model.json";
  save_model(*m, path);
  nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
  EXPECT_EQ(j["trainingConfig"]["optimizer_config"]["class_name"], "Momentum");
  auto loaded = load_model(path);
  auto a = m->optimizer().variables(m->trainable_weights()), b = loaded->optimizer().variables(loaded->trainable_weights());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 2; i < a.size(); ++i) {
    auto va = a[i].second.to_vector<float>(), vb = b[i].second.to_vector<float>();
    for (size_t k = 0; k < va.size(); ++k) EXPECT_NEAR(va[k], vb[k], 1e-6f * (1 + std::abs(va[k])));
  }
}

TEST(TfjsModel, BadFilesNameTheFileAndEntry) {
  auto m = trained_cnn(std::make_shared<optim::Adam>(0.01));
  const std::string dir = testing::temp_dir() + "/bad";
  save_model(*m, dir + "/model.json");
  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir + "/model.json"));
  // A weight renamed: the layer's weight is missing.
  j["weightsManifest"][0]["weights"][0]["name"] = "conv2d_x/kernel";
  std::ofstream(dir + "/renamed.json") << j.dump();
  expect_error_contains<IOError>([&] { load_model(dir + "/renamed.json"); }, {"renamed.json", "weightsManifest",
                                                                              "/kernel", "Conv2D"});
  // An unknown layer class.
  nlohmann::json k = nlohmann::json::parse(std::ifstream(dir + "/model.json"));
  k["modelTopology"]["config"]["layers"][1]["class_name"] = "Frobnicate";
  std::ofstream(dir + "/unknown.json") << k.dump();
  expect_error_contains<ValueError>([&] { load_model(dir + "/unknown.json"); }, {"unknown.json", "Frobnicate"});
  // A file where a directory is expected.
  std::ofstream(dir + "/plain") << "x";
  expect_error_contains<IOError>([&] { load_model(dir + "/plain/"); }, {"plain"});
}

}  // namespace
}  // namespace nabla
