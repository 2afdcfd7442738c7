#include <filesystem>
#include <functional>
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

// A weights file with the given JSON header and `data_bytes` zero bytes of data.
std::string weights_file(const std::string& header, size_t data_bytes = 256) {
  std::string path = testing::temp_dir() + "/h.weights";
  std::ofstream f(path, std::ios::binary);
  uint64_t n = header.size();
  f.write("NABLAW01", 8);
  f.write(reinterpret_cast<const char*>(&n), 8);
  f << header << std::string(data_bytes, '\0');
  return path;
}

// mlp()'s four weights as header entries; `tweak` edits them (JSON text) before they are joined.
std::string header_with(const std::function<void(std::vector<std::string>&)>& tweak) {
  std::vector<std::string> w = {
      R"({"name":"dense/kernel","dtype":"float32","shape":[3,8],"offset":0,"nbytes":96})",
      R"({"name":"dense/bias","dtype":"float32","shape":[8],"offset":96,"nbytes":32})",
      R"({"name":"dense_1/kernel","dtype":"float32","shape":[8,2],"offset":128,"nbytes":64})",
      R"({"name":"dense_1/bias","dtype":"float32","shape":[2],"offset":192,"nbytes":8})"};
  tweak(w);
  std::string list;
  for (const auto& e : w) list += (list.empty() ? "" : ",") + e;
  return R"({"format":"nabla-weights","version":1,"model":"m","weights":[)" + list + "]}";
}

TEST(WeightsIO, HandWrittenHeaderLoads) {
  auto a = mlp();
  a->load_weights(weights_file(header_with([](auto&) {})));
  EXPECT_EQ(a->get_weights()[0].to_vector<float>(), std::vector<float>(24, 0.0f));
}

// Found by fuzz/weights_fuzz.cpp: a header that is valid JSON but lacks a field, or has one of the wrong JSON
// type, escaped as nlohmann::json's exception instead of an IOError naming the file.
TEST(WeightsIO, MalformedHeaderFieldsAreIOErrors) {
  auto a = mlp();
  auto before = a->get_weights();
  auto expect_malformed = [&](const std::string& header, const std::string& detail) {
    std::string path = weights_file(header);
    testing::expect_error_contains<IOError>([&] { a->load_weights(path); }, {path, detail});
  };
  // The fuzzer's input: the first entry lost its "name".
  expect_malformed(header_with([](auto& w) { w[0].replace(w[0].find("\"name\""), 6, "\"nbme\""); }), "'name'");
  expect_malformed(header_with([](auto& w) { w[1] = "[]"; }), "weight 1 is not an object");
  expect_malformed(header_with([](auto& w) { w[2].replace(w[2].find("[8,2]"), 5, "\"8x2\""); }), "shape");
  expect_malformed(header_with([](auto& w) { w[3].replace(w[3].find("\"float32\""), 9, "32"); }), "string");
  // Floats and negative numbers where sizes belong (converting 1e300 to an integer is undefined behaviour).
  expect_malformed(header_with([](auto& w) { w[0].replace(w[0].find("[3,8]"), 5, "[1e300,8]"); }), "1e+300");
  expect_malformed(header_with([](auto& w) { w[0].replace(w[0].find(":0,"), 3, ":-1,"); }), "offset is -1");
  expect_malformed(header_with([](auto& w) { w[1].replace(w[1].find(":32}"), 4, ":3.5}"); }), "nbytes is 3.5");
  expect_malformed(header_with([](auto& w) { w[0].replace(w[0].find("[3,8]"), 5, "[1,1,1,1,1,1,1,1,1]"); }),
                   "at most 8");
  expect_malformed(R"({"format":"nabla-weights","version":1,"weights":{"a":1}})", "not a list");
  expect_malformed(R"({"format":"nabla-weights","version":1})", "'weights'");
  testing::expect_error_contains<IOError>([&] { a->load_weights(weights_file("[1, 2]")); }, {"not a version-1"});
  testing::expect_error_contains<IOError>(
      [&] { a->load_weights(weights_file(R"({"format":"nabla-weights","version":"1"})")); }, {"not a version-1"});
  // The fuzzer's input: a version too large for an int (reading it as one was undefined behaviour).
  testing::expect_error_contains<IOError>(
      [&] { a->load_weights(weights_file(R"({"format":"nabla-weights","version":1.22222e70,"weights":[]})")); },
      {"not a version-1"});
  // Nothing was written.
  EXPECT_EQ(a->get_weights()[0].to_vector<float>(), before[0].to_vector<float>());
}

TEST(WeightsIO, OffsetsNearTwoToThe64DoNotWrapIntoTheFile) {
  auto a = mlp();
  // The data start + offset 2^64 - 1 + nbytes wraps around to inside the file: it used to pass the bounds check
  // and load bytes from the header.
  std::string h = header_with([](auto& w) { w[0].replace(w[0].find(":0,"), 3, ":18446744073709551615,"); });
  testing::expect_error_contains<IOError>([&] { a->load_weights(weights_file(h)); },
                                          {"corrupt at weight 'dense/kernel'"});
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
