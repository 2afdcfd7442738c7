// nabla lite: int8 kernels against integer references, quantize + Interpreter against the float model, and
// the .nblite file (round trip, corrupt files, load_model/save_model).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nabla/core/atomic_file.h"
#include "nabla/kernels/int8_conv.h"
#include "nabla/kernels/int8_matmul.h"
#include "nabla/lite/lite_model.h"
#include "nabla/lite/onnx_qdq_export.h"
#include "nabla/lite/quantize.h"
#include "nabla/lite/runtime/interpreter.h"
#include "nabla/lite/runtime/nblite_format.h"
#include "test_util.h"

namespace nabla {
namespace {

using testing::expect_error_contains;
using testing::temp_dir;

// The worst case for CPUs without VNNI: u8 255 times s8 +-qmax in every pair (255 * 127 * 2 overflows the 16-bit
// pair sums of vpmaddubsw). The s32 result, scaled by 1 per output, comes back bit for bit where the kernel can
// sum it exactly: always for 7-bit weights, with VNNI for 8-bit ones. Without VNNI, 8-bit channels are halved
// (kernels::int8_vnni): each weight off by at most 1 after the doubled scale, so each sum by at most sum(x) + 1
// (the bias's rounding); saturated sums were off by half (327675 for 626750).
void check_matmul(int qmax) {
  const bool exact = qmax <= 64 || kernels::int8_vnni();
  const int64_t m = 3, k = 64, n = 5;
  std::vector<uint8_t> x(size_t(m * k));
  std::vector<int8_t> w(size_t(k * n));
  for (int64_t i = 0; i < m * k; ++i) x[size_t(i)] = uint8_t(i % 7 == 0 ? 200 : 255);
  for (int64_t i = 0; i < k * n; ++i) w[size_t(i)] = int8_t((i / n) % 3 == 0 ? -qmax : qmax);
  std::vector<int32_t> bias{1, -2, 3, -4, 5};
  kernels::Int8Requant rq;
  rq.dst_f32 = true;
  rq.out_scales.assign(size_t(n), 1.f);
  kernels::Int8Matmul mm(k, n, w.data(), bias, rq);
  std::vector<float> y(size_t(m * n));
  mm.run(x.data(), m, y.data());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t acc = bias[size_t(j)], sum_x = 0;
      for (int64_t p = 0; p < k; ++p) {
        acc += int64_t(x[size_t(i * k + p)]) * w[size_t(p * n + j)];
        sum_x += x[size_t(i * k + p)];
      }
      if (exact)
        EXPECT_EQ(double(y[size_t(i * n + j)]), double(acc)) << "qmax " << qmax << " at " << i << ", " << j;
      else
        EXPECT_NEAR(double(y[size_t(i * n + j)]), double(acc), double(sum_x + 1))
            << "qmax " << qmax << " at " << i << ", " << j;
    }
}

TEST(lite, int8_matmul_exact_7bit) { check_matmul(63); }

// Exact with VNNI; within a bit of the weights without (tests/lite/CMakeLists.txt runs this binary a second time
// with oneDNN limited to AVX2, so every machine checks both).
TEST(lite, int8_matmul_8bit_exact_on_vnni_not_saturated_without) { check_matmul(127); }

TEST(lite, int8_matmul_requantizes_with_zero_points) {
  // y = round(scale * (sum (x - zx) w + b)) + zy, saturated to u8.
  const int64_t m = 4, k = 6, n = 3;
  std::vector<uint8_t> x(size_t(m * k));
  std::vector<int8_t> w(size_t(k * n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = uint8_t((i * 37) % 256);
  for (size_t i = 0; i < w.size(); ++i) w[i] = int8_t(int(i * 11 % 61) - 30);
  kernels::Int8Requant rq;
  rq.src_zero_point = 17;
  rq.dst_zero_point = 100;
  rq.out_scales = {0.01f, 0.02f, 0.005f};
  kernels::Int8Matmul mm(k, n, w.data(), {50, -60, 70}, rq);
  std::vector<uint8_t> y(size_t(m * n));
  mm.run(x.data(), m, y.data());
  const std::vector<int32_t> b{50, -60, 70};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = b[size_t(j)];
      for (int64_t p = 0; p < k; ++p) acc += (double(x[size_t(i * k + p)]) - 17) * w[size_t(p * n + j)];
      const double want = std::clamp(std::nearbyint(acc * rq.out_scales[size_t(j)]) + 100, 0.0, 255.0);
      EXPECT_NEAR(double(y[size_t(i * n + j)]), want, 1.0) << i << ", " << j;
    }
}

// Float model vs its quantized form on the same inputs: the largest difference relative to the output range.
double relative_error(Model& model, const lite::QModel& q, const Tensor& x) {
  const Tensor want = model.predict(x, {.batch_size = 64});
  lite::Interpreter interp(q);
  Tensor got = Tensor::empty(want.shape(), f32);
  interp.invoke(x.contiguous().data<float>(), x.size(0), got.data<float>());
  const auto a = want.to_vector<float>(), b = got.to_vector<float>();
  double err = 0, range = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, double(std::abs(a[i] - b[i])));
    range = std::max(range, double(std::abs(a[i])));
  }
  return err / range;
}

TEST(lite, functional_graph_with_bn_add_concatenate_matches_float) {
  manual_seed(3);
  auto in = Input({8, 8, 3}, "image");
  auto c1 = apply_layer(layers::Conv2D(8, 3, "", {.padding = "same"}), in);
  auto b1 = apply_layer(layers::BatchNormalization(), c1);
  auto r1 = apply_layer(layers::Activation("relu"), b1);
  auto c2 = apply_layer(layers::Conv2D(8, 3, "relu", {.padding = "same"}), r1);
  auto added = apply_layer(layers::Add(), {r1, c2});
  auto c3 = apply_layer(layers::Conv2D(4, 1, "relu"), added);
  auto cat = apply_layer(layers::Concatenate(), {added, c3});
  auto pooled = apply_layer(layers::MaxPooling2D(2), cat);
  auto gap = apply_layer(layers::GlobalAveragePooling2D(), pooled);
  auto out = apply_layer(layers::Dense(5, "softmax"), gap);
  Functional model(in, out, "graph");
  // Non-trivial moving statistics, so that folding BatchNormalization matters.
  for (auto& l : model.layers())
    if (l->type() == "BatchNormalization") {
      l->weight("moving_mean").copy_(Tensor::uniform({8}, -0.5, 0.5));
      l->weight("moving_variance").copy_(Tensor::uniform({8}, 0.5, 2.0));
      l->weight("gamma").copy_(Tensor::uniform({8}, 0.5, 1.5));
    }
  // Inputs in [-1, 1]: the first convolution's input has a nonzero zero point, with "same" padding.
  const Tensor x = Tensor::uniform({64, 8, 8, 3}, -1, 1);
  const lite::QModel q = lite::quantize(model, x);
  EXPECT_NE(q.tensors[0].q.zero_point, 0);
  EXPECT_EQ(q.ops.front().kind, lite::OpKind::Conv2D);
  EXPECT_TRUE(q.ops.front().relu);  // Conv2D + BatchNormalization + ReLU: one op
  EXPECT_TRUE(q.output_softmax);
  EXPECT_LT(relative_error(model, q, x), 0.05);
}

lite::QModel small_qmodel(lite::QuantizeOptions opts = {}) {
  manual_seed(5);
  Sequential model({layers::Conv2D(4, 3, "relu", {.input_shape = {6, 6, 1}}), layers::MaxPooling2D(2),
                    layers::Flatten(), layers::Dense(3)});
  model.build_if_possible();
  return lite::quantize(model, Tensor::uniform({16, 6, 6, 1}, 0, 1), opts);
}

// The functional graph of the test above, quantized (shared by the ONNX test).
std::pair<std::shared_ptr<Functional>, Tensor> graph_model() {
  manual_seed(3);
  auto in = Input({8, 8, 3}, "image");
  auto c1 = apply_layer(layers::Conv2D(8, 3, "", {.padding = "same"}), in);
  auto b1 = apply_layer(layers::BatchNormalization(), c1);
  auto r1 = apply_layer(layers::Activation("relu"), b1);
  auto c2 = apply_layer(layers::Conv2D(8, 3, "relu", {.padding = "same"}), r1);
  auto added = apply_layer(layers::Add(), {r1, c2});
  auto pooled = apply_layer(layers::AveragePooling2D(2), apply_layer(layers::Concatenate(), {added, c2}));
  auto out = apply_layer(layers::Dense(5), apply_layer(layers::Flatten(), pooled));
  return {std::make_shared<Functional>(in, out, "graph2"), Tensor::uniform({32, 8, 8, 3}, -1, 1)};
}

void write_f32(const std::string& path, const Tensor& t) {
  const Tensor c = t.contiguous();
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(c.raw_data()), std::streamsize(c.nbytes()));
}

// Writes the QDQ graph, an input and nabla's int8 output, with a tolerance of one quantization step of the output's
// range (the output's own scale where it is u8).
void write_qdq_case(const std::string& dir, const std::string& name, const lite::QModel& q, const Tensor& x) {
  lite::export_onnx_qdq(q, dir + "/" + name + ".onnx");
  auto model = lite::as_model(q);
  const Tensor y = model->predict_on_batch(x);
  const auto v = y.to_vector<float>();
  const float range = *std::max_element(v.begin(), v.end()) - std::min(0.f, *std::min_element(v.begin(), v.end()));
  write_f32(dir + "/" + name + ".x.bin", x);
  write_f32(dir + "/" + name + ".y.bin", y);
  auto dims = [](const Tensor& t) { return std::vector<int64_t>(t.shape().begin(), t.shape().end()); };
  nlohmann::json m{{"model", name + ".onnx"},
                   {"input", {{"name", q.tensors[size_t(q.input)].name}, {"file", name + ".x.bin"}, {"shape", dims(x)}}},
                   {"output", {{"name", q.tensors[size_t(q.output)].name}, {"file", name + ".y.bin"}, {"shape", dims(y)}}},
                   {"tolerance", range / 255}};
  std::ofstream(dir + "/" + name + ".json") << m.dump();
}

TEST(lite, onnx_qdq_export_runs_in_onnx_runtime) {
  // Weights this CPU's int8 kernels sum exactly: 8 bits with VNNI, else 7 (what ONNX Runtime's docs advise for
  // such CPUs, "reduce_range"; 8-bit channels would be halved here, kernels/int8_matmul.h), so that both sides
  // compute the same integers.
  const lite::QuantizeOptions opts{.weight_bits = kernels::int8_vnni() ? 8 : 7};
  const std::string dir = temp_dir();
  auto [graph, gx] = graph_model();
  write_qdq_case(dir, "graph", lite::quantize(*graph, gx, opts), gx);
  const lite::QModel conv = small_qmodel(opts);
  write_qdq_case(dir, "conv", conv, Tensor::uniform({16, 6, 6, 1}, 0, 1));
  {
    manual_seed(4);
    Sequential mlp({layers::Flatten({28, 28}), layers::Dense(32, "relu"), layers::Dense(10, "softmax")});
    mlp.build_if_possible();
    const Tensor x = Tensor::uniform({64, 28, 28}, 0, 1);
    write_qdq_case(dir, "mlp", lite::quantize(mlp, x, opts), x);
  }
  // save_model of a quantized model to .onnx writes the same graph.
  save_model(*lite::as_model(conv), dir + "/saved.onnx.tmp.onnx");
  EXPECT_EQ(read_file(dir + "/saved.onnx.tmp.onnx", "test"), read_file(dir + "/conv.onnx", "test"));
  std::filesystem::remove(dir + "/saved.onnx.tmp.onnx");
  const std::string cmd = "NODE_PATH=" + std::string(NABLA_TESTS_DIR) + "/../.node/node_modules node " +
                          std::string(NABLA_TESTS_DIR) + "/lite/ort_qdq.cjs " + dir;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(lite, quantize_rejects_unsupported_layers_by_name) {
  Sequential model({layers::Dense(4, "tanh", {.input_shape = {3}})});
  model.build_if_possible();
  expect_error_contains([&] { lite::quantize(model, Tensor::uniform({8, 3}, 0, 1)); },
                        {"dense", "tanh", "relu"});
  // BatchNormalization folds only into a Dense/Conv2D that nothing else reads.
  auto in = Input({4}, "x");
  auto d = apply_layer(layers::Dense(4), in);
  Functional f(in, apply_layer(layers::Add(), {d, apply_layer(layers::BatchNormalization(), d)}));
  expect_error_contains([&] { lite::quantize(f, Tensor::uniform({8, 4}, 0, 1)); },
                        {"BatchNormalization", "folds", "no other consumer"});
}

// A small trained MLP: a quantized copy keeps its accuracy and agrees with it.
struct TrainedMlp {
  std::shared_ptr<Sequential> model;
  Tensor x_test, y_test, x_cal;
};
TrainedMlp trained_mlp() {
  manual_seed(1);
  auto [train, test] = datasets::mnist::load_data();
  TrainedMlp r;
  const Tensor x = train.images.slice(0, 0, 6000).reshape({-1, 28, 28}).to(f32) / 255.0;
  r.model = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Flatten({28, 28}), layers::Dense(64, "relu"), layers::Dropout(0.2), layers::Dense(10, "softmax")});
  r.model->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  r.model->fit(x, train.labels.slice(0, 0, 6000), {.epochs = 2, .batch_size = 64, .verbose = 0});
  r.x_test = test.images.slice(0, 0, 2000).to(f32) / 255.0;
  r.y_test = test.labels.slice(0, 0, 2000);
  r.x_cal = x.slice(0, 0, 500);
  return r;
}

double accuracy(const Tensor& probs, const Tensor& labels) {
  const auto p = probs.to_vector<float>();
  const auto y = labels.to_vector<int64_t>();
  const int64_t c = probs.size(1);
  int64_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const float* row = p.data() + i * size_t(c);
    right += std::max_element(row, row + c) - row == y[i];
  }
  return double(right) / double(y.size());
}

// The Fashion-MNIST CNN of examples/fashion_cnn.cpp, trained briefly on a subset: the int8 model keeps its
// accuracy on 2000 test images.
TEST(lite, fashion_cnn_keeps_accuracy) {
  manual_seed(2);
  auto [train, test] = datasets::fashion_mnist::load_data();
  const Tensor x = train.images.slice(0, 0, 6000).reshape({-1, 28, 28, 1}).to(f32) / 255.0;
  Sequential model({layers::Conv2D(32, 3, "relu", {.input_shape = {28, 28, 1}}), layers::MaxPooling2D(2),
                    layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Flatten(), layers::Dropout(0.5),
                    layers::Dense(10, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(x, train.labels.slice(0, 0, 6000), {.epochs = 1, .batch_size = 64, .verbose = 0});
  const Tensor x_test = test.images.slice(0, 0, 2000).reshape({-1, 28, 28, 1}).to(f32) / 255.0;
  const Tensor y_test = test.labels.slice(0, 0, 2000);
  const lite::QModel q = lite::quantize(model, x.slice(0, 0, 500));
  auto lite_model = lite::as_model(q);
  const double fp32 = accuracy(model.predict(x_test), y_test);
  const double int8 = accuracy(lite_model->predict(x_test, {.batch_size = 256}), y_test);
  std::cout << "fashion CNN: fp32 accuracy " << fp32 << ", int8 " << int8 << "\n";
  EXPECT_GT(fp32, 0.6);  // one short epoch: the point is the int8 drop
  EXPECT_GE(int8, fp32 - 0.01);
  EXPECT_LT(relative_error(model, q, x_test.slice(0, 0, 256)), 0.05);
}

TEST(lite, mnist_mlp_keeps_accuracy_and_round_trips_nblite) {
  TrainedMlp t = trained_mlp();
  const lite::QModel q = lite::quantize(*t.model, t.x_cal);
  const double fp32 = accuracy(t.model->predict(t.x_test), t.y_test);
  const std::string dir = temp_dir(), path = dir + "/mlp.nblite";
  save_model(q, path);
  auto loaded = load_model(path);
  const Tensor probs = loaded->predict(t.x_test, {.batch_size = 128});
  const double int8 = accuracy(probs, t.y_test);
  EXPECT_GT(fp32, 0.85);
  EXPECT_GE(int8, fp32 - 0.01) << "fp32 " << fp32 << " int8 " << int8;
  const double rel = relative_error(*t.model, q, t.x_test);
  std::cout << "fp32 accuracy " << fp32 << ", int8 " << int8 << ", largest probability difference " << rel << "\n";
  EXPECT_LT(rel, 0.05);
  // Weights are a quarter of the float32 bytes (plus per-channel scales and int32 biases).
  EXPECT_LT(std::filesystem::file_size(path), size_t(0.3 * (784 * 64 + 64 + 64 * 10 + 10) * 4));
  // predict_on_batch (nabla-serve's path) and the interpreter agree exactly.
  lite::Interpreter interp = lite::Interpreter::from_file(path);
  Tensor direct = Tensor::empty({10, 10}, f32);
  const Tensor x10 = t.x_test.slice(0, 0, 10).contiguous();
  interp.invoke(x10.data<float>(), 10, direct.data<float>());
  testing::expect_close(loaded->predict_on_batch(x10), direct, 0, 0);
  // Saved again from the loaded model: the same bytes.
  save_model(*loaded, dir + "/again.nblite");
  EXPECT_EQ(read_file(path, "test"), read_file(dir + "/again.nblite", "test"));
  // A float model has no .nblite form without quantize.
  expect_error_contains([&] { save_model(*t.model, dir + "/f.nblite"); }, {"f.nblite", "lite::quantize"});
}


TEST(lite, corrupt_nblite_files_name_file_and_offset) {
  const std::string dir = temp_dir();
  const std::string good = lite::serialize_nblite(small_qmodel());
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  EXPECT_NO_THROW(load_model(write("good.nblite", good)));
  expect_error_contains([&] { load_model(write("short.nblite", good.substr(0, 20))); },
                        {"short.nblite", "byte offset 0", "header"});
  std::string magic = good;
  magic[1] = 'X';
  expect_error_contains([&] { load_model(write("magic.nblite", magic)); }, {"magic.nblite", "magic"});
  std::string version = good;
  version[8] = 9;
  expect_error_contains([&] { load_model(write("version.nblite", version)); },
                        {"version.nblite", "byte offset 8", "version 9"});
  expect_error_contains([&] { load_model(write("trunc.nblite", good.substr(0, good.size() - 7))); },
                        {"trunc.nblite", "byte offset 16", "truncated"});
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  expect_error_contains([&] { load_model(write("flip.nblite", flipped)); }, {"flip.nblite", "byte offset 24", "CRC"});
  // Without the checksum the parser itself names where the body goes wrong: a tensor count beyond the file.
  std::string body = good;
  const size_t name_len = size_t(uint8_t(good[32]));
  const size_t count_at = 32 + 4 + name_len + 4 + 1 + 4 + 4;
  body[count_at + 3] = 0x7f;
  expect_error_contains([&] { lite::parse_nblite(body, "'x.nblite'", false); },
                        {"'x.nblite'", "byte offset " + std::to_string(count_at), "tensors do not fit"});
}

// nblite_fuzz: extreme scale ratios made an Add's float code NaN, converted to int (undefined). NaN codes, like
// NaN inputs, saturate to 0.
TEST(lite, nan_inputs_and_extreme_scales_give_codes_not_undefined_behaviour) {
  lite::QModel q = small_qmodel();
  ASSERT_EQ(q.tensors[0].q.zero_point, 0);
  lite::Interpreter interp(q);
  std::vector<float> nan_x(36 * 2, std::nanf("")), zero_x(36 * 2, 0.f), y_nan(6), y_zero(6);
  nan_x[36] = 0.f;  // the scalar tail and the SSE2 body both see NaN
  interp.invoke(nan_x.data(), 2, y_nan.data());
  interp.invoke(zero_x.data(), 2, y_zero.data());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y_nan[size_t(i)], y_zero[size_t(i)]) << i;
  auto [graph, gx] = graph_model();
  lite::QModel g = lite::quantize(*graph, gx);
  for (lite::QOp& op : g.ops)
    if (op.kind == lite::OpKind::Add) {
      g.tensors[size_t(op.inputs[0])].q.scale = 3e38f;
      g.tensors[size_t(op.output)].q.scale = 1e-38f;
    }
  lite::Interpreter big(g);
  std::vector<float> y(size_t(32 * big.output_size()));
  big.invoke(gx.contiguous().data<float>(), 32, y.data());
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

TEST(lite, validate_rejects_inconsistent_graphs) {
  lite::QModel q = small_qmodel();
  q.ops.back().weights.pop_back();
  expect_error_contains([&] { lite::Interpreter{q}; }, {"Dense", "weights, expects", "per output channel"});
  q = small_qmodel();
  q.ops[1].inputs = {int32_t(q.tensors.size())};
  expect_error_contains([&] { lite::Interpreter{q}; }, {"MaxPooling2D", "refers to tensor"});
  // nblite_fuzz: a huge channel count times a huge window times many outputs overflowed int64 in the check.
  q = small_qmodel();
  q.tensors[0].shape = {1, 1, 2147483647};
  q.ops[0].kh = q.ops[0].kw = 4096;
  q.ops[0].weight_scales.assign(1024, 1.f);
  q.ops[0].weights.clear();
  q.ops[0].bias.clear();
  expect_error_contains([&] { lite::Interpreter{q}; }, {"Conv2D", "weights, expects 36028797002186752 per output channel"});
  q = small_qmodel();
  q.tensors[1].q.zero_point = 300;
  expect_error_contains([&] { lite::Interpreter{q}; }, {"zero point 300"});
}

}  // namespace
}  // namespace nabla
