// Finite-difference gradient checks (float64) of the recurrent ops (ops/recurrent.h): every cell, with and
// without bias and initial states, masked steps, go_backwards, zero_output_for_mask, recurrent dropout and the
// other activations; the gradients of the sequence and of the final states are checked at once (the op returns
// them in one tensor).
#include <cstring>

#include "nabla/ops/recurrent.h"
#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;
using testing::expect_gradcheck;

constexpr int64_t N = 3, T = 4, F = 2, H = 3;

int gates(RecurrentCell c) { return c == RecurrentCell::lstm ? 4 : c == RecurrentCell::gru ? 3 : 1; }

// A [N, T] mask with holes in the middle, at the start and at the end (and one full row).
Tensor test_mask() {
  return Tensor::from_vector(std::vector<double>{1, 0, 1, 1,  //
                                                 0, 1, 1, 0,  //
                                                 1, 1, 1, 1},
                             Shape{N, T});
}

void check_cell(RecurrentCell cell, const RecurrentArgs& args, const Tensor& mask = Tensor(),
                const Tensor& rd = Tensor()) {
  const int64_t gh = gates(cell) * H;
  const Shape bias = cell == RecurrentCell::gru ? Shape{2, gh} : Shape{gh};
  const bool lstm = cell == RecurrentCell::lstm;
  std::vector<Shape> shapes{{N, T, F}, {F, gh}, {H, gh}, bias, {N, H}};
  if (lstm) shapes.push_back({N, H});
  Tensor m = mask.defined() ? mask.to(f64) : Tensor(), r = rd.defined() ? rd.to(f64) : Tensor();
  expect_gradcheck(
      [&](const V& v) {
        return recurrent(cell, v[0], v[1], v[2], v[3], v[4], lstm ? v[5] : Tensor(), m, r, args);
      },
      shapes);
  // Without bias and initial states.
  expect_gradcheck(
      [&](const V& v) {
        return recurrent(cell, v[0], v[1], v[2], Tensor(), Tensor(), Tensor(), m, r, args);
      },
      {{N, T, F}, {F, gh}, {H, gh}});
}

class RecurrentGradcheck : public ::testing::TestWithParam<RecurrentCell> {};

TEST_P(RecurrentGradcheck, Plain) { check_cell(GetParam(), {}); }

TEST_P(RecurrentGradcheck, GoBackwards) { check_cell(GetParam(), {.go_backwards = true}); }

TEST_P(RecurrentGradcheck, Masked) {
  check_cell(GetParam(), {}, test_mask());
  check_cell(GetParam(), {.go_backwards = true}, test_mask());
  check_cell(GetParam(), {.zero_output_for_mask = true}, test_mask());
}

TEST_P(RecurrentGradcheck, RecurrentDropout) {
  Tensor rd = Tensor::from_vector(std::vector<double>{2, 0, 2, 0, 2, 2, 2, 2, 0}, Shape{N, H});
  check_cell(GetParam(), {}, test_mask(), rd);
}

TEST_P(RecurrentGradcheck, OtherActivations) {
  check_cell(GetParam(), {.activation = "sigmoid", .recurrent_activation = "tanh"});
  check_cell(GetParam(), {.activation = "", .recurrent_activation = "sigmoid"});
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentGradcheck,
                         ::testing::Values(RecurrentCell::simple_rnn, RecurrentCell::lstm, RecurrentCell::gru),
                         [](const auto& info) {
                           return info.param == RecurrentCell::lstm  ? std::string("LSTM")
                                  : info.param == RecurrentCell::gru ? std::string("GRU")
                                                                     : std::string("SimpleRNN");
                         });

// The masked-step semantics themselves (Keras's backend.rnn): a masked step keeps the state and repeats the
// previous output, zeros before the first unmasked step.
TEST(Recurrent, MaskedStepsKeepStateAndRepeatOutput) {
  Tensor x = Tensor::uniform(Shape{N, T, F}, -1, 1, f64), w = Tensor::uniform(Shape{F, 4 * H}, -1, 1, f64),
         u = Tensor::uniform(Shape{H, 4 * H}, -1, 1, f64), b = Tensor::uniform(Shape{4 * H}, -1, 1, f64);
  Tensor y = lstm(x, w, u, b, Tensor(), Tensor(), test_mask());
  auto at = [&](int64_t n, int64_t t, int64_t j) { return y.detach().contiguous().data<double>()[(n * (T + 2) + t) * H + j]; };
  for (int64_t j = 0; j < H; ++j) {
    EXPECT_EQ(at(0, 1, j), at(0, 0, j));  // row 0, step 1 masked: repeats step 0
    EXPECT_EQ(at(1, 0, j), 0.0);          // row 1, step 0 masked: zeros
    EXPECT_EQ(at(1, 3, j), at(1, 2, j));  // row 1, last step masked
    EXPECT_EQ(at(1, T, j), at(1, 2, j));  // and the final h is step 2's
  }
  // Dropping masked steps from a sequence gives the same final states: row 1 is steps 1..2 alone.
  Tensor x1 = x.slice(0, 1, 2).slice(1, 1, 3).contiguous();
  Tensor y1 = lstm(x1, w, u, b);
  testing::expect_close(select(y1, 1, 2), select(y.slice(0, 1, 2), 1, T), 1e-12, 1e-12);
  testing::expect_close(select(y1, 1, 3), select(y.slice(0, 1, 2), 1, T + 1), 1e-12, 1e-12);
}

// The float32 LSTM row step has a version per CpuIsa level; none uses FMA, so all give the same bits (tails of
// 37 units, gates past tanh's small-input branch and saturated sigmoids included).
TEST(Recurrent, LSTMRowStepGivesTheSameBitsAtEveryIsaLevel) {
  for (int64_t units : {37, 128}) {
    Generator g(static_cast<uint64_t>(units));
    Tensor x = Tensor::uniform({5, 6, 7}, -3, 3, f32, &g), w = Tensor::uniform({7, 4 * units}, -1, 1, f32, &g);
    Tensor u = Tensor::uniform({units, 4 * units}, -0.5, 0.5, f32, &g);
    Tensor b = Tensor::uniform({4 * units}, -0.1, 0.1, f32, &g);
    std::vector<Tensor> ys;
    for (CpuIsa isa : {CpuIsa::avx512, CpuIsa::avx2, CpuIsa::portable})
      if (detail::limit_recurrent_isa(isa) == isa) ys.push_back(lstm(x, w, u, b));
    detail::limit_recurrent_isa(cpu_isa());
    ASSERT_GE(ys.size(), 2u);  // portable is always there, and CI's machines have AVX2
    for (size_t i = 1; i < ys.size(); ++i)
      ASSERT_EQ(std::memcmp(ys[i].raw_data(), ys[0].raw_data(), size_t(ys[0].numel()) * sizeof(float)), 0)
          << "units " << units << ", level " << i;
  }
}

TEST(Recurrent, ClearErrors) {
  Tensor x = Tensor::zeros(Shape{2, 3, 4});
  testing::expect_error_contains([&] { lstm(x, Tensor::zeros(Shape{5, 8}), Tensor::zeros(Shape{2, 8}), Tensor()); },
                                 {"lstm", "kernel of shape (5, 8)", "4 features"});
  testing::expect_error_contains(
      [&] { gru(x, Tensor::zeros(Shape{4, 6}), Tensor::zeros(Shape{2, 6}), Tensor::zeros(Shape{6})); },
      {"gru", "bias has shape (6,)", "(2, 6)"});
  testing::expect_error_contains(
      [&] {
        simple_rnn(x, Tensor::zeros(Shape{4, 2}), Tensor::zeros(Shape{2, 2}), Tensor(), Tensor(), Tensor(),
                   {.activation = "gelu"});
      },
      {"unsupported activation 'gelu'"});
}

}  // namespace
}  // namespace nabla
