// load_model on legacy Keras H5 files (io/keras_legacy_model.h): the tf_keras 2.21 fixture (tests/io/data,
// make_files.py: Dense(3, relu) -> Dense(2), weights 0, 1/8, 2/8, ... in order, SGD(0.5), mse) comes back with its
// architecture, weights and compile config; Keras 2 configs that nabla cannot honour fail naming the file and
// entry. io.interop.tf_keras_h5 checks trained Sequential and functional models against tf_keras itself.
#include <vector>

#include "nabla/io/keras_legacy_model.h"
#include "nabla/io/model_file.h"
#include "nabla/nabla.h"
#include "test_util.h"

namespace nabla {
namespace {

using testing::expect_error_contains;
const std::string kData = std::string(NABLA_TESTS_DIR) + "/io/data/";

std::vector<float> counting(int64_t n, int64_t from) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(float(from + i) / 8.0f);
  return v;
}

TEST(LegacyKerasModel, LoadsTheFileTfKerasWrote) {
  std::shared_ptr<Model> m = load_model(kData + "tf_keras_sequential.h5");
  ASSERT_TRUE(m->compiled());
  const std::string loss = losses::serialize(m->loss()).dump();
  EXPECT_TRUE(loss.find("mean_squared_error") != std::string::npos || loss.find("MeanSquaredError") != std::string::npos)
      << loss;
  EXPECT_EQ(m->optimizer().class_name(), "SGD");
  EXPECT_DOUBLE_EQ(m->optimizer().learning_rate(), 0.5);
  auto w = m->get_weights();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].to_vector<float>(), counting(12, 0));
  EXPECT_EQ(w[1].to_vector<float>(), counting(3, 12));
  EXPECT_EQ(w[2].to_vector<float>(), counting(6, 15));
  EXPECT_EQ(w[3].to_vector<float>(), counting(2, 21));
  // y = relu(x K1 + b1) K2 + b2 for x = [1, 0, 0, 0]: relu(K1[0] + b1) = [1.5, 1.75, 2]
  Tensor y = m->predict(Tensor::from_vector(std::vector<float>{1, 0, 0, 0}, Shape{1, 4}));
  const std::vector<float> h{12 / 8.0f + 0 / 8.0f, 13 / 8.0f + 1 / 8.0f, 14 / 8.0f + 2 / 8.0f};
  for (int j = 0; j < 2; ++j) {
    float e = 21 / 8.0f + j / 8.0f;
    for (int i = 0; i < 3; ++i) e += h[size_t(i)] * float(15 + i * 2 + j) / 8.0f;
    EXPECT_FLOAT_EQ(y.to_vector<float>()[size_t(j)], e) << j;
  }
  EXPECT_FALSE(load_model(kData + "tf_keras_sequential.h5", {.compile = false})->compiled());
}

TEST(LegacyKerasModel, UpgradesKeras2Configs) {
  using json = nlohmann::json;
  json fn = json::parse(R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
       "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "a"}},
      {"class_name": "Dense", "name": "d", "inbound_nodes": [[["a", 0, 0, {}]]],
       "config": {"name": "d", "units": 2, "dtype": "float32", "activation": "linear"}},
      {"class_name": "Concatenate", "name": "c", "inbound_nodes": [[["a", 0, 0, {}], ["d", 0, 0, {}]]],
       "config": {"name": "c", "axis": -1, "dtype": "float32"}}],
      "input_layers": [["a", 0, 0]], "output_layers": [["c", 0, 0]]}})");
  json up = io::upgrade_keras2_model_config(fn, "f.h5");
  EXPECT_EQ(up["config"]["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"], json({"a", 0, 0}));
  EXPECT_EQ(up["config"]["layers"][2]["inbound_nodes"][0]["args"][0].size(), 2u);  // one list argument
  std::shared_ptr<Model> m = deserialize_model(up);
  EXPECT_EQ(m->predict(Tensor::ones({3, 4})).shape(), Shape({3, 6}));

  json kw = fn;
  kw["config"]["layers"][1]["inbound_nodes"] = json::parse(R"([[["a", 0, 0, {"training": true}]]])");
  expect_error_contains<ValueError>([&] { io::upgrade_keras2_model_config(kw, "kw.h5"); },
                                    {"kw.h5", "layer 'd' (Dense)", "training"});
  json multi_axis = json::parse(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [1, 2], "batch_input_shape": [null, 2, 2]}}]}})");
  expect_error_contains<ValueError>([&] { io::upgrade_keras2_model_config(multi_axis, "bn.h5"); },
                                    {"bn.h5", "layer 'bn' (BatchNormalization)", "[1,2]"});
  // A value of the wrong type (a layer name that is a list; keras2_model_config_fuzz, tfjs_topology_fuzz) is a
  // ValueError naming the file, not the JSON library's type_error.
  json list_name = json::parse(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Dense", "config": {"name": [null, 5], "units": 2, "batch_input_shape": [null, 3]}}]}})");
  expect_error_contains<ValueError>([&] { io::upgrade_keras2_model_config(list_name, "list.h5"); },
                                    {"list.h5", "malformed config"});
  expect_error_contains<ValueError>([&] { io::build_keras2_model(list_name, "list.h5"); }, {"list.h5"});
}

TEST(LegacyKerasModel, BadFilesNameTheFileAndEntry) {
  Sequential s({layers::Dense(3, "relu", {.input_shape = {4}})});
  s.compile("sgd", "mse");
  const std::string weights = testing::temp_dir() + "/w.weights.h5";
  s.save_weights(weights);
  expect_error_contains<IOError>([&] { load_model(weights); }, {"w.weights.h5", "legacy Keras H5"});
  expect_error_contains<IOError>([&] { load_model(testing::temp_dir() + "/missing.h5"); }, {"missing.h5"});
}

}  // namespace
}  // namespace nabla
