// nabla-serve serves every whole-model format nabla::load_model reads (issue 13): a version directory holding a
// .keras file, a TF.js model.json with its shards, an .onnx graph or a legacy Keras 2 .h5 file is served over
// HTTP, its :predict equals the model's own predict and its metadata shows the model's signature. A version
// directory with no model file or with several is refused with the files named.
#include <httplib.h>

#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "nabla/io/onnx_import.h"
#include "nabla/serve/server.h"
#include "serve_test_util.h"

namespace nabla::serve {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::vector<float> kRows{1, 2, 3, 4, 0.5f, -1, 0, 2};
const std::string kRow = R"({"instances": [[1, 2, 3, 4], [0.5, -1, 0, 2]]})";

bool wait_for_200(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  const auto end = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < end) {
    if (auto r = c.Get(path.c_str()); r && r->status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// The file name the model is saved under in its version directory; ".h5" is tf_keras's own file (nabla writes
// no legacy .h5), copied in from tests/io/data.
class ServeModelFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(ServeModelFormats, PredictAndMetadataOverHttp) {
  const std::string file = GetParam();
  const fs::path base = fs::path(nabla::testing::temp_dir()) / "models";
  const fs::path dir = base / "1";
  fs::create_directories(dir);
  std::shared_ptr<Model> model;
  if (file == "model.h5") {
    fs::copy_file(std::string(NABLA_TESTS_DIR) + "/io/data/tf_keras_sequential.h5", dir / file);
    model = load_model((dir / file).string(), LoadOptions{.compile = false});
  } else {
    model = testing::small_model();
    save_model(*model, (dir / file).string(), SaveOptions{.include_optimizer = false});
  }
  if (file == "model.json") {  // the shards beside model.json are read through it, not taken for models
    int shards = 0;
    for (const auto& e : fs::directory_iterator(dir)) shards += e.path().extension() == ".bin";
    EXPECT_GE(shards, 1);
  }
  ASSERT_EQ(find_model_file(dir.string()), (dir / file).string());

  ServerOptions o;
  o.port = 0;
  ModelConfig c;
  c.name = "m";
  c.base_path = base.string();
  o.models = {c};
  Server server(o);
  server.start();
  ASSERT_TRUE(wait_for_200(server.port(), "/readyz"));
  httplib::Client client("127.0.0.1", server.port());

  auto r = client.Post("/v1/models/m:predict", kRow, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto pred = nlohmann::json::parse(r->body).at("predictions");
  const Tensor want = model->predict_on_batch(Tensor::from_vector(kRows, Shape{2, 4}));
  const int64_t n_out = want.shape()[1];
  ASSERT_EQ(pred.size(), 2u);
  for (int64_t i = 0; i < 2; ++i) {
    ASSERT_EQ(int64_t(pred[i].size()), n_out) << pred;
    for (int64_t j = 0; j < n_out; ++j)
      EXPECT_NEAR(pred[i][j].get<double>(), want.data<float>()[i * n_out + j], 1e-5) << file << " " << i << "," << j;
  }

  r = client.Get("/v1/models/m/metadata");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto sig =
      nlohmann::json::parse(r->body).at("metadata").at("signature_def").at("signature_def").at("serving_default");
  ASSERT_EQ(sig.at("inputs").size(), 1u) << sig;
  const auto& in = sig.at("inputs").begin().value();
  EXPECT_EQ(in.at("dtype"), "DT_FLOAT");
  EXPECT_EQ(in.at("tensor_shape").at("dim")[0].at("size"), "-1") << sig;
  EXPECT_EQ(in.at("tensor_shape").at("dim")[1].at("size"), "4") << sig;
  EXPECT_EQ(sig.at("outputs").size(), 1u) << sig;
  if (file == "model.onnx") {
    // An imported graph's input is named as the graph names it.
    const io::OnnxGraphInfo g = io::describe_onnx((dir / file).string());
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_TRUE(sig.at("inputs").contains(g.inputs[0].name)) << g.inputs[0].name << " not in " << sig;
    // Named inputs reach the graph's input too (the columnar form names it).
    const std::string columnar = R"({"inputs": {")" + g.inputs[0].name + R"(": [[1, 2, 3, 4], [0.5, -1, 0, 2]]}})";
    r = client.Post("/v1/models/m:predict", columnar, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto out = nlohmann::json::parse(r->body).at("outputs");
    EXPECT_NEAR(out[1][2].get<double>(), want.data<float>()[n_out + 2], 1e-5) << out;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, ServeModelFormats,
                         ::testing::Values("model.keras", "model.json", "model.onnx", "model.h5"),
                         [](const auto& info) { return info.param.substr(6); });

TEST(ServeModelFiles, NoneOrSeveralInAVersionDirectoryAreRefusedNamingThem) {
  const fs::path dir = fs::path(nabla::testing::temp_dir()) / "1";
  fs::create_directories(dir);
  auto error_of = [&] {
    try {
      find_model_file(dir.string());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of().find("no model file"), std::string::npos) << error_of();
  auto model = testing::small_model();
  save_model(*model, (dir / "a.onnx").string());
  EXPECT_EQ(find_model_file(dir.string()), (dir / "a.onnx").string());
  save_model(*model, (dir / "model.json").string(), SaveOptions{.include_optimizer = false});
  const std::string e = error_of();
  EXPECT_NE(e.find("2 model files (a.onnx, model.json)"), std::string::npos) << e;
  EXPECT_NE(e.find(dir.string()), std::string::npos) << e;
  fs::remove(dir / "a.onnx");
  // TF.js's shards beside model.json are read through it, not counted as models.
  EXPECT_EQ(find_model_file(dir.string()), (dir / "model.json").string());
}

}  // namespace
}  // namespace nabla::serve
