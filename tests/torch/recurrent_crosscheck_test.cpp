// Cross-checks of SimpleRNN, LSTM and GRU (reset_after) against torch.nn.RNN/LSTM/GRU on the same weights (in
// Keras's layout; make_fixtures.py's RNN_CASES maps the gate orders): the output sequence, the final states and
// the gradients of x, the initial states, kernel, recurrent_kernel and bias, in float32 and float64, also with
// go_backwards. The layers are checked to run the same op.
#include "nabla/nn/gru.h"
#include "nabla/nn/lstm.h"
#include "nabla/nn/simple_rnn.h"
#include "nabla/ops/recurrent.h"
#include "torch_fixtures.h"

namespace nabla::torch_check {
namespace {

void check(const std::string& name, RecurrentCell cell, bool go_backwards) {
  const json& c = load_case(name);
  const bool lstm = cell == RecurrentCell::lstm;
  for (DType dt : {f32, f64}) {
    SCOPED_TRACE(name + " " + dtype_name(dt));
    Tensor x = tensor(c, "x", dt).requires_grad_(), h0 = tensor(c, "h0", dt).requires_grad_();
    Tensor c0 = lstm ? tensor(c, "c0", dt).requires_grad_() : Tensor();
    Tensor w = tensor(c, "kernel", dt).requires_grad_(), u = tensor(c, "recurrent_kernel", dt).requires_grad_(),
           b = tensor(c, "bias", dt).requires_grad_();
    Tensor y = recurrent(cell, x, w, u, b, h0, c0, Tensor(), Tensor(), {.go_backwards = go_backwards});
    const int64_t steps = x.size(1);
    std::vector<Tensor> g{tensor(c, "gy", dt), unsqueeze(tensor(c, "ghn", dt), 1)};
    if (lstm) g.push_back(unsqueeze(tensor(c, "gcn", dt), 1));
    y.backward(concat(g, 1));
    expect_matches(y.slice(1, 0, steps), c, "y");
    expect_matches(select(y, 1, steps), c, "hn");
    if (lstm) expect_matches(select(y, 1, steps + 1), c, "cn");
    expect_matches(x.grad(), c, "dx");
    expect_matches(h0.grad(), c, "dh0");
    if (lstm) expect_matches(c0.grad(), c, "dc0");
    expect_matches(w.grad(), c, "dkernel");
    expect_matches(u.grad(), c, "drecurrent_kernel");
    expect_matches(b.grad(), c, "dbias");
  }
}

TEST(Recurrent, SimpleRNNMatchesTorchRNN) { check("simple_rnn", RecurrentCell::simple_rnn, false); }
TEST(Recurrent, LSTMMatchesTorchLSTM) { check("lstm", RecurrentCell::lstm, false); }
TEST(Recurrent, LSTMGoBackwardsMatchesTorchOnReversedInput) { check("lstm_go_backwards", RecurrentCell::lstm, true); }
TEST(Recurrent, GRUMatchesTorchGRU) { check("gru", RecurrentCell::gru, false); }
TEST(Recurrent, GRUGoBackwardsMatchesTorchOnReversedInput) { check("gru_go_backwards", RecurrentCell::gru, true); }

// The layers with the same weights and initial states, return_sequences and return_state.
template <class L>
void check_layer(const std::string& name) {
  const json& c = load_case(name);
  auto layer = std::make_shared<L>(6, nn::RecurrentOptions{.return_sequences = true, .return_state = true});
  Tensor x = tensor(c, "x", f32);
  layer->ensure_built({Shape{-1, x.size(1), x.size(2)}});
  layer->weights()[0].value.copy_(tensor(c, "kernel", f32));
  layer->weights()[1].value.copy_(tensor(c, "recurrent_kernel", f32));
  layer->weights()[2].value.copy_(tensor(c, "bias", f32));
  std::vector<Tensor> init{tensor(c, "h0", f32)};
  if (c.contains("c0")) init.push_back(tensor(c, "c0", f32));
  std::vector<Tensor> out = layer->call_with_states(x, init);
  ASSERT_EQ(out.size(), init.size() + 1);
  expect_matches(out[0], c, "y");
  expect_matches(out[1], c, "hn");
  if (c.contains("c0")) expect_matches(out[2], c, "cn");
}

TEST(Recurrent, LayersMatchTheOps) {
  check_layer<nn::SimpleRNN>("simple_rnn");
  check_layer<nn::LSTM>("lstm");
  check_layer<nn::GRU>("gru");
}

}  // namespace
}  // namespace nabla::torch_check
