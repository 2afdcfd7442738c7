// ONNX export (io/onnx_export.h, save_model(model, "m.onnx")). The cases named Models.* write each test model
// into NABLA_ONNX_EXPORT_DIR with nabla's predictions:
//   <name>.onnx, <name>.json (manifest: inputs and outputs with names, shapes and files), <name>.<in|out><i>.f32
// (raw little-endian float32). ctest then checks the files with onnx's checker and shape inference
// (check_models.py) and runs them in ONNX Runtime against nabla's outputs (ort_run.cjs). The other cases check
// the graph's structure (names, dynamic batch, where transposes go) and the errors, here.
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "nabla/io/onnx_export.h"
#include "nabla/nabla.h"
#include "nabla/nn/gru.h"
#include "nabla/nn/lstm.h"
#include "nabla/nn/simple_rnn.h"
#include "test_util.h"

namespace nabla {
namespace {

using testing::expect_error_contains;
namespace fs = std::filesystem;

std::string out_dir() {
  static const std::string d = [] {
    fs::remove_all(NABLA_ONNX_EXPORT_DIR);  // no manifests left over from earlier builds' cases
    fs::create_directories(NABLA_ONNX_EXPORT_DIR);
    return std::string(NABLA_ONNX_EXPORT_DIR);
  }();
  return d;
}

// Biases, BatchNormalization's statistics and scales away from their initial zeros and ones, so that the export
// of each weight is exercised.
void randomize(const Model& m, uint64_t seed) {
  manual_seed(seed);
  NoGradGuard ng;
  for (const auto& l : m.layers())
    for (auto& w : l->weights()) {
      if (w.name == "bias" || w.name == "beta" || w.name == "moving_mean")
        w.value.copy_(Tensor::uniform(w.value.shape(), -0.5, 0.5));
      else if (w.name == "gamma" || w.name == "moving_variance")
        w.value.copy_(Tensor::uniform(w.value.shape(), 0.5, 1.5));
    }
}

void write_f32(const std::string& path, const Tensor& t) {
  Tensor c = t.to(f32).contiguous();
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(c.raw_data()), std::streamsize(c.nbytes()));
  ASSERT_TRUE(f.good()) << path;
}

nlohmann::json shape_json(const Tensor& t) { return std::vector<int64_t>(t.shape().begin(), t.shape().end()); }

// Saves the model as <name>.onnx (through save_model) with its inputs and nabla's predictions.
void write_case(const std::string& name, Model& model, const std::vector<std::string>& input_names,
                const std::vector<Tensor>& xs, int opset = 17) {
  std::vector<Tensor> ys = model.predict(xs, {.batch_size = 1024});
  std::vector<std::string> output_names = model.output_names();
  if (output_names.empty()) output_names = {model.layers().back()->name()};
  ASSERT_EQ(ys.size(), output_names.size());
  const std::string dir = out_dir();
  save_model(model, dir + "/" + name + ".onnx", {.onnx_opset = opset});
  nlohmann::json j{{"model", name + ".onnx"}, {"opset", opset}};
  for (size_t i = 0; i < xs.size(); ++i) {
    const std::string f = name + ".in" + std::to_string(i) + ".f32";
    write_f32(dir + "/" + f, xs[i]);
    j["inputs"].push_back({{"name", input_names[i]}, {"shape", shape_json(xs[i])}, {"file", f}});
  }
  for (size_t i = 0; i < ys.size(); ++i) {
    const std::string f = name + ".out" + std::to_string(i) + ".f32";
    write_f32(dir + "/" + f, ys[i]);
    j["outputs"].push_back({{"name", output_names[i]}, {"shape", shape_json(ys[i])}, {"file", f}});
  }
  std::ofstream(dir + "/" + name + ".json") << j.dump(1) << "\n";
}

onnx::ModelProto parse(const Model& m, int opset = 17) {
  onnx::ModelProto p;
  EXPECT_TRUE(p.ParseFromString(io::onnx_model_bytes(m, opset)));
  return p;
}

int count_ops(const onnx::ModelProto& p, const std::string& op) {
  int n = 0;
  for (const auto& node : p.graph().node()) n += node.op_type() == op;
  return n;
}

// ---- the models ----

// examples/mnist_mlp.cpp's model.
std::shared_ptr<Sequential> reference_mlp() {
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Flatten({28, 28}), layers::Dense(128, "relu"), layers::Dropout(0.2), layers::Dense(10, "softmax")});
  m->build_if_possible();
  randomize(*m, 11);
  return m;
}

// examples/fashion_cnn.cpp's model.
std::shared_ptr<Sequential> fashion_cnn() {
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Conv2D(32, 3, "relu", {.input_shape = {28, 28, 1}}), layers::MaxPooling2D(2),
      layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Flatten(), layers::Dropout(0.5),
      layers::Dense(10, "softmax")});
  m->build_if_possible();
  randomize(*m, 12);
  return m;
}

// Two inputs, two outputs: Dense branches joined by Add and Concatenate.
std::shared_ptr<Functional> two_inputs() {
  auto a = Input({8}, "features"), b = Input({6}, "extra");
  auto ha = apply_layer(layers::Dense(16, "relu"), a);
  auto hb = apply_layer(layers::Dense(16, "tanh"), b);
  auto s = apply_layer(layers::Add(), {ha, hb});
  auto c = apply_layer(layers::Concatenate(), {s, b});
  auto probs = layers::Dense(3, "softmax");
  probs->set_name("probs");
  auto score = layers::Dense(1);
  score->set_name("score");
  auto m = std::make_shared<Functional>(std::vector<KerasTensor>{a, b},
                                        std::vector<KerasTensor>{apply_layer(probs, c), apply_layer(score, c)},
                                        "two_inputs");
  randomize(*m, 13);
  return m;
}

nn::LayerPtr named(nn::LayerPtr l, const std::string& name) {
  l->set_name(name);
  return l;
}

// Convolutions with strides, "same"/"valid" and dilation on odd sizes (uneven "same" padding), pools, BN on
// images, vectors and sequences, Add/Concatenate of NCHW values, Flatten into Dense (kernel permuted), Flatten
// into other layers (transposed back), Reshape, Dense on a sequence, GlobalAveragePooling2D.
std::shared_ptr<Functional> conv_zoo() {
  auto x = Input({17, 15, 3}, "image");
  auto c1 = apply_layer(layers::Conv2D(8, 3, "relu", {.strides = 2, .padding = "same"}), x);         // 9x8x8
  auto c2 = apply_layer(layers::Conv2D(8, {3, 2}, "", {.padding = "same", .dilation_rate = 2}), c1);  // 9x8x8
  auto a = apply_layer(layers::Activation("elu"), apply_layer(layers::BatchNormalization(), c2));
  auto s = apply_layer(layers::Add(), {c1, a});
  auto p1 = apply_layer(layers::AveragePooling2D(3, 2, "same"), s);         // 5x4x8
  auto p2 = apply_layer(layers::MaxPooling2D({3, 2}, 2, "same"), s);        // 5x4x8
  auto cat = apply_layer(layers::Concatenate(), {p1, p2});                  // 5x4x16
  auto c3 = apply_layer(layers::Conv2D(6, {2, 3}, "softmax", {.strides = {1, 2}, .dilation_rate = 1}), cat);  // 4x1x6
  auto c4 = apply_layer(layers::Conv2D(5, 3, "", {.dilation_rate = {2, 1}}), x);                               // 13x13x5
  auto p3 = apply_layer(layers::MaxPooling2D(3), c4);                                                          // 4x4x5
  auto gap = apply_layer(layers::GlobalAveragePooling2D(), cat);
  auto out_gap = apply_layer(named(layers::Dense(5, "softmax"), "gap_probs"), gap);
  auto flat = apply_layer(layers::Dropout(0.3), apply_layer(layers::Flatten(), cat));
  auto out_flat = apply_layer(named(layers::Dense(4), "flat_dense"), flat);
  auto flat_bn = apply_layer(layers::BatchNormalization(), apply_layer(layers::Flatten(), c3));
  auto out_flat_bn = apply_layer(named(layers::Dense(3, "sigmoid"), "flat_bn"), flat_bn);
  auto seq = apply_layer(layers::Reshape({-1, 5}), p3);                                                        // 16x5
  auto seq_bn = apply_layer(layers::BatchNormalization(), apply_layer(layers::Dense(4, "gelu"), seq));
  auto out_seq = apply_layer(named(layers::Flatten(), "seq_flat"), seq_bn);
  auto avg_valid = apply_layer(layers::AveragePooling2D(2), c4);                                               // 6x6x5
  auto out_pool = apply_layer(named(layers::Flatten(), "pool_flat"), avg_valid);
  // Dense on an NCHW image (its last axis: transposed back first); Concatenate of the NHWC input with an NCHW image.
  auto dense_img = apply_layer(layers::Dense(3, "relu"), p3);                                                  // 4x4x3
  auto out_dense_img = apply_layer(named(layers::GlobalAveragePooling2D(), "dense_on_image"), dense_img);
  auto c5 = apply_layer(layers::Conv2D(4, 3, "tanh", {.padding = "same"}), x);                               // 17x15x4
  auto mixed = apply_layer(layers::Concatenate(), {x, c5});                                                  // 17x15x7
  auto out_mixed = apply_layer(named(layers::GlobalAveragePooling2D(), "mixed_concat"),
                               apply_layer(layers::MaxPooling2D(2, 2, "same"), mixed));
  auto m = std::make_shared<Functional>(std::vector<KerasTensor>{x},
                                        std::vector<KerasTensor>{out_gap, out_flat, out_flat_bn, out_seq, out_pool,
                                                                 out_dense_img, out_mixed},
                                        "conv_zoo");
  randomize(*m, 14);
  return m;
}

const std::vector<std::string> kActivations = {
    "linear", "relu",      "relu6",       "sigmoid",   "tanh",       "softmax",      "log_softmax", "gelu",
    "leaky_relu", "elu",   "selu",        "celu",      "softplus",   "softsign",     "silu",        "swish",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "exponential", "mish",   "log_sigmoid"};

// Every activation by name (Activation layers) and the activation layers with arguments, one output each.
std::shared_ptr<Functional> activations() {
  auto x = Input({24}, "x");
  std::vector<KerasTensor> outs;
  for (const auto& a : kActivations) outs.push_back(apply_layer(named(layers::Activation(a), "act_" + a), x));
  outs.push_back(apply_layer(named(layers::ReLU(), "relu_plain"), x));
  outs.push_back(apply_layer(named(layers::ReLU(2.5), "relu_max"), x));
  outs.push_back(apply_layer(named(layers::ReLU(std::nullopt, 0.1), "relu_slope"), x));
  outs.push_back(apply_layer(named(layers::ReLU(3.0, 0.2, 0.5), "relu_all"), x));
  outs.push_back(apply_layer(named(layers::ReLU(std::nullopt, 0, 1.0), "relu_threshold"), x));
  outs.push_back(apply_layer(named(layers::LeakyReLU(), "leaky"), x));
  outs.push_back(apply_layer(named(layers::ELU(0.7), "elu_07"), x));
  outs.push_back(apply_layer(named(layers::Softmax(), "softmax_layer"), x));
  outs.push_back(apply_layer(named(layers::Dense(7, "hard_swish"), "dense_hard_swish"), x));
  return std::make_shared<Functional>(std::vector<KerasTensor>{x}, outs, "activations");
}

std::shared_ptr<Sequential> embedding_model() {
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Embedding(50, 8, {.input_shape = {6}}), layers::Flatten(), layers::Dense(4, "relu"), layers::Dense(2)});
  m->build_if_possible();
  randomize(*m, 15);
  return m;
}

Tensor ids(const Shape& shape, int64_t vocab) {
  Tensor t = Tensor::uniform(shape, 0, double(vocab));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std::floor(std::min(p[i], float(vocab - 1)));
  return t;
}

// Recurrent layers (issue 21) as ONNX's LSTM, GRU and RNN: sequences, go_backwards, the last output.
std::shared_ptr<Sequential> recurrent_model() {
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::LSTM(6, {.return_sequences = true, .input_shape = {5, 4}}),
      layers::GRU(5, {.return_sequences = true, .go_backwards = true}),
      layers::SimpleRNN(4, {.activation = "relu", .return_sequences = true}),
      layers::LSTM(3, {.go_backwards = true}), layers::Dense(2)});
  m->build_if_possible();
  randomize(*m, 16);
  return m;
}

// ---- the files for the checker and ONNX Runtime ----

TEST(Models, ReferenceMlp) {
  manual_seed(21);
  auto m = reference_mlp();
  write_case("mlp", *m, {"input_layer"}, {Tensor::uniform({8, 28, 28}, 0, 1)});
  // For nabla-convert (ctest onnx.export.convert): the same model as a .keras file; converted to .onnx it must
  // give mlp.json's outputs.
  save_model(*m, out_dir() + "/mlp.keras");
  fs::create_directories(out_dir() + "/convert");
}

TEST(Models, Recurrent) {
  manual_seed(24);
  write_case("recurrent", *recurrent_model(), {"input_layer"}, {Tensor::uniform({7, 5, 4}, -1, 1)});
}

TEST(Models, ReferenceMlpEveryOpset) {
  for (int opset = io::kOnnxMinOpset; opset < io::kOnnxMaxOpset; ++opset) {
    manual_seed(22);
    write_case("mlp_opset" + std::to_string(opset), *reference_mlp(), {"input_layer"},
               {Tensor::uniform({3, 28, 28}, 0, 1)}, opset);
  }
}

TEST(Models, FashionCnn) {
  manual_seed(23);
  write_case("fashion_cnn", *fashion_cnn(), {"input_layer"}, {Tensor::uniform({4, 28, 28, 1}, 0, 1)});
}

TEST(Models, TwoInputs) {
  manual_seed(24);
  write_case("two_inputs", *two_inputs(), {"features", "extra"},
             {Tensor::uniform({5, 8}, -1, 1), Tensor::uniform({5, 6}, -1, 1)});
}

TEST(Models, ConvZoo) {
  manual_seed(25);
  write_case("conv_zoo", *conv_zoo(), {"image"}, {Tensor::uniform({3, 17, 15, 3}, -1, 1)});
  manual_seed(25);
  write_case("conv_zoo_opset13", *conv_zoo(), {"image"}, {Tensor::uniform({2, 17, 15, 3}, -1, 1)}, 13);
}

TEST(Models, Activations) {
  manual_seed(26);
  auto m = activations();
  randomize(*m, 16);
  write_case("activations", *m, {"x"}, {Tensor::uniform({6, 24}, -4, 4)});
  manual_seed(26);
  write_case("activations_opset13", *m, {"x"}, {Tensor::uniform({6, 24}, -4, 4)}, 13);
}

// One Dense shared by two flattened images of different shapes (4x4x2 and 2x2x8): one permuted kernel each.
TEST(Models, SharedDenseOverTwoImageShapes) {
  auto x = Input({8, 8, 3}, "image");
  auto a = apply_layer(layers::Flatten(), apply_layer(layers::Conv2D(2, 1, "", {.strides = 2}), x));
  auto b = apply_layer(layers::Flatten(), apply_layer(layers::Conv2D(8, 1, "", {.strides = 4}), x));
  auto d = layers::Dense(5);
  auto y = apply_layer(named(layers::Add(), "sum"), {apply_layer(d, a), apply_layer(d, b)});
  Functional m(x, y, "shared_dense");
  randomize(m, 18);
  manual_seed(29);
  write_case("shared_dense", m, {"image"}, {Tensor::uniform({3, 8, 8, 3}, -1, 1)});
  onnx::ModelProto p = parse(m);
  int kernels = 0;
  for (const auto& t : p.graph().initializer()) kernels += t.name().find("/kernel_chw") != std::string::npos;
  EXPECT_EQ(kernels, 2);
}

// Layers between a Flatten of an NCHW image and its readers: an activation, an Add of two flattened images, then
// readers wanting Keras's order (outputs, BatchNormalization) and a Dense (permuted kernel).
TEST(Models, FlattenedImageThroughOtherLayers) {
  auto x = Input({6, 5, 3}, "image");
  auto f1 = apply_layer(layers::Flatten(), apply_layer(layers::Conv2D(4, 2), x));          // 5x4x4
  auto f2 = apply_layer(layers::Flatten(), apply_layer(layers::Conv2D(4, 2, "relu"), x));  // 5x4x4
  auto t = apply_layer(named(layers::Activation("tanh"), "flat_tanh"), f1);
  auto s = apply_layer(layers::Add(), {f1, f2});
  auto bn = apply_layer(named(layers::BatchNormalization(), "flat_sum_bn"), s);
  auto again = apply_layer(layers::Flatten(), apply_layer(layers::LeakyReLU(), s));  // Flatten of a flat value
  auto d = apply_layer(named(layers::Dense(3), "flat_sum_dense"), again);
  Functional m(std::vector<KerasTensor>{x}, std::vector<KerasTensor>{t, bn, d}, "flat_ops");
  randomize(m, 19);
  manual_seed(30);
  write_case("flat_ops", m, {"image"}, {Tensor::uniform({3, 6, 5, 3}, -1, 1)});
}

// An input that is also an output, and one value behind two outputs.
TEST(Models, Passthrough) {
  auto x = Input({3}, "x");
  auto y = apply_layer(named(layers::Dense(2), "y"), x);
  auto z = apply_layer(named(layers::Dropout(0.5), "z"), y);  // the same value as y in the graph
  Functional m(std::vector<KerasTensor>{x}, std::vector<KerasTensor>{y, x, z}, "passthrough");
  randomize(m, 17);
  manual_seed(28);
  write_case("passthrough", m, {"x"}, {Tensor::uniform({2, 3}, -1, 1)});
}

TEST(Models, Embedding) {
  manual_seed(27);
  write_case("embedding", *embedding_model(), {"input_layer"}, {ids({7, 6}, 50)});
}

// LayerNormalization (opset 17's op) over the last axis and over two trailing axes, gamma/beta randomized, and
// with scale and center off (ones and zeros stand in); a Dense on the sequence after it.
TEST(Models, LayerNormalization) {
  auto x = Input({4, 6}, "x");
  auto a = apply_layer(named(layers::LayerNormalization({.epsilon = 1e-5}), "ln_last"), x);
  auto b = apply_layer(named(layers::LayerNormalization({.axis = {-2, -1}}), "ln_two_axes"), a);
  auto c = apply_layer(named(layers::LayerNormalization({.center = false, .scale = false}), "ln_plain"), b);
  Functional m(x, apply_layer(named(layers::Dense(3), "y"), c), "layer_norm");
  randomize(m, 31);
  manual_seed(32);
  write_case("layer_norm", m, {"x"}, {Tensor::uniform({5, 4, 6}, -3, 5)});
  EXPECT_THROW(io::onnx_model_bytes(m, 16), ValueError);  // the op is opset 17's
}

// ---- the graph ----

TEST(OnnxExport, NamesOpsetAndDynamicBatch) {
  auto m = two_inputs();
  onnx::ModelProto p = parse(*m, 15);
  EXPECT_EQ(p.ir_version(), 8);
  ASSERT_EQ(p.opset_import_size(), 1);
  EXPECT_EQ(p.opset_import(0).version(), 15);
  EXPECT_EQ(p.producer_name(), "nabla");
  const auto& g = p.graph();
  EXPECT_EQ(g.name(), "two_inputs");
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "features");
  EXPECT_EQ(g.input(1).name(), "extra");
  ASSERT_EQ(g.output_size(), 2);
  EXPECT_EQ(g.output(0).name(), "probs");
  EXPECT_EQ(g.output(1).name(), "score");
  for (const auto* vi : {&g.input(0), &g.output(0)}) {
    const auto& shape = vi->type().tensor_type().shape();
    ASSERT_EQ(shape.dim_size(), 2);
    EXPECT_EQ(shape.dim(0).dim_param(), "batch");
    EXPECT_FALSE(shape.dim(0).has_dim_value());
  }
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(1).dim_value(), 8);
  EXPECT_EQ(g.output(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  // Outputs are produced under their names directly, and every weight is an initializer named after its layer.
  EXPECT_EQ(count_ops(p, "Identity"), 0);
  EXPECT_EQ(count_ops(p, "Gemm"), 4);
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  EXPECT_TRUE(inits.count("probs/kernel") && inits.count("probs/bias") && inits.count("score/kernel"));
  EXPECT_EQ(parse(*m, 13).ir_version(), 7);
}

TEST(OnnxExport, CnnTransposesOnceAndPermutesTheDenseKernelAfterFlatten) {
  auto m = fashion_cnn();
  onnx::ModelProto p = parse(*m);
  // NHWC -> NCHW once at the input; the Flatten reads NCHW and the Dense's kernel rows follow CHW order.
  EXPECT_EQ(count_ops(p, "Transpose"), 1);
  EXPECT_EQ(p.graph().node(0).op_type(), "Transpose");
  EXPECT_EQ(count_ops(p, "Conv"), 2);
  EXPECT_EQ(count_ops(p, "MaxPool"), 2);
  EXPECT_EQ(count_ops(p, "Gemm"), 1);
  EXPECT_EQ(count_ops(p, "Dropout"), 0);
  const onnx::TensorProto* kernel = nullptr;
  for (const auto& t : p.graph().initializer())
    if (t.name() == m->layers().back()->name() + "/kernel_chw") kernel = &t;
  ASSERT_NE(kernel, nullptr);
  // Row (c, h, w) of the exported kernel is row (h, w, c) of nabla's [5 * 5 * 64, 10] kernel.
  const auto* rows = reinterpret_cast<const float*>(kernel->raw_data().data());
  std::vector<float> k = m->layers().back()->weight("kernel").to_vector<float>();
  for (int64_t c : {0, 17, 63})
    for (int64_t h : {0, 4})
      for (int64_t w : {1, 3})
        for (int64_t u : {0, 9}) EXPECT_EQ(rows[((c * 5 + h) * 5 + w) * 10 + u], k[size_t(((h * 5 + w) * 64 + c) * 10 + u)]);
}

TEST(OnnxExport, ConvZooTransposesItsInputOnceAndLeavesNoDeadNodes) {
  onnx::ModelProto p = parse(*conv_zoo());
  // Four layers read the image (three Conv2D, a Concatenate with an NCHW image): one NHWC -> NCHW transpose.
  int to_nchw = 0;
  std::set<std::string> used;
  for (const auto& o : p.graph().output()) used.insert(o.name());
  for (const auto& n : p.graph().node()) {
    for (const auto& i : n.input()) used.insert(i);
    if (n.op_type() == "Transpose" && n.attribute(0).ints_size() == 4 && n.attribute(0).ints(1) == 3) ++to_nchw;
  }
  EXPECT_EQ(to_nchw, 1);
  for (const auto& n : p.graph().node())
    for (const auto& o : n.output()) EXPECT_TRUE(used.count(o)) << n.name() << " computes '" << o << "', never read";
  for (const auto& t : p.graph().initializer()) EXPECT_TRUE(used.count(t.name())) << t.name();
}

TEST(OnnxExport, MlpIsFlattenGemmGemm) {
  onnx::ModelProto p = parse(*reference_mlp());
  std::vector<std::string> ops;
  for (const auto& n : p.graph().node()) ops.push_back(n.op_type());
  EXPECT_EQ(ops, (std::vector<std::string>{"Flatten", "Gemm", "Relu", "Gemm", "Softmax"}));
}

TEST(OnnxExport, SharedLayerWeightsAreWrittenOnce) {
  auto x = Input({4}, "x");
  auto d = layers::Dense(4, "tanh");
  auto y = apply_layer(d, apply_layer(d, x));
  Functional m(x, y, "shared");
  onnx::ModelProto p = parse(m);
  EXPECT_EQ(p.graph().initializer_size(), 2);
  EXPECT_EQ(count_ops(p, "Gemm"), 2);
}

TEST(OnnxExport, AnInputThatIsAlsoAnOutputIsNotDefinedTwice) {
  auto x = Input({3}, "x");
  auto y = apply_layer(named(layers::Dense(2), "y"), x);
  Functional m(std::vector<KerasTensor>{x}, std::vector<KerasTensor>{y, x}, "passthrough");
  onnx::ModelProto p = parse(m);
  ASSERT_EQ(p.graph().output_size(), 2);
  EXPECT_EQ(p.graph().output(1).name(), "x");
  EXPECT_EQ(count_ops(p, "Identity"), 0);
  for (const auto& n : p.graph().node())
    for (const auto& o : n.output()) EXPECT_NE(o, "x");
}

TEST(OnnxExport, SaveModelWritesThroughATemporaryName) {
  const std::string path = out_dir() + "/tmp_check.onnx";
  auto m = reference_mlp();
  save_model(*m, path);
  EXPECT_TRUE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(out_dir()))
    EXPECT_EQ(e.path().filename().string().find("tmp_check.onnx."), std::string::npos) << e.path();
  onnx::ModelProto p;
  std::ifstream f(path, std::ios::binary);
  ASSERT_TRUE(p.ParseFromIstream(&f));
  EXPECT_EQ(p.graph().output(0).name(), m->layers().back()->name());
  fs::remove(path);
}

// ---- errors ----

// A layer nabla has but ONNX export does not know: any user-defined layer.
class Scale : public nn::Layer {
 public:
  Scale() : Layer("Scale") {}
  using Layer::call;
  Tensor call(const Tensor& x, bool) override { return x * 2.0; }
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
};

TEST(OnnxExport, UnsupportedLayerNamesTheLayerAndItsClass) {
  auto scale = std::make_shared<Scale>();
  scale->set_name("my_scale");
  Sequential m({layers::Dense(3, "", {.input_shape = {2}}), scale});
  m.build_if_possible();
  const std::string path = out_dir() + "/unsupported.onnx";
  expect_error_contains<ValueError>([&] { save_model(m, path); }, {path, "'my_scale'", "(Scale)", "Dense, Conv2D"});
  EXPECT_FALSE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(out_dir()))
    EXPECT_EQ(e.path().filename().string().find("unsupported.onnx"), std::string::npos) << e.path();
}

// ONNX's recurrent ops take right-padded lengths at most; Keras's masks may have holes: refused, not ignored.
TEST(OnnxExport, MaskedRecurrentModelIsRefused) {
  Sequential m({layers::Embedding(10, 4, {.input_shape = {5}, .mask_zero = true}), layers::LSTM(3)});
  m.build_if_possible();
  const std::string path = out_dir() + "/masked_lstm.onnx";
  expect_error_contains<ValueError>([&] { save_model(m, path); }, {path, "(LSTM)", "masked sequences"});
  EXPECT_FALSE(fs::exists(path));
}

TEST(OnnxExport, OpsetOutsideThirteenToSeventeenIsAValueError) {
  auto m = reference_mlp();
  for (int opset : {12, 18})
    expect_error_contains<ValueError>([&] { save_model(*m, out_dir() + "/bad_opset.onnx", {.onnx_opset = opset}); },
                                      {"opset " + std::to_string(opset), "13 to 17"});
}

TEST(OnnxExport, UnbuiltModelIsAValueError) {
  Sequential m({layers::Dense(3), layers::Dense(2)});
  expect_error_contains<ValueError>([&] { (void)io::onnx_model_bytes(m); }, {"not built", "(Dense)"});
}

}  // namespace
}  // namespace nabla
