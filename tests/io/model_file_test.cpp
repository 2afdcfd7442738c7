// save_model / load_model (io/model_file.h) within nabla: predictions survive bit for bit, training resumes
// exactly (optimizer state included), and bad files fail naming the file and entry. io.interop.keras3_model checks
// the same files against the real Keras.
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "nabla/core/parallel.h"
#include "nabla/io/keras_archive.h"
#include "nabla/io/model_file.h"
#include "nabla/nabla.h"
#include "test_util.h"

namespace nabla {
namespace {

using testing::expect_error_contains;

std::string tmp_path(const std::string& name) {
  // Per process: the release and debug builds' tests may run at once.
  auto dir = std::filesystem::temp_directory_path() / ("nabla_model_file_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void expect_identical(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  EXPECT_EQ(0, std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes())) << what;
}

void expect_same_weights(const Model& a, const Model& b) {
  auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) expect_identical(wa[i], wb[i], "weight " + std::to_string(i));
}

std::shared_ptr<Sequential> mlp() {
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Dense(8, "relu", {.input_shape = {5}}), layers::BatchNormalization(), layers::Dense(3, "softmax")});
  m->compile(std::make_shared<optim::Adam>(0.01), "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

struct Data {
  Tensor x, y;
};
Data data() {
  manual_seed(3);
  Tensor x = Tensor::uniform({32, 5}, -1, 1);
  Tensor y = Tensor::empty({32}, i64);
  for (int64_t i = 0; i < 32; ++i) y.data<int64_t>()[i] = i % 3;
  return {x, y};
}

TEST(ModelFile, SequentialRoundTripPredictsAndResumesExactly) {
  set_num_threads(1);
  Data d = data();
  manual_seed(1);
  auto m = mlp();
  m->fit(d.x, d.y, {.epochs = 2, .batch_size = 8, .verbose = 0, .shuffle = false});
  const std::string path = tmp_path("mlp.keras");
  m->save(path);

  auto back = load_model(path);
  ASSERT_TRUE(back->compiled());
  EXPECT_NE(dynamic_cast<Sequential*>(back.get()), nullptr);
  const Tensor saved = m->predict(d.x, {.verbose = 0});
  expect_identical(back->predict(d.x, {.verbose = 0}), saved, "predictions");
  EXPECT_EQ(back->optimizer().iterations(), 8);
  EXPECT_EQ(back->optimizer().learning_rate(), 0.01);
  EXPECT_EQ(back->evaluate(d.x, d.y, {.verbose = 0}).values, m->evaluate(d.x, d.y, {.verbose = 0}).values);

  // Continued training from the file equals continued training of the original (Adam's moments, iterations).
  m->fit(d.x, d.y, {.epochs = 1, .batch_size = 8, .verbose = 0, .shuffle = false});
  back->fit(d.x, d.y, {.epochs = 1, .batch_size = 8, .verbose = 0, .shuffle = false});
  expect_same_weights(*m, *back);

  auto plain = load_model(path, {.compile = false});
  EXPECT_FALSE(plain->compiled());
  expect_identical(plain->predict(d.x, {.verbose = 0}), saved, "uncompiled load");
}

TEST(ModelFile, KerasPathsAndCompileConfig) {
  Data d = data();
  auto m = mlp();
  m->fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0});
  const std::string path = tmp_path("paths.keras");
  save_model(*m, path);
  io::KerasArchive a = io::read_keras_archive(path);
  // Keras names the paths by class, counted per class; the layer's own name is the vars group's name.
  EXPECT_EQ(a.weights.at("layers/dense").size(), 2u);
  EXPECT_EQ(a.weights.at("layers/batch_normalization").size(), 4u);
  EXPECT_EQ(a.weights.objects.at("layers/dense_1").name, m->layers()[2]->name());
  // iterations, learning rate, then Adam's momentum and velocity of each of the 6 trainable weights.
  EXPECT_EQ(a.weights.optimizer().size(), 2u + 12u);
  EXPECT_EQ(a.weights.optimizer()[0].item(), 2);
  const auto& cc = a.config.at("compile_config");
  EXPECT_EQ(cc.at("optimizer").at("class_name"), "Adam");
  EXPECT_EQ(cc.at("loss").at("class_name"), "SparseCategoricalCrossentropy");
  EXPECT_EQ(cc.at("metrics").size(), 1u);
  EXPECT_EQ(a.config.at("build_config").at("input_shape"), nlohmann::json::parse("[null, 5]"));

  save_model(*m, tmp_path("no_opt.keras"), {.include_optimizer = false});
  io::KerasArchive b = io::read_keras_archive(tmp_path("no_opt.keras"));
  EXPECT_FALSE(b.config.contains("compile_config"));
  EXPECT_FALSE(b.weights.contains("optimizer"));
  EXPECT_FALSE(load_model(tmp_path("no_opt.keras"))->compiled());
}

TEST(ModelFile, FunctionalWithSharedLayerAndTwoOutputs) {
  set_num_threads(1);
  manual_seed(5);
  auto a = Input({4}, "a"), b = Input({4}, "b");
  auto shared = layers::Dense(6, "tanh");
  auto h = apply_layer(layers::Concatenate(), {apply_layer(shared, a), apply_layer(shared, b)});
  Functional f({a, b}, {apply_layer(layers::Dense(1), h), apply_layer(layers::Dense(2), h)}, "two");
  f.compile(std::make_shared<optim::Adam>(0.005), "mse", {"mae"});
  Tensor xa = Tensor::uniform({16, 4}, -1, 1), xb = Tensor::uniform({16, 4}, -1, 1);
  Tensor y1 = Tensor::uniform({16, 1}, -1, 1), y2 = Tensor::uniform({16, 2}, -1, 1);
  f.fit({xa, xb}, {y1, y2}, {.epochs = 2, .batch_size = 8, .verbose = 0, .shuffle = false});
  const std::string path = tmp_path("two.keras");
  save_model(f, path);
  auto archive = io::read_keras_archive(path);
  EXPECT_TRUE(archive.weights.contains("layers/input_layer_1"));  // a functional model's list has its inputs
  EXPECT_EQ(archive.config.at("compile_config").at("loss").size(), 2u);  // one loss per output, as Keras writes

  auto back = load_model(path);
  auto p0 = f.predict({xa, xb}, {.verbose = 0}), p1 = back->predict({xa, xb}, {.verbose = 0});
  ASSERT_EQ(p1.size(), 2u);
  for (size_t i = 0; i < 2; ++i) expect_identical(p0[i], p1[i], "output " + std::to_string(i));
  f.fit({xa, xb}, {y1, y2}, {.epochs = 1, .batch_size = 8, .verbose = 0, .shuffle = false});
  back->fit({xa, xb}, {y1, y2}, {.epochs = 1, .batch_size = 8, .verbose = 0, .shuffle = false});
  expect_same_weights(f, *back);
}

TEST(ModelFile, BadInputNamesFileAndEntry) {
  Data d = data();
  auto m = mlp();
  m->fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0});
  const std::string good = tmp_path("good.keras");
  m->save(good);
  const io::KerasArchive a = io::read_keras_archive(good);

  auto variant = [&](const std::string& name, auto edit) {
    io::KerasArchive b = a;
    edit(b);
    const std::string p = tmp_path(name);
    io::write_keras_archive(p, b);
    return p;
  };
  const std::string missing = variant("missing.keras", [](io::KerasArchive& b) { b.weights.objects.erase("layers/dense_1"); });
  expect_error_contains<IOError>([&] { load_model(missing); },
                                 {"missing.keras", "model.weights.h5", "layers/dense_1", "Dense", "kernel (8, 3)"});
  const std::string shape = variant("shape.keras", [](io::KerasArchive& b) {
    b.weights.objects["layers/dense"].values[0] = Tensor::zeros({4, 8});
  });
  expect_error_contains<IOError>([&] { load_model(shape); }, {"shape.keras", "layers/dense/vars/0", "(4, 8)", "(5, 8)"});
  const std::string count = variant("count.keras", [](io::KerasArchive& b) {
    b.weights.objects["layers/batch_normalization"].values.pop_back();
  });
  expect_error_contains<IOError>([&] { load_model(count); }, {"count.keras", "layers/batch_normalization", "3 variables"});
  const std::string extra = variant("extra.keras", [](io::KerasArchive& b) {
    b.weights.objects["layers/dense_7"] = {"ghost", {Tensor::zeros({2})}};
  });
  expect_error_contains<IOError>([&] { load_model(extra); }, {"extra.keras", "layers/dense_7"});
  const std::string unknown = variant("unknown.keras", [](io::KerasArchive& b) {
    b.config["config"]["layers"][1]["class_name"] = "NoSuchLayer";
  });
  expect_error_contains<ValueError>([&] { load_model(unknown); }, {"unknown.keras", "config.json", "NoSuchLayer"});
  const std::string opt = variant("opt.keras", [](io::KerasArchive& b) { b.weights.objects["optimizer"].values.pop_back(); });
  expect_error_contains<IOError>([&] { load_model(opt); }, {"opt.keras", "optimizer/vars"});
  expect_error_contains<IOError>([&] { load_model(tmp_path("absent.keras")); }, {"absent.keras"});
  expect_error_contains<ValueError>([&] { load_model(tmp_path("model.pt")); }, {"model.pt", ".keras"});
  // A failed load leaves nothing half-done, and a rejected save leaves the previous file intact.
  expect_error_contains<ValueError>([&] { save_model(*m, tmp_path("x.pt")); }, {"x.pt", ".keras"});
  expect_identical(load_model(good)->predict(d.x, {.verbose = 0}), m->predict(d.x, {.verbose = 0}), "good file");
}

}  // namespace
}  // namespace nabla
