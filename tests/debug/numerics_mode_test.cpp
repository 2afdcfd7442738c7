#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>

#include "debug/debug_test_util.h"
#include "nabla/debug/nan_dump.h"
#include "nabla/autograd/node.h"
#include "nabla/debug/numerics_mode.h"

namespace nabla {
namespace {

using debug::NumericsError;
using testing::fn_layer;
using testing::named;

// Runs fn, expecting a NumericsError; returns it.
template <class F>
NumericsError expect_numerics_error(F&& fn) {
  try {
    fn();
  } catch (const NumericsError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a NumericsError";
  return NumericsError("", "", "", "");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// dense -> log: the dense output is negative for every sample, so log gives NaN in the forward pass.
std::unique_ptr<Sequential> log_model() {
  auto dense = named(layers::Dense(2, "", {.kernel_initializer = "ones", .input_shape = {3}}), "dense_a");
  auto m = std::make_unique<Sequential>(std::vector<nn::LayerPtr>{dense, fn_layer("log_layer", [](const Tensor& x) {
                                                                    return log(x);
                                                                  })},
                                        "seq");
  m->compile(std::make_shared<optim::SGD>(0.1), "mse");
  return m;
}

TEST(CheckMode, OffLetsNaNThroughSilently) {
  ASSERT_FALSE(debug::check_numerics_enabled());
  auto m = log_model();
  Tensor y = (*m)(Tensor::full({4, 3}, -1.0));
  EXPECT_TRUE(std::isnan(y.to_vector<float>()[0]));
}

TEST(CheckMode, ForwardFailureNamesOpLayerPathAndInputs) {
  auto m = log_model();
  debug::CheckNumericsGuard guard;
  NumericsError e = expect_numerics_error([&] { (*m)(Tensor::full({4, 3}, -1.0)); });
  EXPECT_EQ(e.op, "log");
  EXPECT_EQ(e.layer_path, "seq/log_layer");
  EXPECT_EQ(e.phase, "forward");
  std::string m_ = e.what();
  EXPECT_TRUE(contains(m_, "op 'log'")) << m_;
  EXPECT_TRUE(contains(m_, "layer path: seq/log_layer")) << m_;
  EXPECT_TRUE(contains(m_, "phase: forward")) << m_;
  EXPECT_TRUE(contains(m_, "NaN: 8")) << m_;
  // the input's shape and statistics: every value is -3 (three inputs of -1 times a kernel of ones)
  EXPECT_TRUE(contains(m_, "input 0: (4, 2) float32 finite: 8 values in [-3, -3], mean -3")) << m_;
}

TEST(CheckMode, BackwardFailureNamesTheForwardOpWhoseGradientWentBad) {
  // relu zeroes every unit; sqrt(0) is fine forward, but its gradient 1/(2 sqrt(0)) is +Inf.
  auto dense = named(layers::Dense(2, "relu", {.kernel_initializer = "zeros", .input_shape = {3}}), "dense_r");
  Sequential m({dense, fn_layer("root", [](const Tensor& x) { return sqrt(x); })}, "net");
  debug::CheckNumericsGuard guard;
  Tensor y = m(Tensor::ones({2, 3}).requires_grad_());
  NumericsError e = expect_numerics_error([&] { y.sum().backward(); });
  EXPECT_EQ(e.op, "sqrt");
  EXPECT_EQ(e.layer_path, "net/root");
  EXPECT_EQ(e.phase, "backward");
  std::string m_ = e.what();
  EXPECT_TRUE(contains(m_, "forward op: 'sqrt'")) << m_;
  EXPECT_TRUE(contains(m_, "+Inf: 4")) << m_;
  EXPECT_TRUE(contains(m_, "forward input 0: (2, 2) float32 finite: 4 values in [0, 0]")) << m_;
}

TEST(CheckMode, CatchesNonFiniteParametersCreatedInsideTheOptimizerStep) {
  manual_seed(3);
  auto dense = named(layers::Dense(1, "", {.input_shape = {2}}), "out");
  Sequential m({dense}, "reg");
  // lr 1e38 times a finite gradient overflows float: the update itself creates the Inf (TF#2288's failure).
  m.compile(std::make_shared<optim::SGD>(1e38), "mse");
  debug::CheckNumericsGuard guard;
  Tensor x = Tensor::full({4, 2}, 3.0), y = Tensor::full({4, 1}, -5.0);
  NumericsError e = expect_numerics_error([&] { m.fit(x, y, {.epochs = 1, .batch_size = 4, .verbose = 0}); });
  EXPECT_EQ(e.phase, "optimizer");
  EXPECT_EQ(e.op, "optimizer:SGD");
  EXPECT_EQ(e.layer_path, "reg/out");
  std::string m_ = e.what();
  EXPECT_TRUE(contains(m_, "parameter 'reg/out/kernel'")) << m_;
  EXPECT_TRUE(contains(m_, "the gradient was finite")) << m_;
  EXPECT_FALSE(e.dump_path.empty());
  std::filesystem::remove(e.dump_path);
}

TEST(CheckMode, GuardRestoresThePreviousState) {
  {
    debug::CheckNumericsGuard g;
    EXPECT_TRUE(debug::check_numerics_enabled());
    {
      debug::CheckNumericsGuard inner;
      EXPECT_TRUE(debug::check_numerics_enabled());
    }
    EXPECT_TRUE(debug::check_numerics_enabled());
  }
  EXPECT_FALSE(debug::check_numerics_enabled());
  EXPECT_EQ(autograd::op_observer(), nullptr);
  EXPECT_EQ(optim::step_observer(), nullptr);
}

TEST(CheckMode, LossOutsideAnyLayerIsReportedAsSuch) {
  debug::CheckNumericsGuard guard;
  Tensor p = Tensor::from_vector(std::vector<float>{0.0f, 0.5f});
  NumericsError e = expect_numerics_error([&] { log(p); });
  EXPECT_EQ(e.layer_path, "");
  EXPECT_TRUE(contains(e.what(), "outside any layer")) << e.what();
}

// A dump written at the failing step of fit replays to the same failure in a fresh model.
TEST(NanDump, FitWritesADumpOfTheFailingStepAndReplayReproducesIt) {
  auto make = [] {
    auto m = std::make_unique<Sequential>(
        std::vector<nn::LayerPtr>{fn_layer("logx", [](const Tensor& x) { return log(x); }),
                                  named(layers::Dense(1, "", {.input_shape = {2}}), "head")},
        "dumped");
    m->compile("adam", "mse");
    return m;
  };
  manual_seed(5);
  auto m = make();
  std::vector<float> xs(12, 2.0f);
  xs[9] = 0.0f;  // sample 4, in the third batch of two
  Tensor x = Tensor::from_vector(xs, Shape{6, 2}), y = Tensor::ones({6, 1});
  debug::NumericsOptions opts;
  opts.dump_dir = testing::temp_dir();
  NumericsError e("", "", "", "");
  {
    debug::CheckNumericsGuard guard(opts);
    e = expect_numerics_error([&] { m->fit(x, y, {.epochs = 1, .batch_size = 2, .verbose = 0, .shuffle = false}); });
  }
  EXPECT_EQ(e.op, "log");
  EXPECT_EQ(e.layer_path, "dumped/logx");
  ASSERT_FALSE(e.dump_path.empty());
  EXPECT_TRUE(contains(e.what(), "debug::replay_step(\"" + e.dump_path)) << e.what();
  EXPECT_TRUE(contains(e.what(), "batch 2")) << e.what();

  debug::StepSnapshot s = debug::read_nan_dump(e.dump_path);
  EXPECT_EQ(s.step, 2);
  EXPECT_EQ(s.iterations, 2);  // two Adam steps ran before the failing one
  EXPECT_EQ(s.x.to_vector<float>(), (std::vector<float>{2, 0, 2, 2}));
  EXPECT_EQ(s.optimizer_state.size(), 4u);  // m and v for kernel and bias

  auto fresh = make();
  debug::ReplayResult r = debug::replay_step(e.dump_path, *fresh);
  EXPECT_TRUE(r.reproduced);
  EXPECT_EQ(r.op, "log");
  EXPECT_EQ(r.phase, "forward");
  EXPECT_EQ(r.layer_path, "dumped/logx");
  EXPECT_FALSE(debug::check_numerics_enabled());
  // the restored weights are those before the failing step
  auto a = named_weights(*fresh), b = named_weights(*m);
  testing::expect_close(a[0].second, s.weights[0].second);
}


// A damaged dump (a bug report's attachment) is an IOError naming the file and the field, never a JSON library
// exception or an out-of-range conversion; a dump that is not damaged still reads. Found by fuzz/nan_dump_fuzz.cpp.
TEST(NanDump, DamagedDumpsAreIOErrorsNamingTheField) {
  debug::StepSnapshot snap;
  snap.model_name = "m";
  snap.optimizer = "adam";
  snap.learning_rate = std::nan("");  // JSON has no NaN: written as null, read back as NaN
  snap.x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, Shape{2, 2});
  snap.y = Tensor::from_vector(std::vector<float>{1, 0}, Shape{2, 1});
  const std::string dir = testing::temp_dir();
  const std::string path = debug::write_nan_dump(snap, dir);
  EXPECT_TRUE(std::isnan(debug::read_nan_dump(path).learning_rate));
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  uint64_t hl = 0;
  std::memcpy(&hl, bytes.data() + 8, 8);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(16, hl));
  const std::string data = bytes.substr(16 + hl);
  auto write_with = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json h = header;
    change(h);
    const std::string hs = h.dump();
    const uint64_t n = hs.size();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), 8).write(reinterpret_cast<const char*>(&n), 8).write(hs.data(), std::streamsize(n));
    f.write(data.data(), std::streamsize(data.size()));
  };
  auto damaged = [&](const std::function<void(nlohmann::json&)>& change, const std::string& detail) {
    write_with(change);
    testing::expect_error_contains<IOError>([&] { debug::read_nan_dump(path); }, {path, detail});
  };
  damaged([](auto& h) { h["epoch"] = 1.22222e70; }, "\"epoch\" is 1.22222e+70, not an integer");
  damaged([](auto& h) { h["step"] = -3; }, "\"step\" is -3");
  damaged([](auto& h) { h["version"] = 2; }, "not that of a version-1 nabla NaN dump");
  damaged([](auto& h) { h = nlohmann::json::array({1, 2}); }, "no \"format\"");
  damaged([](auto& h) { h.erase("optimizer"); }, "no \"optimizer\"");
  damaged([](auto& h) { h["rng"][2] = "12x"; }, "\"rng\" entry 2");
  damaged([](auto& h) { h["rng"][0] = "99999999999999999999"; }, "larger than 64 bits");
  damaged([](auto& h) { h["tensors"][0]["shape"] = {2, 1e300}; }, "tensor 'x' has shape");
  damaged([](auto& h) { h["tensors"][0]["shape"] = {4096, 4096}; }, "larger than the file");
  damaged([](auto& h) { h["tensors"][1]["offset"] = 18446744073709551615ull; }, "not an integer in");
  damaged([](auto& h) { h["tensors"][1]["offset"] = 20; }, "truncated: tensor 'y' needs bytes");
  damaged([](auto& h) { h["tensors"][1]["dtype"] = 32; }, "\"dtype\" is 32, not a string");
  write_with([](auto& h) { h["tensors"] = nlohmann::json::array(); });  // reads, but replay needs a batch
  EXPECT_FALSE(debug::read_nan_dump(path).x.defined());
  auto model = std::make_unique<Sequential>(std::vector<nn::LayerPtr>{layers::Dense(1, "", {.input_shape = {2}})});
  model->compile("adam", "mse");
  testing::expect_error_contains<IOError>([&] { debug::replay_step(path, *model); }, {path, "has no batch"});
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nabla
